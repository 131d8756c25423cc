//! Pure types and rules: no AWS, no HTTP. Values here were parsed at the edge and are valid.

pub mod account;
pub mod api_key;
pub mod email;
