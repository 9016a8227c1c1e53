//! Replays every committed corpus through its target's checks, without libFuzzer: the cheap
//! regression run of CI (`scripts/fuzz.sh replay`). Each corpus file once; a panic names the
//! target and the file, whose bytes `cargo fuzz run <target> <file>` replays under the fuzzer.

use std::path::{Path, PathBuf};

fn corpus_dir(target: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("corpus")
        .join(target)
}

fn files(dir: &Path) -> Vec<PathBuf> {
    let mut files: Vec<PathBuf> = std::fs::read_dir(dir)
        .unwrap_or_else(|e| panic!("corpus {}: {e}", dir.display()))
        .map(|entry| entry.expect("readable corpus entry").path())
        .filter(|path| path.is_file())
        .collect();
    files.sort();
    files
}

fn replay(target: &str) -> usize {
    let (_, check) = tigr_fuzz::TARGETS
        .iter()
        .find(|(name, _)| *name == target)
        .unwrap_or_else(|| panic!("no target {target}"));
    let files = files(&corpus_dir(target));
    for file in &files {
        let data = std::fs::read(file).expect("readable corpus file");
        let outcome = std::panic::catch_unwind(|| check(&data));
        assert!(
            outcome.is_ok(),
            "{target} fails on {} (replay: cargo fuzz run {target} {})",
            file.display(),
            file.display()
        );
    }
    files.len()
}

macro_rules! replay_tests {
    ($($target:ident),* $(,)?) => {
        $(
            #[test]
            fn $target() {
                let count = replay(stringify!($target));
                assert!(count >= 10, "corpus of {} holds {count} files", stringify!($target));
                println!("{}: {count} inputs replayed", stringify!($target));
            }
        )*

        /// Every target has its test here, and nothing here lacks a target.
        #[test]
        fn every_target_is_replayed() {
            let mut tested = vec![$(stringify!($target)),*];
            let mut targets: Vec<&str> = tigr_fuzz::TARGETS.iter().map(|(name, _)| *name).collect();
            tested.sort_unstable();
            targets.sort_unstable();
            assert_eq!(tested, targets);
        }
    };
}

replay_tests!(
    admin_text, config, headers, ocra_suite, page_forms, qr_image, qr_payload, return_url,
    wire_json,
);

/// The image corpus holds real codes: at least one of its images decodes to a Tigr payload,
/// so that the replay exercises the whole reader and not only its refusals.
#[test]
fn the_image_corpus_holds_readable_tigr_codes() {
    let readable = files(&corpus_dir("qr_image"))
        .iter()
        .filter_map(|file| std::fs::read(file).ok())
        .filter_map(|bytes| tigr_core::qr::decode_image_bytes(&bytes).ok())
        .flatten()
        .filter(|code| tigr_core::payload::QrPayload::parse(&code.text).is_ok())
        .count();
    assert!(
        readable >= 1,
        "no image of the corpus decodes to a Tigr payload"
    );
}
