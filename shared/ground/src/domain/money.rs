//! Amounts: Stripe's integer minor units as decimal strings in major units.

/// Currencies whose minor unit is the major unit (Stripe's zero-decimal list).
const ZERO_DECIMAL: [&str; 16] =
    ["bif", "clp", "djf", "gnf", "jpy", "kmf", "krw", "mga", "pyg", "rwf", "ugx", "vnd", "vuv", "xaf", "xof", "xpf"];
/// Currencies with three decimals.
const THREE_DECIMAL: [&str; 5] = ["bhd", "jod", "kwd", "omr", "tnd"];

pub fn decimals(currency: &str) -> u32 {
    let currency = currency.to_ascii_lowercase();
    if ZERO_DECIMAL.contains(&currency.as_str()) {
        0
    } else if THREE_DECIMAL.contains(&currency.as_str()) {
        3
    } else {
        2
    }
}

/// `1050, "usd"` → `"10.50"`; `500, "jpy"` → `"500"`.
pub fn format_minor(amount: i64, currency: &str) -> String {
    format_units(amount as i128, decimals(currency))
}

/// An integer in base units with `decimals` places as a decimal string.
pub fn format_units(amount: i128, decimals: u32) -> String {
    let sign = if amount < 0 { "-" } else { "" };
    let magnitude = amount.unsigned_abs();
    if decimals == 0 {
        return format!("{sign}{magnitude}");
    }
    let scale = 10u128.pow(decimals);
    format!("{sign}{}.{:0width$}", magnitude / scale, magnitude % scale, width = decimals as usize)
}

/// A decimal string (`"10.5"`) in base units with `decimals` places; `None` if it is not a
/// non-negative decimal or has more places than the unit allows.
pub fn parse_units(raw: &str, decimals: u32) -> Option<i128> {
    let (whole, fraction) = raw.split_once('.').unwrap_or((raw, ""));
    let digits = |s: &str| s.bytes().all(|b| b.is_ascii_digit());
    if whole.is_empty() || whole.len() > 24 || !digits(whole) || !digits(fraction) || fraction.len() > decimals as usize
    {
        return None;
    }
    if raw.ends_with('.') {
        return None;
    }
    let whole: i128 = whole.parse().ok()?;
    let padded = format!("{fraction:0<width$}", width = decimals as usize);
    let fraction: i128 = if padded.is_empty() { 0 } else { padded.parse().ok()? };
    whole.checked_mul(10i128.pow(decimals))?.checked_add(fraction)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn minor_units_format_per_currency() {
        assert_eq!(format_minor(1050, "usd"), "10.50");
        assert_eq!(format_minor(5, "EUR"), "0.05");
        assert_eq!(format_minor(500, "jpy"), "500");
        assert_eq!(format_minor(1234, "kwd"), "1.234");
        assert_eq!(format_minor(-250, "usd"), "-2.50");
    }

    #[test]
    fn decimal_strings_parse_to_base_units() {
        assert_eq!(parse_units("10.00", 6), Some(10_000_000));
        assert_eq!(parse_units("10.5", 2), Some(1050));
        assert_eq!(parse_units("7", 0), Some(7));
        for bad in ["", ".5", "10.", "1.234", "-1", "1e3", "ten", "1.2.3"] {
            assert_eq!(parse_units(bad, 2), None, "{bad}");
        }
    }

    #[test]
    fn formatting_and_parsing_round_trip() {
        for (amount, decimals) in [(0i128, 2u32), (1, 6), (123_456_789, 6), (42, 0), (10_000, 3)] {
            assert_eq!(parse_units(&format_units(amount, decimals), decimals), Some(amount));
        }
    }
}
