//! `GET /v1/account`, `PATCH /v1/account`, API-key authentication and the API's conventions,
//! through the local runner over real HTTP.

use loop_tests::{dump_table, TestStack};
use serde_json::{json, Value};

async fn body(response: reqwest::Response) -> Value {
    response.json().await.expect("JSON body")
}

fn assert_auth_error(status: reqwest::StatusCode, body: &Value) {
    assert_eq!(status, 401, "{body}");
    assert_eq!(body["error"]["type"], "authentication_error", "{body}");
    assert!(body["error"]["message"].as_str().is_some_and(|m| !m.is_empty()));
    assert!(body["error"].get("param").is_none());
}

#[tokio::test]
async fn a_new_key_reads_its_account_with_the_documented_defaults() {
    // GIVEN a new account
    let t = TestStack::start().await;
    let acme = t.account("Acme", false).await;
    // WHEN its key reads the account
    let response = t.get("/v1/account", &acme.api_key).send().await.unwrap();
    // THEN it sees itself, with Ethereum/USDC defaults and its webhook path
    assert_eq!(response.status(), 200);
    assert!(response.headers().contains_key("request-id"));
    let account = body(response).await;
    assert_eq!(
        account,
        json!({
            "id": acme.id, "name": "Acme", "supportEmail": null, "testMode": false,
            "crypto": {"networkId": 1, "networkName": "Ethereum", "contractAddress": null,
                "tokenSymbol": "USDC", "tokenAddress": "0xa0b86991c6218b36c1d19d4a2e9eb0ce3606eb48",
                "tokenDecimals": 6, "treasuryAddresses": {}},
            "stripeWebhookPath": format!("/stripe/webhooks/{}", acme.id),
            "email": null,
            "notifications": {"paymentRequest": false, "latePayment": false, "receipt": false,
                "templates": {"paymentRequest": null, "latePayment": null, "receipt": null}},
        })
    );
    t.shutdown().await;
}

#[tokio::test]
async fn missing_malformed_wrong_and_revoked_keys_get_401() {
    let t = TestStack::start().await;
    let acme = t.account("Acme", true).await;

    let none = t.http.get(t.url("/v1/account")).send().await.unwrap();
    let status = none.status();
    assert!(none.headers().contains_key("request-id"));
    assert_auth_error(status, &body(none).await);

    let basic = t.http.get(t.url("/v1/account")).header("authorization", "Basic abc").send().await.unwrap();
    assert_auth_error(basic.status(), &body(basic).await);

    // Right shape and account, wrong secret.
    let mut wrong = acme.api_key.clone();
    let last = wrong.pop().unwrap();
    wrong.push(if last == 'a' { 'b' } else { 'a' });
    for key in [wrong.as_str(), "lk_test_nonsense", "sk_test_123"] {
        let response = t.get("/v1/account", key).send().await.unwrap();
        assert_auth_error(response.status(), &body(response).await);
    }

    // Revoked through the same path `loopctl keys revoke` uses.
    let app = t.app();
    let id = loop_ground::ids::AccountId::parse(&acme.id).unwrap();
    assert!(app.store.revoke_api_key(&id, &acme.key_id, 0).await.unwrap());
    let revoked = t.get("/v1/account", &acme.api_key).send().await.unwrap();
    assert_auth_error(revoked.status(), &body(revoked).await);
    t.shutdown().await;
}

#[tokio::test]
async fn another_accounts_key_never_sees_acme() {
    let t = TestStack::start().await;
    let acme = t.account("Acme", false).await;
    let other = t.account("Other", false).await;

    let seen = body(t.get("/v1/account", &other.api_key).send().await.unwrap()).await;
    assert_eq!(seen["id"], other.id);
    assert_eq!(seen["name"], "Other");

    // Other's secret grafted onto Acme's account id is not a key of Acme's.
    let other_secret = other.api_key.rsplit('_').next().unwrap();
    let acme_token = acme.id.strip_prefix("acct_").unwrap();
    let grafted = format!("lk_live_{acme_token}_{other_secret}");
    let response = t.get("/v1/account", &grafted).send().await.unwrap();
    assert_eq!(response.status(), 401);
    t.shutdown().await;
}

#[tokio::test]
async fn patch_replaces_given_fields_and_merges_treasury_addresses() {
    let t = TestStack::start().await;
    let acme = t.account("Acme", true).await;
    let a1 = "0x1111111111111111111111111111111111111111";
    let a137 = "0x2222222222222222222222222222222222222222";
    let patch = |value: Value| t.http.patch(t.url("/v1/account")).bearer_auth(&acme.api_key).json(&value).send();

    let first =
        patch(json!({"supportEmail": "Help@Acme.test", "crypto": {"treasuryAddresses": {"1": a1}}})).await.unwrap();
    assert_eq!(first.status(), 200);
    let second =
        patch(json!({"crypto": {"networkId": 137, "networkName": "Polygon", "treasuryAddresses": {"137": a137}}}))
            .await
            .unwrap();
    let patched = body(second).await;
    assert_eq!(patched["supportEmail"], "help@acme.test");
    assert_eq!(patched["crypto"]["networkId"], 137);
    assert_eq!(patched["crypto"]["tokenSymbol"], "USDC");
    assert_eq!(patched["crypto"]["treasuryAddresses"], json!({"1": a1, "137": a137}));

    // What PATCH answered is what a later GET reads.
    let read = body(t.get("/v1/account", &acme.api_key).send().await.unwrap()).await;
    assert_eq!(read, patched);
    t.shutdown().await;
}

#[tokio::test]
async fn bad_patches_get_400_naming_the_parameter_and_change_nothing() {
    let t = TestStack::start().await;
    let acme = t.account("Acme", true).await;
    let before = body(t.get("/v1/account", &acme.api_key).send().await.unwrap()).await;
    let cases = [
        (json!({"supportEmail": "not an email"}), "supportEmail"),
        (json!({"crypto": {"tokenAddress": "0x123"}}), "crypto.tokenAddress"),
        (
            json!({"crypto": {"treasuryAddresses": {"1": "0xnothex0000000000000000000000000000000000"}}}),
            "crypto.treasuryAddresses.1",
        ),
        (json!({"crypto": {"networkId": "one"}}), "crypto.networkId"),
        (json!({"crypto": {"networkId": 5, "tokenDecimals": -1}}), "crypto.tokenDecimals"),
        (json!({"name": "Renamed"}), "name"),
    ];
    for (patch, param) in cases {
        let response = t.http.patch(t.url("/v1/account")).bearer_auth(&acme.api_key).json(&patch).send().await.unwrap();
        assert_eq!(response.status(), 400, "{patch}");
        let error = body(response).await;
        assert_eq!(error["error"]["type"], "invalid_request_error");
        assert_eq!(error["error"]["param"], param, "{patch}");
    }
    let after = body(t.get("/v1/account", &acme.api_key).send().await.unwrap()).await;
    assert_eq!(after, before);
    t.shutdown().await;
}

#[tokio::test]
async fn malformed_bodies_get_the_documented_status() {
    let t = TestStack::start().await;
    let acme = t.account("Acme", true).await;
    let send = |content_type: &'static str, body: Vec<u8>| {
        t.http
            .patch(t.url("/v1/account"))
            .bearer_auth(&acme.api_key)
            .header("content-type", content_type)
            .body(body)
            .send()
    };
    let cases: Vec<(&str, Vec<u8>, u16, &str)> = vec![
        ("application/json", b"{\"supportEmail\":".to_vec(), 400, "invalid_json"),
        ("application/json", b"[1,2]".to_vec(), 400, "invalid_body"),
        ("application/json", vec![0xff, 0xfe, b'{'], 400, "invalid_json"),
        ("text/plain", b"supportEmail=x".to_vec(), 415, "unsupported_media_type"),
        ("application/json", vec![b' '; 1024 * 1024 + 10], 413, "body_too_large"),
    ];
    for (content_type, payload, status, code) in cases {
        let response = send(content_type, payload).await.unwrap();
        assert_eq!(response.status(), status, "{code}");
        assert_eq!(body(response).await["error"]["code"], code);
    }
    // A `+json` media type is JSON too.
    let merge = send("application/merge-patch+json; charset=utf-8", br#"{"supportEmail":"a@acme.test"}"#.to_vec());
    assert_eq!(merge.await.unwrap().status(), 200);
    // Without a key, the key is what is wrong, whatever the body.
    let anonymous = t.http.patch(t.url("/v1/account")).header("content-type", "text/plain").body("x").send();
    let anonymous = anonymous.await.unwrap();
    assert_eq!(anonymous.status(), 401);
    t.shutdown().await;
}

#[tokio::test]
async fn routes_that_read_no_fields_still_refuse_a_body_that_is_not_json() {
    // GIVEN a webhook endpoint and an open checkout session
    let t = TestStack::start().await;
    let acme = t.account("Acme", true).await;
    let endpoint = t.create_endpoint(&acme, "https://93.184.216.34/hooks", &["*"]).await;
    let endpoint_path = format!("/v1/webhook-endpoints/{}", endpoint["id"].as_str().unwrap());
    let (_, link) =
        t.post_json(&acme, "/v1/payment-links", &json!({"name": "Gold", "amount": "10.00", "currency": "USDC"})).await;
    let (_, session) = t.post_json(&acme, "/v1/checkout-sessions", &json!({"paymentLinkId": link["id"]})).await;
    let session_path = format!("/v1/checkout-sessions/{}", session["id"].as_str().unwrap());
    let helper =
        |action: &str| format!("/v1/test-helpers/checkout-sessions/{}/{action}", session["id"].as_str().unwrap());
    let secret_before = t.read(&acme, &endpoint_path).await["secret"].clone();

    // WHEN a text/plain body, or a body with no content type, is posted to them
    let mut paths = vec![format!("{endpoint_path}/rotate-secret")];
    paths.extend(["complete", "fail", "expire"].map(helper));
    for path in &paths {
        for content_type in [Some("text/plain"), None] {
            let mut request = t.http.post(t.url(path)).bearer_auth(&acme.api_key).body("please");
            if let Some(content_type) = content_type {
                request = request.header("content-type", content_type);
            }
            let response = request.send().await.unwrap();
            // THEN each answers 415 with the API's error body
            assert_eq!(response.status(), 415, "{path} {content_type:?}");
            assert!(response.headers().contains_key("request-id"));
            let error = body(response).await;
            assert_eq!(
                (error["error"]["type"].as_str(), error["error"]["code"].as_str()),
                (Some("invalid_request_error"), Some("unsupported_media_type")),
                "{path}"
            );
            assert!(error["error"].get("param").is_none());
        }
    }
    // AND nothing changed
    assert_eq!(t.read(&acme, &endpoint_path).await["secret"], secret_before);
    assert_eq!(t.read(&acme, &session_path).await["status"], "open");

    // WHEN the same routes are called without a body, whatever the content type says
    let rotated = t.http.post(t.url(&paths[0])).bearer_auth(&acme.api_key).send().await.unwrap();
    let completed = t
        .http
        .post(t.url(&helper("complete")))
        .bearer_auth(&acme.api_key)
        .header("content-type", "text/plain")
        .body("")
        .send()
        .await
        .unwrap();
    // THEN they work
    assert_eq!(rotated.status(), 200);
    assert_eq!(completed.status(), 200);
    assert_ne!(t.read(&acme, &endpoint_path).await["secret"], secret_before);
    assert_eq!(t.read(&acme, &session_path).await["status"], "completed");
    t.shutdown().await;
}

#[tokio::test]
async fn a_body_over_one_mebibyte_is_refused_by_the_function_itself() {
    // GIVEN a webhook endpoint, and no local runner in front of the function (as on Lambda,
    // where API Gateway passes bodies up to 10 MB)
    let t = TestStack::start().await;
    let acme = t.account("Acme", true).await;
    let endpoint = t.create_endpoint(&acme, "https://93.184.216.34/hooks", &["*"]).await;
    let endpoint_path = format!("/v1/webhook-endpoints/{}", endpoint["id"].as_str().unwrap());
    let secret_before = t.read(&acme, &endpoint_path).await["secret"].clone();

    // WHEN a JSON body one byte over 1 MiB reaches rotate-secret, which reads no fields
    let request = http::Request::builder()
        .method("POST")
        .uri(format!("{endpoint_path}/rotate-secret"))
        .header("authorization", format!("Bearer {}", acme.api_key))
        .header("content-type", "application/json")
        .body(bytes::Bytes::from(vec![b' '; 1024 * 1024 + 1]))
        .unwrap();
    let response = loop_edge::api::handle_checkout(t.app(), request).await;

    // THEN it answers 413 with the API's error body, and the secret is not rotated
    assert_eq!(response.status(), 413);
    let error: Value = serde_json::from_slice(response.body()).unwrap();
    assert_eq!(error["error"]["code"], "body_too_large");
    assert_eq!(t.read(&acme, &endpoint_path).await["secret"], secret_before);
    t.shutdown().await;
}

#[tokio::test]
async fn unknown_routes_are_404_and_wrong_methods_405() {
    let t = TestStack::start().await;
    let acme = t.account("Acme", true).await;
    let missing = t.get("/v1/nothing-here", &acme.api_key).send().await.unwrap();
    assert_eq!(missing.status(), 404);
    assert!(missing.headers().contains_key("request-id"));
    assert_eq!(body(missing).await["error"]["type"], "invalid_request_error");

    let wrong = t.http.delete(t.url("/v1/account")).bearer_auth(&acme.api_key).send().await.unwrap();
    assert_eq!(wrong.status(), 405);
    assert_eq!(wrong.headers()["allow"], "GET, PATCH");

    let outside = t.http.get(t.url("/admin")).send().await.unwrap();
    assert_eq!(outside.status(), 404);
    t.shutdown().await;
}

#[tokio::test]
async fn health_answers_once_dynamodb_and_sqs_are_reachable() {
    let t = TestStack::start().await;
    let response = t.http.get(t.url("/health")).send().await.unwrap();
    assert_eq!(response.status(), 200);
    assert_eq!(body(response).await, json!({"status": "ok"}));
    t.shutdown().await;
}

#[tokio::test]
async fn api_keys_and_their_bodies_are_not_stored_in_plaintext() {
    let t = TestStack::start().await;
    let acme = t.account("Acme", false).await;
    let extra = loop_capabilities::accounts::create_key(
        &t.app().store,
        t.app().clock.as_ref(),
        &loop_ground::ids::AccountId::parse(&acme.id).unwrap(),
        true,
    )
    .await
    .unwrap();
    let table = dump_table(t.app()).await;
    assert!(table.contains(&acme.id), "the dump reads the table");
    for key in [acme.api_key.as_str(), extra.api_key.expose()] {
        let secret_part = key.rsplit('_').next().unwrap();
        assert!(!table.contains(key));
        assert!(!table.contains(secret_part));
    }
    t.shutdown().await;
}

#[tokio::test]
async fn the_openapi_document_is_public() {
    let t = TestStack::start().await;
    let response = t.http.get(t.url("/v1/openapi.json")).send().await.unwrap();
    assert_eq!(response.status(), 200);
    let doc = body(response).await;
    assert_eq!(doc["openapi"], "3.1.0");
    assert!(doc["paths"]["/v1/checkout-sessions"]["post"].is_object());
    t.shutdown().await;
}

#[tokio::test]
async fn the_sending_identity_must_be_verified_in_ses_and_replies_default_to_the_support_email() {
    // GIVEN an account without a sender, and a domain verified in the emulator's SES
    let t = TestStack::start().await;
    let acme = t.account("Acme", true).await;
    assert_eq!(t.read(&acme, "/v1/account").await["email"], Value::Null, "no sender yet");
    t.app().mailer().create_identity("acme-mail.loop.test").await.unwrap();
    let patch = |body: Value| t.http.patch(t.url("/v1/account")).bearer_auth(&acme.api_key).json(&body).send();

    // WHEN the sender is an address SES does not know
    let refused = patch(json!({"email": {"fromAddress": "hi@unverified.loop.test"}})).await.unwrap();
    // THEN it is a 400 naming email.fromAddress, and nothing changes
    assert_eq!(refused.status(), 400);
    let error = body(refused).await;
    assert_eq!(
        (error["error"]["param"].as_str(), error["error"]["code"].as_str()),
        (Some("email.fromAddress"), Some("identity_not_verified"))
    );
    assert_eq!(t.read(&acme, "/v1/account").await["email"], Value::Null);

    // WHEN it is an address of the verified domain
    let accepted = patch(json!({"supportEmail": "help@acme.test",
                                "email": {"fromAddress": "hello@acme-mail.loop.test", "fromName": "Acme"}}))
    .await
    .unwrap();
    // THEN it is kept, and replies go to the support email
    assert_eq!(accepted.status(), 200);
    let email = &t.read(&acme, "/v1/account").await["email"];
    assert_eq!(
        *email,
        json!({"fromAddress": "hello@acme-mail.loop.test", "fromName": "Acme", "replyTo": "help@acme.test"})
    );

    // AND a replyTo of its own replaces the default; null removes the sender
    assert_eq!(patch(json!({"email": {"replyTo": "replies@acme.test"}})).await.unwrap().status(), 200);
    assert_eq!(t.read(&acme, "/v1/account").await["email"]["replyTo"], "replies@acme.test");
    assert_eq!(patch(json!({"email": null})).await.unwrap().status(), 200);
    assert_eq!(t.read(&acme, "/v1/account").await["email"], Value::Null);
    t.shutdown().await;
}
