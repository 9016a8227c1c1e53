//! Card certificates (CPS and the other cards of the health sector's PKI, docs/cps.md): is
//! a certificate chain good for a login at a given time, and who does it name.
//!
//! ```text
//!   chain (leaf first) ──► verify: chain to a configured root through the configured
//!                          intermediates, dates, extended key usage clientAuth (when the
//!                          certificate restricts it), key usage digitalSignature (when
//!                          present), CRLs of every CA on the path
//!                     ──► identify: national identifier (subject serialNumber, else CN
//!                          up to its first '/'), SHA-256 fingerprint, name
//! ```
//!
//! The chain engine is `rustls-webpki`, the one rustls itself uses; subject fields are read
//! with `x509-parser`. Pure: the trust set and the time are passed in. The checks against a
//! test PKI are the tests of `crate::card_trust`.

use rustls_pki_types::{CertificateDer, TrustAnchor, UnixTime};
use webpki::{
    CertRevocationList, EndEntityCert, ExpirationPolicy, KeyUsage, OwnedCertRevocationList,
    RevocationCheckDepth, RevocationOptionsBuilder, UnknownStatusPolicy,
};
use x509_parser::oid_registry::{
    OID_X509_COMMON_NAME, OID_X509_GIVEN_NAME, OID_X509_SERIALNUMBER, OID_X509_SURNAME,
};
use x509_parser::prelude::{FromDer, X509Certificate};

/// Longest national identifier accepted (type digit, identifier, optional `/` suffix).
const MAX_NATIONAL_ID_LEN: usize = 64;

/// Why a card certificate does not log anyone in. `as_str` is the audit trail's `reason=`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CardRefusal {
    /// The browser sent no certificate.
    NoCertificate,
    /// The certificate cannot be parsed.
    Malformed,
    /// It does not chain to a configured root.
    UnknownCa,
    /// Its validity (or a CA's on its path) ended.
    Expired,
    /// Its validity has not started.
    NotYetValid,
    /// A configured CRL lists it (or a CA on its path).
    Revoked,
    /// Its revocation status cannot be told: no CRL of its issuer, or a CRL past its next
    /// update (with the stale-CRL policy `refuse`).
    RevocationUnknown,
    /// Its key usage or extended key usage excludes client authentication.
    WrongUsage,
    /// A signature on the path is wrong, or the path breaks another rule.
    Invalid,
    /// It names no national identifier and its fingerprint is bound to no account, or its
    /// identifier is bound to no account.
    Unbound,
    /// The bound account is disabled.
    AccountDisabled,
    /// The bound account is blocked.
    AccountBlocked,
    /// A certificate header came from an address that is not a configured proxy.
    UntrustedProxy,
    /// No login was started from the login page of this browser (or it expired).
    NoLoginStarted,
    /// Card login is not configured on this server.
    NotConfigured,
}

impl CardRefusal {
    /// The audit trail's spelling.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::NoCertificate => "no_certificate",
            Self::Malformed => "malformed",
            Self::UnknownCa => "unknown_ca",
            Self::Expired => "expired",
            Self::NotYetValid => "not_yet_valid",
            Self::Revoked => "revoked",
            Self::RevocationUnknown => "revocation_unknown",
            Self::WrongUsage => "wrong_usage",
            Self::Invalid => "invalid",
            Self::Unbound => "unbound",
            Self::AccountDisabled => "account_disabled",
            Self::AccountBlocked => "account_blocked",
            Self::UntrustedProxy => "untrusted_proxy",
            Self::NoLoginStarted => "no_login_started",
            Self::NotConfigured => "not_configured",
        }
    }

    fn of_webpki(error: &webpki::Error) -> Self {
        use webpki::Error as E;
        match error {
            E::CertExpired { .. } => Self::Expired,
            E::CertNotValidYet { .. } => Self::NotYetValid,
            E::CertRevoked => Self::Revoked,
            E::UnknownIssuer => Self::UnknownCa,
            E::UnknownRevocationStatus | E::CrlExpired { .. } => Self::RevocationUnknown,
            E::RequiredEkuNotFoundContext(_) => Self::WrongUsage,
            E::BadDer | E::BadDerTime | E::TrailingData(_) | E::UnsupportedCertVersion => {
                Self::Malformed
            }
            _ => Self::Invalid,
        }
    }
}

/// What to do when a certificate's revocation status cannot be told (no CRL of its issuer,
/// or a CRL past its `nextUpdate`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum StaleCrlPolicy {
    /// Refuse the login (`revocation_unknown`): fail closed.
    Refuse,
    /// Let the login through, audited with `revocation=unchecked`.
    Accept,
}

/// The certificates and CRLs a card chain is checked against.
#[derive(Debug, Default)]
pub struct CardTrust {
    anchors: Vec<TrustAnchor<'static>>,
    intermediates: Vec<CertificateDer<'static>>,
    crls: Vec<CertRevocationList<'static>>,
}

/// A configured certificate or CRL that cannot be used.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{0}")]
pub struct TrustError(String);

impl CardTrust {
    /// A trust set: `roots` are the trust anchors, `intermediates` the CAs that may sit
    /// between them and a card (browsers often send the card's certificate alone), `crls`
    /// DER CRLs of any of them.
    pub fn new(
        roots: &[CertificateDer<'_>],
        intermediates: &[CertificateDer<'_>],
        crls: &[Vec<u8>],
    ) -> Result<Self, TrustError> {
        let anchors = roots
            .iter()
            .enumerate()
            .map(|(i, der)| {
                webpki::anchor_from_trusted_cert(der)
                    .map(|a| a.to_owned())
                    .map_err(|e| TrustError(format!("root certificate #{}: {e}", i + 1)))
            })
            .collect::<Result<Vec<_>, _>>()?;
        let crls = crls
            .iter()
            .enumerate()
            .map(|(i, der)| {
                OwnedCertRevocationList::from_der(der)
                    .map(CertRevocationList::from)
                    .map_err(|e| TrustError(format!("CRL #{}: {e}", i + 1)))
            })
            .collect::<Result<Vec<_>, _>>()?;
        Ok(Self {
            anchors,
            intermediates: intermediates
                .iter()
                .map(|c| c.clone().into_owned())
                .collect(),
            crls,
        })
    }

    /// The same certificates with other CRLs (after a refresh).
    pub fn with_crls(&self, crls: &[Vec<u8>]) -> Result<Self, TrustError> {
        let mut fresh = Self::new(&[], &[], crls)?;
        fresh.anchors = self.anchors.clone();
        fresh.intermediates = self.intermediates.clone();
        Ok(fresh)
    }

    /// How many roots, intermediates and CRLs.
    pub fn counts(&self) -> (usize, usize, usize) {
        (
            self.anchors.len(),
            self.intermediates.len(),
            self.crls.len(),
        )
    }

    /// DER subjects of the roots and intermediates: the CA names a TLS server asks the
    /// browser for, so that it offers only cards of this PKI.
    pub fn ca_subjects(&self) -> Vec<Vec<u8>> {
        let mut names: Vec<Vec<u8>> = self.anchors.iter().map(|a| a.subject.to_vec()).collect();
        for der in &self.intermediates {
            if let Ok((_, cert)) = X509Certificate::from_der(der) {
                names.push(cert.subject().as_raw().to_vec());
            }
        }
        names
    }

    /// Checks `chain` (the card's certificate first, then whatever CAs the browser sent) at
    /// `now` (Unix seconds). `Ok(true)`: revocation checked; `Ok(false)`: status unknown but
    /// let through by [`StaleCrlPolicy::Accept`].
    pub fn verify(
        &self,
        chain: &[CertificateDer<'_>],
        now: i64,
        policy: StaleCrlPolicy,
    ) -> Result<bool, CardRefusal> {
        let (leaf, sent) = chain.split_first().ok_or(CardRefusal::NoCertificate)?;
        let parsed = parse(leaf)?;
        if let Ok(Some(usage)) = parsed.key_usage()
            && !usage.value.digital_signature()
        {
            return Err(CardRefusal::WrongUsage);
        }
        let end_entity = EndEntityCert::try_from(leaf).map_err(|_| CardRefusal::Malformed)?;
        let mut intermediates: Vec<CertificateDer<'_>> = sent.to_vec();
        intermediates.extend(self.intermediates.iter().cloned());
        let time = UnixTime::since_unix_epoch(std::time::Duration::from_secs(
            u64::try_from(now).unwrap_or(0),
        ));
        let crls: Vec<&CertRevocationList<'_>> = self.crls.iter().collect();
        let check = |strict: bool| {
            let revocation = RevocationOptionsBuilder::new(&crls).ok().map(|b| {
                b.with_depth(RevocationCheckDepth::Chain)
                    .with_status_policy(if strict {
                        UnknownStatusPolicy::Deny
                    } else {
                        UnknownStatusPolicy::Allow
                    })
                    .with_expiration_policy(if strict {
                        ExpirationPolicy::Enforce
                    } else {
                        ExpirationPolicy::Ignore
                    })
                    .build()
            });
            // No CRL at all: the status of every certificate is unknown.
            if strict && revocation.is_none() {
                return Err(webpki::Error::UnknownRevocationStatus);
            }
            end_entity
                .verify_for_usage(
                    webpki::ALL_VERIFICATION_ALGS,
                    &self.anchors,
                    &intermediates,
                    time,
                    KeyUsage::client_auth(),
                    revocation,
                    None,
                )
                .map(|_| ())
        };
        match check(true) {
            Ok(()) => Ok(true),
            Err(error) => match (CardRefusal::of_webpki(&error), policy) {
                (CardRefusal::RevocationUnknown, StaleCrlPolicy::Accept) => check(false)
                    .map(|()| false)
                    .map_err(|e| CardRefusal::of_webpki(&e)),
                (refusal, _) => Err(refusal),
            },
        }
    }
}

fn parse<'a>(der: &'a CertificateDer<'_>) -> Result<X509Certificate<'a>, CardRefusal> {
    match X509Certificate::from_der(der) {
        Ok(([], cert)) => Ok(cert),
        _ => Err(CardRefusal::Malformed),
    }
}

/// Who a card certificate names.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CardIdentity {
    /// The national identifier, when the subject carries a well-formed one.
    pub national_id: Option<NationalId>,
    /// SHA-256 of the certificate (DER), 64 lowercase hex digits.
    pub fingerprint: String,
    /// Given name and surname (or the CN), for pages and the audit trail.
    pub name: String,
}

impl CardIdentity {
    /// Reads the subject of the card's certificate `der`.
    pub fn of(der: &CertificateDer<'_>) -> Result<Self, CardRefusal> {
        let cert = parse(der)?;
        let subject = cert.subject();
        let first = |oid: &x509_parser::oid_registry::Oid<'static>| {
            subject
                .iter_by_oid(oid)
                .find_map(|a| a.as_str().ok())
                .map(|s| s.trim().to_owned())
        };
        let (serial_oid, cn_oid, given_oid, surname_oid) = (
            OID_X509_SERIALNUMBER,
            OID_X509_COMMON_NAME,
            OID_X509_GIVEN_NAME,
            OID_X509_SURNAME,
        );
        let serial = first(&serial_oid);
        let common_name = first(&cn_oid);
        let national_id = serial.as_deref().and_then(NationalId::parse).or_else(|| {
            common_name
                .as_deref()
                .and_then(NationalId::from_common_name)
        });
        let name = match (first(&given_oid), first(&surname_oid)) {
            (Some(given), Some(surname)) => format!("{given} {surname}"),
            (None, Some(surname)) => surname,
            _ => common_name.unwrap_or_default(),
        };
        Ok(Self {
            national_id,
            fingerprint: fingerprint(der),
            name: name.chars().filter(|c| !c.is_control()).take(128).collect(),
        })
    }
}

/// SHA-256 of a certificate's DER, as 64 lowercase hex digits.
pub fn fingerprint(der: &[u8]) -> String {
    ring::digest::digest(&ring::digest::SHA256, der)
        .as_ref()
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect()
}

/// A fingerprint as an administrator may type it (hex, any case, with or without `:`),
/// in the stored form; `None` when it is not 32 bytes of hex.
pub fn normalize_fingerprint(text: &str) -> Option<String> {
    let hex: String = text
        .trim()
        .chars()
        .filter(|c| *c != ':')
        .map(|c| c.to_ascii_lowercase())
        .collect();
    (hex.len() == 64 && hex.chars().all(|c| c.is_ascii_hexdigit())).then_some(hex)
}

/// A national identifier of the health sector's directory as card certificates carry it:
/// one digit for its type, then the identifier (`8` + RPPS number for professionals in the
/// RPPS, `0` + ADELI number, `3`/`4`/`5` + FINESS/SIREN/SIRET of the employer + `/` + the
/// employer's own identifier for staff cards). See docs/cps.md.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NationalId(String);

/// What the type digit of a [`NationalId`] says.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum NationalIdKind {
    /// `8`: RPPS number (11 digits).
    Rpps,
    /// `0`: ADELI number (9 digits).
    Adeli,
    /// `3`, `4`, `5`: a staff member, named by the employer's FINESS, SIREN or SIRET and
    /// its own identifier.
    Staff,
    /// Any other type digit.
    Other,
}

impl NationalId {
    /// A well-formed identifier: a type digit, then letters, digits, and at most one `/`
    /// followed by letters, digits, `-`, `.` or `_`; 2 to 64 characters. Professionals'
    /// types are checked further: `8` + 11 digits, `0` + 9 digits.
    pub fn parse(text: &str) -> Option<Self> {
        let text = text.trim();
        if text.len() < 2 || text.len() > MAX_NATIONAL_ID_LEN {
            return None;
        }
        let (main, suffix) = match text.split_once('/') {
            Some((main, suffix)) => (main, Some(suffix)),
            None => (text, None),
        };
        let well_formed = main.starts_with(|c: char| c.is_ascii_digit())
            && main.len() >= 2
            && main.chars().all(|c| c.is_ascii_alphanumeric())
            && suffix.is_none_or(|s| {
                !s.is_empty()
                    && s.chars()
                        .all(|c| c.is_ascii_alphanumeric() || matches!(c, '-' | '.' | '_'))
            });
        if !well_formed {
            return None;
        }
        let digits = |n: usize| {
            main.len() == n + 1 && main.chars().all(|c| c.is_ascii_digit()) && suffix.is_none()
        };
        let id = Self(text.to_owned());
        match id.kind() {
            NationalIdKind::Rpps if !digits(11) => None,
            NationalIdKind::Adeli if !digits(9) => None,
            NationalIdKind::Staff if suffix.is_none() => None,
            _ => Some(id),
        }
    }

    /// The identifier from a CN: the whole CN when it is one, else its part before the
    /// first `/` (`810001234567/CPS` → `810001234567`).
    fn from_common_name(cn: &str) -> Option<Self> {
        Self::parse(cn).or_else(|| cn.split_once('/').and_then(|(head, _)| Self::parse(head)))
    }

    /// The identifier as stored and shown (`810001234567`).
    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// What its type digit says.
    pub fn kind(&self) -> NationalIdKind {
        match self.0.as_bytes().first() {
            Some(b'8') => NationalIdKind::Rpps,
            Some(b'0') => NationalIdKind::Adeli,
            Some(b'3' | b'4' | b'5') => NationalIdKind::Staff,
            _ => NationalIdKind::Other,
        }
    }
}

impl std::fmt::Display for NationalId {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn national_identifiers_follow_the_profile() {
        let rpps = NationalId::parse("810001234567").expect("rpps");
        assert_eq!(rpps.kind(), NationalIdKind::Rpps);
        assert_eq!(
            NationalId::parse("0751234567").map(|i| i.kind()),
            Some(NationalIdKind::Adeli)
        );
        let staff = NationalId::parse("3750000000/EMP-0042").expect("staff");
        assert_eq!(staff.kind(), NationalIdKind::Staff);
        for bad in [
            "",
            "8",
            "81000123456",    // RPPS: 11 digits needed
            "8100012345678",  // one too many
            "07512345",       // ADELI: 9 digits
            "3750000000",     // staff without the employer's identifier
            "X10001234567",   // type must be a digit
            "810001234567/",  // empty suffix
            "8100 01234567",  // spaces
            "3750000000/a/b", // two slashes
        ] {
            assert_eq!(NationalId::parse(bad), None, "{bad:?}");
        }
        assert_eq!(
            NationalId::from_common_name("810001234567/CPS"),
            Some(rpps.clone())
        );
        assert_eq!(NationalId::from_common_name("Jean Dupont"), None);
    }

    #[test]
    fn fingerprints_are_normalized() {
        let hex = "AB:".repeat(31) + "AB";
        assert_eq!(normalize_fingerprint(&hex), Some("ab".repeat(32)));
        assert_eq!(normalize_fingerprint("abcd"), None);
        assert_eq!(normalize_fingerprint(&"zz".repeat(32)), None);
    }
}
