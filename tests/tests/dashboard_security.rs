//! The dashboard's sign-in and its defences, over HTTP against a whole local stack: one-time
//! links, sessions in cookies, CSRF tokens, tenancy, and the headers of every page.

use loop_tests::stripe::{event, now, object};
use loop_tests::{TestAccount, TestStack};
use reqwest::header::{CONTENT_TYPE, COOKIE, LOCATION, SET_COOKIE};
use reqwest::{Response, StatusCode};
use serde_json::{json, Value};

/// A client that shows redirects instead of following them.
fn client() -> reqwest::Client {
    reqwest::Client::builder().redirect(reqwest::redirect::Policy::none()).build().unwrap()
}

struct Browser<'a> {
    t: &'a TestStack,
    http: reqwest::Client,
    cookie: Option<String>,
}

impl<'a> Browser<'a> {
    fn new(t: &'a TestStack) -> Self {
        Browser { t, http: client(), cookie: None }
    }

    async fn get(&self, path: &str) -> Response {
        let mut request = self.http.get(self.t.url(path));
        if let Some(cookie) = &self.cookie {
            request = request.header(COOKIE, cookie);
        }
        request.send().await.unwrap()
    }

    async fn post(&self, path: &str, form: &[(&str, &str)]) -> Response {
        let body: Vec<String> = form.iter().map(|(k, v)| format!("{k}={}", urlencoded(v))).collect();
        let mut request = self
            .http
            .post(self.t.url(path))
            .header(CONTENT_TYPE, "application/x-www-form-urlencoded")
            .body(body.join("&"));
        if let Some(cookie) = &self.cookie {
            request = request.header(COOKIE, cookie);
        }
        request.send().await.unwrap()
    }

    /// Signs in with a fresh link, keeping the session cookie.
    async fn sign_in(&mut self, account: &TestAccount) {
        let url = link(self.t, account, None).await;
        let response = self.post(path_of(&url), &[]).await;
        assert_eq!(response.status(), StatusCode::SEE_OTHER);
        self.cookie = Some(session_cookie(&response));
    }

    /// The CSRF token of the session, as its pages carry it.
    async fn csrf(&self) -> String {
        let page = self.get("/dashboard/webhooks").await.text().await.unwrap();
        let at = page.find("name=\"csrf\" value=\"").expect("the page carries a CSRF token") + 19;
        page[at..].split('"').next().unwrap().to_owned()
    }
}

fn urlencoded(value: &str) -> String {
    value
        .bytes()
        .map(|b| if b.is_ascii_alphanumeric() { (b as char).to_string() } else { format!("%{b:02X}") })
        .collect()
}

fn path_of(url: &str) -> &str {
    let after_scheme = url.split_once("://").unwrap().1;
    &after_scheme[after_scheme.find('/').unwrap()..]
}

/// `name=value` of the session cookie set by a response.
fn session_cookie(response: &Response) -> String {
    let set = response.headers().get(SET_COOKIE).expect("a session cookie").to_str().unwrap();
    set.split(';').next().unwrap().to_owned()
}

async fn link(t: &TestStack, account: &TestAccount, body: Option<Value>) -> String {
    let response = t
        .http
        .post(t.url("/v1/dashboard-links"))
        .bearer_auth(&account.api_key)
        .json(&body.unwrap_or(json!({})))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 201);
    let body: Value = response.json().await.unwrap();
    assert!(body["expiresAt"].as_str().is_some(), "{body}");
    body["url"].as_str().unwrap().to_owned()
}

fn assert_secure_headers(response: &Response, what: &str) {
    let header = |name: &str| response.headers().get(name).map(|v| v.to_str().unwrap().to_owned());
    let csp = header("content-security-policy").unwrap_or_else(|| panic!("{what}: no CSP"));
    assert!(!csp.contains("unsafe-inline") && !csp.contains("unsafe-eval"), "{what}: {csp}");
    assert!(csp.contains("frame-ancestors 'none'"), "{what}: {csp}");
    assert_eq!(header("x-frame-options").as_deref(), Some("DENY"), "{what}");
    assert_eq!(header("referrer-policy").as_deref(), Some("same-origin"), "{what}");
}

#[tokio::test]
async fn a_link_works_once_and_starts_a_session_in_a_locked_down_cookie() {
    // GIVEN a link to a test-mode account's dashboard
    let t = TestStack::start().await;
    let acme = t.account("Acme", true).await;
    let url = link(&t, &acme, None).await;
    assert!(url.starts_with(&t.url("/dashboard/link/dl_")), "{url}");
    let browser = Browser::new(&t);
    // WHEN it is opened, it asks before using itself up
    let page = browser.get(path_of(&url)).await;
    assert_eq!(page.status(), 200);
    assert!(page.text().await.unwrap().contains("Continue to the dashboard"));
    // AND used
    let used = browser.post(path_of(&url), &[]).await;
    // THEN it signs in: a session cookie, HttpOnly, SameSite=Lax, for /dashboard only (no
    // Secure on http://127.0.0.1), and the overview with its test-mode badge
    assert_eq!(used.status(), StatusCode::SEE_OTHER);
    assert_eq!(used.headers()[LOCATION], "/dashboard");
    let set = used.headers()[SET_COOKIE].to_str().unwrap().to_owned();
    for part in ["HttpOnly", "SameSite=Lax", "Path=/dashboard", "Max-Age=43200"] {
        assert!(set.contains(part), "{set}");
    }
    assert!(!set.contains("Secure"), "{set}");
    let mut signed_in = Browser::new(&t);
    signed_in.cookie = Some(session_cookie(&used));
    let overview = signed_in.get("/dashboard").await;
    assert_eq!(overview.status(), 200);
    let html = overview.text().await.unwrap();
    assert!(html.contains("Test mode") && html.contains("Acme"), "{html}");
    // AND used again, it fails
    let again = browser.post(path_of(&url), &[]).await;
    assert_eq!(again.status(), StatusCode::GONE);
    assert!(again.headers().get(SET_COOKIE).is_none());
    // AND a live account's session shows no badge
    let live = t.account("Live", false).await;
    let mut live_browser = Browser::new(&t);
    live_browser.sign_in(&live).await;
    assert!(!live_browser.get("/dashboard").await.text().await.unwrap().contains("Test mode"));
    t.shutdown().await;
}

#[tokio::test]
async fn an_expired_or_altered_link_fails() {
    let t = TestStack::start().await;
    let acme = t.account("Acme", true).await;
    let browser = Browser::new(&t);
    // GIVEN a link altered by one character, and one for another account's id
    let url = link(&t, &acme, None).await;
    let last = url.chars().last().unwrap();
    let altered = format!("{}{}", &url[..url.len() - 1], if last == 'a' { 'b' } else { 'a' });
    assert_eq!(browser.post(path_of(&altered), &[]).await.status(), StatusCode::GONE);
    let other = t.account("Other", true).await;
    let forged = url.replace(&acme.id["acct_".len()..], &other.id["acct_".len()..]);
    assert_eq!(browser.post(path_of(&forged), &[]).await.status(), StatusCode::GONE);
    assert_eq!(browser.post("/dashboard/link/nonsense", &[]).await.status(), StatusCode::GONE);
    // (the real one still works after those tries)
    assert_eq!(browser.post(path_of(&url), &[]).await.status(), StatusCode::SEE_OTHER);
    // GIVEN a link that works for 30 seconds, made 31 seconds ago
    let app = t.app();
    let account = loop_ground::ids::AccountId::parse(&acme.id).unwrap();
    let past = loop_ground::clock::SystemClock { offset_seconds: -31 };
    let expired = loop_capabilities::dashboard::create_link(&app.store, &past, &account, true, 30).await.unwrap();
    // THEN it fails
    let response = browser.post(&format!("/dashboard/link/{}", expired.token), &[]).await;
    assert_eq!(response.status(), StatusCode::GONE);
    // AND the API refuses a lifetime out of bounds
    let (status, body) = t.post_json(&acme, "/v1/dashboard-links", &json!({"ttlSeconds": 5})).await;
    assert_eq!(status, 400, "{body}");
    t.shutdown().await;
}

#[tokio::test]
async fn an_api_key_signs_in_and_a_wrong_one_does_not() {
    let t = TestStack::start().await;
    let acme = t.account("Acme", false).await;
    let browser = Browser::new(&t);
    let wrong = browser.post("/dashboard/login", &[("apiKey", "lk_live_nothing")]).await;
    assert_eq!(wrong.status(), StatusCode::UNAUTHORIZED);
    assert!(wrong.headers().get(SET_COOKIE).is_none());
    let right = browser.post("/dashboard/login", &[("apiKey", &acme.api_key)]).await;
    assert_eq!(right.status(), StatusCode::SEE_OTHER);
    let mut signed_in = Browser::new(&t);
    signed_in.cookie = Some(session_cookie(&right));
    assert_eq!(signed_in.get("/dashboard/audience").await.status(), 200);
    // A form posted from another site is refused, signed in or not.
    let forged = client()
        .post(t.url("/dashboard/login"))
        .header(CONTENT_TYPE, "application/x-www-form-urlencoded")
        .header("origin", "https://evil.example")
        .body(format!("apiKey={}", acme.api_key))
        .send()
        .await
        .unwrap();
    assert_eq!(forged.status(), StatusCode::FORBIDDEN);
    t.shutdown().await;
}

#[tokio::test]
async fn a_post_without_its_csrf_token_is_refused() {
    let t = TestStack::start_with(&[("LOOP_ALLOW_PRIVATE_ENDPOINTS", "1")]).await;
    let acme = t.account("Acme", true).await;
    let mut browser = Browser::new(&t);
    browser.sign_in(&acme).await;
    let form = [("url", "http://127.0.0.1:9/hook"), ("events", "*")];
    // WHEN a form comes without the token, or with another session's
    let without = browser.post("/dashboard/webhooks", &form).await;
    assert_eq!(without.status(), StatusCode::FORBIDDEN);
    let mut other = Browser::new(&t);
    other.sign_in(&acme).await;
    let others_token = other.csrf().await;
    let with_other = browser.post("/dashboard/webhooks", &[form[0], form[1], ("csrf", &others_token)]).await;
    assert_eq!(with_other.status(), StatusCode::FORBIDDEN);
    // THEN nothing was made
    let endpoints = t.read(&acme, "/v1/webhook-endpoints").await;
    assert_eq!(endpoints["data"], json!([]));
    // AND with its own token it is
    let token = browser.csrf().await;
    let with = browser.post("/dashboard/webhooks", &[form[0], form[1], ("csrf", &token)]).await;
    assert_eq!(with.status(), 200);
    assert_eq!(t.read(&acme, "/v1/webhook-endpoints").await["data"].as_array().unwrap().len(), 1);
    // AND sign-out needs it too
    assert_eq!(browser.post("/dashboard/logout", &[]).await.status(), StatusCode::FORBIDDEN);
    assert_eq!(browser.get("/dashboard").await.status(), 200);
    t.shutdown().await;
}

#[tokio::test]
async fn another_accounts_objects_are_404_pages() {
    // GIVEN another account with an endpoint and an event
    let t = TestStack::start_with(&[("LOOP_ALLOW_PRIVATE_ENDPOINTS", "1")]).await;
    let acme = t.account("Acme", true).await;
    let globex = t.account("Globex", true).await;
    let endpoint = t.create_endpoint(&globex, "http://127.0.0.1:9/hook", &["*"]).await;
    let customer = object("customer", json!({"id": "cus_g1", "email": "g@example.com", "name": "G"}));
    assert_eq!(t.send_stripe(&globex, &event("evt_g1", "customer.created", now(), customer)).await.0, 200);
    let (status, link) =
        t.post_json(&globex, "/v1/payment-links", &json!({"name": "Gold", "amount": "10", "currency": "USDC"})).await;
    assert_eq!(status, 201, "{link}");
    let link_id = link["id"].as_str().unwrap().to_owned();
    let events = t.read(&globex, "/v1/events").await;
    let event_id = events["data"][0]["id"].as_str().unwrap().to_owned();
    let mut browser = Browser::new(&t);
    browser.sign_in(&globex).await;
    assert_eq!(browser.get(&format!("/dashboard/events/{event_id}")).await.status(), 200);
    // WHEN Acme's session asks for them
    let mut browser = Browser::new(&t);
    browser.sign_in(&acme).await;
    let csrf = browser.csrf().await;
    let endpoint_id = endpoint["id"].as_str().unwrap();
    let before = t.read(&globex, &format!("/v1/webhook-endpoints/{endpoint_id}")).await;
    let page = browser.get(&format!("/dashboard/events/{event_id}")).await;
    // THEN each is a 404 page, and nothing changed
    assert_eq!(page.status(), 404);
    assert_secure_headers(&page, "404 page");
    assert!(page.text().await.unwrap().contains("Not found"));
    for action in ["disable", "rotate-secret", "edit"] {
        // (a valid form: an edit's fields are checked before its endpoint is looked up)
        let form = [("csrf", csrf.as_str()), ("events", "*")];
        let response = browser.post(&format!("/dashboard/webhooks/{endpoint_id}/{action}"), &form).await;
        assert_eq!(response.status(), 404, "{action}");
    }
    let redeliver = browser.post(&format!("/dashboard/events/{event_id}/redeliver"), &[("csrf", &csrf)]).await;
    assert_eq!(redeliver.status(), 404);
    assert_eq!(browser.get("/dashboard/contact?email=g%40example.com").await.status(), 404);
    for action in ["deactivate", "session"] {
        let response = browser.post(&format!("/dashboard/payment-links/{link_id}/{action}"), &[("csrf", &csrf)]).await;
        assert_eq!(response.status(), 404, "{action}");
    }
    let revoke = browser.post(&format!("/dashboard/keys/{}/revoke", globex.key_id), &[("csrf", &csrf)]).await;
    assert_eq!(revoke.status(), 404);
    assert_secure_headers(&revoke, "revoking another account's key");
    assert_eq!(t.get("/v1/account", &globex.api_key).send().await.unwrap().status(), 200, "its key still works");
    let test = browser.post(&format!("/dashboard/webhooks/{endpoint_id}/send-test"), &[("csrf", &csrf)]).await;
    assert_eq!(test.status(), 404);
    assert_eq!(t.read(&globex, "/v1/events").await["data"], events["data"], "no test event was made");
    assert_eq!(t.read(&globex, &format!("/v1/payment-links/{link_id}")).await["active"], true);
    assert_eq!(t.read(&globex, "/v1/checkout-sessions").await["data"], json!([]));
    let after = t.read(&globex, &format!("/v1/webhook-endpoints/{endpoint_id}")).await;
    assert_eq!(after, before);
    t.shutdown().await;
}

#[tokio::test]
async fn signed_out_pages_redirect_to_sign_in_and_sign_out_ends_the_session() {
    let t = TestStack::start().await;
    let acme = t.account("Acme", true).await;
    let mut browser = Browser::new(&t);
    let pages = [
        "/dashboard",
        "/dashboard/webhooks",
        "/dashboard/events",
        "/dashboard/events/evt_1",
        "/dashboard/audience",
        "/dashboard/stripe",
        "/dashboard/payments",
        "/dashboard/transfers",
        "/dashboard/contact?email=a%40example.com",
        "/dashboard/settings",
        "/dashboard/email",
        "/dashboard/email/templates/et_1",
        "/dashboard/email/workflows/wf_1",
    ];
    // Signed out, or with a cookie that names no session
    for cookie in [None, Some("loop_dashboard=ds_nothing".to_owned())] {
        browser.cookie = cookie;
        for page in pages {
            let response = browser.get(page).await;
            assert_eq!(response.status(), StatusCode::SEE_OTHER, "{page}");
            assert_eq!(response.headers()[LOCATION], "/dashboard/login", "{page}");
        }
    }
    // A form posted signed out does nothing but send to sign-in
    browser.cookie = None;
    for action in
        ["/dashboard/keys", &format!("/dashboard/keys/{}/revoke", acme.key_id), "/dashboard/webhooks/we_1/send-test"]
    {
        let response = browser.post(action, &[("csrf", "x")]).await;
        assert_eq!(response.status(), StatusCode::SEE_OTHER, "{action}");
        assert_eq!(response.headers()[LOCATION], "/dashboard/login", "{action}");
    }
    assert_eq!(t.get("/v1/account", &acme.api_key).send().await.unwrap().status(), 200);
    // Signed in, then out: the same cookie no longer works
    browser.sign_in(&acme).await;
    assert_eq!(browser.get("/dashboard").await.status(), 200);
    let csrf = browser.csrf().await;
    let out = browser.post("/dashboard/logout", &[("csrf", &csrf)]).await;
    assert_eq!(out.status(), StatusCode::SEE_OTHER);
    assert!(out.headers()[SET_COOKIE].to_str().unwrap().contains("Max-Age=0"));
    for page in pages {
        assert_eq!(browser.get(page).await.status(), StatusCode::SEE_OTHER, "{page}");
    }
    t.shutdown().await;
}

#[tokio::test]
async fn every_page_sends_the_security_headers() {
    let t = TestStack::start().await;
    let acme = t.account("Acme", true).await;
    let mut browser = Browser::new(&t);
    for page in ["/dashboard/login", "/dashboard/link/dl_x", "/dashboard", "/dashboard/nothing"] {
        let response = browser.get(page).await;
        assert_secure_headers(&response, page);
    }
    browser.sign_in(&acme).await;
    for page in [
        "/dashboard",
        "/dashboard/webhooks",
        "/dashboard/events",
        "/dashboard/audience",
        "/dashboard/stripe",
        "/dashboard/payments",
        "/dashboard/transfers",
        "/dashboard/transfers?status=open",
        "/dashboard/settings",
        "/dashboard/events/evt_none",
        "/dashboard/email",
        "/dashboard/email?email=a%40example.com",
        "/dashboard/email?email=nonsense",
        "/dashboard/email/templates/et_none",
        "/dashboard/email/templates/et_none/preview",
        "/dashboard/email/workflows/wf_none",
    ] {
        let response = browser.get(page).await;
        assert_secure_headers(&response, page);
        if response.status() == 200 {
            let html = response.text().await.unwrap();
            // Scripts only under the nonce: no inline handlers, no script without it.
            assert!(!html.contains(" onclick="), "{page}");
            assert_eq!(html.matches("<script").count(), html.matches("<script nonce=").count(), "{page}");
        }
    }
    t.shutdown().await;
}

#[tokio::test]
async fn an_endpoint_is_edited_under_the_apis_rules() {
    // GIVEN an endpoint for every event
    let t = TestStack::start_with(&[("LOOP_ALLOW_PRIVATE_ENDPOINTS", "1")]).await;
    let acme = t.account("Acme", true).await;
    let endpoint = t.create_endpoint(&acme, "http://127.0.0.1:9/hook", &["*"]).await;
    let id = endpoint["id"].as_str().unwrap();
    let mut browser = Browser::new(&t);
    browser.sign_in(&acme).await;
    let csrf = browser.csrf().await;
    let edit = format!("/dashboard/webhooks/{id}/edit");
    // WHEN its events and description are edited
    let form =
        [("csrf", csrf.as_str()), ("description", "Orders"), ("events", "contact.created"), ("events", "LatePayment")];
    assert_eq!(browser.post(&edit, &form).await.status(), StatusCode::SEE_OTHER);
    // THEN the API shows them
    let read = t.read(&acme, &format!("/v1/webhook-endpoints/{id}")).await;
    assert_eq!(read["events"], json!(["contact.created", "LatePayment"]));
    assert_eq!(read["description"], "Orders");
    // AND no event at all is refused as the API refuses it, on the page, changing nothing
    let refused = browser.post(&edit, &[("csrf", csrf.as_str()), ("description", "")]).await;
    assert_eq!(refused.status(), StatusCode::BAD_REQUEST);
    assert!(refused.text().await.unwrap().contains("events"));
    assert_eq!(t.read(&acme, &format!("/v1/webhook-endpoints/{id}")).await, read);
    t.shutdown().await;
}

#[tokio::test]
async fn the_support_email_is_saved_under_the_apis_rules() {
    let t = TestStack::start().await;
    let acme = t.account("Acme", true).await;
    let mut browser = Browser::new(&t);
    browser.sign_in(&acme).await;
    let csrf = browser.csrf().await;
    let saved = browser.post("/dashboard/settings", &[("csrf", &csrf), ("supportEmail", "help@acme.test")]).await;
    assert_eq!(saved.status(), StatusCode::SEE_OTHER);
    assert_eq!(t.read(&acme, "/v1/account").await["supportEmail"], "help@acme.test");
    let refused = browser.post("/dashboard/settings", &[("csrf", &csrf), ("supportEmail", "nope")]).await;
    assert_eq!(refused.status(), StatusCode::BAD_REQUEST);
    assert!(refused.text().await.unwrap().contains("supportEmail must be a valid email address."));
    assert_eq!(t.read(&acme, "/v1/account").await["supportEmail"], "help@acme.test");
    let page = browser.get("/dashboard/settings").await.text().await.unwrap();
    assert!(page.contains(&acme.id) && page.contains("help@acme.test"));
    t.shutdown().await;
}

#[tokio::test]
async fn the_sender_and_the_automated_emails_are_set_on_settings_under_the_apis_rules() {
    let t = TestStack::start().await;
    let acme = t.account("Acme", true).await;
    t.app().mailer().create_identity("settings.loop.test").await.unwrap();
    let mut browser = Browser::new(&t);
    browser.sign_in(&acme).await;
    let page = browser.get("/dashboard/settings").await.text().await.unwrap();
    assert!(page.contains("id=\"no-sender\""), "no sender yet");
    let csrf = browser.csrf().await;
    // WHEN an unverified sender is saved THEN the API's 400 is on the page, and nothing changes
    let refused = browser
        .post("/dashboard/settings", &[("csrf", &csrf), ("section", "email"), ("fromAddress", "hi@elsewhere.test")])
        .await;
    assert_eq!(refused.status(), StatusCode::BAD_REQUEST);
    assert!(refused.text().await.unwrap().contains("email.fromAddress"));
    assert_eq!(t.read(&acme, "/v1/account").await["email"], Value::Null);
    // WHEN a verified one is THEN the API reads it back
    let form =
        [("csrf", csrf.as_str()), ("section", "email"), ("fromAddress", "hi@settings.loop.test"), ("fromName", "Acme")];
    assert_eq!(browser.post("/dashboard/settings", &form).await.status(), StatusCode::SEE_OTHER);
    let account = t.read(&acme, "/v1/account").await;
    assert_eq!(
        (&account["email"]["fromAddress"], &account["email"]["fromName"]),
        (&json!("hi@settings.loop.test"), &json!("Acme"))
    );
    // AND the automated emails follow their checkboxes
    let form = [("csrf", csrf.as_str()), ("section", "notifications"), ("latePayment", "on"), ("receipt", "on")];
    assert_eq!(browser.post("/dashboard/settings", &form).await.status(), StatusCode::SEE_OTHER);
    let notifications = t.read(&acme, "/v1/account").await["notifications"].clone();
    assert_eq!(
        (&notifications["paymentRequest"], &notifications["latePayment"], &notifications["receipt"]),
        (&json!(false), &json!(true), &json!(true))
    );
    let page = browser.get("/dashboard/settings").await.text().await.unwrap();
    assert!(page.contains("id=\"latePayment\" name=\"latePayment\" value=\"on\" checked"), "{page}");
    t.shutdown().await;
}

#[tokio::test]
async fn the_overview_counts_the_stripe_events_received_once_each() {
    let t = TestStack::start().await;
    let acme = t.account("Acme", true).await;
    let mut browser = Browser::new(&t);
    browser.sign_in(&acme).await;
    let stat = |page: &str| {
        let at =
            page.find("id=\"stat-stripe\"><strong>").expect("the Stripe figure") + "id=\"stat-stripe\"><strong>".len();
        page[at..].split('<').next().unwrap().to_owned()
    };
    assert_eq!(stat(&browser.get("/dashboard").await.text().await.unwrap()), "0");
    // WHEN two events arrive, one of them three times
    for (id, times) in [("evt_ov1", 3), ("evt_ov2", 1)] {
        let customer = object("customer", json!({"id": format!("cus_{id}"), "email": format!("{id}@example.com")}));
        let created = event(id, "customer.created", now(), customer);
        for _ in 0..times {
            assert_eq!(t.send_stripe(&acme, &created).await.0, 200);
        }
    }
    // THEN the Overview counts two, and another account none
    assert_eq!(stat(&browser.get("/dashboard").await.text().await.unwrap()), "2");
    let other = t.account("Other", true).await;
    let mut theirs = Browser::new(&t);
    theirs.sign_in(&other).await;
    assert_eq!(stat(&theirs.get("/dashboard").await.text().await.unwrap()), "0");
    t.shutdown().await;
}

/// The key a Settings page shows once, after "Create an API key".
fn shown_key(page: &str) -> String {
    let at = page.find("id=\"new-key\">").expect("the new key is shown") + "id=\"new-key\">".len();
    page[at..].split('<').next().unwrap().to_owned()
}

async fn account_status(t: &TestStack, key: &str) -> StatusCode {
    t.get("/v1/account", key).send().await.unwrap().status()
}

#[tokio::test]
async fn api_keys_are_listed_made_once_and_revoked_and_a_revoked_key_ends_its_sessions() {
    // GIVEN a live account, a session signed in with its key and one with a link
    let t = TestStack::start().await;
    let acme = t.account("Acme", false).await;
    let mut by_key = Browser::new(&t);
    let signed_in = by_key.post("/dashboard/login", &[("apiKey", &acme.api_key)]).await;
    by_key.cookie = Some(session_cookie(&signed_in));
    let mut by_link = Browser::new(&t);
    by_link.sign_in(&acme).await;
    // THEN Settings lists the key by id and mode, marks the session's own, and shows neither the
    // key nor its hash
    let page = by_key.get("/dashboard/settings").await.text().await.unwrap();
    assert!(page.contains(&acme.key_id) && page.contains("current-key"), "{page}");
    let hash = loop_ground::domain::api_key::hash(&acme.api_key);
    assert!(!page.contains(&acme.api_key) && !page.contains(&hash));
    assert!(!by_link.get("/dashboard/settings").await.text().await.unwrap().contains("current-key"));

    // WHEN the link's session makes a key
    let csrf = by_link.csrf().await;
    let made = by_link.post("/dashboard/keys", &[("csrf", &csrf)]).await;
    assert_eq!(made.status(), 200);
    let page = made.text().await.unwrap();
    let key = shown_key(&page);
    // THEN it is a live key, shown this once, that the API takes; later pages show its last
    // four characters only
    assert!(key.starts_with("lk_live_"), "{key}");
    assert_eq!(account_status(&t, &key).await, 200);
    let later = by_link.get("/dashboard/settings").await.text().await.unwrap();
    assert!(!later.contains(&key) && later.contains(&format!("lk_…{}", &key[key.len() - 4..])), "{later}");
    let keys =
        loop_capabilities::accounts::list_keys(&t.app().store, &loop_ground::ids::AccountId::parse(&acme.id).unwrap())
            .await
            .unwrap();
    assert_eq!(keys.len(), 2);
    let new_id = keys.iter().find(|k| k.key_id != acme.key_id).unwrap().key_id.clone();
    assert!(later.contains(&new_id));
    // AND a test-mode key when asked
    let test = by_link.post("/dashboard/keys", &[("csrf", &csrf), ("testMode", "on")]).await;
    assert!(shown_key(&test.text().await.unwrap()).starts_with("lk_test_"));

    // WHEN a browser signs in with the new key, and the link's session revokes it
    let mut by_new = Browser::new(&t);
    let signed_in = by_new.post("/dashboard/login", &[("apiKey", &key)]).await;
    by_new.cookie = Some(session_cookie(&signed_in));
    assert_eq!(by_new.get("/dashboard").await.status(), 200);
    let revoked = by_link.post(&format!("/dashboard/keys/{new_id}/revoke"), &[("csrf", &csrf)]).await;
    assert_eq!(revoked.status(), StatusCode::SEE_OTHER);
    assert_eq!(revoked.headers()[LOCATION], "/dashboard/settings?revoked=1");
    // THEN the key opens neither the API nor the session it started
    assert_eq!(account_status(&t, &key).await, 401);
    let closed = by_new.get("/dashboard").await;
    assert_eq!(closed.status(), StatusCode::SEE_OTHER);
    assert_eq!(closed.headers()[LOCATION], "/dashboard/login");
    assert!(by_link.get("/dashboard/settings").await.text().await.unwrap().contains("revoked"));
    // AND it cannot be signed in with again
    assert_eq!(Browser::new(&t).post("/dashboard/login", &[("apiKey", &key)]).await.status(), StatusCode::UNAUTHORIZED);

    // WHEN the key's own session revokes its key
    let own_csrf = by_key.csrf().await;
    let own = by_key.post(&format!("/dashboard/keys/{}/revoke", acme.key_id), &[("csrf", &own_csrf)]).await;
    // THEN it is signed out there and then, and the key is dead
    assert_eq!(own.status(), StatusCode::SEE_OTHER);
    assert_eq!(own.headers()[LOCATION], "/dashboard/login");
    assert!(own.headers()[SET_COOKIE].to_str().unwrap().contains("Max-Age=0"));
    assert_eq!(by_key.get("/dashboard/settings").await.status(), StatusCode::SEE_OTHER);
    assert_eq!(account_status(&t, &acme.api_key).await, 401);
    // AND the link's session goes on; an unknown key is a 404 page
    assert_eq!(by_link.get("/dashboard/settings").await.status(), 200);
    let unknown = by_link.post("/dashboard/keys/key_nothing/revoke", &[("csrf", &csrf)]).await;
    assert_eq!(unknown.status(), 404);
    t.shutdown().await;
}

#[tokio::test]
async fn a_test_mode_session_makes_only_test_mode_keys() {
    // GIVEN a live account's session signed in with a test-mode key
    let t = TestStack::start().await;
    let acme = t.account("Acme", false).await;
    let account = loop_ground::ids::AccountId::parse(&acme.id).unwrap();
    let app = t.app();
    let test_key =
        loop_capabilities::accounts::create_key(&app.store, app.clock.as_ref(), &account, true).await.unwrap();
    let mut browser = Browser::new(&t);
    let signed_in = browser.post("/dashboard/login", &[("apiKey", test_key.api_key.expose())]).await;
    browser.cookie = Some(session_cookie(&signed_in));
    // WHEN it makes a key, without asking for test mode
    let csrf = browser.csrf().await;
    let made = browser.post("/dashboard/keys", &[("csrf", &csrf)]).await;
    // THEN the key is a test-mode key
    assert_eq!(made.status(), 200);
    assert!(shown_key(&made.text().await.unwrap()).starts_with("lk_test_"));
    t.shutdown().await;
}

#[tokio::test]
async fn a_test_event_reaches_its_endpoint_signed_whatever_its_filter_and_counts_in_its_success_rate() {
    // GIVEN an endpoint that wants only contact.created, at a real receiver
    let t = TestStack::start_with(&[("LOOP_ALLOW_PRIVATE_ENDPOINTS", "1")]).await;
    let acme = t.account("Acme", true).await;
    let receiver = loop_tests::receiver::Receiver::start(0).await;
    let endpoint = t.create_endpoint(&acme, &receiver.url, &["contact.created"]).await;
    let id = endpoint["id"].as_str().unwrap();
    let secret = endpoint["secret"].as_str().unwrap();
    // (and another endpoint, for every event)
    t.create_endpoint(&acme, "http://127.0.0.1:9/hook", &["*"]).await;
    let mut browser = Browser::new(&t);
    browser.sign_in(&acme).await;
    let csrf = browser.csrf().await;
    // WHEN the Webhooks page sends it a test event
    let sent = browser.post(&format!("/dashboard/webhooks/{id}/send-test"), &[("csrf", &csrf)]).await;
    // THEN the browser goes to the event's page, and the receiver gets it signed with the
    // endpoint's secret
    assert_eq!(sent.status(), StatusCode::SEE_OTHER);
    let location = sent.headers()[LOCATION].to_str().unwrap().to_owned();
    let event_id = location.strip_prefix("/dashboard/events/").expect("the event's page").to_owned();
    let got = receiver.wait_for(std::time::Duration::from_secs(10), |r| !r.is_empty()).await;
    assert_eq!(got.len(), 1);
    assert_eq!(loop_tests::receiver::verify_with_standard_webhooks(secret, &got), 1);
    assert_eq!(got[0].header("webhook-id"), event_id);
    let payload: Value = serde_json::from_slice(&got[0].body).unwrap();
    assert_eq!(payload["type"], "webhook.test");
    assert_eq!(payload["data"]["endpointId"], id);
    // AND the event, its delivery and the success rate show it, once dispatch has recorded it
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(10);
    loop {
        let event = t.read(&acme, &format!("/v1/events/{event_id}")).await;
        if event["endpoints"][0]["status"] == "succeeded" {
            break;
        }
        assert!(std::time::Instant::now() < deadline, "the delivery was not recorded: {event}");
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    }
    let webhooks = browser.get("/dashboard/webhooks").await.text().await.unwrap();
    assert!(webhooks.contains("100%") && webhooks.contains("(1 of 1)"), "{webhooks}");
    let overview = browser.get("/dashboard").await.text().await.unwrap();
    assert!(overview.contains(r#"data-succeeded="1""#), "the chart counts it: {overview}");
    // AND redelivered to every endpoint that wants it, it goes to its own endpoint only
    let again = browser.post(&format!("/dashboard/events/{event_id}/redeliver"), &[("csrf", &csrf)]).await;
    assert_eq!(again.headers()[LOCATION], format!("/dashboard/events/{event_id}?redelivered=1"));
    assert_eq!(receiver.wait_for(std::time::Duration::from_secs(10), |r| r.len() == 2).await.len(), 2);

    // WHEN the endpoint is disabled and sent a test event again
    let disable = browser.post(&format!("/dashboard/webhooks/{id}/disable"), &[("csrf", &csrf)]).await;
    assert_eq!(disable.status(), StatusCode::SEE_OTHER);
    let refused = browser.post(&format!("/dashboard/webhooks/{id}/send-test"), &[("csrf", &csrf)]).await;
    // THEN it is refused on the page, and nothing is made
    assert_eq!(refused.status(), StatusCode::BAD_REQUEST);
    assert!(refused.text().await.unwrap().contains("enable it"));
    assert_eq!(t.read(&acme, "/v1/events").await["data"].as_array().unwrap().len(), 1);
    assert_eq!(receiver.received().len(), 2);
    t.shutdown().await;
}

#[tokio::test]
async fn the_transfers_page_shows_transfers_with_their_pay_page_and_says_where_they_come_from() {
    // GIVEN an account with no transfer
    let t = TestStack::start().await;
    let acme = t.account("Acme", true).await;
    let mut browser = Browser::new(&t);
    browser.sign_in(&acme).await;
    // THEN the page says where transfers come from
    let empty = browser.get("/dashboard/transfers").await.text().await.unwrap();
    assert!(empty.contains("no-transfers") && empty.contains("invoice") && empty.contains("/stripe/webhooks/"));
    assert!(empty.contains("no-agreements"));
    // WHEN Stripe finalizes an invoice
    let invoice = object(
        "invoice",
        json!({"id": "in_dash1", "status": "open", "customer_email": "payer@example.com", "amount_due": 1500,
               "currency": "usd", "due_date": now() + 86_400, "created": now(), "parent": null, "subscription": null}),
    );
    let (status, body) = t.send_stripe(&acme, &event("evt_inv1", "invoice.finalized", now(), invoice)).await;
    assert_eq!(status, 200, "{body}");
    // THEN the page lists it as the API does, with its status, due date and pay page
    let listed = t.read(&acme, "/v1/transfers").await;
    let transfer = &listed["data"][0];
    let page = browser.get("/dashboard/transfers").await.text().await.unwrap();
    assert!(page.contains(transfer["id"].as_str().unwrap()), "{page}");
    assert!(page.contains("finalized") && page.contains(transfer["dueDate"].as_str().unwrap()), "{page}");
    if let Some(url) = transfer["paymentUrl"].as_str() {
        assert!(page.contains(&format!("href=\"{url}\"")), "{page}");
    }
    // AND the status filter is the API's
    let other = browser.get("/dashboard/transfers?status=processed").await.text().await.unwrap();
    assert!(!other.contains(transfer["id"].as_str().unwrap()) && other.contains("No transfers with this status"));
    let bad = browser.get("/dashboard/transfers?status=nonsense").await;
    assert_eq!(bad.status(), 400);
    t.shutdown().await;
}

/// A template and a workflow of `account`, made through the API: `(template id, workflow id)`.
async fn template_and_workflow(t: &TestStack, account: &TestAccount) -> (String, String) {
    let body = json!({"name": "Welcome", "subject": "Hi {{ contact.firstName }}", "html": "<p>Hello</p>"});
    let (status, template) = t.post_json(account, "/v1/email-templates", &body).await;
    assert_eq!(status, 201, "{template}");
    let template = template["id"].as_str().unwrap().to_owned();
    let body = json!({"name": "Onboarding", "trigger": {"eventName": "signup"},
                      "steps": [{"type": "wait", "seconds": 3600}, {"type": "email", "templateId": template}]});
    let (status, workflow) = t.post_json(account, "/v1/workflows", &body).await;
    assert_eq!(status, 201, "{workflow}");
    (template, workflow["id"].as_str().unwrap().to_owned())
}

#[tokio::test]
async fn another_accounts_templates_and_workflows_are_404_pages_and_stay_as_they_were() {
    // GIVEN Globex's template and workflow
    let t = TestStack::start().await;
    let acme = t.account("Acme", true).await;
    let globex = t.account("Globex", true).await;
    let (template, workflow) = template_and_workflow(&t, &globex).await;
    let mut own = Browser::new(&t);
    own.sign_in(&globex).await;
    assert_eq!(own.get(&format!("/dashboard/email/templates/{template}")).await.status(), 200);
    assert_eq!(own.get(&format!("/dashboard/email/workflows/{workflow}")).await.status(), 200);
    let template_before = t.read(&globex, &format!("/v1/email-templates/{template}")).await;
    let workflow_before = t.read(&globex, &format!("/v1/workflows/{workflow}")).await;
    // WHEN Acme's session opens them or acts on them
    let mut browser = Browser::new(&t);
    browser.sign_in(&acme).await;
    let csrf = browser.csrf().await;
    // THEN each is a 404 page with the dashboard's headers
    for page in [format!("/dashboard/email/templates/{template}"), format!("/dashboard/email/workflows/{workflow}")] {
        let response = browser.get(&page).await;
        assert_eq!(response.status(), 404, "{page}");
        assert_secure_headers(&response, &page);
        assert!(response.text().await.unwrap().contains("Not found"), "{page}");
    }
    assert_eq!(browser.get(&format!("/dashboard/email/templates/{template}/preview")).await.status(), 404);
    let save = [("csrf", csrf.as_str()), ("name", "Mine"), ("subject", "Mine"), ("html", "<p>Mine</p>"), ("text", "")];
    assert_eq!(browser.post(&format!("/dashboard/email/templates/{template}"), &save).await.status(), 404);
    let test = [("csrf", csrf.as_str()), ("email", "me@example.com")];
    assert_eq!(browser.post(&format!("/dashboard/email/templates/{template}/send-test"), &test).await.status(), 404);
    for action in ["pause", "resume", "delete"] {
        let response =
            browser.post(&format!("/dashboard/email/workflows/{workflow}/{action}"), &[("csrf", &csrf)]).await;
        assert_eq!(response.status(), 404, "{action}");
    }
    // AND nothing changed, and Acme's own lists do not show them
    assert_eq!(t.read(&globex, &format!("/v1/email-templates/{template}")).await, template_before);
    assert_eq!(t.read(&globex, &format!("/v1/workflows/{workflow}")).await, workflow_before);
    let page = browser.get("/dashboard/email").await.text().await.unwrap();
    assert!(!page.contains(&template) && !page.contains(&workflow), "{page}");
    t.shutdown().await;
}

#[tokio::test]
async fn an_email_form_without_its_csrf_token_is_refused_and_makes_nothing() {
    let t = TestStack::start().await;
    let acme = t.account("Acme", true).await;
    let (template, workflow) = template_and_workflow(&t, &acme).await;
    let mut browser = Browser::new(&t);
    browser.sign_in(&acme).await;
    // WHEN the Email page's forms come without the token
    let create = [("name", "Forged"), ("subject", "Forged"), ("html", "<p>Forged</p>")];
    assert_eq!(browser.post("/dashboard/email/templates", &create).await.status(), StatusCode::FORBIDDEN);
    let flow = [("workflowName", "Forged"), ("eventName", "signup"), ("steps", "wait 60")];
    assert_eq!(browser.post("/dashboard/email/workflows", &flow).await.status(), StatusCode::FORBIDDEN);
    let pause = browser.post(&format!("/dashboard/email/workflows/{workflow}/pause"), &[]).await;
    assert_eq!(pause.status(), StatusCode::FORBIDDEN);
    let test =
        browser.post(&format!("/dashboard/email/templates/{template}/send-test"), &[("email", "a@b.test")]).await;
    assert_eq!(test.status(), StatusCode::FORBIDDEN);
    // THEN nothing was made or changed
    assert_eq!(t.read(&acme, "/v1/email-templates").await["data"].as_array().unwrap().len(), 1);
    assert_eq!(t.read(&acme, "/v1/workflows").await["data"].as_array().unwrap().len(), 1);
    assert_eq!(t.read(&acme, &format!("/v1/workflows/{workflow}")).await["status"], "active");
    // AND with the token, pausing works and goes back to the page
    let csrf = browser.csrf().await;
    let paused = browser.post(&format!("/dashboard/email/workflows/{workflow}/pause"), &[("csrf", &csrf)]).await;
    assert_eq!(paused.status(), StatusCode::SEE_OTHER);
    assert_eq!(paused.headers()[LOCATION], "/dashboard/email?done=paused");
    assert_eq!(t.read(&acme, &format!("/v1/workflows/{workflow}")).await["status"], "paused");
    t.shutdown().await;
}

#[tokio::test]
async fn the_email_page_makes_templates_and_workflows_under_the_apis_rules_and_sends_a_test() {
    let t = TestStack::start().await;
    let acme = t.account("Acme", true).await;
    let mut browser = Browser::new(&t);
    browser.sign_in(&acme).await;
    let csrf = browser.csrf().await;
    // GIVEN no template and no sender: the page says what to do, with an example template
    let empty = browser.get("/dashboard/email").await.text().await.unwrap();
    assert!(empty.contains("no-templates") && empty.contains("no-sender") && empty.contains("email.fromAddress"));
    assert!(empty.contains("no-workflows") && empty.contains("contact.firstName"), "{empty}");
    // WHEN a template is created from the form
    let html = "<p>Hi {{ contact.firstName }} &amp; <b>{{ event.plan }}</b></p>";
    let form =
        [("csrf", csrf.as_str()), ("name", "Welcome <b>"), ("subject", "Welcome {{ event.plan }}"), ("html", html)];
    let created = browser.post("/dashboard/email/templates", &form).await;
    assert_eq!(created.status(), StatusCode::SEE_OTHER);
    let templates = t.read(&acme, "/v1/email-templates").await;
    let id = templates["data"][0]["id"].as_str().unwrap().to_owned();
    // THEN it is listed (its name escaped) and its editor previews it, the HTML sandboxed
    let page = browser.get("/dashboard/email?done=template").await.text().await.unwrap();
    assert!(page.contains(&id) && page.contains("Welcome &lt;b&gt;") && !page.contains("Welcome <b>"), "{page}");
    let editor_path = format!("/dashboard/email/templates/{id}");
    let editor = browser.get(&format!("{editor_path}?eventProperties=%7B%22plan%22%3A%22Gold%22%7D")).await;
    assert_eq!(editor.status(), 200);
    let editor = editor.text().await.unwrap();
    assert!(editor.contains("<td id=\"preview-subject\">Welcome Gold</td>"), "{editor}");
    assert!(editor.contains("sandbox=\"\""), "{editor}");
    // (the frame's HTML: under its own policy, styles and images only, sandboxed, framed only here)
    let frame = browser.get(&format!("{editor_path}/preview?eventProperties=%7B%22plan%22%3A%22%3Ci%3E%22%7D")).await;
    assert_eq!(frame.status(), 200);
    let csp = frame.headers()["content-security-policy"].to_str().unwrap().to_owned();
    assert!(csp.contains("default-src 'none'") && csp.contains("sandbox") && !csp.contains("script-src"), "{csp}");
    assert!(csp.contains("frame-ancestors 'self'"), "{csp}");
    assert_eq!(frame.headers()["x-frame-options"], "SAMEORIGIN");
    assert_eq!(frame.headers()["referrer-policy"], "same-origin");
    let frame = frame.text().await.unwrap();
    assert!(frame.contains("<b>&lt;i&gt;</b>") && !frame.contains("<b><i>"), "escaped as the API renders it: {frame}");
    // (an unsaved draft renders into the frame by the same code, and nothing is saved)
    let draft =
        [("csrf", csrf.as_str()), ("subject", "Draft"), ("html", "<p>Draft for {{ event.plan }}</p>"), ("text", "")];
    let framed = browser.post(&format!("{editor_path}/preview"), &draft).await;
    assert_eq!(
        (framed.status(), framed.headers()["x-frame-options"].to_str().unwrap()),
        (StatusCode::OK, "SAMEORIGIN")
    );
    assert!(framed.text().await.unwrap().contains("<p>Draft for Gold</p>"));
    let broken = [("csrf", csrf.as_str()), ("subject", "Draft"), ("html", "<p>\n{% if x %}</p>"), ("text", "")];
    let framed = browser.post(&format!("{editor_path}/preview"), &broken).await;
    assert_eq!(framed.status(), StatusCode::BAD_REQUEST);
    assert!(framed.text().await.unwrap().contains("line 2"));
    assert_ne!(
        t.read(&acme, &format!("/v1/email-templates/{id}")).await["subject"],
        "Draft",
        "a preview saves nothing"
    );
    let bad = browser.get(&format!("{editor_path}?eventProperties=nope")).await;
    assert_eq!(bad.status(), 400);
    assert!(bad.text().await.unwrap().contains("eventProperties must be a JSON object"));
    // WHEN a save does not parse THEN the API's 400 with its line shows, and nothing changes
    let broken = [
        ("csrf", csrf.as_str()),
        ("name", "Welcome"),
        ("subject", "Hi"),
        ("html", "<p>ok</p>\n{% if %}"),
        ("text", ""),
    ];
    let refused = browser.post(&editor_path, &broken).await;
    assert_eq!(refused.status(), StatusCode::BAD_REQUEST);
    let refused = refused.text().await.unwrap();
    assert!(refused.contains("html") && refused.contains("line 2"), "{refused}");
    assert!(refused.contains("{% if %}"), "the draft stays in the form: {refused}");
    assert_eq!(t.read(&acme, &format!("/v1/email-templates/{id}")).await["html"], html);
    // AND a good save is stored
    let good = [
        ("csrf", csrf.as_str()),
        ("name", "Welcome"),
        ("subject", "Hello"),
        ("html", "<p>Hello</p>"),
        ("text", "Hello!"),
    ];
    let saved = browser.post(&editor_path, &good).await;
    assert_eq!(saved.status(), StatusCode::SEE_OTHER);
    assert_eq!(t.read(&acme, &format!("/v1/email-templates/{id}")).await["text"], "Hello!");

    // WHEN a test is sent without a sending identity THEN the API's refusal shows
    let test = [("csrf", csrf.as_str()), ("email", "me@example.com")];
    let no_sender = browser.post(&format!("{editor_path}/send-test"), &test).await;
    assert_eq!(no_sender.status(), StatusCode::CONFLICT);
    assert!(no_sender.text().await.unwrap().contains("sender_not_configured"));
    // AND with one, it is sent and shows under Emails sent
    t.app().mailer().create_identity("dash.loop.test").await.unwrap();
    let patch = json!({"email": {"fromAddress": "hi@dash.loop.test"}});
    let patched = t.http.patch(t.url("/v1/account")).bearer_auth(&acme.api_key).json(&patch).send().await.unwrap();
    assert_eq!(patched.status(), 200);
    let sent = browser.post(&format!("{editor_path}/send-test"), &test).await;
    assert_eq!(sent.status(), StatusCode::SEE_OTHER);
    let location = sent.headers()[LOCATION].to_str().unwrap().to_owned();
    let email_id = location.split("sent=").nth(1).expect("the sent id").to_owned();
    assert!(email_id.starts_with("em_"), "{location}");
    assert!(browser.get(&location).await.text().await.unwrap().contains(&format!("Test email sent: {email_id}")));
    let listed = browser.get("/dashboard/email?email=me%40example.com").await.text().await.unwrap();
    assert!(listed.contains(&email_id) && listed.contains("transactional") && listed.contains("Hello"), "{listed}");
    assert!(t.ses_raw_messages().await.iter().any(|m| m.to_string().contains("me@example.com")));

    // WHEN a workflow's steps have a bad line THEN it is named, and nothing is made
    let flow = |steps: &'static str| {
        [("workflowName", "Onboarding"), ("eventName", "signup"), ("userGroup", ""), ("steps", steps)]
    };
    let mut bad = flow("wait 1h\nsend it").to_vec();
    bad.push(("csrf", &csrf));
    let refused = browser.post("/dashboard/email/workflows", &bad).await;
    assert_eq!(refused.status(), StatusCode::BAD_REQUEST);
    assert!(refused.text().await.unwrap().contains("steps, line 2"));
    assert_eq!(t.read(&acme, "/v1/workflows").await["data"], json!([]));
    // AND an unknown template is the API's refusal
    let mut unknown = flow("email et_nothing").to_vec();
    unknown.push(("csrf", &csrf));
    assert_eq!(browser.post("/dashboard/email/workflows", &unknown).await.status(), StatusCode::BAD_REQUEST);
    // AND good steps make it, summarized on the page
    let steps = format!("wait 1h\nemail {id}");
    let good = [
        ("csrf", csrf.as_str()),
        ("workflowName", "Onboarding"),
        ("eventName", "signup"),
        ("userGroup", "vip"),
        ("steps", steps.as_str()),
    ];
    assert_eq!(browser.post("/dashboard/email/workflows", &good).await.status(), StatusCode::SEE_OTHER);
    let workflow = &t.read(&acme, "/v1/workflows").await["data"][0];
    assert_eq!(workflow["steps"], json!([{"type": "wait", "seconds": 3600}, {"type": "email", "templateId": id}]));
    assert_eq!(workflow["audience"]["userGroup"], "vip");
    let page = browser.get("/dashboard/email").await.text().await.unwrap();
    assert!(page.contains("wait 1 h → email Welcome"), "{page}");
    let wf = workflow["id"].as_str().unwrap();
    let detail = browser.get(&format!("/dashboard/email/workflows/{wf}")).await;
    assert_eq!(detail.status(), 200);
    assert!(detail.text().await.unwrap().contains("no-runs"));
    // AND deleting it goes
    let deleted = browser.post(&format!("/dashboard/email/workflows/{wf}/delete"), &[("csrf", &csrf)]).await;
    assert_eq!(deleted.status(), StatusCode::SEE_OTHER);
    assert_eq!(t.read(&acme, "/v1/workflows").await["data"], json!([]));
    t.shutdown().await;
}

#[tokio::test]
async fn a_template_is_deleted_from_its_page_once_no_active_workflow_sends_it() {
    // GIVEN Acme's template, sent by an active workflow, and Globex's session
    let t = TestStack::start().await;
    let acme = t.account("Acme", true).await;
    let globex = t.account("Globex", true).await;
    let (template, workflow) = template_and_workflow(&t, &acme).await;
    let delete = format!("/dashboard/email/templates/{template}/delete");
    let mut other = Browser::new(&t);
    other.sign_in(&globex).await;
    let others_csrf = other.csrf().await;
    // WHEN another account's session posts the delete THEN it is a 404 page and the template stays
    assert_eq!(other.post(&delete, &[("csrf", &others_csrf)]).await.status(), 404);
    // WHEN Acme's session posts it without its token THEN it is refused
    let mut browser = Browser::new(&t);
    browser.sign_in(&acme).await;
    assert_eq!(browser.post(&delete, &[]).await.status(), StatusCode::FORBIDDEN);
    // WHEN with its token while the workflow sends it THEN the editor says why, with the API's 409
    let csrf = browser.csrf().await;
    let refused = browser.post(&delete, &[("csrf", &csrf)]).await;
    assert_eq!(refused.status(), StatusCode::CONFLICT);
    assert!(refused.text().await.unwrap().contains("template_in_use"));
    assert_eq!(t.read(&acme, &format!("/v1/email-templates/{template}")).await["id"], template.as_str());
    // WHEN the workflow is deleted and the template deleted again THEN it goes, and the page says so
    let gone = browser.post(&format!("/dashboard/email/workflows/{workflow}/delete"), &[("csrf", &csrf)]).await;
    assert_eq!(gone.status(), StatusCode::SEE_OTHER);
    let deleted = browser.post(&delete, &[("csrf", &csrf)]).await;
    assert_eq!(deleted.status(), StatusCode::SEE_OTHER);
    assert_eq!(deleted.headers()[LOCATION], "/dashboard/email?done=template-deleted");
    let after = t.get(&format!("/v1/email-templates/{template}"), &acme.api_key).send().await.unwrap();
    assert_eq!(after.status(), 404);
    let page = browser.get("/dashboard/email?done=template-deleted").await.text().await.unwrap();
    assert!(page.contains("Template deleted.") && !page.contains(&template), "{page}");
    t.shutdown().await;
}
