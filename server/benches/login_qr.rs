//! The QR code of the login page: `qr_image::inline_svg` of a real login payload (the
//! origin, a fresh challenge id and nonce, the expiry), as the page draws it for every
//! browser that asks for it (docs/benchmarks.md, the OpenID Connect login profile).
//!
//! Run: `cargo bench -p tigr-server --bench login_qr`

use std::hint::black_box;

use criterion::{Criterion, criterion_group, criterion_main};
use tigr_core::ids::random_id;
use tigr_core::payload::{LoginQr, Origin, QrPayload};
use tigr_core::random::SeededRandom;
use tigr_server::qr_image;

/// A login payload built as `login::challenges` builds it (same origin shape, ids of the
/// production length, an expiry in Unix seconds).
fn login_payload(rng: &SeededRandom) -> String {
    QrPayload::Login(LoginQr {
        origin: Origin::parse("https://auth.example.fr").expect("origin"),
        challenge_id: random_id(rng),
        nonce: random_id(rng),
        expires_at: 1_795_000_120,
    })
    .to_string()
}

fn login_qr(c: &mut Criterion) {
    let rng = SeededRandom::new(7);
    let payload = login_payload(&rng);
    let svg = qr_image::inline_svg(&payload).expect("svg");
    println!(
        "payload {} bytes: {payload}; inline SVG {} bytes",
        payload.len(),
        svg.len()
    );
    let mut group = c.benchmark_group("login_qr");
    group.bench_function("inline_svg", |b| {
        b.iter(|| qr_image::inline_svg(black_box(&payload)).expect("svg"))
    });
    group.finish();
}

criterion_group!(benches, login_qr);
criterion_main!(benches);
