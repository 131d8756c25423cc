//! The QR code of a payment request, drawn by the server as inline SVG. `qrcode` encodes (its
//! encoder only: no image or SVG renderer features); the path is drawn here, one rectangle per
//! run of dark modules in a row, which is about half the size of `qrcode`'s SVG renderer (one
//! rectangle per module: ~19 KB for a payment request, against ~8 KB here).

use std::fmt::Write;

use qrcode::{Color, EcLevel, QrCode};

/// The quiet zone around the code, in modules (the standard's four).
const QUIET_ZONE: usize = 4;

/// `data` as an SVG QR code, one unit per module, black on white (what every scanner reads), to
/// be sized by the stylesheet. Medium error correction (15%): a phone held at a screen rarely
/// needs more, and the code stays small. Empty if `data` is too long for any QR code (an
/// EIP-681 request is about 135 bytes; the limit is about 2,300).
pub fn svg(data: &str) -> String {
    let Ok(code) = QrCode::with_error_correction_level(data.as_bytes(), EcLevel::M) else {
        return String::new();
    };
    let width = code.width();
    let colors = code.to_colors();
    let size = width + 2 * QUIET_ZONE;
    let mut out = format!(
        r##"<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {size} {size}" width="{size}" height="{size}" shape-rendering="crispEdges"><rect width="{size}" height="{size}" fill="#fff"/><path fill="#000" d=""##
    );
    for (y, row) in colors.chunks(width).enumerate() {
        let mut x = 0;
        while x < width {
            if row[x] == Color::Light {
                x += 1;
                continue;
            }
            let start = x;
            while x < width && row[x] == Color::Dark {
                x += 1;
            }
            let _ = write!(out, "M{} {}h{}v1h-{}z", start + QUIET_ZONE, y + QUIET_ZONE, x - start, x - start);
        }
    }
    out.push_str(r#""/></svg>"#);
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    const URI: &str = "ethereum:0x5FbDB2315678afecb367f032d93F642f64180aa3@31337/transfer?address=0xa0Ee7A142d267C1f36714E4a8F75612F20a79720&uint256=42500000";

    #[test]
    fn a_payment_request_is_a_small_inline_svg() {
        let image = svg(URI);
        assert!(image.starts_with("<svg xmlns=\"http://www.w3.org/2000/svg\""), "{image}");
        assert!(image.ends_with("</svg>"));
        assert!(!image.contains("<?xml") && !image.contains("style="));
        // Version 8 at level M holds 152 bytes: 49 modules and the quiet zone.
        assert!(image.contains("viewBox=\"0 0 57 57\""), "{image}");
        assert!(image.len() < 10_000, "{} bytes", image.len());
    }

    #[test]
    fn every_dark_module_is_drawn_once_and_nothing_else() {
        let code = QrCode::with_error_correction_level(URI.as_bytes(), EcLevel::M).unwrap();
        let dark = code.to_colors().iter().filter(|c| **c == Color::Dark).count();
        let image = svg(URI);
        let drawn: usize =
            image.split('h').skip(1).filter_map(|run| run.split('v').next()?.parse::<usize>().ok()).sum();
        assert_eq!(drawn, dark);
    }

    #[test]
    fn data_no_qr_code_can_hold_draws_nothing() {
        assert_eq!(svg(&"x".repeat(5_000)), "");
    }
}
