//! Tenant isolation, swept over the OpenAPI document: every `/v1` route is called with another
//! account's key and this account's ids. Routes naming a record answer `404`; lists and
//! creations answer for the caller's own account only; no answer ever carries this account's
//! ids, emails or secrets, and nothing of this account changes.

use loop_tests::stripe::{event, now, object};
use loop_tests::{TestAccount, TestStack};
use serde_json::{json, Value};

/// What account A owns, by the name of the route segment that addresses it.
struct Owned {
    ids: Vec<(&'static str, String)>,
    /// Strings of A that must never appear in an answer to B.
    secrets: Vec<String>,
}

impl Owned {
    fn id(&self, resource: &str) -> &str {
        &self.ids.iter().find(|(r, _)| *r == resource).unwrap_or_else(|| panic!("no {resource} of A")).1
    }
}

async fn created_id(t: &TestStack, account: &TestAccount, path: &str, body: Value) -> String {
    let (status, answer) = t.post_json(account, path, &body).await;
    assert_eq!(status, 201, "{path}: {answer}");
    answer["id"].as_str().unwrap().to_owned()
}

async fn first_id(t: &TestStack, account: &TestAccount, path: &str, field: &str) -> String {
    let list = t.read(account, path).await;
    list["data"][0][field].as_str().unwrap_or_else(|| panic!("{path} is empty: {list}")).to_owned()
}

/// Gives A one of everything.
async fn populate(t: &TestStack, a: &TestAccount) -> Owned {
    let stripe = [
        ("customer.created", object("customer", json!({"id": "cus_iso", "email": "secret-contact@acme.test"}))),
        ("product.created", object("product", json!({"id": "prod_iso", "name": "Acme Secret Plan"}))),
        ("price.created", object("price", json!({"id": "price_iso", "product": "prod_iso"}))),
        (
            "invoice.created",
            object(
                "invoice",
                json!({"id": "in_iso", "customer_email": "secret-contact@acme.test", "status": "open",
                "amount_due": 4200, "currency": "usd", "due_date": now() + 86_400, "parent": null, "subscription": null}),
            ),
        ),
        ("customer.subscription.created", object("subscription", json!({"id": "sub_iso", "customer": "cus_iso"}))),
    ];
    for (i, (kind, object)) in stripe.into_iter().enumerate() {
        let (status, answer) = t.send_stripe(a, &event(&format!("evt_iso_{i}"), kind, now(), object)).await;
        assert_eq!(status, 200, "{kind}: {answer}");
    }
    let item = first_id(t, a, "/v1/items", "itemId").await;
    let link = created_id(t, a, "/v1/payment-links", json!({"name": "Acme link", "itemId": item})).await;
    let session = created_id(t, a, "/v1/checkout-sessions", json!({"paymentLinkId": link})).await;
    let (status, endpoint) = t
        .post_json(a, "/v1/webhook-endpoints", &json!({"url": "https://hooks.acme.test/secret", "events": ["*"]}))
        .await;
    assert_eq!(status, 201, "{endpoint}");
    let template = json!({"name": "Acme Secret Template", "subject": "Hi", "html": "<p>Hi</p>"});
    let template = created_id(t, a, "/v1/email-templates", template).await;
    t.app().mailer().create_identity("acme-iso.loop.test").await.unwrap();
    let sender = json!({"email": {"fromAddress": "hi@acme-iso.loop.test"}});
    let response = t.http.patch(t.url("/v1/account")).bearer_auth(&a.api_key).json(&sender).send().await.unwrap();
    assert_eq!(response.status(), 200);
    let (status, sent) = t
        .post_json(a, "/v1/transactional", &json!({"transactionalId": template, "email": "secret-contact@acme.test"}))
        .await;
    assert_eq!((status, &sent["success"]), (200, &json!(true)), "{sent}");
    let workflow = json!({"name": "Acme Secret Workflow", "trigger": {"eventName": "signed_up"},
                          "steps": [{"type": "email", "templateId": template}]});
    let workflow = created_id(t, a, "/v1/workflows", workflow).await;
    Owned {
        ids: vec![
            ("workflows", workflow.clone()),
            ("email-templates", template.clone()),
            ("emails", sent["id"].as_str().unwrap().to_owned()),
            ("payment-links", link.clone()),
            ("checkout-sessions", session.clone()),
            ("webhook-endpoints", endpoint["id"].as_str().unwrap().to_owned()),
            ("events", first_id(t, a, "/v1/events", "id").await),
            ("items", item.clone()),
            ("transfers", first_id(t, a, "/v1/transfers", "id").await),
            ("agreements", first_id(t, a, "/v1/agreements", "id").await),
            ("contacts", first_id(t, a, "/v1/contacts", "id").await),
        ],
        secrets: vec![
            a.id.clone(),
            a.api_key.clone(),
            a.signing_secret.clone(),
            endpoint["secret"].as_str().unwrap().to_owned(),
            "secret-contact@acme.test".to_owned(),
            "Acme Secret Plan".to_owned(),
            "hooks.acme.test".to_owned(),
            item,
            link,
            session,
            template,
            "Acme Secret Template".to_owned(),
            workflow,
            "Acme Secret Workflow".to_owned(),
        ],
    }
}

/// A valid body for each operation that takes one, naming A's records where a body can.
fn body_for(path: &str, method: &str, a: &Owned) -> Option<Value> {
    Some(match (path, method) {
        ("/v1/account", "patch") => json!({"supportEmail": "help@rival.test"}),
        ("/v1/integrations/stripe", "put") => json!({"customerDeleted": "delete"}),
        ("/v1/integrations/stripe/connect", "post") => json!({"restrictedKey": "pk_test_not_a_restricted_key_000"}),
        ("/v1/payment-links", "post") => json!({"name": "Stolen", "itemId": a.id("items")}),
        ("/v1/payment-links/{id}", "patch") => json!({"active": false}),
        ("/v1/checkout-sessions", "post") => json!({"paymentLinkId": a.id("payment-links")}),
        ("/v1/webhook-endpoints", "post") => json!({"url": "https://hooks.rival.test/x", "events": ["*"]}),
        ("/v1/webhook-endpoints/{id}", "patch") => json!({"description": "hijacked"}),
        ("/v1/events/{id}/redeliver", "post") => json!({"endpointId": a.id("webhook-endpoints")}),
        ("/v1/test-helpers/transfers/{id}/process", "post") => json!({"success": true, "transaction": "0xabc"}),
        // B's own contacts (same-email isolation: contacts_api.rs).
        ("/v1/contacts", "post") => json!({"email": "mallory@rival.test", "firstName": "Mallory"}),
        ("/v1/contacts", "put") => json!({"email": "trudy@rival.test", "firstName": "Trudy"}),
        ("/v1/email-templates", "post") => json!({"name": "Rival's", "subject": "Hi", "html": "<p>Hi</p>"}),
        ("/v1/email-templates/{id}", "patch") => json!({"name": "hijacked"}),
        ("/v1/transactional", "post") => json!({"transactionalId": a.id("email-templates"), "email": "eve@rival.test"}),
        ("/v1/workflows", "post") => json!({"name": "Rival's", "trigger": {"eventName": "x"},
                                            "steps": [{"type": "email", "templateId": a.id("email-templates")}]}),
        ("/v1/workflows/{id}", "patch") => json!({"status": "paused"}),
        ("/v1/contact-events", "post") => json!({"email": "eve@rival.test", "eventName": "stolen"}),
        (_, "post") => json!({}),
        _ => return None,
    })
}

/// The status B must get for `method path` with A's ids.
fn expected_status(path: &str, method: &str) -> u16 {
    match (path, method) {
        // Records named in the path, or in the body, are not found.
        (p, _) if p.contains("{id}") => 404,
        ("/v1/payment-links", "post") | ("/v1/checkout-sessions", "post") | ("/v1/transactional", "post") => 404,
        // The connect route refuses a publishable key before anything else.
        ("/v1/integrations/stripe/connect", "post") => 400,
        // A's template, named in a step, does not exist for B.
        ("/v1/workflows", "post") => 400,
        ("/v1/webhook-endpoints", "post") | ("/v1/contacts", "post") | ("/v1/email-templates", "post") => 201,
        // A sign-in link to the caller's own dashboard.
        ("/v1/dashboard-links", "post") => 201,
        // Lists, the caller's own account and configuration.
        _ => 200,
    }
}

#[tokio::test]
async fn every_route_with_another_accounts_ids_answers_404_or_the_callers_own_data() {
    let t = TestStack::start_with(&[("LOOP_ALLOW_PRIVATE_ENDPOINTS", "1")]).await;
    let a = t.account("Acme", true).await;
    let b = t.account("Rival", true).await;
    let owned = populate(&t, &a).await;
    let before: Vec<Value> = snapshot(&t, &a, &owned).await;

    let document: Value = serde_json::from_str(loop_edge::api::OPENAPI).unwrap();
    let mut calls = 0;
    for (template, operations) in document["paths"].as_object().unwrap() {
        // The customer's payment routes take no key: their id is the capability (another
        // account's session id pays into that session, by design; chain_payments.rs shows that
        // another account's treasury pays nothing here).
        if !template.starts_with("/v1/") {
            continue;
        }
        for method in operations.as_object().unwrap().keys() {
            let mut path = template.clone();
            if template.contains("{id}") {
                let resource = template.replace("/test-helpers", "");
                let resource = resource.split('/').nth(2).unwrap();
                path = path.replace("{id}", owned.id(resource));
            }
            if template == "/v1/contacts" || template == "/v1/contact-events" || template == "/v1/emails" {
                path = format!("{path}?email=secret-contact@acme.test");
            }
            let mut request =
                t.http.request(method.to_uppercase().parse().unwrap(), t.url(&path)).bearer_auth(&b.api_key);
            if let Some(body) = body_for(template, method, &owned) {
                request = request.json(&body);
            }
            let response = request.send().await.unwrap();
            let status = response.status().as_u16();
            let text = response.text().await.unwrap();
            let expected = expected_status(template, method);
            assert_eq!(status, expected, "{method} {template} as another account: {text}");
            for secret in &owned.secrets {
                assert!(!text.contains(secret.as_str()), "{method} {template} leaked {secret}: {text}");
            }
            calls += 1;
        }
    }
    assert_eq!(calls, 56, "the document's 56 operations were all tried");
    assert_eq!(snapshot(&t, &a, &owned).await, before, "nothing of A changed");
    t.shutdown().await;
}

/// A's records as A reads them.
async fn snapshot(t: &TestStack, a: &TestAccount, owned: &Owned) -> Vec<Value> {
    let mut views = vec![t.read(a, "/v1/account").await, t.read(a, "/v1/integrations/stripe").await];
    for (resource, id) in &owned.ids {
        let mut view = t.read(a, &format!("/v1/{resource}/{id}")).await;
        // Reading an event shows its delivery attempts, which go on in the background.
        if *resource == "events" {
            view = view["id"].clone();
        }
        views.push(view);
    }
    for list in ["/v1/webhook-endpoints", "/v1/payment-links", "/v1/checkout-sessions", "/v1/contacts"] {
        views.push(t.read(a, list).await);
    }
    views
}
