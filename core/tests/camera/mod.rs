//! Camera-like frames of Tigr codes, generated deterministically.
//!
//! A frame is a [`Scene`]: a code rendered by the `qrcode` crate exactly as the server renders
//! it (level M), on a surface (a screen, a printed invitation, a terminal), placed in 3D in
//! front of a pinhole camera, over a desk with objects and printed text, then degraded the
//! way a phone camera degrades it. Every effect is one field of [`Scene`], so a frame can be
//! rebuilt from its parameters; [`data_set`] draws those parameters from a fixed seed, one
//! [`Category`] at a time, with the category's effect growing from mild to severe.
//!
//! Shared by the decoding tests (`tests/qr_generated.rs`), the benchmarks (`benches/frames.rs`)
//! and the report tool (`examples/qr_report`).

#![allow(dead_code)] // each user of this module uses part of it

use std::f32::consts::PI;

/// Small, fast, deterministic generator (SplitMix64).
#[derive(Debug, Clone)]
pub struct Rng(u64);

impl Rng {
    pub fn new(seed: u64) -> Self {
        Rng(seed)
    }

    pub fn next_u64(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9e37_79b9_7f4a_7c15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
        z ^ (z >> 31)
    }

    /// Uniform in `[0, 1)`.
    pub fn unit(&mut self) -> f32 {
        (self.next_u64() >> 40) as f32 / (1u64 << 24) as f32
    }

    /// Uniform in `[lo, hi)`.
    pub fn range(&mut self, lo: f32, hi: f32) -> f32 {
        lo + (hi - lo) * self.unit()
    }

    /// `-1.0` or `1.0`.
    pub fn sign(&mut self) -> f32 {
        if self.next_u64() & 1 == 0 { -1.0 } else { 1.0 }
    }

    /// Approximately N(0, 1) (sum of four uniforms).
    pub fn gaussian(&mut self) -> f32 {
        let sum: f32 = (0..4).map(|_| self.unit()).sum();
        (sum - 2.0) * 3.0f32.sqrt()
    }
}

/// What the code is printed or shown on.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Surface {
    /// A computer screen: the code with its quiet zone on a white page, inside a dark bezel.
    Screen,
    /// A printed invitation: matte paper with fibres, curled by `curl` modules at its middle,
    /// and a shadow falling across it (0 = none, 1 = black at the far edge).
    Paper { curl: f32, shadow: f32 },
    /// The server's terminal rendering (Unicode half blocks, each character one module wide
    /// and two tall): light modules are drawn as glyphs, so a dark-theme terminal shows a
    /// normal code and a light-theme terminal an inverted one (light modules dark, dark
    /// quiet zone). `line_gap` is the part of each text line left blank between lines.
    Terminal { light_theme: bool, line_gap: f32 },
}

/// Every parameter of one frame. Luma values are scene radiance in 0..255 before exposure.
#[derive(Debug, Clone)]
pub struct Scene {
    pub width: usize,
    pub height: usize,
    /// The encoded text; `None` for a frame without a code.
    pub payload: Option<String>,
    /// Pixels per module at the code's centre.
    pub module: f32,
    /// Code centre, as a fraction of the frame's width and height.
    pub center: (f32, f32),
    /// Rotation in the image plane, then tilt about the vertical and horizontal axes, degrees.
    pub roll: f32,
    pub yaw: f32,
    pub pitch: f32,
    pub surface: Surface,
    /// Luma of dark and light modules.
    pub ink: f32,
    pub paper: f32,
    /// Contrast of the screen's pixel grid (0 = none), point-sampled by the sensor so that it
    /// aliases into moiré bands; `moire_pitch` is the grid's pitch in frame pixels.
    pub moire: f32,
    pub moire_pitch: f32,
    /// Specular reflection: peak luma added, radius in modules, centre relative to the code's
    /// centre in modules.
    pub glare: f32,
    pub glare_radius: f32,
    pub glare_at: (f32, f32),
    /// Defocus: standard deviation of the Gaussian blur, pixels.
    pub defocus: f32,
    /// Motion blur: length in pixels and direction in degrees.
    pub motion: f32,
    pub motion_angle: f32,
    /// Exposure gain (1 = normal, below = dark room, above = over-exposed) and veiling flare
    /// added before the sensor clips.
    pub exposure: f32,
    pub flare: f32,
    /// Sensor read noise (standard deviation, luma); shot noise is added on top.
    pub noise: f32,
    /// Seed of the background, the textures and the noise.
    pub seed: u64,
}

impl Scene {
    /// A sharp, well-exposed screen code, square to the camera, 5 px modules.
    pub fn clean(width: usize, height: usize, payload: Option<String>) -> Self {
        Scene {
            width,
            height,
            payload,
            module: 5.0,
            center: (0.5, 0.5),
            roll: 0.0,
            yaw: 0.0,
            pitch: 0.0,
            surface: Surface::Screen,
            ink: 30.0,
            paper: 220.0,
            moire: 0.0,
            moire_pitch: 1.0,
            glare: 0.0,
            glare_radius: 4.0,
            glare_at: (0.0, 0.0),
            defocus: 0.5,
            motion: 0.0,
            motion_angle: 0.0,
            exposure: 1.0,
            flare: 0.0,
            noise: 2.5,
            seed: 1,
        }
    }
}

/// Kinds of frames in the data set, one effect each (on top of a small random roll, tilt,
/// noise and vignetting common to all), plus frames without a code.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Category {
    Clean,
    Perspective,
    Moire,
    Glare,
    Defocus,
    Motion,
    Dark,
    Overexposed,
    Small,
    Paper,
    TerminalDark,
    TerminalLight,
    Empty,
}

impl Category {
    pub const ALL: [Category; 13] = [
        Category::Clean,
        Category::Perspective,
        Category::Moire,
        Category::Glare,
        Category::Defocus,
        Category::Motion,
        Category::Dark,
        Category::Overexposed,
        Category::Small,
        Category::Paper,
        Category::TerminalDark,
        Category::TerminalLight,
        Category::Empty,
    ];

    pub fn name(self) -> &'static str {
        match self {
            Category::Clean => "clean",
            Category::Perspective => "perspective",
            Category::Moire => "moire",
            Category::Glare => "glare",
            Category::Defocus => "defocus",
            Category::Motion => "motion blur",
            Category::Dark => "dark room",
            Category::Overexposed => "over-exposed",
            Category::Small => "small, far",
            Category::Paper => "paper",
            Category::TerminalDark => "terminal, dark theme",
            Category::TerminalLight => "terminal, light theme",
            Category::Empty => "no code",
        }
    }
}

/// One frame of the data set.
#[derive(Debug, Clone)]
pub struct Sample {
    pub category: Category,
    pub scene: Scene,
}

/// The two frame sizes phones stream for scanning.
pub const SIZES: [(usize, usize); 2] = [(640, 480), (1280, 720)];

/// A Tigr payload as the server emits it: login codes (about 100 bytes) and enrollment codes
/// (about 60), on hosts of various lengths, https or tigr:// form.
pub fn payload(rng: &mut Rng) -> String {
    const HOSTS: [&str; 4] = [
        "auth.chu-exemple.fr",
        "tigr.ght-sud-ouest.sante.fr",
        "mfa.clinique.fr",
        "auth.esea-na.fr:8443",
    ];
    let host = HOSTS[(rng.next_u64() % HOSTS.len() as u64) as usize];
    let mut id = || -> String {
        (0..26)
            .map(|_| b"ABCDEFGHIJKLMNOPQRSTUVWXYZ234567"[(rng.next_u64() % 32) as usize] as char)
            .collect()
    };
    let (a, b) = (id(), id());
    let scheme = if rng.next_u64().is_multiple_of(4) {
        "tigr"
    } else {
        "https"
    };
    if rng.next_u64().is_multiple_of(3) {
        format!("{scheme}://{host}/t/1/E/{a}")
    } else {
        let expiry = 1_795_000_000 + rng.next_u64() % 1_000_000;
        format!("{scheme}://{host}/t/1/L/{a}/{b}/{expiry}")
    }
}

/// The data set: `per_category` frames of each category with a code (sizes alternating,
/// the category's effect growing from the first frame to the last) and `empty` frames without
/// a code. The same arguments always give the same frames.
pub fn data_set(per_category: usize, empty: usize) -> Vec<Sample> {
    let mut out = Vec::new();
    for (c, &category) in Category::ALL.iter().enumerate() {
        let count = if category == Category::Empty {
            empty
        } else {
            per_category
        };
        for i in 0..count {
            let t = if count > 1 {
                i as f32 / (count - 1) as f32
            } else {
                0.5
            };
            let (width, height) = SIZES[i % 2];
            let seed = 0x7169_7200 + (c as u64) * 1000 + i as u64;
            out.push(Sample {
                category,
                scene: scene(category, width, height, t, seed),
            });
        }
    }
    out
}

/// The scene of one frame of `category` at severity `t` (0 = mild, 1 = severe).
pub fn scene(category: Category, width: usize, height: usize, t: f32, seed: u64) -> Scene {
    let mut rng = Rng::new(seed);
    let payload = (category != Category::Empty).then(|| payload(&mut rng));
    // A phone held so that the code fills 30 to 60 % of the frame's height.
    let n = 41.0; // modules of a login code (version 6), quiet zone excluded
    let fill = rng.range(0.3, 0.6);
    let mut s = Scene::clean(width, height, payload);
    s.module = fill * height as f32 / n;
    s.center = (rng.range(0.35, 0.65), rng.range(0.38, 0.62));
    s.roll = rng.range(-25.0, 25.0);
    s.yaw = rng.range(-12.0, 12.0);
    s.pitch = rng.range(-12.0, 12.0);
    s.ink = rng.range(20.0, 50.0);
    s.paper = rng.range(195.0, 235.0);
    s.defocus = rng.range(0.3, 0.7);
    s.noise = rng.range(1.5, 3.5);
    s.seed = rng.next_u64();
    let lerp = |lo: f32, hi: f32| lo + (hi - lo) * t;
    match category {
        Category::Clean | Category::Empty => {}
        Category::Perspective => {
            let tilt = lerp(25.0, 60.0);
            let share = rng.range(0.0, 1.0);
            s.yaw = rng.sign() * tilt * share.sqrt();
            s.pitch = rng.sign() * tilt * (1.0 - share).sqrt();
        }
        Category::Moire => {
            s.moire = lerp(0.25, 0.75);
            s.moire_pitch = rng.range(0.8, 1.5);
        }
        Category::Glare => {
            s.glare = lerp(120.0, 320.0);
            s.glare_radius = lerp(3.0, 8.0);
            s.glare_at = (rng.range(-10.0, 10.0), rng.range(-10.0, 10.0));
        }
        Category::Defocus => s.defocus = s.module * lerp(0.3, 0.8),
        Category::Motion => {
            s.motion = s.module * lerp(0.6, 2.2);
            s.motion_angle = rng.range(0.0, 180.0);
        }
        Category::Dark => {
            s.exposure = lerp(0.35, 0.1);
            s.noise = lerp(3.0, 6.0);
        }
        Category::Overexposed => {
            s.exposure = lerp(1.4, 3.5);
            s.flare = lerp(10.0, 80.0);
        }
        Category::Small => s.module = lerp(3.2, 1.6),
        Category::Paper => {
            s.surface = Surface::Paper {
                curl: lerp(0.0, 2.0),
                shadow: lerp(0.0, 0.6),
            };
            s.ink = rng.range(35.0, 75.0);
            s.paper = rng.range(180.0, 225.0);
            s.yaw = rng.sign() * lerp(5.0, 30.0);
            s.defocus = s.module * lerp(0.1, 0.35);
        }
        Category::TerminalDark | Category::TerminalLight => {
            s.surface = Surface::Terminal {
                light_theme: category == Category::TerminalLight,
                line_gap: lerp(0.0, 0.15),
            };
            s.moire = lerp(0.0, 0.4);
            s.moire_pitch = rng.range(0.8, 1.5);
        }
    }
    s
}

/// The code's modules, `n` x `n`, `true` = dark.
pub fn modules(text: &str) -> (Vec<bool>, usize) {
    let code = qrcode::QrCode::with_error_correction_level(text.as_bytes(), qrcode::EcLevel::M)
        .expect("payload fits a QR code");
    let n = code.width();
    let dark = code
        .to_colors()
        .into_iter()
        .map(|c| c == qrcode::Color::Dark)
        .collect();
    (dark, n)
}

/// Renders the frame as tight 8-bit luma rows.
pub fn render(s: &Scene) -> Vec<u8> {
    let (w, h) = (s.width, s.height);
    let code = s.payload.as_deref().map(modules);
    let desk = Desk::new(s.seed, w, h);
    let camera = Camera::new(s);
    let mut rng = Rng::new(s.seed ^ 0x5eed);
    let textures = rng.next_u64();
    // 2x2 supersampling for anti-aliased edges; the screen grid is point-sampled once per
    // pixel, as a sensor samples it, so that it aliases into moiré.
    const SS: usize = 2;
    let mut img = vec![0f32; w * h];
    for y in 0..h {
        for x in 0..w {
            let mut acc = 0.0;
            for sy in 0..SS {
                for sx in 0..SS {
                    let px = x as f32 + (sx as f32 + 0.5) / SS as f32;
                    let py = y as f32 + (sy as f32 + 0.5) / SS as f32;
                    acc += radiance(s, code.as_ref(), &camera, &desk, textures, px, py);
                }
            }
            let mut v = acc / (SS * SS) as f32;
            if s.moire > 0.0 && camera.on_screen(s, code.as_ref(), x as f32, y as f32) {
                let (gx, gy) = camera.to_plane(x as f32 + 0.5, y as f32 + 0.5);
                let pitch = s.moire_pitch / s.module;
                let grid =
                    0.5 + 0.5 * (2.0 * PI * gx / pitch).cos() * (2.0 * PI * gy / pitch).cos();
                v *= 1.0 - s.moire * grid;
            }
            img[y * w + x] = v;
        }
    }
    if s.defocus > 0.0 {
        gaussian_blur(&mut img, w, h, s.defocus);
    }
    if s.motion > 0.0 {
        img = motion_blur(&img, w, h, s.motion, s.motion_angle);
    }
    img.iter()
        .enumerate()
        .map(|(i, &v)| {
            let (x, y) = (
                (i % w) as f32 / w as f32 - 0.5,
                (i / w) as f32 / h as f32 - 0.5,
            );
            let vignette = 1.0 - 0.6 * (x * x + y * y);
            let signal = v * s.exposure * vignette + s.flare;
            let sigma = (s.noise * s.noise + 0.02 * signal.max(0.0)).sqrt();
            (signal + rng.gaussian() * sigma).round().clamp(0.0, 255.0) as u8
        })
        .collect()
}

/// Pinhole camera looking at the code's plane: maps frame pixels to plane coordinates in
/// modules, with the code's centre at the origin.
struct Camera {
    /// Rows of the rotation from plane to camera coordinates.
    r: [[f32; 3]; 3],
    focal: f32,
    center: (f32, f32),
    module: f32,
}

impl Camera {
    fn new(s: &Scene) -> Self {
        let (sr, cr) = s.roll.to_radians().sin_cos();
        let (sy, cy) = s.yaw.to_radians().sin_cos();
        let (sp, cp) = s.pitch.to_radians().sin_cos();
        let roll = [[cr, -sr, 0.0], [sr, cr, 0.0], [0.0, 0.0, 1.0]];
        let yaw = [[cy, 0.0, sy], [0.0, 1.0, 0.0], [-sy, 0.0, cy]];
        let pitch = [[1.0, 0.0, 0.0], [0.0, cp, -sp], [0.0, sp, cp]];
        let r = mul(&pitch, &mul(&yaw, &roll));
        Camera {
            r,
            // A phone's main camera: about 70 degrees across the frame's width.
            focal: s.width as f32 * 0.7,
            center: (s.center.0 * s.width as f32, s.center.1 * s.height as f32),
            module: s.module,
        }
    }

    /// Plane coordinates (modules) of the ray through frame point `(x, y)`; the plane stands at
    /// distance `focal` so that a module measures `module` pixels at the centre.
    fn to_plane(&self, x: f32, y: f32) -> (f32, f32) {
        let d = [
            (x - self.center.0) / self.focal,
            (y - self.center.1) / self.focal,
            1.0,
        ];
        let normal = [self.r[0][2], self.r[1][2], self.r[2][2]];
        let dot = normal[0] * d[0] + normal[1] * d[1] + normal[2] * d[2];
        let dist = self.focal * normal[2] / dot.max(1e-3);
        let p = [d[0] * dist, d[1] * dist, d[2] * dist - self.focal];
        // Back to plane axes (transpose of r), in modules.
        let u = self.r[0][0] * p[0] + self.r[1][0] * p[1] + self.r[2][0] * p[2];
        let v = self.r[0][1] * p[0] + self.r[1][1] * p[1] + self.r[2][1] * p[2];
        (u / self.module, v / self.module)
    }

    /// Whether pixel `(x, y)` shows the lit screen around the code.
    fn on_screen(&self, s: &Scene, code: Option<&(Vec<bool>, usize)>, x: f32, y: f32) -> bool {
        let Some((_, n)) = code else { return false };
        if !matches!(s.surface, Surface::Screen | Surface::Terminal { .. }) {
            return false;
        }
        let (u, v) = self.to_plane(x + 0.5, y + 0.5);
        let half = *n as f32 / 2.0 + SHEET_MARGIN;
        u.abs() < half && v.abs() < half
    }
}

/// Modules of page (screen, paper, terminal) around the code, quiet zone included.
const SHEET_MARGIN: f32 = 12.0;

fn mul(a: &[[f32; 3]; 3], b: &[[f32; 3]; 3]) -> [[f32; 3]; 3] {
    let mut out = [[0.0; 3]; 3];
    for (i, row) in out.iter_mut().enumerate() {
        for (j, cell) in row.iter_mut().enumerate() {
            *cell = (0..3).map(|k| a[i][k] * b[k][j]).sum();
        }
    }
    out
}

/// Radiance at frame point `(px, py)`.
fn radiance(
    s: &Scene,
    code: Option<&(Vec<bool>, usize)>,
    camera: &Camera,
    desk: &Desk,
    textures: u64,
    px: f32,
    py: f32,
) -> f32 {
    let glare = |u: f32, v: f32| {
        if s.glare <= 0.0 {
            return 0.0;
        }
        let (du, dv) = (u - s.glare_at.0, v - s.glare_at.1);
        s.glare * (-(du * du + dv * dv) / (2.0 * s.glare_radius * s.glare_radius)).exp()
    };
    let Some((dark, n)) = code else {
        return desk.luma(px, py);
    };
    let (mut u, v) = camera.to_plane(px, py);
    let half = *n as f32 / 2.0;
    if let Surface::Paper { curl, .. } = s.surface {
        // The sheet bulges: columns shift sideways by up to `curl` modules at mid-height.
        u += curl
            * (PI * (v / (half + SHEET_MARGIN)).clamp(-1.0, 1.0) / 2.0).cos()
            * u.signum()
            * (u.abs() / (half + SHEET_MARGIN)).min(1.0);
    }
    let (cu, cv) = (u + half, v + half);
    let sheet = half + SHEET_MARGIN;
    if u.abs() >= sheet || v.abs() >= sheet {
        // Bezel for a screen, then the desk.
        if matches!(s.surface, Surface::Screen) && u.abs() < sheet + 2.0 && v.abs() < sheet + 2.0 {
            return 15.0 + glare(u, v);
        }
        return desk.luma(px, py);
    }
    let module_dark = |cu: f32, cv: f32| -> bool {
        let (i, j) = (cu.floor(), cv.floor());
        let nf = *n as f32;
        (0.0..nf).contains(&i) && (0.0..nf).contains(&j) && dark[j as usize * n + i as usize]
    };
    match s.surface {
        Surface::Screen => {
            let l = if module_dark(cu, cv) { s.ink } else { s.paper };
            l + glare(u, v)
        }
        Surface::Paper { shadow, .. } => {
            // Fibres: a hashed value per 1/4 module, and ink that is not perfectly even.
            let fibre = hash01(
                textures,
                (cu * 4.0).floor() as i64,
                (cv * 4.0).floor() as i64,
            );
            let l = if module_dark(cu, cv) {
                s.ink * (0.9 + 0.2 * fibre)
            } else {
                s.paper * (0.96 + 0.08 * fibre)
            };
            let shade = 1.0 - shadow * ((u / sheet + 1.0) / 2.0).clamp(0.0, 1.0);
            l * shade + glare(u, v)
        }
        Surface::Terminal {
            light_theme,
            line_gap,
        } => {
            let (glyph, background) = if light_theme {
                (s.ink, s.paper)
            } else {
                (s.paper, s.ink)
            };
            // Quiet zone: 4 light modules drawn as glyphs; beyond: the terminal's background
            // with lines of light text.
            let in_code = cu >= -4.0 && cv >= -4.0 && cu < *n as f32 + 4.0 && cv < *n as f32 + 4.0;
            let drawn = if in_code {
                let line = ((cv + 4.0) / 2.0).fract();
                !module_dark(cu, cv) && line < 1.0 - line_gap / 2.0
            } else {
                let row = ((cv + 4.0) / 2.0).floor() as i64;
                let col = (cu * 2.0).floor() as i64;
                hash01(textures, row, col) < 0.25 && row % 2 == 0
            };
            (if drawn { glyph } else { background }) + glare(u, v)
        }
    }
}

/// A hashed value in `[0, 1)` for an integer lattice point.
fn hash01(seed: u64, a: i64, b: i64) -> f32 {
    let mut r = Rng::new(seed ^ (a as u64).wrapping_mul(0x9e37_79b9) ^ (b as u64) << 32);
    r.unit()
}

/// The desk and clutter behind the code: a lit gradient, objects, printed text and a keyboard.
struct Desk {
    base: f32,
    gradient: (f32, f32),
    /// Rectangles: x0, y0, x1, y1 (fractions of the frame), luma, whether text is printed on it.
    objects: Vec<(f32, f32, f32, f32, f32, Option<f32>)>,
    seed: u64,
    width: f32,
    height: f32,
}

impl Desk {
    fn new(seed: u64, width: usize, height: usize) -> Self {
        let mut rng = Rng::new(seed);
        let objects = (0..rng.range(2.0, 7.0) as usize)
            .map(|_| {
                let (x, y) = (rng.range(-0.1, 0.9), rng.range(-0.1, 0.9));
                let (w, h) = (rng.range(0.1, 0.5), rng.range(0.1, 0.5));
                let luma = rng.range(20.0, 240.0);
                let text = (rng.unit() < 0.5).then(|| rng.range(4.0, 14.0));
                (x, y, x + w, y + h, luma, text)
            })
            .collect();
        Desk {
            base: rng.range(60.0, 150.0),
            gradient: (rng.range(-50.0, 50.0), rng.range(-50.0, 50.0)),
            objects,
            seed: rng.next_u64(),
            width: width as f32,
            height: height as f32,
        }
    }

    fn luma(&self, px: f32, py: f32) -> f32 {
        let (fx, fy) = (px / self.width, py / self.height);
        let mut l = self.base + self.gradient.0 * fx + self.gradient.1 * fy;
        l += 10.0 * (fx * 31.0 + (fy * 7.0).sin() * 2.0).sin();
        for &(x0, y0, x1, y1, luma, text) in &self.objects {
            if (x0..x1).contains(&fx) && (y0..y1).contains(&fy) {
                l = luma;
                if let Some(size) = text {
                    // Lines of glyph-sized blocks, in ink of the opposite luma.
                    let row = (py / (size * 1.6)).floor();
                    let in_line = (py / (size * 1.6)).fract() < 0.62;
                    let glyph = (px / (size * 0.7)).floor();
                    let inked = hash01(self.seed, row as i64, glyph as i64) < 0.7
                        && (px / (size * 0.7)).fract() < 0.75;
                    if in_line && inked {
                        l = 255.0 - luma * 0.8;
                    }
                }
            }
        }
        l
    }
}

/// Separable Gaussian blur (kernel cut at 3 sigma, edges clamped).
pub fn gaussian_blur(img: &mut [f32], w: usize, h: usize, sigma: f32) {
    let radius = (sigma * 3.0).ceil() as isize;
    let kernel: Vec<f32> = (-radius..=radius)
        .map(|i| (-(i * i) as f32 / (2.0 * sigma * sigma)).exp())
        .collect();
    let total: f32 = kernel.iter().sum();
    let kernel: Vec<f32> = kernel.iter().map(|k| k / total).collect();
    let clamp = |i: isize, len: usize| i.clamp(0, len as isize - 1) as usize;
    let mut tmp = vec![0f32; w * h];
    for y in 0..h {
        for x in 0..w {
            tmp[y * w + x] = kernel
                .iter()
                .enumerate()
                .map(|(k, kw)| img[y * w + clamp(x as isize + k as isize - radius, w)] * kw)
                .sum();
        }
    }
    for y in 0..h {
        for x in 0..w {
            img[y * w + x] = kernel
                .iter()
                .enumerate()
                .map(|(k, kw)| tmp[clamp(y as isize + k as isize - radius, h) * w + x] * kw)
                .sum();
        }
    }
}

/// Linear motion blur: the mean of the image shifted along the direction, one sample per
/// half pixel (bilinear), edges clamped.
fn motion_blur(img: &[f32], w: usize, h: usize, length: f32, angle: f32) -> Vec<f32> {
    let steps = (length * 2.0).ceil().max(1.0) as usize + 1;
    let (sin, cos) = angle.to_radians().sin_cos();
    let sample = |x: f32, y: f32| -> f32 {
        let x = x.clamp(0.0, (w - 1) as f32);
        let y = y.clamp(0.0, (h - 1) as f32);
        let (x0, y0) = (x.floor() as usize, y.floor() as usize);
        let (x1, y1) = ((x0 + 1).min(w - 1), (y0 + 1).min(h - 1));
        let (fx, fy) = (x - x0 as f32, y - y0 as f32);
        let top = img[y0 * w + x0] * (1.0 - fx) + img[y0 * w + x1] * fx;
        let bottom = img[y1 * w + x0] * (1.0 - fx) + img[y1 * w + x1] * fx;
        top * (1.0 - fy) + bottom * fy
    };
    let offsets: Vec<(f32, f32)> = (0..steps)
        .map(|i| {
            let d = (i as f32 / (steps - 1).max(1) as f32 - 0.5) * length;
            (d * cos, d * sin)
        })
        .collect();
    let mut out = vec![0f32; w * h];
    for y in 0..h {
        for x in 0..w {
            let sum: f32 = offsets
                .iter()
                .map(|&(dx, dy)| sample(x as f32 + dx, y as f32 + dy))
                .sum();
            out[y * w + x] = sum / steps as f32;
        }
    }
    out
}

/// A short sequence of frames as the app receives them while the user aims.
#[derive(Debug, Clone)]
pub struct Stream {
    pub name: String,
    pub frames: Vec<Scene>,
}

/// Sequences of `len` frames (about a second at 15 frames/s): a hand settling (motion blur and
/// tilt fading out), focus hunting (defocus swinging from far to near and settling), an arm
/// coming closer (a small code growing), and exposure settling after the code came into a
/// dark or glaring view.
pub fn streams(len: usize, seed: u64) -> Vec<Stream> {
    let mut out = Vec::new();
    for (k, &(width, height)) in SIZES.iter().enumerate() {
        let mut rng = Rng::new(seed + k as u64);
        let base = scene(Category::Clean, width, height, 0.5, rng.next_u64());
        let frac = |i: usize| i as f32 / (len - 1).max(1) as f32;
        let settle = (0..len)
            .map(|i| {
                let left = 1.0 - frac(i);
                let mut s = base.clone();
                s.motion = s.module * 3.0 * left * left;
                s.motion_angle = 30.0 + 90.0 * frac(i);
                s.yaw = 40.0 * left;
                s.roll = base.roll + 20.0 * left;
                s.seed = base.seed + i as u64;
                s
            })
            .collect();
        let focus = (0..len)
            .map(|i| {
                let phase = frac(i) * 2.5 * PI;
                let amplitude = 1.2 * (1.0 - frac(i)).max(0.15);
                let mut s = base.clone();
                s.defocus = s.module * (0.3 + amplitude * phase.cos().abs());
                s.seed = base.seed + 100 + i as u64;
                s
            })
            .collect();
        let approach = (0..len)
            .map(|i| {
                let mut s = base.clone();
                s.module = 1.4 + 3.0 * frac(i);
                s.defocus = 0.6;
                s.seed = base.seed + 200 + i as u64;
                s
            })
            .collect();
        let exposure = (0..len)
            .map(|i| {
                let mut s = base.clone();
                let left = (1.0 - frac(i) * 1.5).max(0.0);
                s.exposure = 1.0 + 2.5 * left;
                s.flare = 60.0 * left;
                s.glare = 200.0 * left;
                s.glare_radius = 6.0;
                s.seed = base.seed + 300 + i as u64;
                s
            })
            .collect();
        let size = if width == 640 { "640x480" } else { "1280x720" };
        let name = |what: &str| format!("{what} {size}");
        out.push(Stream {
            name: name("hand settling"),
            frames: settle,
        });
        out.push(Stream {
            name: name("focus hunting"),
            frames: focus,
        });
        out.push(Stream {
            name: name("coming closer"),
            frames: approach,
        });
        out.push(Stream {
            name: name("exposure settling"),
            frames: exposure,
        });
    }
    out
}
