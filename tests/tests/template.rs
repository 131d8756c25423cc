//! `template.yaml` is the one source of truth: it lints clean, every function has a sample
//! event that its Lambda event type reads, the route table that the HTTP functions and the local
//! runner serve is exactly its API Gateway routes, and the local stack provisions exactly what it
//! declares.

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};
use std::process::Command;

use aws_sdk_sqs::types::QueueAttributeName;
use loop_tests::TestStack;

fn repo() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).parent().unwrap().to_owned()
}

#[test]
fn cfn_lint_finds_nothing_in_the_template() {
    let cfn_lint = repo().join(".venv/bin/cfn-lint");
    assert!(cfn_lint.exists(), "cfn-lint is installed by `make test` into .venv/");
    let output = Command::new(cfn_lint)
        .arg("template.yaml")
        .current_dir(repo())
        .env("AWS_DEFAULT_REGION", "us-east-1")
        .output()
        .unwrap();
    assert!(
        output.status.success(),
        "cfn-lint:\n{}{}",
        String::from_utf8_lossy(&output.stdout),
        String::from_utf8_lossy(&output.stderr)
    );
}

fn event(name: &str) -> String {
    std::fs::read_to_string(repo().join("events").join(name)).unwrap_or_else(|e| panic!("events/{name}: {e}"))
}

#[test]
fn every_function_has_a_sample_event_of_its_trigger_type() {
    for function in ["stripe-ingest", "checkout", "email", "dashboard"] {
        let request = lambda_http::request::from_str(&event(&format!("{function}.json"))).unwrap();
        assert!(request.uri().path().starts_with('/'), "{function}");
    }
    let sqs: aws_lambda_events::event::sqs::SqsEvent = serde_json::from_str(&event("dispatch.json")).unwrap();
    let body = sqs.records[0].body.as_deref().unwrap();
    let pointer: loop_capabilities::dispatch::DeliveryPointer = serde_json::from_str(body).unwrap();
    assert_eq!(pointer.attempt, 1);
    let _: aws_lambda_events::event::eventbridge::EventBridgeEvent =
        serde_json::from_str(&event("late-payments.json")).unwrap();
    let functions: Vec<String> = std::fs::read_dir(repo().join("functions"))
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    for function in functions {
        assert!(repo().join("events").join(format!("{function}.json")).exists(), "no event for {function}");
    }
}

/// Per function (logical id, binary): its routes (method, path).
type RoutesByFunction = BTreeMap<(String, String), BTreeSet<(String, String)>>;

#[test]
fn the_route_table_is_exactly_the_http_api_events_of_the_template_function_by_function() {
    let mut declared = RoutesByFunction::new();
    for route in loop_local::provision::read_template(loop_local::provision::TEMPLATE).unwrap().http_routes {
        let routes = declared.entry((route.function, route.binary)).or_default();
        assert!(routes.insert((route.method, route.path)), "a route declared twice");
    }
    let mut table = RoutesByFunction::new();
    for route in loop_edge::edge::ROUTES {
        let function = (route.function.logical_id().to_owned(), route.function.binary().to_owned());
        let routes = table.entry(function).or_default();
        assert!(routes.insert((route.method.to_owned(), route.path.to_owned())), "{route:?} twice in the table");
    }
    assert!(declared.len() >= 2, "the template's HttpApi events were not found: {declared:?}");
    assert_eq!(table, declared, "loop_edge::edge::ROUTES (left) against template.yaml (right)");
    let functions: BTreeSet<&str> = loop_edge::edge::HttpFunction::ALL.iter().map(|f| f.logical_id()).collect();
    let with_routes: BTreeSet<&str> = declared.keys().map(|(function, _)| function.as_str()).collect();
    assert_eq!(functions, with_routes, "every HTTP function serves a route, and only they do");
    for (_, binary) in declared.keys() {
        assert!(repo().join("functions").join(binary).join("src/main.rs").exists(), "no functions/{binary}");
    }
}

#[tokio::test]
async fn the_local_stack_creates_the_tables_indexes_and_queues_of_the_template() {
    let t = TestStack::start().await;
    let config = &t.app().config;
    let clients = loop_adapters::aws::AwsClients::new(&config.aws).await;
    let table = clients.dynamodb.describe_table().table_name(&config.resources.table).send().await.unwrap();
    let table = table.table.unwrap();
    let mut indexes: Vec<String> =
        table.global_secondary_indexes().iter().filter_map(|i| i.index_name().map(str::to_owned)).collect();
    indexes.sort();
    assert_eq!(indexes, ["due", "gsi1"]);

    let attributes = clients
        .sqs
        .get_queue_attributes()
        .queue_url(t.app().queue.url())
        .attribute_names(QueueAttributeName::All)
        .send()
        .await
        .unwrap()
        .attributes
        .unwrap();
    assert_eq!(attributes[&QueueAttributeName::VisibilityTimeout], "180");
    let redrive: serde_json::Value = serde_json::from_str(&attributes[&QueueAttributeName::RedrivePolicy]).unwrap();
    assert_eq!(redrive["maxReceiveCount"], 3);
    assert!(redrive["deadLetterTargetArn"].as_str().unwrap().ends_with(&config.resources.dead_letter_queue_name));
    t.shutdown().await;
}
