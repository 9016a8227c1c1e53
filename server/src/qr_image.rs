//! QR code images of payloads: SVG and PNG for the web page, Unicode text for the terminal.

use qrcode::render::{svg, unicode};
use qrcode::{EcLevel, QrCode};

/// The payload cannot be encoded (longer than any QR version holds).
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[error("text too long for a QR code")]
pub struct QrTooLong;

fn encode(text: &str) -> Result<QrCode, QrTooLong> {
    // Level M: survives moderate glare and moiré from a screen, at a modest size.
    QrCode::with_error_correction_level(text.as_bytes(), EcLevel::M).map_err(|_| QrTooLong)
}

/// An SVG document (black on white, quiet zone included).
pub fn svg(text: &str) -> Result<String, QrTooLong> {
    Ok(encode(text)?
        .render::<svg::Color<'_>>()
        .min_dimensions(256, 256)
        .quiet_zone(true)
        .dark_color(svg::Color("#000000"))
        .light_color(svg::Color("#ffffff"))
        .build())
}

/// The SVG as an element to put inline in a page: no XML prolog, hidden from assistive
/// technologies (the element around it carries the text alternative, never the payload).
pub fn inline_svg(text: &str) -> Result<String, QrTooLong> {
    let svg = svg(text)?;
    let start = svg.find("<svg").unwrap_or(0);
    Ok(svg[start..].replacen(
        "<svg",
        "<svg aria-hidden=\"true\" focusable=\"false\" class=\"qr-svg\"",
        1,
    ))
}

/// A PNG file (8-bit grey, at least 320 px, quiet zone included).
pub fn png(text: &str) -> Result<Vec<u8>, QrTooLong> {
    let image = encode(text)?
        .render::<image::Luma<u8>>()
        .min_dimensions(320, 320)
        .quiet_zone(true)
        .build();
    let mut out = std::io::Cursor::new(Vec::new());
    image
        .write_to(&mut out, image::ImageFormat::Png)
        .expect("PNG encoding into memory cannot fail");
    Ok(out.into_inner())
}

/// Unicode half blocks for a terminal, light modules drawn (reads on dark backgrounds) with
/// the quiet zone.
pub fn terminal(text: &str) -> Result<String, QrTooLong> {
    Ok(encode(text)?
        .render::<unicode::Dense1x2>()
        .dark_color(unicode::Dense1x2::Light)
        .light_color(unicode::Dense1x2::Dark)
        .quiet_zone(true)
        .build())
}

#[cfg(test)]
mod tests {
    use super::*;

    const PAYLOAD: &str =
        "https://auth.example.fr/t/1/L/KRSXG5CJIRJUKQ2SIVKC2MJRGE/MFRGGZDFMZTWQ2LKNNWG23TPOA";

    #[test]
    fn renders() {
        let s = svg(PAYLOAD).expect("svg");
        assert!(s.starts_with("<?xml") && s.contains("<svg"));
        let p = png(PAYLOAD).expect("png");
        assert_eq!(&p[..8], b"\x89PNG\r\n\x1a\n");
        let t = terminal(PAYLOAD).expect("text");
        assert!(t.lines().count() > 10);
        assert!(svg(&"x".repeat(5000)).is_err());
    }
}
