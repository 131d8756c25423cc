//! Loop's HTTP edge: [`api`] (the merchant REST API and the hosted pages), [`dashboard`] (the
//! merchant dashboard's pages, over the API's code), [`edge`] (API
//! Gateway's route table: which function serves which route; the Lambda functions and the local
//! runner both serve it) and [`lambda`] (the Lambda runtime glue, feature `lambda`). The top
//! floor: it stands on the capabilities, and nothing of Loop's library crates stands on it.

pub mod api;
pub mod dashboard;
pub mod edge;
#[doc(hidden)]
pub mod fuzzing;
#[cfg(feature = "lambda")]
pub mod lambda;
