//! In-memory fakes of the ports (`ports`), for unit tests of the capabilities written against
//! them (feature `fakes`; never in a release build). The store keeps the conditions of the
//! DynamoDB writes it stands for, since those conditions are what makes dispatch's and API keys'
//! promises hold under duplicates and races, and nothing else (no expiry, no indexes); the
//! scripted store answers ingest's, publish's, the scheduler's and checkout's reads and
//! transactions as a test tells it and records every call; the queue records what was sent; the
//! sender answers as told. The emulator suites prove the real adapters.

mod queue;
mod scripted;
mod sender;
mod store;

pub use queue::FakeQueue;
pub use scripted::{Call, ScriptedStore};
pub use sender::{FakeSender, Posted};
pub use store::FakeStore;

/// A fake's answer: ready at once, as nothing here waits.
fn ok<T>(value: T) -> std::future::Ready<Result<T, loop_ground::error::StoreError>> {
    std::future::ready(Ok(value))
}
