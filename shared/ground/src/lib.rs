//! Loop's ground floor: what every other floor stands on, and which imports nothing of Loop.
//! Domain types and rules ([`domain`]: accounts, contacts, endpoints, deliveries, checkout,
//! the Stripe event types and object model, the retry cadence, payload shapes), [`error`] (the
//! error enum every floor returns, mapped to HTTP once at the edge), [`config`] (read once at
//! cold start), [`clock`], [`ids`], [`secret`], [`http`] (the request and response every route
//! handles), [`backoff`], and what makes Loop observable: [`logging`] and [`metrics`].
//!
//! No AWS type lives here; the compiler holds it, since this crate does not depend on the SDK.

pub mod backoff;
pub mod clock;
pub mod config;
pub mod domain;
pub mod error;
pub mod http;
pub mod ids;
pub mod logging;
pub mod metrics;
pub mod secret;
