//! The dashboard in a real browser: headless Chromium (Debian's package) driven by
//! `tests/browser/dashboard.mjs` (playwright-core). The test starts a stack and a webhook
//! receiver, hands the driver a one-time link, and plays Stripe when the driver has made its
//! endpoint; the driver answers what the pages showed.
//!
//! A browser test that cannot start its browser fails: it proves nothing by passing.

use std::path::Path;
use std::process::Stdio;
use std::time::Duration;

use loop_tests::browser::{driver_dir, install_driver, CHROMIUM};
use loop_tests::receiver::{verify_with_standard_webhooks, Receiver};
use loop_tests::stripe::{event, now, object};
use loop_tests::TestStack;
use serde_json::{json, Value};
use tokio::io::{AsyncBufReadExt, AsyncReadExt, BufReader};
use tokio::process::Command;

#[tokio::test]
async fn a_merchant_signs_in_sets_a_stripe_event_makes_an_endpoint_sees_the_contact_and_its_delivery_redelivers_tests_sells_writes_an_email_makes_and_revokes_a_key_and_signs_out(
) {
    // GIVEN a stack, a test-mode account, a receiver for its webhooks and a sign-in link
    let t = TestStack::start_with(&[("LOOP_ALLOW_PRIVATE_ENDPOINTS", "1")]).await;
    let acme = t.account("Acme Coffee", true).await;
    let receiver = Receiver::start(0).await;
    let (status, link) = t.post_json(&acme, "/v1/dashboard-links", &json!({})).await;
    assert_eq!(status, 201, "{link}");
    let link = link["url"].as_str().unwrap().to_owned();
    assert!(link.starts_with(&t.url("/dashboard/link/")), "{link}");
    let email = "jenny.rosen@example.com";

    // WHEN the driver signs in and makes an endpoint
    install_driver();
    let args = json!({"link": link, "endpointUrl": receiver.url, "email": email, "userGroup": "browser", "chromium": CHROMIUM});
    let mut child = Command::new("node")
        .arg(driver_dir().join("dashboard.mjs"))
        .arg(args.to_string())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .kill_on_drop(true)
        .spawn()
        .expect("node runs (the browser tests need Node.js)");
    let mut lines = BufReader::new(child.stdout.take().unwrap()).lines();
    let first = tokio::time::timeout(Duration::from_secs(60), lines.next_line())
        .await
        .expect("the driver says something within a minute")
        .unwrap()
        .unwrap_or_default();
    let endpoint: Value = serde_json::from_str(&first).unwrap_or_else(|_| panic!("not JSON: {first}"));
    assert_eq!(endpoint["event"], "endpoint", "the driver ended early: {endpoint}");
    let secret = endpoint["secret"].as_str().unwrap().to_owned();

    // AND Stripe tells Loop about a new customer
    let customer = object("customer", json!({"id": "cus_dash", "email": email, "name": "Jenny Rosen"}));
    assert_eq!(t.send_stripe(&acme, &event("evt_dash_1", "customer.created", now(), customer)).await.0, 200);

    // THEN the driver sees the contact, the event and its delivery, redelivers and signs out
    let mut last = String::new();
    let read = async {
        while let Some(line) = lines.next_line().await.unwrap() {
            last = line;
        }
    };
    tokio::time::timeout(Duration::from_secs(120), read).await.expect("the driver ends within two minutes");
    let exit = child.wait().await.unwrap();
    let mut stderr = String::new();
    child.stderr.take().unwrap().read_to_string(&mut stderr).await.unwrap();
    let answer: Value =
        serde_json::from_str(&last).unwrap_or_else(|_| panic!("no JSON answer ({exit}): {last}\nstderr: {stderr}"));
    assert!(answer["ok"] == true && exit.success(), "the driver failed: {answer}\nstderr: {stderr}");
    assert_eq!(answer["testBadge"], true, "{answer}");
    assert_eq!(answer["savedGroup"], "browser", "{answer}");
    assert_eq!(answer["group"], "browser", "the contact took the user group set on the Stripe page");
    let integration = t.read(&acme, "/v1/integrations/stripe").await;
    assert_eq!(integration["events"]["customer.created"]["userGroup"], "browser", "{integration}");
    assert_eq!(answer["chart"], true, "{answer}");
    assert!(secret.starts_with("whsec_"), "{answer}");
    assert_eq!(answer["shown"], json!(secret), "the copy button copies the secret shown");
    assert_eq!(answer["listed"], 1);
    assert_eq!(answer["found"], json!([email]));
    assert!(!answer["triggers"].as_array().unwrap().is_empty(), "the contact's trigger events: {answer}");
    assert_eq!(answer["firstAttempts"], 1);
    assert_eq!(answer["redelivered"], "Sent again to 1 endpoint(s).");
    assert!(answer["attempts"].as_u64().unwrap() >= 2, "{answer}");
    assert!(answer["linkName"].as_str().unwrap().starts_with("Gold plan"), "{answer}");
    assert!(answer["sessionPage"].as_str().unwrap().starts_with("/checkout/cs_"), "{answer}");
    assert_eq!(answer["sessionRows"], 1, "{answer}");
    assert!(answer["testEvent"].as_str().unwrap().starts_with("webhook.test"), "{answer}");
    assert!(answer["successRate"].as_str().unwrap().starts_with("100%"), "{answer}");
    assert_eq!(answer["transfersEmpty"], true, "{answer}");
    assert!(answer["templateId"].as_str().unwrap().starts_with("et_"), "{answer}");
    assert_eq!(answer["previewSubject"], "Welcome to Acme Coffee, Jane", "the server's preview: {answer}");
    assert!(answer["previewFrame"].as_str().unwrap().contains("Gold plan"), "the HTML part in its frame: {answer}");
    assert_eq!(answer["previewStyled"], "rgb(102, 112, 133)", "the email's inline style applies: {answer}");
    assert_eq!(answer["livePreview"], "Live draft for Gold", "typing previews the draft: {answer}");
    assert_eq!(answer["workflowSteps"], "wait 1 h → email Welcome", "{answer}");
    assert_eq!(answer["workflowStatus"], "paused", "{answer}");
    let workflows = t.read(&acme, "/v1/workflows").await;
    assert_eq!(workflows["data"][0]["status"], "paused", "{workflows}");
    assert_eq!(answer["keyCopied"], true, "the copy button copies the key shown");
    assert_eq!(answer["keyMode"], "test", "a test-mode session makes test-mode keys");
    assert_eq!(answer["keyBeforeRevoke"], 200, "the new key opens GET /v1/account");
    assert_eq!(answer["keyAfterRevoke"], 401, "the revoked key does not");
    assert_eq!(answer["afterSignOut"], "/dashboard/login");
    assert_eq!(answer["cspViolations"], json!([]), "the policy blocked something the pages need");
    assert_eq!(answer["consoleErrors"], json!([]), "errors in the pages' console");

    // AND the receiver got the event twice (a redelivery keeps its id), every delivery signed
    // with the secret the page showed
    let twice = |r: &[loop_tests::receiver::Received]| {
        r.iter().any(|a| r.iter().filter(|b| b.header("webhook-id") == a.header("webhook-id")).count() == 2)
    };
    let deliveries = receiver.wait_for(Duration::from_secs(10), twice).await;
    assert!(twice(&deliveries), "{} deliveries, none twice", deliveries.len());
    assert_eq!(verify_with_standard_webhooks(&secret, &deliveries), deliveries.len());
    // (the test event among them, signed like the rest)
    let kind = |r: &loop_tests::receiver::Received| serde_json::from_slice::<Value>(&r.body).unwrap()["type"].clone();
    assert!(deliveries.iter().any(|r| kind(r) == "webhook.test"), "no test event delivered");
    t.shutdown().await;
}

/// The README's screenshots of the dashboard (`docs/dashboard/*.png`), from a stack with a few
/// contacts, events, deliveries and a payment link. Not a check: run it by hand after changing a
/// page, `cargo test -p loop-tests --test dashboard_browser -- --ignored readme_screenshots`.
#[tokio::test]
#[ignore]
async fn readme_screenshots() {
    let t = TestStack::start_with(&[("LOOP_ALLOW_PRIVATE_ENDPOINTS", "1")]).await;
    let acme = t.account("Acme Coffee", true).await;
    let receiver = Receiver::start(0).await;
    t.create_endpoint(&acme, &receiver.url, &["*"]).await;
    // A second endpoint that answers 500: the chart and the success rates show failures too.
    let failing = Receiver::start(0).await;
    failing.set_down(true);
    t.create_endpoint(&acme, &failing.url, &["contact.created"]).await;
    for (i, name) in ["Jenny Rosen", "Ada Lovelace", "Grace Hopper"].iter().enumerate() {
        let email = format!("{}@example.com", name.split(' ').next().unwrap().to_lowercase());
        let customer = object("customer", json!({"id": format!("cus_shot{i}"), "email": email, "name": name}));
        assert_eq!(
            t.send_stripe(&acme, &event(&format!("evt_shot{i}"), "customer.created", now(), customer)).await.0,
            200
        );
    }
    let (status, link) = t
        .post_json(&acme, "/v1/payment-links", &json!({"name": "Gold plan", "amount": "10.00", "currency": "USDC"}))
        .await;
    assert_eq!(status, 201, "{link}");
    let (status, _) = t.post_json(&acme, "/v1/checkout-sessions", &json!({"paymentLinkId": link["id"]})).await;
    assert_eq!(status, 201);
    let invoice = object(
        "invoice",
        json!({"id": "in_shot", "status": "open", "customer_email": "jenny@example.com", "amount_due": 2500,
               "currency": "usd", "due_date": now() + 7 * 86_400, "created": now(), "parent": null, "subscription": null}),
    );
    assert_eq!(t.send_stripe(&acme, &event("evt_shot_inv", "invoice.finalized", now(), invoice)).await.0, 200);
    let welcome = json!({"name": "Welcome", "subject": "Welcome to Acme Coffee, {{ contact.firstName | default(\"there\") }}",
                         "html": "<p>Hi {{ contact.firstName }}, thanks for joining.</p>"});
    let (status, template) = t.post_json(&acme, "/v1/email-templates", &welcome).await;
    assert_eq!(status, 201, "{template}");
    let onboarding = json!({"name": "Onboarding", "trigger": {"eventName": "signup"},
                            "steps": [{"type": "wait", "seconds": 3600}, {"type": "email", "templateId": template["id"]}]});
    assert_eq!(t.post_json(&acme, "/v1/workflows", &onboarding).await.0, 201);
    let account = loop_ground::ids::AccountId::parse(&acme.id).unwrap();
    let app = t.app();
    loop_capabilities::accounts::create_key(&app.store, app.clock.as_ref(), &account, true).await.unwrap();
    receiver.wait_for(Duration::from_secs(10), |r| r.len() >= 6).await;
    failing.wait_for(Duration::from_secs(10), |r| r.len() >= 3).await;
    let events = t.read(&acme, "/v1/events?type=contact.created").await;
    let event_id = events["data"][0]["id"].as_str().unwrap();
    let (_, sign_in) = t.post_json(&acme, "/v1/dashboard-links", &json!({})).await;
    let out = Path::new(env!("CARGO_MANIFEST_DIR")).join("../docs/dashboard");
    std::fs::create_dir_all(&out).unwrap();
    let pages = json!([
        {"path": "/dashboard", "name": "overview"},
        {"path": "/dashboard/webhooks", "name": "webhooks"},
        {"path": format!("/dashboard/events/{event_id}"), "name": "event"},
        {"path": "/dashboard/audience", "name": "audience"},
        {"path": "/dashboard/transfers", "name": "transfers"},
        {"path": "/dashboard/email", "name": "email"},
        {"path": format!("/dashboard/email/templates/{}", template["id"].as_str().unwrap()), "name": "email-template"},
        {"path": "/dashboard/settings", "name": "settings"},
    ]);
    install_driver();
    let args = json!({"link": sign_in["url"], "out": out, "pages": pages, "chromium": CHROMIUM});
    let output = Command::new("node")
        .arg(driver_dir().join("screenshots.mjs"))
        .arg(args.to_string())
        .output()
        .await
        .expect("node runs");
    let answer = String::from_utf8_lossy(&output.stdout);
    assert!(output.status.success(), "{answer}\n{}", String::from_utf8_lossy(&output.stderr));
    t.shutdown().await;
}
