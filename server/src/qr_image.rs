//! QR code images of payloads: SVG and PNG for the web page, Unicode text for the terminal.
//!
//! The symbol is `qrcode`'s, module for module: the same segments, version and error
//! correction, and the mask its penalty rules choose. Only the choice of the mask is done
//! here ([`Symbol::encode`]): `qrcode` scores each of the eight masked symbols through
//! per-module closures and iterator chains, which made the mask choice the largest single
//! item of a login page's CPU (docs/benchmarks.md); the same rules on a plain grid of
//! booleans cost a fraction of it. `every_mask_choice_is_qrcodes` checks the two agree.

use qrcode::canvas::{Canvas, MaskPattern};
use qrcode::render::{Pixel, Renderer, svg, unicode};
use qrcode::types::Color;
use qrcode::{EcLevel, bits, ec};

/// The payload cannot be encoded (longer than any QR version holds).
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[error("text too long for a QR code")]
pub struct QrTooLong;

/// Level M: survives moderate glare and moiré from a screen, at a modest size.
const EC_LEVEL: EcLevel = EcLevel::M;

/// Modules of quiet zone around a (normal, not micro) QR code.
const QUIET_ZONE: u32 = 4;

/// The eight masks of a normal QR code, in `qrcode`'s order (the first of equal scores wins).
const MASKS: [MaskPattern; 8] = [
    MaskPattern::Checkerboard,
    MaskPattern::HorizontalLines,
    MaskPattern::VerticalLines,
    MaskPattern::DiagonalLines,
    MaskPattern::LargeCheckerboard,
    MaskPattern::Fields,
    MaskPattern::Diamonds,
    MaskPattern::Meadow,
];

/// An encoded symbol: its modules, row by row, and its width in modules.
struct Symbol {
    modules: Vec<Color>,
    width: usize,
}

impl Symbol {
    /// Encodes `text` as `qrcode` does (`QrCode::with_error_correction_level`), choosing the
    /// mask with [`penalty`].
    fn encode(text: &str) -> Result<Self, QrTooLong> {
        let bits = bits::encode_auto(text.as_bytes(), EC_LEVEL).map_err(|_| QrTooLong)?;
        let version = bits.version();
        let (data, ec) = ec::construct_codewords(&bits.into_bytes(), version, EC_LEVEL)
            .map_err(|_| QrTooLong)?;
        let width = usize::try_from(version.width()).map_err(|_| QrTooLong)?;
        let mut canvas = Canvas::new(version, EC_LEVEL);
        canvas.draw_all_functional_patterns();
        canvas.draw_data(&data, &ec);
        let mut best: Option<(u32, Vec<Color>)> = None;
        for mask in MASKS {
            let mut masked = canvas.clone();
            masked.apply_mask(mask);
            let modules = masked.into_colors();
            let score = penalty(&modules, width);
            if best.as_ref().is_none_or(|(lowest, _)| score < *lowest) {
                best = Some((score, modules));
            }
        }
        let (_, modules) = best.ok_or(QrTooLong)?;
        Ok(Self { modules, width })
    }

    fn render<P: Pixel>(&self) -> Renderer<'_, P> {
        Renderer::new(&self.modules, self.width, QUIET_ZONE)
    }
}

/// The mask penalty of a masked symbol, by `qrcode`'s rules (ISO/IEC 18004 §7.8.3 as that
/// crate reads it): runs of five or more modules of one color in a row or column (length
/// minus 2 each), 2x2 blocks of one color (3 each), finder-like 1:1:3:1:1 patterns without
/// four light modules on one side (40 each, less the 360 the three finder patterns always
/// give, per direction), and the distance of the dark share from 50 %.
fn penalty(modules: &[Color], width: usize) -> u32 {
    let rows: Vec<bool> = modules.iter().map(|c| *c == Color::Dark).collect();
    let columns: Vec<bool> = (0..width * width)
        .map(|i| rows[(i % width) * width + i / width])
        .collect();
    let mut score = 0;
    for lines in [&rows, &columns] {
        let mut finders = 0;
        for line in lines.chunks_exact(width) {
            score += run_penalty(line);
            finders += finder_penalty(line);
        }
        score += finders.saturating_sub(360);
    }
    for (top, bottom) in rows
        .chunks_exact(width)
        .zip(rows.chunks_exact(width).skip(1))
    {
        for x in 0..width - 1 {
            let c = top[x];
            if top[x + 1] == c && bottom[x] == c && bottom[x + 1] == c {
                score += 3;
            }
        }
    }
    let ratio = rows.iter().filter(|d| **d).count() * 200 / rows.len();
    score + u32::try_from(ratio.abs_diff(100)).unwrap_or(u32::MAX)
}

/// Runs of five or more modules of one color in `line`: length minus 2 each.
fn run_penalty(line: &[bool]) -> u32 {
    let mut score = 0;
    let mut run = 1;
    for pair in line.windows(2) {
        if pair[0] == pair[1] {
            run += 1;
        } else {
            if run >= 5 {
                score += run - 2;
            }
            run = 1;
        }
    }
    if run >= 5 {
        score += run - 2;
    }
    score
}

/// Dark-light-dark-dark-dark-light-dark in `line` without a dark module among the four
/// before it or among the four after it (the line's ends count as light): 40 each.
fn finder_penalty(line: &[bool]) -> u32 {
    /// The seven modules, first one in the highest bit.
    const FINDER: u8 = 0b101_1101;
    // darks[k]: dark modules in line[..k].
    let mut darks = Vec::with_capacity(line.len() + 1);
    darks.push(0u32);
    for dark in line {
        darks.push(darks[darks.len() - 1] + u32::from(*dark));
    }
    let dark_in = |from: usize, to: usize| {
        let to = to.min(line.len());
        from < to && darks[to] > darks[from]
    };
    let mut window = 0u8;
    let mut score = 0;
    for (k, dark) in line.iter().enumerate() {
        window = ((window << 1) | u8::from(*dark)) & 0x7f;
        if k >= 6 && window == FINDER {
            let start = k - 6;
            if !dark_in(start.saturating_sub(4), start) || !dark_in(start + 7, start + 11) {
                score += 40;
            }
        }
    }
    score
}

/// An SVG document (black on white, quiet zone included).
pub fn svg(text: &str) -> Result<String, QrTooLong> {
    Ok(Symbol::encode(text)?
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
    let image = Symbol::encode(text)?
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
    Ok(Symbol::encode(text)?
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
        assert_eq!(Symbol::encode(payload).expect("encodes").width, 37);
    }

    /// The symbol is `qrcode`'s own, mask included, for payloads of every length and mode
    /// (the penalty rules here are that crate's, evaluated on a plain grid).
    #[test]
    fn every_mask_choice_is_qrcodes() {
        let rng = tigr_core::random::SeededRandom::new(11);
        let mut texts = vec![PAYLOAD.to_owned(), "x".to_owned(), "0123456789".repeat(30)];
        for length in [1, 7, 20, 33, 47, 61, 80, 94, 120, 170, 250, 400, 700, 1200] {
            for _ in 0..6 {
                let mut bytes = vec![0u8; length];
                tigr_core::random::SecureRandom::fill(&rng, &mut bytes);
                // Mixed content: digits, upper case (alphanumeric mode) and lower case (bytes).
                texts.push(
                    bytes
                        .iter()
                        .map(|b| match b % 3 {
                            0 => char::from(b'0' + b % 10),
                            1 => char::from(b'A' + b % 26),
                            _ => char::from(b'a' + b % 26),
                        })
                        .collect(),
                );
            }
        }
        for text in &texts {
            let reference = qrcode::QrCode::with_error_correction_level(text, EC_LEVEL)
                .expect("qrcode encodes");
            let ours = Symbol::encode(text).expect("encodes");
            assert_eq!(ours.width, reference.width(), "{text}");
            assert!(
                ours.modules == reference.to_colors(),
                "mask differs for {text:?}"
            );
        }
        assert!(texts.len() > 80);
    }
}
