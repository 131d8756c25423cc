//! Loop's shared crate: everything the four Lambda functions, the local runner and `loopctl`
//! have in common. Imports run downward through these floors:
//!
//! 1. **Edge** — [`edge`] (API Gateway's route table: which function serves which route; the
//!    HTTP Lambda functions and the local runner both serve it) and [`lambda`] (the Lambda
//!    runtime glue, feature `lambda`).
//! 2. **Capabilities** — [`api`] (the merchant REST API), [`ingest`] (Stripe webhooks),
//!    [`dispatch`] (outbound deliveries), [`schedule`] (late payments, expiry), [`accounts`]
//!    (accounts, keys, authentication), [`connect`] (Stripe onboarding and catalogue backfill).
//!    [`publish`] (events to endpoints' deliveries) sits between ingest and dispatch.
//! 3. **Adapters** — [`store`] (DynamoDB), [`queue`] (SQS), [`vault`] (KMS), [`stripe_api`],
//!    [`outbound_http`] (the webhook client and its SSRF guard), built by [`aws`] and composed by
//!    [`app`], which imports no capability.
//! 4. **Ground** — [`domain`] (pure types and rules, including the Stripe event types, the Stripe
//!    object model and the retry cadence), [`error`], [`config`], [`clock`], [`ids`], [`secret`],
//!    [`http`]. Nothing here imports a floor above.
//!
//! See `ARCHITECTURE.md` for the table design and the request paths.

pub mod accounts;
pub mod api;
pub mod app;
pub mod aws;
pub mod backoff;
pub mod checkout;
pub mod clock;
pub mod config;
pub mod connect;
pub mod dispatch;
pub mod domain;
pub mod edge;
pub mod error;
#[doc(hidden)]
pub mod fuzzing;
pub mod http;
pub mod ids;
pub mod ingest;
#[cfg(feature = "lambda")]
pub mod lambda;
pub mod logging;
pub mod metrics;
pub mod outbound_http;
pub mod publish;
pub mod queue;
pub mod schedule;
pub mod secret;
pub mod store;
pub mod stripe_api;
pub mod transfers;
pub mod vault;

pub use app::App;
