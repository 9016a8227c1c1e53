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
const MIN_DYNAMIC_RANGE: u8 = 24;
/// Smallest side, in pixels, the hybrid binarizer works on (it needs a 5x5 block window).
pub(super) const HYBRID_MIN_SIDE: usize = 5 * BLOCK;

/// How [`hybrid`] sets the black point of a flat block (one without an edge inside).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum FlatBlocks {
    /// zxing's rule: half the block's minimum. Flat paper reads white with a wide margin, but
    /// when ink and paper are close (a dim or low-contrast code) the thresholds next to the
    /// paper drop below the ink and dark modules beside the quiet zone vanish.
    Half,
    /// The block's minimum minus half the image's typical edge contrast (the median max-min
    /// range of the blocks that hold an edge), so that thresholds next to flat paper stay
    /// near the midpoint between ink and paper whatever the contrast.
    Contrast,
}

/// Per-block statistics: mean, minimum and maximum of the 8x8 pixels.
#[derive(Debug, Clone, Copy, Default)]
struct BlockStats {
    mean: u8,
    min: u8,
    max: u8,
}

impl BlockStats {
    fn range(self) -> u8 {
        self.max - self.min
    }

    fn is_flat(self) -> bool {
        self.range() <= MIN_DYNAMIC_RANGE
    }
}

/// Local-threshold binarizer after zxing's `HybridBinarizer`.
///
/// The image is cut into 8x8 blocks; each block gets a black point (its mean, or for a flat
/// block a guess derived from its minimum, see [`FlatBlocks`], and its already computed
/// neighbours). Each pixel is then compared with the mean black point of the 5x5 blocks
/// around its own block. This copes with uneven lighting and shadows much better than a
/// global threshold.
///
/// Falls back to [`otsu`] for images smaller than [`HYBRID_MIN_SIDE`] on a side.
pub(super) fn hybrid(img: &Gray, flat: FlatBlocks) -> Vec<u8> {
    let (w, h) = (img.width, img.height);
    if w < HYBRID_MIN_SIDE || h < HYBRID_MIN_SIDE {
        return otsu(img);
    }
    let sub_w = w.div_ceil(BLOCK);
    let sub_h = h.div_ceil(BLOCK);
    let stats = block_stats(img, sub_w, sub_h);
    let black_points = block_black_points(&stats, sub_w, sub_h, flat);

    // Threshold of each block: the mean black point of the 5x5 blocks around it.
    let mut thresholds = vec![0u8; sub_w * sub_h];
    for by in 0..sub_h {
        let top = by.clamp(2, sub_h - 3);
        for bx in 0..sub_w {
            let left = bx.clamp(2, sub_w - 3);
            let mut sum = 0u32;
            for r in top - 2..=top + 2 {
                let row = &black_points[r * sub_w + left - 2..r * sub_w + left + 3];
                sum += row.iter().map(|&v| u32::from(v)).sum::<u32>();
            }
            thresholds[by * sub_w + bx] = (sum / 25) as u8;
        }
    }

    // Per-pixel thresholds of the current block row, so that each image row is compared in
    // one pass that vectorizes.
    let mut row_thresholds = vec![0u8; w];
    let mut row_block = usize::MAX;
    let mut out = vec![0u8; w * h];
    for y in 0..h {
        let by = block_index(y, h);
        if by != row_block {
            row_block = by;
            let block_thresholds = &thresholds[by * sub_w..(by + 1) * sub_w];
            for (x, t) in row_thresholds.iter_mut().enumerate() {
                *t = block_thresholds[block_index(x, w)];
            }
        }
        let src = &img.data[y * w..(y + 1) * w];
        let dst = &mut out[y * w..(y + 1) * w];
        for ((d, &s), &t) in dst.iter_mut().zip(src).zip(&row_thresholds) {
            *d = u8::from(s <= t);
        }
    }
    out
}

/// First pixel of block `b` along a side of `len` pixels: blocks are 8 apart, except the last,
/// which is moved back to end at the edge (and overlaps its neighbour).
fn block_start(b: usize, len: usize) -> usize {
    (b * BLOCK).min(len - BLOCK)
}

/// The block a pixel at `i` (along a side of `len` pixels) takes its threshold from: the
/// last block for the pixels it overlaps.
fn block_index(i: usize, len: usize) -> usize {
    if i >= len - BLOCK {
        (len - 1) / BLOCK
    } else {
        i / BLOCK
    }
}

/// Mean, minimum and maximum of every block, row-major `sub_h` x `sub_w`. The last block
/// row and column overlap their neighbours so that every block is a full 8x8.
fn block_stats(img: &Gray, sub_w: usize, sub_h: usize) -> Vec<BlockStats> {
    let (w, h) = (img.width, img.height);
    let mut stats = Vec::with_capacity(sub_w * sub_h);
    // Column-wise sums, minima and maxima over the block row's 8 image rows first (this
    // vectorizes), then over each block's 8 columns.
    let mut col_sum = vec![0u16; w];
    let mut col_min = vec![0u8; w];
    let mut col_max = vec![0u8; w];
    for by in 0..sub_h {
        let y0 = block_start(by, h);
        col_sum.fill(0);
        col_min.fill(u8::MAX);
        col_max.fill(u8::MIN);
        for y in y0..y0 + BLOCK {
            let row = &img.data[y * w..(y + 1) * w];
            for (((sum, min), max), &p) in col_sum
                .iter_mut()
                .zip(col_min.iter_mut())
                .zip(col_max.iter_mut())
                .zip(row)
            {
                *sum += u16::from(p);
                *min = (*min).min(p);
                *max = (*max).max(p);
            }
        }
        for bx in 0..sub_w {
            let x0 = block_start(bx, w);
            let cols = x0..x0 + BLOCK;
            let sum: u32 = col_sum[cols.clone()].iter().map(|&s| u32::from(s)).sum();
            let min = col_min[cols.clone()].iter().fold(u8::MAX, |a, &b| a.min(b));
            let max = col_max[cols].iter().fold(u8::MIN, |a, &b| a.max(b));
            stats.push(BlockStats {
                mean: (sum >> BLOCK_AREA_SHIFT) as u8,
                min,
                max,
            });
        }
    }
    stats
}

/// Median max-min range of the blocks that are not flat; `None` if every block is flat.
fn median_edge_range(stats: &[BlockStats]) -> Option<u8> {
    let mut hist = [0u32; 256];
    let mut count = 0u32;
    for s in stats.iter().filter(|s| !s.is_flat()) {
        hist[usize::from(s.range())] += 1;
        count += 1;
    }
    let mut seen = 0u32;
    for (range, &n) in hist.iter().enumerate() {
        seen += n;
        if n > 0 && seen > count / 2 {
            return Some(range as u8);
        }
    }
    None
}

/// Per-block black points of [`hybrid`], row-major `sub_h` x `sub_w`.
fn block_black_points(
    stats: &[BlockStats],
    sub_w: usize,
    sub_h: usize,
    flat: FlatBlocks,
) -> Vec<u8> {
    let half_contrast = match flat {
        FlatBlocks::Half => None,
        FlatBlocks::Contrast => median_edge_range(stats).map(|r| r / 2),
    };
    let mut bp = vec![0u8; sub_w * sub_h];
    for by in 0..sub_h {
        for bx in 0..sub_w {
            let s = stats[by * sub_w + bx];
            let mut average = s.mean;
            if s.is_flat() {
                // A flat block: assume it is background (white) unless the neighbours say
                // the area is darker, so its pixels end up white.
                average = match half_contrast {
                    Some(half) => s.min.saturating_sub(half),
                    None => s.min / 2,
                };
                if by > 0 && bx > 0 {
                    let up = u32::from(bp[(by - 1) * sub_w + bx]);
                    let left = u32::from(bp[by * sub_w + bx - 1]);
                    let diag = u32::from(bp[(by - 1) * sub_w + bx - 1]);
                    let neighbours = ((up + 2 * left + diag) / 4) as u8;
                    if s.min < neighbours {
                        average = neighbours;
                    }
                }
            }
            bp[by * sub_w + bx] = average;
        }
    }
    bp
}

/// rqrr's own threshold (`PreparedImage::prepare`), computed here so that its bitmap can be
/// searched for finder patterns before rqrr runs: each pixel is compared with 47.5 % of the
/// sum of two moving averages over `width / 8` pixels, one running left to right and one
/// right to left (directions alternate from row to row and the averages carry over).
pub(super) fn row_average(img: &Gray) -> Vec<u8> {
    let (w, h) = (img.width, img.height);
    let span = (w / 8).max(1);
    // rqrr divides integers at every pixel; a float product gives the same averages to
    // within rounding, several times faster.
    let keep = (span - 1) as f32 / span as f32;
    let mut sums = vec![0f32; w];
    let (mut avg_v, mut avg_u) = (0f32, 0f32);
    let mut out = vec![0u8; w * h];
    for y in 0..h {
        let row = &img.data[y * w..(y + 1) * w];
        sums.fill(0.0);
        for x in 0..w {
            let (v, u) = if y % 2 == 0 {
                (w - 1 - x, x)
            } else {
                (x, w - 1 - x)
            };
            avg_v = avg_v * keep + f32::from(row[v]);
            avg_u = avg_u * keep + f32::from(row[u]);
            sums[v] += avg_v;
            sums[u] += avg_u;
        }
        let scale = 95.0 / (200.0 * span as f32);
        for ((d, &p), &sum) in out[y * w..(y + 1) * w].iter_mut().zip(row).zip(&sums) {
            *d = u8::from(f32::from(p) < sum * scale);
        }
    }
    out
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

#[cfg(test)]
mod tests {
    use super::*;

    /// Paper (150) with a checkerboard of dim ink (105) in 4 px cells at 16..48, 96x96.
    fn dim_checkerboard() -> Gray {
        let (w, h) = (96, 96);
        let data = (0..w * h)
            .map(|i| {
                let (x, y) = (i % w, i / w);
                let inside = (16..48).contains(&x) && (16..48).contains(&y);
                if inside && (x / 4 + y / 4) % 2 == 0 {
                    105
                } else {
                    150
                }
            })
            .collect();
        Gray {
            width: w,
            height: h,
            data,
        }
    }

    #[test]
    fn contrast_rule_keeps_dim_ink_beside_paper() {
        let img = dim_checkerboard();
        let expected: Vec<u8> = img.data.iter().map(|&p| u8::from(p == 105)).collect();
        assert_eq!(hybrid(&img, FlatBlocks::Contrast), expected);
        // zxing's rule drops the ink at the corner next to the paper.
        let half = hybrid(&img, FlatBlocks::Half);
        assert_eq!(half[16 * img.width + 16], 0);
    }

    #[test]
    fn median_edge_range_ignores_flat_blocks() {
        let block = |min: u8, max: u8| BlockStats {
            mean: min,
            min,
            max,
        };
        assert_eq!(median_edge_range(&[block(10, 20), block(0, 0)]), None);
        let stats = [block(0, 30), block(0, 0), block(0, 50), block(0, 90)];
        assert_eq!(median_edge_range(&stats), Some(50));
    }

    #[test]
    fn row_average_is_rqrrs_threshold() {
        let (w, h) = (97, 61);
        let img = Gray {
            width: w,
            height: h,
            data: (0..w * h)
                .map(|i| ((i % w) * 3 + (i / w) * 5 + (i * 7919 % 31)) as u8)
                .collect(),
        };
        let ours = row_average(&img);
        let rqrr = rqrr::PreparedImage::prepare_from_greyscale(w, h, |x, y| img.data[y * w + x]);
        let mut differ = 0;
        for y in 0..h {
            for x in 0..w {
                // rqrr does not export its pixel type: compare by name.
                let black = format!("{:?}", rqrr.get_pixel_at(x, y)) == "Black";
                differ += usize::from((ours[y * w + x] == 1) != black);
            }
        }
        // rqrr truncates its running averages at every pixel (they drift up to a level per
        // step below the exact ones computed here), so pixels within a few levels of the
        // threshold may differ: on this ramp about 2 %; anything more is a different rule.
        assert!(
            differ * 100 < 3 * w * h,
            "{differ} of {} pixels differ",
            w * h
        );
    }

    #[test]
    fn last_block_covers_the_edge() {
        assert_eq!(block_start(4, 43), 32);
        assert_eq!(block_start(5, 43), 35);
        assert_eq!(block_index(34, 43), 4);
        assert_eq!(block_index(35, 43), 5);
        assert_eq!(block_index(42, 43), 5);
        assert_eq!(block_index(40, 48), 5);
        // Odd sizes: every pixel is written, none out of bounds.
        let img = Gray {
            width: 43,
            height: 41,
            data: (0..43 * 41).map(|i| (i * 7 % 256) as u8).collect(),
        };
        assert_eq!(hybrid(&img, FlatBlocks::Contrast).len(), 43 * 41);
    }
}
