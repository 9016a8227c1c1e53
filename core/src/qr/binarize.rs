//! Grayscale to black-and-white conversion.
//!
//! Every binarizer returns one byte per pixel, `1` for black (dark) and `0` for white, which
//! is the representation `rqrr::PreparedImage::without_preparation` expects.

use super::gray::Gray;

/// Side of the square blocks the hybrid binarizer computes black points on.
const BLOCK: usize = 8;
/// log2 of [`BLOCK`] squared: shift that turns a block sum into a block mean.
const BLOCK_AREA_SHIFT: u32 = 6;
/// Blocks whose max-min range is at most this are treated as flat (no edge inside).
const MIN_DYNAMIC_RANGE: u32 = 24;
/// Smallest side, in pixels, the hybrid binarizer works on (it needs a 5x5 block window).
pub(super) const HYBRID_MIN_SIDE: usize = 5 * BLOCK;

/// Local-threshold binarizer after zxing's `HybridBinarizer`.
///
/// The image is cut into 8x8 blocks; each block gets a black point (its mean, or for a flat
/// block a guess derived from its minimum and its already computed neighbours). Each pixel
/// is then compared with the mean black point of the 5x5 blocks around its own block. This
/// copes with uneven lighting and shadows much better than a global threshold.
///
/// Falls back to [`otsu`] for images smaller than [`HYBRID_MIN_SIDE`] on a side.
pub(super) fn hybrid(img: &Gray) -> Vec<u8> {
    let (w, h) = (img.width, img.height);
    if w < HYBRID_MIN_SIDE || h < HYBRID_MIN_SIDE {
        return otsu(img);
    }
    let sub_w = w.div_ceil(BLOCK);
    let sub_h = h.div_ceil(BLOCK);
    let black_points = block_black_points(img, sub_w, sub_h);

    let mut out = vec![0u8; w * h];
    for by in 0..sub_h {
        let y0 = (by * BLOCK).min(h - BLOCK);
        let top = by.clamp(2, sub_h - 3);
        for bx in 0..sub_w {
            let x0 = (bx * BLOCK).min(w - BLOCK);
            let left = bx.clamp(2, sub_w - 3);
            let mut sum = 0u32;
            for r in top - 2..=top + 2 {
                let row = &black_points[r * sub_w + left - 2..r * sub_w + left + 3];
                sum += row.iter().map(|&v| u32::from(v)).sum::<u32>();
            }
            let threshold = (sum / 25) as u8;
            for y in y0..y0 + BLOCK {
                let src = &img.data[y * w + x0..y * w + x0 + BLOCK];
                let dst = &mut out[y * w + x0..y * w + x0 + BLOCK];
                for (d, &s) in dst.iter_mut().zip(src) {
                    *d = u8::from(s <= threshold);
                }
            }
        }
    }
    out
}

/// Per-block black points of [`hybrid`], row-major `sub_h` x `sub_w`.
fn block_black_points(img: &Gray, sub_w: usize, sub_h: usize) -> Vec<u8> {
    let (w, h) = (img.width, img.height);
    let mut bp = vec![0u8; sub_w * sub_h];
    for by in 0..sub_h {
        let y0 = (by * BLOCK).min(h - BLOCK);
        for bx in 0..sub_w {
            let x0 = (bx * BLOCK).min(w - BLOCK);
            let mut sum = 0u32;
            let mut min = u8::MAX;
            let mut max = u8::MIN;
            for y in y0..y0 + BLOCK {
                for &p in &img.data[y * w + x0..y * w + x0 + BLOCK] {
                    sum += u32::from(p);
                    min = min.min(p);
                    max = max.max(p);
                }
            }
            let mut average = sum >> BLOCK_AREA_SHIFT;
            if u32::from(max - min) <= MIN_DYNAMIC_RANGE {
                // A flat block: assume it is background (white) unless the neighbours say
                // the area is darker, so its pixels end up white.
                average = u32::from(min) / 2;
                if by > 0 && bx > 0 {
                    let up = u32::from(bp[(by - 1) * sub_w + bx]);
                    let left = u32::from(bp[by * sub_w + bx - 1]);
                    let diag = u32::from(bp[(by - 1) * sub_w + bx - 1]);
                    let neighbours = (up + 2 * left + diag) / 4;
                    if u32::from(min) < neighbours {
                        average = neighbours;
                    }
                }
            }
            bp[by * sub_w + bx] = average as u8;
        }
    }
    bp
}

/// Global threshold chosen by Otsu's method (maximal between-class variance).
pub(super) fn otsu(img: &Gray) -> Vec<u8> {
    let mut hist = [0u64; 256];
    for &p in &img.data {
        hist[usize::from(p)] += 1;
    }
    let total = img.data.len() as f64;
    let sum_all: f64 = hist
        .iter()
        .enumerate()
        .map(|(i, &c)| i as f64 * c as f64)
        .sum();
    let (mut w_b, mut sum_b) = (0.0f64, 0.0f64);
    let (mut best_var, mut threshold) = (-1.0f64, 127u8);
    for (t, &count) in hist.iter().enumerate() {
        w_b += count as f64;
        if w_b == 0.0 {
            continue;
        }
        let w_f = total - w_b;
        if w_f == 0.0 {
            break;
        }
        sum_b += t as f64 * count as f64;
        let m_b = sum_b / w_b;
        let m_f = (sum_all - sum_b) / w_f;
        let var = w_b * w_f * (m_b - m_f) * (m_b - m_f);
        if var > best_var {
            best_var = var;
            threshold = t as u8;
        }
    }
    img.data.iter().map(|&p| u8::from(p <= threshold)).collect()
}
