//! The delivery queue, in memory: what was sent, in order; or down.

use std::future::Future;
use std::sync::Mutex;

use super::ok;
use crate::ports::MessageQueue;
use crate::queue::OutgoingMessage;
use loop_ground::error::StoreError;

/// The delivery queue: what was sent, in order.
#[derive(Default)]
pub struct FakeQueue {
    sent: Mutex<Vec<OutgoingMessage>>,
    down: bool,
}

impl FakeQueue {
    /// A queue that refuses every send (`StoreError::Unavailable`), keeping nothing.
    pub fn unavailable() -> Self {
        FakeQueue { down: true, ..FakeQueue::default() }
    }

    /// Everything sent since the last `take`.
    pub fn take(&self) -> Vec<OutgoingMessage> {
        std::mem::take(&mut *self.sent.lock().expect("no test panics while holding the fake queue"))
    }
}

impl MessageQueue for FakeQueue {
    fn send(&self, messages: &[OutgoingMessage]) -> impl Future<Output = Result<(), StoreError>> + Send {
        if self.down {
            return std::future::ready(Err(StoreError::Unavailable("the fake queue is down".into())));
        }
        self.sent.lock().expect("no test panics while holding the fake queue").extend_from_slice(messages);
        ok(())
    }
}
