//! Each function's IAM policy in `template.yaml` allows every AWS action the function calls.
//! The emulator enforces no IAM, so a missing permission would only show once deployed (every
//! request a 500). Each test runs a function's work through its own entry point with clients
//! that record the operations they send, and checks them against that function's statements.

use std::collections::BTreeSet;
use std::time::{Duration, Instant};

use bytes::Bytes;
use loop_adapters::aws::{AwsClients, RequestCounts};
use loop_adapters::App;
use loop_capabilities::dispatch::{self, QueueMessage};
use loop_edge::edge::HttpFunction;
use loop_tests::receiver::Receiver;
use loop_tests::stripe::{event, ingest_directly, now, object};
use loop_tests::stripe_api::{prices, products, StripeStandIn, GOOD_KEY};
use loop_tests::{TestAccount, TestStack};
use serde_json::{json, Value};

/// The actions `function`'s policy statements allow, as written in the template.
fn allowed(function: &str) -> BTreeSet<String> {
    let path = format!("{}/../template.yaml", env!("CARGO_MANIFEST_DIR"));
    let template: serde_yaml::Value = serde_yaml::from_str(&std::fs::read_to_string(path).unwrap()).unwrap();
    let policies = &template["Resources"][function]["Properties"]["Policies"];
    let mut actions = BTreeSet::new();
    for policy in policies.as_sequence().unwrap_or_else(|| panic!("{function} has no Policies")) {
        for statement in policy["Statement"].as_sequence().unwrap() {
            assert_eq!(statement["Effect"].as_str(), Some("Allow"));
            match &statement["Action"] {
                serde_yaml::Value::String(one) => {
                    actions.insert(one.clone());
                }
                many => actions.extend(many.as_sequence().unwrap().iter().map(|a| a.as_str().unwrap().to_owned())),
            }
        }
    }
    actions
}

/// The IAM actions behind the operations `counts` recorded. SQS authorizes a batch call as its
/// single form; DynamoDB authorizes a transaction by the actions inside it, which the recorder
/// names (`PutItem`, `ConditionCheckItem`, ...) next to `TransactWriteItems`.
fn needed(counts: &RequestCounts) -> BTreeSet<String> {
    let dynamodb = counts.dynamodb.operations().into_iter().map(|op| format!("dynamodb:{op}"));
    let sqs = counts.sqs.operations().into_iter().map(|op| format!("sqs:{}", op.trim_end_matches("Batch")));
    let kms = counts.kms.operations().into_iter().map(|op| format!("kms:{op}"));
    let ses = counts.sesv2.operations().into_iter().map(|op| format!("ses:{op}"));
    dynamodb.chain(sqs).chain(kms).chain(ses).collect()
}

fn assert_allowed(function: &str, counts: &RequestCounts) {
    let needed = needed(counts);
    assert!(!needed.is_empty(), "{function}: the workload called nothing");
    let allowed = allowed(function);
    let missing: Vec<_> = needed.difference(&allowed).collect();
    assert!(missing.is_empty(), "{function} calls {missing:?}, which its policy does not allow (it calls {needed:?})");
}

/// An app on the stack's table and `config`'s queue whose AWS requests are recorded, recording
/// from now on (building it is a cold start, whose lookups the template's variables avoid).
async fn recorded(config: loop_ground::config::Config) -> (App, RequestCounts) {
    let (clients, counts) = AwsClients::counted(&config.aws).await;
    let app = App::with_clients(config, clients).await.unwrap();
    counts.reset();
    (app, counts)
}

fn api_request(account: &TestAccount, method: &str, path: &str, body: Option<Value>) -> http::Request<Bytes> {
    let builder = http::Request::builder()
        .method(method)
        .uri(path)
        .header("authorization", format!("Bearer {}", account.api_key));
    match body {
        Some(body) => builder
            .header("content-type", "application/json")
            .body(Bytes::from(serde_json::to_vec(&body).unwrap()))
            .unwrap(),
        None => builder.body(Bytes::new()).unwrap(),
    }
}

/// The checkout and email functions, each on clients of its own that record what it calls.
struct Api {
    checkout: App,
    email: App,
}

impl Api {
    /// `request` served as API Gateway serves it: by the function of its route, on its clients.
    async fn handle(&self, request: http::Request<Bytes>) -> http::Response<Bytes> {
        let function = loop_edge::edge::find(request.method(), request.uri().path()).expect("a route").function;
        let app = if function == HttpFunction::Email { &self.email } else { &self.checkout };
        // Boxed: a debug build keeps each request's future on the test's stack otherwise.
        Box::pin(function.handle(app, request)).await
    }
}

async fn call(api: &Api, account: &TestAccount, method: &str, path: &str, body: Option<Value>) -> Value {
    let response = api.handle(api_request(account, method, path, body)).await;
    let status = response.status();
    let body: Value = serde_json::from_slice(response.body()).unwrap_or(Value::Null);
    assert!(status.is_success(), "{method} {path}: {status} {body}");
    body
}

fn invoice(id: &str, status: &str) -> Value {
    object(
        "invoice",
        json!({"id": id, "status": status, "customer": "cus_iam", "customer_email": "iam@example.com",
               "amount_due": 2500, "currency": "usd", "due_date": now() - 3600, "parent": null, "subscription": null}),
    )
}

#[tokio::test]
async fn the_ingest_policy_allows_what_ingest_calls() {
    // GIVEN an account with an endpoint for everything, deleting contacts on customer.deleted
    let t = TestStack::start().await;
    let acme = t.account("Acme", true).await;
    t.store_endpoint(&acme, "https://hooks.example.com/all").await;
    let (app, counts) = recorded(t.app().config.clone()).await;
    let config = json!({"customerDeleted": "delete"});
    let put = t.http.put(t.url("/v1/integrations/stripe")).bearer_auth(&acme.api_key).json(&config).send().await;
    assert_eq!(put.unwrap().status(), 200);

    // WHEN every kind of effect is ingested: contacts, triggers, catalogue, transfers,
    // agreements, a duplicate and a deletion
    let t0 = now();
    let customer = object("customer", json!({"id": "cus_iam", "email": "iam@example.com", "name": "Ada Lovelace"}));
    let moved = object("customer", json!({"id": "cus_iam", "email": "moved@example.com", "name": "Ada Lovelace"}));
    let subscription = object("subscription", json!({"id": "sub_iam", "customer": "cus_iam"}));
    let events = [
        event("evt_iam_1", "customer.created", t0, customer.clone()),
        event("evt_iam_1", "customer.created", t0, customer),
        event("evt_iam_2", "customer.updated", t0 + 1, moved),
        event("evt_iam_3", "product.created", t0, object("product", json!({"id": "prod_iam", "name": "Gold"}))),
        event("evt_iam_4", "price.created", t0, object("price", json!({"id": "price_iam", "product": "prod_iam"}))),
        event("evt_iam_5", "invoice.finalized", t0, invoice("in_iam", "open")),
        event("evt_iam_6", "invoice.created", t0 - 1, invoice("in_iam", "draft")),
        event("evt_iam_7", "customer.subscription.created", t0, subscription.clone()),
        event("evt_iam_8", "customer.subscription.deleted", t0 + 2, subscription),
        event("evt_iam_9", "price.deleted", t0 + 3, object("price", json!({"id": "price_iam", "product": "prod_iam"}))),
        event(
            "evt_iam_10",
            "customer.deleted",
            t0 + 4,
            object("customer", json!({"id": "cus_iam", "email": "moved@example.com"})),
        ),
    ];
    for event in &events {
        let (status, answer) = ingest_directly(&app, &acme, event).await;
        assert_eq!(status, 200, "{}: {answer}", event["type"]);
    }

    // THEN the stripe-ingest policy allows every action that took
    assert_allowed("StripeIngestFunction", &counts);
    t.shutdown().await;
}

#[tokio::test]
async fn the_api_policy_allows_what_the_api_calls() {
    // GIVEN an account with a catalogue item, and a Stripe stand-in to connect to
    let stand_in = StripeStandIn::start(products(2, 1_700_000_000), prices(2, 2, 1_700_000_000)).await;
    let t = TestStack::start_with(&[
        ("LOOP_STRIPE_API_BASE", &stand_in.uri()),
        ("LOOP_PUBLIC_BASE_URL", "https://loop.example.test"),
        ("LOOP_ALLOW_PRIVATE_ENDPOINTS", "1"),
    ])
    .await;
    let acme = t.account("Acme", true).await;
    let product = object("product", json!({"id": "prod_api", "name": "Gold"}));
    t.send_stripe(&acme, &event("evt_api_1", "product.created", now(), product)).await;
    let price = object("price", json!({"id": "price_api", "product": "prod_api"}));
    t.send_stripe(&acme, &event("evt_api_2", "price.created", now(), price)).await;
    t.send_stripe(&acme, &event("evt_api_3", "invoice.finalized", now(), invoice("in_api", "open"))).await;
    // Connecting queues a backfill on the queue: a queue of its own, which no poller reads.
    let config = t.config_with_own_queue("iam-api").await;
    let (checkout, counts) = recorded(config.clone()).await;
    let (email, email_counts) = recorded(config).await;
    let app = &Api { checkout, email };

    // WHEN the API's routes are called, each by its function: reads, writes, idempotent writes,
    // test helpers, the hosted page, connecting Stripe, and the contacts and email routes
    call(app, &acme, "GET", "/v1/account", None).await;
    call(app, &acme, "PATCH", "/v1/account", Some(json!({"supportEmail": "help@acme.example"}))).await;
    t.app().mailer().create_identity("iam.loop.test").await.unwrap();
    call(app, &acme, "PATCH", "/v1/account", Some(json!({"email": {"fromAddress": "hi@iam.loop.test"}}))).await;
    let template = json!({"name": "Hi", "subject": "Hi {{ contact.firstName }}", "html": "<p>Hi</p>"});
    let template = call(app, &acme, "POST", "/v1/email-templates", Some(template)).await;
    let template_path = format!("/v1/email-templates/{}", template["id"].as_str().unwrap());
    call(app, &acme, "GET", "/v1/email-templates", None).await;
    call(app, &acme, "PATCH", &template_path, Some(json!({"text": "Hi"}))).await;
    call(app, &acme, "POST", &format!("{template_path}/preview"), None).await;
    let send = json!({"transactionalId": template["id"], "email": "iam-tx@example.com", "addToAudience": true});
    let sent = call(app, &acme, "POST", "/v1/transactional", Some(send)).await;
    assert_eq!(sent["success"], true, "{sent}");
    call(app, &acme, "GET", &format!("/v1/emails/{}", sent["id"].as_str().unwrap()), None).await;
    call(app, &acme, "GET", "/v1/emails?email=iam-tx@example.com", None).await;
    call(app, &acme, "DELETE", &template_path, None).await;
    call(app, &acme, "PUT", "/v1/integrations/stripe", Some(json!({"customerDeleted": "unsubscribe"}))).await;
    call(app, &acme, "GET", "/v1/integrations/stripe", None).await;
    let endpoint = call(
        app,
        &acme,
        "POST",
        "/v1/webhook-endpoints",
        Some(json!({"url": "http://127.0.0.1:9/x", "events": ["*"]})),
    )
    .await;
    let endpoint_path = format!("/v1/webhook-endpoints/{}", endpoint["id"].as_str().unwrap());
    call(app, &acme, "GET", "/v1/webhook-endpoints", None).await;
    call(app, &acme, "PATCH", &endpoint_path, Some(json!({"description": "all"}))).await;
    call(app, &acme, "POST", &format!("{endpoint_path}/rotate-secret"), None).await;
    let item = &call(app, &acme, "GET", "/v1/items", None).await["data"][0];
    call(app, &acme, "GET", &format!("/v1/items/{}", item["itemId"].as_str().unwrap()), None).await;
    let mut link_request =
        api_request(&acme, "POST", "/v1/payment-links", Some(json!({"name": "Gold", "itemId": item["itemId"]})));
    link_request.headers_mut().insert("idempotency-key", "iam-link".parse().unwrap());
    let link = app.handle(link_request).await;
    assert_eq!(link.status(), 201, "{:?}", link.body());
    let link: Value = serde_json::from_slice(link.body()).unwrap();
    call(app, &acme, "GET", "/v1/payment-links", None).await;
    let session = call(app, &acme, "POST", "/v1/checkout-sessions", Some(json!({"paymentLinkId": link["id"]}))).await;
    let session_id = session["id"].as_str().unwrap();
    let page = app.handle(api_request(&acme, "GET", &format!("/checkout/{session_id}"), None)).await;
    assert_eq!(page.status(), 200);
    call(app, &acme, "POST", &format!("/v1/test-helpers/checkout-sessions/{session_id}/complete"), Some(json!({})))
        .await;
    call(app, &acme, "GET", "/v1/checkout-sessions", None).await;
    let transfer = &call(app, &acme, "GET", "/v1/transfers", None).await["data"][0];
    let process = format!("/v1/test-helpers/transfers/{}/process", transfer["id"].as_str().unwrap());
    call(app, &acme, "POST", &process, Some(json!({"success": true, "transaction": "0xabc"}))).await;
    for list in [
        "/v1/contacts",
        "/v1/contacts?email=iam@example.com",
        "/v1/contact-events?email=iam@example.com",
        "/v1/agreements",
        "/v1/events",
    ] {
        call(app, &acme, "GET", list, None).await;
    }
    // The contacts and events API: create, upsert by userId, an event, read and delete by id.
    let contact = json!({"email": "api@example.com", "userId": "iam-1", "plan": "pro"});
    let contact_id = call(app, &acme, "POST", "/v1/contacts", Some(contact)).await["id"].as_str().unwrap().to_owned();
    call(app, &acme, "PUT", "/v1/contacts", Some(json!({"userId": "iam-1", "firstName": "Ia"}))).await;
    call(app, &acme, "POST", "/v1/contact-events", Some(json!({"userId": "iam-1", "eventName": "signup"}))).await;
    call(app, &acme, "GET", &format!("/v1/contacts/{contact_id}"), None).await;
    call(app, &acme, "DELETE", &format!("/v1/contacts/{contact_id}"), None).await;
    let published = &call(app, &acme, "GET", "/v1/events", None).await["data"][0];
    let event_path = format!("/v1/events/{}", published["id"].as_str().unwrap());
    call(app, &acme, "GET", &event_path, None).await;
    call(app, &acme, "POST", &format!("{event_path}/redeliver"), None).await;
    call(app, &acme, "POST", "/v1/dashboard-links", None).await;
    call(app, &acme, "DELETE", &endpoint_path, None).await;
    call(app, &acme, "POST", "/v1/integrations/stripe/connect", Some(json!({"restrictedKey": GOOD_KEY}))).await;

    // THEN each function's policy allows every action its share took
    assert_allowed("CheckoutFunction", &counts);
    assert_allowed("EmailFunction", &email_counts);
    t.shutdown().await;
}

/// A dashboard request: a form post when `form` is given, with the session cookie if any.
fn page_request(path: &str, cookie: Option<&str>, form: Option<&str>) -> http::Request<Bytes> {
    let mut builder = http::Request::builder().uri(path).header("host", "127.0.0.1");
    if let Some(cookie) = cookie {
        builder = builder.header("cookie", cookie);
    }
    match form {
        Some(form) => builder
            .method("POST")
            .header("content-type", "application/x-www-form-urlencoded")
            .body(Bytes::from(form.to_owned()))
            .unwrap(),
        None => builder.method("GET").body(Bytes::new()).unwrap(),
    }
}

#[tokio::test]
async fn the_dashboard_policy_allows_what_the_dashboard_calls() {
    // GIVEN an account with a published event and a sign-in link
    let t = TestStack::start_with(&[("LOOP_ALLOW_PRIVATE_ENDPOINTS", "1")]).await;
    let acme = t.account("Acme", true).await;
    t.create_endpoint(&acme, "http://127.0.0.1:9/x", &["*"]).await;
    let customer = object("customer", json!({"id": "cus_iam", "email": "iam@example.com", "name": "Ada"}));
    assert_eq!(t.send_stripe(&acme, &event("evt_iam_d", "customer.created", now(), customer)).await.0, 200);
    let account = loop_ground::ids::AccountId::parse(&acme.id).unwrap();
    let link = loop_capabilities::dashboard::create_link(&t.app().store, t.app().clock.as_ref(), &account, true, 60)
        .await
        .unwrap();
    let (app, counts) = recorded(t.app().config.clone()).await;
    let app = &app;

    // WHEN a merchant signs in with it and with a key, uses every page and action, and signs out
    let page = |path: &str, cookie: Option<&str>, form: Option<&str>| {
        let request = page_request(path, cookie, form);
        async move { loop_edge::dashboard::handle(app, request).await }
    };
    let signed_in = page(&format!("/dashboard/link/{}", link.token), None, Some("")).await;
    assert_eq!(signed_in.status(), 303);
    let cookie = signed_in.headers()["set-cookie"].to_str().unwrap().split(';').next().unwrap().to_owned();
    let cookie = Some(cookie.as_str());
    let by_key = page("/dashboard/login", None, Some(&format!("apiKey={}", acme.api_key))).await;
    assert_eq!(by_key.status(), 303);
    let html = String::from_utf8(page("/dashboard/webhooks", cookie, None).await.body().to_vec()).unwrap();
    let at = html.find("name=\"csrf\" value=\"").unwrap() + 19;
    let csrf = html[at..].split('"').next().unwrap().to_owned();
    let created =
        page("/dashboard/webhooks", cookie, Some(&format!("csrf={csrf}&url=http%3A%2F%2F127.0.0.1%3A9%2Fy&events=*")))
            .await;
    assert_eq!(created.status(), 200);
    let endpoints = t.read(&acme, "/v1/webhook-endpoints").await;
    let endpoint = endpoints["data"][0]["id"].as_str().unwrap().to_owned();
    for action in ["disable", "enable", "rotate-secret"] {
        let answer =
            page(&format!("/dashboard/webhooks/{endpoint}/{action}"), cookie, Some(&format!("csrf={csrf}"))).await;
        assert!(answer.status().is_success() || answer.status().is_redirection(), "{action}: {}", answer.status());
    }
    let events = t.read(&acme, "/v1/events").await;
    let event_id = events["data"][0]["id"].as_str().unwrap().to_owned();
    for path in
        ["/dashboard", "/dashboard/events", "/dashboard/audience", "/dashboard/audience?email=iam%40example.com"]
    {
        assert_eq!(page(path, cookie, None).await.status(), 200, "{path}");
    }
    assert_eq!(page(&format!("/dashboard/events/{event_id}"), cookie, None).await.status(), 200);
    assert_eq!(page("/dashboard/stripe", cookie, None).await.status(), 200);
    let stripe_form =
        format!("csrf={csrf}&enabled.customer.created=on&eventName.customer.created=&userGroup.customer.created=vip");
    assert_eq!(page("/dashboard/stripe", cookie, Some(&stripe_form)).await.status(), 303);
    let link_form = format!("csrf={csrf}&name=Gold&amount=10.00&currency=USDC");
    assert_eq!(page("/dashboard/payments", cookie, Some(&link_form)).await.status(), 303);
    let link = t.read(&acme, "/v1/payment-links").await["data"][0]["id"].as_str().unwrap().to_owned();
    for action in ["session", "deactivate", "activate"] {
        let answer =
            page(&format!("/dashboard/payment-links/{link}/{action}"), cookie, Some(&format!("csrf={csrf}"))).await;
        assert_eq!(answer.status(), 303, "{action}");
    }
    assert_eq!(page("/dashboard/payments", cookie, None).await.status(), 200);
    assert_eq!(page("/dashboard/payments?status=open", cookie, None).await.status(), 200);
    assert_eq!(page("/dashboard/settings", cookie, None).await.status(), 200);
    let settings_form = format!("csrf={csrf}&supportEmail=help%40acme.test");
    assert_eq!(page("/dashboard/settings", cookie, Some(&settings_form)).await.status(), 303);
    assert_eq!(page("/dashboard/contact?email=iam%40example.com", cookie, None).await.status(), 200);
    let redelivered =
        page(&format!("/dashboard/events/{event_id}/redeliver"), cookie, Some(&format!("csrf={csrf}"))).await;
    assert_eq!(redelivered.status(), 303);
    assert_eq!(page("/dashboard/transfers", cookie, None).await.status(), 200);
    let tested =
        page(&format!("/dashboard/webhooks/{endpoint}/send-test"), cookie, Some(&format!("csrf={csrf}"))).await;
    assert_eq!(tested.status(), 303);
    // An API key made and revoked, and a session signed in with a key read on its next request
    let made = page("/dashboard/keys", cookie, Some(&format!("csrf={csrf}"))).await;
    assert_eq!(made.status(), 200);
    let keys = loop_capabilities::accounts::list_keys(&t.app().store, &account).await.unwrap();
    let new_key = keys.iter().find(|k| k.key_id != acme.key_id).unwrap().key_id.clone();
    let revoked = page(&format!("/dashboard/keys/{new_key}/revoke"), cookie, Some(&format!("csrf={csrf}"))).await;
    assert_eq!(revoked.status(), 303);
    let key_cookie = by_key.headers()["set-cookie"].to_str().unwrap().split(';').next().unwrap().to_owned();
    assert_eq!(page("/dashboard/settings", Some(&key_cookie), None).await.status(), 200);
    // The sender set on Settings (SES is asked whether it is verified), and a template's test
    // email sent from its page (SES sends it)
    t.app().mailer().create_identity("iam.loop.test").await.unwrap();
    let sender_form = format!("csrf={csrf}&section=email&fromAddress=hello%40iam.loop.test&fromName=Acme");
    assert_eq!(page("/dashboard/settings", cookie, Some(&sender_form)).await.status(), 303);
    let template_form = format!("csrf={csrf}&name=Hi&subject=Hi&html=%3Cp%3EHi%3C%2Fp%3E");
    assert_eq!(page("/dashboard/email/templates", cookie, Some(&template_form)).await.status(), 303);
    let template = t.read(&acme, "/v1/email-templates").await["data"][0]["id"].as_str().unwrap().to_owned();
    let test_form = format!("csrf={csrf}&email=ada%40example.com");
    let sent = page(&format!("/dashboard/email/templates/{template}/send-test"), cookie, Some(&test_form)).await;
    assert_eq!(sent.status(), 303, "the test email is sent");
    assert!(counts.sesv2.operations().contains("SendEmail"), "{:?}", counts.sesv2.operations());
    assert_eq!(page("/dashboard/logout", cookie, Some(&format!("csrf={csrf}"))).await.status(), 303);

    // THEN the dashboard function's policy allows every action that took
    assert_allowed("DashboardFunction", &counts);
    t.shutdown().await;
}

#[tokio::test]
async fn the_dispatch_policy_allows_what_dispatch_calls() {
    // GIVEN deliveries that succeed and fail, and a catalogue backfill, queued on a queue of
    // their own that this test drains as the event source would
    let stand_in = StripeStandIn::start(products(3, 1_700_000_000), prices(3, 3, 1_700_000_000)).await;
    let t = TestStack::start_with(&[
        ("LOOP_ALLOW_PRIVATE_ENDPOINTS", "1"),
        ("LOOP_STRIPE_API_BASE", &stand_in.uri()),
        ("LOOP_PUBLIC_BASE_URL", "https://loop.example.test"),
        ("LOOP_BACKFILL_PAGES_PER_RUN", "1"),
    ])
    .await;
    let acme = t.account("Acme", true).await;
    let ok = Receiver::start(0).await;
    let failing = Receiver::start(usize::MAX).await;
    t.create_endpoint(&acme, &ok.url, &["contact.created"]).await;
    t.create_endpoint(&acme, &failing.url, &["contact.created"]).await;
    let config = t.config_with_own_queue("iam-dispatch").await;
    let (setup, _) = recorded(config.clone()).await;
    let created = event("evt_dsp", "customer.created", now(), object("customer", json!({"email": "d@example.com"})));
    assert_eq!(ingest_directly(&setup, &acme, &created).await.0, 200);
    let connect =
        api_request(&acme, "POST", "/v1/integrations/stripe/connect", Some(json!({"restrictedKey": GOOD_KEY})));
    assert_eq!(loop_edge::api::handle_checkout(&setup, connect).await.status(), 200);
    let source = AwsClients::new(&config.aws).await.sqs;
    let (app, counts) = recorded(config).await;

    // WHEN dispatch handles what arrives until the backfill ends and both endpoints were tried
    let deadline = Instant::now() + Duration::from_secs(60);
    loop {
        let integration = t.read(&acme, "/v1/integrations/stripe").await;
        if integration["backfill"]["status"] == "completed"
            && !ok.received().is_empty()
            && !failing.received().is_empty()
        {
            break;
        }
        assert!(Instant::now() < deadline, "dispatch did not finish: {integration}");
        let received = source.receive_message().queue_url(app.queue.url()).max_number_of_messages(10);
        let messages = received.wait_time_seconds(1).send().await.unwrap().messages.unwrap_or_default();
        let batch = messages
            .iter()
            .map(|m| QueueMessage {
                sent_at_millis: None,
                message_id: m.message_id().unwrap().to_owned(),
                body: m.body().unwrap().to_owned(),
            })
            .collect();
        dispatch::handle_batch(&app, batch).await;
    }

    // THEN the dispatch function's policy allows every action that took (the event source
    // mapping receives and deletes, with permissions SAM adds; here a separate client did)
    assert!(needed(&counts).contains("kms:Decrypt"), "the backfill opened the sealed key");
    assert_allowed("DispatchFunction", &counts);
    t.shutdown().await;
}

#[tokio::test]
async fn the_late_payments_policy_allows_what_the_schedule_calls() {
    // GIVEN an overdue transfer with an endpoint for late payments, and an open checkout session
    let t = TestStack::start().await;
    let acme = t.account("Acme", true).await;
    t.store_endpoint(&acme, "https://hooks.example.com/late").await;
    t.send_stripe(&acme, &event("evt_late", "invoice.finalized", now(), invoice("in_late", "open"))).await;
    let link =
        t.post_json(&acme, "/v1/payment-links", &json!({"name": "Gold", "amount": "5.00", "currency": "USD"})).await;
    t.post_json(&acme, "/v1/checkout-sessions", &json!({"paymentLinkId": link.1["id"]})).await;
    let mut config = t.app().config.clone();
    // A day later: the session has expired, the transfer is long overdue.
    config.clock_offset_seconds = 2 * 86_400;
    let (app, counts) = recorded(config).await;

    // WHEN the scheduler runs
    let report = loop_capabilities::schedule::run(&app).await.unwrap();
    assert_eq!(report.late_payments, 1, "{report:?}");

    // THEN the late-payments function's policy allows every action that took
    assert_allowed("LatePaymentsFunction", &counts);
    t.shutdown().await;
}
