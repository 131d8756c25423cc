//! Loop's guarantees under what AWS really does (`quality.md`, "Under real AWS semantics"): the
//! emulator's fault mode cancels transactions with conflicts, throttles, fails requests, answers
//! batch reads in part, delivers messages twice and out of order and fails deletes, while Stripe
//! sends duplicates concurrently. Still: every effect once, every delivery finished, and one HTTP
//! request per (event, endpoint, attempt).
//!
//! The seed is fixed for `make test`; `make soak` runs this file again and again with random
//! ones (`LOOP_FAULT_SEED`), printing each.

use std::collections::HashMap;
use std::time::{Duration, Instant};

use loop_capabilities::schedule;
use loop_tests::receiver::Receiver;
use loop_tests::stripe::{event, now, object};
use loop_tests::{TestAccount, TestStack};
use serde_json::{json, Value};

const WITHIN: Duration = Duration::from_secs(90);

fn customer_created(i: usize) -> Value {
    let email = format!("storm{i}@example.com");
    let customer = object("customer", json!({"id": format!("cus_storm{i}"), "email": email}));
    event(&format!("evt_storm_{i}"), "customer.created", now(), customer)
}

/// GET as the account, again while the answer is `503` (as a client of the API would).
async fn read(t: &TestStack, account: &TestAccount, path: &str) -> Value {
    let until = Instant::now() + WITHIN;
    loop {
        let response = t.get(path, &account.api_key).send().await.unwrap();
        let status = response.status().as_u16();
        if status == 200 {
            return response.json().await.unwrap();
        }
        assert!(status == 503 && Instant::now() < until, "GET {path} answered {status}");
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

/// The account's published events (those of `kind`, or all), with their deliveries.
async fn events_with_deliveries(t: &TestStack, account: &TestAccount, kind: Option<&str>) -> Vec<Value> {
    let path = match kind {
        Some(kind) => format!("/v1/events?limit=100&type={kind}"),
        None => "/v1/events?limit=100".to_owned(),
    };
    let listed = read(t, account, &path).await["data"].as_array().unwrap().clone();
    let mut detailed = Vec::new();
    for e in listed {
        detailed.push(read(t, account, &format!("/v1/events/{}", e["id"].as_str().unwrap())).await);
    }
    detailed
}

/// Waits until `expected` events (of `kind`, or all) are published, each with every delivery
/// finished (none left `pending`).
async fn all_deliveries_finished(
    t: &TestStack,
    account: &TestAccount,
    kind: Option<&str>,
    expected: usize,
) -> Vec<Value> {
    let until = Instant::now() + WITHIN;
    loop {
        let events = events_with_deliveries(t, account, kind).await;
        let finished = events.len() == expected
            && events.iter().all(|e| {
                let deliveries = e["endpoints"].as_array().unwrap();
                !deliveries.is_empty() && deliveries.iter().all(|d| d["status"] != "pending")
            });
        if finished || Instant::now() > until {
            return events;
        }
        tokio::time::sleep(Duration::from_millis(250)).await;
    }
}

/// Requests received per `webhook-id`.
fn requests_per_event(receiver: &Receiver) -> HashMap<String, usize> {
    let mut counts = HashMap::new();
    for r in receiver.received() {
        *counts.entry(r.header("webhook-id").to_owned()).or_default() += 1;
    }
    counts
}

#[tokio::test]
async fn each_of_five_events_posted_twenty_times_reaches_each_of_two_endpoints_in_one_request() {
    // GIVEN an account with two endpoints, then faults
    let t = TestStack::start_for_faults(&[("LOOP_ALLOW_PRIVATE_ENDPOINTS", "1")]).await;
    let acme = t.account("Acme", true).await;
    let (first, second) = (Receiver::start(0).await, Receiver::start(0).await);
    t.create_endpoint(&acme, &first.url, &["*"]).await;
    t.create_endpoint(&acme, &second.url, &["*"]).await;
    t.start_faults().await;

    // WHEN Stripe sends each of 5 events 20 times, 10 of them at once, retrying every 5xx
    let mut answers = Vec::new();
    for i in 0..5 {
        let created = customer_created(i);
        let at_once = (0..10).map(|_| t.send_stripe_until_accepted(&acme, &created, WITHIN));
        answers.extend(futures::future::join_all(at_once).await);
        for _ in 0..10 {
            answers.push(t.send_stripe_until_accepted(&acme, &created, WITHIN).await);
        }
    }

    // THEN every delivery ends, each event once: 5 contacts, 5 triggers, 10 outbound events
    assert!(answers.iter().all(|(status, _)| *status == 200), "{answers:?}");
    let events = all_deliveries_finished(&t, &acme, None, 10).await;
    assert_eq!(events.len(), 10, "5 contact.created and 5 event.triggered");
    let contacts = read(&t, &acme, "/v1/contacts?limit=100").await;
    assert_eq!(contacts["data"].as_array().unwrap().len(), 5);
    for i in 0..5 {
        let triggers = read(&t, &acme, &format!("/v1/contact-events?email=storm{i}@example.com")).await;
        assert_eq!(triggers["data"].as_array().unwrap().len(), 1);
    }
    // AND each endpoint received exactly one request per event, and every one succeeded
    for e in &events {
        assert!(e["endpoints"].as_array().unwrap().iter().all(|d| d["status"] == "succeeded"), "{e}");
    }
    for receiver in [&first, &second] {
        let counts = requests_per_event(receiver);
        assert_eq!(counts.len(), 10, "{counts:?}");
        assert!(counts.values().all(|n| *n == 1), "one request per event and endpoint: {counts:?}");
    }
    eprintln!("faults injected: {}", t.faults_injected().await);
    t.shutdown().await;
}

#[tokio::test]
async fn a_receiver_failing_at_first_gets_every_event_once_it_recovers() {
    // GIVEN a stack under faults, and a receiver that fails its first 12 requests
    let t = TestStack::start_for_faults(&[("LOOP_ALLOW_PRIVATE_ENDPOINTS", "1")]).await;
    let acme = t.account("Acme", true).await;
    let receiver = Receiver::start(12).await;
    t.create_endpoint(&acme, &receiver.url, &["contact.created"]).await;
    t.start_faults().await;

    // WHEN 6 customers are created
    for i in 0..6 {
        let (status, body) = t.send_stripe_until_accepted(&acme, &customer_created(i), WITHIN).await;
        assert_eq!(status, 200, "{body}");
    }

    // THEN every delivery succeeds, none is left pending, and each event has exactly one
    // successful request
    let created = all_deliveries_finished(&t, &acme, Some("contact.created"), 6).await;
    assert_eq!(created.len(), 6);
    for e in &created {
        let delivery = &e["endpoints"][0];
        assert_eq!(delivery["status"], "succeeded", "{e}");
    }
    let mut successes: HashMap<String, usize> = HashMap::new();
    for r in receiver.received().iter().filter(|r| r.status == 200) {
        *successes.entry(r.header("webhook-id").to_owned()).or_default() += 1;
    }
    assert_eq!(successes.len(), 6, "{successes:?}");
    assert!(successes.values().all(|n| *n == 1), "{successes:?}");
    eprintln!("faults injected: {}", t.faults_injected().await);
    t.shutdown().await;
}

#[tokio::test]
async fn a_late_transfer_gets_one_late_payment_when_runs_race_under_faults() {
    // GIVEN a transfer due 11 minutes ago, an endpoint for late payments, and faults
    let t = TestStack::start_for_faults(&[("LOOP_ALLOW_PRIVATE_ENDPOINTS", "1")]).await;
    let acme = t.account("Acme", true).await;
    let receiver = Receiver::start(0).await;
    t.create_endpoint(&acme, &receiver.url, &["LatePayment"]).await;
    t.start_faults().await;
    let due = now() - 660;
    let invoice = object(
        "invoice",
        json!({"id": "in_late", "status": "open", "customer_email": "late@example.com", "amount_due": 2500,
               "currency": "usd", "due_date": due, "created": due - 86_400, "parent": null, "subscription": null}),
    );
    let finalized = event("evt_in_late", "invoice.finalized", now(), invoice);
    assert_eq!(t.send_stripe_until_accepted(&acme, &finalized, WITHIN).await.0, 200);

    // WHEN scheduler runs overlap, two at a time, and a failed run is followed by the next one
    let mut notified = 0;
    for _ in 0..3 {
        let (a, b) = tokio::join!(schedule::run(t.app()), schedule::run(t.app()));
        notified += [a, b].into_iter().filter_map(Result::ok).map(|r| r.late_payments).sum::<u32>();
    }
    let until = Instant::now() + WITHIN;
    while let Err(err) = schedule::run(t.app()).await {
        assert!(Instant::now() < until, "the scheduler keeps failing: {err}");
    }

    // THEN one LatePayment is published, and delivered in one request
    assert_eq!(notified, 1);
    let events = all_deliveries_finished(&t, &acme, Some("LatePayment"), 1).await;
    assert_eq!(events.len(), 1);
    assert_eq!(events[0]["endpoints"][0]["status"], "succeeded");
    assert_eq!(receiver.received().len(), 1);
    eprintln!("faults injected: {}", t.faults_injected().await);
    t.shutdown().await;
}

#[tokio::test]
async fn ten_concurrent_completions_of_a_session_make_one_transition_under_faults() {
    // GIVEN an open checkout session, under faults
    let t = TestStack::start_for_faults(&[]).await;
    let acme = t.account("Acme", true).await;
    t.start_faults().await;
    let post = |path: String, body: Value| {
        let t = &t;
        let acme = &acme;
        async move {
            let until = Instant::now() + WITHIN;
            loop {
                let (status, answer) = t.post_json(acme, &path, &body).await;
                if status != 503 || Instant::now() > until {
                    return (status, answer);
                }
                tokio::time::sleep(Duration::from_millis(100)).await;
            }
        }
    };
    let (status, link) =
        post("/v1/payment-links".into(), json!({"name": "Gold", "amount": "10.00", "currency": "USDC"})).await;
    assert_eq!(status, 201, "{link}");
    let (status, session) = post("/v1/checkout-sessions".into(), json!({"paymentLinkId": link["id"]})).await;
    assert_eq!(status, 201, "{session}");
    let id = session["id"].as_str().unwrap().to_owned();

    // WHEN ten completions race
    let path = format!("/v1/test-helpers/checkout-sessions/{id}/complete");
    let answers = futures::future::join_all((0..10).map(|_| post(path.clone(), json!({})))).await;

    // THEN one wins, the others find it finished, and one event is published
    let wins = answers.iter().filter(|(s, _)| *s == 200).count();
    assert_eq!(wins, 1, "{answers:?}");
    assert!(answers.iter().all(|(s, b)| *s == 200 || b["error"]["code"] == "session_not_open"), "{answers:?}");
    let completed = read(&t, &acme, "/v1/events?type=checkout.session.completed").await;
    assert_eq!(completed["data"].as_array().unwrap().len(), 1);
    eprintln!("faults injected: {}", t.faults_injected().await);
    t.shutdown().await;
}

#[tokio::test]
async fn a_workflow_sends_one_email_per_trigger_under_faults() {
    // GIVEN a sending account with a workflow on customer.created, then faults
    let t = TestStack::start_for_faults(&[]).await;
    let acme = t.sending_account("Acme", "storm.loop.test", "help@storm.loop.test").await;
    let template = json!({"name": "Welcome", "subject": "Welcome", "html": "<p>Hello {{ contact.email }}</p>"});
    let (_, template) = t.call(&acme, "POST", "/v1/email-templates", Some(&template)).await;
    let workflow = json!({"name": "Welcome", "trigger": {"eventName": "customer.created"},
                          "steps": [{"type": "email", "templateId": template["id"]}]});
    let (status, workflow) = t.call(&acme, "POST", "/v1/workflows", Some(&workflow)).await;
    assert_eq!(status, 201, "{workflow}");
    let workflow = workflow["id"].as_str().unwrap().to_owned();
    t.start_faults().await;

    // WHEN Stripe sends each of 3 new customers 6 times, 3 of them at once
    let run = loop_ground::ids::random_token(6).to_lowercase();
    let customers: Vec<String> = (0..3).map(|i| format!("wf{i}-{run}@example.com")).collect();
    for (i, email) in customers.iter().enumerate() {
        let customer = object("customer", json!({"id": format!("cus_wf{i}{run}"), "email": email}));
        let created = event(&format!("evt_wf_{i}_{run}"), "customer.created", now(), customer);
        let at_once = (0..3).map(|_| t.send_stripe_until_accepted(&acme, &created, WITHIN));
        assert!(futures::future::join_all(at_once).await.iter().all(|(s, _)| *s == 200));
        for _ in 0..3 {
            assert_eq!(t.send_stripe_until_accepted(&acme, &created, WITHIN).await.0, 200);
        }
    }

    // THEN one run per customer completes (the scheduler playing its part every few seconds)
    let until = Instant::now() + Duration::from_secs(240);
    loop {
        let runs = read(&t, &acme, &format!("/v1/workflows/{workflow}/runs?limit=100")).await;
        let runs = runs["data"].as_array().unwrap().clone();
        assert!(runs.len() <= 3, "one run per trigger: {runs:?}");
        if runs.len() == 3 && runs.iter().all(|r| r["status"] == "completed") {
            break;
        }
        assert!(Instant::now() < until, "runs did not complete: {runs:?}");
        let _ = schedule::run(t.app()).await;
        tokio::time::sleep(Duration::from_millis(500)).await;
    }
    // AND SES sent each customer exactly one email
    let sent = t.ses_raw_messages().await;
    for email in &customers {
        let to_them =
            sent.iter().filter(|m| m["destinations"].as_array().is_some_and(|d| d.iter().any(|d| d == email))).count();
        assert_eq!(to_them, 1, "{email}");
    }
    eprintln!("faults injected: {}", t.faults_injected().await);
    t.shutdown().await;
}
