//! Bounces and complaints (`email.md`): SES's event for an email Loop sent, as SNS delivers it to
//! the feedback queue, marks the email and unsubscribes its recipient once. Here the event goes to
//! the stack's queue (the local runner reads one queue for both), in the shape SES publishes.

use std::time::{Duration, Instant};

use loop_adapters::queue::OutgoingMessage;
use loop_tests::TestStack;
use serde_json::{json, Value};

/// SES's event for the email `email_id` of `account`, as the SNS subscription (raw delivery) hands it on.
fn ses_event(kind: &str, detail: Value, account: &str, email_id: &str, to: &str) -> String {
    let mut event = json!({
        "eventType": kind,
        "mail": {"messageId": "0100018c-test", "destination": [to],
                 "tags": {"loop-account": [account], "loop-email": [email_id], "ses:from-domain": ["fb.loop.test"]}},
    });
    event[kind.to_lowercase()] = detail;
    event.to_string()
}

async fn until(deadline: Duration, mut done: impl AsyncFnMut() -> bool) {
    let end = Instant::now() + deadline;
    while !done().await {
        assert!(Instant::now() < end, "never happened");
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

#[tokio::test]
async fn a_hard_bounce_or_a_complaint_marks_the_email_and_unsubscribes_once_a_soft_bounce_only_marks() {
    let t = TestStack::start().await;
    let acme = t.account("Acme", true).await;
    t.app().mailer().create_identity("fb.loop.test").await.unwrap();
    let sender = json!({"email": {"fromAddress": "hi@fb.loop.test"}});
    assert_eq!(t.call(&acme, "PATCH", "/v1/account", Some(&sender)).await.0, 200);
    let (_, template) = t
        .call(&acme, "POST", "/v1/email-templates", Some(&json!({"name": "n", "subject": "Hi", "html": "<p>Hi</p>"})))
        .await;

    for (kind, detail, feedback, unsubscribed) in [
        ("Bounce", json!({"bounceType": "Transient", "bounceSubType": "MailboxFull"}), "bounced: transient", false),
        ("Bounce", json!({"bounceType": "Permanent", "bounceSubType": "General"}), "bounced", true),
        ("Complaint", json!({"complaintFeedbackType": "abuse"}), "complained", true),
    ] {
        // GIVEN an email sent to a subscribed contact
        let to = format!("fb-{}@example.com", loop_ground::ids::random_token(8).to_lowercase());
        let body = json!({"transactionalId": template["id"], "email": to, "addToAudience": true});
        let (status, sent) = t.call(&acme, "POST", "/v1/transactional", Some(&body)).await;
        assert_eq!((status, &sent["success"]), (200, &json!(true)), "{sent}");
        let email_id = sent["id"].as_str().unwrap().to_owned();

        // WHEN SES reports it, twice (SNS delivers at least once)
        let event = ses_event(kind, detail, &acme.id, &email_id, &to);
        let messages = [event.clone(), event].map(|body| OutgoingMessage { body, delay_seconds: 0 });
        t.app().queue.send(&messages).await.unwrap();

        // THEN the email is marked
        until(Duration::from_secs(15), async || {
            t.call(&acme, "GET", &format!("/v1/emails/{email_id}"), None).await.1["feedback"] == feedback
        })
        .await;
        // AND the contact is unsubscribed after a hard bounce or a complaint, with one event
        let contact = t.read(&acme, &format!("/v1/contacts?email={to}")).await["data"][0].clone();
        assert_eq!(contact["subscribed"], !unsubscribed, "{kind} {feedback}: {contact}");
        let events = t.read(&acme, "/v1/events?type=contact.unsubscribed&limit=100").await;
        let mine =
            events["data"].as_array().unwrap().iter().filter(|e| e["payload"]["data"]["email"] == to.as_str()).count();
        assert_eq!(mine, usize::from(unsubscribed), "{events}");
    }
    t.shutdown().await;
}
