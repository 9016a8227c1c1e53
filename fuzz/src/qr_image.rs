//! The phone's QR reader end to end: image bytes (PNG, JPEG) or a raw camera frame (luma
//! with its geometry) through `tigr_core::qr`, then the decoded text through the payload
//! parser, as the app does with what the camera sees.
//!
//! The app refuses images over 8192 px a side before decoding; here images over
//! [`MAX_PIXELS`] are skipped before decoding, so that slow or memory-heavy large images are
//! not reported as findings (the size check itself is tested in `tigr_core::qr`).
//!
//! `tigr_core::qr` contains the panics of its QR library (rqrr) by design: those are not
//! findings, every other panic is (see [`contain_qr_library_panics`]).
//!
//! Properties: decoding never panics outside rqrr; a frame whose geometry is refused is
//! refused for a stated reason; a decoded code's text is its bytes as UTF-8, and it goes
//! through the payload parser like any scanned text.

use std::io::Cursor;
use std::sync::Once;

use tigr_core::payload::QrPayload;
use tigr_core::qr::{DecodedQr, QrDecodeError, decode_image_bytes, decode_luma};

/// Largest image decoded here, in pixels (a 320x240 frame).
pub const MAX_PIXELS: u64 = 320 * 240;

/// The target.
pub fn check(data: &[u8]) {
    contain_qr_library_panics();
    let is_image = data.starts_with(b"\x89PNG") || data.starts_with(&[0xff, 0xd8]);
    if is_image {
        check_image(data);
    } else {
        check_frame(data);
    }
}

fn check_image(data: &[u8]) {
    let dimensions = image::ImageReader::new(Cursor::new(data))
        .with_guessed_format()
        .ok()
        .and_then(|reader| reader.into_dimensions().ok());
    if let Some((width, height)) = dimensions
        && u64::from(width) * u64::from(height) > MAX_PIXELS
    {
        return;
    }
    if let Ok(codes) = decode_image_bytes(data) {
        check_codes(&codes);
    }
}

/// A raw frame: width, height and row padding (one byte each, so that frames stay small),
/// then the luma bytes.
fn check_frame(data: &[u8]) {
    let [width, height, padding, luma @ ..] = data else {
        return;
    };
    let (width, height) = (u32::from(*width), u32::from(*height));
    let stride = width + u32::from(*padding % 8);
    match decode_luma(luma, width, height, stride) {
        Ok(codes) => check_codes(&codes),
        Err(QrDecodeError::BadFrame { reason }) => {
            let needed = (u64::from(stride) * u64::from(height.max(1) - 1)) + u64::from(width);
            assert!(
                width == 0 || height == 0 || (luma.len() as u64) < needed,
                "a valid frame was refused: {reason}"
            );
        }
        Err(other) => panic!("a frame gave {other}"),
    }
}

fn check_codes(codes: &[DecodedQr]) {
    for code in codes {
        assert_eq!(code.text, String::from_utf8_lossy(&code.bytes));
        if let Ok(payload) = QrPayload::parse(&code.text) {
            super::qr_payload::check(payload.to_string().as_bytes());
        }
    }
}

/// libFuzzer's panic hook aborts on every panic, also on the ones `tigr_core::qr` catches
/// around rqrr (a known source of panics on odd images, contained there by design). This
/// hook lets those through to the catch and keeps aborting on any other panic.
pub fn contain_qr_library_panics() {
    static ONCE: Once = Once::new();
    ONCE.call_once(|| {
        let previous = std::panic::take_hook();
        std::panic::set_hook(Box::new(move |info| {
            let in_rqrr = info
                .location()
                .is_some_and(|at| at.file().contains("/rqrr-"));
            if !in_rqrr {
                previous(info);
            }
        }));
    });
}
