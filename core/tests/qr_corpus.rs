//! Decode rate on the zxing real-photo corpus in `tests/data/qr-corpus` (see its README.md).
//!
//! Every `qrcode-N/<name>.png` is decoded and compared with `<name>.txt` (exact bytes). A
//! payload that is not UTF-8 also counts if, read as Shift_JIS, it equals the expected text:
//! the corpus stores UTF-8 while several codes carry Shift_JIS (Kanji mode or byte mode),
//! which `tigr_core::qr` deliberately returns undecoded.

use std::path::{Path, PathBuf};

use tigr_core::qr::{DecodedQr, decode_image_file};

/// Images the decoder read when the floor was set (166 of 179; rqrr alone reads 111), minus a
/// margin of 2 for harmless reshuffles. A lower count is a regression.
const MIN_DECODED: usize = 164;
/// Images in the corpus; a different count means a partial or changed checkout.
const CORPUS_IMAGES: usize = 179;

fn corpus_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/data/qr-corpus")
}

/// Whether a decoded code carries the expected payload.
fn matches(code: &DecodedQr, expected: &[u8]) -> bool {
    if code.bytes == expected {
        return true;
    }
    if std::str::from_utf8(&code.bytes).is_ok() {
        return false;
    }
    let (text, _, had_errors) = encoding_rs::SHIFT_JIS.decode(&code.bytes);
    !had_errors && text.as_bytes() == expected
}

/// The `qrcode-N` folders in numeric order.
fn folders(root: &Path) -> Vec<PathBuf> {
    let mut dirs: Vec<(u32, PathBuf)> = std::fs::read_dir(root)
        .unwrap_or_else(|e| panic!("cannot list {}: {e}", root.display()))
        .map(|entry| entry.expect("readable directory entry").path())
        .filter_map(|path| {
            let name = path.file_name()?.to_str()?;
            let n = name.strip_prefix("qrcode-")?.parse().ok()?;
            path.is_dir().then_some((n, path))
        })
        .collect();
    dirs.sort();
    dirs.into_iter().map(|(_, path)| path).collect()
}

/// The PNG images of a folder, `1.png` before `10.png`.
fn images(dir: &Path) -> Vec<PathBuf> {
    let mut pngs: Vec<PathBuf> = std::fs::read_dir(dir)
        .unwrap_or_else(|e| panic!("cannot list {}: {e}", dir.display()))
        .map(|entry| entry.expect("readable directory entry").path())
        .filter(|path| path.extension().is_some_and(|ext| ext == "png"))
        .collect();
    pngs.sort_by_key(|path| {
        let stem = path.file_stem().unwrap_or_default().to_string_lossy();
        (stem.parse::<u32>().unwrap_or(u32::MAX), stem.into_owned())
    });
    pngs
}

#[test]
fn corpus_decode_rate() {
    let root = corpus_dir();
    assert!(
        root.join("README.md").is_file(),
        "QR corpus not found at {} (part of the repository: a partial checkout?)",
        root.display()
    );

    let (mut total, mut decoded) = (0, 0);
    let mut failures = Vec::new();
    for dir in folders(&root) {
        let folder = dir
            .file_name()
            .unwrap_or_default()
            .to_string_lossy()
            .into_owned();
        let (mut n, mut ok) = (0, 0);
        for png in images(&dir) {
            let txt = png.with_extension("txt");
            let expected = std::fs::read(&txt)
                .unwrap_or_else(|e| panic!("cannot read {}: {e}", txt.display()));
            let name = png.file_stem().unwrap_or_default().to_string_lossy();
            n += 1;
            match decode_image_file(&png) {
                Ok(codes) if codes.iter().any(|c| matches(c, &expected)) => ok += 1,
                Ok(codes) if codes.is_empty() => failures.push(format!("{folder}/{name}: none")),
                Ok(codes) => {
                    let got: Vec<&str> = codes.iter().map(|c| c.text.as_str()).collect();
                    failures.push(format!("{folder}/{name}: wrong payload {got:?}"));
                }
                Err(e) => failures.push(format!("{folder}/{name}: error {e}")),
            }
        }
        println!("{folder}: {ok}/{n}");
        total += n;
        decoded += ok;
    }
    println!("total: {decoded}/{total}");
    for failure in &failures {
        println!("  not decoded: {failure}");
    }

    assert_eq!(
        total,
        CORPUS_IMAGES,
        "unexpected number of images under {}",
        root.display()
    );
    assert!(
        decoded >= MIN_DECODED,
        "decoded {decoded}/{total} corpus images, floor is {MIN_DECODED}"
    );
}
