//! Canonical signed bytes and the ECDSA P-256 operations on them (docs/protocol.md §4).
//!
//! The message is domain-separated and binds every field that matters:
//!
//! ```text
//! message = tag 0x00 field(origin) field(challenge_id) field(nonce) field(account) field(device_id)
//! tag     = "tigr/approve/v1" | "tigr/deny/v1"
//! field   = u16 big-endian byte length, then the UTF-8 bytes
//! ```
//!
//! Signatures are ECDSA P-256 with SHA-256, in the fixed 64-byte `r || s` form. The phone signs
//! with `p256` (deterministic RFC 6979 nonces); the server verifies with `ring`.

use p256::ecdsa::signature::Signer as _;
use zeroize::Zeroizing;

/// Length of a SEC1 uncompressed P-256 public key.
pub const PUBLIC_KEY_LEN: usize = 65;
/// Length of a fixed-form signature.
pub const SIGNATURE_LEN: usize = 64;

/// What a signature says about a challenge.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Decision {
    /// "Yes, it's me": signed by the PIN-protected approval key.
    Approve,
    /// "This wasn't me": signed by the identity key (no PIN needed).
    Deny,
}

impl Decision {
    fn tag(self) -> &'static [u8] {
        match self {
            Self::Approve => b"tigr/approve/v1",
            Self::Deny => b"tigr/deny/v1",
        }
    }
}

/// The fields bound by a phone's answer to a login challenge.
#[derive(Debug, Clone, Copy)]
pub struct ChallengeBinding<'a> {
    /// Server origin, e.g. `https://auth.example.fr` (see [`crate::payload::Origin`]).
    pub origin: &'a str,
    /// Challenge identifier.
    pub challenge_id: &'a str,
    /// Challenge nonce.
    pub nonce: &'a str,
    /// Account identifier.
    pub account: &'a str,
    /// Device identifier.
    pub device_id: &'a str,
}

/// The exact bytes signed for `decision` on `binding`.
pub fn message(decision: Decision, binding: &ChallengeBinding<'_>) -> Vec<u8> {
    let fields = [
        binding.origin,
        binding.challenge_id,
        binding.nonce,
        binding.account,
        binding.device_id,
    ];
    let mut out = Vec::with_capacity(32 + fields.iter().map(|f| f.len() + 2).sum::<usize>());
    out.extend_from_slice(decision.tag());
    out.push(0);
    for field in fields {
        // Fields are bounded far below 64 KiB by validation; saturate rather than wrap anyway.
        let len = u16::try_from(field.len()).unwrap_or(u16::MAX);
        out.extend_from_slice(&len.to_be_bytes());
        out.extend_from_slice(&field.as_bytes()[..usize::from(len)]);
    }
    out
}

/// Verifies a fixed-form ECDSA P-256 / SHA-256 signature against a SEC1 public key.
pub fn verify(public_key: &[u8], message: &[u8], signature: &[u8]) -> bool {
    use ring::signature::{ECDSA_P256_SHA256_FIXED, UnparsedPublicKey};
    public_key.len() == PUBLIC_KEY_LEN
        && signature.len() == SIGNATURE_LEN
        && UnparsedPublicKey::new(&ECDSA_P256_SHA256_FIXED, public_key)
            .verify(message, signature)
            .is_ok()
}

/// True when `bytes` is a valid SEC1 uncompressed P-256 public key (a point on the curve).
pub fn is_valid_public_key(bytes: &[u8]) -> bool {
    bytes.len() == PUBLIC_KEY_LEN && p256::PublicKey::from_sec1_bytes(bytes).is_ok()
}

/// A P-256 private key held only as long as needed, zeroized on drop.
pub struct DeviceKey {
    key: p256::ecdsa::SigningKey,
}

impl std::fmt::Debug for DeviceKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("DeviceKey(<redacted>)")
    }
}

impl DeviceKey {
    /// A key from a 32-byte big-endian scalar. Fails only for 0 or values >= the group order.
    pub fn from_scalar(scalar: &[u8; 32]) -> Option<Self> {
        p256::ecdsa::SigningKey::from_bytes(scalar.into())
            .ok()
            .map(|key| Self { key })
    }

    /// The 32-byte scalar, for masking into the vault.
    pub fn scalar(&self) -> Zeroizing<[u8; 32]> {
        let mut out = Zeroizing::new([0u8; 32]);
        out.copy_from_slice(&self.key.to_bytes());
        out
    }

    /// SEC1 uncompressed public key (65 bytes).
    pub fn public_key(&self) -> Vec<u8> {
        self.key
            .verifying_key()
            .to_encoded_point(false)
            .as_bytes()
            .to_vec()
    }

    /// Fixed-form signature (64 bytes) over `message`.
    pub fn sign(&self, message: &[u8]) -> [u8; SIGNATURE_LEN] {
        let signature: p256::ecdsa::Signature = self.key.sign(message);
        let mut out = [0u8; SIGNATURE_LEN];
        out.copy_from_slice(&signature.to_bytes());
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn binding() -> ChallengeBinding<'static> {
        ChallengeBinding {
            origin: "https://auth.example.fr",
            challenge_id: "KRSXG5CJIRJUKQ2SIVKC2MJRGE",
            nonce: "MFRGGZDFMZTWQ2LKNNWG23TPOA",
            account: "alice",
            device_id: "GEZDGNBVGY3TQOJQGEZDGNBVGY",
        }
    }

    fn key() -> DeviceKey {
        DeviceKey::from_scalar(&[7u8; 32]).expect("valid scalar")
    }

    #[test]
    fn message_layout_is_exact() {
        let b = ChallengeBinding {
            origin: "o",
            challenge_id: "c",
            nonce: "n",
            account: "a",
            device_id: "d",
        };
        let mut expected = b"tigr/approve/v1\0".to_vec();
        for f in ["o", "c", "n", "a", "d"] {
            expected.extend_from_slice(&[0, 1]);
            expected.extend_from_slice(f.as_bytes());
        }
        assert_eq!(message(Decision::Approve, &b), expected);
    }

    #[test]
    fn sign_then_verify_with_ring() {
        let k = key();
        let msg = message(Decision::Approve, &binding());
        let sig = k.sign(&msg);
        assert!(verify(&k.public_key(), &msg, &sig));
        assert!(is_valid_public_key(&k.public_key()));
    }

    #[test]
    fn every_bound_field_matters() {
        let k = key();
        let sig = k.sign(&message(Decision::Approve, &binding()));
        let pk = k.public_key();
        let variants = [
            ChallengeBinding {
                origin: "https://evil.example",
                ..binding()
            },
            ChallengeBinding {
                challenge_id: "AAAAAAAAAAAAAAAAAAAAAAAAAA",
                ..binding()
            },
            ChallengeBinding {
                nonce: "AAAAAAAAAAAAAAAAAAAAAAAAAA",
                ..binding()
            },
            ChallengeBinding {
                account: "bob",
                ..binding()
            },
            ChallengeBinding {
                device_id: "AAAAAAAAAAAAAAAAAAAAAAAAAA",
                ..binding()
            },
        ];
        for v in variants {
            assert!(!verify(&pk, &message(Decision::Approve, &v), &sig), "{v:?}");
        }
        // Domain separation: an approval is not a denial.
        assert!(!verify(&pk, &message(Decision::Deny, &binding()), &sig));
    }

    #[test]
    fn field_boundaries_cannot_shift() {
        let a = ChallengeBinding {
            account: "ab",
            device_id: "c",
            ..binding()
        };
        let b = ChallengeBinding {
            account: "a",
            device_id: "bc",
            ..binding()
        };
        assert_ne!(
            message(Decision::Approve, &a),
            message(Decision::Approve, &b)
        );
    }

    #[test]
    fn malformed_inputs_do_not_verify() {
        let k = key();
        let msg = message(Decision::Approve, &binding());
        let sig = k.sign(&msg);
        assert!(!verify(&[4u8; 65], &msg, &sig));
        assert!(!verify(&k.public_key(), &msg, &sig[..63]));
        assert!(!is_valid_public_key(&[4u8; 65]));
        assert!(DeviceKey::from_scalar(&[0u8; 32]).is_none());
        assert!(DeviceKey::from_scalar(&[0xffu8; 32]).is_none());
    }
}
