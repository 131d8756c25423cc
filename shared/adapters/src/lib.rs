//! Loop's adapters: the one place where AWS and the outside world are spoken to. [`store`]
//! (DynamoDB), [`queue`] (SQS), [`vault`] (KMS), [`mailer`] (SES), [`stripe_api`] (Stripe's REST API),
//! [`outbound_http`] (the webhook client and its SSRF guard), built by [`aws`] and composed by
//! [`app`]. [`ports`]: the narrow traits capabilities are written against, which these adapters
//! implement (and `fakes`, feature `fakes`, in memory). Stands on `loop-ground` only.

pub mod app;
pub mod aws;
#[cfg(any(test, feature = "fakes"))]
pub mod fakes;
pub mod mailer;
pub mod outbound_http;
pub mod ports;
pub mod queue;
pub mod store;
pub mod stripe_api;
pub mod vault;

pub use app::App;
