//! A TCP proxy in front of the emulator that a test can cut and restore, to inject dependency
//! faults at an exact request: the emulator closes every connection after one response, so one
//! connection is one AWS request.

use std::net::SocketAddr;
use std::sync::atomic::{AtomicI64, Ordering};
use std::sync::Arc;

use tokio::net::{TcpListener, TcpStream};

/// Connections still allowed through; negative means no limit.
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
                let Ok((mut client, _)) = listener.accept().await else { continue };
                let open = gate
                    .fetch_update(Ordering::SeqCst, Ordering::SeqCst, |n| match n {
                        n if n < 0 => Some(n),
                        0 => None,
                        n => Some(n - 1),
                    })
                    .is_ok();
                if !open {
                    drop(client);
                    continue;
                }
                tokio::spawn(async move {
                    if let Ok(mut server) = TcpStream::connect(upstream).await {
                        let _ = tokio::io::copy_bidirectional(&mut client, &mut server).await;
                    }
                });
            }
        });
        FaultProxy { url, allowance, task }
    }

    /// Lets `n` more requests through, then refuses every connection.
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

impl Drop for FaultProxy {
    fn drop(&mut self) {
        self.task.abort();
    }
}
