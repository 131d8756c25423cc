//! What Loop does, written over the adapters: [`ingest`] (Stripe webhooks), [`publish`]
//! (events to endpoints' deliveries), [`dispatch`] (outbound deliveries), [`schedule`] (late
//! payments, expiry), [`checkout`] (sessions and payment links), [`transfers`], [`accounts`]
//! (accounts, keys, authentication), [`connect`] (Stripe onboarding and catalogue backfill),
//! [`contacts`] (the contacts and events API), [`email`] (templates, rendering, transactional sends),
//! [`dashboard`] (signing in to the dashboard: one-time links and sessions), [`delivery_stats`]
//! (the last day's deliveries, bounded, for the dashboard).
//! Stands on `loop-adapters` and `loop-ground`; knows nothing of HTTP routes or Lambda.

pub mod accounts;
pub mod checkout;
pub mod connect;
pub mod contacts;
pub mod dashboard;
pub mod delivery_stats;
pub mod dispatch;
pub mod email;
pub mod ingest;
#[cfg(test)]
mod on_fakes;
pub mod payments;
pub mod publish;
pub mod schedule;
pub mod transfers;
