//! Signing in to the dashboard: one-time links (`loopctl dashboard link`,
//! `POST /v1/dashboard-links`) and API keys start a server-side session.
//!
//! A link's token and a session's id are `dl_…` / `ds_…`: the account's 20 characters and 32
//! random ones (160 bits). Only their SHA-256 is stored, in the account's own partition, which
//! the token names, so a lookup is one read. A link works once (a conditional delete) and
//! expires; a session lasts 12 hours and ends when its owner signs out.

use loop_adapters::store::{DashboardGrant, GrantKind, Store};
use loop_ground::clock::Clock;
use loop_ground::domain::account::Account;
use loop_ground::domain::api_key;
use loop_ground::error::{ApiError, StoreError};
use loop_ground::ids::{random_token, AccountId};
use loop_ground::secret::constant_time_eq;

use crate::accounts::{authenticate, AccountError, Caller};

const SECRET_LEN: usize = 32;
const LINK_PREFIX: &str = "dl_";
const SESSION_PREFIX: &str = "ds_";
/// How long a link works when nobody says otherwise.
pub const DEFAULT_LINK_TTL_SECONDS: i64 = 15 * 60;
/// The longest a link may be asked to work.
pub const MAX_LINK_TTL_SECONDS: i64 = 24 * 3600;
/// How long a session lasts.
pub const SESSION_TTL_SECONDS: i64 = 12 * 3600;

/// A fresh link: its token is shown once, in the URL.
#[derive(Debug)]
pub struct NewLink {
    pub token: String,
    pub expires_at: i64,
}

/// A fresh session: its id goes into the cookie, once.
#[derive(Debug)]
pub struct NewSession {
    pub id: String,
    pub grant: DashboardGrant,
}

/// A signed-in request's session.
#[derive(Clone, Debug)]
pub struct Session {
    pub caller: Caller,
    pub csrf_token: String,
    pub expires_at: i64,
}

impl Session {
    /// Whether a form's CSRF token is this session's.
    pub fn csrf_ok(&self, presented: Option<&str>) -> bool {
        presented.is_some_and(|p| constant_time_eq(p.as_bytes(), self.csrf_token.as_bytes()))
    }
}

fn new_token(prefix: &str, account: &AccountId) -> String {
    format!("{prefix}{}_{}", account.token(), random_token(SECRET_LEN))
}

/// The account a token names and the token's hash; `None` for anything not shaped like one.
fn parse_token(prefix: &str, token: &str) -> Option<(AccountId, String)> {
    let (account, secret) = token.strip_prefix(prefix)?.split_once('_')?;
    let account = AccountId::parse(&format!("{}{account}", AccountId::PREFIX))?;
    let base32 = |b: u8| b.is_ascii_lowercase() || (b'2'..=b'7').contains(&b);
    (secret.len() == SECRET_LEN && secret.bytes().all(base32)).then(|| (account, api_key::hash(token)))
}

/// A link to the account's dashboard, working once for `ttl_seconds` (at most a day).
pub async fn create_link(
    store: &Store,
    clock: &dyn Clock,
    account: &AccountId,
    test_mode: bool,
    ttl_seconds: i64,
) -> Result<NewLink, StoreError> {
    let now = clock.now_unix();
    let expires_at = now + ttl_seconds.clamp(1, MAX_LINK_TTL_SECONDS);
    let token = new_token(LINK_PREFIX, account);
    let grant = DashboardGrant {
        account_id: account.clone(),
        test_mode,
        csrf_token: None,
        key_hash: None,
        created_at: now,
        expires_at,
    };
    if !store.put_dashboard_grant(GrantKind::Link, &api_key::hash(&token), &grant).await? {
        return Err(StoreError::Fault("a fresh link token collided".into()));
    }
    Ok(NewLink { token, expires_at })
}

/// For `loopctl`: a link for an account that must exist; test mode if the account is.
pub async fn create_link_for_account(
    store: &Store,
    clock: &dyn Clock,
    account: &AccountId,
    ttl_seconds: i64,
) -> Result<NewLink, AccountError> {
    let found = store.get_account(account).await?.ok_or_else(|| AccountError::UnknownAccount(account.clone()))?;
    Ok(create_link(store, clock, account, found.test_mode, ttl_seconds).await?)
}

/// Starts a session; `key_hash` names the API key it was signed in with, if any.
async fn start_session(
    store: &Store,
    clock: &dyn Clock,
    account: &AccountId,
    test_mode: bool,
    key_hash: Option<String>,
) -> Result<NewSession, StoreError> {
    let now = clock.now_unix();
    let id = new_token(SESSION_PREFIX, account);
    let grant = DashboardGrant {
        account_id: account.clone(),
        test_mode,
        csrf_token: Some(random_token(SECRET_LEN)),
        key_hash,
        created_at: now,
        expires_at: now + SESSION_TTL_SECONDS,
    };
    if !store.put_dashboard_grant(GrantKind::Session, &api_key::hash(&id), &grant).await? {
        return Err(StoreError::Fault("a fresh session id collided".into()));
    }
    Ok(NewSession { id, grant })
}

/// Uses a link: `None` if it is malformed, unknown, used or expired (all alike to the visitor).
pub async fn redeem_link(store: &Store, clock: &dyn Clock, token: &str) -> Result<Option<NewSession>, StoreError> {
    let Some((account, hash)) = parse_token(LINK_PREFIX, token) else { return Ok(None) };
    let Some(link) = store.take_dashboard_grant(GrantKind::Link, &account, &hash, clock.now_unix()).await? else {
        return Ok(None);
    };
    if link.account_id != account {
        return Ok(None);
    }
    start_session(store, clock, &account, link.test_mode, None).await.map(Some)
}

/// Signs in with an API key, checked exactly as the API checks it. The session keeps the key's
/// hash, so revoking the key ends it: a key that no longer opens the API opens no dashboard.
pub async fn sign_in_with_key(store: &Store, clock: &dyn Clock, api_key: &str) -> Result<NewSession, ApiError> {
    let caller = authenticate(store, Some(&format!("Bearer {}", api_key.trim()))).await?;
    let key_hash = api_key::hash(api_key.trim());
    Ok(start_session(store, clock, &caller.account.id, caller.test_mode, Some(key_hash)).await?)
}

/// The session a cookie names, with its account: `None` when signed out (no such session, or
/// expired, or its account gone, or the API key it was signed in with revoked).
pub async fn session(store: &Store, clock: &dyn Clock, id: &str) -> Result<Option<Session>, StoreError> {
    let Some((account, hash)) = parse_token(SESSION_PREFIX, id) else { return Ok(None) };
    let Some(grant) = store.get_dashboard_grant(GrantKind::Session, &account, &hash, clock.now_unix()).await? else {
        return Ok(None);
    };
    // A session from a key reads the key with the account (one request): once revoked, it ends.
    let (found, key_id): (Option<Account>, String) = match &grant.key_hash {
        Some(key_hash) => match store.get_account_and_key(&account, key_hash).await? {
            (found, Some(key)) if key.revoked_at.is_none() => (found, key.key_id),
            _ => return Ok(None),
        },
        None => (store.get_account(&account).await?, "dashboard".into()),
    };
    let Some(found) = found else { return Ok(None) };
    Ok(Some(Session {
        caller: Caller { account: found, key_id, test_mode: grant.test_mode },
        csrf_token: grant.csrf_token.unwrap_or_default(),
        expires_at: grant.expires_at,
    }))
}

/// Ends the session server-side: its cookie names nothing from now on.
pub async fn sign_out(store: &Store, id: &str) -> Result<(), StoreError> {
    if let Some((account, hash)) = parse_token(SESSION_PREFIX, id) {
        // i64::MIN: delete it whatever its expiry.
        store.take_dashboard_grant(GrantKind::Session, &account, &hash, i64::MIN).await?;
    }
    Ok(())
}

/// `30s`, `15m`, `1h` (or bare seconds) as seconds; `None` for anything else or zero.
pub fn parse_ttl(raw: &str) -> Option<i64> {
    let raw = raw.trim();
    let (number, unit) = match raw.char_indices().last()? {
        (i, 's') => (&raw[..i], 1),
        (i, 'm') => (&raw[..i], 60),
        (i, 'h') => (&raw[..i], 3600),
        _ => (raw, 1),
    };
    number.parse::<i64>().ok().filter(|n| *n > 0).and_then(|n| n.checked_mul(unit))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tokens_name_their_account_and_nothing_else_parses() {
        let account = AccountId::generate();
        let token = new_token(LINK_PREFIX, &account);
        let (parsed, hash) = parse_token(LINK_PREFIX, &token).unwrap();
        assert_eq!(parsed, account);
        assert_eq!(hash, api_key::hash(&token));
        assert!(parse_token(SESSION_PREFIX, &token).is_none(), "a link is no session");
        assert!(parse_token(LINK_PREFIX, &token[..token.len() - 1]).is_none());
        assert!(parse_token(LINK_PREFIX, &format!("{token}a")).is_none());
        assert!(parse_token(LINK_PREFIX, &token.to_uppercase()).is_none());
        assert!(parse_token(LINK_PREFIX, "dl_").is_none());
    }

    #[test]
    fn ttls_read_seconds_minutes_and_hours() {
        assert_eq!(parse_ttl("30s"), Some(30));
        assert_eq!(parse_ttl("15m"), Some(900));
        assert_eq!(parse_ttl("1h"), Some(3600));
        assert_eq!(parse_ttl("45"), Some(45));
        for bad in ["", "0m", "-1h", "1d", "m", "1.5h"] {
            assert_eq!(parse_ttl(bad), None, "{bad}");
        }
    }
}
