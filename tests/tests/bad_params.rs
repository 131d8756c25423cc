//! Every `400` names its parameter: in `param`, and in the message a person reads (`api.md`).

use loop_tests::TestStack;
use serde_json::{json, Value};

#[tokio::test]
async fn each_400_names_its_parameter_in_param_and_in_the_message() {
    // GIVEN an account with an inactive payment link
    let t = TestStack::start().await;
    let acme = t.account("Acme", true).await;
    let link: Value = t
        .http
        .post(t.url("/v1/payment-links"))
        .bearer_auth(&acme.api_key)
        .json(&json!({"name": "Mug", "amount": "10.00", "currency": "USDC"}))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let link_id = link["id"].as_str().unwrap().to_owned();
    let deactivated = t
        .http
        .patch(t.url(&format!("/v1/payment-links/{link_id}")))
        .bearer_auth(&acme.api_key)
        .json(&json!({"active": false}))
        .send()
        .await
        .unwrap();
    assert_eq!(deactivated.status(), 200);

    let endpoint = json!({"url": "https://93.184.216.34/hooks", "events": ["contact.created", "invoice.paid"]});
    let cases: Vec<(&str, String, Option<Value>, &str)> = vec![
        // WHEN a webhook endpoint names an event type Loop does not publish
        ("POST", "/v1/webhook-endpoints".into(), Some(endpoint), "events"),
        // WHEN the Stripe integration gets a signing secret that is not one
        (
            "PUT",
            "/v1/integrations/stripe".into(),
            Some(json!({"signingSecrets": ["whsec_ok_secret_1", "nope"]})),
            "signingSecrets.1",
        ),
        ("PUT", "/v1/integrations/stripe".into(), Some(json!({"signingSecrets": []})), "signingSecrets"),
        (
            "PUT",
            "/v1/integrations/stripe".into(),
            Some(json!({"events": {"product.created": {"enabled": true}}})),
            "events.product.created",
        ),
        // WHEN a session is asked of an inactive payment link
        ("POST", "/v1/checkout-sessions".into(), Some(json!({"paymentLinkId": link_id})), "paymentLinkId"),
        // and a few others of each kind
        ("GET", "/v1/events?type=invoice.paid".into(), None, "type"),
        ("GET", "/v1/transfers?status=lost".into(), None, "status"),
        ("GET", "/v1/contacts?limit=0".into(), None, "limit"),
        (
            "POST",
            "/v1/checkout-sessions".into(),
            Some(json!({"paymentLinkId": link_id, "metadata": {"k": 1}})),
            "metadata.k",
        ),
        (
            "POST",
            "/v1/integrations/stripe/connect".into(),
            Some(json!({"restrictedKey": "pk_test_51Hxyz0123456789abcdefghij"})),
            "restrictedKey",
        ),
    ];
    for (method, path, body, param) in cases {
        let mut request = t.http.request(method.parse().unwrap(), t.url(&path)).bearer_auth(&acme.api_key);
        if let Some(body) = &body {
            request = request.json(body);
        }
        let response = request.send().await.unwrap();
        let status = response.status();
        let error: Value = response.json().await.unwrap();
        // THEN a 400 names the parameter, for programs and for people
        assert_eq!((status.as_u16(), error["error"]["param"].as_str()), (400, Some(param)), "{method} {path}: {error}");
        let message = error["error"]["message"].as_str().unwrap();
        assert!(message.contains(param), "{method} {path}: the message {message:?} does not name {param}");
    }
    t.shutdown().await;
}

#[tokio::test]
async fn ids_too_long_for_a_key_are_a_4xx_never_a_500() {
    // GIVEN an account
    let t = TestStack::start().await;
    let acme = t.account("Acme", true).await;
    let long = "evt_".to_owned() + &"a".repeat(2_000);
    // WHEN ids longer than any Loop id (and than DynamoDB's key limit) are asked for
    for path in [
        format!("/v1/events/{long}"),
        format!("/v1/events/{long}/attempts"),
        format!("/v1/webhook-endpoints/{long}"),
        format!("/v1/checkout-sessions/{long}"),
        format!("/checkout/cs_{long}"),
    ] {
        let response = t.get(&path, &acme.api_key).send().await.unwrap();
        // THEN they name nothing: 404
        assert_eq!(response.status(), 404, "GET {}…", &path[..40]);
    }
    // AND a query id of the wrong form is a 400 naming its parameter
    let response =
        t.get(&format!("/v1/events/evt_x/attempts?endpointId=we_{long}"), &acme.api_key).send().await.unwrap();
    assert_eq!(response.status(), 400);
    let body: Value = response.json().await.unwrap();
    assert_eq!(body["error"]["param"], "endpointId", "{body}");
    t.shutdown().await;
}
