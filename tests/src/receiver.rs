//! A webhook receiver on loopback for delivery tests: records every request it gets and answers
//! with the status the test scripts (fail the first N, be down, then recover).

use std::convert::Infallible;
use std::io::Write;
use std::process::{Command, Stdio};
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use bytes::Bytes;
use http_body_util::{BodyExt, Full};
use hyper_util::rt::TokioIo;
use serde_json::{json, Value};

/// One request as received.
#[derive(Clone, Debug)]
pub struct Received {
    pub headers: http::HeaderMap,
    pub body: Bytes,
    pub status: u16,
    pub at: Instant,
}

impl Received {
    pub fn header(&self, name: &str) -> &str {
        self.headers.get(name).and_then(|v| v.to_str().ok()).unwrap_or("")
    }
}

#[derive(Default)]
struct State {
    received: Mutex<Vec<Received>>,
    fail_first: AtomicUsize,
    down: AtomicBool,
    /// How a failing request is answered: its status (`500` unless set) and `Retry-After`.
    failure: Mutex<Option<(u16, Option<String>)>>,
}

pub struct Receiver {
    pub url: String,
    state: Arc<State>,
    task: tokio::task::JoinHandle<()>,
}

impl Receiver {
    /// Answers `500` to its first `fail_first` requests, then `200`.
    pub async fn start(fail_first: usize) -> Receiver {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let url = format!("http://{}/hooks", listener.local_addr().unwrap());
        let state = Arc::new(State { fail_first: AtomicUsize::new(fail_first), ..State::default() });
        let shared = state.clone();
        let task = tokio::spawn(async move {
            loop {
                let Ok((stream, _)) = listener.accept().await else { continue };
                let state = shared.clone();
                tokio::spawn(async move {
                    let service = hyper::service::service_fn(move |request: http::Request<hyper::body::Incoming>| {
                        let state = state.clone();
                        async move {
                            let (parts, body) = request.into_parts();
                            let body = body.collect().await.map(|b| b.to_bytes()).unwrap_or_default();
                            let failing = state.down.load(Ordering::SeqCst)
                                || state
                                    .fail_first
                                    .fetch_update(Ordering::SeqCst, Ordering::SeqCst, |n| n.checked_sub(1))
                                    .is_ok();
                            let (failure_status, retry_after) =
                                state.failure.lock().unwrap().clone().unwrap_or((500, None));
                            let status = if failing { failure_status } else { 200 };
                            state.received.lock().unwrap().push(Received {
                                headers: parts.headers,
                                body,
                                status,
                                at: Instant::now(),
                            });
                            let mut response = http::Response::builder().status(status);
                            if let (true, Some(retry_after)) = (failing, retry_after) {
                                response = response.header("retry-after", retry_after);
                            }
                            let response = response
                                .body(Full::new(Bytes::from(if failing { "unavailable" } else { "ok" })))
                                .unwrap();
                            Ok::<_, Infallible>(response)
                        }
                    });
                    let _ = hyper::server::conn::http1::Builder::new()
                        .serve_connection(TokioIo::new(stream), service)
                        .await;
                });
            }
        });
        Receiver { url, state, task }
    }

    /// While down, every request is answered `500`.
    pub fn set_down(&self, down: bool) {
        self.state.down.store(down, Ordering::SeqCst);
    }

    /// Failing requests are answered with `status`, and `Retry-After: retry_after` if given.
    pub fn fail_with(&self, status: u16, retry_after: Option<&str>) {
        *self.state.failure.lock().unwrap() = Some((status, retry_after.map(str::to_owned)));
    }

    pub fn received(&self) -> Vec<Received> {
        self.state.received.lock().unwrap().clone()
    }

    /// Waits until `done` holds for what was received, polling until `deadline` passes.
    pub async fn wait_for(&self, deadline: Duration, done: impl Fn(&[Received]) -> bool) -> Vec<Received> {
        let until = Instant::now() + deadline;
        loop {
            let received = self.received();
            if done(&received) || Instant::now() > until {
                return received;
            }
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
    }
}

impl Drop for Receiver {
    fn drop(&mut self) {
        self.task.abort();
    }
}

/// Runs the official `standardwebhooks` library (Python, in `.venv`) over every delivery, at the
/// real time and with its own tolerance, as a merchant's receiver would; answers how many verified.
pub fn verify_with_standard_webhooks(secret: &str, deliveries: &[Received]) -> usize {
    let script = format!("{}/support/verify_standard_webhooks.py", env!("CARGO_MANIFEST_DIR"));
    let python = format!("{}/../.venv/bin/python", env!("CARGO_MANIFEST_DIR"));
    let mut child = Command::new(python).arg(script).stdin(Stdio::piped()).stdout(Stdio::piped()).spawn().unwrap();
    let mut input = String::new();
    for d in deliveries {
        let headers: serde_json::Map<String, Value> = ["webhook-id", "webhook-timestamp", "webhook-signature"]
            .iter()
            .map(|h| (h.to_string(), json!(d.header(h))))
            .collect();
        input.push_str(
            &json!({"secret": secret, "headers": headers, "body": String::from_utf8_lossy(&d.body)}).to_string(),
        );
        input.push('\n');
    }
    child.stdin.take().unwrap().write_all(input.as_bytes()).unwrap();
    let output = child.wait_with_output().unwrap();
    assert!(output.status.success(), "the standardwebhooks library refused a delivery");
    String::from_utf8_lossy(&output.stdout).trim().parse().unwrap()
}
