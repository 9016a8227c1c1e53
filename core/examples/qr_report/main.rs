//! Read rate and decoding time of `tigr_core::qr` against zbar, in one run, on the generated
//! camera-like frames (`tests/camera`), the zxing photo corpus (`tests/data/qr-corpus`) and
//! short frame sequences (frames until the first read).
//!
//! ```sh
//! apt-get install -y libzbar0   # optional: without it only tigr-core is measured
//! cargo run --release -p tigr-core --example qr_report -- [--per-category 24] [--empty 30]
//!     [--repeat 3] [--no-corpus] [--no-streams] [--dump DIR]
//! ```
//!
//! Each frame is decoded `--repeat` times by each decoder, alternating which goes first, and
//! its time is the median of those runs. Times are the CPU time of the decoding thread, so
//! that other work on a shared machine inflates them less than wall-clock time would. A frame counts as read when a decoded payload is the
//! encoded one; any other payload (or a code in a frame without one) is a misread.

#[path = "../../tests/camera/mod.rs"]
mod camera;
mod cpu;
mod zbar;

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::time::Duration;

use camera::{Category, Sample};
use zbar::Zbar;

#[derive(Debug)]
struct Options {
    per_category: usize,
    empty: usize,
    repeat: usize,
    corpus: bool,
    streams: bool,
    dump: Option<PathBuf>,
}

fn options() -> Options {
    let mut o = Options {
        per_category: 24,
        empty: 30,
        repeat: 3,
        corpus: true,
        streams: true,
        dump: None,
    };
    let mut args = std::env::args().skip(1);
    while let Some(arg) = args.next() {
        let mut number = |name: &str| -> usize {
            args.next()
                .and_then(|v| v.parse().ok())
                .unwrap_or_else(|| panic!("{name} needs a number"))
        };
        match arg.as_str() {
            "--per-category" => o.per_category = number("--per-category"),
            "--empty" => o.empty = number("--empty"),
            "--repeat" => o.repeat = number("--repeat").max(1),
            "--no-corpus" => o.corpus = false,
            "--no-streams" => o.streams = false,
            "--dump" => o.dump = Some(args.next().expect("--dump needs a folder").into()),
            other => panic!("unknown argument {other} (see the doc comment of qr_report)"),
        }
    }
    o
}

/// The decoders compared.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
enum Decoder {
    Tigr,
    Zbar,
}

impl Decoder {
    fn name(self) -> &'static str {
        match self {
            Decoder::Tigr => "tigr-core",
            Decoder::Zbar => "zbar",
        }
    }
}

/// What one decoder made of one frame.
#[derive(Debug, Clone, Copy)]
struct Outcome {
    read: bool,
    misread: bool,
    time: Duration,
}

/// What a decoder is given.
enum Input<'a> {
    /// A camera frame (luma), as the app passes it.
    Frame(&'a [u8]),
    /// A still image: tigr-core decodes the encoded file as the phone tool does (the PNG
    /// decoding counts in its time), zbar gets its luma.
    Still { luma: &'a [u8], encoded: &'a [u8] },
}

struct Decoders {
    zbar: Option<Zbar>,
    repeat: usize,
}

impl Decoders {
    fn list(&self) -> Vec<Decoder> {
        let mut list = vec![Decoder::Tigr];
        if self.zbar.is_some() {
            list.push(Decoder::Zbar);
        }
        list
    }

    fn decode_once(
        &mut self,
        decoder: Decoder,
        input: &Input<'_>,
        w: usize,
        h: usize,
    ) -> Vec<Vec<u8>> {
        let codes = match (decoder, input) {
            (Decoder::Zbar, Input::Frame(luma) | Input::Still { luma, .. }) => {
                return self.zbar.as_mut().expect("loaded").decode(luma, w, h);
            }
            (Decoder::Tigr, Input::Frame(luma)) => {
                tigr_core::qr::decode_luma(luma, w as u32, h as u32, w as u32)
            }
            (Decoder::Tigr, Input::Still { encoded, .. }) => {
                tigr_core::qr::decode_image_bytes(encoded)
            }
        };
        codes
            .expect("valid image")
            .into_iter()
            .map(|code| code.bytes)
            .collect()
    }

    /// Decodes with every decoder, `repeat` times each, alternating which goes first.
    fn decode(
        &mut self,
        input: &Input<'_>,
        w: usize,
        h: usize,
        expected: Option<&[u8]>,
        accept: &dyn Fn(&[u8], &[u8]) -> bool,
    ) -> BTreeMap<Decoder, Outcome> {
        let list = self.list();
        let mut times: BTreeMap<Decoder, Vec<Duration>> = BTreeMap::new();
        let mut found: BTreeMap<Decoder, Vec<Vec<u8>>> = BTreeMap::new();
        for run in 0..self.repeat {
            for k in 0..list.len() {
                let decoder = list[(k + run) % list.len()];
                let start = cpu::thread_time();
                let payloads = self.decode_once(decoder, input, w, h);
                times
                    .entry(decoder)
                    .or_default()
                    .push(cpu::thread_time() - start);
                found.insert(decoder, payloads);
            }
        }
        list.into_iter()
            .map(|d| {
                let payloads = &found[&d];
                let read = expected.is_some_and(|e| payloads.iter().any(|p| accept(p, e)));
                let misread = payloads
                    .iter()
                    .any(|p| expected.is_none_or(|e| !accept(p, e)));
                let mut t = times.remove(&d).unwrap_or_default();
                t.sort();
                (
                    d,
                    Outcome {
                        read,
                        misread,
                        time: t[t.len() / 2],
                    },
                )
            })
            .collect()
    }
}

fn exact(found: &[u8], expected: &[u8]) -> bool {
    found == expected
}

fn ms(d: Duration) -> f64 {
    d.as_secs_f64() * 1000.0
}

/// The `q`-quantile (nearest rank) of sorted durations, in ms.
fn quantile(sorted: &[Duration], q: f64) -> f64 {
    if sorted.is_empty() {
        return f64::NAN;
    }
    let rank = ((q * sorted.len() as f64).ceil() as usize).clamp(1, sorted.len());
    ms(sorted[rank - 1])
}

fn main() {
    let o = options();
    let zbar = match Zbar::load() {
        Ok(z) => Some(z),
        Err(e) => {
            eprintln!("zbar not available ({e}): measuring tigr-core alone");
            None
        }
    };
    let mut decoders = Decoders {
        zbar,
        repeat: o.repeat,
    };
    println!(
        "qr_report: {} frames per category, {} without a code, median of {} runs per frame",
        o.per_category, o.empty, o.repeat
    );
    generated(&mut decoders, &o);
    if o.corpus {
        corpus(&mut decoders);
    }
    if o.streams {
        streams(&mut decoders);
    }
}

/// Frames of a category, and reads and misreads per decoder.
type CategoryCounts = (usize, BTreeMap<Decoder, (usize, usize)>);

/// The generated frames: read rate per category, time percentiles per frame size.
fn generated(decoders: &mut Decoders, o: &Options) {
    let list = decoders.list();
    let set = camera::data_set(o.per_category, o.empty);
    let mut per_category: BTreeMap<Category, CategoryCounts> = BTreeMap::new();
    // Per decoder, size and "with code": times.
    let mut times: BTreeMap<(Decoder, usize, bool), Vec<Duration>> = BTreeMap::new();
    let mut missed: BTreeMap<Decoder, Vec<String>> = BTreeMap::new();
    for (i, Sample { category, scene }) in set.iter().enumerate() {
        let frame = camera::render(scene);
        let (w, h) = (scene.width, scene.height);
        if let Some(dir) = &o.dump {
            let name = format!("{i:03}-{}.png", category.name().replace([' ', ','], "_"));
            image::GrayImage::from_raw(w as u32, h as u32, frame.clone())
                .expect("size matches")
                .save(dir.join(name))
                .expect("write PNG");
        }
        let expected = scene.payload.as_deref().map(str::as_bytes);
        let outcomes = decoders.decode(&Input::Frame(&frame), w, h, expected, &exact);
        let entry = per_category.entry(*category).or_default();
        entry.0 += 1;
        for (&d, outcome) in &outcomes {
            let counts = entry.1.entry(d).or_default();
            counts.0 += usize::from(outcome.read);
            counts.1 += usize::from(outcome.misread);
            if expected.is_some() && !outcome.read {
                missed.entry(d).or_default().push(format!("{i}"));
            }
            times
                .entry((d, w, expected.is_some()))
                .or_default()
                .push(outcome.time);
        }
    }

    println!("\n## Generated frames: frames read (misreads)\n");
    let header: Vec<&str> = list.iter().map(|d| d.name()).collect();
    println!("| category | frames | {} |", header.join(" | "));
    println!("|---|---|{}", "---|".repeat(list.len()));
    let mut totals: BTreeMap<Decoder, (usize, usize)> = BTreeMap::new();
    let mut total_frames = 0;
    for (category, (frames, counts)) in &per_category {
        let cells: Vec<String> = list
            .iter()
            .map(|d| {
                let (read, misread) = counts.get(d).copied().unwrap_or_default();
                let t = totals.entry(*d).or_default();
                t.1 += misread;
                if *category == Category::Empty {
                    format!("{} with a code", misread)
                } else {
                    t.0 += read;
                    format!("{read} ({misread})")
                }
            })
            .collect();
        if *category != Category::Empty {
            total_frames += frames;
        }
        println!("| {} | {frames} | {} |", category.name(), cells.join(" | "));
    }
    let cells: Vec<String> = list
        .iter()
        .map(|d| {
            let (read, misread) = totals.get(d).copied().unwrap_or_default();
            format!(
                "**{read}** ({:.0} %), {misread} misread",
                100.0 * read as f64 / total_frames.max(1) as f64
            )
        })
        .collect();
    println!(
        "| all with a code | {total_frames} | {} |",
        cells.join(" | ")
    );

    println!("\n## Generated frames: decoding time, ms\n");
    println!("| decoder | size | frames with a code: median / p90 / max | without: median / max |");
    println!("|---|---|---|---|");
    for &d in &list {
        for (w, h) in camera::SIZES {
            let mut with = times.remove(&(d, w, true)).unwrap_or_default();
            let mut without = times.remove(&(d, w, false)).unwrap_or_default();
            with.sort();
            without.sort();
            println!(
                "| {} | {w}x{h} | {:.1} / {:.1} / {:.1} | {:.1} / {:.1} |",
                d.name(),
                quantile(&with, 0.5),
                quantile(&with, 0.9),
                quantile(&with, 1.0),
                quantile(&without, 0.5),
                quantile(&without, 1.0),
            );
        }
    }
    for (d, frames) in &missed {
        println!("\n{} missed frames: {}", d.name(), frames.join(" "));
    }
}

/// The zxing photo corpus: images read per decoder.
fn corpus(decoders: &mut Decoders) {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/data/qr-corpus");
    let mut images: Vec<PathBuf> = Vec::new();
    for n in 1..=6 {
        let dir = root.join(format!("qrcode-{n}"));
        let Ok(entries) = std::fs::read_dir(&dir) else {
            continue;
        };
        images.extend(
            entries
                .filter_map(Result::ok)
                .map(|e| e.path())
                .filter(|p| p.extension().is_some_and(|x| x == "png")),
        );
    }
    images.sort();
    let list = decoders.list();
    let mut read: BTreeMap<Decoder, usize> = BTreeMap::new();
    let mut misread: BTreeMap<Decoder, usize> = BTreeMap::new();
    let mut times: BTreeMap<Decoder, Vec<Duration>> = BTreeMap::new();
    for path in &images {
        let expected = std::fs::read(path.with_extension("txt")).expect("expected text");
        let encoded = std::fs::read(path).expect("corpus image");
        let img = image::load_from_memory(&encoded)
            .expect("corpus image")
            .to_luma8();
        let (w, h) = (img.width() as usize, img.height() as usize);
        // The corpus stores UTF-8 text; some codes carry Shift_JIS, which neither decoder
        // converts the same way: compare text after dropping what is not ASCII.
        let accept = |found: &[u8], expected: &[u8]| {
            let ascii = |b: &[u8]| -> Vec<u8> { b.iter().copied().filter(u8::is_ascii).collect() };
            found == expected || (!expected.is_ascii() && ascii(found) == ascii(expected))
        };
        let input = Input::Still {
            luma: img.as_raw(),
            encoded: &encoded,
        };
        let outcomes = decoders.decode(&input, w, h, Some(&expected), &accept);
        for (d, outcome) in outcomes {
            *read.entry(d).or_default() += usize::from(outcome.read);
            *misread.entry(d).or_default() += usize::from(outcome.misread);
            times.entry(d).or_default().push(outcome.time);
        }
    }
    println!("\n## zxing photo corpus ({} images)\n", images.len());
    println!("| decoder | read | misread | time median / p90 / max, ms |");
    println!("|---|---|---|---|");
    for d in list {
        let mut t = times.remove(&d).unwrap_or_default();
        t.sort();
        println!(
            "| {} | {} | {} | {:.1} / {:.1} / {:.1} |",
            d.name(),
            read.get(&d).copied().unwrap_or_default(),
            misread.get(&d).copied().unwrap_or_default(),
            quantile(&t, 0.5),
            quantile(&t, 0.9),
            quantile(&t, 1.0)
        );
    }
}

/// Short sequences: frames (and decoding time) until the first read.
fn streams(decoders: &mut Decoders) {
    let list = decoders.list();
    let header: Vec<&str> = list.iter().map(|d| d.name()).collect();
    println!("\n## Streams: frames until the first read (decoding time spent until then, ms)\n");
    println!("| sequence | frames | {} |", header.join(" | "));
    println!("|---|---|{}", "---|".repeat(list.len()));
    for stream in camera::streams(15, 0x5717) {
        let frames: Vec<(Vec<u8>, &camera::Scene)> = stream
            .frames
            .iter()
            .map(|s| (camera::render(s), s))
            .collect();
        let mut first: BTreeMap<Decoder, (Option<usize>, Duration)> = BTreeMap::new();
        for (i, (luma, scene)) in frames.iter().enumerate() {
            let expected = scene.payload.as_deref().map(str::as_bytes);
            let input = Input::Frame(luma);
            let outcomes = decoders.decode(&input, scene.width, scene.height, expected, &exact);
            for (d, outcome) in outcomes {
                let entry = first.entry(d).or_insert((None, Duration::ZERO));
                if entry.0.is_none() {
                    entry.1 += outcome.time;
                    if outcome.read {
                        entry.0 = Some(i + 1);
                    }
                }
                assert!(!outcome.misread, "{} misread a stream frame", d.name());
            }
        }
        let cells: Vec<String> = list
            .iter()
            .map(|d| match first.get(d) {
                Some((Some(n), t)) => format!("{n} ({:.0})", ms(*t)),
                Some((None, t)) => format!("never ({:.0})", ms(*t)),
                None => "-".into(),
            })
            .collect();
        println!(
            "| {} | {} | {} |",
            stream.name,
            frames.len(),
            cells.join(" | ")
        );
    }
}
