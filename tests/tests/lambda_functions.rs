//! Each function's binary starts under the Lambda runtime contract and answers its sample event
//! from `events/`: the test plays the Lambda Runtime API (the HTTP interface a real Lambda, `sam
//! local invoke` or `cargo lambda watch` offer) on a free port.

use std::convert::Infallible;
use std::path::PathBuf;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use bytes::Bytes;
use http_body_util::{BodyExt, Full};
use hyper::body::Incoming;
use hyper_util::rt::TokioIo;
use loop_tests::TestStack;
use serde_json::Value;
use tokio::sync::mpsc;

/// What the function posted back: its response, or an error report.
#[derive(Debug)]
enum Outcome {
    Response(Value),
    Error(String),
}

struct RuntimeApi {
    event: Mutex<Option<String>>,
    outcomes: mpsc::UnboundedSender<Outcome>,
}

async fn runtime_api(api: Arc<RuntimeApi>, request: http::Request<Incoming>) -> http::Response<Full<Bytes>> {
    let path = request.uri().path().to_owned();
    let body = request.into_body().collect().await.map(|b| b.to_bytes()).unwrap_or_default();
    if path.ends_with("/invocation/next") {
        let event = api.event.lock().unwrap().take();
        match event {
            Some(event) => {
                let deadline =
                    std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).unwrap().as_millis() + 30_000;
                return http::Response::builder()
                    .header("lambda-runtime-aws-request-id", "request-1")
                    .header("lambda-runtime-deadline-ms", deadline.to_string())
                    .header(
                        "lambda-runtime-invoked-function-arn",
                        "arn:aws:lambda:us-east-1:123456789012:function:loop",
                    )
                    .header("lambda-runtime-trace-id", "Root=1-00000000-000000000000000000000000")
                    .body(Full::new(Bytes::from(event)))
                    .unwrap();
            }
            // One invocation per test: later polls wait until the process is stopped.
            None => std::future::pending::<()>().await,
        }
    }
    let outcome = if path.ends_with("/response") {
        Outcome::Response(serde_json::from_slice(&body).unwrap_or(Value::Null))
    } else {
        Outcome::Error(String::from_utf8_lossy(&body).into_owned())
    };
    let _ = api.outcomes.send(outcome);
    http::Response::builder().status(202).body(Full::new(Bytes::new())).unwrap()
}

fn binary(name: &str) -> PathBuf {
    // target/debug/deps/<this test> → target/debug/<name>
    let dir = std::env::current_exe().unwrap().parent().unwrap().parent().unwrap().to_owned();
    let path = dir.join(name);
    assert!(path.exists(), "{} is missing: `make test` builds every binary first", path.display());
    path
}

/// Runs `function` on the sample event `events/<function>.json` and returns what it answered.
async fn invoke(stack: &TestStack, function: &str) -> Outcome {
    invoke_with(stack, function, &[]).await.0
}

/// Runs `function` on its sample event with extra environment; answers what it answered, and
/// what it printed on standard output and standard error.
async fn invoke_with(stack: &TestStack, function: &str, env: &[(&str, &str)]) -> (Outcome, String, String) {
    invoke_event(stack, function, sample(function), env).await
}

fn sample(function: &str) -> String {
    std::fs::read_to_string(format!("{}/../events/{function}.json", env!("CARGO_MANIFEST_DIR"))).unwrap()
}

/// Runs `function` on `event` with extra environment.
async fn invoke_event(
    stack: &TestStack,
    function: &str,
    event: String,
    env: &[(&str, &str)],
) -> (Outcome, String, String) {
    let (outcomes, mut received) = mpsc::unbounded_channel();
    let api = Arc::new(RuntimeApi { event: Mutex::new(Some(event)), outcomes });
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    let server = tokio::spawn(async move {
        loop {
            let (stream, _) = listener.accept().await.unwrap();
            let api = api.clone();
            tokio::spawn(async move {
                let service = hyper::service::service_fn(move |request| {
                    let api = api.clone();
                    async move { Ok::<_, Infallible>(runtime_api(api, request).await) }
                });
                let _ =
                    hyper::server::conn::http1::Builder::new().serve_connection(TokioIo::new(stream), service).await;
            });
        }
    });
    let config = &stack.app().config;
    let mut child = tokio::process::Command::new(binary(function))
        .env("AWS_LAMBDA_RUNTIME_API", addr.to_string())
        .env("AWS_LAMBDA_FUNCTION_NAME", function)
        .env("AWS_LAMBDA_FUNCTION_VERSION", "$LATEST")
        .env("AWS_LAMBDA_FUNCTION_MEMORY_SIZE", "128")
        .env("AWS_LAMBDA_LOG_GROUP_NAME", "/aws/lambda/loop")
        .env("AWS_LAMBDA_LOG_STREAM_NAME", "test")
        .env("AWS_ENDPOINT_URL", config.aws.endpoint_url.clone().unwrap())
        .env("LOOP_TABLE_NAME", &config.resources.table)
        .env("LOOP_DELIVERY_QUEUE_URL", stack.app().queue.url())
        .envs(env.iter().copied())
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .kill_on_drop(true)
        .spawn()
        .unwrap();
    let outcome = tokio::time::timeout(Duration::from_secs(60), received.recv())
        .await
        .expect("the function answers within 60 s")
        .expect("an outcome");
    child.start_kill().unwrap();
    let output = child.wait_with_output().await.unwrap();
    server.abort();
    (
        outcome,
        String::from_utf8_lossy(&output.stdout).into_owned(),
        String::from_utf8_lossy(&output.stderr).into_owned(),
    )
}

fn response(outcome: Outcome) -> Value {
    match outcome {
        Outcome::Response(value) => value,
        Outcome::Error(error) => panic!("the function reported an error: {error}"),
    }
}

#[tokio::test]
async fn the_api_functions_answer_an_api_gateway_request() {
    let t = TestStack::start().await;
    // The samples carry a placeholder key, so each API function (checkout, and email with its
    // own routes) refuses it with the API's error, in API Gateway's response shape.
    for function in ["checkout", "email"] {
        let answer = response(invoke(&t, function).await);
        assert_eq!(answer["statusCode"], 401, "{function}: {answer}");
        let body: Value = serde_json::from_str(answer["body"].as_str().unwrap()).unwrap();
        assert_eq!(body["error"]["type"], "authentication_error", "{function}");
    }
    t.shutdown().await;
}

#[tokio::test]
async fn dashboard_answers_an_api_gateway_request() {
    let t = TestStack::start().await;
    // The sample's cookie names no session: signed out, the page sends the visitor to sign in,
    // with the dashboard's headers.
    let answer = response(invoke(&t, "dashboard").await);
    assert_eq!(answer["statusCode"], 303, "{answer}");
    assert_eq!(answer["headers"]["location"], "/dashboard/login", "{answer}");
    assert_eq!(answer["headers"]["x-frame-options"], "DENY", "{answer}");
    t.shutdown().await;
}

#[tokio::test]
async fn the_dashboard_reads_and_sets_its_cookie_through_api_gateway() {
    // GIVEN a one-time link, and a session signed in with an API key
    let t = TestStack::start().await;
    let acme = t.account("Acme", true).await;
    let app = t.app();
    let account = loop_ground::ids::AccountId::parse(&acme.id).unwrap();
    let link =
        loop_capabilities::dashboard::create_link(&app.store, app.clock.as_ref(), &account, true, 60).await.unwrap();
    let session =
        loop_capabilities::dashboard::sign_in_with_key(&app.store, app.clock.as_ref(), &acme.api_key).await.unwrap();
    let mut event: Value = serde_json::from_str(&sample("dashboard")).unwrap();
    // WHEN API Gateway passes the session's cookie (HTTP APIs send cookies in `cookies`)
    event["cookies"] = serde_json::json!(["other=1".to_owned(), format!("loop_dashboard={}", session.id)]);
    event["rawPath"] = "/dashboard/webhooks".into();
    event["requestContext"]["http"]["path"] = "/dashboard/webhooks".into();
    let answer = response(invoke_event(&t, "dashboard", event.to_string(), &[]).await.0);
    // THEN the page is served to the signed-in account
    assert_eq!(answer["statusCode"], 200, "{answer}");
    assert!(answer["body"].as_str().unwrap().contains("Acme"), "{answer}");
    // AND a link used through API Gateway answers its cookie in `cookies`
    let mut event: Value = serde_json::from_str(&sample("dashboard")).unwrap();
    let path = format!("/dashboard/link/{}", link.token);
    event["cookies"] = serde_json::json!([]);
    event["rawPath"] = path.clone().into();
    event["requestContext"]["http"]["path"] = path.into();
    event["requestContext"]["http"]["method"] = "POST".into();
    let answer = response(invoke_event(&t, "dashboard", event.to_string(), &[]).await.0);
    assert_eq!(answer["statusCode"], 303, "{answer}");
    let cookies = answer["cookies"].to_string();
    assert!(cookies.contains("loop_dashboard=ds_") && cookies.contains("HttpOnly"), "{answer}");
    t.shutdown().await;
}

#[tokio::test]
async fn stripe_ingest_answers_an_api_gateway_request() {
    let t = TestStack::start().await;
    // The sample's account does not exist in this fresh table.
    let answer = response(invoke(&t, "stripe-ingest").await);
    assert_eq!(answer["statusCode"], 404, "{answer}");
    t.shutdown().await;
}

#[tokio::test]
async fn dispatch_answers_an_sqs_batch_with_its_failures() {
    let t = TestStack::start().await;
    // The sample points at an event this fresh table does not have: a poison message, reported
    // back so that SQS retries it and then moves it to the dead-letter queue.
    let answer = response(invoke(&t, "dispatch").await);
    let sample: Value = serde_json::from_str(
        &std::fs::read_to_string(format!("{}/../events/dispatch.json", env!("CARGO_MANIFEST_DIR"))).unwrap(),
    )
    .unwrap();
    assert_eq!(
        answer["batchItemFailures"],
        serde_json::json!([{"itemIdentifier": sample["Records"][0]["messageId"]}]),
        "{answer}"
    );
    t.shutdown().await;
}

#[tokio::test]
async fn late_payments_answers_a_scheduled_event() {
    let t = TestStack::start().await;
    let answer = response(invoke(&t, "late-payments").await);
    assert!(answer["latePayments"].is_u64(), "{answer}");
    t.shutdown().await;
}

/// The JSON lines of some output; other lines are ignored.
fn json_lines(output: &str) -> Vec<Value> {
    output.lines().filter_map(|line| serde_json::from_str::<Value>(line).ok()).filter(Value::is_object).collect()
}

#[tokio::test]
async fn with_lambdas_json_log_format_a_function_logs_json_lines_with_its_spans_and_emits_emf_metrics() {
    let t = TestStack::start().await;
    // WHEN dispatch handles its sample (a pointer to an event this table lacks) under Lambda's
    // advanced logging controls
    let (outcome, stdout, stderr) = invoke_with(&t, "dispatch", &[("AWS_LAMBDA_LOG_FORMAT", "JSON")]).await;
    response(outcome);
    let sample: Value = serde_json::from_str(
        &std::fs::read_to_string(format!("{}/../events/dispatch.json", env!("CARGO_MANIFEST_DIR"))).unwrap(),
    )
    .unwrap();
    let record = &sample["Records"][0];
    let pointer: Value = serde_json::from_str(record["body"].as_str().unwrap()).unwrap();

    // THEN every log line is JSON, and the one about the message carries the invocation's
    // request id and the message's ids in its spans
    let logs = json_lines(&stderr);
    assert!(!logs.is_empty() && logs.len() == stderr.lines().count(), "every log line is JSON:\n{stderr}");
    let about_message = logs
        .iter()
        .find(|l| l["span"]["name"] == "message")
        .unwrap_or_else(|| panic!("a line logged inside the message's span:\n{stderr}"));
    assert!(about_message["level"].is_string() && about_message["timestamp"].is_string(), "{about_message}");
    let spans = about_message["spans"].as_array().unwrap();
    assert_eq!(spans[0]["name"], "Lambda runtime invoke");
    assert_eq!(spans[0]["requestId"], "request-1");
    let message = &about_message["span"];
    assert_eq!(message["message_id"], record["messageId"]);
    assert_eq!(message["account"], pointer["accountId"]);
    assert_eq!(message["event"], pointer["eventId"]);
    assert_eq!(message["endpoint"], pointer["endpointId"]);

    // AND standard output carries metrics in CloudWatch's Embedded Metric Format: an `_aws`
    // block whose namespace, dimension sets and metric definitions name top-level members
    let metrics = json_lines(&stdout);
    let lag = metrics
        .iter()
        .find(|m| m.get("QueueLag").is_some())
        .unwrap_or_else(|| panic!("a QueueLag metric on standard output:\n{stdout}"));
    let block = &lag["_aws"];
    assert!(block["Timestamp"].as_i64().is_some_and(|ms| ms > 1_600_000_000_000), "{lag}");
    for directive in block["CloudWatchMetrics"].as_array().unwrap() {
        assert_eq!(directive["Namespace"], "Loop");
        for set in directive["Dimensions"].as_array().unwrap() {
            for name in set.as_array().unwrap() {
                assert!(lag[name.as_str().unwrap()].is_string(), "dimension {name} is a member: {lag}");
            }
        }
        for metric in directive["Metrics"].as_array().unwrap() {
            assert!(lag[metric["Name"].as_str().unwrap()].is_number(), "metric {metric} is a member: {lag}");
            assert!(["Count", "Milliseconds"].contains(&metric["Unit"].as_str().unwrap()));
        }
    }
    assert_eq!(lag["Function"], "dispatch");
    t.shutdown().await;
}

#[tokio::test]
async fn stripe_ingest_counts_each_event_by_outcome_in_emf() {
    let t = TestStack::start().await;
    let (outcome, stdout, _) = invoke_with(&t, "stripe-ingest", &[]).await;
    assert_eq!(response(outcome)["statusCode"], 404);
    let metrics = json_lines(&stdout);
    let counted = metrics.iter().find(|m| m.get("StripeEvents").is_some()).expect("a StripeEvents metric");
    assert_eq!(counted["Outcome"], "rejected");
    assert_eq!(counted["StripeEvents"], 1.0);
    assert_eq!(counted["_aws"]["CloudWatchMetrics"][0]["Dimensions"], serde_json::json!([["Function", "Outcome"]]));
    t.shutdown().await;
}
