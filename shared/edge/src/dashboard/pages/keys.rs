//! API keys on the Settings page: the account's keys (id, mode, dates, last four characters;
//! never a key or its hash), a new key shown once, and revocation, through the capability
//! `loopctl keys` uses (`loop_capabilities::accounts`). There is no `/v1` route for keys: a key
//! that could make keys would outlive its own revocation.

use maud::{html, Markup};

use super::{Ctx, PageResult};
use crate::dashboard::view::{csrf, time};
use crate::dashboard::{auth, redirect};
use loop_capabilities::accounts::{self, AccountError};
use loop_ground::clock::rfc3339_from_unix;
use loop_ground::error::ApiError;
use loop_ground::secret::Secret;

/// A key made by this request: shown this once.
pub(in crate::dashboard) struct NewKey {
    pub id: String,
    pub key: Secret,
    pub test_mode: bool,
}

/// The "API keys" card of the Settings page.
pub(super) async fn section(ctx: &Ctx<'_>, new_key: Option<&NewKey>) -> Result<Markup, ApiError> {
    let keys = accounts::list_keys(&ctx.app.store, &ctx.session.caller.account.id).await?;
    let test_only = ctx.session.caller.test_mode || ctx.session.caller.account.test_mode;
    let mode = |test: bool| if test { "test" } else { "live" };
    Ok(html! {
        @if let Some(new) = new_key {
            section.card.notice #new-key-card {
                h2 { "New " (mode(new.test_mode)) " key " code { (new.id) } }
                p { "Copy it now: it is shown only this once, and Loop keeps only its hash." }
                pre { code #new-key { (new.key.expose()) } }
                button.secondary type="button" data-copy="new-key" hidden { "Copy" }
            }
        }
        section.card {
            h2 { "API keys" }
            table #keys {
                thead { tr { th { "Key" } th { "Mode" } th { "Created" } th { "Status" } th {} } }
                tbody {
                    @for k in &keys {
                        @let current = k.key_id == ctx.session.caller.key_id;
                        tr data-id=(k.key_id) {
                            td {
                                code { (k.key_id) }
                                @if let Some(last4) = &k.last4 { br; small.muted { "lk_…" (last4) } }
                                @if current { br; small #current-key { "This session signed in with it" } }
                            }
                            td { (mode(k.test_mode)) }
                            td { (time(&rfc3339_from_unix(k.created_at))) }
                            td {
                                @match k.revoked_at {
                                    Some(at) => { span.status-disabled { "revoked" } br; small.muted { (time(&rfc3339_from_unix(at))) } },
                                    None => span.status-enabled { "active" },
                                }
                            }
                            td {
                                @if k.revoked_at.is_none() {
                                    form.inline.revoke method="post" action={ "/dashboard/keys/" (k.key_id) "/revoke" } {
                                        (csrf(&ctx.session))
                                        button.secondary type="submit" { "Revoke" }
                                    }
                                }
                            }
                        }
                    }
                }
            }
            form #create-key method="post" action="/dashboard/keys" {
                (csrf(&ctx.session))
                @if test_only {
                    p.hint { "This is a test-mode session: its new keys are test-mode keys." }
                } @else {
                    label { input #testMode type="checkbox" name="testMode" value="on"; " Test-mode key" }
                }
                button type="submit" { "Create an API key" }
            }
        }
    })
}

/// `POST /dashboard/keys`: a new key, test-mode when the session is (a test-mode session
/// cannot make a live key) or when asked.
pub(in crate::dashboard) async fn create(ctx: &Ctx<'_>) -> PageResult {
    let test_mode = ctx.session.caller.test_mode || ctx.field("testMode").is_some();
    let account = &ctx.session.caller.account.id;
    let created = accounts::create_key(&ctx.app.store, ctx.app.clock.as_ref(), account, test_mode).await.map_err(
        |err| match err {
            AccountError::Invalid(message) => ApiError::invalid("parameter_invalid", message),
            AccountError::UnknownAccount(_) => ApiError::not_found("account"),
            AccountError::Store(err) => err.into(),
        },
    )?;
    let new = NewKey { id: created.key_id, key: created.api_key, test_mode: created.test_mode };
    super::settings_page(ctx, None, Some(&new)).await
}

/// `POST /dashboard/keys/{id}/revoke`. Revoking the key this session signed in with ends the
/// session too (it would end at its next request anyway: a session reads its key).
pub(in crate::dashboard) async fn revoke(ctx: &Ctx<'_>, id: &str) -> PageResult {
    let account = &ctx.session.caller.account.id;
    if !accounts::revoke_key(&ctx.app.store, ctx.app.clock.as_ref(), account, id).await? {
        return Err(ApiError::not_found("API key"));
    }
    if id == ctx.session.caller.key_id {
        return Ok(auth::logout(ctx).await);
    }
    Ok(redirect("/dashboard/settings?revoked=1"))
}
