//! Payments seen on chain (`payments.md`): a submitted transaction hash is read from the
//! network, judged by `loop_chain::verify` (pure), and — paid or underpaid — settles the session
//! or transfer it pays in one transaction with the claim on its `Transfer` log (so a log pays at
//! most one thing, ever) and the webhook it publishes. Not yet confirmed, it waits on the `due`
//! index for the scheduler (`recheck_due`), for an hour at most.

use std::time::Duration;

use loop_adapters::app::App;
use loop_adapters::store::{Confirming, PayTarget, Write, WriteError};
use loop_chain::{Address, Chain, Expectation, Payment, Verdict, B256};
use loop_ground::domain::account::Account;
use loop_ground::domain::checkout::{CheckoutSession, SessionStatus};
use loop_ground::domain::commerce::{PayState, Transfer, TransferStatus};
use loop_ground::domain::outbound::OutboundEvent;
use loop_ground::domain::payloads::{self, ProcessingReport};
use loop_ground::domain::payment::{ChainPayment, Rejection, UNDERPAID};
use loop_ground::error::StoreError;
use loop_ground::ids::AccountId;

use crate::publish;

/// How long a submission may stay `confirming` (not mined, or not confirmed) before it is dropped.
pub const CONFIRMING_FOR_SECONDS: i64 = 3600;
/// A confirming submission is read again by the scheduler's next run (every minute): due one
/// second past the run that kept it, so that run does not read it twice.
const NEXT_RUN_SECONDS: i64 = 1;
/// A transaction the node does not know yet may be on its way to it: read again this often
/// within the request before answering `payment_not_found`.
const NOT_FOUND_RETRIES: [Duration; 2] = [Duration::from_millis(500), Duration::from_millis(1000)];

#[derive(Debug, thiserror::Error)]
pub enum PaymentError {
    #[error("no such {0}")]
    Unknown(&'static str),
    /// The session or transfer has ended (or was paid by another transaction).
    #[error("the {kind} is {status}")]
    NotOpen { kind: &'static str, status: &'static str },
    /// The account's network is not in `LOOP_CHAINS`, or it has no treasury there.
    #[error("on-chain verification is not available for this account's network")]
    NotVerifiable,
    #[error("too many payment submissions; wait a minute")]
    RateLimited,
    #[error("{}", .0.message())]
    Rejected(Rejection),
    /// The network's RPC failed (timeout, 5xx, rate limit): retry is safe.
    #[error("the network could not be read; try again")]
    ChainUnavailable,
    #[error(transparent)]
    Store(#[from] StoreError),
}

/// What a submission did.
#[derive(Debug)]
pub enum Submitted<T> {
    /// Verified now: completed, or failed as underpaid.
    Settled(T),
    /// Not confirmed yet: Loop keeps checking it.
    Confirming,
}

/// What is being paid, as read.
enum Payable {
    Session(Box<CheckoutSession>),
    Transfer(Box<Transfer>),
}

impl Payable {
    fn target(&self) -> PayTarget {
        match self {
            Payable::Session(s) => PayTarget::Session(s.id.clone()),
            Payable::Transfer(t) => PayTarget::Transfer(t.id.clone()),
        }
    }

    /// Open to payment: `Err` says what it is instead.
    fn open(&self) -> Result<(), PaymentError> {
        match self {
            Payable::Session(s) if s.status != SessionStatus::Open => {
                Err(PaymentError::NotOpen { kind: "session", status: s.status.as_str() })
            }
            // The same rule as its page's: processed, or failed as underpaid on chain.
            Payable::Transfer(t) if t.pay_state() != PayState::Open => {
                Err(PaymentError::NotOpen { kind: "transfer", status: t.pay_state().as_str() })
            }
            _ => Ok(()),
        }
    }

    fn payment(&self) -> Option<&ChainPayment> {
        match self {
            Payable::Session(s) => s.payment.as_ref(),
            Payable::Transfer(t) => t.payment.as_ref(),
        }
    }

    fn expectation(&self, account: &Account, confirmations: u64) -> Result<Expectation, PaymentError> {
        let crypto = &account.crypto;
        let token: Address = crypto.token_address.parse().map_err(|_| PaymentError::NotVerifiable)?;
        let treasury: Address = crypto.treasury_address().parse().map_err(|_| PaymentError::NotVerifiable)?;
        let (amount, created_at, expires_at) = match self {
            Payable::Session(s) => (&s.amount, s.created_at, Some(s.expires_at)),
            Payable::Transfer(t) => (&t.amount, t.created_at, None),
        };
        let amount = loop_chain::amount_to_base_units(amount, crypto.token_decimals).map_err(|_| {
            PaymentError::Store(StoreError::Corrupt(format!("amount {amount:?} is not a token amount")))
        })?;
        Ok(Expectation {
            token,
            treasury,
            amount,
            created_at: created_at.max(0) as u64,
            expires_at: expires_at.map(|e| e.max(0) as u64),
            confirmations,
        })
    }
}

/// `POST /checkout/{id}/payments`.
pub async fn submit_for_session(
    app: &App,
    account_id: &AccountId,
    session_id: &str,
    hash: &str,
) -> Result<(Account, Submitted<CheckoutSession>), PaymentError> {
    let (session, account) = app.store.get_session_and_account(account_id, session_id).await?;
    let (Some(session), Some(account)) = (session, account) else { return Err(PaymentError::Unknown("session")) };
    let submitted = submit(app, &account, Payable::Session(Box::new(session)), hash).await?;
    Ok((
        account,
        submitted.map(|p| match p {
            Payable::Session(s) => *s,
            Payable::Transfer(_) => unreachable!("a session's submission settles the session"),
        }),
    ))
}

/// `POST /pay/{payToken}/payments`.
pub async fn submit_for_transfer(
    app: &App,
    account_id: &AccountId,
    transfer_id: &str,
    hash: &str,
) -> Result<(Account, Submitted<Transfer>), PaymentError> {
    let account = app.store.get_account(account_id).await?.ok_or(PaymentError::Unknown("transfer"))?;
    let transfer = app.store.get_transfer(account_id, transfer_id).await?.ok_or(PaymentError::Unknown("transfer"))?;
    let submitted = submit(app, &account, Payable::Transfer(Box::new(transfer)), hash).await?;
    Ok((
        account,
        submitted.map(|p| match p {
            Payable::Transfer(t) => *t,
            Payable::Session(_) => unreachable!("a transfer's submission settles the transfer"),
        }),
    ))
}

impl<T> Submitted<T> {
    fn map<U>(self, f: impl FnOnce(T) -> U) -> Submitted<U> {
        match self {
            Submitted::Settled(t) => Submitted::Settled(f(t)),
            Submitted::Confirming => Submitted::Confirming,
        }
    }
}

async fn submit(
    app: &App,
    account: &Account,
    payable: Payable,
    raw_hash: &str,
) -> Result<Submitted<Payable>, PaymentError> {
    let hash = loop_chain::parse_tx_hash(raw_hash).ok_or(PaymentError::Rejected(Rejection::NotFound))?;
    let hash_text = format!("{hash:#x}");
    // The same transaction submitted again for what it already paid: the answer stands.
    if payable.payment().is_some_and(|p| p.transaction_hash.eq_ignore_ascii_case(&hash_text)) {
        return Ok(Submitted::Settled(payable));
    }
    payable.open()?;
    let network_id = account.crypto.network_id;
    let network = app.network(network_id).ok_or(PaymentError::NotVerifiable)?;
    let expectation = payable.expectation(account, network.confirmations)?;
    let target = payable.target();
    if !app.store.count_submission(&account.id, target.id(), app.clock.now_unix()).await? {
        return Err(PaymentError::RateLimited);
    }
    let mut verdict = judge(network.chain.as_ref(), hash, &expectation).await?;
    for wait in NOT_FOUND_RETRIES {
        if verdict != Verdict::NotFound {
            break;
        }
        tokio::time::sleep(wait).await;
        verdict = judge(network.chain.as_ref(), hash, &expectation).await?;
    }
    let now = app.clock.now_unix();
    match verdict {
        Verdict::Paid(payment) | Verdict::Underpaid(payment) => {
            let underpaid = matches!(verdict, Verdict::Underpaid(_));
            let settled = settle(app, account, payable, &payment, network_id, underpaid).await?;
            app.store.delete_confirming(&account.id, target.id(), &hash_text).await.ok();
            Ok(Submitted::Settled(settled))
        }
        Verdict::Confirming => {
            let until = match app.store.get_confirming(&account.id, target.id(), &hash_text).await? {
                Some(kept) => kept.until,
                None => now + CONFIRMING_FOR_SECONDS,
            };
            let confirming = Confirming { target, transaction_hash: hash_text, network_id, submitted_at: now, until };
            app.store.put_confirming(&account.id, &confirming, now).await?;
            Ok(Submitted::Confirming)
        }
        Verdict::TooLate => Err(PaymentError::NotOpen { kind: "session", status: "expired" }),
        other => Err(PaymentError::Rejected(rejection(other))),
    }
}

fn rejection(verdict: Verdict) -> Rejection {
    match verdict {
        Verdict::Reverted => Rejection::Reverted,
        Verdict::Mismatch => Rejection::Mismatch,
        Verdict::TooOld => Rejection::TooOld,
        _ => Rejection::NotFound,
    }
}

async fn judge(chain: &dyn Chain, hash: B256, expectation: &Expectation) -> Result<Verdict, PaymentError> {
    match loop_chain::observe(chain, hash).await {
        Ok(observation) => Ok(loop_chain::verify(&observation, expectation)),
        Err(err) => {
            tracing::warn!(error = %err, "the network could not be read");
            Err(PaymentError::ChainUnavailable)
        }
    }
}

/// Completes (or fails, underpaid) what the log paid, claiming the log in the same write. A
/// lost race for the log is `payment_already_used`, unless what won is this very target (two
/// copies of one submission): then its settled state is the answer.
async fn settle(
    app: &App,
    account: &Account,
    payable: Payable,
    payment: &Payment,
    network_id: u64,
    underpaid: bool,
) -> Result<Payable, PaymentError> {
    let target = payable.target();
    let mut current = payable;
    for _ in 0..5 {
        current.open()?;
        let now_ms = app.clock.now_millis();
        let now = loop_ground::clock::unix_seconds(now_ms);
        let recorded = ChainPayment {
            transaction_hash: format!("{:#x}", payment.transaction_hash),
            log_index: payment.log_index,
            from: payment.from.to_checksum(None),
            amount_paid: loop_chain::base_units_to_decimal(payment.value, account.crypto.token_decimals),
            block_number: payment.block_number,
            network_id,
            confirmed_at: now,
        };
        let claim = Write::ClaimPaymentLog {
            network_id,
            transaction_hash: recorded.transaction_hash.clone(),
            log_index: recorded.log_index,
            paid: target.clone(),
            at: now,
        };
        let (settled, write, event) = settled(account, &current, recorded, underpaid, now_ms);
        let endpoints = app.store.get_endpoints(&account.id).await?;
        match publish::commit(app, &account.id, &endpoints, vec![claim, write], vec![event]).await {
            Ok(()) => return Ok(settled),
            Err(WriteError::LogAlreadyUsed) => {
                let hash = format!("{:#x}", payment.transaction_hash);
                let winner = app.store.payment_log(&account.id, network_id, &hash, payment.log_index).await?;
                if winner.as_ref() != Some(&target) {
                    return Err(PaymentError::Rejected(Rejection::AlreadyUsed));
                }
                current = reread(app, &account.id, &target).await?;
                return match current.payment() {
                    Some(_) => Ok(current),
                    None => Err(PaymentError::Rejected(Rejection::AlreadyUsed)),
                };
            }
            Err(WriteError::Conflict | WriteError::AlreadySeen) => current = reread(app, &account.id, &target).await?,
            Err(WriteError::Store(err)) => return Err(err.into()),
        }
    }
    Err(StoreError::Unavailable("the payment's target kept changing".into()).into())
}

async fn reread(app: &App, account: &AccountId, target: &PayTarget) -> Result<Payable, PaymentError> {
    Ok(match target {
        PayTarget::Session(id) => Payable::Session(Box::new(
            app.store.get_session(account, id).await?.ok_or(PaymentError::Unknown("session"))?,
        )),
        PayTarget::Transfer(id) => Payable::Transfer(Box::new(
            app.store.get_transfer(account, id).await?.ok_or(PaymentError::Unknown("transfer"))?,
        )),
    })
}

/// The new state of what was paid, its write, and the webhook it publishes.
fn settled(
    account: &Account,
    current: &Payable,
    payment: ChainPayment,
    underpaid: bool,
    now_ms: i64,
) -> (Payable, Write, OutboundEvent) {
    let now = loop_ground::clock::unix_seconds(now_ms);
    match current {
        Payable::Session(s) => {
            let mut next = CheckoutSession::clone(s);
            next.status = if underpaid { SessionStatus::Failed } else { SessionStatus::Completed };
            next.failure_reason = underpaid.then(|| UNDERPAID.to_owned());
            next.payment = Some(payment);
            next.finished_at = Some(now);
            next.version += 1;
            let event =
                OutboundEvent::envelope(&format!("checkout.session.{}", next.status.as_str()), next.to_json(), now_ms);
            let write = Write::PutSession { session: next.clone(), expected_version: Some(s.version) };
            (Payable::Session(Box::new(next)), write, event)
        }
        Payable::Transfer(t) => {
            let mut next = Transfer::clone(t);
            let report = ProcessingReport {
                success: !underpaid,
                reason: underpaid.then(|| UNDERPAID.to_owned()),
                transaction: Some(payment.transaction_hash.clone()),
                amount_paid: Some(payment.amount_paid.clone()),
            };
            if underpaid {
                next.status = TransferStatus::Failed;
                next.last_failure_reason = Some(UNDERPAID.to_owned());
            } else {
                next.status = TransferStatus::Processed;
                next.processed_at = Some(now);
            }
            next.transaction = Some(payment.transaction_hash.clone());
            next.from_address = Some(payment.from.clone());
            next.payment = Some(payment);
            next.updated_at = now;
            next.version += 1;
            let event = payloads::transfer_processed(account, &next, &report, now_ms);
            let write = Write::PutTransfer { transfer: Box::new(next.clone()), expected_version: Some(t.version) };
            (Payable::Transfer(Box::new(next)), write, event)
        }
    }
}

/// What a scheduler run did with one confirming submission.
#[derive(Debug, PartialEq, Eq)]
pub enum Recheck {
    Settled,
    Kept,
    Dropped,
}

/// The scheduler's check of a confirming submission that is due: read from its network again;
/// settled, kept for another minute, or dropped (rejected, its target ended, or its hour is
/// over). An RPC failure keeps it.
pub async fn recheck(
    app: &App,
    account_id: &AccountId,
    confirming: &Confirming,
    now: i64,
) -> Result<Recheck, PaymentError> {
    let target_id = confirming.target.id();
    let hash = &confirming.transaction_hash;
    let drop = || async {
        app.store.delete_confirming(account_id, target_id, hash).await?;
        Ok::<_, PaymentError>(Recheck::Dropped)
    };
    let Some(account) = app.store.get_account(account_id).await? else { return drop().await };
    let payable = match reread(app, account_id, &confirming.target).await {
        Ok(p) => p,
        Err(PaymentError::Unknown(_)) => return drop().await,
        Err(err) => return Err(err),
    };
    if payable.open().is_err() || account.crypto.network_id != confirming.network_id {
        return drop().await;
    }
    let Some(network) = app.network(confirming.network_id) else { return drop().await };
    let expectation = payable.expectation(&account, network.confirmations)?;
    let Some(hash_bytes) = loop_chain::parse_tx_hash(hash) else { return drop().await };
    let keep = || async {
        if now >= confirming.until {
            return drop().await;
        }
        app.store.put_confirming(account_id, confirming, now + NEXT_RUN_SECONDS).await?;
        Ok(Recheck::Kept)
    };
    match judge(network.chain.as_ref(), hash_bytes, &expectation).await {
        Err(PaymentError::ChainUnavailable) => keep().await,
        Err(err) => Err(err),
        Ok(verdict @ (Verdict::Paid(_) | Verdict::Underpaid(_))) => {
            let (Verdict::Paid(payment) | Verdict::Underpaid(payment)) = verdict else { unreachable!() };
            let underpaid = matches!(verdict, Verdict::Underpaid(_));
            match settle(app, &account, payable, &payment, confirming.network_id, underpaid).await {
                Ok(_) => {
                    app.store.delete_confirming(account_id, target_id, hash).await?;
                    Ok(Recheck::Settled)
                }
                Err(PaymentError::Rejected(_) | PaymentError::NotOpen { .. }) => drop().await,
                Err(err) => Err(err),
            }
        }
        Ok(Verdict::Confirming | Verdict::NotFound) => keep().await,
        Ok(_) => drop().await,
    }
}
