//! Signing in and out: the API-key form, the one-time link, and sign-out.

use http::{header, HeaderValue, StatusCode};
use maud::html;

use super::{field, redirect, view, Ctx, COOKIE};
use loop_adapters::app::App;
use loop_capabilities::dashboard::{self as signin, NewSession, SESSION_TTL_SECONDS};
use loop_ground::error::ApiError;
use loop_ground::http::{self as h, Request, Response};

/// `GET /dashboard/login`: the form; `POST`: the key it took.
pub(super) async fn login(app: &App, request: &Request, form: &[(String, String)]) -> Response {
    if request.method() != http::Method::POST {
        return login_page(StatusCode::OK, None);
    }
    let key = field(form, "apiKey").unwrap_or_default();
    match signin::sign_in_with_key(&app.store, app.clock.as_ref(), key).await {
        Ok(session) => signed_in(app, request, &session),
        Err(ApiError::Authentication { message, .. }) => login_page(StatusCode::UNAUTHORIZED, Some(&message)),
        Err(err) => view::error_page(&err, None),
    }
}

fn login_page(status: StatusCode, error: Option<&str>) -> Response {
    view::page(
        status,
        "Sign in",
        None,
        html! {
            section.card.narrow {
                h1 { "Sign in to Loop" }
                @if let Some(error) = error { p.error role="alert" { (error) } }
                form method="post" action="/dashboard/login" {
                    label for="apiKey" { "API key" }
                    input #apiKey type="password" name="apiKey" required autocomplete="off" placeholder="lk_test_…";
                    button type="submit" { "Sign in" }
                }
                p.hint {
                    "No key at hand? An operator can print a one-time link: "
                    code { "loopctl dashboard link --account ACCOUNT_ID" }
                }
            }
        },
    )
}

/// `GET /dashboard/link/{token}`: a button that uses the link (so a mail scanner that follows
/// links does not use it up); `POST`: uses it.
pub(super) async fn link(app: &App, request: &Request, token: &str) -> Response {
    if request.method() != http::Method::POST {
        return view::page(
            StatusCode::OK,
            "Sign in",
            None,
            html! {
                section.card.narrow {
                    h1 { "Sign in to Loop" }
                    p { "This one-time link signs you in to your dashboard." }
                    form method="post" action={ "/dashboard/link/" (token) } {
                        button #continue type="submit" { "Continue to the dashboard" }
                    }
                }
            },
        );
    }
    match signin::redeem_link(&app.store, app.clock.as_ref(), token).await {
        Ok(Some(session)) => signed_in(app, request, &session),
        Ok(None) => view::message_page(
            StatusCode::GONE,
            "Link not valid",
            "This sign-in link has expired, was already used, or is not a link Loop made. Ask for a new one, or sign in with an API key at /dashboard/login.",
            None,
        ),
        Err(err) => view::error_page(&err.into(), None),
    }
}

/// `POST /dashboard/logout`: ends the session where it is kept, and forgets the cookie.
pub(super) async fn logout(ctx: &Ctx<'_>) -> Response {
    if let Some(id) = super::cookie(ctx.request, COOKIE) {
        if let Err(err) = signin::sign_out(&ctx.app.store, id).await {
            return view::error_page(&err.into(), Some(&ctx.session));
        }
    }
    let mut response = redirect("/dashboard/login");
    set_cookie(&mut response, &cookie_value(ctx.app, ctx.request, "", 0));
    response
}

fn signed_in(app: &App, request: &Request, session: &NewSession) -> Response {
    let mut response = redirect("/dashboard");
    set_cookie(&mut response, &cookie_value(app, request, &session.id, SESSION_TTL_SECONDS));
    response
}

fn set_cookie(response: &mut Response, value: &str) {
    if let Ok(value) = HeaderValue::from_str(value) {
        response.headers_mut().append(header::SET_COOKIE, value);
    }
}

/// The session cookie: `Secure` wherever the dashboard is served over HTTPS, which is
/// everywhere but a developer's own machine.
fn cookie_value(app: &App, request: &Request, id: &str, max_age: i64) -> String {
    let base = h::public_base_url(app.config.public_base_url.as_deref(), request);
    let local = ["http://127.0.0.1", "http://localhost"].iter().any(|l| {
        base.strip_prefix(l).is_some_and(|rest| rest.is_empty() || rest.starts_with(':') || rest.starts_with('/'))
    });
    let secure = if local { "" } else { "; Secure" };
    format!("{COOKIE}={id}; HttpOnly; SameSite=Lax; Path=/dashboard; Max-Age={max_age}{secure}")
}
