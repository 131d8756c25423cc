//! An HTTP proxy in front of the emulator that a test can cut and restore, to inject dependency
//! faults at an exact request. It counts requests, not connections: the emulator keeps
//! connections alive, so one connection carries many AWS requests. A request past the cut gets
//! no answer: its connection is closed, as when the emulator goes away.

use std::net::SocketAddr;
use std::sync::atomic::{AtomicI64, Ordering};
use std::sync::Arc;

use hyper::body::Incoming;
use hyper::client::conn::http1::SendRequest;
use hyper::service::service_fn;
use hyper::{Request, Response};
use hyper_util::rt::TokioIo;
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::Mutex;

/// Requests still allowed through; negative means no limit.
pub struct FaultProxy {
    pub url: String,
    allowance: Arc<AtomicI64>,
    task: tokio::task::JoinHandle<()>,
}

impl FaultProxy {
    pub async fn start(upstream_url: &str) -> FaultProxy {
        let upstream: SocketAddr = upstream_url
            .trim_start_matches("http://")
            .trim_end_matches('/')
            .parse()
            .expect("the emulator URL is http://host:port");
        let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let url = format!("http://{}", listener.local_addr().unwrap());
        let allowance = Arc::new(AtomicI64::new(-1));
        let gate = allowance.clone();
        let task = tokio::spawn(async move {
            loop {
                let Ok((client, _)) = listener.accept().await else { continue };
                let gate = gate.clone();
                // One upstream connection per client connection, opened at its first request
                // and again whenever the emulator has closed it.
                let sender: Arc<Mutex<Option<SendRequest<Incoming>>>> = Arc::default();
                let service = service_fn(move |request: Request<Incoming>| {
                    let (gate, sender) = (gate.clone(), sender.clone());
                    async move {
                        let open = gate
                            .fetch_update(Ordering::SeqCst, Ordering::SeqCst, |n| match n {
                                n if n < 0 => Some(n),
                                0 => None,
                                n => Some(n - 1),
                            })
                            .is_ok();
                        if !open {
                            // An error from the service closes the client's connection unanswered.
                            return Err(std::io::Error::other("cut"));
                        }
                        forward(upstream, &sender, request).await
                    }
                });
                tokio::spawn(async move {
                    let _ = hyper::server::conn::http1::Builder::new()
                        .serve_connection(TokioIo::new(client), service)
                        .await;
                });
            }
        });
        FaultProxy { url, allowance, task }
    }

    /// Lets `n` more requests through, then refuses every request.
    pub fn cut_after(&self, n: i64) {
        self.allowance.store(n, Ordering::SeqCst);
    }

    /// Requests still allowed before the cut (negative: no limit).
    pub fn remaining(&self) -> i64 {
        self.allowance.load(Ordering::SeqCst)
    }

    pub fn restore(&self) {
        self.allowance.store(-1, Ordering::SeqCst);
    }
}

async fn forward(
    upstream: SocketAddr,
    sender: &Mutex<Option<SendRequest<Incoming>>>,
    request: Request<Incoming>,
) -> Result<Response<Incoming>, std::io::Error> {
    let mut sender = sender.lock().await;
    let reusable = match sender.as_mut() {
        Some(open) => open.ready().await.is_ok(),
        None => false,
    };
    if !reusable {
        let stream = TcpStream::connect(upstream).await?;
        let (send, connection) =
            hyper::client::conn::http1::handshake(TokioIo::new(stream)).await.map_err(std::io::Error::other)?;
        tokio::spawn(connection);
        *sender = Some(send);
    }
    let send = sender.as_mut().expect("opened above");
    send.send_request(request).await.map_err(std::io::Error::other)
}

impl Drop for FaultProxy {
    fn drop(&mut self) {
        self.task.abort();
    }
}
