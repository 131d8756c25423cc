//! What the capabilities' scenarios on fakes share: one merchant's account, the scripted store
//! and the queue it runs on, and a fixed clock. Each capability's scenarios add their own steps.

use loop_adapters::fakes::{FakeQueue, ScriptedStore};
use loop_ground::clock::FixedClock;
use loop_ground::domain::account::Account;
use loop_ground::domain::outbound::DeliveryPointer;

pub(crate) struct World {
    pub account: Account,
    pub store: ScriptedStore,
    pub queue: FakeQueue,
    pub clock: FixedClock,
}

impl World {
    /// `account`'s world at `now`, nothing scripted yet.
    pub fn of(account: Account, now: i64) -> World {
        World {
            account,
            store: ScriptedStore::default(),
            queue: FakeQueue::default(),
            clock: FixedClock(time::OffsetDateTime::from_unix_timestamp(now).unwrap()),
        }
    }

    /// The pointers queued since the last look.
    pub fn queued(&self) -> Vec<DeliveryPointer> {
        self.queue.take().iter().map(|m| serde_json::from_str(&m.body).expect("a delivery pointer")).collect()
    }
}
