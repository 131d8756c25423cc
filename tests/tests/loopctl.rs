//! `loopctl`, run as an operator runs it: the built binary, configured only by environment
//! variables, against the same table and queues as a running stack.

use std::path::PathBuf;
use std::process::Command;

use loop_tests::stripe::{event, now, object, signature};
use loop_tests::TestStack;
use serde_json::{json, Value};

/// The `loopctl` binary of this workspace (`make test` builds it first).
fn binary() -> PathBuf {
    let target = std::env::var_os("CARGO_TARGET_DIR")
        .map(PathBuf::from)
        .unwrap_or_else(|| PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../target"));
    let path = target.join("debug/loopctl");
    if !path.exists() {
        let built = Command::new(env!("CARGO")).args(["build", "-p", "loopctl"]).status().expect("cargo runs");
        assert!(built.success(), "loopctl builds");
    }
    path
}

/// Runs `loopctl args…` against the stack's resources; answers (success, stdout, stderr).
fn loopctl(t: &TestStack, args: &[&str]) -> (bool, String, String) {
    let config = &t.app().config;
    let output = Command::new(binary())
        .args(args)
        .env_clear()
        .env("AWS_ENDPOINT_URL", config.aws.endpoint_url.as_deref().unwrap())
        .env("AWS_REGION", &config.aws.region)
        .env("LOOP_TABLE_NAME", &config.resources.table)
        .env("LOOP_DELIVERY_QUEUE_NAME", &config.resources.delivery_queue_name)
        .env("LOOP_DEAD_LETTER_QUEUE_NAME", &config.resources.dead_letter_queue_name)
        .output()
        .expect("loopctl runs");
    let text = |bytes: Vec<u8>| String::from_utf8(bytes).unwrap();
    (output.status.success(), text(output.stdout), text(output.stderr))
}

fn loopctl_json(t: &TestStack, args: &[&str]) -> Value {
    let (ok, stdout, stderr) = loopctl(t, args);
    assert!(ok, "loopctl {args:?}: {stderr}");
    serde_json::from_str(&stdout).unwrap_or_else(|e| panic!("loopctl {args:?} printed {stdout:?}: {e}"))
}

async fn status_with_key(t: &TestStack, key: &str) -> u16 {
    t.get("/v1/account", key).send().await.unwrap().status().as_u16()
}

#[tokio::test]
async fn accounts_and_keys_are_made_listed_and_revoked_from_the_command_line() {
    let t = TestStack::start().await;
    let created = loopctl_json(&t, &["accounts", "create", "--name", "Acme", "--test-mode", "--json"]);
    let account = created["id"].as_str().unwrap();
    let first_key = created["apiKey"].as_str().unwrap();
    assert!(first_key.starts_with("lk_test_"), "{created}");
    assert!(created["stripeSigningSecret"].as_str().unwrap().starts_with("whsec_"));
    assert_eq!(status_with_key(&t, first_key).await, 200);

    let listed = loopctl_json(&t, &["accounts", "list", "--json"]);
    assert!(listed.as_array().unwrap().iter().any(|a| a["id"] == account), "{listed}");

    let key = loopctl_json(&t, &["keys", "create", "--account", account, "--json"]);
    let second_key = key["apiKey"].as_str().unwrap();
    assert_eq!(status_with_key(&t, second_key).await, 200);
    let (ok, _, stderr) =
        loopctl(&t, &["keys", "revoke", "--account", account, "--key-id", key["id"].as_str().unwrap()]);
    assert!(ok, "{stderr}");
    assert_eq!(status_with_key(&t, second_key).await, 401);
    assert_eq!(status_with_key(&t, first_key).await, 200, "only that key");

    let (ok, _, stderr) = loopctl(&t, &["keys", "create", "--account", "not-an-account"]);
    assert!(!ok && stderr.contains("not an account id"), "{stderr}");
    t.shutdown().await;
}

#[tokio::test]
async fn events_are_redelivered_and_transfers_processed_from_the_command_line() {
    let t = TestStack::start().await;
    let created = loopctl_json(&t, &["accounts", "create", "--name", "Acme", "--test-mode", "--json"]);
    let account = created["id"].as_str().unwrap().to_owned();
    let secret = created["stripeSigningSecret"].as_str().unwrap().to_owned();
    let key = created["apiKey"].as_str().unwrap().to_owned();
    let invoice = object(
        "invoice",
        json!({"id": "in_ctl", "status": "open", "customer_email": "ctl@example.com", "amount_due": 1500,
            "currency": "usd", "parent": null, "subscription": null}),
    );
    let body = serde_json::to_vec(&event("evt_ctl", "invoice.created", now(), invoice)).unwrap();
    let response = t.post_stripe_raw(&account, body.clone(), Some(signature(&secret, now(), &body))).await;
    assert_eq!(response.status(), 200);

    let transfers: Value = t.get("/v1/transfers", &key).send().await.unwrap().json().await.unwrap();
    let transfer = transfers["data"][0]["id"].as_str().unwrap().to_owned();
    let processed = loopctl_json(
        &t,
        &[
            "transfers",
            "process",
            "--account",
            &account,
            "--transfer",
            &transfer,
            "--success",
            "--transaction",
            "0xabc",
        ],
    );
    assert_eq!(processed["id"], transfer.as_str());
    let after: Value = t.get(&format!("/v1/transfers/{transfer}"), &key).send().await.unwrap().json().await.unwrap();
    assert_eq!(after["status"], "processed", "{after}");

    let events: Value = t.get("/v1/events?type=TransferCreated", &key).send().await.unwrap().json().await.unwrap();
    let event_id = events["data"][0]["id"].as_str().unwrap();
    let (ok, stdout, stderr) = loopctl(&t, &["events", "redeliver", "--account", &account, "--event", event_id]);
    assert!(ok, "{stderr}");
    assert!(stdout.contains(&format!("Redelivering {event_id}")), "{stdout}");
    let (ok, _, stderr) = loopctl(&t, &["events", "redeliver", "--account", &account, "--event", "evt_nothing"]);
    assert!(!ok, "an unknown event is an error: {stderr}");
    t.shutdown().await;
}

#[tokio::test]
async fn dead_letters_are_listed_and_redriven_from_the_command_line() {
    let t = TestStack::start().await;
    let sqs = loop_adapters::aws::AwsClients::new(&t.app().config.aws).await.sqs;
    let dead_letters = t.app().queue.dead_letter_url().unwrap().to_owned();
    sqs.send_message().queue_url(&dead_letters).message_body("a poison message").send().await.unwrap();

    let listed = loopctl_json(&t, &["dead-letters", "list", "--json"]);
    assert_eq!(listed["count"], 1, "{listed}");
    assert_eq!(listed["messages"][0]["body"], "a poison message");
    let again = loopctl_json(&t, &["dead-letters", "list", "--json"]);
    assert_eq!(again["count"], 1, "listing leaves the messages in place: {again}");

    let (ok, stdout, stderr) = loopctl(&t, &["dead-letters", "redrive"]);
    assert!(ok, "{stderr}");
    assert!(stdout.contains("Moved 1 message"), "{stdout}");
    assert_eq!(loopctl_json(&t, &["dead-letters", "list", "--json"])["count"], 0);
    t.shutdown().await;
}

#[tokio::test]
async fn a_dashboard_link_from_the_command_line_signs_in_once() {
    // GIVEN an account
    let t = TestStack::start().await;
    let acme = t.account("Acme", true).await;
    // WHEN an operator prints a link for it, with and without --json
    let link = loopctl_json(&t, &["dashboard", "link", "--account", &acme.id, "--ttl", "1h", "--json"]);
    let url = link["url"].as_str().unwrap();
    let (ok, plain, _) = loopctl(&t, &["dashboard", "link", "--account", &acme.id]);
    assert!(ok && plain.starts_with("http://127.0.0.1:3000/dashboard/link/dl_"), "{plain}");
    // THEN the link is on the default host, expires in an hour, and signs in once here
    let path = url.strip_prefix("http://127.0.0.1:3000").unwrap_or_else(|| panic!("{url}"));
    let expires = time::OffsetDateTime::parse(
        link["expiresAt"].as_str().unwrap(),
        &time::format_description::well_known::Rfc3339,
    )
    .unwrap();
    let left = expires.unix_timestamp() - now();
    assert!((3590..=3600).contains(&left), "{link}");
    let http = reqwest::Client::builder().redirect(reqwest::redirect::Policy::none()).build().unwrap();
    let used = http.post(t.url(path)).send().await.unwrap();
    assert_eq!(used.status(), 303);
    assert!(used.headers().get("set-cookie").is_some());
    assert_eq!(http.post(t.url(path)).send().await.unwrap().status(), 410);
    // AND nonsense is refused: an unknown account, a bad duration
    let (ok, _, stderr) = loopctl(&t, &["dashboard", "link", "--account", "acct_aaaaaaaaaaaaaaaaaaaa"]);
    assert!(!ok && stderr.contains("acct_aaaaaaaaaaaaaaaaaaaa"), "{stderr}");
    let (ok, _, stderr) = loopctl(&t, &["dashboard", "link", "--account", &acme.id, "--ttl", "2d"]);
    assert!(!ok && stderr.contains("2d"), "{stderr}");
    t.shutdown().await;
}
