//! `loopctl` as an operator runs it: the real binary, configured through the environment,
//! against the emulator; its keys then used over HTTP on the local runner.

use std::process::Output;

use loop_tests::TestStack;
use serde_json::Value;

fn loopctl(stack: &TestStack, args: &[&str]) -> Output {
    let config = &stack.app().config;
    std::process::Command::new(env!("CARGO_BIN_EXE_loopctl"))
        .args(args)
        .env("AWS_ENDPOINT_URL", config.aws.endpoint_url.as_deref().unwrap())
        .env("LOOP_TABLE_NAME", &config.resources.table)
        .env("LOOP_DELIVERY_QUEUE_URL", stack.app().queue.url())
        .output()
        .expect("loopctl runs")
}

fn json_of(output: &Output) -> Value {
    assert!(output.status.success(), "loopctl failed: {}", String::from_utf8_lossy(&output.stderr));
    serde_json::from_slice(&output.stdout).expect("--json prints one JSON value")
}

#[tokio::test]
async fn accounts_create_prints_the_documented_fields_and_its_key_works() {
    let t = TestStack::start().await;
    let created = json_of(&loopctl(&t, &["accounts", "create", "--name", "Acme", "--json"]));
    let id = created["id"].as_str().unwrap();
    assert!(id.starts_with("acct_"));
    assert!(created["apiKey"].as_str().unwrap().starts_with("lk_live_"));
    assert!(created["keyId"].as_str().unwrap().starts_with("key_"));
    assert!(created["stripeSigningSecret"].as_str().unwrap().starts_with("whsec_"));
    assert_eq!(created["stripeWebhookPath"], format!("/stripe/webhooks/{id}"));
    assert_eq!(created["testMode"], false);

    let response = t.get("/v1/account", created["apiKey"].as_str().unwrap()).send().await.unwrap();
    assert_eq!(response.status(), 200);
    let account: Value = response.json().await.unwrap();
    assert_eq!(account["id"], id);
    assert_eq!(account["name"], "Acme");

    let listed = json_of(&loopctl(&t, &["accounts", "list", "--json"]));
    let listed = listed.as_array().unwrap();
    assert_eq!(listed.len(), 1);
    assert_eq!(listed[0]["id"], id);
    assert!(!listed[0].to_string().contains("whsec_"), "list shows no secrets");
    t.shutdown().await;
}

#[tokio::test]
async fn keys_create_and_revoke() {
    let t = TestStack::start().await;
    let created =
        json_of(&loopctl(&t, &["accounts", "create", "--name", "Shop", "--support-email", "help@shop.test", "--json"]));
    let account = created["id"].as_str().unwrap();

    let key = json_of(&loopctl(&t, &["keys", "create", "--account", account, "--test-mode", "--json"]));
    assert_eq!(key["testMode"], true);
    let api_key = key["apiKey"].as_str().unwrap();
    assert!(api_key.starts_with("lk_test_"));
    assert_eq!(t.get("/v1/account", api_key).send().await.unwrap().status(), 200);

    let revoked = loopctl(&t, &["keys", "revoke", "--account", account, "--key-id", key["id"].as_str().unwrap()]);
    assert!(revoked.status.success(), "{}", String::from_utf8_lossy(&revoked.stderr));
    assert_eq!(t.get("/v1/account", api_key).send().await.unwrap().status(), 401);
    // The first key is untouched.
    assert_eq!(t.get("/v1/account", created["apiKey"].as_str().unwrap()).send().await.unwrap().status(), 200);

    let unknown = loopctl(&t, &["keys", "revoke", "--account", account, "--key-id", "key_doesnotexist"]);
    assert!(!unknown.status.success());
    assert!(String::from_utf8_lossy(&unknown.stderr).contains("no key"));
    t.shutdown().await;
}

#[tokio::test]
async fn test_mode_accounts_get_test_keys() {
    let t = TestStack::start().await;
    let created = json_of(&loopctl(&t, &["accounts", "create", "--name", "T", "--test-mode", "--json"]));
    assert!(created["apiKey"].as_str().unwrap().starts_with("lk_test_"));
    let key = json_of(&loopctl(&t, &["keys", "create", "--account", created["id"].as_str().unwrap(), "--json"]));
    assert_eq!(key["testMode"], true);
    t.shutdown().await;
}

#[tokio::test]
async fn bad_input_and_unreachable_emulators_get_clear_errors_not_panics() {
    let t = TestStack::start().await;
    for args in [
        vec!["accounts", "create", "--name", "", "--json"],
        vec!["accounts", "create", "--name", "X", "--support-email", "nope"],
        vec!["keys", "create", "--account", "acct_nope"],
        vec!["keys", "create", "--account", "acct_aaaaaaaaaaaaaaaaaaaa"],
    ] {
        let output = loopctl(&t, &args);
        assert_eq!(output.status.code(), Some(1), "{args:?}");
        let stderr = String::from_utf8_lossy(&output.stderr);
        assert!(stderr.starts_with("loopctl: "), "{args:?}: {stderr}");
        assert!(!stderr.contains("panicked"));
    }
    assert!(json_of(&loopctl(&t, &["accounts", "list", "--json"])).as_array().unwrap().is_empty());

    // Port 9 (discard) on loopback: nothing listens, the connection is refused.
    let output = std::process::Command::new(env!("CARGO_BIN_EXE_loopctl"))
        .args(["accounts", "list"])
        .env("AWS_ENDPOINT_URL", "http://127.0.0.1:9")
        .output()
        .unwrap();
    assert_eq!(output.status.code(), Some(1));
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(stderr.starts_with("loopctl: cannot use table"), "{stderr}");
    assert!(!stderr.contains("panicked"));
    t.shutdown().await;
}

#[tokio::test]
async fn transfers_process_and_events_redeliver() {
    use loop_tests::stripe::{event, now, object};
    use serde_json::json;
    let t = TestStack::start().await;
    let created = json_of(&loopctl(&t, &["accounts", "create", "--name", "Ops", "--test-mode", "--json"]));
    let account = loop_tests::TestAccount {
        id: created["id"].as_str().unwrap().to_owned(),
        api_key: created["apiKey"].as_str().unwrap().to_owned(),
        key_id: created["keyId"].as_str().unwrap().to_owned(),
        signing_secret: created["stripeSigningSecret"].as_str().unwrap().to_owned(),
    };
    let invoice = object(
        "invoice",
        json!({"id": "in_ops", "status": "open", "amount_due": 100, "currency": "usd", "parent": null}),
    );
    assert_eq!(t.send_stripe(&account, &event("evt_ops", "invoice.finalized", now(), invoice)).await.0, 200);
    let transfer = t.read(&account, "/v1/transfers").await["data"][0]["id"].as_str().unwrap().to_owned();

    let processed = json_of(&loopctl(
        &t,
        &[
            "transfers",
            "process",
            "--account",
            &account.id,
            "--transfer",
            &transfer,
            "--success",
            "--transaction",
            "0xfeed",
        ],
    ));
    assert_eq!((processed["status"].as_str(), processed["transaction"].as_str()), (Some("processed"), Some("0xfeed")));
    let again = loopctl(&t, &["transfers", "process", "--account", &account.id, "--transfer", &transfer, "--failure"]);
    assert_eq!(again.status.code(), Some(1));
    assert!(String::from_utf8_lossy(&again.stderr).contains("already processed"));

    let event_id =
        t.read(&account, "/v1/events?type=TransferProcessed").await["data"][0]["id"].as_str().unwrap().to_owned();
    let redelivered = loopctl(&t, &["events", "redeliver", "--account", &account.id, "--event", &event_id]);
    assert!(redelivered.status.success(), "{}", String::from_utf8_lossy(&redelivered.stderr));
    assert!(String::from_utf8_lossy(&redelivered.stdout).contains("0 endpoint(s)"));
    let missing = loopctl(&t, &["events", "redeliver", "--account", &account.id, "--event", "evt_missing"]);
    assert_eq!(missing.status.code(), Some(1));
    assert!(String::from_utf8_lossy(&missing.stderr).contains("no such event"));
    t.shutdown().await;
}
