//! Merchants' endpoints, in memory: scripted answers, and the POSTs they received.

use std::future::Future;
use std::sync::Mutex;

use crate::ports::{SignedHeaders, WebhookResponse, WebhookSender};

/// One POST a [`FakeSender`] received.
#[derive(Clone, Debug)]
pub struct Posted {
    pub url: String,
    pub headers: SignedHeaders,
    pub body: String,
}

/// Merchants' endpoints: every POST answers the status set (and the `Retry-After` it asks for),
/// after yielding once, so that concurrent handlers interleave while a request is on its way.
pub struct FakeSender {
    answer: Mutex<(u16, Option<u32>)>,
    posted: Mutex<Vec<Posted>>,
}

impl FakeSender {
    pub fn answering(status: u16) -> Self {
        FakeSender { answer: Mutex::new((status, None)), posted: Mutex::default() }
    }

    /// From now on, POSTs answer `status`, asking for `retry_after_seconds` if given.
    pub fn answer(&self, status: u16, retry_after_seconds: Option<u32>) {
        *self.answer.lock().expect("unpoisoned") = (status, retry_after_seconds);
    }

    pub fn posted(&self) -> Vec<Posted> {
        self.posted.lock().expect("unpoisoned").clone()
    }
}

impl WebhookSender for FakeSender {
    fn post(&self, url: &str, headers: &SignedHeaders, body: &str) -> impl Future<Output = WebhookResponse> + Send {
        let posted = Posted { url: url.to_owned(), headers: headers.clone(), body: body.to_owned() };
        self.posted.lock().expect("unpoisoned").push(posted);
        let (status, retry_after_seconds) = *self.answer.lock().expect("unpoisoned");
        let response = WebhookResponse {
            status: Some(status),
            duration_ms: 1,
            error: (!(200..300).contains(&status)).then(|| format!("HTTP {status}")),
            body: None,
            retry_after_seconds,
        };
        async move {
            tokio::task::yield_now().await;
            response
        }
    }
}
