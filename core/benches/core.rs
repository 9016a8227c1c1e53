//! Core micro-benchmarks: PIN derivation, ECDSA sign (p256, phone) and verify (ring, server),
//! payload parsing, OCRA. QR decoding has its own bench target (`qr`).
//!
//! Run: `cargo bench -p tigr-core --bench core`

use std::hint::black_box;

use criterion::{Criterion, criterion_group, criterion_main};
use tigr_core::offline::{OFFLINE_SUITE, offline_otp};
use tigr_core::payload::QrPayload;
use tigr_core::pin::{DEFAULT_PBKDF2_ITERATIONS, KdfParams};
use tigr_core::random::SeededRandom;
use tigr_core::signing::{ChallengeBinding, Decision, DeviceKey, message, verify};

const PAYLOAD: &str = "https://auth.example.fr/t/1/L/KRSXG5CJIRJUKQ2SIVKC2MJRGE/MFRGGZDFMZTWQ2LKNNWG23TPOA/1795000120";

fn binding() -> ChallengeBinding<'static> {
    ChallengeBinding {
        origin: "https://auth.example.fr",
        challenge_id: "KRSXG5CJIRJUKQ2SIVKC2MJRGE",
        nonce: "MFRGGZDFMZTWQ2LKNNWG23TPOA",
        account: "alice",
        device_id: "GEZDGNBVGY3TQOJQGEZDGNBVGY",
    }
}

fn benches(c: &mut Criterion) {
    let rng = SeededRandom::new(1);
    let kdf = KdfParams::generate(&rng, DEFAULT_PBKDF2_ITERATIONS);
    let mut group = c.benchmark_group("pin");
    group.sample_size(10);
    group.bench_function("pbkdf2_unlock_default_iterations", |b| {
        b.iter(|| kdf.derive(black_box("2580")).expect("derive"))
    });
    group.finish();

    let key = DeviceKey::from_scalar(&[7u8; 32]).expect("key");
    let public_key = key.public_key();
    let msg = message(Decision::Approve, &binding());
    let signature = key.sign(&msg);
    c.bench_function("ecdsa_p256_sign_p256crate", |b| {
        b.iter(|| key.sign(black_box(&msg)))
    });
    c.bench_function("ecdsa_p256_verify_ring", |b| {
        b.iter(|| {
            assert!(verify(
                black_box(&public_key),
                black_box(&msg),
                black_box(&signature)
            ))
        })
    });
    c.bench_function("payload_parse_login", |b| {
        b.iter(|| QrPayload::parse(black_box(PAYLOAD)).expect("parse"))
    });
    let secret = [9u8; 32];
    c.bench_function("ocra_offline_code", |b| {
        b.iter(|| {
            offline_otp(
                OFFLINE_SUITE,
                black_box(&secret),
                "https://auth.example.fr",
                "KRSXG5CJIRJUKQ2SIVKC2MJRGE",
                "MFRGGZDFMZTWQ2LKNNWG23TPOA",
            )
            .expect("otp")
        })
    });
}

criterion_group!(core, benches);
criterion_main!(core);
