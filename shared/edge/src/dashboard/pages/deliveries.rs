//! The last day's deliveries, drawn: the Overview's chart (SVG, on the server) and the Webhooks
//! page's success rates, both over `loop_capabilities::delivery_stats`.

use maud::{html, Markup};

use super::Ctx;
use loop_capabilities::delivery_stats::{self, DeliveryStats, Tally, MAX_EVENTS};
use loop_ground::error::ApiError;

/// The account's deliveries of the last 24 hours (a bounded read).
pub(super) async fn last_day(ctx: &Ctx<'_>) -> Result<DeliveryStats, ApiError> {
    let account = &ctx.session.caller.account.id;
    Ok(delivery_stats::last_day(&ctx.app.store, account, ctx.app.clock.now_unix()).await?)
}

/// What the numbers leave out when the day had more events than were read.
pub(super) fn capped_hint(stats: &DeliveryStats) -> Markup {
    html! {
        @if stats.capped {
            p.hint #capped { "Counted over the latest " (MAX_EVENTS) " events of the day; older ones are left out." }
        }
    }
}

/// "97% (34 of 35)", or a dash when nothing was attempted.
pub(super) fn success_rate(tally: Option<&Tally>) -> Markup {
    let tally = tally.copied().unwrap_or_default();
    html! {
        @match tally.success_rate() {
            Some(rate) => span.rate {
                strong class=(if tally.failed == 0 { "ok" } else if rate < 50.0 { "error" } else { "" }) { (format!("{rate:.0}%")) }
                " " small.muted { "(" (tally.succeeded) " of " (tally.succeeded + tally.failed) ")" }
            },
            None => span.rate.muted { "—" },
        }
    }
}

/// Width and height of the drawing, in its own units: the SVG scales to the card's width.
const WIDTH: usize = 960;
const HEIGHT: usize = 160;
const AXIS: usize = 18;

/// Stacked bars of the last 24 hours, oldest first: succeeded below, failed above.
pub(super) fn chart(hours: &[Tally]) -> Markup {
    let max = hours.iter().map(|h| h.succeeded + h.failed).max().unwrap_or(0).max(1) as usize;
    let slot = WIDTH / hours.len().max(1);
    let bar = slot * 3 / 4;
    let scale = |n: u32| n as usize * HEIGHT / max;
    html! {
        svg.chart #chart xmlns="http://www.w3.org/2000/svg" viewBox={ "0 0 " (WIDTH) " " (HEIGHT + AXIS) }
            width="100%" preserveAspectRatio="xMidYMid meet" role="img"
            aria-label="Deliveries per hour over the last 24 hours: succeeded and failed" {
            line.axis x1="0" y1=(HEIGHT) x2=(WIDTH) y2=(HEIGHT) {}
            text.max x="0" y="10" { (max) }
            @for (i, h) in hours.iter().enumerate() {
                @let ok = scale(h.succeeded);
                @let bad = scale(h.failed);
                @let x = i * slot + (slot - bar) / 2;
                g.hour data-succeeded=(h.succeeded) data-failed=(h.failed) {
                    title { (24 - i) " h ago: " (h.succeeded) " succeeded, " (h.failed) " failed" }
                    @if ok > 0 { rect.succeeded x=(x) y=(HEIGHT - ok) width=(bar) height=(ok) {} }
                    @if bad > 0 { rect.failed x=(x) y=(HEIGHT - ok - bad) width=(bar) height=(bad) {} }
                }
            }
            text x="0" y=(HEIGHT + AXIS - 4) { "24 h ago" }
            text x=(WIDTH / 2) y=(HEIGHT + AXIS - 4) text-anchor="middle" { "12 h ago" }
            text x=(WIDTH) y=(HEIGHT + AXIS - 4) text-anchor="end" { "now" }
        }
        p.legend { span.key.succeeded {} " succeeded " span.key.failed {} " failed (given up, or retrying after a failed attempt)" }
    }
}
