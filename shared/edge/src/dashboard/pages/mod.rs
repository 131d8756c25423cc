//! The pages. Each reads and acts through [`crate::api::call`], the `/v1` routes' own code, and
//! draws what they answer: lists page as the API's do (`startingAfter`), and an error the API
//! would answer is shown on the page.

mod deliveries;
pub(super) mod email;
pub(super) mod keys;
pub(super) mod transfers;

use http::{Method, StatusCode};
use maud::{html, Markup};
use serde_json::{json, Value};

use super::view::{self, csrf, time};
use super::{enc, redirect, Ctx};
use crate::api::call;
use loop_adapters::store::WriteError;
use loop_capabilities::publish::{self, TestEventError};
use loop_ground::clock::rfc3339_from_unix;
use loop_ground::domain::outbound::OUTBOUND_TYPES;
use loop_ground::error::ApiError;
use loop_ground::http::{self as h, Response};

/// Rows per page of a list.
const PAGE_SIZE: usize = 20;

type PageResult = Result<Response, ApiError>;

impl Ctx<'_> {
    async fn get(&self, path: &str) -> Result<Value, ApiError> {
        call(self.app, &self.session.caller, self.request, Method::GET, path, None).await
    }

    async fn send(&self, method: Method, path: &str, body: Value) -> Result<Value, ApiError> {
        call(self.app, &self.session.caller, self.request, method, path, Some(body)).await
    }

    fn page(&self, title: &str, body: Markup) -> Response {
        self.page_with(StatusCode::OK, title, body)
    }

    fn page_with(&self, status: StatusCode, title: &str, body: Markup) -> Response {
        view::page(status, title, Some(&self.session), body)
    }

    fn query(&self, name: &str) -> Option<String> {
        h::query_pairs(self.request).into_iter().find(|(k, v)| k == name && !v.is_empty()).map(|(_, v)| v)
    }

    /// Where Stripe sends this account's events.
    fn stripe_webhook_url(&self) -> String {
        let base = h::public_base_url(self.app.config.public_base_url.as_deref(), self.request);
        format!("{base}/stripe/webhooks/{}", self.session.caller.account.id)
    }
}

fn text(value: &Value) -> String {
    match value {
        Value::Null => String::new(),
        Value::String(s) => s.clone(),
        other => other.to_string(),
    }
}

/// A list's filter by status: a form that GETs `action` with `?status=`.
fn status_filter_form(id: &str, action: &str, statuses: &[&str], chosen: Option<&str>) -> Markup {
    html! {
        form.row id=(id) method="get" action=(action) {
            div {
                label for="status" { "Status" }
                select #status name="status" {
                    option value="" { "Any status" }
                    @for s in statuses { option value=(s) selected[chosen == Some(*s)] { (s) } }
                }
            }
            button type="submit" { "Filter" }
        }
    }
}

fn rows(page: &Value) -> &[Value] {
    page["data"].as_array().map(Vec::as_slice).unwrap_or_default()
}

/// "Next page" while the list has more, keeping the page's other parameters.
fn next_link(path: &str, page: &Value, keep: &[(&str, Option<String>)]) -> Markup {
    let next = page["nextStartingAfter"].as_str().filter(|_| page["hasMore"] == json!(true));
    let href = next.map(|next| {
        let mut href = format!("{path}?startingAfter={}", enc(next));
        for (name, value) in keep {
            if let Some(value) = value {
                href.push_str(&format!("&{name}={}", enc(value)));
            }
        }
        href
    });
    html! { @if let Some(href) = href { p { a.next href=(href) { "Next page →" } } } }
}

// Overview

/// Stripe events the Overview counts at most per listing shard (17 `COUNT` queries): past it the
/// figure reads "N+".
const STRIPE_COUNT_CAP: usize = 1_000;

pub(super) async fn overview(ctx: &Ctx<'_>) -> PageResult {
    let now = ctx.app.clock.now_unix();
    let since = rfc3339_from_unix(now - 24 * 3600);
    let events = ctx.get("/v1/events?limit=100").await?;
    let contacts = ctx.get("/v1/contacts?limit=100").await?;
    let sessions = ctx.get("/v1/checkout-sessions?limit=100").await?;
    // RFC 3339 UTC times of one width sort as text: no parsing needed to compare them.
    let recent = |page: &Value, field: &str| -> (usize, bool) {
        let all = rows(page);
        let n = all.iter().filter(|r| r[field].as_str().is_some_and(|t| t >= since.as_str())).count();
        (n, n == all.len() && page["hasMore"] == json!(true))
    };
    let count = |(n, more): (usize, bool)| if more { format!("{n}+") } else { n.to_string() };
    let mut by_status: Vec<(String, usize)> = Vec::new();
    for s in rows(&sessions).iter().filter(|r| r["createdAt"].as_str().is_some_and(|t| t >= since.as_str())) {
        let status = text(&s["status"]);
        match by_status.iter_mut().find(|(k, _)| *k == status) {
            Some((_, n)) => *n += 1,
            None => by_status.push((status, 1)),
        }
    }
    let deliveries = deliveries::last_day(ctx).await?;
    let total = deliveries.total();
    let account = &ctx.session.caller.account.id;
    let stripe = ctx.app.store.count_stripe_events_since(account, now - 24 * 3600, STRIPE_COUNT_CAP).await?;
    Ok(ctx.page(
        "Overview",
        html! {
            h1 { "Overview" }
            section.card {
                h2 { "Last 24 hours" }
                div.stats {
                    div.stat #stat-stripe { strong { (count(stripe)) } "Stripe events received" }
                    div.stat #stat-events { strong { (count(recent(&events, "created"))) } "outbound events" }
                    div.stat #stat-contacts { strong { (count(recent(&contacts, "createdAt"))) } "new contacts" }
                    div.stat #stat-succeeded { strong.ok { (total.succeeded) } "deliveries succeeded" }
                    div.stat #stat-failed { strong class=(if total.failed > 0 { "error" } else { "" }) { (total.failed) } "deliveries failed" }
                    @for (status, n) in &by_status { div.stat { strong { (n) } "checkout sessions " (status) } }
                    @if by_status.is_empty() { div.stat { strong { "0" } "checkout sessions" } }
                }
            }
            section.card {
                h2 { "Deliveries per hour" }
                (deliveries::chart(&deliveries.hours))
                (deliveries::capped_hint(&deliveries))
                p.hint { "Each event is delivered to every enabled endpoint that wants its type: see Events for each attempt, and Webhooks for each endpoint's success rate." }
            }
            section.card {
                h2 { "Stripe" }
                p { "Point a Stripe webhook endpoint at " code #stripe-url { (ctx.stripe_webhook_url()) } }
            }
        },
    ))
}

// Webhooks

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum WebhookAction {
    Enable,
    Disable,
    RotateSecret,
    /// Its events and description.
    Edit,
    /// Sends it a test event.
    SendTest,
}

impl WebhookAction {
    pub fn parse(raw: &str) -> Option<Self> {
        match raw {
            "enable" => Some(WebhookAction::Enable),
            "disable" => Some(WebhookAction::Disable),
            "rotate-secret" => Some(WebhookAction::RotateSecret),
            "edit" => Some(WebhookAction::Edit),
            "send-test" => Some(WebhookAction::SendTest),
            _ => None,
        }
    }
}

/// What a webhooks page says above the list.
pub(super) enum Notice {
    /// A secret, shown this once.
    Secret {
        endpoint: String,
        secret: String,
    },
    Error(String),
}

pub(super) async fn webhooks(ctx: &Ctx<'_>, notice: Option<Notice>) -> PageResult {
    let list = ctx.get("/v1/webhook-endpoints?limit=100").await?;
    let stats = deliveries::last_day(ctx).await?;
    let status = if matches!(notice, Some(Notice::Error(_))) { StatusCode::BAD_REQUEST } else { StatusCode::OK };
    Ok(ctx.page_with(
        status,
        "Webhooks",
        html! {
            h1 { "Webhooks" }
            @match &notice {
                Some(Notice::Secret { endpoint, secret }) => section.card.notice #new-secret-card {
                    h2 { "Signing secret of " code { (endpoint) } }
                    p { "Copy it now: it is shown only this once." }
                    pre { code #new-secret { (secret) } }
                    button.secondary type="button" data-copy="new-secret" hidden { "Copy" }
                },
                Some(Notice::Error(message)) => section.card.notice.error role="alert" { p.error { (message) } },
                None => {},
            }
            section.card {
                @if rows(&list).is_empty() {
                    p #empty { "No endpoints yet. Add the HTTPS URL that should receive Loop's events below; Loop signs each delivery with the endpoint's secret." }
                } @else {
                    table #endpoints {
                        thead { tr { th { "URL" } th { "Events" } th { "Status" } th { "Success (24 h)" } th { "Secret" } th { "Created" } th {} } }
                        tbody {
                            @for e in rows(&list) {
                                @let id = text(&e["id"]);
                                tr data-id=(id) {
                                    td { (text(&e["url"])) br; small.muted { (id) } @if let Some(d) = e["description"].as_str() { br; small { (d) } } }
                                    td { (e["events"].as_array().map(|l| l.iter().map(text).collect::<Vec<_>>().join(", ")).unwrap_or_default()) }
                                    td { span class={ "status-" (text(&e["status"])) } { (text(&e["status"])) } @if let Some(r) = e["disabledReason"].as_str() { br; small.muted { (r) } } }
                                    td.success { (deliveries::success_rate(stats.endpoints.get(&id))) }
                                    td { code { (text(&e["secret"])) } }
                                    td { (time(&text(&e["createdAt"]))) }
                                    td {
                                        @let toggle = if e["status"] == json!("enabled") { "disable" } else { "enable" };
                                        form.inline method="post" action={ "/dashboard/webhooks/" (id) "/" (toggle) } {
                                            (csrf(&ctx.session)) button.secondary type="submit" { (if toggle == "disable" { "Disable" } else { "Enable" }) }
                                        }
                                        " "
                                        form.inline method="post" action={ "/dashboard/webhooks/" (id) "/rotate-secret" } {
                                            (csrf(&ctx.session)) button.secondary type="submit" { "Rotate secret" }
                                        }
                                        " "
                                        form.inline.send-test method="post" action={ "/dashboard/webhooks/" (id) "/send-test" } {
                                            (csrf(&ctx.session)) button.secondary type="submit" { "Send a test event" }
                                        }
                                        details.edit {
                                            summary { "Edit" }
                                            form method="post" action={ "/dashboard/webhooks/" (id) "/edit" } {
                                                (csrf(&ctx.session))
                                                label { "Description" }
                                                input type="text" name="description" maxlength="500" value=(text(&e["description"]));
                                                (event_checks(e["events"].as_array().map(Vec::as_slice).unwrap_or_default()))
                                                button.secondary type="submit" { "Save" }
                                            }
                                        }
                                    }
                                }
                            }
                        }
                    }
                    (deliveries::capped_hint(&stats))
                }
            }
            section.card {
                h2 { "Add an endpoint" }
                form #create-endpoint method="post" action="/dashboard/webhooks" {
                    (csrf(&ctx.session))
                    label for="url" { "URL" }
                    input #url type="url" name="url" required placeholder="https://example.com/webhooks/loop";
                    label for="description" { "Description (optional)" }
                    input #description type="text" name="description" maxlength="500";
                    (event_checks(&[json!("*")]))
                    button type="submit" { "Add endpoint" }
                }
            }
        },
    ))
}

/// The event filter of an endpoint, as checkboxes: `*` for all of them.
fn event_checks(chosen: &[Value]) -> Markup {
    let on = |kind: &str| chosen.iter().any(|c| c == kind);
    html! {
        label { "Events" }
        div.checks {
            label { input type="checkbox" name="events" value="*" checked[on("*")]; " All events" }
            @for kind in OUTBOUND_TYPES { label { input type="checkbox" name="events" value=(kind) checked[on(kind)]; " " (kind) } }
        }
    }
}

pub(super) async fn create_webhook(ctx: &Ctx<'_>) -> PageResult {
    let events: Vec<&str> = ctx.form.iter().filter(|(k, _)| k == "events").map(|(_, v)| v.as_str()).collect();
    let mut body = json!({"url": ctx.field("url").unwrap_or_default().trim(), "events": events});
    if let Some(description) = ctx.field("description").map(str::trim).filter(|d| !d.is_empty()) {
        body["description"] = json!(description);
    }
    match ctx.send(Method::POST, "/v1/webhook-endpoints", body).await {
        Ok(created) => {
            let notice = Notice::Secret { endpoint: text(&created["id"]), secret: text(&created["secret"]) };
            webhooks(ctx, Some(notice)).await
        }
        Err(ApiError::InvalidRequest { message, .. }) => webhooks(ctx, Some(Notice::Error(message))).await,
        Err(err) => Err(err),
    }
}

pub(super) async fn webhook_action(ctx: &Ctx<'_>, id: &str, action: WebhookAction) -> PageResult {
    let path = format!("/v1/webhook-endpoints/{id}");
    match action {
        WebhookAction::Enable | WebhookAction::Disable => {
            let status = if action == WebhookAction::Enable { "enabled" } else { "disabled" };
            ctx.send(Method::PATCH, &path, json!({"status": status})).await?;
            Ok(redirect("/dashboard/webhooks"))
        }
        WebhookAction::Edit => {
            let events: Vec<&str> = ctx.form.iter().filter(|(k, _)| k == "events").map(|(_, v)| v.as_str()).collect();
            let description = ctx.field("description").map(str::trim).filter(|d| !d.is_empty());
            match ctx.send(Method::PATCH, &path, json!({"events": events, "description": description})).await {
                Ok(_) => Ok(redirect("/dashboard/webhooks")),
                Err(ApiError::InvalidRequest { message, .. }) => webhooks(ctx, Some(Notice::Error(message))).await,
                Err(err) => Err(err),
            }
        }
        WebhookAction::SendTest => {
            let account = &ctx.session.caller.account.id;
            match publish::send_test_event(ctx.app, account, id).await {
                Ok(event) => Ok(redirect(&format!("/dashboard/events/{event}"))),
                Err(TestEventError::UnknownEndpoint) => Err(ApiError::not_found("webhook endpoint")),
                Err(err @ TestEventError::Disabled) => webhooks(ctx, Some(Notice::Error(err.to_string()))).await,
                Err(TestEventError::Store(err) | TestEventError::Write(WriteError::Store(err))) => Err(err.into()),
                Err(TestEventError::Write(_)) => Err(ApiError::Unavailable),
            }
        }
        WebhookAction::RotateSecret => {
            let rotated = ctx.send(Method::POST, &format!("{path}/rotate-secret"), json!({})).await?;
            webhooks(ctx, Some(Notice::Secret { endpoint: id.to_owned(), secret: text(&rotated["secret"]) })).await
        }
    }
}

// Events

pub(super) async fn events(ctx: &Ctx<'_>) -> PageResult {
    let kind = ctx.query("type");
    let after = ctx.query("startingAfter");
    let mut path = format!("/v1/events?limit={PAGE_SIZE}");
    if let Some(kind) = &kind {
        path.push_str(&format!("&type={}", enc(kind)));
    }
    if let Some(after) = &after {
        path.push_str(&format!("&startingAfter={}", enc(after)));
    }
    let list = ctx.get(&path).await?;
    Ok(ctx.page(
        "Events",
        html! {
            h1 { "Events" }
            section.card {
                form.row #filter method="get" action="/dashboard/events" {
                    div {
                        label for="type" { "Type" }
                        select #type name="type" {
                            option value="" { "All types" }
                            @for t in OUTBOUND_TYPES { option value=(t) selected[kind.as_deref() == Some(t)] { (t) } }
                        }
                    }
                    button type="submit" { "Filter" }
                }
            }
            section.card {
                @if rows(&list).is_empty() {
                    p #empty {
                        @if kind.is_some() { "No events of this type. " a href="/dashboard/events" { "Show all types" } }
                        @else {
                            "No events yet. Loop publishes an event when Stripe sends it one that changes something (a new customer, an invoice, a subscription), and when a checkout session ends. Stripe sends to "
                            code { (ctx.stripe_webhook_url()) }
                            "."
                        }
                    }
                } @else {
                    table #events {
                        thead { tr { th { "Event" } th { "Type" } th { "Created" } } }
                        tbody {
                            @for e in rows(&list) {
                                @let id = text(&e["id"]);
                                tr { td { a href={ "/dashboard/events/" (id) } { code { (id) } } } td { (text(&e["type"])) } td { (time(&text(&e["created"]))) } }
                            }
                        }
                    }
                    (next_link("/dashboard/events", &list, &[("type", kind.clone())]))
                }
            }
        },
    ))
}

pub(super) async fn event(ctx: &Ctx<'_>, id: &str) -> PageResult {
    let event = ctx.get(&format!("/v1/events/{id}")).await?;
    let redelivered = ctx.query("redelivered");
    let endpoints = event["endpoints"].as_array().map(Vec::as_slice).unwrap_or_default();
    Ok(ctx.page(
        "Event",
        html! {
            p { a href="/dashboard/events" { "← Events" } }
            h1 { (text(&event["type"])) " " code { (id) } }
            @if let Some(n) = redelivered { section.card.notice #redelivered { p { "Sent again to " (n) " endpoint(s)." } } }
            section.card {
                h2 { "Deliveries" }
                @if endpoints.is_empty() {
                    p #no-deliveries { "No endpoint wanted this event when it was published. " a href="/dashboard/webhooks" { "Add an endpoint" } ", then redeliver it." }
                }
                @for d in endpoints {
                    @let endpoint = text(&d["endpointId"]);
                    div.delivery data-endpoint=(endpoint) {
                        p {
                            code { (endpoint) } " — "
                            span class={ "delivery-status status-" (text(&d["status"])) } { (text(&d["status"])) }
                            @if let Some(reason) = d["reason"].as_str() { " (" (reason) ")" }
                        }
                        table.attempts {
                            thead { tr { th { "#" } th { "At" } th { "Status" } th { "Duration" } th { "Error" } th { "Response" } } }
                            tbody {
                                @for a in d["attempts"].as_array().map(Vec::as_slice).unwrap_or_default() {
                                    tr {
                                        td { (text(&a["attempt"])) }
                                        td { (time(&text(&a["at"]))) }
                                        td { (text(&a["responseStatus"])) }
                                        td { @if let Some(ms) = a["durationMs"].as_i64() { (ms) " ms" } }
                                        td { (text(&a["error"])) }
                                        td { code { (text(&a["responseBody"]).chars().take(200).collect::<String>()) } }
                                    }
                                }
                            }
                        }
                        form.inline method="post" action={ "/dashboard/events/" (id) "/redeliver" } {
                            (csrf(&ctx.session))
                            input type="hidden" name="endpointId" value=(endpoint);
                            button.secondary type="submit" { "Redeliver to this endpoint" }
                        }
                    }
                }
                form method="post" action={ "/dashboard/events/" (id) "/redeliver" } {
                    (csrf(&ctx.session))
                    button #redeliver type="submit" { "Redeliver to every endpoint that wants it" }
                }
            }
            section.card {
                h2 { "Payload" }
                pre #payload { (serde_json::to_string_pretty(&event["payload"]).unwrap_or_default()) }
            }
        },
    ))
}

pub(super) async fn redeliver(ctx: &Ctx<'_>, id: &str) -> PageResult {
    let body = match ctx.field("endpointId").filter(|e| !e.is_empty()) {
        Some(endpoint) => json!({"endpointId": endpoint}),
        None => json!({}),
    };
    let answer = ctx.send(Method::POST, &format!("/v1/events/{id}/redeliver"), body).await?;
    Ok(redirect(&format!("/dashboard/events/{id}?redelivered={}", text(&answer["endpoints"]))))
}

// Audience

pub(super) async fn audience(ctx: &Ctx<'_>) -> PageResult {
    let email = ctx.query("email");
    let after = ctx.query("startingAfter");
    let path = match (&email, &after) {
        (Some(email), _) => format!("/v1/contacts?email={}", enc(email.trim())),
        (None, Some(after)) => format!("/v1/contacts?limit={PAGE_SIZE}&startingAfter={}", enc(after)),
        (None, None) => format!("/v1/contacts?limit={PAGE_SIZE}"),
    };
    let list = match ctx.get(&path).await {
        Err(ApiError::InvalidRequest { .. }) if email.is_some() => json!({"data": [], "hasMore": false}),
        other => other?,
    };
    Ok(ctx.page(
        "Audience",
        html! {
            h1 { "Audience" }
            section.card {
                form.row #search method="get" action="/dashboard/audience" {
                    div { label for="email" { "Email" } input #email type="text" name="email" value=(email.clone().unwrap_or_default()) placeholder="someone@example.com"; }
                    button type="submit" { "Search" }
                }
            }
            section.card {
                @if rows(&list).is_empty() {
                    @if email.is_some() {
                        p #empty { "No contact with this email. " a href="/dashboard/audience" { "Show everyone" } }
                    } @else {
                        div #empty {
                            p { "No contacts yet. Contacts appear here when Stripe tells Loop about a customer." }
                            p { "Add a webhook endpoint in Stripe (Developers → Webhooks) with the URL " code { (ctx.stripe_webhook_url()) } ", then create a customer in Stripe (or run " code { "stripe trigger customer.created" } ")." }
                        }
                    }
                } @else {
                    table #contacts {
                        thead { tr { th { "Email" } th { "Name" } th { "Subscribed" } th { "Group" } th { "Source" } th { "Created" } } }
                        tbody {
                            @for c in rows(&list) {
                                tr {
                                    td.email { a href={ "/dashboard/contact?email=" (enc(&text(&c["email"]))) } { (text(&c["email"])) } }
                                    td { (text(&c["firstName"])) " " (text(&c["lastName"])) }
                                    td { (if c["subscribed"] == json!(true) { "yes" } else { "no" }) }
                                    td.group { (text(&c["userGroup"])) }
                                    td { (text(&c["source"])) }
                                    td { (time(&text(&c["createdAt"]))) }
                                }
                            }
                        }
                    }
                    (next_link("/dashboard/audience", &list, &[]))
                }
            }
        },
    ))
}

// Stripe

pub(super) async fn stripe(ctx: &Ctx<'_>, error: Option<String>) -> PageResult {
    let integration = ctx.get("/v1/integrations/stripe").await?;
    let saved = ctx.query("saved").is_some();
    let status = if error.is_some() { StatusCode::BAD_REQUEST } else { StatusCode::OK };
    let empty = serde_json::Map::new();
    let events = integration["events"].as_object().unwrap_or(&empty);
    Ok(ctx.page_with(
        status,
        "Stripe",
        html! {
            h1 { "Stripe" }
            @if saved { section.card.notice #saved { p { "Saved." } } }
            @if let Some(error) = &error { section.card.notice.error role="alert" { p.error { (error) } } }
            section.card {
                h2 { "Webhook" }
                p { "In Stripe (Developers → Webhooks), send events to " code #stripe-url { (ctx.stripe_webhook_url()) } }
                p { "Signing secrets: "
                    @for s in integration["signingSecrets"].as_array().map(Vec::as_slice).unwrap_or_default() { code { (text(s)) } " " }
                }
                @if integration["connected"] == json!(true) {
                    p.ok { "Connected to Stripe" @if let Some(at) = integration["connectedAt"].as_str() { " since " (time(at)) } "." }
                }
            }
            section.card {
                h2 { "Contact events" }
                p.hint { "What each Stripe event does to your audience: whether it is applied, the trigger event it fires, whether it syncs the customer's name, and the user group it sets." }
                form #stripe-events method="post" action="/dashboard/stripe" {
                    (csrf(&ctx.session))
                    table {
                        thead { tr { th { "Stripe event" } th { "Enabled" } th { "Trigger event name" } th { "Sync names" } th { "User group" } } }
                        tbody {
                            @for (kind, s) in events {
                                tr data-type=(kind) {
                                    td { code { (kind) } }
                                    td { input type="checkbox" name={ "enabled." (kind) } value="on" checked[s["enabled"] == json!(true)]; }
                                    td { input type="text" name={ "eventName." (kind) } value=(text(&s["eventName"])) maxlength="100"; }
                                    td { input type="checkbox" name={ "syncName." (kind) } value="on" checked[s["syncName"] == json!(true)]; }
                                    td { input type="text" name={ "userGroup." (kind) } value=(text(&s["userGroup"])) maxlength="100"; }
                                }
                            }
                        }
                    }
                    button #save-stripe type="submit" { "Save settings" }
                }
            }
        },
    ))
}

pub(super) async fn save_stripe(ctx: &Ctx<'_>) -> PageResult {
    let current = ctx.get("/v1/integrations/stripe").await?;
    let empty = serde_json::Map::new();
    let checked = |name: String| ctx.field(&name).is_some();
    let optional = |name: String| match ctx.field(&name).map(str::trim) {
        Some(value) if !value.is_empty() => json!(value),
        _ => Value::Null,
    };
    // Every row of the form is sent: an unchecked box is `false`, an empty field `null`.
    let events: serde_json::Map<String, Value> = current["events"]
        .as_object()
        .unwrap_or(&empty)
        .keys()
        .filter(|kind| ctx.field(&format!("eventName.{kind}")).is_some())
        .map(|kind| {
            let settings = json!({
                "enabled": checked(format!("enabled.{kind}")),
                "eventName": optional(format!("eventName.{kind}")),
                "syncName": checked(format!("syncName.{kind}")),
                "userGroup": optional(format!("userGroup.{kind}")),
            });
            (kind.clone(), settings)
        })
        .collect();
    match ctx.send(Method::PUT, "/v1/integrations/stripe", json!({"events": events})).await {
        Ok(_) => Ok(redirect("/dashboard/stripe?saved=1")),
        Err(ApiError::InvalidRequest { message, .. }) => stripe(ctx, Some(message)).await,
        Err(err) => Err(err),
    }
}

// Payments

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum LinkAction {
    Activate,
    Deactivate,
    /// Opens a checkout session for the link and goes to its hosted page.
    Session,
}

impl LinkAction {
    pub fn parse(raw: &str) -> Option<Self> {
        match raw {
            "activate" => Some(LinkAction::Activate),
            "deactivate" => Some(LinkAction::Deactivate),
            "session" => Some(LinkAction::Session),
            _ => None,
        }
    }
}

const SESSION_STATUSES: [&str; 4] = ["open", "completed", "failed", "expired"];

pub(super) async fn payments(ctx: &Ctx<'_>, error: Option<String>) -> PageResult {
    let links_after = ctx.query("linksAfter");
    let sessions_after = ctx.query("startingAfter");
    let status_filter = ctx.query("status");
    let mut links_path = format!("/v1/payment-links?limit={PAGE_SIZE}");
    if let Some(after) = &links_after {
        links_path.push_str(&format!("&startingAfter={}", enc(after)));
    }
    let mut sessions_path = format!("/v1/checkout-sessions?limit={PAGE_SIZE}");
    if let Some(status) = &status_filter {
        sessions_path.push_str(&format!("&status={}", enc(status)));
    }
    if let Some(after) = &sessions_after {
        sessions_path.push_str(&format!("&startingAfter={}", enc(after)));
    }
    let links = ctx.get(&links_path).await?;
    let sessions = ctx.get(&sessions_path).await?;
    let status = if error.is_some() { StatusCode::BAD_REQUEST } else { StatusCode::OK };
    let next_links = links["nextStartingAfter"]
        .as_str()
        .filter(|_| links["hasMore"] == json!(true))
        .map(|next| format!("/dashboard/payments?linksAfter={}", enc(next)));
    Ok(ctx.page_with(
        status,
        "Payments",
        html! {
            h1 { "Payments" }
            @if let Some(error) = &error { section.card.notice.error role="alert" { p.error { (error) } } }
            section.card {
                h2 { "Payment links" }
                @if rows(&links).is_empty() {
                    p #no-links { "No payment links yet. Create one below, then open a checkout session for it: its hosted page takes the payment on chain." }
                } @else {
                    table #links {
                        thead { tr { th { "Name" } th { "Amount" } th { "Active" } th { "Created" } th {} } }
                        tbody {
                            @for l in rows(&links) {
                                @let id = text(&l["id"]);
                                @let active = l["active"] == json!(true);
                                tr data-id=(id) {
                                    td { (text(&l["name"])) br; small.muted { (id) } }
                                    td { (text(&l["amount"])) " " (text(&l["currency"])) }
                                    td { (if active { "yes" } else { "no" }) }
                                    td { (time(&text(&l["createdAt"]))) }
                                    td {
                                        @if active {
                                            form.inline method="post" action={ "/dashboard/payment-links/" (id) "/session" } {
                                                (csrf(&ctx.session)) button.open-session type="submit" { "Open a checkout session" }
                                            }
                                            " "
                                        }
                                        form.inline method="post" action={ "/dashboard/payment-links/" (id) "/" (if active { "deactivate" } else { "activate" }) } {
                                            (csrf(&ctx.session)) button.secondary type="submit" { (if active { "Deactivate" } else { "Activate" }) }
                                        }
                                    }
                                }
                            }
                        }
                    }
                    @if let Some(href) = next_links { p { a.next href=(href) { "More links →" } } }
                }
                h2 { "Create a payment link" }
                form.row #create-link method="post" action="/dashboard/payments" {
                    (csrf(&ctx.session))
                    div { label for="name" { "Name" } input #name type="text" name="name" required maxlength="200"; }
                    div { label for="amount" { "Amount" } input #amount type="text" name="amount" required placeholder="10.00"; }
                    div { label for="currency" { "Currency" } input #currency type="text" name="currency" required value="USDC"; }
                    button type="submit" { "Create" }
                }
            }
            section.card {
                h2 { "Checkout sessions" }
                (status_filter_form("session-filter", "/dashboard/payments", &SESSION_STATUSES, status_filter.as_deref()))
                @if rows(&sessions).is_empty() {
                    p #no-sessions { "No checkout sessions" @if status_filter.is_some() { " with this status" } ". Open one from a payment link above, or create them with " code { "POST /v1/checkout-sessions" } "." }
                } @else {
                    table #sessions {
                        thead { tr { th { "Session" } th { "Status" } th { "Amount" } th { "Created" } th { "Payment" } } }
                        tbody {
                            @for s in rows(&sessions) {
                                tr {
                                    td { a href=(text(&s["url"])) { code { (text(&s["id"])) } } }
                                    td { span class={ "status-" (text(&s["status"])) } { (text(&s["status"])) } @if let Some(r) = s["failureReason"].as_str() { br; small.muted { (r) } } }
                                    td { (text(&s["amount"])) " " (text(&s["currency"])) }
                                    td { (time(&text(&s["createdAt"]))) }
                                    td { @if let Some(tx) = s["payment"]["transactionHash"].as_str() { code { (tx) } } }
                                }
                            }
                        }
                    }
                    (next_link("/dashboard/payments", &sessions, &[("status", status_filter.clone())]))
                }
            }
        },
    ))
}

pub(super) async fn create_payment_link(ctx: &Ctx<'_>) -> PageResult {
    let field = |name: &str| ctx.field(name).unwrap_or_default().trim().to_owned();
    let body = json!({"name": field("name"), "amount": field("amount"), "currency": field("currency")});
    match ctx.send(Method::POST, "/v1/payment-links", body).await {
        Ok(_) => Ok(redirect("/dashboard/payments")),
        Err(ApiError::InvalidRequest { message, .. }) => payments(ctx, Some(message)).await,
        Err(err) => Err(err),
    }
}

pub(super) async fn payment_link_action(ctx: &Ctx<'_>, id: &str, action: LinkAction) -> PageResult {
    match action {
        LinkAction::Activate | LinkAction::Deactivate => {
            let active = action == LinkAction::Activate;
            ctx.send(Method::PATCH, &format!("/v1/payment-links/{id}"), json!({"active": active})).await?;
            Ok(redirect("/dashboard/payments"))
        }
        LinkAction::Session => {
            // Another account's link is "no such payment link" (a 404 page) there too.
            let session = ctx.send(Method::POST, "/v1/checkout-sessions", json!({"paymentLinkId": id})).await?;
            Ok(redirect(session["url"].as_str().unwrap_or("/dashboard/payments")))
        }
    }
}

/// `GET /dashboard/contact?email=…`: a contact's fields and its trigger events, newest first.
pub(super) async fn contact(ctx: &Ctx<'_>) -> PageResult {
    let email = ctx.query("email").ok_or_else(|| ApiError::not_found("contact"))?;
    let found = match ctx.get(&format!("/v1/contacts?email={}", enc(email.trim()))).await {
        Err(ApiError::InvalidRequest { .. }) => return Err(ApiError::not_found("contact")),
        other => other?,
    };
    let contact = rows(&found).first().cloned().ok_or_else(|| ApiError::not_found("contact"))?;
    let mut path = format!("/v1/contact-events?email={}&limit={PAGE_SIZE}", enc(email.trim()));
    if let Some(after) = ctx.query("startingAfter") {
        path.push_str(&format!("&startingAfter={}", enc(&after)));
    }
    let triggers = ctx.get(&path).await?;
    let fields = ["email", "firstName", "lastName", "subscribed", "userGroup", "source", "stripeCustomerId", "id"];
    Ok(ctx.page(
        "Contact",
        html! {
            p { a href="/dashboard/audience" { "← Audience" } }
            h1 { (text(&contact["email"])) }
            section.card {
                table #contact {
                    tbody {
                        @for f in fields { tr { th { (f) } td { (text(&contact[f])) } } }
                        tr { th { "createdAt" } td { (time(&text(&contact["createdAt"]))) } }
                        tr { th { "updatedAt" } td { (time(&text(&contact["updatedAt"]))) } }
                    }
                }
            }
            section.card {
                h2 { "Trigger events" }
                @if rows(&triggers).is_empty() {
                    p #no-triggers { "No trigger events for this contact yet: they fire when Stripe events enabled on the Stripe page name one." }
                } @else {
                    table #triggers {
                        thead { tr { th { "Event" } th { "Properties" } th { "Stripe event" } th { "At" } } }
                        tbody {
                            @for e in rows(&triggers) {
                                tr {
                                    td.trigger { (text(&e["eventName"])) }
                                    td { code { (text(&e["eventProperties"])) } }
                                    td { code { (text(&e["stripeEventId"])) } }
                                    td { (time(&text(&e["createdAt"]))) }
                                }
                            }
                        }
                    }
                    (next_link("/dashboard/contact", &triggers, &[("email", Some(email.clone()))]))
                }
            }
        },
    ))
}

// Settings

pub(super) async fn settings(ctx: &Ctx<'_>, error: Option<String>) -> PageResult {
    settings_page(ctx, error, None).await
}

/// The Settings page, with a key made by this request shown once.
async fn settings_page(ctx: &Ctx<'_>, error: Option<String>, new_key: Option<&keys::NewKey>) -> PageResult {
    let account = ctx.get("/v1/account").await?;
    let keys = keys::section(ctx, new_key).await?;
    let saved = ctx.query("saved").is_some();
    let revoked = ctx.query("revoked").is_some();
    let status = if error.is_some() { StatusCode::BAD_REQUEST } else { StatusCode::OK };
    let crypto = &account["crypto"];
    let empty = serde_json::Map::new();
    let treasuries = crypto["treasuryAddresses"].as_object().unwrap_or(&empty);
    Ok(ctx.page_with(
        status,
        "Settings",
        html! {
            h1 { "Settings" }
            @if saved { section.card.notice #saved { p { "Saved." } } }
            @if revoked { section.card.notice #revoked { p { "Key revoked: it no longer opens the API or the dashboard." } } }
            @if let Some(error) = &error { section.card.notice.error role="alert" { p.error { (error) } } }
            section.card {
                h2 { "Account" }
                table #account {
                    tbody {
                        tr { th { "Id" } td { code { (text(&account["id"])) } } }
                        tr { th { "Name" } td { (text(&account["name"])) } }
                        tr { th { "Mode" } td { (if account["testMode"] == json!(true) { "test" } else { "live" }) } }
                    }
                }
                form.row #support method="post" action="/dashboard/settings" {
                    (csrf(&ctx.session))
                    div {
                        label for="supportEmail" { "Support email (shown to customers on the payment page)" }
                        input #supportEmail type="email" name="supportEmail" value=(text(&account["supportEmail"])) maxlength="254";
                    }
                    button type="submit" { "Save" }
                }
            }
            section.card {
                h2 { "Crypto payments" }
                table #crypto {
                    tbody {
                        tr { th { "Network" } td { (text(&crypto["networkName"])) " (" (text(&crypto["networkId"])) ")" } }
                        tr { th { "Token" } td { (text(&crypto["tokenSymbol"])) " " code { (text(&crypto["tokenAddress"])) } } }
                        @for (network, address) in treasuries { tr { th { "Treasury on " (network) } td { code { (text(address)) } } } }
                    }
                }
                @if treasuries.is_empty() {
                    p.hint { "No treasury address yet: checkout sessions need one. Set it with " code { "PATCH /v1/account" } " (" code { "crypto.treasuryAddresses" } ")." }
                }
            }
            section.card {
                h2 { "Email" }
                @if account["email"].is_null() {
                    p.hint #no-sender { "No sending identity yet: nothing is sent until one is set. The address (or its domain) must be verified in SES." }
                }
                form #sender method="post" action="/dashboard/settings" {
                    (csrf(&ctx.session))
                    input type="hidden" name="section" value="email";
                    div {
                        label for="fromAddress" { "From address" }
                        input #fromAddress type="email" name="fromAddress" value=(text(&account["email"]["fromAddress"])) maxlength="254" required;
                    }
                    div {
                        label for="fromName" { "From name" }
                        input #fromName type="text" name="fromName" value=(text(&account["email"]["fromName"])) maxlength="100";
                    }
                    div {
                        label for="replyTo" { "Reply-To (the support email when empty)" }
                        input #replyTo type="email" name="replyTo" value=(text(&account["email"]["replyTo"])) maxlength="254";
                    }
                    button type="submit" { "Save sender" }
                }
                h3 { "Automated emails" }
                p.hint { "Sent to the customer of a transfer, from the sender above, replying to the support email." }
                form #notifications method="post" action="/dashboard/settings" {
                    (csrf(&ctx.session))
                    input type="hidden" name="section" value="notifications";
                    @for (name, label) in NOTIFICATION_LABELS {
                        div.check {
                            input type="checkbox" id=(name) name=(name) value="on" checked[account["notifications"][name] == json!(true)];
                            label for=(name) { (label) }
                        }
                    }
                    button type="submit" { "Save automated emails" }
                }
            }
            (keys)
        },
    ))
}

/// The automated emails, as `PATCH /v1/account` names them and as the page says them.
const NOTIFICATION_LABELS: [(&str, &str); 3] = [
    ("paymentRequest", "Payment request, when a transfer is finalized (amount, due date, pay page)"),
    ("latePayment", "Late payment notice, when a transfer is past due"),
    ("receipt", "Receipt, when a transfer is paid (transaction and network)"),
];

pub(super) async fn save_settings(ctx: &Ctx<'_>) -> PageResult {
    let body = match ctx.field("section") {
        Some("email") => {
            let field = |name: &str| ctx.field(name).map(str::trim).filter(|v| !v.is_empty());
            json!({"email": {"fromAddress": field("fromAddress"), "fromName": field("fromName"), "replyTo": field("replyTo")}})
        }
        Some("notifications") => {
            let on = |name: &str| ctx.field(name) == Some("on");
            json!({"notifications": {"paymentRequest": on("paymentRequest"), "latePayment": on("latePayment"), "receipt": on("receipt")}})
        }
        _ => json!({"supportEmail": ctx.field("supportEmail").map(str::trim).filter(|e| !e.is_empty())}),
    };
    match ctx.send(Method::PATCH, "/v1/account", body).await {
        Ok(_) => Ok(redirect("/dashboard/settings?saved=1")),
        Err(ApiError::InvalidRequest { message, .. }) => settings(ctx, Some(message)).await,
        Err(err) => Err(err),
    }
}
