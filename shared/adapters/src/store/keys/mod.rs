//! Every key of the table, built here and only here (`ARCHITECTURE.md`, "Access patterns").
//! Every partition key begins with `A#<accountId>`, so a query built from one account's id cannot
//! reach another's records. Two index partitions are cross-tenant on purpose and used only by
//! operators and the scheduler: `accounts` (the account list) and the `due` index.
//!
//! Records already stored are found by these keys: the `formats` tests pin each to literal
//! strings, so a key can move between files but never change.

mod commerce;
mod contacts;
mod due;
mod email;
mod events;
mod listing;
mod workflows;

pub use commerce::*;
pub use contacts::*;
pub use due::*;
pub use email::*;
pub use events::*;
pub use listing::*;
pub use workflows::*;

use loop_ground::ids::AccountId;

pub const ACCOUNT_SK: &str = "ACCOUNT";
/// The Stripe catalogue backfill of the account (one at a time).
pub const BACKFILL_SK: &str = "STRIPE_BACKFILL";
pub const API_KEY_SK_PREFIX: &str = "KEY#";
pub const LEASE_SK_PREFIX: &str = "LEASE#";

pub fn account_pk(account: &AccountId) -> String {
    format!("A#{account}")
}

pub fn api_key_sk(hash: &str) -> String {
    format!("{API_KEY_SK_PREFIX}{hash}")
}

/// A lease on one of the account's one-at-a-time operations, in the account's partition.
pub fn lease_sk(name: &str) -> String {
    format!("{LEASE_SK_PREFIX}{name}")
}

pub const IDEMPOTENCY_SK: &str = "IDEM";

pub const DASHBOARD_LINK_SK: &str = "DLINK";
pub const DASHBOARD_SESSION_SK: &str = "DSESSION";

/// A one-time dashboard sign-in link, by the SHA-256 of its token (hex).
pub fn dashboard_link_pk(account: &AccountId, token_hash: &str) -> String {
    format!("A#{account}#DL#{token_hash}")
}

/// A dashboard session, by the SHA-256 of its id (hex).
pub fn dashboard_session_pk(account: &AccountId, id_hash: &str) -> String {
    format!("A#{account}#DS#{id_hash}")
}

/// Keys are hashed into the partition key: any printable key is safe there.
pub fn idempotency_pk(account: &AccountId, key_hash: &str) -> String {
    format!("A#{account}#IDEM#{key_hash}")
}

/// Every key format, pinned to literal strings: records already stored are found by these keys,
/// so no refactoring may change one.
#[cfg(test)]
mod formats {
    use super::*;
    use crate::store::records::TriggerItem;
    use loop_ground::domain::contact::TriggerEvent;
    use loop_ground::domain::email::Email;

    fn acct() -> AccountId {
        AccountId::parse("acct_abcdefghijklmnopqrst").unwrap()
    }

    #[test]
    fn account_partition_keys() {
        let a = acct();
        assert_eq!(account_pk(&a), "A#acct_abcdefghijklmnopqrst");
        assert_eq!(api_key_sk("f00d"), "KEY#f00d");
        assert_eq!([ACCOUNT_SK, BACKFILL_SK, API_KEY_SK_PREFIX], ["ACCOUNT", "STRIPE_BACKFILL", "KEY#"]);
        assert_eq!([GSI1, ACCOUNTS_GSI1PK], ["gsi1", "accounts"]);
        assert_eq!(ENDPOINTS_SK, "ENDPOINTS");
        assert_eq!(health_sk("we_1"), "WEH#we_1");
        assert_eq!(lease_sk("connect"), "LEASE#connect");
        assert_eq!(dashboard_link_pk(&a, "f00d"), "A#acct_abcdefghijklmnopqrst#DL#f00d");
        assert_eq!(dashboard_session_pk(&a, "f00d"), "A#acct_abcdefghijklmnopqrst#DS#f00d");
        assert_eq!([DASHBOARD_LINK_SK, DASHBOARD_SESSION_SK], ["DLINK", "DSESSION"]);
        assert_eq!(account_list_sk(1_700_000_000, &a), "001700000000#acct_abcdefghijklmnopqrst");
    }

    #[test]
    fn ingest_and_contact_keys() {
        let a = acct();
        let email = Email::parse("ann@example.com").unwrap();
        assert_eq!(seen_pk(&a, "evt_1"), "A#acct_abcdefghijklmnopqrst#SE#evt_1");
        assert_eq!(contact_pk(&a, &email), "A#acct_abcdefghijklmnopqrst#C#ann@example.com");
        assert_eq!(customer_link_pk(&a, "cus_1"), "A#acct_abcdefghijklmnopqrst#CUS#cus_1");
        assert_eq!([SEEN_SK, CONTACT_SK, LINK_SK, TRIGGER_PREFIX], ["SEEN", "CONTACT", "LINK", "TE#"]);
        let trigger = TriggerEvent {
            id: "te_1".into(),
            event_name: "x".into(),
            email,
            event_properties: serde_json::Value::Null,
            stripe_event_id: Some("evt_1".into()),
            created_at: 0,
        };
        let item = TriggerItem::new(&a, &trigger);
        assert_eq!((item.pk.as_str(), item.sk.as_str()), ("A#acct_abcdefghijklmnopqrst#C#ann@example.com", "TE#te_1"));
        assert_eq!(trigger_sk("te_1"), "TE#te_1");
        assert_eq!((user_id_pk(&a, "u1").as_str(), USER_ID_SK), ("A#acct_abcdefghijklmnopqrst#UID#u1", "USERID"));
        assert_eq!(
            (template_pk(&a, "et_1").as_str(), TEMPLATE_SK),
            ("A#acct_abcdefghijklmnopqrst#ET#et_1", "TEMPLATE")
        );
        assert_eq!((email_pk(&a, "em_1").as_str(), EMAIL_SK), ("A#acct_abcdefghijklmnopqrst#EM#em_1", "EMAIL"));
        let to = Email::parse("ann@example.com").unwrap();
        assert_eq!(emails_to_partition(&a, &to), "A#acct_abcdefghijklmnopqrst#emails-to#ann@example.com");
    }

    #[test]
    fn workflow_keys() {
        let a = acct();
        assert_eq!(workflows_pk(&a), "A#acct_abcdefghijklmnopqrst#WORKFLOWS");
        assert_eq!(workflow_sk("wf_1"), "WF#wf_1");
        assert_eq!(WORKFLOW_TRIGGERS_SK, "WFTRIGGERS");
        assert_eq!(workflow_emails_pk(&a, "wf_1"), "A#acct_abcdefghijklmnopqrst#WFEM#wf_1");
        assert_eq!((run_pk(&a, "wr_1").as_str(), RUN_SK), ("A#acct_abcdefghijklmnopqrst#RUN#wr_1", "RUN"));
        assert_eq!(runs_partition(&a, "wf_1"), "A#acct_abcdefghijklmnopqrst#WFRUNS#wf_1");
        assert_eq!(
            (step_claim_pk(&a, "wr_1", 2).as_str(), STEP_CLAIM_SK),
            ("A#acct_abcdefghijklmnopqrst#RUN#wr_1#STEP#2", "STEP")
        );
        assert_eq!(
            (mail_job_pk(&a, "evt_1").as_str(), MAIL_JOB_SK),
            ("A#acct_abcdefghijklmnopqrst#MAILJOB#evt_1", "MAILJOB")
        );
    }

    #[test]
    fn event_delivery_and_outbox_keys() {
        let a = acct();
        assert_eq!(event_pk(&a, "evt_1"), "A#acct_abcdefghijklmnopqrst#E#evt_1");
        assert_eq!(EVENT_SK, "EVENT");
        assert_eq!([DELIVERY_PREFIX, ATTEMPT_PREFIX], ["D#", "AT#"]);
        assert_eq!(delivery_sk("we_1"), "D#we_1");
        assert_eq!(attempt_sk("we_1", 7), "AT#we_1#000007");
        assert_eq!(attempts_prefix("we_1"), "AT#we_1#");
        assert_eq!(outbox_pk(&a, "ob_1"), "A#acct_abcdefghijklmnopqrst#OB#ob_1");
        assert_eq!(OUTBOX_SK, "OUTBOX");
        assert_eq!(parked_pk(&a, "we_1"), "A#acct_abcdefghijklmnopqrst#WEP#we_1");
        assert_eq!(parked_sk(1_700_000_000_123, "evt_1"), "P#1700000000123#evt_1");
        assert_eq!(parked_sk(5, "evt_1"), "P#0000000000005#evt_1");
        assert_eq!(PARKED_PREFIX, "P#");
    }

    #[test]
    fn commerce_checkout_and_idempotency_keys() {
        let a = acct();
        assert_eq!(product_pk(&a, "prod_1"), "A#acct_abcdefghijklmnopqrst#PROD#prod_1");
        assert_eq!(item_pk(&a, "i1"), "A#acct_abcdefghijklmnopqrst#ITEM#i1");
        assert_eq!(transfer_pk(&a, "t1"), "A#acct_abcdefghijklmnopqrst#T#t1");
        assert_eq!(agreement_pk(&a, "ag1"), "A#acct_abcdefghijklmnopqrst#AG#ag1");
        assert_eq!([PRODUCT_SK, ITEM_SK, TRANSFER_SK, AGREEMENT_SK], ["PRODUCT", "ITEM", "TRANSFER", "AGREEMENT"]);
        assert_eq!(payment_link_pk(&a, "pl_1"), "A#acct_abcdefghijklmnopqrst#PL#pl_1");
        assert_eq!(session_pk(&a, "cs_1"), "A#acct_abcdefghijklmnopqrst#CS#cs_1");
        assert_eq!([LINK_RECORD_SK, SESSION_SK], ["PAYMENT_LINK", "SESSION"]);
        assert_eq!(idempotency_pk(&a, "h1"), "A#acct_abcdefghijklmnopqrst#IDEM#h1");
        assert_eq!(IDEMPOTENCY_SK, "IDEM");
    }

    #[test]
    fn listing_keys() {
        let a = acct();
        assert_eq!(by_created(1_700_000_000, Some(1_700_000_000_123), "t1"), "001700000000123#t1");
        assert_eq!(by_created(1_700_000_000, None, "t1"), "001700000000#t1");
        assert_eq!(LISTING_SHARDS, 16);
        // Shards computed apart from the code: the first byte of the id's SHA-256, mod 16.
        assert_eq!(
            Listing::Contacts.partition(&a, "ct_0000000001abcdefghij"),
            "A#acct_abcdefghijklmnopqrst#contacts#13"
        );
        assert_eq!(Listing::Events.partition(&a, "evt_0000000001abcdefghij"), "A#acct_abcdefghijklmnopqrst#events#6");
        assert_eq!(Listing::CheckoutSessions.partition(&a, "cs_x"), "A#acct_abcdefghijklmnopqrst#checkout-sessions#1");
        assert_eq!(Listing::PaymentLinks.legacy_partition(&a), "A#acct_abcdefghijklmnopqrst#payment-links");
        let names = [Listing::Items, Listing::Transfers, Listing::Agreements].map(|l| l.legacy_partition(&a));
        assert_eq!(
            names,
            [
                "A#acct_abcdefghijklmnopqrst#items",
                "A#acct_abcdefghijklmnopqrst#transfers",
                "A#acct_abcdefghijklmnopqrst#agreements"
            ]
        );
        let partitions = Listing::Contacts.partitions(&a);
        assert_eq!(partitions.len(), 17);
        assert_eq!(partitions[0], "A#acct_abcdefghijklmnopqrst#contacts#0");
        assert_eq!(partitions[15], "A#acct_abcdefghijklmnopqrst#contacts#15");
    }

    #[test]
    fn due_index_keys() {
        assert_eq!(DUE_SHARDS, 16);
        assert_eq!(due_key(1_700_000_600, "t1"), "001700000600#t1");
        assert_eq!(due_bound(1_700_000_600), "001700000600#~");
        // Shards computed apart from the code: h = h * 31 + byte over the id, mod 16.
        assert_eq!(due_partition("transfer", "tr_1"), "due#transfer#0");
        assert_eq!(due_partition("session", "cs_x"), "due#session#9");
        assert_eq!(due_shard_partition("transfer", 15), "due#transfer#15");
        assert_eq!(DUE_INDEX, "due");
    }
}
