//! Pure types and rules: no AWS, no HTTP. Values here were parsed at the edge and are valid.

pub mod account;
pub mod api_key;
pub mod breaker;
pub mod cadence;
pub mod checkout;
pub mod commerce;
pub mod connection;
pub mod contact;
pub mod delivery;
pub mod email;
pub mod email_template;
pub mod endpoint;
pub mod money;
pub mod notifications;
pub mod outbound;
pub mod payloads;
pub mod payment;
pub mod stripe_config;
pub mod stripe_event;
pub mod stripe_object;
pub mod unsubscribe;
pub mod workflow;
