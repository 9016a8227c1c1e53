//! Read-rate floors of `tigr_core::qr` on generated camera-like frames (`tests/camera`).
//!
//! A short set, to keep the test cheap in debug builds: every category at three severities
//! (mild, middle, severe) in 640x480 frames, and frames without a code. The counts are
//! deterministic (fixed seeds, no timing involved); the full set and the comparison with zbar
//! are run by hand with `examples/qr_report` (see docs/benchmarks.md).

mod camera;

use camera::Category;
use tigr_core::qr::decode_luma;

const SEVERITIES: [f32; 3] = [0.0, 0.5, 1.0];
/// Frames without a code in the short set.
const EMPTY_FRAMES: usize = 6;

/// Fewest frames (of 3) each category must read: the counts the decoder reached when the
/// floors were set (debug and release builds decode alike). A lower count is a regression.
const FLOORS: [(Category, usize); 12] = [
    (Category::Clean, 3),
    (Category::Perspective, 3),
    (Category::Moire, 2),
    (Category::Glare, 2),
    (Category::Defocus, 1),
    (Category::Motion, 2),
    (Category::Dark, 3),
    (Category::Overexposed, 3),
    (Category::Small, 3),
    (Category::Paper, 2),
    (Category::TerminalDark, 2),
    (Category::TerminalLight, 1),
];

fn decode(scene: &camera::Scene) -> Vec<Vec<u8>> {
    let frame = camera::render(scene);
    let (w, h) = (scene.width as u32, scene.height as u32);
    decode_luma(&frame, w, h, w)
        .expect("valid frame")
        .into_iter()
        .map(|code| code.bytes)
        .collect()
}

#[test]
fn generated_frames_read_rate_floors() {
    let mut failures = Vec::new();
    for (c, (category, floor)) in FLOORS.iter().enumerate() {
        let mut read = 0;
        for (k, &t) in SEVERITIES.iter().enumerate() {
            let scene = camera::scene(*category, 640, 480, t, 0x7e57_0000 + (c * 10 + k) as u64);
            let expected = scene.payload.clone().expect("a code");
            let found = decode(&scene);
            assert!(
                found.iter().all(|p| p == expected.as_bytes()),
                "{} at severity {t}: misread {found:?}",
                category.name()
            );
            read += usize::from(!found.is_empty());
        }
        println!("{}: {read}/{}", category.name(), SEVERITIES.len());
        if read < *floor {
            failures.push(format!("{}: {read} < {floor}", category.name()));
        }
    }
    assert!(failures.is_empty(), "below the floor: {failures:?}");
}

#[test]
fn frames_without_code_read_nothing() {
    for k in 0..EMPTY_FRAMES {
        let scene = camera::scene(Category::Empty, 640, 480, 0.5, 0xe317_0000 + k as u64);
        assert!(scene.payload.is_none());
        assert!(decode(&scene).is_empty(), "a code in empty frame {k}");
    }
}
