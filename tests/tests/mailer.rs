//! The SES adapter against the emulator's SES v2: a raw MIME message built by `mailer::mime` is
//! sent and kept whole (the emulator's `data.json` holds what it sent), and a sender SES does
//! not know is a refusal with SES's reason, not an outage.

use loop_adapters::mailer::{mime, Outgoing, SendError, Unsubscribe};
use loop_tests::TestStack;

#[tokio::test]
async fn a_raw_message_is_sent_whole_from_a_verified_domain_and_an_unverified_sender_is_refused() {
    // GIVEN a domain verified in the emulator's SES
    let t = TestStack::start().await;
    let mailer = t.app().mailer();
    mailer.create_identity("mailer.loop.test").await.unwrap();
    assert!(mailer.may_send_as("news@mailer.loop.test").await.unwrap());
    assert!(!mailer.may_send_as("news@elsewhere.loop.test").await.unwrap());
    let to = format!("reader-{}@example.com", loop_ground::ids::random_token(8).to_lowercase());
    let unsubscribe = Unsubscribe { url: "https://loop.test/u/abc", mailto: None };
    let email = Outgoing {
        from_name: Some("Mailer Test"),
        from_address: "news@mailer.loop.test",
        to: &to,
        reply_to: Some("help@mailer.loop.test"),
        subject: "Hello from the adapter",
        text: "Plain hello",
        html: "<p>HTML hello</p>",
        unsubscribe: Some(unsubscribe),
    };

    // WHEN it is sent
    let tags = [("loop-account", "acct_abcdefghijklmnopqrst"), ("loop-email", "em_1")];
    let id = mailer.send_raw(email.from_address, &to, mime(&email).unwrap(), &tags).await.unwrap();

    // THEN SES answered a message id, and kept the message with every header
    assert!(!id.is_empty());
    let sent = t.ses_raw_messages().await;
    let ours = sent
        .iter()
        .find(|m| m["raw_data"].as_str().is_some_and(|raw| raw.contains(&to)))
        .unwrap_or_else(|| panic!("not sent: {sent:?}"));
    let raw = ours["raw_data"].as_str().unwrap();
    for expected in [
        "Subject: Hello from the adapter",
        "Reply-To: help@mailer.loop.test",
        "List-Unsubscribe: <https://loop.test/u/abc>",
        "Plain hello",
        "<p>HTML hello</p>",
    ] {
        assert!(raw.contains(expected), "{expected} missing from {raw}");
    }

    // WHEN the sender is not verified THEN SES refuses, and says why
    let refused = mailer
        .send_raw(
            "news@elsewhere.loop.test",
            &to,
            mime(&Outgoing { from_address: "news@elsewhere.loop.test", ..email }).unwrap(),
            &[],
        )
        .await
        .unwrap_err();
    let SendError::Refused(reason) = refused else { panic!("{refused:?}") };
    assert!(reason.contains("news@elsewhere.loop.test"), "SES names the sender: {reason}");
    t.shutdown().await;
}
