//! The rule of `payments.md`, "pay, then prove", as a pure function: what was read of the
//! network ([`Observation`]) and what the session or transfer expects ([`Expectation`]) in, a
//! [`Verdict`] out. No I/O, no clock: the same inputs always give the same verdict.
//!
//! The rule's fifth point — a log pays at most one thing, ever — is the caller's: it claims the
//! verdict's (`transactionHash`, `logIndex`) with a conditional write before it changes anything.

use alloy_primitives::{Address, B256, U256};

use crate::chain::Observation;
use crate::transfer_log::transfers_to;

/// How far before a session's creation a payment's block may be: a wallet's clock, the page's
/// load and the block time leave some slack, but an old transfer to the treasury must not be
/// reusable.
pub const CREATED_AT_SLACK_SECONDS: u64 = 5 * 60;

/// What the session (or transfer request) expects of a payment.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Expectation {
    /// The account's token contract on the network.
    pub token: Address,
    /// The account's treasury address for the network.
    pub treasury: Address,
    /// The amount due, in the token's base units.
    pub amount: U256,
    /// When the session or transfer was created, unix seconds.
    pub created_at: u64,
    /// When the session expires, unix seconds; `None` for a transfer request (an invoice may be
    /// paid late: that is what `LatePayment` is about).
    pub expires_at: Option<u64>,
    /// The network's required confirmations (`LOOP_CHAINS`), at least 1.
    pub confirmations: u64,
}

/// A transfer that paid (or underpaid): what the caller claims and records.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Payment {
    pub transaction_hash: B256,
    pub log_index: u64,
    /// The payer (`endUser` in `TransferProcessed`).
    pub from: Address,
    /// What came, in the token's base units (`amountPaid`, once formatted with
    /// [`base_units_to_decimal`](crate::eip681::base_units_to_decimal)).
    pub value: U256,
    pub block_number: u64,
    pub block_timestamp: u64,
}

/// What a transaction does for a session or transfer request. The error codes are those
/// `payments.md` gives the payment routes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Verdict {
    /// `value ≥ amount`: completes the session (`amountPaid` is what came, overpayment included).
    Paid(Payment),
    /// `0 < value < amount`: the session fails with `failureReason: "underpaid"`.
    Underpaid(Payment),
    /// Mined without enough blocks on top, or known to the network but not mined yet: `202`,
    /// read again later. Everything else about the transaction already holds (a mined payment
    /// that will never pay gets its own verdict at once).
    Confirming,
    /// The network does not know the transaction. Right after a wallet sends it, the node Loop
    /// reads may not have it yet: the caller keeps it `confirming` for a while before it answers
    /// `payment_not_found`.
    NotFound,
    /// Mined with `status = 0`: `payment_reverted`.
    Reverted,
    /// No `Transfer` of the token to the treasury, or only ones of value 0: `payment_mismatch`.
    Mismatch,
    /// In a block more than 5 minutes older than the session: `payment_too_old`.
    TooOld,
    /// In a block later than the session's `expiresAt`. `payments.md` has no code of its own for
    /// it; the answer is `409 session_not_open`: the session had ended when this payment was
    /// made (the customer should hear "this checkout expired before your payment", not "your
    /// payment does not match": the transfer itself is right, only late). Nothing changes;
    /// a refund is the merchant's.
    TooLate,
}

/// The rule. In order:
/// 1. an unknown transaction is [`Verdict::NotFound`], a pending one [`Verdict::Confirming`];
/// 2. `status = 0` is [`Verdict::Reverted`];
/// 3. the payment is the receipt's **first** `Transfer` of the token to the treasury with a
///    value above 0 (none: [`Verdict::Mismatch`]). One transaction pays one thing: a second
///    session cannot be paid by a second log of the same transaction, since the caller claims
///    the log this picks, and that is always the same one;
/// 4. its block's timestamp must be ≥ `created_at` − 5 min ([`Verdict::TooOld`]) and
///    ≤ `expires_at` ([`Verdict::TooLate`]);
/// 5. `latest − block + 1 ≥ confirmations`, else [`Verdict::Confirming`] (an underpayment waits
///    too: it fails the session, so it must be as final as a payment);
/// 6. `value ≥ amount` is [`Verdict::Paid`], less is [`Verdict::Underpaid`].
pub fn verify(observation: &Observation, expected: &Expectation) -> Verdict {
    let (receipt, block_timestamp, latest_block) = match observation {
        Observation::Unknown => return Verdict::NotFound,
        Observation::Pending => return Verdict::Confirming,
        Observation::Mined { receipt, block_timestamp, latest_block } => (receipt, *block_timestamp, *latest_block),
    };
    if !receipt.succeeded {
        return Verdict::Reverted;
    }
    let Some(transfer) = transfers_to(receipt, expected.token, expected.treasury).find(|t| !t.value.is_zero()) else {
        return Verdict::Mismatch;
    };
    if block_timestamp < expected.created_at.saturating_sub(CREATED_AT_SLACK_SECONDS) {
        return Verdict::TooOld;
    }
    if expected.expires_at.is_some_and(|expires_at| block_timestamp > expires_at) {
        return Verdict::TooLate;
    }
    // A node behind a load balancer may report a latest block below the receipt's: 0 on top.
    let on_top = (latest_block + 1).saturating_sub(receipt.block_number);
    if on_top < expected.confirmations.max(1) {
        return Verdict::Confirming;
    }
    let payment = Payment {
        transaction_hash: receipt.transaction_hash,
        log_index: transfer.log_index,
        from: transfer.from,
        value: transfer.value,
        block_number: receipt.block_number,
        block_timestamp,
    };
    if transfer.value >= expected.amount {
        Verdict::Paid(payment)
    } else {
        Verdict::Underpaid(payment)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::fake::transfer_log;
    use crate::rpc::{Log, Receipt};
    use alloy_primitives::address;

    const TOKEN: Address = address!("5FbDB2315678afecb367f032d93F642f64180aa3");
    const PAYER: Address = address!("3C44CdDdB6a900fa2b585dd299e03d12FA4293BC");
    const TREASURY: Address = address!("70997970C51812dc3A010C7d01b50e0d17dc79C8");
    const OTHER: Address = address!("90F79bf6EB2c4f870365E785982E1f101E93b906");
    const HASH: B256 = B256::repeat_byte(0xab);
    const CREATED: u64 = 1_800_000_000;
    const EXPIRES: u64 = CREATED + 3600;
    const BLOCK: u64 = 100;

    fn expectation() -> Expectation {
        Expectation {
            token: TOKEN,
            treasury: TREASURY,
            amount: U256::from(12_500_000u64),
            created_at: CREATED,
            expires_at: Some(EXPIRES),
            confirmations: 3,
        }
    }

    fn mined(logs: Vec<Log>, block_timestamp: u64, latest_block: u64) -> Observation {
        let receipt = Receipt { transaction_hash: HASH, block_number: BLOCK, succeeded: true, logs };
        Observation::Mined { receipt, block_timestamp, latest_block }
    }

    /// A receipt with one transfer of `value` base units of the token to the treasury, mined
    /// a minute after the session was created, with 3 blocks on top.
    fn paying(value: u64) -> Observation {
        mined(vec![transfer_log(TOKEN, PAYER, TREASURY, U256::from(value), 4)], CREATED + 60, BLOCK + 2)
    }

    fn payment(value: u64) -> Payment {
        Payment {
            transaction_hash: HASH,
            log_index: 4,
            from: PAYER,
            value: U256::from(value),
            block_number: BLOCK,
            block_timestamp: CREATED + 60,
        }
    }

    #[test]
    fn the_exact_amount_pays() {
        assert_eq!(verify(&paying(12_500_000), &expectation()), Verdict::Paid(payment(12_500_000)));
    }

    #[test]
    fn more_than_the_amount_pays_and_records_what_came() {
        assert_eq!(verify(&paying(20_000_000), &expectation()), Verdict::Paid(payment(20_000_000)));
    }

    #[test]
    fn less_than_the_amount_underpays() {
        assert_eq!(verify(&paying(12_499_999), &expectation()), Verdict::Underpaid(payment(12_499_999)));
        assert_eq!(verify(&paying(1), &expectation()), Verdict::Underpaid(payment(1)));
    }

    #[test]
    fn nothing_of_value_is_a_mismatch() {
        assert_eq!(verify(&paying(0), &expectation()), Verdict::Mismatch);
        assert_eq!(verify(&mined(vec![], CREATED, BLOCK + 2), &expectation()), Verdict::Mismatch);
    }

    #[test]
    fn another_token_is_a_mismatch() {
        let other_token = address!("e7f1725E7734CE288F8367e1Bb143E90bb3F0512");
        let logs = vec![transfer_log(other_token, PAYER, TREASURY, U256::from(12_500_000u64), 4)];
        assert_eq!(verify(&mined(logs, CREATED + 60, BLOCK + 2), &expectation()), Verdict::Mismatch);
    }

    #[test]
    fn another_recipient_is_a_mismatch() {
        let logs = vec![transfer_log(TOKEN, PAYER, OTHER, U256::from(12_500_000u64), 4)];
        assert_eq!(verify(&mined(logs, CREATED + 60, BLOCK + 2), &expectation()), Verdict::Mismatch);
    }

    #[test]
    fn a_reverted_transaction_is_reverted() {
        let Observation::Mined { mut receipt, block_timestamp, latest_block } = paying(12_500_000) else {
            unreachable!()
        };
        receipt.succeeded = false;
        let observation = Observation::Mined { receipt, block_timestamp, latest_block };
        assert_eq!(verify(&observation, &expectation()), Verdict::Reverted);
    }

    #[test]
    fn a_block_more_than_five_minutes_before_the_session_is_too_old() {
        let logs = || vec![transfer_log(TOKEN, PAYER, TREASURY, U256::from(12_500_000u64), 4)];
        assert_eq!(verify(&mined(logs(), CREATED - 301, BLOCK + 2), &expectation()), Verdict::TooOld);
        // Exactly 5 minutes before is still in time.
        assert!(matches!(verify(&mined(logs(), CREATED - 300, BLOCK + 2), &expectation()), Verdict::Paid(_)));
    }

    #[test]
    fn a_block_after_the_session_expired_is_too_late() {
        let logs = || vec![transfer_log(TOKEN, PAYER, TREASURY, U256::from(12_500_000u64), 4)];
        assert_eq!(verify(&mined(logs(), EXPIRES + 1, BLOCK + 2), &expectation()), Verdict::TooLate);
        // At expiresAt itself is still in time.
        assert!(matches!(verify(&mined(logs(), EXPIRES, BLOCK + 2), &expectation()), Verdict::Paid(_)));
        // A transfer request has no expiry: a late payment still pays.
        let late = Expectation { expires_at: None, ..expectation() };
        assert!(matches!(verify(&mined(logs(), EXPIRES + 86_400, BLOCK + 2), &late), Verdict::Paid(_)));
    }

    #[test]
    fn too_few_blocks_on_top_is_confirming() {
        let logs = || vec![transfer_log(TOKEN, PAYER, TREASURY, U256::from(12_500_000u64), 4)];
        // 2 of 3 confirmations.
        assert_eq!(verify(&mined(logs(), CREATED + 60, BLOCK + 1), &expectation()), Verdict::Confirming);
        // A lagging node whose latest block is below the receipt's.
        assert_eq!(verify(&mined(logs(), CREATED + 60, BLOCK - 5), &expectation()), Verdict::Confirming);
        // An underpayment waits for its confirmations too.
        let under = vec![transfer_log(TOKEN, PAYER, TREASURY, U256::from(1u64), 4)];
        assert_eq!(verify(&mined(under, CREATED + 60, BLOCK + 1), &expectation()), Verdict::Confirming);
        // One confirmation is the receipt's own block.
        let one = Expectation { confirmations: 1, ..expectation() };
        assert!(matches!(verify(&mined(logs(), CREATED + 60, BLOCK), &one), Verdict::Paid(_)));
    }

    #[test]
    fn a_transaction_not_mined_yet_is_confirming() {
        assert_eq!(verify(&Observation::Pending, &expectation()), Verdict::Confirming);
    }

    #[test]
    fn an_unknown_transaction_is_not_found() {
        assert_eq!(verify(&Observation::Unknown, &expectation()), Verdict::NotFound);
    }

    #[test]
    fn the_first_transfer_of_value_to_the_treasury_is_the_payment() {
        // GIVEN a receipt with a transfer elsewhere, a zero transfer, then two to the treasury
        let logs = vec![
            transfer_log(TOKEN, PAYER, OTHER, U256::from(99_000_000u64), 1),
            transfer_log(TOKEN, PAYER, TREASURY, U256::ZERO, 2),
            transfer_log(TOKEN, OTHER, TREASURY, U256::from(5_000_000u64), 3),
            transfer_log(TOKEN, PAYER, TREASURY, U256::from(12_500_000u64), 4),
        ];
        // WHEN it is verified
        let verdict = verify(&mined(logs, CREATED + 60, BLOCK + 2), &expectation());
        // THEN the first transfer of value to the treasury is the payment, even though a later
        // one would have paid in full
        let Verdict::Underpaid(payment) = verdict else { panic!("{verdict:?}") };
        assert_eq!((payment.log_index, payment.from, payment.value), (3, OTHER, U256::from(5_000_000u64)));
    }

    #[test]
    fn a_reverted_or_mismatched_payment_is_final_before_its_confirmations() {
        // A verdict that no later block can change is given at once.
        let logs = vec![transfer_log(TOKEN, PAYER, OTHER, U256::from(12_500_000u64), 4)];
        assert_eq!(verify(&mined(logs, CREATED + 60, BLOCK), &expectation()), Verdict::Mismatch);
        let logs = vec![transfer_log(TOKEN, PAYER, TREASURY, U256::from(12_500_000u64), 4)];
        assert_eq!(verify(&mined(logs, CREATED - 3600, BLOCK), &expectation()), Verdict::TooOld);
    }
}
