//! QR-code decoding from camera frames and image files.
//!
//! Detection and decoding are done by [`rqrr`], wrapped so that:
//!
//! * nothing panics: rqrr 0.11 panics on some inputs (e.g. its upstream issue #54), so every
//!   call into it runs under [`std::panic::catch_unwind`] and a panic counts as "no code in
//!   this attempt"; frame geometry is validated up front and reported as
//!   [`QrDecodeError::BadFrame`];
//! * more real-world photos decode: rqrr's built-in row-wise threshold is only one of several
//!   attempts. The frame is binarized with a local (zxing-style hybrid) threshold first, whose
//!   flat blocks follow the image's contrast so that dim and blurred codes read at once, then
//!   retried with sharpening, rqrr's threshold, a global Otsu threshold, 2x upscaling of small
//!   images, blurring, inversion and downscaling, stopping at the first attempt that yields a
//!   code. On the zxing photo corpus (`tests/qr_corpus.rs`) this reads 166 of 179 images,
//!   against 111 for rqrr alone.
//!
//! # Cost
//!
//! Before rqrr runs, each attempt's bitmap is searched for finder patterns (`finder.rs`,
//! about a millisecond), and rqrr only gets the regions where three of them sit as a code's
//! corners. A camera frame ([`decode_luma`]) in which rqrr locates no code in the first four
//! cheap attempts (one of them at half size) is given up there: the next frame comes a few
//! tens of milliseconds later, and most frames hold no code while the user aims. Only a code
//! rqrr located but could not read earns the rest of the chain; three patterns joined by
//! regular timing patterns earn a few attempts on their area and three on the whole frame, since
//! busy print shows such triples too. An image file
//! ([`decode_image_bytes`], [`decode_image_file`]) has no next frame: when any finder pattern
//! shows in it, it also gets the whole chain on the whole image. docs/benchmarks.md has the
//! figures, measured with `examples/qr_report` against zbar.
//!
//! # Text encoding
//!
//! [`DecodedQr::bytes`] holds the payload exactly as encoded (byte-mode bytes as is, Kanji-mode
//! segments as Shift_JIS, ECI designators ignored). [`DecodedQr::text`] is those bytes as
//! UTF-8, with invalid sequences replaced by U+FFFD. Payloads that are not UTF-8 are usually
//! Shift_JIS (the default of the original QR specification) or ISO-8859-1; this module does not
//! guess between them, since Tigr's own codes are ASCII and a wrong guess would silently
//! corrupt text: callers that must show such payloads can convert [`DecodedQr::bytes`]
//! themselves.
//!
//! # Panics and the panic hook
//!
//! A panic caught inside rqrr still runs the process's panic hook, which by default prints a
//! message on stderr. The hook is global state and is deliberately left alone here.

mod binarize;
mod finder;
mod gray;

use std::panic::{AssertUnwindSafe, catch_unwind};
use std::path::Path;

use binarize::FlatBlocks;
use finder::{CodeRegion, Finder, Finders};
use gray::Gray;

/// Largest accepted width or height, in pixels.
const MAX_SIDE: u32 = 8192;

/// A QR code found in an image.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DecodedQr {
    /// The payload bytes, exactly as encoded in the code.
    pub bytes: Vec<u8>,
    /// The payload as UTF-8; invalid sequences are replaced by U+FFFD (see the module docs).
    pub text: String,
}

impl DecodedQr {
    fn from_bytes(bytes: Vec<u8>) -> Self {
        let text = String::from_utf8_lossy(&bytes).into_owned();
        DecodedQr { bytes, text }
    }
}

/// Why an image could not be searched for QR codes.
#[derive(Debug, thiserror::Error)]
pub enum QrDecodeError {
    /// The frame geometry is invalid: zero or oversized width/height, stride smaller than the
    /// width, or a buffer too short for the given geometry.
    #[error("bad frame: {reason}")]
    BadFrame {
        /// What is wrong with the frame.
        reason: String,
    },
    /// The file could not be read, or is not a PNG/JPEG image that can be decoded.
    #[error("unreadable image: {0}")]
    Image(String),
}

/// Decodes every QR code in an 8-bit luma (grayscale) camera frame.
///
/// Tuned for a stream of frames: a frame in which the cheap attempts locate no code is given
/// up early (see the module docs), since the next one follows.
///
/// `stride` (>= `width`) is the distance in bytes between the starts of two rows, as camera
/// buffers are often padded; the last row need not be padded, so `luma` must hold at least
/// `stride * (height - 1) + width` bytes. Width and height must be in `1..=8192`.
///
/// Returns an empty `Vec` when no code is found.
pub fn decode_luma(
    luma: &[u8],
    width: u32,
    height: u32,
    stride: u32,
) -> Result<Vec<DecodedQr>, QrDecodeError> {
    let bad = |reason: String| Err(QrDecodeError::BadFrame { reason });
    if width == 0 || height == 0 || width > MAX_SIDE || height > MAX_SIDE {
        return bad(format!(
            "size {width}x{height} outside 1x1..={MAX_SIDE}x{MAX_SIDE}"
        ));
    }
    if stride < width {
        return bad(format!("stride {stride} smaller than width {width}"));
    }
    let (w, h, s) = (width as usize, height as usize, stride as usize);
    let needed = s
        .checked_mul(h - 1)
        .and_then(|n| n.checked_add(w))
        .ok_or_else(|| QrDecodeError::BadFrame {
            reason: format!("stride {stride} x height {height} overflows"),
        })?;
    if luma.len() < needed {
        return bad(format!(
            "buffer of {} bytes, {width}x{height} with stride {stride} needs {needed}",
            luma.len()
        ));
    }
    Ok(decode_gray(
        &Gray::from_strided(luma, w, h, s),
        Effort::Frame,
    ))
}

/// Decodes every QR code in encoded PNG or JPEG bytes (a still image: every attempt is
/// tried when a finder pattern shows).
///
/// Colour images are converted to luma; transparent pixels are composited over white.
pub fn decode_image_bytes(bytes: &[u8]) -> Result<Vec<DecodedQr>, QrDecodeError> {
    let gray = load_gray(bytes)?;
    Ok(decode_gray(&gray, Effort::Still))
}

/// Decodes every QR code in a PNG or JPEG file.
pub fn decode_image_file(path: &Path) -> Result<Vec<DecodedQr>, QrDecodeError> {
    let bytes = std::fs::read(path)
        .map_err(|e| QrDecodeError::Image(format!("{}: {e}", path.display())))?;
    decode_image_bytes(&bytes).map_err(|e| match e {
        QrDecodeError::Image(msg) => QrDecodeError::Image(format!("{}: {msg}", path.display())),
        other => other,
    })
}

/// Decodes PNG/JPEG bytes into a luma image, refusing oversized images before allocating.
fn load_gray(bytes: &[u8]) -> Result<Gray, QrDecodeError> {
    use image::ImageDecoder;

    let reader = image::ImageReader::new(std::io::Cursor::new(bytes))
        .with_guessed_format()
        .map_err(|e| QrDecodeError::Image(e.to_string()))?;
    let decoder = reader
        .into_decoder()
        .map_err(|e| QrDecodeError::Image(e.to_string()))?;
    let (width, height) = decoder.dimensions();
    if width == 0 || height == 0 || width > MAX_SIDE || height > MAX_SIDE {
        return Err(QrDecodeError::BadFrame {
            reason: format!("image size {width}x{height} outside 1x1..={MAX_SIDE}x{MAX_SIDE}"),
        });
    }
    let img = image::DynamicImage::from_decoder(decoder)
        .map_err(|e| QrDecodeError::Image(e.to_string()))?;
    let data = if img.color().has_alpha() {
        // Composite over white: a transparent background must read as paper, not ink.
        img.to_luma_alpha8()
            .pixels()
            .map(|p| {
                let [l, a] = p.0;
                let (l, a) = (u32::from(l), u32::from(a));
                ((l * a + 255 * (255 - a) + 127) / 255) as u8
            })
            .collect()
    } else {
        img.to_luma8().into_raw()
    };
    Ok(Gray {
        width: width as usize,
        height: height as usize,
        data,
    })
}

/// Image transform applied before binarization in a retry strategy.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Op {
    /// Negative image, for light-on-dark codes.
    Invert,
    /// Half size; skipped unless both sides are at least [`DOWNSCALE_MIN_SIDE`].
    Downscale,
    /// Double size; skipped unless the longer side is at most [`UPSCALE_MAX_SIDE`].
    Upscale,
    /// 3x3 box blur, for noisy photos.
    Blur,
    /// Unsharp mask, for soft (out-of-focus) photos.
    Sharpen,
}

/// Frames whose shorter side is at least this many pixels may be retried at half size.
const DOWNSCALE_MIN_SIDE: usize = 400;
/// Frames whose longer side is at most this many pixels may be retried at double size (small,
/// dense codes; larger frames would make the no-code case too slow).
const UPSCALE_MAX_SIDE: usize = 512;

impl Op {
    /// Applies the transform, or returns `None` if it does not suit an image of this size.
    fn apply(self, img: &Gray) -> Option<Gray> {
        match self {
            Op::Invert => Some(img.inverted()),
            Op::Downscale => {
                (img.width.min(img.height) >= DOWNSCALE_MIN_SIDE).then(|| img.downscaled_2x())
            }
            Op::Upscale => {
                (img.width.max(img.height) <= UPSCALE_MAX_SIDE).then(|| img.upscaled_2x())
            }
            Op::Blur => Some(img.box_blurred()),
            Op::Sharpen => Some(img.sharpened()),
        }
    }
}

/// Black/white decision of a retry strategy.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Threshold {
    /// rqrr's own row-wise moving-average threshold, see [`binarize::row_average`].
    Rqrr,
    /// Local 8x8-block threshold, see [`binarize::hybrid`].
    Hybrid(FlatBlocks),
    /// Global Otsu threshold, see [`binarize::otsu`].
    Otsu,
}

/// One decoding attempt: transforms applied in order, then a binarization.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct Strategy {
    ops: &'static [Op],
    threshold: Threshold,
}

const fn attempt(ops: &'static [Op], threshold: Threshold) -> Strategy {
    Strategy { ops, threshold }
}

/// Attempts in the order they are tried; decoding stops at the first one that finds a code.
///
/// The set was chosen on the zxing photo corpus (`tests/qr_corpus.rs`): the hybrid threshold
/// with contrast-aware flat blocks alone decodes 127 of its 179 images (zxing's flat-block
/// rule: 120; rqrr's own threshold: 111), and each later attempt rescues images that no
/// earlier one reads, for 166 in all. Plain hybrid goes first because it is the cheapest and
/// copes with sensor noise, which sharpening amplifies (sharpen + hybrid is about three times
/// slower on a noisy 1280x720 frame). Its [`FlatBlocks::Contrast`] rule also reads dim,
/// low-contrast and blurred camera frames that zxing's rule only reads after a sharpened or
/// rqrr retry. Attempts on a doubled image (only for frames up to [`UPSCALE_MAX_SIDE`]) cost
/// about four times as much as the others. Invert and downscale rescue nothing in that
/// corpus but cover light-on-dark screens and large frames with big modules.
const STRATEGIES: &[Strategy] = &[
    attempt(&[], Threshold::Hybrid(FlatBlocks::Contrast)),
    attempt(&[Op::Sharpen], Threshold::Hybrid(FlatBlocks::Half)),
    attempt(&[], Threshold::Rqrr),
    attempt(&[Op::Sharpen], Threshold::Otsu),
    attempt(&[Op::Sharpen], Threshold::Rqrr),
    attempt(&[Op::Sharpen, Op::Sharpen], Threshold::Rqrr),
    attempt(
        &[Op::Upscale, Op::Sharpen],
        Threshold::Hybrid(FlatBlocks::Half),
    ),
    attempt(&[Op::Upscale], Threshold::Rqrr),
    attempt(&[Op::Upscale, Op::Sharpen], Threshold::Otsu),
    attempt(&[Op::Upscale], Threshold::Otsu),
    attempt(&[Op::Blur], Threshold::Hybrid(FlatBlocks::Half)),
    attempt(&[Op::Invert], Threshold::Hybrid(FlatBlocks::Contrast)),
    attempt(&[Op::Invert], Threshold::Hybrid(FlatBlocks::Half)),
    attempt(&[Op::Downscale], Threshold::Hybrid(FlatBlocks::Half)),
];

/// Regions tried per attempt: a frame shows one code, and busy scenes (text, keyboards) can
/// offer many false corners.
const MAX_REGIONS: usize = 3;

/// Hands rqrr the parts of `bits` (the bitmap of `img`) where the finder patterns `patterns`
/// are placed as a code's corners; nothing when they are not. rqrr's cost grows with the area
/// and with what it mistakes for finder patterns, so a region costs a fraction of the frame.
fn scan_regions(
    img: &Gray,
    bits: &[u8],
    patterns: &[Finder],
    evidence: &mut Evidence,
) -> Vec<DecodedQr> {
    let regions = Finders::code_regions(patterns, bits, img.width, img.height);
    for region in regions.iter().filter(|r| r.regular_sides == 2) {
        evidence.corners = true;
        let (x0, y0, x1, y1) = region.bounds;
        let s = evidence.scale;
        let b = (x0 * s, y0 * s, x1 * s, y1 * s);
        evidence.corner_area = Some(match evidence.corner_area {
            None => b,
            Some(a) => (a.0.min(b.0), a.1.min(b.1), a.2.max(b.2), a.3.max(b.3)),
        });
    }
    let mut tried: Vec<(usize, usize, usize, usize)> = Vec::new();
    for CodeRegion {
        bounds: (x0, y0, x1, y1),
        ..
    } in regions
    {
        if tried.len() == MAX_REGIONS {
            break;
        }
        let clamp = |v: f32, len: usize| v.clamp(0.0, len as f32) as usize;
        let r = (
            clamp(x0, img.width),
            clamp(y0, img.height),
            clamp(x1, img.width),
            clamp(y1, img.height),
        );
        // A region inside one already tried was searched with it.
        if tried
            .iter()
            .any(|t| t.0 <= r.0 && t.1 <= r.1 && t.2 >= r.2 && t.3 >= r.3)
        {
            continue;
        }
        tried.push(r);
        let (w, h) = (r.2 - r.0, r.3 - r.1);
        if w < 21 || h < 21 {
            continue;
        }
        let mut crop = Vec::with_capacity(w * h);
        for y in r.1..r.3 {
            crop.extend_from_slice(&bits[y * img.width + r.0..y * img.width + r.2]);
        }
        let found = run_bitmap(w, h, &crop, &mut evidence.located);
        if !found.is_empty() {
            return found;
        }
    }
    Vec::new()
}

/// Attempts after which a frame in which rqrr located no code stops the region attempts
/// (see [`decode_gray`]): the first three of [`STRATEGIES`] and [`PROBE_DOWNSCALED`].
const PROBES: usize = 4;

/// The probe at half size, second in the order: the cheap finder search misses the patterns
/// of large codes whose bitmap is broken up by sensor noise (dark rooms) or a screen's moire,
/// which averaging four pixels into one smooths out. On the generated frames
/// (`examples/qr_report`) it raised the frames read by the region attempts from 202 to 213
/// of 288.
const PROBE_DOWNSCALED: Strategy =
    attempt(&[Op::Downscale], Threshold::Hybrid(FlatBlocks::Contrast));

/// How much work a decode may spend on an image in which no code is readable at once.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Effort {
    /// A camera frame: another one follows within tens of milliseconds, so a frame without a
    /// located code is given up after the [`PROBES`] (most frames show no code while the
    /// user aims, and the cost is battery and frame rate), or after [`corner_attempts`] when
    /// they saw a convincing triple of patterns.
    Frame,
    /// A still image (a file, a screenshot): no second chance, so the whole chain runs on the
    /// whole image when any finder pattern was seen.
    Still,
}

/// Runs the strategies in order until one finds at least one code.
///
/// Each attempt binarizes its image, searches the bitmap for finder patterns
/// ([`finder::search`]) and hands rqrr only the regions where three of them sit as a code's
/// corners, with a timing pattern between two ([`scan_regions`]). When rqrr has located no
/// code's grid in the first [`PROBES`] attempts, the frame is given up: that is the common
/// frame while the user aims. A light-on-dark code (its patterns seen inverted by the first
/// attempt) moves the inverted attempts forward, and small modules (under [`SMALL_MODULE`])
/// get a round of attempts on the code's region at double size. The whole chain on the whole
/// frame ([`whole_frame_attempts`]) then runs for a code rqrr located but could not read
/// and, for a still image, whenever some finder pattern was seen: busy print on a desk always
/// shows some, so on camera frames that costly fallback is kept for real evidence. A camera
/// frame whose patterns only formed a triple joined by regular timing patterns gets the
/// bounded [`corner_attempts`] instead.
fn decode_gray(img: &Gray, effort: Effort) -> Vec<DecodedQr> {
    let mut transformed = Transformed::new(img);
    let mut order: Vec<Strategy> = STRATEGIES.to_vec();
    order.insert(1, PROBE_DOWNSCALED);
    let mut evidence = Evidence::default();
    let mut i = 0;
    while i < order.len() {
        if i == PROBES && !evidence.located {
            // Nothing rqrr could even locate: most likely no code, unless it is too small.
            break;
        }
        let strategy = order[i];
        transformed.keep_for(&order[i..]);
        if let Some(src) = transformed.get(strategy.ops) {
            evidence.scale = img.width as f32 / src.width as f32;
            let bits = binarize_with(src, strategy.threshold);
            let finders = finder::search(&bits, src.width, src.height);
            let found = scan_regions(src, &bits, &finders.normal, &mut evidence);
            if !found.is_empty() {
                return found;
            }
            if i < PROBES && strategy == attempt(&[], Threshold::Rqrr) {
                evidence.rqrr_bits = Some(bits);
            }
            if i == 0 && finders.inverted.len() > finders.normal.len() {
                // Light on dark: try the negative next.
                let (inverted, rest): (Vec<Strategy>, Vec<Strategy>) = order[1..]
                    .iter()
                    .partition(|s| s.ops.first() == Some(&Op::Invert));
                order.truncate(1);
                order.extend(inverted);
                order.extend(rest);
            }
            evidence.add(src, img, &finders);
        }
        i += 1;
    }
    if let Some((x0, y0, x1, y1)) = evidence.small_code_region(img) {
        let region = img.cropped(x0, y0, x1, y1).upscaled_2x();
        let mut transformed = Transformed::new(&region);
        for strategy in REGION_STRATEGIES {
            transformed.keep_for(REGION_STRATEGIES);
            let Some(src) = transformed.get(strategy.ops) else {
                continue;
            };
            let bits = binarize_with(src, strategy.threshold);
            let finders = finder::search(&bits, src.width, src.height);
            let found = scan_regions(src, &bits, &finders.normal, &mut Evidence::default());
            if !found.is_empty() {
                return found;
            }
        }
    }
    if evidence.located || (effort == Effort::Still && evidence.patterns) {
        // The full chain, each attempt on the whole frame, reads what the regions missed (a
        // pattern the cheap search did not see, a corner outside the region).
        return whole_frame_attempts(img);
    }
    if effort == Effort::Frame && evidence.corners {
        return corner_attempts(img, evidence);
    }
    Vec::new()
}

/// Attempts on the area of the regions whose corner joins both others by a regular timing
/// pattern ([`Evidence::corner_area`]), rqrr deciding alone where the code is in it. The
/// subset of [`STRATEGIES`] that reads the generated frames the previous fallback (the whole
/// chain on the whole frame) rescued, cheapest first; attempts at double size only when the
/// area is at most [`CORNER_UPSCALE_MAX_AREA`].
const CORNER_AREA_STRATEGIES: &[Strategy] = &[
    attempt(&[], Threshold::Hybrid(FlatBlocks::Contrast)),
    attempt(&[Op::Invert], Threshold::Hybrid(FlatBlocks::Contrast)),
    attempt(&[Op::Downscale], Threshold::Hybrid(FlatBlocks::Half)),
    attempt(&[Op::Blur], Threshold::Hybrid(FlatBlocks::Half)),
    attempt(
        &[Op::Upscale, Op::Sharpen],
        Threshold::Hybrid(FlatBlocks::Half),
    ),
    attempt(&[Op::Upscale, Op::Sharpen], Threshold::Otsu),
];

/// Then on the whole frame, followed by rqrr's threshold (whose bitmap a probe usually
/// computed already, [`Evidence::rqrr_bits`]): codes whose own patterns the cheap search
/// missed while it joined a false triple elsewhere (strong perspective, dark room).
const CORNER_FRAME_STRATEGIES: &[Strategy] = &[
    attempt(&[Op::Downscale], Threshold::Hybrid(FlatBlocks::Half)),
    attempt(&[Op::Blur], Threshold::Hybrid(FlatBlocks::Half)),
];

/// Largest corner area doubled (its double is smaller than a 1280x720 frame).
const CORNER_UPSCALE_MAX_AREA: usize = 400 * 400;

/// The fallback of a camera frame in which three patterns were joined by regular timing
/// patterns on both sides but rqrr located no grid in their regions. Busy print (a page of
/// small blocks on a desk) shows such triples too, so the work is bounded: a few attempts on
/// their area, three on the whole frame, against the whole chain on the whole frame before
/// (up to ~115 ms on an empty 1280x720 frame).
fn corner_attempts(img: &Gray, evidence: Evidence) -> Vec<DecodedQr> {
    if let Some((x0, y0, x1, y1)) = evidence.corner_area {
        let clamp = |v: f32, len: usize| v.clamp(0.0, len as f32) as usize;
        let area = img.cropped(
            clamp(x0, img.width),
            clamp(y0, img.height),
            clamp(x1, img.width),
            clamp(y1, img.height),
        );
        let small = area.width * area.height <= CORNER_UPSCALE_MAX_AREA;
        let order: Vec<Strategy> = CORNER_AREA_STRATEGIES
            .iter()
            .copied()
            .filter(|s| small || !s.ops.contains(&Op::Upscale))
            .collect();
        let found = attempts(&area, &order);
        if !found.is_empty() {
            return found;
        }
    }
    let found = attempts(img, CORNER_FRAME_STRATEGIES);
    if !found.is_empty() {
        return found;
    }
    let bits = evidence
        .rqrr_bits
        .unwrap_or_else(|| binarize::row_average(img));
    run_bitmap(img.width, img.height, &bits, &mut false)
}

/// Every attempt on the whole frame, rqrr deciding alone where the code is.
fn whole_frame_attempts(img: &Gray) -> Vec<DecodedQr> {
    attempts(img, STRATEGIES)
}

/// The attempts of `order` on the whole of `img`, until one reads a code.
fn attempts(img: &Gray, order: &[Strategy]) -> Vec<DecodedQr> {
    let mut transformed = Transformed::new(img);
    for (i, strategy) in order.iter().enumerate() {
        transformed.keep_for(&order[i..]);
        if let Some(src) = transformed.get(strategy.ops) {
            let found = run_strategy(src, strategy.threshold);
            if !found.is_empty() {
                return found;
            }
        }
    }
    Vec::new()
}

/// Attempts on the region around small finder patterns, doubled (see
/// [`Evidence::small_code_region`]).
const REGION_STRATEGIES: &[Strategy] = &[
    attempt(&[], Threshold::Hybrid(FlatBlocks::Contrast)),
    attempt(&[Op::Sharpen], Threshold::Hybrid(FlatBlocks::Half)),
    attempt(&[], Threshold::Rqrr),
];

/// Modules below this many pixels are small enough for the region attempts at double size.
const SMALL_MODULE: f32 = 3.0;

/// Finder patterns seen by the attempts so far, in the frame's coordinates.
#[derive(Debug, Default)]
struct Evidence {
    /// Whether rqrr located a code's grid in an attempt (and failed to read it).
    located: bool,
    /// Whether three finder patterns were joined by regular timing patterns on both sides.
    corners: bool,
    /// Whether an attempt saw any finder pattern, in either polarity.
    patterns: bool,
    /// Patterns (both polarities) of the attempt that saw the most small ones.
    small: Vec<Finder>,
    /// Frame pixels per pixel of the current attempt's image (2 at half size).
    scale: f32,
    /// The bitmap of rqrr's threshold on the frame itself, when a probe computed it.
    rqrr_bits: Option<Vec<u8>>,
    /// The smallest rectangle (frame pixels) holding every region whose corner joins both
    /// others by a regular timing pattern, when `corners`.
    corner_area: Option<(f32, f32, f32, f32)>,
}

impl Evidence {
    /// Records what an attempt on `src` (the frame after `ops`) saw.
    fn add(&mut self, src: &Gray, frame: &Gray, finders: &Finders) {
        self.patterns |= !finders.normal.is_empty() || !finders.inverted.is_empty();
        let scale = frame.width as f32 / src.width as f32;
        let small: Vec<Finder> = finders
            .normal
            .iter()
            .chain(&finders.inverted)
            .map(|f| Finder {
                x: f.x * scale,
                y: f.y * scale,
                module: f.module * scale,
                hits: f.hits,
            })
            .filter(|f| f.module < SMALL_MODULE)
            .collect();
        if small.len() > self.small.len() {
            self.small = small;
        }
    }

    /// The part of the frame holding small finder patterns, with room for the rest of the
    /// code; `None` without at least two of them, or when the frame is small enough to be
    /// doubled whole (the [`Op::Upscale`] attempts).
    fn small_code_region(&self, frame: &Gray) -> Option<(usize, usize, usize, usize)> {
        if self.small.len() < 2 || frame.width.max(frame.height) <= UPSCALE_MAX_SIDE {
            return None;
        }
        let (mut x0, mut y0, mut x1, mut y1) = (f32::MAX, f32::MAX, f32::MIN, f32::MIN);
        for f in &self.small {
            x0 = x0.min(f.x);
            y0 = y0.min(f.y);
            x1 = x1.max(f.x);
            y1 = y1.max(f.y);
        }
        // Two patterns may be on one side of the code: leave room for the third corner.
        let margin = (x1 - x0).max(y1 - y0) + 8.0 * SMALL_MODULE;
        let clamp = |v: f32, len: usize| v.clamp(0.0, len as f32) as usize;
        let region = (
            clamp(x0 - margin, frame.width),
            clamp(y0 - margin, frame.height),
            clamp(x1 + margin, frame.width),
            clamp(y1 + margin, frame.height),
        );
        let area = (region.2 - region.0) * (region.3 - region.1);
        (64 * 64..=MAX_REGION_AREA)
            .contains(&area)
            .then_some(region)
    }
}

/// Largest region doubled for small modules (its double costs as much as a 1280x720 frame).
const MAX_REGION_AREA: usize = 640 * 360;

/// The frame after each sequence of transforms computed so far, so that attempts sharing a
/// prefix (e.g. sharpen, then sharpen again) compute it once.
struct Transformed<'a> {
    original: &'a Gray,
    /// `None` when a transform did not suit the image (see [`Op::apply`]).
    done: Vec<(&'static [Op], Option<Gray>)>,
}

impl<'a> Transformed<'a> {
    fn new(original: &'a Gray) -> Self {
        Transformed {
            original,
            done: Vec::new(),
        }
    }

    /// Drops the images none of `remaining` starts from, to bound memory on large frames.
    fn keep_for(&mut self, remaining: &[Strategy]) {
        self.done
            .retain(|(ops, _)| remaining.iter().any(|s| s.ops.starts_with(ops)));
    }

    /// The frame after `ops`, or `None` if one of them does not suit it.
    fn get(&mut self, ops: &'static [Op]) -> Option<&Gray> {
        let Some((&last, prefix)) = ops.split_last() else {
            return Some(self.original);
        };
        let index = match self.done.iter().position(|(done, _)| *done == ops) {
            Some(index) => index,
            None => {
                let next = self.get(prefix).and_then(|prev| last.apply(prev));
                self.done.push((ops, next));
                self.done.len() - 1
            }
        };
        self.done[index].1.as_ref()
    }
}

/// The bitmap of one attempt (`1` = black).
fn binarize_with(img: &Gray, threshold: Threshold) -> Vec<u8> {
    match threshold {
        Threshold::Rqrr => binarize::row_average(img),
        Threshold::Hybrid(flat) => binarize::hybrid(img, flat),
        Threshold::Otsu => binarize::otsu(img),
    }
}

/// Binarizes and scans one image, whatever its finder patterns.
fn run_strategy(img: &Gray, threshold: Threshold) -> Vec<DecodedQr> {
    run_bitmap(
        img.width,
        img.height,
        &binarize_with(img, threshold),
        &mut false,
    )
}

/// Scans one bitmap; an empty result means nothing was found (or rqrr panicked).
/// `located` is set when rqrr located a code's grid, read or not.
fn run_bitmap(width: usize, height: usize, bits: &[u8], located: &mut bool) -> Vec<DecodedQr> {
    let (payloads, grids) = scan_bitmap(width, height, bits);
    *located |= grids > 0;
    let mut out: Vec<DecodedQr> = Vec::with_capacity(payloads.len());
    for bytes in payloads {
        if !out.iter().any(|d| d.bytes == bytes) {
            out.push(DecodedQr::from_bytes(bytes));
        }
    }
    out
}

/// Detects and decodes on an already binarized image (`1` = black).
/// Returns the payloads read and the number of grids located.
fn scan_bitmap(width: usize, height: usize, bits: &[u8]) -> (Vec<Vec<u8>>, usize) {
    guarded(|| {
        let mut prepared = rqrr::PreparedImage::prepare_from_bitmap(width, height, |x, y| {
            bits[y * width + x] != 0
        });
        let grids = prepared.detect_grids();
        (grids.iter().filter_map(decode_grid).collect(), grids.len())
    })
}

/// Decodes one detected grid; `None` on a decoding error or a panic inside rqrr, so that one
/// bad grid does not hide the others.
fn decode_grid<G: rqrr::BitGrid>(grid: &rqrr::Grid<G>) -> Option<Vec<u8>> {
    let mut bytes = Vec::new();
    let decoded = catch_unwind(AssertUnwindSafe(|| grid.decode_to(&mut bytes)));
    match decoded {
        Ok(Ok(_meta)) => Some(bytes),
        _ => None,
    }
}

/// Runs `f` and turns a panic into "found nothing".
fn guarded<T: Default>(f: impl FnOnce() -> T) -> T {
    catch_unwind(AssertUnwindSafe(f)).unwrap_or_default()
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Deterministic pseudo-random bytes (LCG), so that tests never flake.
    struct Lcg(u32);

    impl Lcg {
        fn next_u8(&mut self) -> u8 {
            self.0 = self.0.wrapping_mul(1_664_525).wrapping_add(1_013_904_223);
            (self.0 >> 24) as u8
        }
    }

    /// Looks of a synthetic camera frame.
    struct Scene {
        width: u32,
        height: u32,
        stride: u32,
        /// Pixels per module.
        module: f64,
        /// Rotation of the code, in degrees.
        angle: f64,
        /// Luma of dark modules and of the paper.
        dark: u8,
        light: u8,
        /// Peak amplitude of the uniform noise added to every pixel.
        noise: u8,
        /// Width of the paper around the code, in modules (at least the 4-module quiet zone).
        paper: isize,
    }

    /// Draws `payload` as a QR code on paper (`scene.paper` modules around it) centred in a
    /// frame; the padding bytes of each row hold noise that must never be read.
    fn synthetic_frame(payload: &[u8], scene: &Scene) -> Vec<u8> {
        let code = qrcode::QrCode::new(payload).expect("payload fits a QR code");
        let n = code.width() as isize;
        let colors = code.to_colors();
        let (w, h, stride) = (
            scene.width as usize,
            scene.height as usize,
            scene.stride as usize,
        );
        let (sin, cos) = scene.angle.to_radians().sin_cos();
        let (cx, cy) = (w as f64 / 2.0, h as f64 / 2.0);
        let mut rng = Lcg(0x5eed);
        let mut frame = vec![0u8; stride * h];
        for y in 0..h {
            for x in 0..stride {
                if x >= w {
                    frame[y * stride + x] = rng.next_u8();
                    continue;
                }
                // Frame pixel -> module coordinates (inverse rotation about the centre).
                let (dx, dy) = (x as f64 + 0.5 - cx, y as f64 + 0.5 - cy);
                let u = (dx * cos + dy * sin) / scene.module + n as f64 / 2.0;
                let v = (-dx * sin + dy * cos) / scene.module + n as f64 / 2.0;
                let (mu, mv) = (u.floor() as isize, v.floor() as isize);
                let p = scene.paper;
                let base = if (-p..n + p).contains(&mu) && (-p..n + p).contains(&mv) {
                    let inside = (0..n).contains(&mu) && (0..n).contains(&mv);
                    if inside && colors[(mv * n + mu) as usize] == qrcode::Color::Dark {
                        scene.dark
                    } else {
                        scene.light
                    }
                } else {
                    // Background: a darker, slightly graded surface around the paper.
                    (i32::from(scene.light) / 2 + (x * 40 / w) as i32) as u8
                };
                let jitter = if scene.noise == 0 {
                    0
                } else {
                    i32::from(rng.next_u8() % (2 * scene.noise + 1)) - i32::from(scene.noise)
                };
                frame[y * stride + x] = (i32::from(base) + jitter).clamp(0, 255) as u8;
            }
        }
        frame
    }

    fn plain_scene(width: u32, height: u32, stride: u32) -> Scene {
        Scene {
            width,
            height,
            stride,
            module: 4.0,
            angle: 0.0,
            dark: 20,
            light: 235,
            noise: 0,
            paper: 4,
        }
    }

    const PAYLOAD: &[u8] = b"tigr://login?c=3q2-7Xb_e1&s=https%3A%2F%2Fauth.example";

    fn assert_decodes(found: &[DecodedQr]) {
        assert_eq!(found.len(), 1, "expected exactly one code, got {found:?}");
        assert_eq!(found[0].bytes, PAYLOAD);
        assert_eq!(found[0].text.as_bytes(), PAYLOAD);
    }

    fn assert_bad_frame(result: Result<Vec<DecodedQr>, QrDecodeError>) {
        match result {
            Err(QrDecodeError::BadFrame { reason }) => assert!(!reason.is_empty()),
            other => panic!("expected BadFrame, got {other:?}"),
        }
    }

    #[test]
    fn bad_geometry_is_refused() {
        let buf = vec![255u8; 64 * 64];
        assert_bad_frame(decode_luma(&buf, 0, 64, 64));
        assert_bad_frame(decode_luma(&buf, 64, 0, 64));
        assert_bad_frame(decode_luma(&buf, 8193, 1, 8193));
        assert_bad_frame(decode_luma(&buf, 1, 8193, 1));
        assert_bad_frame(decode_luma(&buf, 64, 64, 63));
        // One byte short, with and without padding.
        assert_bad_frame(decode_luma(&buf[..64 * 64 - 1], 64, 64, 64));
        assert_bad_frame(decode_luma(&buf, 64, 63, 66));
        // Huge stride: must not overflow or read out of bounds.
        assert_bad_frame(decode_luma(&buf, 64, 64, u32::MAX));
        assert_bad_frame(decode_luma(&[], 1, 1, 1));
    }

    #[test]
    fn last_row_needs_no_padding() {
        let scene = plain_scene(200, 200, 211);
        let frame = synthetic_frame(PAYLOAD, &scene);
        let trimmed = &frame[..211 * 199 + 200];
        assert_decodes(&decode_luma(trimmed, 200, 200, 211).unwrap());
    }

    #[test]
    fn tight_frame_decodes() {
        let frame = synthetic_frame(PAYLOAD, &plain_scene(240, 200, 240));
        assert_decodes(&decode_luma(&frame, 240, 200, 240).unwrap());
    }

    #[test]
    fn padded_stride_decodes() {
        let frame = synthetic_frame(PAYLOAD, &plain_scene(320, 240, 384));
        assert_decodes(&decode_luma(&frame, 320, 240, 384).unwrap());
    }

    #[test]
    fn noisy_low_contrast_rotated_code_decodes() {
        let scene = Scene {
            width: 640,
            height: 480,
            stride: 672,
            module: 5.0,
            angle: 17.0,
            dark: 95,
            light: 150,
            noise: 12,
            paper: 4,
        };
        let frame = synthetic_frame(PAYLOAD, &scene);
        assert_decodes(&decode_luma(&frame, 640, 480, 672).unwrap());
    }

    /// A dim code (45 luma levels between ink and paper) must decode in the first attempt:
    /// with zxing's flat-block rule the modules beside the quiet zone read white.
    #[test]
    fn dim_code_decodes_in_first_attempt() {
        let scene = Scene {
            width: 640,
            height: 480,
            stride: 640,
            module: 4.5,
            angle: 0.0,
            dark: 105,
            light: 150,
            noise: 3,
            paper: 16,
        };
        let frame = synthetic_frame(PAYLOAD, &scene);
        // Soft edges, as optics give.
        let img = Gray::from_strided(&frame, 640, 480, 640).box_blurred();
        let first = STRATEGIES[0];
        assert!(first.ops.is_empty());
        assert_decodes(&run_strategy(&img, first.threshold));
        assert!(run_strategy(&img, Threshold::Hybrid(FlatBlocks::Half)).is_empty());
    }

    #[test]
    fn transformed_images_are_shared_and_dropped() {
        let scene = plain_scene(600, 600, 600);
        let frame = synthetic_frame(PAYLOAD, &scene);
        let img = Gray::from_strided(&frame, 600, 600, 600);
        let mut transformed = Transformed::new(&img);
        assert!(std::ptr::eq(transformed.get(&[]).unwrap(), &img));
        // Too large to upscale: no image, and no sharpened copy of it either.
        assert!(transformed.get(&[Op::Upscale, Op::Sharpen]).is_none());
        let twice = transformed
            .get(&[Op::Sharpen, Op::Sharpen])
            .unwrap()
            .data
            .clone();
        assert_eq!(twice, img.sharpened().sharpened().data);
        assert_eq!(transformed.done.len(), 4);
        // Only what a remaining attempt starts from is kept.
        transformed.keep_for(&[attempt(&[Op::Sharpen], Threshold::Otsu)]);
        let kept: Vec<&[Op]> = transformed.done.iter().map(|(ops, _)| *ops).collect();
        assert_eq!(kept, [&[Op::Sharpen][..]]);
    }

    #[test]
    fn light_on_dark_code_decodes() {
        let mut frame = synthetic_frame(PAYLOAD, &plain_scene(300, 300, 300));
        for p in &mut frame {
            *p = 255 - *p;
        }
        assert_decodes(&decode_luma(&frame, 300, 300, 300).unwrap());
    }

    #[test]
    fn frames_without_code_are_empty() {
        let (w, h) = (640u32, 480u32);
        let black = vec![0u8; (w * h) as usize];
        assert!(decode_luma(&black, w, h, w).unwrap().is_empty());
        let white = vec![255u8; (w * h) as usize];
        assert!(decode_luma(&white, w, h, w).unwrap().is_empty());
        let mut rng = Lcg(42);
        let noise: Vec<u8> = (0..w * h).map(|_| rng.next_u8()).collect();
        assert!(decode_luma(&noise, w, h, w).unwrap().is_empty());
    }

    #[test]
    fn tiny_frames_do_not_panic() {
        for (w, h) in [
            (1u32, 1u32),
            (1, 9),
            (9, 1),
            (2, 3),
            (39, 41),
            (41, 39),
            (7, 600),
        ] {
            let mut rng = Lcg(w * 1000 + h);
            let noise: Vec<u8> = (0..w * h).map(|_| rng.next_u8()).collect();
            assert!(decode_luma(&noise, w, h, w).unwrap().is_empty(), "{w}x{h}");
        }
    }

    /// rqrr 0.11 panics inside `detect_grids` on this corpus photo (upstream issue #54).
    #[test]
    fn rqrr_panic_is_contained() {
        let path =
            Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/data/qr-corpus/qrcode-6/7.png");
        assert!(path.is_file(), "corpus image missing: {}", path.display());
        // The result itself does not matter (rqrr finds nothing readable here); not panicking does.
        decode_image_file(&path).expect("a readable PNG");
    }

    fn png_bytes(img: &image::DynamicImage) -> Vec<u8> {
        let mut out = std::io::Cursor::new(Vec::new());
        img.write_to(&mut out, image::ImageFormat::Png).unwrap();
        out.into_inner()
    }

    #[test]
    fn png_bytes_decode() {
        let frame = synthetic_frame(PAYLOAD, &plain_scene(200, 200, 200));
        let img = image::GrayImage::from_raw(200, 200, frame).unwrap();
        let png = png_bytes(&image::DynamicImage::ImageLuma8(img));
        assert_decodes(&decode_image_bytes(&png).unwrap());
    }

    #[test]
    fn transparent_background_reads_as_white() {
        // Dark modules opaque, everything else fully transparent *black*: naive luma
        // conversion would make the whole image black.
        let frame = synthetic_frame(PAYLOAD, &plain_scene(200, 200, 200));
        let img = image::RgbaImage::from_fn(200, 200, |x, y| {
            if frame[(y * 200 + x) as usize] < 128 {
                image::Rgba([0, 0, 0, 255])
            } else {
                image::Rgba([0, 0, 0, 0])
            }
        });
        let png = png_bytes(&image::DynamicImage::ImageRgba8(img));
        assert_decodes(&decode_image_bytes(&png).unwrap());
    }

    #[test]
    fn unreadable_images_are_errors() {
        assert!(matches!(
            decode_image_bytes(b"not an image"),
            Err(QrDecodeError::Image(_))
        ));
        let png = png_bytes(&image::DynamicImage::ImageLuma8(image::GrayImage::new(
            8, 8,
        )));
        assert!(matches!(
            decode_image_bytes(&png[..png.len() / 2]),
            Err(QrDecodeError::Image(_))
        ));
        let missing = Path::new("/nonexistent/tigr-qr-test.png");
        assert!(matches!(
            decode_image_file(missing),
            Err(QrDecodeError::Image(msg)) if msg.contains("tigr-qr-test.png")
        ));
    }

    #[test]
    fn oversized_image_is_refused_before_decoding() {
        let png = png_bytes(&image::DynamicImage::ImageLuma8(image::GrayImage::new(
            8193, 1,
        )));
        assert_bad_frame(decode_image_bytes(&png));
    }

    #[test]
    fn non_utf8_payload_keeps_bytes() {
        // "日本" in Shift_JIS, as a byte-mode payload.
        let sjis = [0x93, 0xfa, 0x96, 0x7b];
        let scene = plain_scene(200, 200, 200);
        let frame = synthetic_frame(&sjis, &scene);
        let found = decode_luma(&frame, 200, 200, 200).unwrap();
        assert_eq!(found.len(), 1);
        assert_eq!(found[0].bytes, sjis);
        assert!(found[0].text.contains('\u{fffd}'));
    }
}
