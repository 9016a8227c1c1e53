//! A test PKI shaped like the health sector's (IGC-Santé, docs/cps.md): a root, an
//! intermediate CA for people, card certificates with the subject fields of the cards'
//! profile, CRLs of both CAs, and a TLS server certificate. Made at test time with `rcgen`
//! (ECDSA P-256 keys: quick to make; real cards carry RSA keys, which the same code
//! verifies). Only in test builds and with the `test-support` feature.

use rcgen::string::PrintableString;
use rcgen::{
    BasicConstraints, CertificateParams, CertificateRevocationListParams, CertifiedIssuer,
    DistinguishedName, DnType, DnValue, ExtendedKeyUsagePurpose, IsCa, KeyIdMethod, KeyPair,
    KeyUsagePurpose, RevokedCertParams, SanType, SerialNumber,
};
use rustls_pki_types::CertificateDer;
use time::OffsetDateTime;

/// OID of the subject attribute `serialNumber` (2.5.4.5).
const SERIAL_NUMBER: &[u64] = &[2, 5, 4, 5];
/// OID of `surname` (2.5.4.4).
const SURNAME: &[u64] = &[2, 5, 4, 4];
/// OID of `givenName` (2.5.4.42).
const GIVEN_NAME: &[u64] = &[2, 5, 4, 42];
/// OID of `title` (2.5.4.12).
const TITLE: &[u64] = &[2, 5, 4, 12];

/// What a test card certificate says.
#[derive(Debug, Clone)]
pub struct CardSpec {
    /// Subject `serialNumber` (the national identifier), if any.
    pub serial_number: Option<String>,
    /// Subject CN.
    pub common_name: String,
    /// Subject givenName.
    pub given_name: Option<String>,
    /// Subject surname.
    pub surname: Option<String>,
    /// Start of validity (Unix seconds).
    pub not_before: i64,
    /// End of validity (Unix seconds).
    pub not_after: i64,
    /// Extended key usage serverAuth only (no clientAuth).
    pub server_auth_only: bool,
    /// Key usage keyEncipherment only (no digitalSignature).
    pub key_encipherment_only: bool,
}

impl CardSpec {
    /// A professional's card (CPS): `serialNumber` and CN are `national_id`
    /// (`8` + RPPS), valid from a day ago for three years.
    pub fn professional(national_id: &str, given_name: &str, surname: &str) -> Self {
        Self {
            serial_number: Some(national_id.to_owned()),
            common_name: national_id.to_owned(),
            given_name: Some(given_name.to_owned()),
            surname: Some(surname.to_owned()),
            not_before: 0,
            not_after: 0,
            server_auth_only: false,
            key_encipherment_only: false,
        }
    }

    /// A card whose certificate carries no national identifier.
    pub fn without_identifier(common_name: &str) -> Self {
        Self {
            serial_number: None,
            common_name: common_name.to_owned(),
            given_name: None,
            surname: None,
            ..Self::professional("", "", "")
        }
    }
}

/// A card: its certificate and private key.
#[derive(Debug)]
pub struct TestCard {
    der: CertificateDer<'static>,
    pem: String,
    key_pem: String,
    serial: u64,
}

impl TestCard {
    /// The certificate (DER).
    pub fn der(&self) -> CertificateDer<'static> {
        self.der.clone()
    }

    /// The certificate (PEM).
    pub fn pem(&self) -> &str {
        &self.pem
    }

    /// The private key (PKCS#8 PEM).
    pub fn key_pem(&self) -> &str {
        &self.key_pem
    }

    /// Certificate and key in one PEM (what TLS clients load as an identity).
    pub fn identity_pem(&self) -> String {
        format!("{}{}", self.pem, self.key_pem)
    }
}

/// Root and intermediate CA of a test PKI.
#[allow(missing_debug_implementations)]
pub struct TestPki {
    root: CertifiedIssuer<'static, KeyPair>,
    intermediate: CertifiedIssuer<'static, KeyPair>,
    now: i64,
    next_serial: std::sync::atomic::AtomicU64,
}

fn time_at(unix: i64) -> OffsetDateTime {
    OffsetDateTime::from_unix_timestamp(unix).expect("time in range")
}

fn ca_params(name: &str, now: i64) -> CertificateParams {
    let mut params = CertificateParams::default();
    let mut dn = DistinguishedName::new();
    dn.push(DnType::CountryName, "FR");
    dn.push(DnType::OrganizationName, "TIGR TEST PKI");
    dn.push(DnType::OrganizationalUnitName, "IGC-SANTE TEST");
    dn.push(DnType::CommonName, name);
    params.distinguished_name = dn;
    params.is_ca = IsCa::Ca(BasicConstraints::Unconstrained);
    params.key_usages = vec![KeyUsagePurpose::KeyCertSign, KeyUsagePurpose::CrlSign];
    params.not_before = time_at(now - 365 * 86_400);
    params.not_after = time_at(now + 10 * 365 * 86_400);
    params.key_identifier_method = KeyIdMethod::Sha256;
    params
}

impl TestPki {
    /// A root "TEST AC RACINE IGC-SANTE FORT" and its intermediate "TEST AC IGC-SANTE FORT
    /// PERSONNES", valid around `now` (Unix seconds).
    pub fn new(now: i64) -> Self {
        Self::named(
            now,
            "TEST AC RACINE IGC-SANTE FORT",
            "TEST AC IGC-SANTE FORT PERSONNES",
        )
    }

    /// Another PKI, with other CA names (a card that no configured CA issued).
    pub fn another(now: i64) -> Self {
        Self::named(now, "AUTRE AC RACINE DE TEST", "AUTRE AC DE TEST PERSONNES")
    }

    fn named(now: i64, root_name: &str, intermediate_name: &str) -> Self {
        let root = CertifiedIssuer::self_signed(
            ca_params(root_name, now),
            KeyPair::generate().expect("key"),
        )
        .expect("root");
        let mut params = ca_params(intermediate_name, now);
        params.use_authority_key_identifier_extension = true;
        let intermediate =
            CertifiedIssuer::signed_by(params, KeyPair::generate().expect("key"), &root)
                .expect("intermediate");
        Self {
            root,
            intermediate,
            now,
            next_serial: std::sync::atomic::AtomicU64::new(1000),
        }
    }

    /// The root certificate (DER).
    pub fn root_der(&self) -> CertificateDer<'static> {
        self.root.der().clone()
    }

    /// The root certificate (PEM).
    pub fn root_pem(&self) -> String {
        self.root.pem()
    }

    /// The intermediate certificate (DER).
    pub fn intermediate_der(&self) -> CertificateDer<'static> {
        self.intermediate.der().clone()
    }

    /// The intermediate certificate (PEM).
    pub fn intermediate_pem(&self) -> String {
        self.intermediate.pem()
    }

    /// A card certificate issued by the intermediate. Zero dates in `spec` mean "from a
    /// day before the PKI's time, for three years".
    pub fn card(&self, spec: &CardSpec) -> TestCard {
        let mut params = CertificateParams::default();
        let mut dn = DistinguishedName::new();
        dn.push(DnType::CountryName, "FR");
        dn.push(DnType::OrganizationName, "CABINET MEDICAL DE TEST");
        dn.push(DnType::OrganizationalUnitName, "3750000000");
        dn.push(DnType::CustomDnType(TITLE.to_vec()), "Médecin");
        if let Some(surname) = &spec.surname {
            dn.push(DnType::CustomDnType(SURNAME.to_vec()), surname.as_str());
        }
        if let Some(given) = &spec.given_name {
            dn.push(DnType::CustomDnType(GIVEN_NAME.to_vec()), given.as_str());
        }
        if let Some(serial) = &spec.serial_number {
            dn.push(
                DnType::CustomDnType(SERIAL_NUMBER.to_vec()),
                DnValue::PrintableString(
                    PrintableString::try_from(serial.as_str()).expect("printable"),
                ),
            );
        }
        dn.push(DnType::CommonName, spec.common_name.as_str());
        params.distinguished_name = dn;
        params.is_ca = IsCa::ExplicitNoCa;
        params.key_usages = if spec.key_encipherment_only {
            vec![KeyUsagePurpose::KeyEncipherment]
        } else {
            vec![KeyUsagePurpose::DigitalSignature]
        };
        params.extended_key_usages = if spec.server_auth_only {
            vec![ExtendedKeyUsagePurpose::ServerAuth]
        } else {
            vec![ExtendedKeyUsagePurpose::ClientAuth]
        };
        let not_before = if spec.not_before == 0 {
            self.now - 86_400
        } else {
            spec.not_before
        };
        let not_after = if spec.not_after == 0 {
            self.now + 3 * 365 * 86_400
        } else {
            spec.not_after
        };
        params.not_before = time_at(not_before);
        params.not_after = time_at(not_after);
        let serial = self
            .next_serial
            .fetch_add(1, std::sync::atomic::Ordering::Relaxed);
        params.serial_number = Some(SerialNumber::from(serial));
        params.use_authority_key_identifier_extension = true;
        let key = KeyPair::generate().expect("key");
        let cert = params
            .signed_by(&key, &self.intermediate)
            .expect("card certificate");
        TestCard {
            der: cert.der().clone(),
            pem: cert.pem(),
            key_pem: key.serialize_pem(),
            serial,
        }
    }

    /// The CRLs of both CAs (DER), published at `at` for a day: the root's lists
    /// nothing, the intermediate's lists `revoked`.
    pub fn crls(&self, at: i64, revoked: &[&TestCard]) -> Vec<Vec<u8>> {
        let crl = |issuer: &CertifiedIssuer<'static, KeyPair>, revoked: &[&TestCard]| {
            CertificateRevocationListParams {
                this_update: time_at(at - 60),
                next_update: time_at(at + 86_400),
                crl_number: SerialNumber::from(u64::try_from(at).unwrap_or(1)),
                issuing_distribution_point: None,
                revoked_certs: revoked
                    .iter()
                    .map(|card| RevokedCertParams {
                        serial_number: SerialNumber::from(card.serial),
                        revocation_time: time_at(at - 120),
                        reason_code: None,
                        invalidity_date: None,
                    })
                    .collect(),
                key_identifier_method: KeyIdMethod::Sha256,
            }
            .signed_by(issuer)
            .expect("crl")
            .der()
            .to_vec()
        };
        vec![crl(&self.root, &[]), crl(&self.intermediate, revoked)]
    }
}

impl TestPki {
    /// Turns card login on in `config` with this PKI: roots, intermediates and CRLs (listing
    /// `revoked`, published now) written as files into `dir`, and Tigr's own TLS listener on
    /// 127.0.0.1 with a new server certificate. Returns that certificate (PEM), for clients
    /// to trust.
    pub fn configure(
        &self,
        config: &mut crate::Config,
        dir: &std::path::Path,
        revoked: &[&TestCard],
    ) -> String {
        let write = |name: &str, bytes: &[u8]| {
            let path = dir.join(name);
            std::fs::write(&path, bytes).expect("write");
            path
        };
        let (cert_pem, key_pem, _) = tls_server_certificate();
        let crls = self.crls(self.now, revoked);
        config.card.roots = vec![write("card-root.pem", self.root_pem().as_bytes())];
        config.card.intermediates = vec![write(
            "card-intermediate.pem",
            self.intermediate_pem().as_bytes(),
        )];
        config.card.crl_files = vec![
            write("card-root.crl", &crls[0]),
            write("card-intermediate.crl", &crls[1]),
        ];
        config.card.listen = Some("127.0.0.1:0".parse().expect("address"));
        config.card.tls_cert = Some(write("card-tls.pem", cert_pem.as_bytes()));
        config.card.tls_key = Some(write("card-tls.key", key_pem.as_bytes()));
        cert_pem
    }
}

/// A self-signed TLS server certificate for `localhost` and 127.0.0.1: (certificate PEM,
/// key PEM, certificate DER).
pub fn tls_server_certificate() -> (String, String, CertificateDer<'static>) {
    let mut params = CertificateParams::new(vec!["localhost".to_owned()]).expect("server name");
    params
        .subject_alt_names
        .push(SanType::IpAddress(std::net::IpAddr::from([127, 0, 0, 1])));
    params
        .distinguished_name
        .push(DnType::CommonName, "localhost");
    let key = KeyPair::generate().expect("key");
    let cert = params.self_signed(&key).expect("server certificate");
    (cert.pem(), key.serialize_pem(), cert.der().clone())
}
