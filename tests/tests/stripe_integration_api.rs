//! `GET` and `PUT /v1/integrations/stripe`: masked secrets, per-type settings, validation.

use loop_tests::stripe::{event, now, object};
use loop_tests::{TestAccount, TestStack};
use serde_json::{json, Value};

async fn put(t: &TestStack, account: &TestAccount, body: Value) -> (u16, Value) {
    let response =
        t.http.put(t.url("/v1/integrations/stripe")).bearer_auth(&account.api_key).json(&body).send().await.unwrap();
    (response.status().as_u16(), response.json().await.unwrap())
}

#[tokio::test]
async fn the_configuration_lists_all_nineteen_types_with_defaults_and_masked_secrets() {
    let t = TestStack::start().await;
    let acme = t.account("Acme", true).await;
    let config = t.read(&acme, "/v1/integrations/stripe").await;
    let events = config["events"].as_object().unwrap();
    assert_eq!(events.len(), 19);
    assert_eq!(
        events["invoice.paid"],
        json!({"enabled": true, "eventName": "invoice.paid", "syncName": false, "userGroup": null})
    );
    assert_eq!(config["customerDeleted"], "unsubscribe");
    let masked = config["signingSecrets"][0].as_str().unwrap();
    let tail = &acme.signing_secret[acme.signing_secret.len() - 4..];
    assert_eq!(masked, format!("whsec_…{tail}"));
    assert!(!config.to_string().contains(&acme.signing_secret));
    t.shutdown().await;
}

#[tokio::test]
async fn put_replaces_what_it_names_and_keeps_the_rest() {
    let t = TestStack::start().await;
    let acme = t.account("Acme", true).await;
    let (status, first) =
        put(&t, &acme, json!({"events": {"invoice.paid": {"eventName": "Paid", "syncName": true}}})).await;
    assert_eq!(status, 200, "{first}");
    let (_, second) =
        put(&t, &acme, json!({"events": {"invoice.paid": {"userGroup": "payers"}}, "customerDeleted": "delete"})).await;
    assert_eq!(
        second["events"]["invoice.paid"],
        json!({"enabled": true, "eventName": "Paid", "syncName": true, "userGroup": "payers"})
    );
    assert_eq!(second["events"]["customer.created"]["eventName"], "customer.created");
    assert_eq!(second["customerDeleted"], "delete");
    assert_eq!(second["signingSecrets"], first["signingSecrets"]);
    let (_, rotated) =
        put(&t, &acme, json!({"signingSecrets": ["whsec_first_secret_1234", "whsec_second_secret_5678"]})).await;
    assert_eq!(rotated["signingSecrets"], json!(["whsec_…1234", "whsec_…5678"]));
    assert_eq!(t.read(&acme, "/v1/integrations/stripe").await, rotated);
    t.shutdown().await;
}

#[tokio::test]
async fn invalid_configurations_name_the_parameter_and_change_nothing() {
    let t = TestStack::start().await;
    let acme = t.account("Acme", true).await;
    let before = t.read(&acme, "/v1/integrations/stripe").await;
    let cases = [
        (json!({"events": {"product.created": {"enabled": false}}}), "events.product.created"),
        (json!({"events": {"nonsense.event": {}}}), "events.nonsense.event"),
        (json!({"events": {"invoice.paid": {"enabled": "yes"}}}), "events.invoice.paid.enabled"),
        (json!({"events": {"invoice.paid": {"colour": "red"}}}), "events.invoice.paid.colour"),
        (json!({"events": {"invoice.paid": {"eventName": ""}}}), "events.invoice.paid.eventName"),
        (json!({"signingSecrets": []}), "signingSecrets"),
        (json!({"signingSecrets": ["a", "b", "c"]}), "signingSecrets"),
        (json!({"signingSecrets": ["sk_test_notawebhooksecret"]}), "signingSecrets.0"),
        (json!({"signingSecrets": ["whsec_ok_secret_1", "whsec_x"]}), "signingSecrets.1"),
        (json!({"signingSecrets": ["whsec_has space inside"]}), "signingSecrets.0"),
        (json!({"customerDeleted": "archive"}), "customerDeleted"),
        (json!({"webhookUrl": "https://x"}), "webhookUrl"),
    ];
    for (body, param) in cases {
        let (status, error) = put(&t, &acme, body.clone()).await;
        assert_eq!(status, 400, "{body}");
        assert_eq!(error["error"]["param"], param, "{body}");
    }
    assert_eq!(t.read(&acme, "/v1/integrations/stripe").await, before);
    t.shutdown().await;
}

#[tokio::test]
async fn what_get_answers_can_be_put_back_and_masked_secrets_keep_the_stored_ones() {
    // GIVEN an account whose Stripe configuration is read back, masked
    let t = TestStack::start().await;
    let acme = t.account("Acme", true).await;
    let config = t.read(&acme, "/v1/integrations/stripe").await;

    // WHEN exactly what GET answered is PUT back
    let (status, answered) = put(&t, &acme, config.clone()).await;

    // THEN nothing changes, and the stored secret still verifies Stripe's events
    assert_eq!(status, 200, "{answered}");
    assert_eq!(answered, config);
    assert_eq!(t.read(&acme, "/v1/integrations/stripe").await, config);
    let customer = event("evt_kept", "customer.created", now(), object("customer", json!({"email": "k@example.com"})));
    assert_eq!(t.send_stripe(&acme, &customer).await.0, 200);

    // WHEN a second secret is added next to the masked first one (a rotation)
    let masked = config["signingSecrets"][0].clone();
    let (status, rotated) =
        put(&t, &acme, json!({"signingSecrets": [masked.clone(), "whsec_rotated_secret_9876"]})).await;
    // THEN both are kept, shown masked, and the first still verifies
    assert_eq!(status, 200, "{rotated}");
    assert_eq!(rotated["signingSecrets"], json!([masked, "whsec_…9876"]));
    assert!(!rotated.to_string().contains(&acme.signing_secret));
    let again = event("evt_kept2", "customer.created", now(), object("customer", json!({"email": "k2@example.com"})));
    assert_eq!(t.send_stripe(&acme, &again).await.0, 200);

    // WHEN a mask that matches no stored secret is sent
    let (status, error) = put(&t, &acme, json!({"signingSecrets": ["whsec_…zzzz"]})).await;
    // THEN it is refused, naming the entry, and nothing changes
    assert_eq!((status, error["error"]["param"].as_str()), (400, Some("signingSecrets.0")), "{error}");
    assert_eq!(t.read(&acme, "/v1/integrations/stripe").await["signingSecrets"], rotated["signingSecrets"]);
    t.shutdown().await;
}
