//! The zbar library (Debian's `libzbar0`), loaded at run time so that building the report
//! does not need it: QR codes only, default settings otherwise.

// Calling a C library takes `unsafe`; every call below follows zbar.h's contract.
#![allow(unsafe_code)]

use std::ffi::{c_char, c_int, c_uint, c_ulong, c_void};

use libloading::Library;

type ScannerCreate = unsafe extern "C" fn() -> *mut c_void;
type ScannerSetConfig = unsafe extern "C" fn(*mut c_void, c_int, c_int, c_int) -> c_int;
type ScannerDestroy = unsafe extern "C" fn(*mut c_void);
type ImageCreate = unsafe extern "C" fn() -> *mut c_void;
type ImageSetFormat = unsafe extern "C" fn(*mut c_void, c_ulong);
type ImageSetSize = unsafe extern "C" fn(*mut c_void, c_uint, c_uint);
type Cleanup = unsafe extern "C" fn(*mut c_void);
type ImageSetData = unsafe extern "C" fn(*mut c_void, *const c_void, c_ulong, Option<Cleanup>);
type ScanImage = unsafe extern "C" fn(*mut c_void, *mut c_void) -> c_int;
type FirstSymbol = unsafe extern "C" fn(*const c_void) -> *const c_void;
type SymbolNext = unsafe extern "C" fn(*const c_void) -> *const c_void;
type SymbolData = unsafe extern "C" fn(*const c_void) -> *const c_char;
type SymbolDataLength = unsafe extern "C" fn(*const c_void) -> c_uint;
type ImageDestroy = unsafe extern "C" fn(*mut c_void);

/// `zbar_symbol_type_t` and `zbar_config_t` values of zbar.h.
const ZBAR_NONE: c_int = 0;
const ZBAR_QRCODE: c_int = 64;
const ZBAR_CFG_ENABLE: c_int = 0;
/// FOURCC "Y800": 8-bit luma, rows packed.
const Y800: c_ulong = 0x3030_3859;

/// A zbar image scanner set to read QR codes only.
pub struct Zbar {
    scanner: *mut c_void,
    scanner_destroy: ScannerDestroy,
    image_create: ImageCreate,
    image_set_format: ImageSetFormat,
    image_set_size: ImageSetSize,
    image_set_data: ImageSetData,
    scan_image: ScanImage,
    first_symbol: FirstSymbol,
    symbol_next: SymbolNext,
    symbol_data: SymbolData,
    symbol_data_length: SymbolDataLength,
    image_destroy: ImageDestroy,
    /// Keeps the function pointers above valid; dropped last.
    _library: Library,
}

impl std::fmt::Debug for Zbar {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Zbar")
    }
}

impl Zbar {
    /// Loads `libzbar.so.0`; the error says why it is not available.
    pub fn load() -> Result<Self, String> {
        // SAFETY: loading zbar runs no initialisation code with preconditions; each symbol is
        // read with the signature zbar.h declares for it.
        unsafe {
            let library = Library::new("libzbar.so.0").map_err(|e| e.to_string())?;
            macro_rules! function {
                ($name:literal) => {
                    *library.get($name).map_err(|e| e.to_string())?
                };
            }
            let scanner_create: ScannerCreate = function!(b"zbar_image_scanner_create");
            let set_config: ScannerSetConfig = function!(b"zbar_image_scanner_set_config");
            let scanner = scanner_create();
            if scanner.is_null() {
                return Err("zbar_image_scanner_create failed".into());
            }
            set_config(scanner, ZBAR_NONE, ZBAR_CFG_ENABLE, 0);
            set_config(scanner, ZBAR_QRCODE, ZBAR_CFG_ENABLE, 1);
            Ok(Zbar {
                scanner,
                scanner_destroy: function!(b"zbar_image_scanner_destroy"),
                image_create: function!(b"zbar_image_create"),
                image_set_format: function!(b"zbar_image_set_format"),
                image_set_size: function!(b"zbar_image_set_size"),
                image_set_data: function!(b"zbar_image_set_data"),
                scan_image: function!(b"zbar_scan_image"),
                first_symbol: function!(b"zbar_image_first_symbol"),
                symbol_next: function!(b"zbar_symbol_next"),
                symbol_data: function!(b"zbar_symbol_get_data"),
                symbol_data_length: function!(b"zbar_symbol_get_data_length"),
                image_destroy: function!(b"zbar_image_destroy"),
                _library: library,
            })
        }
    }

    /// The payloads of the QR codes zbar finds in a tight luma frame.
    pub fn decode(&mut self, luma: &[u8], width: usize, height: usize) -> Vec<Vec<u8>> {
        assert_eq!(luma.len(), width * height, "tight luma rows");
        let mut out = Vec::new();
        // SAFETY: the image borrows `luma` (no cleanup handler: zbar does not free it) and is
        // destroyed before this function returns; symbol data is copied out before that.
        unsafe {
            let image = (self.image_create)();
            (self.image_set_format)(image, Y800);
            (self.image_set_size)(image, width as c_uint, height as c_uint);
            (self.image_set_data)(image, luma.as_ptr().cast(), luma.len() as c_ulong, None);
            if (self.scan_image)(self.scanner, image) > 0 {
                let mut symbol = (self.first_symbol)(image);
                while !symbol.is_null() {
                    let data = (self.symbol_data)(symbol).cast::<u8>();
                    let len = (self.symbol_data_length)(symbol) as usize;
                    out.push(std::slice::from_raw_parts(data, len).to_vec());
                    symbol = (self.symbol_next)(symbol);
                }
            }
            (self.image_destroy)(image);
        }
        out
    }
}

impl Drop for Zbar {
    fn drop(&mut self) {
        // SAFETY: the scanner was created by `load` and is destroyed once.
        unsafe { (self.scanner_destroy)(self.scanner) }
    }
}
