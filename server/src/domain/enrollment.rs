//! Enrollment codes and the validation of a phone's registration.

use tigr_core::offline::{OFFLINE_SECRET_LEN, OFFLINE_SUITE};
use tigr_core::signing::is_valid_public_key;
use tigr_core::wire::{EnrollmentCompleteRequest, b64_decode};
use zeroize::Zeroizing;

/// Longest device name, in characters.
pub const MAX_DEVICE_NAME_CHARS: usize = 64;

/// An enrollment code as stored (the code itself is only known by its hash).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct EnrollmentCode {
    /// The account the code enrolls a phone for.
    pub account_id: String,
    /// Creation time.
    pub created_at: i64,
    /// Expiry (exclusive).
    pub expires_at: i64,
    /// When it was used, if it was.
    pub used_at: Option<i64>,
    /// When an administrator cancelled it, if one did.
    pub cancelled_at: Option<i64>,
}

/// Whether a code can still enroll a phone.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CodeStatus {
    /// Unused and in time.
    Usable,
    /// Already used (409).
    Used,
    /// Too late (410).
    Expired,
    /// Cancelled by an administrator before use (410).
    Cancelled,
}

impl EnrollmentCode {
    /// The status at `now`. A used code reports `Used` even after its expiry; a cancelled
    /// one `Cancelled`.
    pub fn status(&self, now: i64) -> CodeStatus {
        if self.used_at.is_some() {
            CodeStatus::Used
        } else if self.cancelled_at.is_some() {
            CodeStatus::Cancelled
        } else if now >= self.expires_at {
            CodeStatus::Expired
        } else {
            CodeStatus::Usable
        }
    }
}

/// A registration request that passed validation, with decoded keys.
#[derive(Debug)]
pub struct DeviceRegistration {
    /// SEC1 public key checking approvals (PIN-protected on the phone).
    pub approval_key: Vec<u8>,
    /// SEC1 public key checking denials.
    pub identity_key: Vec<u8>,
    /// The OCRA secret (plaintext: to be sealed before storage).
    pub offline_secret: Zeroizing<Vec<u8>>,
    /// The OCRA suite.
    pub ocra_suite: String,
    /// The phone's label, trimmed.
    pub device_name: String,
}

/// What is wrong with a registration request.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RegistrationError {
    /// `approval_key` is not a P-256 public key.
    BadApprovalKey,
    /// `identity_key` is not a P-256 public key.
    BadIdentityKey,
    /// Both keys are the same (the PIN would protect nothing).
    SameKeys,
    /// `offline_secret` is not 32 bytes of base64url.
    BadOfflineSecret,
    /// `ocra_suite` is not the server's.
    WrongSuite,
    /// `device_name` is empty, too long or has control characters.
    BadDeviceName,
}

/// Checks a registration request (everything but the code).
pub fn validate_registration(
    request: &EnrollmentCompleteRequest,
) -> Result<DeviceRegistration, RegistrationError> {
    let approval_key = b64_decode(&request.approval_key)
        .filter(|k| is_valid_public_key(k))
        .ok_or(RegistrationError::BadApprovalKey)?;
    let identity_key = b64_decode(&request.identity_key)
        .filter(|k| is_valid_public_key(k))
        .ok_or(RegistrationError::BadIdentityKey)?;
    if approval_key == identity_key {
        return Err(RegistrationError::SameKeys);
    }
    let offline_secret = Zeroizing::new(
        b64_decode(&request.offline_secret)
            .filter(|s| s.len() == OFFLINE_SECRET_LEN)
            .ok_or(RegistrationError::BadOfflineSecret)?,
    );
    if request.ocra_suite != OFFLINE_SUITE {
        return Err(RegistrationError::WrongSuite);
    }
    let device_name = request.device_name.trim();
    if device_name.is_empty()
        || device_name.chars().count() > MAX_DEVICE_NAME_CHARS
        || device_name.chars().any(char::is_control)
    {
        return Err(RegistrationError::BadDeviceName);
    }
    Ok(DeviceRegistration {
        approval_key,
        identity_key,
        offline_secret,
        ocra_suite: OFFLINE_SUITE.to_owned(),
        device_name: device_name.to_owned(),
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use tigr_core::signing::DeviceKey;
    use tigr_core::wire::b64_encode;

    fn request() -> EnrollmentCompleteRequest {
        let a = DeviceKey::from_scalar(&[1u8; 32]).expect("key");
        let i = DeviceKey::from_scalar(&[2u8; 32]).expect("key");
        EnrollmentCompleteRequest {
            code: "X".into(),
            approval_key: b64_encode(&a.public_key()),
            identity_key: b64_encode(&i.public_key()),
            offline_secret: b64_encode(&[3u8; 32]),
            ocra_suite: OFFLINE_SUITE.into(),
            device_name: "  Pixel 8 ".into(),
        }
    }

    #[test]
    fn code_status() {
        let mut code = EnrollmentCode {
            account_id: "alice".into(),
            created_at: 100,
            expires_at: 1000,
            used_at: None,
            cancelled_at: None,
        };
        assert_eq!(code.status(999), CodeStatus::Usable);
        assert_eq!(code.status(1000), CodeStatus::Expired);
        let cancelled = EnrollmentCode {
            cancelled_at: Some(400),
            ..code.clone()
        };
        assert_eq!(cancelled.status(500), CodeStatus::Cancelled);
        assert_eq!(cancelled.status(5000), CodeStatus::Cancelled);
        code.used_at = Some(500);
        assert_eq!(code.status(600), CodeStatus::Used);
        assert_eq!(code.status(5000), CodeStatus::Used);
    }

    #[test]
    fn valid_registration() {
        let r = validate_registration(&request()).expect("valid");
        assert_eq!(r.device_name, "Pixel 8");
        assert_eq!(r.approval_key.len(), 65);
        assert_eq!(r.offline_secret.len(), 32);
    }

    #[test]
    fn each_field_is_checked() {
        type Mutation = fn(&mut EnrollmentCompleteRequest);
        let cases: Vec<(Mutation, RegistrationError)> = vec![
            (
                |r| r.approval_key = b64_encode(&[4u8; 65]),
                RegistrationError::BadApprovalKey,
            ),
            (
                |r| r.approval_key = "!!".into(),
                RegistrationError::BadApprovalKey,
            ),
            (
                |r| r.identity_key = b64_encode(&[4u8; 33]),
                RegistrationError::BadIdentityKey,
            ),
            (
                |r| r.identity_key = r.approval_key.clone(),
                RegistrationError::SameKeys,
            ),
            (
                |r| r.offline_secret = b64_encode(&[1u8; 16]),
                RegistrationError::BadOfflineSecret,
            ),
            (
                |r| r.ocra_suite = "OCRA-1:HOTP-SHA1-6:QN08".into(),
                RegistrationError::WrongSuite,
            ),
            (
                |r| r.device_name = " ".into(),
                RegistrationError::BadDeviceName,
            ),
            (
                |r| r.device_name = "é".repeat(65),
                RegistrationError::BadDeviceName,
            ),
            (
                |r| r.device_name = "a\nb".into(),
                RegistrationError::BadDeviceName,
            ),
        ];
        for (mutate, expected) in cases {
            let mut r = request();
            mutate(&mut r);
            assert_eq!(validate_registration(&r).err(), Some(expected));
        }
        let mut r = request();
        r.device_name = "é".repeat(64);
        assert!(validate_registration(&r).is_ok());
    }
}
