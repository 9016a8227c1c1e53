//! QR decoding speed: a real 640x480 phone photo, a synthetic 1280x720 camera frame, and
//! frames without a code (every retry strategy runs).
//!
//! `cargo bench -p tigr-core --bench qr`; the photo comes from the corpus in
//! `core/tests/data/qr-corpus`.

use std::hint::black_box;
use std::path::Path;

use criterion::{Criterion, criterion_group, criterion_main};
use tigr_core::qr::decode_luma;

/// Deterministic noise source (LCG).
struct Lcg(u32);

impl Lcg {
    fn next_u8(&mut self) -> u8 {
        self.0 = self.0.wrapping_mul(1_664_525).wrapping_add(1_013_904_223);
        (self.0 >> 24) as u8
    }
}

/// Corpus photo qrcode-1/1.png (640x480) as tight luma.
fn corpus_frame() -> (Vec<u8>, u32, u32) {
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/data/qr-corpus/qrcode-1/1.png");
    let img = image::open(&path)
        .unwrap_or_else(|e| panic!("cannot open {}: {e}", path.display()))
        .to_luma8();
    let (w, h) = img.dimensions();
    (img.into_raw(), w, h)
}

/// A 1280x720 camera-like frame, rows padded to 1344 bytes: a login-sized code (6 px modules,
/// rotated 12 degrees, moderate contrast) on a graded background, with sensor noise. Without
/// `payload`, the same scene with no code.
fn camera_frame(payload: Option<&[u8]>) -> (Vec<u8>, u32, u32, u32) {
    let (w, h, stride) = (1280usize, 720usize, 1344usize);
    let code = payload.map(|p| qrcode::QrCode::new(p).expect("payload fits a QR code"));
    let n = code.as_ref().map_or(0, |c| c.width() as isize);
    let colors = code.as_ref().map(|c| c.to_colors()).unwrap_or_default();
    let (module, (sin, cos)) = (6.0f64, 12.0f64.to_radians().sin_cos());
    let mut rng = Lcg(7);
    let mut frame = vec![0u8; stride * h];
    for y in 0..h {
        for x in 0..w {
            let (dx, dy) = (
                x as f64 + 0.5 - w as f64 / 2.0,
                y as f64 + 0.5 - h as f64 / 2.0,
            );
            let u = ((dx * cos + dy * sin) / module + n as f64 / 2.0).floor() as isize;
            let v = ((-dx * sin + dy * cos) / module + n as f64 / 2.0).floor() as isize;
            let base: i32 = if n > 0 && (-4..n + 4).contains(&u) && (-4..n + 4).contains(&v) {
                let inside = (0..n).contains(&u) && (0..n).contains(&v);
                if inside && colors[(v * n + u) as usize] == qrcode::Color::Dark {
                    60
                } else {
                    190
                }
            } else {
                70 + (x * 60 / w) as i32 + (y * 30 / h) as i32
            };
            let jitter = i32::from(rng.next_u8() % 17) - 8;
            frame[y * stride + x] = (base + jitter).clamp(0, 255) as u8;
        }
    }
    (frame, w as u32, h as u32, stride as u32)
}

/// Top-left 640x480 of [`camera_frame`] without a code, as tight rows.
fn empty_scene() -> Vec<u8> {
    let (frame, _, _, stride) = camera_frame(None);
    (0..480)
        .flat_map(|y| {
            frame[y * stride as usize..y * stride as usize + 640]
                .iter()
                .copied()
        })
        .collect()
}

fn bench_qr(c: &mut Criterion) {
    let (photo, w, h) = corpus_frame();
    assert!(
        !decode_luma(&photo, w, h, w)
            .expect("valid frame")
            .is_empty(),
        "corpus photo must decode"
    );
    c.bench_function("qr decode 640x480 photo", |b| {
        b.iter(|| decode_luma(black_box(&photo), w, h, w))
    });

    let payload = b"tigr://login?c=3q2-7Xb_e1Qm9Zp0&s=https%3A%2F%2Fauth.example.com%2Fv1";
    let (frame, w, h, stride) = camera_frame(Some(payload));
    assert!(
        !decode_luma(&frame, w, h, stride)
            .expect("valid frame")
            .is_empty(),
        "synthetic frame must decode"
    );
    c.bench_function("qr decode 1280x720 synthetic", |b| {
        b.iter(|| decode_luma(black_box(&frame), w, h, stride))
    });

    // No code: every strategy runs. A plain scene is the common case while the camera is
    // being aimed; random noise yields the most candidate blobs and is the slowest input.
    let scene = empty_scene();
    c.bench_function("qr no code 640x480 scene", |b| {
        b.iter(|| decode_luma(black_box(&scene), 640, 480, 640))
    });
    let mut rng = Lcg(42);
    let noise: Vec<u8> = (0..640 * 480).map(|_| rng.next_u8()).collect();
    c.bench_function("qr no code 640x480 noise", |b| {
        b.iter(|| decode_luma(black_box(&noise), 640, 480, 640))
    });
}

criterion_group! {
    name = benches;
    config = Criterion::default().sample_size(30);
    targets = bench_qr
}
criterion_main!(benches);
