//! Reading codes: QR codes in camera frames, and Tigr payloads or OTP accounts in scanned texts
//! (no network).

use tigr_core::payload::{EnrollmentQr, LoginQr, QrPayload};

use tigr_core::otp::uri::OtpUriError;

use crate::error::{InvalidCodeReason, TigrError};
use crate::types::{OtpImportPreview, ScannedCode};

/// The texts of the QR codes found in a camera frame, given as its luminance (Y) plane:
/// `height` rows of `stride` bytes, of which the first `width` are pixels (Android
/// `ImageFormat.YUV_420_888` plane 0, iOS `kCVPixelFormatType_420YpCbCr8BiPlanar*` plane 0).
///
/// An empty list means no QR code was found. Texts that are not valid UTF-8 are returned
/// lossily converted; pass each one to `parse_code` or `Authenticator.scan`.
#[uniffi::export]
pub fn decode_frame(
    luma: Vec<u8>,
    width: u32,
    height: u32,
    stride: u32,
) -> Result<Vec<String>, TigrError> {
    let codes = tigr_core::qr::decode_luma(&luma, width, height, stride)?;
    Ok(codes.into_iter().map(|c| c.text).collect())
}

/// Parses a scanned text, without any network call: a Tigr code (invitation or login), or
/// the accounts of an `otpauth://` code or of a Google Authenticator export
/// (`otpauth-migration://`). A text that is neither is `TigrError.InvalidCode` (`NOT_TIGR`); a
/// broken OTP code is `TigrError.InvalidOtpCode` with its reason.
#[uniffi::export]
pub fn parse_code(text: String) -> Result<ScannedCode, TigrError> {
    match tigr_core::otp::uri::parse_any(&text) {
        Ok(import) => Ok(ScannedCode::OtpAccounts {
            preview: OtpImportPreview::from(&import),
        }),
        Err(OtpUriError::NotOtpauth) => Ok(ScannedCode::from(&QrPayload::parse(&text)?)),
        Err(e) => Err(e.into()),
    }
}

/// The login code of a parsed payload; an invitation is refused (for Rust callers: the
/// authenticator and the desktop virtual phone).
pub fn expect_login(payload: QrPayload) -> Result<LoginQr, TigrError> {
    match payload {
        QrPayload::Login(qr) => Ok(qr),
        QrPayload::Enrollment(_) => Err(TigrError::InvalidCode {
            reason: InvalidCodeReason::NotALoginCode,
            detail: "an invitation, not a login code".into(),
        }),
    }
}

/// The invitation of a parsed payload; a login code is refused.
pub fn expect_invitation(payload: QrPayload) -> Result<EnrollmentQr, TigrError> {
    match payload {
        QrPayload::Enrollment(qr) => Ok(qr),
        QrPayload::Login(_) => Err(TigrError::InvalidCode {
            reason: InvalidCodeReason::NotAnInvitation,
            detail: "a login code, not an invitation".into(),
        }),
    }
}
