//! A cheap search for finder patterns, the nested squares in three corners of a QR code.
//!
//! rqrr's own search (flood fills of every region, then a grid fit of every triple of
//! candidates, each on a copy of the image) costs several milliseconds per attempt even
//! on a frame that holds no code. This pass scans the rows of a binarized image for runs in
//! the proportions 1:1:3:1:1 and checks the column through each centre the same way, as zxing
//! and zbar do: about a millisecond at 1280x720, a few on busy print. It tells the decoder
//! whether an attempt is worth handing to rqrr, whether the code is light on dark, how large
//! its modules are, and where it lies.

/// One finder pattern, possibly seen on several rows.
#[derive(Debug, Clone, Copy, PartialEq)]
pub(super) struct Finder {
    /// Centre, pixels.
    pub(super) x: f32,
    pub(super) y: f32,
    /// Module size, pixels (mean of the rows that saw it).
    pub(super) module: f32,
    /// Rows whose runs matched.
    pub(super) hits: u32,
}

/// The finder patterns of one binarized image, in each polarity.
#[derive(Debug, Clone, Default)]
pub(super) struct Finders {
    /// Dark patterns on light (the usual polarity).
    pub(super) normal: Vec<Finder>,
    /// Light patterns on dark (a light-on-dark screen or terminal).
    pub(super) inverted: Vec<Finder>,
}

/// A 1-module run may be off by this share of a module (blur, perspective, binarization)...
const SINGLE_TOLERANCE: f32 = 0.7;
/// ... and the 3-module centre run by this many modules.
const CENTRE_TOLERANCE: f32 = 1.6;
/// Fewest pixels across a pattern.
const MIN_TOTAL: usize = 8;
/// Rows a pattern must be seen on: its 3-module centre spans at least three rows.
const MIN_HITS: u32 = 2;
/// Sightings kept per polarity; a bitmap with more is noise, not a code.
const MAX_SIGHTINGS: usize = 256;

/// A pattern's height may differ from its width by this factor (perspective, motion).
const ASPECT_LIMIT: f32 = 2.2;

/// Whether five runs have the proportions of a finder pattern; returns the module size.
fn proportions(runs: [usize; 5]) -> Option<f32> {
    let total: usize = runs.iter().sum();
    // Patterns under 8 pixels (modules under about 1.2 pixels) are out of reach anyway, and
    // the centre run must be the longest: speckle of sensor noise has neither.
    if total < MIN_TOTAL
        || [runs[0], runs[1], runs[3], runs[4]]
            .iter()
            .any(|&r| r >= runs[2])
    {
        return None;
    }
    let module = total as f32 / 7.0;
    // One pixel of slack, so that 1.5-pixel modules (runs of 1 or 2) still qualify.
    let single = (module * SINGLE_TOLERANCE).max(1.0);
    let centre = (module * CENTRE_TOLERANCE).max(1.5);
    let ok = [runs[0], runs[1], runs[3], runs[4]]
        .iter()
        .all(|&r| (r as f32 - module).abs() <= single)
        && (runs[2] as f32 - 3.0 * module).abs() <= centre;
    ok.then_some(module)
}

/// Searches `bits` (`1` = black, row-major `width` x `height`).
pub(super) fn search(bits: &[u8], width: usize, height: usize) -> Finders {
    let mut found = Finders::default();
    let mut runs: Vec<(u8, usize, usize)> = Vec::with_capacity(width / 2);
    for y in 0..height {
        let row = &bits[y * width..(y + 1) * width];
        row_runs(row, &mut runs);
        for window in runs.windows(5) {
            let colour = window[0].0;
            let full = if colour == 1 {
                found.normal.len()
            } else {
                found.inverted.len()
            } >= MAX_SIGHTINGS;
            if full {
                // Noise, not a code: stop looking in this polarity.
                continue;
            }
            let lengths = [
                window[0].2,
                window[1].2,
                window[2].2,
                window[3].2,
                window[4].2,
            ];
            let Some(module) = proportions(lengths) else {
                continue;
            };
            let cx = window[2].1 + window[2].2 / 2;
            let total: usize = lengths.iter().sum();
            let Some(cy) = cross_check(bits, width, height, cx, y, colour, total) else {
                continue;
            };
            let list = if colour == 1 {
                &mut found.normal
            } else {
                &mut found.inverted
            };
            merge(list, cx as f32 + 0.5, cy, module);
        }
    }
    found.normal.retain(|f| f.hits >= MIN_HITS);
    found.inverted.retain(|f| f.hits >= MIN_HITS);
    found
}

/// The runs of one bitmap row as `(colour, start, length)`. Bytes are compared eight at a
/// time (each against its right neighbour), so that the cost follows the changes of colour
/// rather than the pixels: this pass runs on every row of up to five bitmaps per frame.
fn row_runs(row: &[u8], runs: &mut Vec<(u8, usize, usize)>) {
    runs.clear();
    let Some(&first) = row.first() else {
        return;
    };
    let width = row.len();
    let mut start = 0;
    let mut colour = first;
    let mut boundary = |x: usize, runs: &mut Vec<(u8, usize, usize)>| {
        runs.push((colour, start, x - start));
        start = x;
        colour = row[x];
    };
    // Positions `x` where `row[x] != row[x - 1]`, in order.
    let mut x = 1;
    while x + 8 <= width {
        let word = |at: usize| {
            let mut b = [0u8; 8];
            b.copy_from_slice(&row[at..at + 8]);
            u64::from_le_bytes(b)
        };
        let mut changes = word(x) ^ word(x - 1);
        while changes != 0 {
            let k = changes.trailing_zeros() as usize / 8;
            boundary(x + k, runs);
            changes &= !(0xffu64 << (8 * k));
        }
        x += 8;
    }
    while x < width {
        if row[x] != row[x - 1] {
            boundary(x, runs);
        }
        x += 1;
    }
    runs.push((colour, start, width - start));
}

/// Where three finder patterns could be the corners of one code.
#[derive(Debug, Clone, Copy, PartialEq)]
pub(super) struct CodeRegion {
    /// `(x0, y0, x1, y1)`, pixels: the whole code and its quiet zone.
    pub(super) bounds: (f32, f32, f32, f32),
    /// Sides (0 to 2) along which a regular timing pattern joins the corner pattern to
    /// another: 2 is the strongest evidence of a code the cheap pass gives.
    pub(super) regular_sides: usize,
}

impl Finders {
    /// The regions where three of the `patterns` could be the corners of one code (similar
    /// modules, two sides of similar length at a roughly right angle, perspective allowed,
    /// sides of 12 to 80 modules: versions 1 to 17, beyond any Tigr payload). A timing
    /// pattern must join the corner to at least one of the other two; regions with more
    /// regular timing patterns come first (busy print offers many loose ones), then those of
    /// the best-seen patterns. Empty when no three patterns fit.
    pub(super) fn code_regions(
        patterns: &[Finder],
        bits: &[u8],
        width: usize,
        height: usize,
    ) -> Vec<CodeRegion> {
        let mut best: Vec<&Finder> = patterns.iter().collect();
        best.sort_by_key(|f| std::cmp::Reverse(f.hits));
        best.truncate(MAX_CORNER_CANDIDATES);
        let similar =
            |a: &Finder, b: &Finder| a.module < 1.5 * b.module && b.module < 1.5 * a.module;
        let mut regions = Vec::new();
        for (i, a) in best.iter().enumerate() {
            for (j, b) in best.iter().enumerate() {
                if j == i || !similar(a, b) {
                    continue;
                }
                for (k, c) in best.iter().enumerate().skip(j + 1) {
                    if k == i || !similar(a, c) {
                        continue;
                    }
                    // `a` at the corner, `b` and `c` at the ends of the two sides.
                    let (ux, uy) = (b.x - a.x, b.y - a.y);
                    let (vx, vy) = (c.x - a.x, c.y - a.y);
                    let (lu, lv) = ((ux * ux + uy * uy).sqrt(), (vx * vx + vy * vy).sqrt());
                    let module = (a.module + b.module + c.module) / 3.0;
                    let sides_ok = [lu, lv]
                        .iter()
                        .all(|&l| (12.0 * module..=80.0 * module).contains(&l));
                    let cos = (ux * vx + uy * vy) / (lu * lv);
                    if !(sides_ok && lu < 1.6 * lv && lv < 1.6 * lu && cos.abs() < 0.5) {
                        continue;
                    }
                    // A code has a timing pattern (alternate modules) 3 modules inside the
                    // line joining two corners; text and other clutter has none.
                    let timing = |from: &Finder, to: &Finder, inward: (f32, f32), l: f32| {
                        timing_pattern(bits, width, height, from, to, inward, l, module)
                    };
                    let inward_v = (vx / lv * 3.0 * module, vy / lv * 3.0 * module);
                    let inward_u = (ux / lu * 3.0 * module, uy / lu * 3.0 * module);
                    let sides = [timing(a, b, inward_v, lu), timing(a, c, inward_u, lv)];
                    if sides == [Timing::None; 2] {
                        continue;
                    }
                    let regular = sides.iter().filter(|&&t| t == Timing::Regular).count();
                    // The fourth corner, and room for the quiet zone and perspective.
                    let (dx, dy) = (b.x + vx, b.y + vy);
                    let margin = 8.0 * module + 0.15 * lu.max(lv);
                    let xs = [a.x, b.x, c.x, dx];
                    let ys = [a.y, b.y, c.y, dy];
                    let fold = |v: &[f32; 4], f: fn(f32, f32) -> f32| {
                        v.iter().copied().reduce(f).unwrap_or_default()
                    };
                    regions.push(CodeRegion {
                        bounds: (
                            fold(&xs, f32::min) - margin,
                            fold(&ys, f32::min) - margin,
                            fold(&xs, f32::max) + margin,
                            fold(&ys, f32::max) + margin,
                        ),
                        regular_sides: regular,
                    });
                }
            }
        }
        // Stable: equally regular regions keep the order of their patterns' sightings.
        regions.sort_by_key(|r| std::cmp::Reverse(r.regular_sides));
        regions
    }
}

/// How well a segment alternates like a timing pattern (see [`timing_pattern`]).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Timing {
    /// Not like a timing pattern.
    None,
    /// About one change of colour per module.
    Loose,
    /// About one change per module and no run longer than two modules: what a code shows
    /// and text or clutter rarely does.
    Regular,
}

/// Whether the segment from `from` to `to`, shifted by `inward`, alternates like a timing
/// pattern between the two finder patterns: about one change of colour per module.
#[allow(clippy::too_many_arguments)]
fn timing_pattern(
    bits: &[u8],
    width: usize,
    height: usize,
    from: &Finder,
    to: &Finder,
    inward: (f32, f32),
    length: f32,
    module: f32,
) -> Timing {
    let modules = length / module;
    // From the inner edge of one pattern to the inner edge of the other.
    let (start, end) = (4.0 / modules, 1.0 - 4.0 / modules);
    let steps = (length * (end - start) * 2.0) as usize;
    if steps < 4 {
        return Timing::None;
    }
    let step = length * (end - start) / steps as f32;
    // Runs along the segment, in samples.
    let mut runs: Vec<usize> = Vec::with_capacity(steps / 2);
    let mut last = None;
    for k in 0..=steps {
        let t = start + (end - start) * k as f32 / steps as f32;
        let x = from.x + (to.x - from.x) * t + inward.0;
        let y = from.y + (to.y - from.y) * t + inward.1;
        if x < 0.0 || y < 0.0 || x >= width as f32 || y >= height as f32 {
            return Timing::None;
        }
        let bit = bits[y as usize * width + x as usize];
        match runs.last_mut() {
            Some(run) if last == Some(bit) => *run += 1,
            _ => runs.push(1),
        }
        last = Some(bit);
    }
    let changes = runs.len().saturating_sub(1);
    // The first and last runs reach into the separators: not timing modules.
    let longest = runs
        .iter()
        .skip(1)
        .rev()
        .skip(1)
        .copied()
        .max()
        .unwrap_or(0);
    // The segment spans `modules - 8` modules, each a change of colour; allow blur and
    // perspective to merge or split some.
    let expected = modules - 8.0;
    let changes = changes as f32;
    if !(changes >= 0.6 * expected && changes <= 1.5 * expected + 2.0) {
        return Timing::None;
    }
    let widest = from.module.max(to.module);
    let regular = changes >= 0.8 * expected - 1.0
        && changes <= 1.25 * expected + 1.0
        && longest as f32 * step <= 2.2 * widest;
    if regular {
        Timing::Regular
    } else {
        Timing::Loose
    }
}

/// Patterns (those seen on the most rows) tried as corners of a code.
const MAX_CORNER_CANDIDATES: usize = 24;

/// Checks the column through `(x, y)` for the same pattern; returns the refined centre row.
fn cross_check(
    bits: &[u8],
    width: usize,
    height: usize,
    x: usize,
    y: usize,
    colour: u8,
    row_total: usize,
) -> Option<f32> {
    let at = |y: usize| bits[y * width + x];
    let limit = (row_total as f32 * ASPECT_LIMIT) as usize;
    // Runs above the centre (centre run, then two), and below.
    let mut up = [0usize; 3];
    let mut yy = y as isize;
    for (k, run) in up.iter_mut().enumerate() {
        let want = if k == 1 { 1 - colour } else { colour };
        while yy >= 0 && at(yy as usize) == want && *run <= limit {
            *run += 1;
            yy -= 1;
        }
        if *run == 0 {
            return None;
        }
    }
    let mut down = [0usize; 3];
    let mut yy = y + 1;
    for (k, run) in down.iter_mut().enumerate() {
        let want = if k == 1 { 1 - colour } else { colour };
        while yy < height && at(yy) == want && *run <= limit {
            *run += 1;
            yy += 1;
        }
        if *run == 0 && k > 0 {
            return None;
        }
    }
    let runs = [up[2], up[1], up[0] + down[0], down[1], down[2]];
    let total: usize = runs.iter().sum();
    let ratio = total as f32 / row_total as f32;
    if !(1.0 / ASPECT_LIMIT..=ASPECT_LIMIT).contains(&ratio) {
        return None;
    }
    proportions(runs)?;
    // Centre of the centre run.
    let top = y as f32 - up[0] as f32 + 1.0;
    Some(top + (up[0] + down[0]) as f32 / 2.0)
}

/// Adds a sighting to the pattern it belongs to (same place, similar module), or as a new one.
fn merge(list: &mut Vec<Finder>, x: f32, y: f32, module: f32) {
    // Patterns are added row by row: only the recent ones can be this one.
    for f in list.iter_mut().rev() {
        if f.y + 4.0 * f.module.max(module) + 8.0 < y {
            break;
        }
        let reach = 2.0 * f.module.max(module);
        if (f.x - x).abs() <= reach
            && (f.y - y).abs() <= reach
            && module < 2.0 * f.module
            && f.module < 2.0 * module
        {
            let n = f.hits as f32;
            f.x = (f.x * n + x) / (n + 1.0);
            f.y = (f.y * n + y) / (n + 1.0);
            f.module = (f.module * n + module) / (n + 1.0);
            f.hits += 1;
            return;
        }
    }
    list.push(Finder {
        x,
        y,
        module,
        hits: 1,
    });
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A `size`-pixel-module finder pattern (7x7 modules) drawn at `(x0, y0)` in a white
    /// `w` x `h` bitmap.
    fn draw(bits: &mut [u8], w: usize, x0: usize, y0: usize, size: usize) {
        for my in 0..7 {
            for mx in 0..7 {
                let ring = (mx as isize - 3).abs().max((my as isize - 3).abs());
                let dark = ring != 2;
                for py in 0..size {
                    for px in 0..size {
                        bits[(y0 + my * size + py) * w + x0 + mx * size + px] = u8::from(dark);
                    }
                }
            }
        }
    }

    #[test]
    fn finds_patterns_of_both_polarities() {
        let (w, h) = (120, 80);
        let mut bits = vec![0u8; w * h];
        draw(&mut bits, w, 10, 10, 3);
        draw(&mut bits, w, 70, 20, 2);
        let found = search(&bits, w, h);
        assert_eq!(found.normal.len(), 2, "{found:?}");
        let first = found.normal[0];
        assert!((first.x - 20.5).abs() <= 1.0 && (first.y - 20.5).abs() <= 1.0);
        assert!((first.module - 3.0).abs() < 0.5);
        assert!(first.hits >= 3);
        // The negative holds the same patterns, light on dark.
        let negative: Vec<u8> = bits.iter().map(|&b| 1 - b).collect();
        let found = search(&negative, w, h);
        assert_eq!(found.inverted.len(), 2, "{found:?}");
    }

    #[test]
    fn row_runs_match_a_plain_scan() {
        let mut seed = 7u32;
        for width in [1usize, 2, 7, 8, 9, 15, 16, 17, 64, 101] {
            let row: Vec<u8> = (0..width)
                .map(|_| {
                    seed = seed.wrapping_mul(1_664_525).wrapping_add(1_013_904_223);
                    // Runs of several pixels as well as single ones.
                    u8::from(seed >> 29 < 3)
                })
                .collect();
            let mut expected = Vec::new();
            let mut start = 0;
            for x in 1..=width {
                if x == width || row[x] != row[start] {
                    expected.push((row[start], start, x - start));
                    start = x;
                }
            }
            let mut runs = Vec::new();
            row_runs(&row, &mut runs);
            assert_eq!(runs, expected, "{row:?}");
        }
    }

    #[test]
    fn rejects_other_proportions() {
        assert!(proportions([3, 3, 9, 3, 3]).is_some());
        assert!(proportions([3, 3, 3, 3, 3]).is_none());
        assert!(proportions([3, 9, 3, 3, 3]).is_none());
        // Stripes and a blank image hold no pattern.
        let (w, h) = (64, 64);
        let stripes: Vec<u8> = (0..w * h).map(|i| ((i % w) / 3 % 2) as u8).collect();
        let found = search(&stripes, w, h);
        assert!(found.normal.is_empty() && found.inverted.is_empty());
        let blank = vec![0u8; w * h];
        assert!(search(&blank, w, h).normal.is_empty());
    }
}
