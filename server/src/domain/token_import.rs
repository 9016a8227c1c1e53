//! Hardware token files: PSKC (RFC 6030, plaintext secrets) and a simple CSV. A file is
//! read whole: any problem refuses all of it, each problem with its line number, so that an
//! import never leaves half a batch behind. Pure: the text in, the tokens or the problems out.
//!
//! The CSV has a header line and one token a line (`#` starts a comment line):
//!
//! ```text
//! serial,secret,type,digits,period_or_counter,algorithm
//! TK-0001,GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQ,totp,6,30,SHA1
//! TK-0002,GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQ,hotp,6,0
//! ```
//!
//! `secret` is base32 (RFC 4648, as authenticator apps show it; case, spaces and `=`
//! padding ignored); `period_or_counter` is the period in seconds of a `totp` token, the
//! next counter of an `hotp` one; `algorithm` (SHA1, SHA256, SHA512) may be left out: SHA1.

use std::collections::HashMap;

use tigr_core::otp::HashAlgorithm;
use zeroize::Zeroizing;

use super::otp_token::{ParamsProblem, TokenKind, TokenParams, check_secret};

/// Longest serial number accepted.
pub const MAX_SERIAL_CHARS: usize = 64;
/// Most tokens in one file.
pub const MAX_TOKENS: usize = 10_000;

/// A token read from a file.
pub struct ImportedToken {
    /// Its serial number (printed on the token).
    pub serial: String,
    /// What it computes (the drift window is the server's default).
    pub params: TokenParams,
    /// HOTP: the next counter expected (0 for a new token).
    pub counter: i64,
    /// The shared secret.
    pub secret: Zeroizing<Vec<u8>>,
    /// The line it starts on.
    pub line: u64,
}

impl std::fmt::Debug for ImportedToken {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ImportedToken")
            .field("serial", &self.serial)
            .field("params", &self.params)
            .field("counter", &self.counter)
            .field("line", &self.line)
            .finish_non_exhaustive()
    }
}

/// One problem of a refused file: where, and what (English; the serial, never a secret).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ImportProblem {
    /// 1-based line number (0: the file as a whole).
    pub line: u64,
    /// What is wrong.
    pub problem: String,
}

impl std::fmt::Display for ImportProblem {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        if self.line == 0 {
            f.write_str(&self.problem)
        } else {
            write!(f, "line {}: {}", self.line, self.problem)
        }
    }
}

/// Reads a file by its look: PSKC when it starts with `<` (after a byte-order mark and
/// blanks), CSV otherwise.
pub fn parse_token_file(
    text: &str,
    default_window: u32,
) -> Result<Vec<ImportedToken>, Vec<ImportProblem>> {
    let trimmed = text.trim_start_matches('\u{feff}').trim_start();
    let tokens = if trimmed.starts_with('<') {
        parse_pskc(text, default_window)?
    } else {
        parse_csv(text, default_window)?
    };
    check_batch(&tokens)?;
    Ok(tokens)
}

/// Duplicate serials, an empty file, too many tokens.
fn check_batch(tokens: &[ImportedToken]) -> Result<(), Vec<ImportProblem>> {
    let whole = |problem: String| vec![ImportProblem { line: 0, problem }];
    if tokens.is_empty() {
        return Err(whole("no token in the file".to_owned()));
    }
    if tokens.len() > MAX_TOKENS {
        return Err(whole(format!("more than {MAX_TOKENS} tokens in one file")));
    }
    let mut first_line: HashMap<&str, u64> = HashMap::new();
    let mut problems = Vec::new();
    for token in tokens {
        if let Some(line) = first_line.insert(&token.serial, token.line) {
            problems.push(ImportProblem {
                line: token.line,
                problem: format!("serial {:?} already on line {line}", token.serial),
            });
        }
    }
    all_or_nothing((), problems)
}

/// What was read, or every problem found: a file is taken whole or not at all.
fn all_or_nothing<T>(read: T, problems: Vec<ImportProblem>) -> Result<T, Vec<ImportProblem>> {
    if problems.is_empty() {
        Ok(read)
    } else {
        Err(problems)
    }
}

fn checked_serial(serial: &str) -> Result<String, String> {
    let serial = serial.trim();
    if serial.is_empty() || serial.chars().count() > MAX_SERIAL_CHARS {
        return Err(format!("serial must be 1 to {MAX_SERIAL_CHARS} characters"));
    }
    if !serial
        .chars()
        .all(|c| c.is_ascii_alphanumeric() || "-_.:/".contains(c))
    {
        return Err(format!(
            "serial {serial:?}: letters, digits and - _ . : / only"
        ));
    }
    Ok(serial.to_owned())
}

fn algorithm(name: &str) -> Result<HashAlgorithm, String> {
    let upper = name.trim().to_ascii_uppercase().replace(['-', '_'], "");
    let upper = upper.strip_prefix("HMAC").unwrap_or(&upper);
    HashAlgorithm::parse(upper).ok_or_else(|| format!("unknown algorithm {name:?}"))
}

/// Base32 as apps show it: case, spaces and padding ignored.
pub fn decode_base32(text: &str) -> Option<Zeroizing<Vec<u8>>> {
    let clean: Zeroizing<String> = Zeroizing::new(
        text.chars()
            .filter(|c| !c.is_whitespace() && *c != '=')
            .map(|c| c.to_ascii_uppercase())
            .collect(),
    );
    if clean.is_empty() {
        return None;
    }
    base32::decode(base32::Alphabet::Rfc4648 { padding: false }, &clean).map(Zeroizing::new)
}

fn params_problem(problem: ParamsProblem) -> String {
    problem.to_string()
}

/// The CSV format of the module docs.
pub fn parse_csv(
    text: &str,
    default_window: u32,
) -> Result<Vec<ImportedToken>, Vec<ImportProblem>> {
    let mut reader = csv::ReaderBuilder::new()
        .has_headers(false)
        .flexible(true)
        .trim(csv::Trim::All)
        .from_reader(text.as_bytes());
    let mut tokens = Vec::new();
    let mut problems = Vec::new();
    let mut header_seen = false;
    for record in reader.records() {
        let record = match record {
            Ok(record) => record,
            Err(error) => {
                let line = error.position().map_or(0, csv::Position::line);
                problems.push(ImportProblem {
                    line,
                    problem: "not readable as CSV".to_owned(),
                });
                continue;
            }
        };
        let line = record.position().map_or(0, csv::Position::line);
        // Comment lines are skipped here rather than by the reader, whose comments would
        // shift the line numbers it reports.
        if record.iter().all(str::is_empty) || record.get(0).is_some_and(|f| f.starts_with('#')) {
            continue;
        }
        if !header_seen {
            header_seen = true;
            let names: Vec<String> = record.iter().map(str::to_ascii_lowercase).collect();
            let expected = [
                "serial",
                "secret",
                "type",
                "digits",
                "period_or_counter",
                "algorithm",
            ];
            if names.len() < 5 || names.len() > 6 || names.iter().zip(expected).any(|(n, e)| n != e)
            {
                problems.push(ImportProblem {
                    line,
                    problem: format!("the header must be {}", expected.join(",")),
                });
                break;
            }
            continue;
        }
        match csv_token(&record, default_window) {
            Ok(mut token) => {
                token.line = line;
                tokens.push(token);
            }
            Err(problem) => problems.push(ImportProblem { line, problem }),
        }
    }
    if !header_seen && problems.is_empty() {
        problems.push(ImportProblem {
            line: 0,
            problem: "no token in the file".to_owned(),
        });
    }
    all_or_nothing(tokens, problems)
}

fn csv_token(record: &csv::StringRecord, default_window: u32) -> Result<ImportedToken, String> {
    if !(5..=6).contains(&record.len()) {
        return Err(format!("{} fields, 5 or 6 expected", record.len()));
    }
    let serial = checked_serial(&record[0])?;
    let secret = decode_base32(&record[1])
        .ok_or_else(|| format!("serial {serial:?}: the secret is not base32"))?;
    check_secret(&secret).map_err(|p| format!("serial {serial:?}: {}", params_problem(p)))?;
    let digits: u8 = record[3]
        .parse()
        .map_err(|_| format!("serial {serial:?}: digits {:?} is not a number", &record[3]))?;
    let number: i64 = record[4].parse().map_err(|_| {
        format!(
            "serial {serial:?}: period_or_counter {:?} is not a number",
            &record[4]
        )
    })?;
    let (kind, counter) = match record[2].to_ascii_lowercase().as_str() {
        "totp" => (
            TokenKind::Totp {
                period: u32::try_from(number).unwrap_or(0),
            },
            0,
        ),
        "hotp" if number >= 0 => (TokenKind::Hotp, number),
        "hotp" => return Err(format!("serial {serial:?}: a negative counter")),
        other => {
            return Err(format!(
                "serial {serial:?}: type {other:?}, totp or hotp expected"
            ));
        }
    };
    let algorithm = match record.get(5).filter(|a| !a.is_empty()) {
        Some(name) => algorithm(name).map_err(|p| format!("serial {serial:?}: {p}"))?,
        None => HashAlgorithm::Sha1,
    };
    let params = TokenParams {
        kind,
        algorithm,
        digits,
        window: default_window,
    }
    .checked()
    .map_err(|p| format!("serial {serial:?}: {}", params_problem(p)))?;
    Ok(ImportedToken {
        serial,
        params,
        counter,
        secret,
        line: 0,
    })
}

const PSKC_NS: &str = "urn:ietf:params:xml:ns:keyprov:pskc";
const HOTP_URI: &str = "urn:ietf:params:xml:ns:keyprov:pskc:hotp";
const TOTP_URI: &str = "urn:ietf:params:xml:ns:keyprov:pskc:totp";

/// A PSKC document (RFC 6030): each `KeyPackage` with a `DeviceInfo/SerialNo`, a `Key` of
/// algorithm HOTP or TOTP, `AlgorithmParameters/ResponseFormat@Length` (6 or 8), a
/// plaintext `Data/Secret/PlainValue` (base64), and `Counter` (HOTP) or `TimeInterval`
/// (TOTP, 30 when absent). Encrypted values (`EncryptedValue`) are refused.
pub fn parse_pskc(
    text: &str,
    default_window: u32,
) -> Result<Vec<ImportedToken>, Vec<ImportProblem>> {
    let document = roxmltree::Document::parse(text).map_err(|error| {
        vec![ImportProblem {
            line: u64::from(error.pos().row),
            problem: format!("not well-formed XML: {error}"),
        }]
    })?;
    let root = document.root_element();
    let line_of =
        |node: roxmltree::Node<'_, '_>| u64::from(document.text_pos_at(node.range().start).row);
    if root.tag_name().name() != "KeyContainer" || root.tag_name().namespace() != Some(PSKC_NS) {
        return Err(vec![ImportProblem {
            line: line_of(root),
            problem: "not a PSKC document (KeyContainer of RFC 6030 expected)".to_owned(),
        }]);
    }
    let mut tokens = Vec::new();
    let mut problems = Vec::new();
    if let Some(encrypted) = child(root, "EncryptionKey") {
        return Err(vec![ImportProblem {
            line: line_of(encrypted),
            problem: "encrypted PSKC is not supported: export the tokens with plaintext \
                      secrets (PlainValue) and keep the file safe"
                .to_owned(),
        }]);
    }
    for package in root.children().filter(|n| is(*n, "KeyPackage")) {
        let line = line_of(package);
        match pskc_token(package, default_window, &line_of) {
            Ok(token) => tokens.push(ImportedToken { line, ..token }),
            Err((at, problem)) => problems.push(ImportProblem { line: at, problem }),
        }
    }
    all_or_nothing(tokens, problems)
}

fn is(node: roxmltree::Node<'_, '_>, name: &str) -> bool {
    node.is_element()
        && node.tag_name().name() == name
        && node.tag_name().namespace() == Some(PSKC_NS)
}

fn child<'a, 'input>(
    node: roxmltree::Node<'a, 'input>,
    name: &str,
) -> Option<roxmltree::Node<'a, 'input>> {
    node.children().find(|n| is(*n, name))
}

fn path<'a, 'input>(
    node: roxmltree::Node<'a, 'input>,
    names: &[&str],
) -> Option<roxmltree::Node<'a, 'input>> {
    names.iter().try_fold(node, |n, name| child(n, name))
}

fn pskc_token<'a, 'input>(
    package: roxmltree::Node<'a, 'input>,
    default_window: u32,
    line_of: &dyn Fn(roxmltree::Node<'a, 'input>) -> u64,
) -> Result<ImportedToken, (u64, String)> {
    let at = |node: roxmltree::Node<'a, 'input>, problem: String| (line_of(node), problem);
    let serial_node = path(package, &["DeviceInfo", "SerialNo"])
        .ok_or_else(|| at(package, "KeyPackage without DeviceInfo/SerialNo".to_owned()))?;
    let serial =
        checked_serial(serial_node.text().unwrap_or_default()).map_err(|p| at(serial_node, p))?;
    let key =
        child(package, "Key").ok_or_else(|| at(package, format!("serial {serial:?}: no Key")))?;
    let uri = key.attribute("Algorithm").unwrap_or_default();
    let data = child(key, "Data").ok_or_else(|| at(key, format!("serial {serial:?}: no Data")))?;
    let value = |name: &str| path(data, &[name, "PlainValue"]);
    if let Some(encrypted) = data
        .descendants()
        .find(|n| n.is_element() && n.tag_name().name() == "EncryptedValue")
    {
        return Err(at(
            encrypted,
            format!(
                "serial {serial:?}: encrypted PSKC is not supported: export the tokens with \
                 plaintext secrets (PlainValue)"
            ),
        ));
    }
    let secret_node = value("Secret")
        .ok_or_else(|| at(data, format!("serial {serial:?}: no Secret/PlainValue")))?;
    let secret = base64_secret(secret_node.text().unwrap_or_default()).ok_or_else(|| {
        at(
            secret_node,
            format!("serial {serial:?}: the secret is not base64"),
        )
    })?;
    check_secret(&secret).map_err(|p| at(secret_node, format!("serial {serial:?}: {p}")))?;
    let parameters = child(key, "AlgorithmParameters");
    let format = parameters.and_then(|p| child(p, "ResponseFormat"));
    let digits = format
        .and_then(|f| f.attribute("Length"))
        .and_then(|l| l.parse::<u8>().ok())
        .ok_or_else(|| {
            at(
                key,
                format!("serial {serial:?}: no AlgorithmParameters/ResponseFormat Length"),
            )
        })?;
    if format
        .and_then(|f| f.attribute("Encoding"))
        .is_some_and(|e| e != "DECIMAL")
    {
        return Err(at(key, format!("serial {serial:?}: codes must be DECIMAL")));
    }
    let algorithm = match parameters.and_then(|p| child(p, "Suite")) {
        Some(suite) => algorithm(suite.text().unwrap_or_default())
            .map_err(|p| at(suite, format!("serial {serial:?}: {p}")))?,
        None => HashAlgorithm::Sha1,
    };
    let number = |name: &str| -> Result<Option<i64>, (u64, String)> {
        value(name)
            .map(|n| {
                n.text()
                    .unwrap_or_default()
                    .trim()
                    .parse::<i64>()
                    .ok()
                    .filter(|v| *v >= 0)
                    .ok_or_else(|| at(n, format!("serial {serial:?}: {name} is not a number")))
            })
            .transpose()
    };
    let (kind, counter) = match uri {
        HOTP_URI => (TokenKind::Hotp, number("Counter")?.unwrap_or(0)),
        TOTP_URI => {
            let period = number("TimeInterval")?.unwrap_or(30);
            if number("Time")?.is_some_and(|t0| t0 != 0) {
                return Err(at(
                    data,
                    format!("serial {serial:?}: a Time (T0) other than 0"),
                ));
            }
            (
                TokenKind::Totp {
                    period: u32::try_from(period).unwrap_or(0),
                },
                0,
            )
        }
        other => {
            return Err(at(
                key,
                format!("serial {serial:?}: algorithm {other:?}, HOTP or TOTP expected"),
            ));
        }
    };
    let params = TokenParams {
        kind,
        algorithm,
        digits,
        window: default_window,
    }
    .checked()
    .map_err(|p| at(key, format!("serial {serial:?}: {p}")))?;
    Ok(ImportedToken {
        serial,
        params,
        counter,
        secret,
        line: 0,
    })
}

fn base64_secret(text: &str) -> Option<Zeroizing<Vec<u8>>> {
    use base64::Engine as _;
    let clean: String = text.chars().filter(|c| !c.is_whitespace()).collect();
    base64::engine::general_purpose::STANDARD
        .decode(clean)
        .ok()
        .map(Zeroizing::new)
}

#[cfg(test)]
mod tests {
    use super::*;

    const SECRET_B32: &str = "GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQ"; // "12345678901234567890"

    #[test]
    fn a_good_csv_is_read_whole() {
        let text = format!(
            "serial,secret,type,digits,period_or_counter,algorithm\n\
             # a comment\n\
             TK-1,{SECRET_B32},totp,6,30,SHA1\n\
             TK-2,{},hotp,8,5\n\
             TK-3,{SECRET_B32},TOTP,8,60,sha256\n",
            SECRET_B32.to_ascii_lowercase()
        );
        let tokens = parse_token_file(&text, 1).expect("good file");
        assert_eq!(tokens.len(), 3);
        assert_eq!(tokens[0].serial, "TK-1");
        assert_eq!(tokens[0].secret.as_slice(), b"12345678901234567890");
        assert_eq!(tokens[0].params.kind, TokenKind::Totp { period: 30 });
        assert_eq!(tokens[0].line, 3);
        assert_eq!(tokens[1].params.kind, TokenKind::Hotp);
        assert_eq!((tokens[1].params.digits, tokens[1].counter), (8, 5));
        assert_eq!(tokens[2].params.algorithm, HashAlgorithm::Sha256);
        assert!(!format!("{:?}", tokens[0]).contains("1234567890"));
    }

    #[test]
    fn a_bad_csv_is_refused_whole_with_every_line() {
        let text = format!(
            "serial,secret,type,digits,period_or_counter\n\
             TK-1,{SECRET_B32},totp,6,30\n\
             TK-2,not base32!,totp,6,30\n\
             TK-3,{SECRET_B32},totp,7,30\n\
             TK-4,{SECRET_B32},totp,6,45\n\
             TK-5,GEZDGNBV,hotp,6,0\n\
             TK-1,{SECRET_B32},hotp,6,0\n\
             TK-6,{SECRET_B32},sms,6,0\n"
        );
        let problems = parse_token_file(&text, 1).expect_err("refused");
        let lines: Vec<u64> = problems.iter().map(|p| p.line).collect();
        assert_eq!(lines, [3, 4, 5, 6, 8], "{problems:?}");
        assert!(problems[0].to_string().starts_with("line 3: "));
        assert!(problems.iter().all(|p| !p.problem.contains(SECRET_B32)));
        // The duplicate is found once the lines are right.
        let duplicate = format!(
            "serial,secret,type,digits,period_or_counter\nTK-1,{SECRET_B32},totp,6,30\n\
             TK-1,{SECRET_B32},totp,6,30\n"
        );
        let problems = parse_token_file(&duplicate, 1).expect_err("duplicate");
        assert_eq!(problems[0].line, 3);
        assert!(problems[0].problem.contains("already on line 2"));
        // Wrong header, empty file.
        assert_eq!(
            parse_token_file("id,key\nTK-1,x\n", 1).expect_err("header")[0].line,
            1
        );
        assert_eq!(parse_token_file("", 1).expect_err("empty")[0].line, 0);
    }

    fn pskc(packages: &str) -> String {
        format!(
            "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n\
             <KeyContainer Version=\"1.0\" xmlns=\"urn:ietf:params:xml:ns:keyprov:pskc\">\n\
             {packages}</KeyContainer>\n"
        )
    }

    const HOTP_PACKAGE: &str = "<KeyPackage>\n\
        <DeviceInfo><Manufacturer>Manufacturer</Manufacturer><SerialNo>987654321</SerialNo></DeviceInfo>\n\
        <Key Id=\"12345678\" Algorithm=\"urn:ietf:params:xml:ns:keyprov:pskc:hotp\">\n\
        <AlgorithmParameters><ResponseFormat Length=\"8\" Encoding=\"DECIMAL\"/></AlgorithmParameters>\n\
        <Data><Secret><PlainValue>MTIzNDU2Nzg5MDEyMzQ1Njc4OTA=</PlainValue></Secret>\n\
        <Counter><PlainValue>0</PlainValue></Counter></Data>\n\
        </Key></KeyPackage>\n";

    #[test]
    fn pskc_plaintext_tokens_are_read() {
        let totp = "<KeyPackage>\n\
            <DeviceInfo><SerialNo>T-60</SerialNo></DeviceInfo>\n\
            <Key Algorithm=\"urn:ietf:params:xml:ns:keyprov:pskc:totp\">\n\
            <AlgorithmParameters><Suite>HMAC-SHA256</Suite><ResponseFormat Length=\"6\" Encoding=\"DECIMAL\"/></AlgorithmParameters>\n\
            <Data><Secret><PlainValue>MTIzNDU2Nzg5MDEyMzQ1Njc4OTA=</PlainValue></Secret>\n\
            <TimeInterval><PlainValue>60</PlainValue></TimeInterval></Data>\n\
            </Key></KeyPackage>\n";
        let tokens = parse_token_file(&pskc(&format!("{HOTP_PACKAGE}{totp}")), 1).expect("PSKC");
        assert_eq!(tokens.len(), 2);
        assert_eq!(tokens[0].serial, "987654321");
        assert_eq!(tokens[0].params.kind, TokenKind::Hotp);
        assert_eq!(tokens[0].params.digits, 8);
        assert_eq!(tokens[0].secret.as_slice(), b"12345678901234567890");
        assert_eq!(tokens[0].line, 3);
        assert_eq!(tokens[1].params.kind, TokenKind::Totp { period: 60 });
        assert_eq!(tokens[1].params.algorithm, HashAlgorithm::Sha256);
    }

    #[test]
    fn bad_or_encrypted_pskc_is_refused_with_lines() {
        let bad = HOTP_PACKAGE.replace("Length=\"8\"", "Length=\"7\"");
        let problems =
            parse_token_file(&pskc(&format!("{HOTP_PACKAGE}{bad}")), 1).expect_err("7 digits");
        assert_eq!(problems.len(), 1);
        assert_eq!(problems[0].line, 12, "the Key element: {problems:?}");
        let encrypted = HOTP_PACKAGE.replace(
            "<PlainValue>MTIzNDU2Nzg5MDEyMzQ1Njc4OTA=</PlainValue>",
            "<EncryptedValue><CipherData/></EncryptedValue>",
        );
        let problems = parse_token_file(&pskc(&encrypted), 1).expect_err("encrypted");
        assert!(
            problems[0]
                .problem
                .contains("encrypted PSKC is not supported")
        );
        assert_eq!(problems[0].line, 7);
        let broken = parse_token_file("<KeyContainer>\n<oops>\n", 1).expect_err("XML");
        assert!(broken[0].problem.contains("not well-formed XML"));
        let other = parse_token_file("<html/>", 1).expect_err("not PSKC");
        assert!(other[0].problem.contains("not a PSKC document"));
    }
}
