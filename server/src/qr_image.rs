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

    /// The texts in a PNG, read by `rqrr` (a decoder independent of the encoder).
    fn read_back(png: &[u8]) -> Vec<String> {
        let image = image::load_from_memory(png).expect("PNG").to_luma8();
        let mut prepared = rqrr::PreparedImage::prepare(image);
        prepared
            .detect_grids()
            .iter()
            .map(|grid| grid.decode().expect("decodes").1)
            .collect()
    }

    /// Every kind of payload the server draws, from short to long, reads back the same.
    #[test]
    fn every_kind_of_payload_reads_back() {
        let long_otpauth = format!(
            "otpauth://totp/Tigr:{}?secret={}&issuer=Tigr&algorithm=SHA256&digits=8&period=30",
            "a".repeat(60),
            "B".repeat(103)
        );
        for text in [
            "x",
            PAYLOAD,
            "https://auth.example.fr/t/1/E/MFRGGZDFMZTWQ2LKNNWG23TPOBYXE43UOV3HO6DZPI",
            long_otpauth.as_str(),
        ] {
            assert_eq!(read_back(&png(text).expect("png")), [text], "{text}");
        }
    }

    /// A login payload as challenges make it (94 bytes) fits version 5 (37 modules): `qrcode`
    /// encodes the lowercase head in byte mode and the base32 and digits in denser modes. An
    /// encoder with one mode per symbol needs version 6 (41 modules, 11 % smaller on the
    /// same screen area: harder to scan).
    #[test]
    fn a_login_payload_fits_version_5() {
        let payload = "https://auth.example.fr/t/1/L/RWGT245DJDXHTJUKNV467RMQE4/\
                       QZNM64FZ3I3QGQIV3MWW3ANOSE/1795000120";
        assert_eq!(payload.len(), 94);
        assert_eq!(encode(payload).expect("encodes").width(), 37);
    }
}
