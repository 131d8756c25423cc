//! Email templates and transactional email (`email.md`) over HTTP against the stack, reading what
//! the emulator's SES really sent (its `data.json`): recipient, subject, rendered body, headers.

use loop_tests::TestStack;
use serde_json::{json, Value};

const RECEIPT_HTML: &str = "<h1>Thanks {{ contact.firstName | default(\"there\") }}</h1>\n<p>You paid {{ event.amount }} for <b>{{ event.item }}</b>.</p>";

#[tokio::test]
async fn templates_are_saved_only_if_they_parse_and_preview_without_sending() {
    let t = TestStack::start().await;
    let acme = t.account("Acme", true).await;

    // WHEN a template is created THEN it has an et_ id and derives no text until rendered
    let body = json!({"name": "Receipt", "subject": "Receipt for {{ event.item }}", "html": RECEIPT_HTML});
    let (status, template) = t.call(&acme, "POST", "/v1/email-templates", Some(&body)).await;
    assert_eq!(status, 201, "{template}");
    let id = template["id"].as_str().unwrap().to_owned();
    assert!(id.starts_with("et_"));
    assert_eq!(template["text"], Value::Null);

    // AND it previews with given values, HTML escaped in html only, text derived
    let preview =
        json!({"contact": {"firstName": "<Ann>"}, "eventProperties": {"amount": "10.00", "item": "Gold & Co"}});
    let (status, rendered) = t.call(&acme, "POST", &format!("/v1/email-templates/{id}/preview"), Some(&preview)).await;
    assert_eq!(status, 200, "{rendered}");
    assert_eq!(rendered["subject"], "Receipt for Gold & Co");
    assert!(rendered["html"].as_str().unwrap().contains("Thanks &lt;Ann&gt;"), "{rendered}");
    assert!(rendered["html"].as_str().unwrap().contains("<b>Gold &amp; Co</b>"), "{rendered}");
    assert_eq!(rendered["text"], "Thanks <Ann>\n\nYou paid 10.00 for Gold & Co.");
    // and with samples when nothing is given; missing variables render empty
    let (_, sample) = t.call(&acme, "POST", &format!("/v1/email-templates/{id}/preview"), None).await;
    assert_eq!(sample["subject"], "Receipt for");
    assert!(sample["html"].as_str().unwrap().contains("Thanks Jane"), "{sample}");

    // WHEN a part does not parse THEN 400 names the part and the line, and nothing changes
    let (status, error) = t
        .call(
            &acme,
            "PATCH",
            &format!("/v1/email-templates/{id}"),
            Some(&json!({"html": "<p>ok</p>\n<p>{% if contact.firstName %}never closed</p>"})),
        )
        .await;
    assert_eq!(status, 400, "{error}");
    assert_eq!(error["error"]["param"], "html");
    assert!(error["error"]["message"].as_str().unwrap().contains("line 2"), "{error}");
    let bad = json!({"name": "Bad", "subject": "{{ unclosed", "html": "<p></p>"});
    let (status, error) = t.call(&acme, "POST", "/v1/email-templates", Some(&bad)).await;
    assert_eq!((status, error["error"]["param"].as_str()), (400, Some("subject")));
    for (body, param) in [
        (json!({"subject": "s", "html": "h"}), "name"),
        (json!({"name": "n", "html": "h"}), "subject"),
        (json!({"name": "n", "subject": "s"}), "html"),
        (json!({"name": "n", "subject": "s", "html": "h", "css": "x"}), "css"),
    ] {
        let (status, error) = t.call(&acme, "POST", "/v1/email-templates", Some(&body)).await;
        assert_eq!((status, error["error"]["param"].as_str()), (400, Some(param)), "{body}");
    }
    let (_, list) = t.call(&acme, "GET", "/v1/email-templates", None).await;
    assert_eq!(list["data"].as_array().unwrap().len(), 1);
    assert_eq!(list["data"][0]["html"], RECEIPT_HTML, "the failed patch changed nothing");

    // WHEN it is updated and deleted
    let (status, updated) =
        t.call(&acme, "PATCH", &format!("/v1/email-templates/{id}"), Some(&json!({"text": "Thanks!"}))).await;
    assert_eq!((status, &updated["text"]), (200, &json!("Thanks!")));
    let (status, _) = t.call(&acme, "DELETE", &format!("/v1/email-templates/{id}"), None).await;
    assert_eq!(status, 200);
    let (status, _) = t.call(&acme, "GET", &format!("/v1/email-templates/{id}"), None).await;
    assert_eq!(status, 404);
    t.shutdown().await;
}

#[tokio::test]
async fn a_transactional_email_is_rendered_sent_through_ses_recorded_and_sent_once_per_idempotency_key() {
    // GIVEN an account with a sender, a template, and an unsubscribed contact
    let t = TestStack::start().await;
    let acme = t.sending_account("Acme", "tx.loop.test", "help@acme.test").await;
    let template = json!({"name": "Receipt", "subject": "Receipt for {{ event.item }}", "html": RECEIPT_HTML});
    let (_, template) = t.call(&acme, "POST", "/v1/email-templates", Some(&template)).await;
    let template_id = template["id"].as_str().unwrap();
    let to = format!("buyer-{}@example.com", loop_ground::ids::random_token(8).to_lowercase());
    let contact = json!({"email": to, "firstName": "Bea", "subscribed": false});
    assert_eq!(t.call(&acme, "POST", "/v1/contacts", Some(&contact)).await.0, 201);

    // WHEN a transactional email is sent twice under one Idempotency-Key
    let body =
        json!({"transactionalId": template_id, "email": to, "dataVariables": {"amount": "25.00", "item": "Gold"}});
    let post = || {
        t.http
            .post(t.url("/v1/transactional"))
            .bearer_auth(&acme.api_key)
            .header("Idempotency-Key", "receipt-1")
            .json(&body)
            .send()
    };
    let first: Value = post().await.unwrap().json().await.unwrap();
    let second: Value = post().await.unwrap().json().await.unwrap();

    // THEN one email, answered both times in Loops' shape
    assert_eq!(first, second);
    assert_eq!(first["success"], true, "{first}");
    let id = first["id"].as_str().unwrap();
    assert!(id.starts_with("em_"));
    let sent: Vec<Value> = t
        .ses_raw_messages()
        .await
        .into_iter()
        .filter(|m| m["destinations"].as_array().unwrap().iter().any(|d| d == to.as_str()))
        .collect();
    assert_eq!(sent.len(), 1, "one email for one key");
    // AND SES sent it from the sender, to the contact (unsubscribed or not), rendered, with Reply-To
    let raw = sent[0]["raw_data"].as_str().unwrap().replace("\r\n ", " ");
    assert_eq!(sent[0]["source"], "hello@tx.loop.test");
    for expected in [
        format!("To: {to}"),
        "From: Acme <hello@tx.loop.test>".to_owned(),
        "Reply-To: help@acme.test".to_owned(),
        "Subject: Receipt for Gold".to_owned(),
        "You paid 25.00 for <b>Gold</b>.".to_owned(),
        "Thanks Bea".to_owned(),
    ] {
        assert!(raw.contains(&expected), "{expected} missing from {raw}");
    }
    assert!(!raw.contains("List-Unsubscribe"), "transactional email has no unsubscribe header");

    // AND it is recorded as sent
    let (status, record) = t.call(&acme, "GET", &format!("/v1/emails/{id}"), None).await;
    assert_eq!(status, 200);
    assert_eq!(
        (&record["to"], &record["subject"], &record["templateId"], &record["kind"], &record["status"]),
        (&json!(to), &json!("Receipt for Gold"), &json!(template_id), &json!("transactional"), &json!("sent"))
    );
    assert!(record["sesMessageId"].as_str().is_some_and(|m| !m.is_empty()));
    let (_, listed) = t.call(&acme, "GET", &format!("/v1/emails?email={to}"), None).await;
    assert_eq!(listed["data"][0]["id"], id);

    // WHEN addToAudience names a new address THEN the contact is created
    let new = format!("new-{}@example.com", loop_ground::ids::random_token(8).to_lowercase());
    let body = json!({"transactionalId": template_id, "email": new, "addToAudience": true});
    let (status, _) = t.call(&acme, "POST", "/v1/transactional", Some(&body)).await;
    assert_eq!(status, 200);
    assert_eq!(t.read(&acme, &format!("/v1/contacts?email={new}")).await["data"][0]["email"], new.as_str());
    t.shutdown().await;
}

#[tokio::test]
async fn without_a_sender_or_a_template_nothing_is_sent_and_an_ses_refusal_is_recorded_as_failed() {
    let t = TestStack::start().await;
    let acme = t.account("Acme", true).await;
    let template = json!({"name": "Hi", "subject": "Hi", "html": "<p>Hi</p>"});
    let (_, template) = t.call(&acme, "POST", "/v1/email-templates", Some(&template)).await;
    let template_id = template["id"].as_str().unwrap().to_owned();

    // WHEN the account has no sender THEN a clear 409
    let body = json!({"transactionalId": template_id, "email": "a@example.com"});
    let (status, error) = t.call(&acme, "POST", "/v1/transactional", Some(&body)).await;
    assert_eq!((status, error["error"]["code"].as_str()), (409, Some("sender_not_configured")), "{error}");

    // WHEN the template is unknown, or the body is bad THEN 404 / 400 naming the parameter
    t.app().mailer().create_identity("refused.loop.test").await.unwrap();
    let patch = json!({"email": {"fromAddress": "hi@refused.loop.test"}});
    assert_eq!(t.call(&acme, "PATCH", "/v1/account", Some(&patch)).await.0, 200);
    let unknown = json!({"transactionalId": "et_nope", "email": "a@example.com"});
    let (status, error) = t.call(&acme, "POST", "/v1/transactional", Some(&unknown)).await;
    assert_eq!((status, error["error"]["param"].as_str()), (404, Some("transactionalId")));
    for (body, param) in [
        (json!({"email": "a@example.com"}), "transactionalId"),
        (json!({"transactionalId": template_id}), "email"),
        (json!({"transactionalId": template_id, "email": "nope"}), "email"),
        (json!({"transactionalId": template_id, "email": "a@example.com", "dataVariables": []}), "dataVariables"),
    ] {
        let (status, error) = t.call(&acme, "POST", "/v1/transactional", Some(&body)).await;
        assert_eq!((status, error["error"]["param"].as_str()), (400, Some(param)), "{body}");
    }

    // WHEN SES refuses the sender (its identity was removed after it was set)
    let ses = loop_adapters::aws::AwsClients::new(&t.app().config.aws).await.sesv2();
    ses.delete_email_identity().email_identity("refused.loop.test").send().await.unwrap();
    let (status, answer) = t.call(&acme, "POST", "/v1/transactional", Some(&body)).await;

    // THEN it is recorded as failed with SES's reason, and not retried
    assert_eq!((status, &answer["success"], &answer["status"]), (200, &json!(false), &json!("failed")), "{answer}");
    let (_, record) = t.call(&acme, "GET", &format!("/v1/emails/{}", answer["id"].as_str().unwrap()), None).await;
    assert_eq!(record["status"], "failed");
    assert!(record["reason"].as_str().unwrap().contains("hi@refused.loop.test"), "{record}");
    t.shutdown().await;
}
