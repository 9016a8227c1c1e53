//! QR decoding of camera-like frames generated deterministically: a real login payload
//! (version 6, level M, as servers emit) rendered with the `qrcode` crate, then placed in a
//! 640x480 or 1280x720 scene with a lit background, vignetting and sensor noise, and degraded
//! as a hand-held phone degrades it: defocus blur, a 15 degree roll, low contrast (a dim screen
//! seen at an angle), and all of these at once with a slight perspective.
//!
//! Every frame is built from a fixed seed, checked to decode to the exact payload, and only
//! then timed. Run: `cargo bench -p tigr-core --bench frames`.

use std::hint::black_box;

use criterion::{Criterion, criterion_group, criterion_main};
use tigr_core::qr::decode_luma;

/// A login payload of the usual size (30-character host, ~100 bytes).
const PAYLOAD: &str = "https://auth.esea-na.fr/t/1/L/KRSXG5CJIRJUKQ2SIVKC2MJRGE/MFRGGZDFMZTWQ2LKNNWG23TPOA/1795000120";

/// Deterministic noise (LCG), approximately Gaussian by summing four uniforms.
struct Lcg(u32);

impl Lcg {
    fn next_unit(&mut self) -> f32 {
        self.0 = self.0.wrapping_mul(1_664_525).wrapping_add(1_013_904_223);
        (self.0 >> 8) as f32 / (1u32 << 24) as f32
    }

    /// Roughly N(0, 1).
    fn gaussian(&mut self) -> f32 {
        let sum: f32 = (0..4).map(|_| self.next_unit()).sum();
        (sum - 2.0) * (3.0f32).sqrt()
    }
}

/// How a frame is shot.
#[derive(Debug, Clone, Copy)]
struct Shot {
    width: usize,
    height: usize,
    /// Pixels per module at the code's centre.
    module: f32,
    /// Roll, degrees.
    angle: f32,
    /// Luma of dark and light modules before vignetting.
    dark: f32,
    light: f32,
    /// Standard deviation of the Gaussian blur, pixels (0 = sharp).
    blur: f32,
    /// Sensor noise, luma units (standard deviation).
    noise: f32,
    /// Keystone: relative change of scale from the top to the bottom of the code.
    keystone: f32,
    seed: u32,
}

impl Shot {
    fn clean(width: usize, height: usize, module: f32) -> Self {
        Self {
            width,
            height,
            module,
            angle: 0.0,
            dark: 35.0,
            light: 215.0,
            blur: 0.6,
            noise: 3.0,
            keystone: 0.0,
            seed: 7,
        }
    }
}

/// The code's modules (true = dark), `n` x `n`.
fn modules() -> (Vec<bool>, usize) {
    let code = qrcode::QrCode::with_error_correction_level(PAYLOAD, qrcode::EcLevel::M)
        .expect("payload fits a QR code");
    let n = code.width();
    let dark = code
        .to_colors()
        .into_iter()
        .map(|c| c == qrcode::Color::Dark)
        .collect();
    (dark, n)
}

/// Renders the frame (tight rows, luma).
fn render(shot: Shot) -> Vec<u8> {
    let (dark, n) = modules();
    let (w, h) = (shot.width, shot.height);
    let (cx, cy) = (
        w as f32 / 2.0 + 0.37 * w as f32 / 20.0,
        h as f32 / 2.0 - 3.3,
    );
    let (sin, cos) = shot.angle.to_radians().sin_cos();
    let half = n as f32 / 2.0;
    let code_px = n as f32 * shot.module;
    // 3x3 supersampling gives anti-aliased module edges, as optics do.
    const SS: usize = 3;
    let mut img = vec![0f32; w * h];
    for y in 0..h {
        for x in 0..w {
            let mut acc = 0.0;
            for sy in 0..SS {
                for sx in 0..SS {
                    let px = x as f32 + (sx as f32 + 0.5) / SS as f32 - cx;
                    let py = y as f32 + (sy as f32 + 0.5) / SS as f32 - cy;
                    // Undo the roll, then the keystone (scale grows toward the bottom).
                    let rx = px * cos + py * sin;
                    let ry = -px * sin + py * cos;
                    let scale = 1.0 + shot.keystone * (ry / code_px);
                    let u = rx / (shot.module * scale) + half;
                    let v = ry / (shot.module * scale) + half;
                    acc += scene_luma(&dark, n, u, v, x, y, w, h, shot);
                }
            }
            img[y * w + x] = acc / (SS * SS) as f32;
        }
    }
    if shot.blur > 0.0 {
        gaussian_blur(&mut img, w, h, shot.blur);
    }
    let mut rng = Lcg(shot.seed);
    img.iter()
        .enumerate()
        .map(|(i, v)| {
            let (x, y) = ((i % w) as f32, (i / w) as f32);
            // Vignetting: corners get ~25 % less light.
            let (dx, dy) = (x / w as f32 - 0.5, y / h as f32 - 0.5);
            let vignette = 1.0 - 0.5 * (dx * dx + dy * dy);
            (v * vignette + rng.gaussian() * shot.noise)
                .round()
                .clamp(0.0, 255.0) as u8
        })
        .collect()
}

/// Luma of one sample: code modules, its quiet zone, the screen around it, the desk beyond.
#[allow(clippy::too_many_arguments)]
fn scene_luma(
    dark: &[bool],
    n: usize,
    u: f32,
    v: f32,
    x: usize,
    y: usize,
    w: usize,
    h: usize,
    shot: Shot,
) -> f32 {
    let nf = n as f32;
    if (0.0..nf).contains(&u) && (0.0..nf).contains(&v) {
        return if dark[v as usize * n + u as usize] {
            shot.dark
        } else {
            shot.light
        };
    }
    // Quiet zone of 4 modules, then a white page of 12 more, then the desk.
    let margin = (-u).max(u - nf).max(-v).max(v - nf);
    if margin < 16.0 {
        return shot.light;
    }
    // Desk: gradient plus a low-frequency wood-like texture and some printed text rows.
    let (xf, yf) = (x as f32 / w as f32, y as f32 / h as f32);
    let grain = (xf * 37.0 + (yf * 5.0).sin() * 3.0).sin() * 12.0;
    let text_rows = if (y / 9).is_multiple_of(3) && !(x / 5).is_multiple_of(7) && xf < 0.3 {
        -60.0
    } else {
        0.0
    };
    90.0 + 50.0 * xf + 25.0 * yf + grain + text_rows
}

/// Separable Gaussian blur (kernel cut at 3 sigma, edges clamped).
fn gaussian_blur(img: &mut [f32], w: usize, h: usize, sigma: f32) {
    let radius = (sigma * 3.0).ceil() as isize;
    let kernel: Vec<f32> = (-radius..=radius)
        .map(|i| (-(i * i) as f32 / (2.0 * sigma * sigma)).exp())
        .collect();
    let total: f32 = kernel.iter().sum();
    let kernel: Vec<f32> = kernel.iter().map(|k| k / total).collect();
    let mut tmp = vec![0f32; w * h];
    for y in 0..h {
        for x in 0..w {
            tmp[y * w + x] = kernel
                .iter()
                .enumerate()
                .map(|(k, weight)| {
                    let xx = (x as isize + k as isize - radius).clamp(0, w as isize - 1) as usize;
                    img[y * w + xx] * weight
                })
                .sum();
        }
    }
    for y in 0..h {
        for x in 0..w {
            img[y * w + x] = kernel
                .iter()
                .enumerate()
                .map(|(k, weight)| {
                    let yy = (y as isize + k as isize - radius).clamp(0, h as isize - 1) as usize;
                    tmp[yy * w + x] * weight
                })
                .sum();
        }
    }
}

/// The benchmarked variants of one frame size.
fn variants(width: usize, height: usize, module: f32) -> Vec<(&'static str, Shot)> {
    let clean = Shot::clean(width, height, module);
    vec![
        ("clean", clean),
        (
            "blurred",
            Shot {
                blur: module * 0.33,
                ..clean
            },
        ),
        (
            "rotated 15deg",
            Shot {
                angle: 15.0,
                ..clean
            },
        ),
        (
            "low contrast",
            Shot {
                dark: 105.0,
                light: 150.0,
                ..clean
            },
        ),
        (
            "hard (all + keystone)",
            Shot {
                angle: 15.0,
                blur: module * 0.2,
                dark: 95.0,
                light: 160.0,
                noise: 4.0,
                keystone: 0.1,
                seed: 11,
                ..clean
            },
        ),
    ]
}

fn bench_frames(c: &mut Criterion) {
    dump_frames();
    // A phone held ~25 cm from a screen: the code spans about half of the frame's height.
    for (width, height, module) in [(640usize, 480usize, 4.5f32), (1280, 720, 7.0)] {
        let mut group = c.benchmark_group(format!("frames {width}x{height}"));
        group.sample_size(20);
        for (name, shot) in variants(width, height, module) {
            let frame = render(shot);
            let (w, h) = (width as u32, height as u32);
            let found = decode_luma(&frame, w, h, w).expect("valid frame");
            assert!(
                found.iter().any(|qr| qr.text == PAYLOAD),
                "{width}x{height} {name}: the frame must decode to the payload (got {found:?})"
            );
            group.bench_function(name, |b| b.iter(|| decode_luma(black_box(&frame), w, h, w)));
        }
        group.finish();
    }
}

criterion_group!(benches, bench_frames);
criterion_main!(benches);

/// Writes the frames as PNG files when `TIGR_FRAMES_DUMP` names a folder, to look at them.
fn dump_frames() {
    if let Ok(dir) = std::env::var("TIGR_FRAMES_DUMP") {
        for (width, height, module) in [(640usize, 480usize, 4.5f32), (1280, 720, 7.0)] {
            for (name, shot) in variants(width, height, module) {
                let frame = render(shot);
                let img = image::GrayImage::from_raw(width as u32, height as u32, frame)
                    .expect("size matches");
                let file = format!("{dir}/{width}x{height}-{}.png", name.replace(' ', "_"));
                img.save(&file).expect("write PNG");
            }
        }
    }
}
