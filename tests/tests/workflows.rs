//! Workflows and unsubscribing (`email.md`) against the stack: trigger events from Stripe and from
//! the contacts API start runs, the stack's dispatch sends their emails through the emulator's SES,
//! and the tests read what SES really sent (recipient, body, RFC 8058 headers).

use std::time::{Duration, Instant};

use loop_adapters::app::App;
use loop_adapters::aws::AwsClients;
use loop_capabilities::{email::workflows, schedule};
use loop_ground::ids::AccountId;
use loop_tests::stripe::{event, now, object};
use loop_tests::{TestAccount, TestStack};
use serde_json::{json, Value};

fn unique_email(prefix: &str) -> String {
    format!("{prefix}-{}@example.com", loop_ground::ids::random_token(10).to_lowercase())
}

/// What SES sent to `to`, each raw message with its folded headers unfolded.
async fn sent_to(t: &TestStack, to: &str) -> Vec<String> {
    t.ses_raw_messages()
        .await
        .into_iter()
        .filter(|m| m["destinations"].as_array().is_some_and(|d| d.iter().any(|d| d == to)))
        .map(|m| {
            m["raw_data"]
                .as_str()
                .unwrap()
                .replace("\r\n ", " ")
                .replace("=\r\n", "")
                .replace("=3D", "=")
                .replace("\r\n\t", " ")
        })
        .collect()
}

async fn create_template(t: &TestStack, account: &TestAccount, html: &str) -> String {
    let body =
        json!({"name": "Welcome", "subject": "Welcome {{ contact.firstName | default(\"there\") }}", "html": html});
    let (status, template) = t.call(account, "POST", "/v1/email-templates", Some(&body)).await;
    assert_eq!(status, 201, "{template}");
    template["id"].as_str().unwrap().to_owned()
}

async fn create_workflow(t: &TestStack, account: &TestAccount, body: Value) -> String {
    let (status, workflow) = t.call(account, "POST", "/v1/workflows", Some(&body)).await;
    assert_eq!(status, 201, "{workflow}");
    assert_eq!(workflow["status"], "active");
    workflow["id"].as_str().unwrap().to_owned()
}

/// Polls the workflow's runs until `done` holds of them (30 s at most).
async fn runs_until(
    t: &TestStack,
    account: &TestAccount,
    workflow: &str,
    done: impl Fn(&[Value]) -> bool,
) -> Vec<Value> {
    let deadline = Instant::now() + Duration::from_secs(30);
    loop {
        let (status, page) = t.call(account, "GET", &format!("/v1/workflows/{workflow}/runs"), None).await;
        assert_eq!(status, 200, "{page}");
        let runs = page["data"].as_array().unwrap().clone();
        if done(&runs) {
            return runs;
        }
        assert!(Instant::now() < deadline, "runs never got there: {runs:?}");
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

fn header<'a>(raw: &'a str, name: &str) -> Option<&'a str> {
    raw.split("\r\n").take_while(|l| !l.is_empty()).find_map(|l| l.strip_prefix(&format!("{name}: ")))
}

#[tokio::test]
async fn a_stripe_customer_created_starts_one_run_and_sends_one_email_however_often_it_arrives() {
    let t = TestStack::start().await;
    let acme = t.sending_account("Acme", "wf.loop.test", "help@acme.test").await;
    let names = json!({"events": {"customer.created": {"syncName": true}}});
    let response =
        t.http.put(t.url("/v1/integrations/stripe")).bearer_auth(&acme.api_key).json(&names).send().await.unwrap();
    assert_eq!(response.status(), 200);
    // GIVEN a template without an unsubscribe link, and a workflow on customer.created
    let template = create_template(&t, &acme, "<p>Hello {{ contact.firstName }}!</p>").await;
    let workflow = create_workflow(
        &t,
        &acme,
        json!({"name": "Welcome", "trigger": {"eventName": "customer.created"}, "steps": [{"type": "email", "templateId": template}]}),
    )
    .await;

    // WHEN Stripe delivers one customer.created 10 times, 5 of them at once
    let email = unique_email("jenny");
    let customer = object("customer", json!({"id": "cus_wf1", "email": email, "name": "Jenny Rosen"}));
    let created = event("evt_wf_customer", "customer.created", now(), customer);
    let answers = futures::future::join_all((0..5).map(|_| t.send_stripe(&acme, &created))).await;
    for _ in 0..5 {
        assert_eq!(t.send_stripe(&acme, &created).await.0, 200);
    }
    assert!(answers.iter().all(|(status, _)| *status == 200), "{answers:?}");

    // THEN one run completes, having sent one email
    let runs = runs_until(&t, &acme, &workflow, |runs| runs.iter().any(|r| r["status"] == "completed")).await;
    assert_eq!(runs.len(), 1, "{runs:?}");
    assert_eq!(runs[0]["contact"]["email"], email.as_str());
    assert_eq!(runs[0]["steps"][0]["status"], "sent");
    let sent = sent_to(&t, &email).await;
    assert_eq!(sent.len(), 1, "one email for one trigger");
    let raw = &sent[0];
    // AND it is the rendered template, with the footer Loop adds and the RFC 8058 headers
    assert_eq!(header(raw, "Subject"), Some("Welcome Jenny"));
    assert!(raw.contains("Hello Jenny!"), "{raw}");
    assert_eq!(header(raw, "List-Unsubscribe-Post"), Some("List-Unsubscribe=One-Click"));
    assert_eq!(header(raw, "Reply-To"), Some("help@acme.test"));
    let list_unsubscribe = header(raw, "List-Unsubscribe").expect("a List-Unsubscribe header");
    let url =
        list_unsubscribe.split(['<', '>']).find(|p| p.starts_with("http")).expect("an HTTPS or local URL").to_owned();
    assert!(url.starts_with(&t.url("/u/u1.")), "{url}");
    assert!(list_unsubscribe.contains("<mailto:help@acme.test?subject=unsubscribe>"), "{list_unsubscribe}");
    assert!(raw.contains("Unsubscribe"), "the body links to the unsubscribe page");
    // AND the API records it as a workflow email
    let (_, emails) = t.call(&acme, "GET", &format!("/v1/emails?email={email}"), None).await;
    let record = &emails["data"][0];
    assert_eq!(
        (&record["kind"], &record["status"], &record["workflowId"]),
        (&json!("workflow"), &json!("sent"), &json!(workflow))
    );
    assert_eq!(record["runId"], runs[0]["id"]);
    let (_, by_workflow) = t.call(&acme, "GET", &format!("/v1/emails?workflowId={workflow}"), None).await;
    assert_eq!(by_workflow["data"].as_array().map(Vec::len), Some(1), "{by_workflow}");
    assert_eq!(by_workflow["data"][0]["id"], record["id"]);

    // WHEN the page is opened THEN it asks first; an altered token is a 404 page
    let page = t.http.get(&url).send().await.unwrap();
    assert_eq!(page.status(), 200);
    assert!(page.text().await.unwrap().contains("<button"));
    let altered = format!("{}x", &url[..url.len() - 1]);
    assert_eq!(t.http.get(&altered).send().await.unwrap().status(), 404);
    assert_eq!(t.http.get(t.url("/u/u1.bm90.c2ln")).send().await.unwrap().status(), 404);

    // WHEN a mail client one-clicks, 3 times at once
    let one_click = || {
        t.http
            .post(&url)
            .header("Content-Type", "application/x-www-form-urlencoded")
            .body("List-Unsubscribe=One-Click")
            .send()
    };
    let clicks = futures::future::join_all((0..3).map(|_| one_click())).await;
    assert!(clicks.into_iter().all(|r| r.unwrap().status() == 200));
    // THEN the contact is unsubscribed, and contact.unsubscribed was published once
    let contact = t.read(&acme, &format!("/v1/contacts?email={email}")).await["data"][0].clone();
    assert_eq!(contact["subscribed"], false, "{contact}");
    let events = t.read(&acme, "/v1/events?type=contact.unsubscribed&limit=100").await;
    let mine =
        events["data"].as_array().unwrap().iter().filter(|e| e["payload"]["data"]["email"] == email.as_str()).count();
    assert_eq!(mine, 1, "{events}");
    t.shutdown().await;
}

/// An app like the stack's, with its clock moved by `offset` seconds.
async fn app_at(t: &TestStack, offset: i64) -> App {
    let mut config = t.app().config.clone();
    config.clock_offset_seconds = offset;
    App::with_clients(config.clone(), AwsClients::new(&config.aws).await).await.unwrap()
}

#[tokio::test]
async fn a_wait_step_holds_the_email_until_it_is_due_and_an_unsubscribed_contact_is_skipped() {
    let t = TestStack::start().await;
    let acme = t.sending_account("Acme", "wait.loop.test", "help@acme.test").await;
    let template = create_template(&t, &acme, "<p>Day two, {{ contact.firstName }}. {{ event.plan }}</p>").await;
    let workflow = create_workflow(
        &t,
        &acme,
        json!({"name": "Nurture", "trigger": {"eventName": "signed_up"},
               "steps": [{"type": "wait", "seconds": 3600}, {"type": "email", "templateId": template}]}),
    )
    .await;

    // WHEN the contacts API records the trigger for a subscribed and an unsubscribed contact
    let (ann, bob) = (unique_email("ann"), unique_email("bob"));
    for (email, subscribed) in [(&ann, true), (&bob, false)] {
        let body = json!({"email": email, "eventName": "signed_up", "firstName": "Ann", "subscribed": subscribed,
                          "eventProperties": {"plan": "pro"}});
        let (status, answer) = t.call(&acme, "POST", "/v1/contact-events", Some(&body)).await;
        assert_eq!(status, 200, "{answer}");
    }

    // THEN both runs wait, and nothing is sent yet
    let runs =
        runs_until(&t, &acme, &workflow, |runs| runs.len() == 2 && runs.iter().all(|r| r["status"] == "waiting")).await;
    assert!(runs.iter().all(|r| r["steps"][0]["status"] == "waited"), "{runs:?}");
    assert!(sent_to(&t, &ann).await.is_empty(), "the wait holds the email");

    // WHEN the hour has passed: the scheduler finds the runs on the due index, and a worker moves them
    let later = app_at(&t, 3_601).await;
    let report = schedule::run(&later).await.unwrap();
    assert!(report.runs_resumed >= 2, "{report:?}");
    // (three workers at once on each run, as duplicates of its message would be)
    let account = AccountId::parse(&acme.id).unwrap();
    let workers = runs.iter().flat_map(|run| {
        let id = run["id"].as_str().unwrap().to_owned();
        let (later, account) = (&later, &account);
        (0..3).map(move |_| {
            let id = id.clone();
            async move { workflows::advance(later, account, &id).await }
        })
    });
    for outcome in futures::future::join_all(workers).await {
        // A worker that finds another one sending the step answers "try again" (SQS would).
        if let Err(err) = outcome {
            assert!(err.to_string().contains("another worker"), "{err}");
        }
    }
    for run in &runs {
        workflows::advance(&later, &account, run["id"].as_str().unwrap()).await.unwrap();
    }

    // THEN the subscribed contact got the email, rendered with the trigger's properties
    let sent = sent_to(&t, &ann).await;
    assert_eq!(sent.len(), 1);
    assert!(sent[0].contains("Day two, Ann. pro"), "{}", sent[0]);
    // AND the unsubscribed one got nothing, recorded as skipped
    assert!(sent_to(&t, &bob).await.is_empty());
    let runs = runs_until(&t, &acme, &workflow, |runs| runs.iter().all(|r| r["status"] == "completed")).await;
    let bobs = runs.iter().find(|r| r["contact"]["email"] == bob.as_str()).unwrap();
    assert_eq!(bobs["steps"][1]["status"], "skipped: unsubscribed", "{bobs}");
    let (_, emails) = t.call(&acme, "GET", &format!("/v1/emails?email={bob}"), None).await;
    assert_eq!(
        (&emails["data"][0]["status"], &emails["data"][0]["reason"]),
        (&json!("skipped"), &json!("unsubscribed"))
    );
    // AND moving a finished run again sends nothing more
    for run in &runs {
        workflows::advance(&later, &account, run["id"].as_str().unwrap()).await.unwrap();
    }
    assert_eq!(sent_to(&t, &ann).await.len(), 1);
    t.shutdown().await;
}

#[tokio::test]
async fn workflows_are_checked_by_parameter_and_hold_their_templates() {
    let t = TestStack::start().await;
    let acme = t.account("Acme", true).await;
    let template = create_template(&t, &acme, "<p>Hi</p>").await;
    let email_step = json!({"type": "email", "templateId": template});
    for (body, param) in [
        (json!({"trigger": {"eventName": "x"}, "steps": [email_step]}), "name"),
        (json!({"name": "n", "steps": [email_step]}), "trigger.eventName"),
        (json!({"name": "n", "trigger": {"eventName": "a:b"}, "steps": [email_step]}), "trigger.eventName"),
        (json!({"name": "n", "trigger": {"eventName": "x"}}), "steps"),
        (json!({"name": "n", "trigger": {"eventName": "x"}, "steps": []}), "steps"),
        (
            json!({"name": "n", "trigger": {"eventName": "x"}, "steps": [{"type": "wait", "seconds": 0}]}),
            "steps[0].seconds",
        ),
        (json!({"name": "n", "trigger": {"eventName": "x"}, "steps": [email_step, {"type": "sms"}]}), "steps[1].type"),
        (
            json!({"name": "n", "trigger": {"eventName": "x"}, "steps": [{"type": "email", "templateId": "et_missing"}]}),
            "steps[0].templateId",
        ),
        (json!({"name": "n", "trigger": {"eventName": "x"}, "steps": [email_step], "status": "on"}), "status"),
        (
            json!({"name": "n", "trigger": {"eventName": "x"}, "steps": [email_step], "audience": {"group": "a"}}),
            "audience.group",
        ),
    ] {
        let (status, error) = t.call(&acme, "POST", "/v1/workflows", Some(&body)).await;
        assert_eq!((status, error["error"]["param"].as_str()), (400, Some(param)), "{body} → {error}");
    }
    assert_eq!(t.call(&acme, "GET", "/v1/workflows", None).await.1["data"], json!([]), "nothing stored");

    // GIVEN an active workflow sending the template
    let workflow = create_workflow(
        &t,
        &acme,
        json!({"name": "VIPs", "trigger": {"eventName": "x"}, "audience": {"userGroup": "vip"}, "steps": [email_step]}),
    )
    .await;
    // THEN the template cannot be deleted while it is active, and can once it is paused
    let (status, error) = t.call(&acme, "DELETE", &format!("/v1/email-templates/{template}"), None).await;
    assert_eq!((status, error["error"]["code"].as_str()), (409, Some("template_in_use")));
    let (status, paused) =
        t.call(&acme, "PATCH", &format!("/v1/workflows/{workflow}"), Some(&json!({"status": "paused"}))).await;
    assert_eq!((status, &paused["status"], &paused["audience"]["userGroup"]), (200, &json!("paused"), &json!("vip")));
    let (status, _) = t.call(&acme, "GET", &format!("/v1/workflows/{workflow}"), None).await;
    assert_eq!(status, 200);
    let (status, _) = t.call(&acme, "DELETE", &format!("/v1/email-templates/{template}"), None).await;
    assert_eq!(status, 200);
    // AND another account sees none of it
    let other = t.account("Other", true).await;
    assert_eq!(t.call(&other, "GET", &format!("/v1/workflows/{workflow}"), None).await.0, 404);
    assert_eq!(t.call(&other, "GET", &format!("/v1/workflows/{workflow}/runs"), None).await.0, 404);
    let (status, deleted) = t.call(&acme, "DELETE", &format!("/v1/workflows/{workflow}"), None).await;
    assert_eq!((status, &deleted["deleted"]), (200, &json!(true)));
    assert_eq!(t.call(&acme, "GET", &format!("/v1/workflows/{workflow}"), None).await.0, 404);
    t.shutdown().await;
}

#[tokio::test]
async fn the_runs_of_an_account_that_is_gone_stop_and_leave_the_due_index() {
    let t = TestStack::start().await;
    let acme = t.sending_account("Acme", "gone.loop.test", "help@acme.test").await;
    let template = create_template(&t, &acme, "<p>Later</p>").await;
    let workflow = create_workflow(
        &t,
        &acme,
        json!({"name": "Later", "trigger": {"eventName": "later"},
               "steps": [{"type": "wait", "seconds": 3600}, {"type": "email", "templateId": template}]}),
    )
    .await;
    let body = json!({"email": unique_email("gone"), "eventName": "later"});
    assert_eq!(t.call(&acme, "POST", "/v1/contact-events", Some(&body)).await.0, 200);
    let runs = runs_until(&t, &acme, &workflow, |runs| runs.len() == 1 && runs[0]["status"] == "waiting").await;
    let run_id = runs[0]["id"].as_str().unwrap().to_owned();

    // WHEN the account's record is gone and the wait is over
    let account = AccountId::parse(&acme.id).unwrap();
    loop_tests::dynamodb_client()
        .await
        .delete_item()
        .table_name(t.app().store.table())
        .key("pk", aws_sdk_dynamodb::types::AttributeValue::S(format!("A#{}", acme.id)))
        .key("sk", aws_sdk_dynamodb::types::AttributeValue::S("ACCOUNT".into()))
        .send()
        .await
        .unwrap();
    let later = app_at(&t, 3_601).await;
    assert!(schedule::run(&later).await.unwrap().runs_resumed >= 1);
    workflows::advance(&later, &account, &run_id).await.unwrap();

    // THEN the run stopped, sent nothing, and the scheduler no longer finds it
    let run = t.app().store.get_run(&account, &run_id).await.unwrap().unwrap();
    assert_eq!(run.status.as_str(), "stopped");
    assert_eq!(schedule::run(&later).await.unwrap().runs_resumed, 0);
    t.shutdown().await;
}
