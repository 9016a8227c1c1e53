//! Google Authenticator's export QR codes: `otpauth-migration://offline?data=...`, the `data`
//! parameter being the base64 of a protobuf `MigrationPayload` that lists accounts.
//!
//! The message structs are derived by hand with `prost` (no `.proto` file, no build script),
//! after the schema that Google Authenticator writes:
//!
//! ```text
//! message MigrationPayload {
//!   repeated OtpParameters otp_parameters = 1;
//!   int32 version = 2; int32 batch_size = 3; int32 batch_index = 4; int32 batch_id = 5;
//! }
//! message OtpParameters {
//!   bytes secret = 1; string name = 2; string issuer = 3;
//!   Algorithm algorithm = 4;   // 0 unspecified (SHA1), 1 SHA1, 2 SHA256, 3 SHA512, 4 MD5
//!   DigitCount digits = 5;     // 0 unspecified (6), 1 six, 2 eight
//!   OtpType type = 6;          // 0 unspecified, 1 HOTP, 2 TOTP
//!   int64 counter = 7;
//! }
//! ```
//!
//! An export carries no period: its TOTP accounts are 30-second ones. Each code of an export
//! split over several QR codes stands alone (`batch_index` of `batch_size`). A code is read
//! whole or refused: one unusable account (MD5, a secret under 80 bits) refuses the code, with
//! that account's reason, rather than importing part of it silently.

use base64::Engine as _;
use zeroize::Zeroizing;

use super::HashAlgorithm;
use super::uri::{
    OtpImport, OtpKind, OtpUriError, Query, otpauth_url, resolve_issuer, split_label,
};

/// The export's message: the accounts of one QR code.
#[derive(Clone, PartialEq, prost::Message)]
pub(crate) struct MigrationPayload {
    #[prost(message, repeated, tag = "1")]
    pub(crate) otp_parameters: Vec<MigrationAccount>,
    #[prost(int32, tag = "2")]
    pub(crate) version: i32,
    #[prost(int32, tag = "3")]
    pub(crate) batch_size: i32,
    #[prost(int32, tag = "4")]
    pub(crate) batch_index: i32,
    #[prost(int32, tag = "5")]
    pub(crate) batch_id: i32,
}

/// One account of an export (`OtpParameters` in Google's schema). Its `Debug` hides the
/// secret, which is zeroized on drop.
#[derive(Clone, PartialEq, prost::Message)]
#[prost(skip_debug)]
pub(crate) struct MigrationAccount {
    #[prost(bytes = "vec", tag = "1")]
    pub(crate) secret: Vec<u8>,
    #[prost(string, tag = "2")]
    pub(crate) name: String,
    #[prost(string, tag = "3")]
    pub(crate) issuer: String,
    #[prost(enumeration = "Algorithm", tag = "4")]
    pub(crate) algorithm: i32,
    #[prost(enumeration = "DigitCount", tag = "5")]
    pub(crate) digits: i32,
    #[prost(enumeration = "OtpType", tag = "6")]
    pub(crate) r#type: i32,
    #[prost(int64, tag = "7")]
    pub(crate) counter: i64,
}

impl std::fmt::Debug for MigrationAccount {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("MigrationAccount")
            .field("name", &self.name)
            .field("issuer", &self.issuer)
            .finish_non_exhaustive()
    }
}

impl Drop for MigrationAccount {
    fn drop(&mut self) {
        zeroize::Zeroize::zeroize(&mut self.secret);
    }
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, prost::Enumeration)]
#[repr(i32)]
pub(crate) enum Algorithm {
    Unspecified = 0,
    Sha1 = 1,
    Sha256 = 2,
    Sha512 = 3,
    Md5 = 4,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, prost::Enumeration)]
#[repr(i32)]
pub(crate) enum DigitCount {
    Unspecified = 0,
    Six = 1,
    Eight = 2,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, prost::Enumeration)]
#[repr(i32)]
pub(crate) enum OtpType {
    Unspecified = 0,
    Hotp = 1,
    Totp = 2,
}

/// Reads an `otpauth-migration://offline?data=...` export code. Any other text is
/// [`OtpUriError::NotOtpauth`].
pub fn parse(text: &str) -> Result<OtpImport, OtpUriError> {
    let url = otpauth_url(text, "otpauth-migration")?;
    if !url
        .host_str()
        .is_some_and(|h| h.eq_ignore_ascii_case("offline"))
    {
        return Err(OtpUriError::Malformed("not an offline export".into()));
    }
    let query = Query::read(&url)?;
    // The form decoding turned any '+' the exporter did not escape into a space; base64 has
    // no spaces, so they are put back.
    let data = Zeroizing::new(query.get("data").unwrap_or_default().replace(' ', "+"));
    let engine = base64::engine::GeneralPurpose::new(
        &base64::alphabet::STANDARD,
        base64::engine::GeneralPurposeConfig::new()
            .with_decode_padding_mode(base64::engine::DecodePaddingMode::Indifferent),
    );
    let bytes = Zeroizing::new(
        engine
            .decode(data.as_bytes())
            .map_err(|_| OtpUriError::BadMigration("data is not base64"))?,
    );
    let payload = <MigrationPayload as prost::Message>::decode(&bytes[..])
        .map_err(|_| OtpUriError::BadMigration("data is not an export"))?;
    if payload.otp_parameters.is_empty() {
        return Err(OtpUriError::BadMigration("no account in the export"));
    }
    let batch = match (payload.batch_index, payload.batch_size) {
        (index, size) if size > 1 && (0..size).contains(&index) => {
            Some((index as u32 + 1, size as u32))
        }
        _ => None,
    };
    let accounts = payload
        .otp_parameters
        .iter()
        .map(account)
        .collect::<Result<Vec<_>, _>>()?;
    Ok(OtpImport { accounts, batch })
}

fn account(entry: &MigrationAccount) -> Result<super::uri::OtpParameters, OtpUriError> {
    let algorithm = match Algorithm::try_from(entry.algorithm) {
        Ok(Algorithm::Unspecified | Algorithm::Sha1) => HashAlgorithm::Sha1,
        Ok(Algorithm::Sha256) => HashAlgorithm::Sha256,
        Ok(Algorithm::Sha512) => HashAlgorithm::Sha512,
        Ok(Algorithm::Md5) => return Err(OtpUriError::UnknownAlgorithm("MD5".into())),
        Err(_) => return Err(OtpUriError::UnknownAlgorithm(entry.algorithm.to_string())),
    };
    let digits = match DigitCount::try_from(entry.digits) {
        Ok(DigitCount::Unspecified | DigitCount::Six) => 6,
        Ok(DigitCount::Eight) => 8,
        Err(_) => return Err(OtpUriError::BadDigits(entry.digits.to_string())),
    };
    let kind = match OtpType::try_from(entry.r#type) {
        Ok(OtpType::Totp) => OtpKind::Totp { period: 30 },
        Ok(OtpType::Hotp) => OtpKind::Hotp {
            counter: u64::try_from(entry.counter)
                .map_err(|_| OtpUriError::BadCounter(entry.counter.to_string()))?,
        },
        Ok(OtpType::Unspecified) | Err(_) => {
            return Err(OtpUriError::UnknownType(entry.r#type.to_string()));
        }
    };
    if entry.secret.is_empty() {
        return Err(OtpUriError::MissingSecret);
    }
    if entry.secret.len() < super::MIN_IMPORTED_KEY_LEN {
        return Err(OtpUriError::BadSecret("shorter than 80 bits"));
    }
    // The name is the label of the original URI: `Issuer:account` or `account`.
    let (label_issuer, name) = split_label(&entry.name)?;
    let issuer = Some(entry.issuer.clone()).filter(|i| !i.is_empty());
    if let Some(issuer) = &issuer {
        split_label(issuer)?;
    }
    Ok(resolve_issuer(
        issuer,
        label_issuer,
        name,
        kind,
        algorithm,
        digits,
        Zeroizing::new(entry.secret.clone()),
    ))
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;
    use crate::otp::uri::parse_any;
    use crate::otp::{Hotp, Totp};
    use proptest::prelude::*;

    /// An export code of `accounts`, as Google Authenticator writes it (for tests here and in
    /// `otp_accounts`).
    pub(crate) fn export_uri(accounts: Vec<MigrationAccount>, index: i32, size: i32) -> String {
        let payload = MigrationPayload {
            otp_parameters: accounts,
            version: 1,
            batch_size: size,
            batch_index: index,
            batch_id: 1_234_567,
        };
        let data = base64::engine::general_purpose::STANDARD
            .encode(prost::Message::encode_to_vec(&payload));
        let data: String =
            percent_encoding::utf8_percent_encode(&data, percent_encoding::NON_ALPHANUMERIC)
                .collect();
        format!("otpauth-migration://offline?data={data}")
    }

    impl MigrationAccount {
        /// A TOTP account as exports write it: SHA1, 6 digits.
        pub(crate) fn totp(secret: &[u8], name: &str, issuer: &str) -> Self {
            Self {
                secret: secret.to_vec(),
                name: name.into(),
                issuer: issuer.into(),
                algorithm: Algorithm::Sha1 as i32,
                digits: DigitCount::Six as i32,
                r#type: OtpType::Totp as i32,
                counter: 0,
            }
        }

        /// An HOTP account whose next counter is `counter`.
        pub(crate) fn hotp(secret: &[u8], name: &str, issuer: &str, counter: i64) -> Self {
            Self::totp(secret, name, issuer).with(|e| {
                e.r#type = OtpType::Hotp as i32;
                e.counter = counter;
            })
        }

        /// This account with `change` made.
        pub(crate) fn with(mut self, change: impl FnOnce(&mut Self)) -> Self {
            change(&mut self);
            self
        }
    }

    #[test]
    fn every_export_vector() {
        let v = crate::otp::tests::vectors("otpauth-migration.json");
        let exports = v["exports"].as_array().expect("exports");
        assert_eq!(exports.len(), 2);
        for export in exports {
            let name = export["name"].as_str().expect("name");
            let import = parse_any(export["uri"].as_str().expect("uri"))
                .unwrap_or_else(|e| panic!("{name}: {e}"));
            let batch = export["batch"].as_array().map(|b| {
                (
                    b[0].as_u64().expect("n") as u32,
                    b[1].as_u64().expect("n") as u32,
                )
            });
            assert_eq!(import.batch, batch, "{name}");
            let expected = export["accounts"].as_array().expect("accounts");
            assert_eq!(import.accounts.len(), expected.len(), "{name}");
            for (a, e) in import.accounts.iter().zip(expected) {
                assert_eq!(a.issuer.as_deref(), e["issuer"].as_str(), "{name}");
                assert_eq!(a.account, e["account"].as_str().expect("account"));
                assert_eq!(
                    base32::encode(base32::Alphabet::Rfc4648 { padding: false }, &a.secret),
                    e["secret_base32"].as_str().expect("secret")
                );
                assert_eq!(a.algorithm.name(), e["algorithm"].as_str().expect("alg"));
                assert_eq!(u64::from(a.digits), e["digits"].as_u64().expect("digits"));
                let check = &e["check"];
                let code = match a.kind {
                    OtpKind::Totp { period } => {
                        assert_eq!(u64::from(period), e["period"].as_u64().expect("period"));
                        Totp::imported(a.algorithm, &a.secret, a.digits, u64::from(period))
                            .expect("valid")
                            .code_at(check["time"].as_u64().expect("time"))
                    }
                    OtpKind::Hotp { counter } => {
                        assert_eq!(counter, e["counter"].as_u64().expect("counter"));
                        Hotp::imported(a.algorithm, &a.secret, a.digits)
                            .expect("valid")
                            .code(check["counter"].as_u64().expect("counter"))
                    }
                };
                assert_eq!(code, check["otp"].as_str().expect("otp"), "{name}");
            }
        }
    }

    #[test]
    fn an_export_built_with_known_values_reads_back_with_rfc_codes() {
        let sha1 = b"12345678901234567890";
        let sha256 = b"12345678901234567890123456789012";
        let eight = |e: &mut MigrationAccount| e.digits = DigitCount::Eight as i32;
        let uri = export_uri(
            vec![
                MigrationAccount::totp(sha1, "ESEA:c.leroy", "ESEA").with(eight),
                MigrationAccount::totp(sha256, "Hôpital Nord:c.leroy", "").with(|e| {
                    eight(e);
                    e.algorithm = Algorithm::Sha256 as i32;
                }),
                MigrationAccount::hotp(sha1, "jeton", "Banque", 7)
                    .with(|e| e.algorithm = Algorithm::Unspecified as i32),
            ],
            1,
            3,
        );
        let import = parse_any(&uri).expect("valid export");
        assert_eq!(import.batch, Some((2, 3)));
        let [esea, nord, jeton] = &import.accounts[..] else {
            panic!("three accounts: {import:?}")
        };
        assert_eq!(esea.label(), "ESEA:c.leroy");
        assert_eq!(nord.label(), "Hôpital Nord:c.leroy");
        assert_eq!(jeton.label(), "Banque:jeton");
        // RFC 6238 Appendix B at T = 59 s, RFC 4226 Appendix D at counter 7.
        let code = |p: &crate::otp::uri::OtpParameters, t| {
            Totp::imported(p.algorithm, &p.secret, p.digits, 30)
                .expect("valid")
                .code_at(t)
        };
        assert_eq!(code(esea, 59), "94287082");
        assert_eq!(code(nord, 59), "46119246");
        assert_eq!(jeton.kind, OtpKind::Hotp { counter: 7 });
        let hotp = Hotp::imported(jeton.algorithm, &jeton.secret, 6).expect("valid");
        assert_eq!(hotp.code(7), "162583");
    }

    #[test]
    fn bad_exports_get_their_reason() {
        type Change = fn(&mut MigrationAccount);
        type Check = fn(&OtpUriError) -> bool;
        let cases: [(Change, Check); 9] = [
            (
                |e| e.algorithm = Algorithm::Md5 as i32,
                |r| *r == OtpUriError::UnknownAlgorithm("MD5".into()),
            ),
            (
                |e| e.algorithm = 9,
                |r| matches!(r, OtpUriError::UnknownAlgorithm(_)),
            ),
            (|e| e.digits = 3, |r| matches!(r, OtpUriError::BadDigits(_))),
            (
                |e| e.r#type = OtpType::Unspecified as i32,
                |r| matches!(r, OtpUriError::UnknownType(_)),
            ),
            (
                |e| *e = MigrationAccount::hotp(&e.secret, "x", "", -1),
                |r| matches!(r, OtpUriError::BadCounter(_)),
            ),
            (|e| e.secret.clear(), |r| *r == OtpUriError::MissingSecret),
            (
                |e| e.secret.truncate(9),
                |r| matches!(r, OtpUriError::BadSecret(_)),
            ),
            (
                |e| e.name.clear(),
                |r| matches!(r, OtpUriError::BadLabel(_)),
            ),
            (
                |e| e.issuer = "a\u{202e}b".into(),
                |r| matches!(r, OtpUriError::BadLabel(_)),
            ),
        ];
        let good = || MigrationAccount::totp(b"12345678901234567890", "x", "");
        for (change, is_expected) in cases {
            let bad = good().with(change);
            let described = format!("{bad:?}");
            match parse(&export_uri(vec![bad], 0, 1)) {
                Err(e) => assert!(is_expected(&e), "{described}: {e:?}"),
                Ok(import) => panic!("{described} accepted: {import:?}"),
            }
            // One bad account refuses the whole code.
            let uri = export_uri(vec![good(), good().with(change)], 0, 1);
            assert!(parse(&uri).is_err());
        }
        for (uri, expected) in [
            (
                "otpauth-migration://offline?data=",
                "no account in the export",
            ),
            ("otpauth-migration://offline", "no account in the export"),
            ("otpauth-migration://offline?data=%%%", "data is not base64"),
            (
                "otpauth-migration://offline?data=AAAA",
                "data is not an export",
            ),
        ] {
            assert_eq!(
                parse(uri),
                Err(OtpUriError::BadMigration(expected)),
                "{uri}"
            );
        }
        assert_eq!(
            parse("otpauth-migration://online?data=AAAA"),
            Err(OtpUriError::Malformed("not an offline export".into()))
        );
        assert_eq!(
            parse("otpauth://totp/x?secret=JBSWY3DPEHPK3PXP"),
            Err(OtpUriError::NotOtpauth)
        );
        // parse_any reads either scheme, and says why an otpauth URI is refused.
        assert_eq!(
            parse_any("https://example.fr"),
            Err(OtpUriError::NotOtpauth)
        );
        assert_eq!(
            parse_any("otpauth://totp/x?secret="),
            Err(OtpUriError::MissingSecret)
        );
        let single = parse_any("otpauth://totp/x?secret=JBSWY3DPEHPK3PXP").expect("ok");
        assert_eq!((single.accounts.len(), single.batch), (1, None));
    }

    #[test]
    fn an_unescaped_plus_in_the_data_still_reads() {
        // Secret bytes chosen so that the base64 holds '+' and '/'.
        let key = [0xfb; 20];
        let uri = export_uri(vec![MigrationAccount::totp(&key, "x", "")], 0, 1);
        let raw = percent_encoding::percent_decode_str(&uri)
            .decode_utf8()
            .expect("utf8")
            .into_owned();
        assert!(raw.contains('+'), "{raw}");
        assert_eq!(
            &parse(&raw).expect("valid").accounts[0].secret[..],
            &key[..]
        );
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(256))]

        #[test]
        fn arbitrary_data_never_panics(bytes in proptest::collection::vec(any::<u8>(), 0..600)) {
            let data = base64::engine::general_purpose::STANDARD.encode(&bytes);
            let _ = parse(&format!("otpauth-migration://offline?data={data}"));
        }
    }
}
