//! JOSE for OpenID Connect: the provider's ES256 signing keys, their public JWKs, and
//! `jsonwebtoken`'s cryptography on `ring`.
//!
//! `jsonwebtoken` serialises and parses JWS compact tokens, their headers and claims, and
//! the JWK types; it delegates every signature to a [`CryptoProvider`]. Its built-in
//! providers are aws-lc-rs and RustCrypto; the server installs [`RING_PROVIDER`] instead, so
//! that one crypto library (ring, already behind approvals, sealing and CSRF tokens) signs
//! and verifies everything. It covers what OpenID Connect needs here: ES256 signing (ID and
//! logout tokens), and the verification of ES256, ES384, RS256 and PS256 (client
//! assertions of `private_key_jwt` clients, and our own ID tokens given back as hints).
//!
//! A signing key is a P-256 scalar drawn from the injected random source, kept as PKCS#8
//! (sealed at rest by the caller) and named by its RFC 7638 thumbprint (`kid`).

use std::sync::Once;

use jsonwebtoken::crypto::{CryptoProvider, JwtSigner, JwtVerifier, KeyUtils};
use jsonwebtoken::errors::{Error, ErrorKind};
use jsonwebtoken::jwk::{
    AlgorithmParameters, CommonParameters, EllipticCurve, EllipticCurveKeyParameters,
    EllipticCurveKeyType, Jwk, KeyAlgorithm, PublicKeyUse, ThumbprintHash,
};
use jsonwebtoken::signature::{Error as SignatureError, Signer, Verifier};
use jsonwebtoken::{Algorithm, AlgorithmFamily, DecodingKey, DecodingKeyKind, EncodingKey};
use p256::pkcs8::EncodePrivateKey as _;
use ring::signature::{self as ring_sig, EcdsaKeyPair, KeyPair as _, UnparsedPublicKey};
use serde::Serialize;
use tigr_core::random::SecureRandom;
use tigr_core::wire::b64_encode;
use zeroize::Zeroizing;

/// A JOSE failure: a key that does not load, a token that does not sign (never a secret in
/// the message).
#[derive(Debug, thiserror::Error)]
#[error("JOSE: {0}")]
pub struct JoseError(String);

impl From<Error> for JoseError {
    fn from(error: Error) -> Self {
        Self(error.to_string())
    }
}

/// `jsonwebtoken`'s signatures through ring (see the module docs).
pub static RING_PROVIDER: CryptoProvider = CryptoProvider {
    signer_factory: new_signer,
    verifier_factory: new_verifier,
    key_utils: KeyUtils {
        rsa_pub_components_from_private_key: |_| Err(ErrorKind::UnsupportedAlgorithm.into()),
        rsa_pub_components_from_public_key: |_| Err(ErrorKind::UnsupportedAlgorithm.into()),
        ec_pub_components_from_private_key: ec_components_from_private_key,
        ed_pub_components_from_private_key: |_, _| Err(ErrorKind::UnsupportedAlgorithm.into()),
        compute_digest,
    },
};

/// Makes [`RING_PROVIDER`] the process's `jsonwebtoken` provider (once; later calls do
/// nothing). Every constructor of this module calls it, so no token is made or read before.
pub fn install_ring_provider() {
    static INSTALL: Once = Once::new();
    INSTALL.call_once(|| {
        if RING_PROVIDER.install_default().is_err() {
            tracing::warn!("another jsonwebtoken crypto provider was installed first");
        }
    });
}

fn compute_digest(data: &[u8], hash: ThumbprintHash) -> Result<Vec<u8>, Error> {
    let algorithm = match hash {
        ThumbprintHash::SHA256 => &ring::digest::SHA256,
        ThumbprintHash::SHA384 => &ring::digest::SHA384,
        ThumbprintHash::SHA512 => &ring::digest::SHA512,
        _ => return Err(ErrorKind::UnsupportedAlgorithm.into()),
    };
    Ok(ring::digest::digest(algorithm, data).as_ref().to_vec())
}

fn ec_components_from_private_key(
    pkcs8: &[u8],
    algorithm: Algorithm,
) -> Result<(EllipticCurve, Vec<u8>, Vec<u8>), Error> {
    if algorithm != Algorithm::ES256 {
        return Err(ErrorKind::UnsupportedAlgorithm.into());
    }
    let pair = es256_pair(pkcs8)?;
    let point = pair.public_key().as_ref();
    Ok((
        EllipticCurve::P256,
        point[1..33].to_vec(),
        point[33..65].to_vec(),
    ))
}

fn es256_pair(pkcs8: &[u8]) -> Result<EcdsaKeyPair, Error> {
    EcdsaKeyPair::from_pkcs8(
        &ring_sig::ECDSA_P256_SHA256_FIXED_SIGNING,
        pkcs8,
        &ring::rand::SystemRandom::new(),
    )
    .map_err(|_| ErrorKind::InvalidEcdsaKey.into())
}

/// ES256 signatures (`r || s`, 64 bytes) with ring.
struct Es256Signer(EcdsaKeyPair);

impl Signer<Vec<u8>> for Es256Signer {
    fn try_sign(&self, message: &[u8]) -> Result<Vec<u8>, SignatureError> {
        let signature = self
            .0
            .sign(&ring::rand::SystemRandom::new(), message)
            .map_err(|_| SignatureError::new())?;
        Ok(signature.as_ref().to_vec())
    }
}

impl JwtSigner for Es256Signer {
    fn algorithm(&self) -> Algorithm {
        Algorithm::ES256
    }
}

fn new_signer(algorithm: &Algorithm, key: &EncodingKey) -> Result<Box<dyn JwtSigner>, Error> {
    match algorithm {
        Algorithm::ES256 if key.family() == AlgorithmFamily::Ec => {
            Ok(Box::new(Es256Signer(es256_pair(key.as_bytes())?)))
        }
        Algorithm::ES256 => Err(ErrorKind::InvalidKeyFormat.into()),
        _ => Err(ErrorKind::UnsupportedAlgorithm.into()),
    }
}

/// The public half of a verification key, as ring takes it.
enum PublicKey {
    /// A SEC1 point (EC) or an RSAPublicKey DER document (RSA).
    Bytes(Vec<u8>),
    /// RSA modulus and exponent (from a JWK).
    RsaComponents { n: Vec<u8>, e: Vec<u8> },
}

/// Verifies one algorithm with ring.
struct RingVerifier {
    algorithm: Algorithm,
    key: PublicKey,
}

impl RingVerifier {
    fn ring_algorithm(&self) -> &'static dyn ring_sig::VerificationAlgorithm {
        match self.algorithm {
            Algorithm::ES384 => &ring_sig::ECDSA_P384_SHA384_FIXED,
            Algorithm::RS256 => &ring_sig::RSA_PKCS1_2048_8192_SHA256,
            Algorithm::PS256 => &ring_sig::RSA_PSS_2048_8192_SHA256,
            // `new_verifier` builds no other.
            _ => &ring_sig::ECDSA_P256_SHA256_FIXED,
        }
    }
}

impl Verifier<Vec<u8>> for RingVerifier {
    fn verify(&self, message: &[u8], signature: &Vec<u8>) -> Result<(), SignatureError> {
        let verified = match &self.key {
            PublicKey::Bytes(bytes) => {
                UnparsedPublicKey::new(self.ring_algorithm(), bytes).verify(message, signature)
            }
            PublicKey::RsaComponents { n, e } => {
                let params = match self.algorithm {
                    Algorithm::PS256 => &ring_sig::RSA_PSS_2048_8192_SHA256,
                    _ => &ring_sig::RSA_PKCS1_2048_8192_SHA256,
                };
                ring_sig::RsaPublicKeyComponents { n, e }.verify(params, message, signature)
            }
        };
        verified.map_err(|_| SignatureError::new())
    }
}

impl JwtVerifier for RingVerifier {
    fn algorithm(&self) -> Algorithm {
        self.algorithm
    }
}

fn new_verifier(algorithm: &Algorithm, key: &DecodingKey) -> Result<Box<dyn JwtVerifier>, Error> {
    let family = match algorithm {
        Algorithm::ES256 | Algorithm::ES384 => AlgorithmFamily::Ec,
        Algorithm::RS256 | Algorithm::PS256 => AlgorithmFamily::Rsa,
        _ => return Err(ErrorKind::UnsupportedAlgorithm.into()),
    };
    if key.family() != family {
        return Err(ErrorKind::InvalidKeyFormat.into());
    }
    let public = match key.kind() {
        DecodingKeyKind::SecretOrDer(bytes) => PublicKey::Bytes(bytes.clone()),
        DecodingKeyKind::RsaModulusExponent { n, e } => PublicKey::RsaComponents {
            n: n.clone(),
            e: e.clone(),
        },
    };
    Ok(Box::new(RingVerifier {
        algorithm: *algorithm,
        key: public,
    }))
}

/// An ES256 signing key of the provider: its `kid`, its PKCS#8 form (for sealing) and its
/// public JWK.
pub struct SigningKey {
    kid: String,
    encoding: EncodingKey,
    jwk: Jwk,
}

impl std::fmt::Debug for SigningKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SigningKey")
            .field("kid", &self.kid)
            .finish_non_exhaustive()
    }
}

impl SigningKey {
    /// A new key from `random` (a P-256 scalar), with its PKCS#8 document to keep sealed.
    pub fn generate(random: &dyn SecureRandom) -> Result<(Self, Zeroizing<Vec<u8>>), JoseError> {
        let secret = loop {
            let mut scalar = Zeroizing::new([0u8; 32]);
            random.fill(scalar.as_mut_slice());
            // Zero or over the group order: draw again (probability about 2^-32).
            if let Ok(secret) = p256::SecretKey::from_slice(scalar.as_slice()) {
                break secret;
            }
        };
        let document = secret
            .to_pkcs8_der()
            .map_err(|e| JoseError(format!("PKCS#8 encoding: {e}")))?;
        let pkcs8 = Zeroizing::new(document.as_bytes().to_vec());
        Ok((Self::from_pkcs8(&pkcs8)?, pkcs8))
    }

    /// The key of a PKCS#8 document (as [`SigningKey::generate`] made it).
    pub fn from_pkcs8(pkcs8: &[u8]) -> Result<Self, JoseError> {
        install_ring_provider();
        let pair = es256_pair(pkcs8)?;
        let jwk = public_jwk(pair.public_key().as_ref())?;
        let kid = jwk.thumbprint(ThumbprintHash::SHA256)?;
        let jwk = Jwk {
            common: CommonParameters {
                key_id: Some(kid.clone()),
                ..jwk.common
            },
            ..jwk
        };
        Ok(Self {
            kid,
            encoding: EncodingKey::from_ec_der(pkcs8),
            jwk,
        })
    }

    /// The key's identifier: the RFC 7638 thumbprint of its public JWK.
    pub fn kid(&self) -> &str {
        &self.kid
    }

    /// The public JWK (`kty` EC, `crv` P-256, `use` sig, `alg` ES256, `kid`).
    pub fn public_jwk(&self) -> &Jwk {
        &self.jwk
    }

    /// `claims` signed ES256 with this key; the header names the key (`kid`) and, when
    /// given, the token type (`typ`, e.g. `logout+jwt`).
    pub fn sign<T: Serialize>(&self, typ: Option<&str>, claims: &T) -> Result<String, JoseError> {
        let mut header = jsonwebtoken::Header::new(Algorithm::ES256);
        header.kid = Some(self.kid.clone());
        header.typ = Some(typ.unwrap_or("JWT").to_owned());
        Ok(jsonwebtoken::encode(&header, claims, &self.encoding)?)
    }

    /// The key that verifies this key's signatures.
    pub fn decoding_key(&self) -> Result<DecodingKey, JoseError> {
        Ok(DecodingKey::from_jwk(&self.jwk)?)
    }
}

/// The public JWK of a SEC1 P-256 point (without `kid`).
fn public_jwk(point: &[u8]) -> Result<Jwk, JoseError> {
    if point.len() != 65 || point[0] != 4 {
        return Err(JoseError("not an uncompressed P-256 point".to_owned()));
    }
    Ok(Jwk {
        common: CommonParameters {
            public_key_use: Some(PublicKeyUse::Signature),
            key_algorithm: Some(KeyAlgorithm::ES256),
            ..CommonParameters::default()
        },
        algorithm: AlgorithmParameters::EllipticCurve(EllipticCurveKeyParameters {
            key_type: EllipticCurveKeyType::EC,
            curve: EllipticCurve::P256,
            x: b64_encode(&point[1..33]),
            y: b64_encode(&point[33..65]),
        }),
    })
}

/// The left half of the SHA-256 of `value`, base64url: the `at_hash` of an access token
/// (OpenID Connect Core §3.1.3.6, for ES256).
pub fn left_half_hash(value: &str) -> String {
    let digest = ring::digest::digest(&ring::digest::SHA256, value.as_bytes());
    b64_encode(&digest.as_ref()[..16])
}

#[cfg(test)]
mod tests {
    use super::*;
    use jsonwebtoken::{Validation, decode};
    use serde::Deserialize;
    use tigr_core::random::SeededRandom;

    #[derive(Debug, Serialize, Deserialize, PartialEq)]
    struct Claims {
        iss: String,
        aud: String,
        exp: i64,
    }

    fn claims() -> Claims {
        Claims {
            iss: "https://auth.example.fr".into(),
            aud: "client".into(),
            exp: 4_000_000_000,
        }
    }

    #[test]
    fn keys_are_drawn_from_the_injected_source_and_reload_from_pkcs8() {
        let (a, pkcs8) = SigningKey::generate(&SeededRandom::new(1)).expect("key");
        let (b, _) = SigningKey::generate(&SeededRandom::new(1)).expect("key");
        let (c, _) = SigningKey::generate(&SeededRandom::new(2)).expect("key");
        assert_eq!(a.kid(), b.kid(), "same seed, same key");
        assert_ne!(a.kid(), c.kid());
        let again = SigningKey::from_pkcs8(&pkcs8).expect("reload");
        assert_eq!(again.kid(), a.kid());
        assert_eq!(a.kid().len(), 43, "SHA-256 thumbprint, base64url");
        let jwk = serde_json::to_value(a.public_jwk()).expect("json");
        assert_eq!(jwk["kty"], "EC");
        assert_eq!(jwk["crv"], "P-256");
        assert_eq!(jwk["use"], "sig");
        assert_eq!(jwk["alg"], "ES256");
        assert_eq!(jwk["kid"], a.kid());
        assert!(jwk.get("d").is_none(), "no private part");
        assert!(!format!("{a:?}").contains(&b64_encode(&pkcs8)));
    }

    #[test]
    fn tokens_sign_and_verify_with_ring_and_fail_when_altered() {
        let (key, _) = SigningKey::generate(&SeededRandom::new(3)).expect("key");
        let token = key.sign(Some("logout+jwt"), &claims()).expect("sign");
        let header = jsonwebtoken::decode_header(&token).expect("header");
        assert_eq!(header.alg, Algorithm::ES256);
        assert_eq!(header.kid.as_deref(), Some(key.kid()));
        assert_eq!(header.typ.as_deref(), Some("logout+jwt"));
        let mut validation = Validation::new(Algorithm::ES256);
        validation.set_audience(&["client"]);
        let decoded = decode::<Claims>(&token, &key.decoding_key().expect("key"), &validation)
            .expect("verifies");
        assert_eq!(decoded.claims, claims());

        // Another key, a changed payload, another algorithm: refused.
        let (other, _) = SigningKey::generate(&SeededRandom::new(4)).expect("key");
        assert!(decode::<Claims>(&token, &other.decoding_key().expect("k"), &validation).is_err());
        let parts: Vec<&str> = token.split('.').collect();
        let forged_payload =
            b64_encode(br#"{"iss":"https://evil","aud":"client","exp":4000000000}"#);
        let forged = format!("{}.{}.{}", parts[0], forged_payload, parts[2]);
        assert!(decode::<Claims>(&forged, &key.decoding_key().expect("k"), &validation).is_err());
        let none_header = b64_encode(br#"{"alg":"none","typ":"JWT"}"#);
        let unsigned = format!("{none_header}.{}.", parts[1]);
        assert!(decode::<Claims>(&unsigned, &key.decoding_key().expect("k"), &validation).is_err());
    }

    #[test]
    fn only_es256_signs() {
        install_ring_provider();
        let (key, pkcs8) = SigningKey::generate(&SeededRandom::new(5)).expect("key");
        let encoding = EncodingKey::from_ec_der(&pkcs8);
        let header = jsonwebtoken::Header::new(Algorithm::ES384);
        assert!(jsonwebtoken::encode(&header, &claims(), &encoding).is_err());
        assert!(key.sign(None, &claims()).is_ok());
    }

    #[test]
    fn at_hash_is_the_left_half_of_sha256() {
        // OpenID Connect Core's example access token and at_hash (RS256 and ES256 both use
        // SHA-256).
        assert_eq!(
            left_half_hash("jHkWEdUXMU1BwAsC4vtUsZwnNvTIxEl0z9K3vx5KF0Y"),
            "77QmUPtjPfzWtF2AnpK9RQ"
        );
    }
}
