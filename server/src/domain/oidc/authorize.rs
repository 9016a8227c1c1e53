//! The authorization request (OpenID Connect Core §3.1.2), checked in three phases:
//!
//! 1. [`parse`]: the parameters as a whole (how many, how long, none twice). Nothing can be
//!    trusted yet: a failure is shown on a page.
//! 2. [`check_client`]: `client_id` names a registered client and `redirect_uri` is one of
//!    its URIs, character for character. A failure is shown on a page too: a redirect URI
//!    that was not checked must never receive anything (RFC 6749 §4.1.2.1).
//! 3. [`check_request`]: [`CHECKS`], an ordered list of small checks, each a function of the
//!    parsed request and the client. The first failure is redirected to the (now trusted)
//!    redirect URI as `error`, `error_description`, `state` and `iss` (RFC 9207).
//!
//! Then [`decide`] says whether the browser's web session answers at once, must log in
//! first, or (`prompt=none`) gets `login_required`.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

use super::{Client, ClientKind, MAX_VALUE_LEN, OPENID};

/// Most parameters in one request.
pub const MAX_PARAMS: usize = 40;

/// Longest `state` and `nonce`.
pub const MAX_STATE_LEN: usize = 512;

/// Longest `max_age` accepted (ten years, in seconds).
pub const MAX_MAX_AGE: i64 = 10 * 365 * 86_400;

/// Why a request is refused on a page (nothing was sent to any redirect URI).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum PageRefusal {
    /// More than [`MAX_PARAMS`] parameters, or a value over [`MAX_VALUE_LEN`] (named).
    Oversized(String),
    /// A parameter given twice (named).
    Repeated(String),
    /// A parameter with control characters (named).
    Malformed(String),
    /// No `client_id`.
    MissingClientId,
    /// `client_id` names no registered client.
    UnknownClient,
    /// No `redirect_uri` (required by OpenID Connect).
    MissingRedirectUri,
    /// `redirect_uri` is not one of the client's, exactly.
    UnregisteredRedirectUri,
}

/// The error codes of an authorization response (RFC 6749 §4.1.2.1, OpenID Connect Core
/// §3.1.2.6).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ErrorCode {
    /// Missing, repeated or malformed parameter.
    InvalidRequest,
    /// `response_type` other than `code`.
    UnsupportedResponseType,
    /// `openid` missing, or a scope the client may not ask for.
    InvalidScope,
    /// `prompt=none` and no usable web session.
    LoginRequired,
    /// A request object (`request`).
    RequestNotSupported,
    /// A request object by reference (`request_uri`).
    RequestUriNotSupported,
    /// Dynamic registration parameters (`registration`).
    RegistrationNotSupported,
    /// The server failed.
    ServerError,
}

impl ErrorCode {
    /// The wire spelling.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::InvalidRequest => "invalid_request",
            Self::UnsupportedResponseType => "unsupported_response_type",
            Self::InvalidScope => "invalid_scope",
            Self::LoginRequired => "login_required",
            Self::RequestNotSupported => "request_not_supported",
            Self::RequestUriNotSupported => "request_uri_not_supported",
            Self::RegistrationNotSupported => "registration_not_supported",
            Self::ServerError => "server_error",
        }
    }
}

/// A refusal sent back to the client's redirect URI.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Refusal {
    /// `error`.
    pub error: ErrorCode,
    /// `error_description` (English, for the service's developers; never a request value).
    pub description: &'static str,
}

fn refuse(error: ErrorCode, description: &'static str) -> Result<(), Refusal> {
    Err(Refusal { error, description })
}

/// The parameters of a request, each at most once.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Params(BTreeMap<String, String>);

impl Params {
    /// The value of `name`, if given (an empty value counts as absent, RFC 6749 §3.1).
    pub fn get(&self, name: &str) -> Option<&str> {
        self.0
            .get(name)
            .map(String::as_str)
            .filter(|v| !v.is_empty())
    }
}

/// Phase 1: at most [`MAX_PARAMS`] parameters, none repeated, none longer than
/// [`MAX_VALUE_LEN`] or with control characters.
pub fn parse(pairs: Vec<(String, String)>) -> Result<Params, PageRefusal> {
    if pairs.len() > MAX_PARAMS {
        return Err(PageRefusal::Oversized("(parameters)".to_owned()));
    }
    let mut params = BTreeMap::new();
    for (name, value) in pairs {
        let shown: String = name.chars().filter(|c| !c.is_control()).take(40).collect();
        if name.len() > 64 || value.len() > MAX_VALUE_LEN {
            return Err(PageRefusal::Oversized(shown));
        }
        if value.chars().any(char::is_control) {
            return Err(PageRefusal::Malformed(shown));
        }
        if params.insert(name, value).is_some() {
            return Err(PageRefusal::Repeated(shown));
        }
    }
    Ok(Params(params))
}

/// Phase 2: the client and its exact redirect URI (returned: where refusals may now go).
pub fn check_client<'c>(
    params: &Params,
    client: Option<&'c Client>,
) -> Result<(&'c Client, String), PageRefusal> {
    params
        .get("client_id")
        .ok_or(PageRefusal::MissingClientId)?;
    let client = client.ok_or(PageRefusal::UnknownClient)?;
    let uri = params
        .get("redirect_uri")
        .ok_or(PageRefusal::MissingRedirectUri)?;
    if !client.has_redirect_uri(uri) {
        return Err(PageRefusal::UnregisteredRedirectUri);
    }
    Ok((client, uri.to_owned()))
}

/// One check of phase 3.
pub type Check = fn(&Params, &Client) -> Result<(), Refusal>;

/// Phase 3, in order (see the module docs).
pub const CHECKS: [(&str, Check); 10] = [
    ("no request object", no_request_object),
    ("response type", response_type),
    ("response mode", response_mode),
    ("scope", scope),
    ("state", state),
    ("nonce", nonce),
    ("pkce", pkce),
    ("prompt", prompt),
    ("max age", max_age),
    ("display", display),
];

/// `request`, `request_uri` and `registration` are not supported: say so with their own
/// error codes (OpenID Connect Core §3.1.2.6).
pub fn no_request_object(params: &Params, _: &Client) -> Result<(), Refusal> {
    if params.get("request").is_some() {
        return refuse(
            ErrorCode::RequestNotSupported,
            "request objects are not supported",
        );
    }
    if params.get("request_uri").is_some() {
        return refuse(
            ErrorCode::RequestUriNotSupported,
            "request_uri is not supported",
        );
    }
    if params.get("registration").is_some() {
        return refuse(
            ErrorCode::RegistrationNotSupported,
            "registration is not supported",
        );
    }
    Ok(())
}

/// The authorization code flow only: `response_type=code`.
pub fn response_type(params: &Params, _: &Client) -> Result<(), Refusal> {
    match params.get("response_type") {
        None => refuse(ErrorCode::InvalidRequest, "response_type is missing"),
        Some("code") => Ok(()),
        Some(_) => refuse(
            ErrorCode::UnsupportedResponseType,
            "only response_type=code is supported",
        ),
    }
}

/// Responses go in the query: `response_mode` absent or `query`.
pub fn response_mode(params: &Params, _: &Client) -> Result<(), Refusal> {
    match params.get("response_mode") {
        None | Some("query") => Ok(()),
        Some(_) => refuse(
            ErrorCode::InvalidRequest,
            "only response_mode=query is supported",
        ),
    }
}

/// `openid` among the scopes, every other one allowed to the client. `offline_access` is
/// ignored (no refresh tokens).
pub fn scope(params: &Params, client: &Client) -> Result<(), Refusal> {
    let asked = requested_scopes(params);
    if !asked.iter().any(|s| s == OPENID) {
        return refuse(ErrorCode::InvalidScope, "the openid scope is required");
    }
    if asked
        .iter()
        .any(|s| s != "offline_access" && !client.scopes.contains(s))
    {
        return refuse(
            ErrorCode::InvalidScope,
            "a requested scope is not allowed for this client",
        );
    }
    Ok(())
}

fn requested_scopes(params: &Params) -> Vec<String> {
    params
        .get("scope")
        .unwrap_or("")
        .split(' ')
        .filter(|s| !s.is_empty())
        .map(str::to_owned)
        .collect()
}

fn bounded(value: Option<&str>, description: &'static str) -> Result<(), Refusal> {
    match value {
        Some(v) if v.len() > MAX_STATE_LEN => refuse(ErrorCode::InvalidRequest, description),
        _ => Ok(()),
    }
}

/// `state` at most [`MAX_STATE_LEN`] bytes.
pub fn state(params: &Params, _: &Client) -> Result<(), Refusal> {
    bounded(params.get("state"), "state is too long")
}

/// `nonce` at most [`MAX_STATE_LEN`] bytes.
pub fn nonce(params: &Params, _: &Client) -> Result<(), Refusal> {
    bounded(params.get("nonce"), "nonce is too long")
}

/// True for a PKCE challenge or verifier: 43 to 128 unreserved characters (RFC 7636 §4.1).
pub fn is_pkce_value(value: &str) -> bool {
    (43..=128).contains(&value.len())
        && value
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b"-._~".contains(&b))
}

/// PKCE (RFC 7636): `S256` only; required from public clients, accepted from confidential
/// ones.
pub fn pkce(params: &Params, client: &Client) -> Result<(), Refusal> {
    match (
        params.get("code_challenge"),
        params.get("code_challenge_method"),
    ) {
        (None, Some(_)) => refuse(
            ErrorCode::InvalidRequest,
            "code_challenge_method without code_challenge",
        ),
        (None, None) if client.kind == ClientKind::Public => refuse(
            ErrorCode::InvalidRequest,
            "PKCE (code_challenge with S256) is required for public clients",
        ),
        (None, None) => Ok(()),
        (Some(_), None | Some("plain")) => refuse(
            ErrorCode::InvalidRequest,
            "code_challenge_method must be S256",
        ),
        (Some(challenge), Some("S256")) if is_pkce_value(challenge) => Ok(()),
        (Some(_), Some("S256")) => refuse(ErrorCode::InvalidRequest, "malformed code_challenge"),
        (Some(_), Some(_)) => refuse(
            ErrorCode::InvalidRequest,
            "code_challenge_method must be S256",
        ),
    }
}

/// What `prompt` asks for.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Prompt {
    /// `none`: no page may be shown.
    pub none: bool,
    /// `login`: a new authentication, even with a session.
    pub login: bool,
    /// `consent`: consent is given by the registration of the client (see docs/oidc.md).
    pub consent: bool,
    /// `select_account`: the login page, so another person may log in.
    pub select_account: bool,
}

fn parse_prompt(text: Option<&str>) -> Result<Prompt, Refusal> {
    let mut prompt = Prompt::default();
    for value in text.unwrap_or("").split(' ').filter(|v| !v.is_empty()) {
        match value {
            "none" => prompt.none = true,
            "login" => prompt.login = true,
            "consent" => prompt.consent = true,
            "select_account" => prompt.select_account = true,
            _ => {
                return Err(Refusal {
                    error: ErrorCode::InvalidRequest,
                    description: "unknown prompt value",
                });
            }
        }
    }
    if prompt.none && (prompt.login || prompt.consent || prompt.select_account) {
        return Err(Refusal {
            error: ErrorCode::InvalidRequest,
            description: "prompt=none cannot be combined with other values",
        });
    }
    Ok(prompt)
}

/// `prompt`: known values; `none` alone.
pub fn prompt(params: &Params, _: &Client) -> Result<(), Refusal> {
    parse_prompt(params.get("prompt")).map(|_| ())
}

fn parse_max_age(text: Option<&str>) -> Result<Option<i64>, Refusal> {
    let Some(text) = text else {
        return Ok(None);
    };
    match text.parse::<i64>() {
        Ok(seconds) if text.bytes().all(|b| b.is_ascii_digit()) && seconds <= MAX_MAX_AGE => {
            Ok(Some(seconds))
        }
        _ => Err(Refusal {
            error: ErrorCode::InvalidRequest,
            description: "max_age must be a number of seconds",
        }),
    }
}

/// `max_age`: a number of seconds (0 to ten years).
pub fn max_age(params: &Params, _: &Client) -> Result<(), Refusal> {
    parse_max_age(params.get("max_age")).map(|_| ())
}

/// `display`: one of the values of OpenID Connect Core §3.1.2.1 (all shown the same way).
pub fn display(params: &Params, _: &Client) -> Result<(), Refusal> {
    match params.get("display") {
        None | Some("page" | "popup" | "touch" | "wap") => Ok(()),
        Some(_) => refuse(ErrorCode::InvalidRequest, "unknown display value"),
    }
}

/// A request that passed every check: what the rest of the flow needs, kept while the
/// browser logs in.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct AuthorizationRequest {
    /// The client.
    pub client_id: String,
    /// Its redirect URI, as registered.
    pub redirect_uri: String,
    /// The scopes granted: the requested ones the client may have (`openid` first).
    pub scopes: Vec<String>,
    /// `state`, returned as is.
    pub state: Option<String>,
    /// `nonce`, put in the ID token.
    pub nonce: Option<String>,
    /// The PKCE S256 challenge.
    pub code_challenge: Option<String>,
    /// `prompt`.
    pub prompt: Prompt,
    /// `max_age`, seconds.
    pub max_age: Option<i64>,
    /// `ui_locales`, for the pages' language.
    pub ui_locales: Option<String>,
}

/// Phase 3: every check of [`CHECKS`] in order, then the request as the flow keeps it.
pub fn check_request(
    params: &Params,
    client: &Client,
    redirect_uri: &str,
) -> Result<AuthorizationRequest, Refusal> {
    for (_, check) in CHECKS {
        check(params, client)?;
    }
    let asked = requested_scopes(params);
    let mut scopes: Vec<String> = Vec::new();
    for allowed in &client.scopes {
        if asked.contains(allowed) && !scopes.contains(allowed) {
            scopes.push(allowed.clone());
        }
    }
    Ok(AuthorizationRequest {
        client_id: client.id.clone(),
        redirect_uri: redirect_uri.to_owned(),
        scopes,
        state: params.get("state").map(str::to_owned),
        nonce: params.get("nonce").map(str::to_owned),
        code_challenge: params.get("code_challenge").map(str::to_owned),
        prompt: parse_prompt(params.get("prompt"))?,
        max_age: parse_max_age(params.get("max_age"))?,
        ui_locales: params.get("ui_locales").map(str::to_owned),
    })
}

/// What the web session of the browser means for a valid request.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Decision {
    /// The session answers: issue a code now (single sign-on).
    IssueCode,
    /// The browser must log in first (no session, `prompt=login`, `select_account`, or the
    /// last authentication older than `max_age`).
    LoginFirst,
    /// `prompt=none` and no usable session: `login_required`.
    LoginRequired,
}

/// Whether a session whose last authentication was at `auth_time` (`None`: no session)
/// answers `request` at `now`.
pub fn decide(request: &AuthorizationRequest, auth_time: Option<i64>, now: i64) -> Decision {
    let fresh_enough = |at: i64| request.max_age.is_none_or(|max| now - at <= max);
    let usable = auth_time.is_some_and(fresh_enough)
        && !request.prompt.login
        && !request.prompt.select_account;
    match (usable, request.prompt.none) {
        (true, _) => Decision::IssueCode,
        (false, true) => Decision::LoginRequired,
        (false, false) => Decision::LoginFirst,
    }
}

/// After the login page: the session may answer a request kept since `requested_at` only if
/// it authenticated at or after that time (so `prompt=login` and `max_age` are honoured).
pub fn may_resume(requested_at: i64, auth_time: i64) -> bool {
    auth_time >= requested_at
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::oidc::{AuthMethod, sample_client};

    fn client(kind: ClientKind) -> Client {
        Client {
            kind,
            auth_method: match kind {
                ClientKind::Public => AuthMethod::None,
                ClientKind::Confidential => AuthMethod::ClientSecretBasic,
            },
            redirect_uris: vec!["https://rp.example/cb".into()],
            scopes: vec!["openid".into(), "profile".into()],
            ..sample_client("CLIENT")
        }
    }

    fn params(pairs: &[(&str, &str)]) -> Params {
        parse(
            pairs
                .iter()
                .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
                .collect(),
        )
        .expect("parses")
    }

    fn error_of(result: Result<(), Refusal>) -> Option<ErrorCode> {
        result.err().map(|r| r.error)
    }

    const CHALLENGE: &str = "E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM";

    #[test]
    fn parameters_are_bounded_single_and_clean() {
        let too_many: Vec<_> = (0..=MAX_PARAMS)
            .map(|i| (format!("p{i}"), String::new()))
            .collect();
        assert!(matches!(parse(too_many), Err(PageRefusal::Oversized(_))));
        let long = vec![("state".to_owned(), "x".repeat(MAX_VALUE_LEN + 1))];
        assert_eq!(parse(long), Err(PageRefusal::Oversized("state".into())));
        let twice = vec![
            ("scope".to_owned(), "openid".to_owned()),
            ("scope".to_owned(), "openid profile".to_owned()),
        ];
        assert_eq!(parse(twice), Err(PageRefusal::Repeated("scope".into())));
        let control = vec![("state".to_owned(), "a\nb".to_owned())];
        assert_eq!(parse(control), Err(PageRefusal::Malformed("state".into())));
        assert_eq!(
            params(&[("state", "")]).get("state"),
            None,
            "empty is absent"
        );
    }

    #[test]
    fn client_and_redirect_uri_must_match_exactly_before_anything_is_redirected() {
        let c = client(ClientKind::Confidential);
        let ok = params(&[
            ("client_id", "CLIENT"),
            ("redirect_uri", "https://rp.example/cb"),
        ]);
        assert_eq!(
            check_client(&ok, Some(&c)).expect("ok").1,
            "https://rp.example/cb"
        );
        assert_eq!(
            check_client(&params(&[]), Some(&c)),
            Err(PageRefusal::MissingClientId)
        );
        assert_eq!(check_client(&ok, None), Err(PageRefusal::UnknownClient));
        let missing = params(&[("client_id", "CLIENT")]);
        assert_eq!(
            check_client(&missing, Some(&c)),
            Err(PageRefusal::MissingRedirectUri)
        );
        for altered in [
            "https://rp.example/cb/",
            "https://rp.example/cb?x=1",
            "https://rp.example/CB",
            "https://evil.example/cb",
            "https://rp.example/cb#",
        ] {
            let p = params(&[("client_id", "CLIENT"), ("redirect_uri", altered)]);
            assert_eq!(
                check_client(&p, Some(&c)),
                Err(PageRefusal::UnregisteredRedirectUri),
                "{altered}"
            );
        }
    }

    #[test]
    fn request_objects_are_refused_with_their_own_codes() {
        let c = client(ClientKind::Confidential);
        assert_eq!(
            error_of(no_request_object(&params(&[("request", "eyJ")]), &c)),
            Some(ErrorCode::RequestNotSupported)
        );
        assert_eq!(
            error_of(no_request_object(
                &params(&[("request_uri", "https://x")]),
                &c
            )),
            Some(ErrorCode::RequestUriNotSupported)
        );
        assert_eq!(
            error_of(no_request_object(&params(&[("registration", "{}")]), &c)),
            Some(ErrorCode::RegistrationNotSupported)
        );
        assert_eq!(error_of(no_request_object(&params(&[]), &c)), None);
    }

    #[test]
    fn only_the_code_flow_in_the_query() {
        let c = client(ClientKind::Confidential);
        assert_eq!(
            error_of(response_type(&params(&[("response_type", "code")]), &c)),
            None
        );
        assert_eq!(
            error_of(response_type(&params(&[]), &c)),
            Some(ErrorCode::InvalidRequest)
        );
        for other in ["token", "id_token", "code id_token", "code token"] {
            assert_eq!(
                error_of(response_type(&params(&[("response_type", other)]), &c)),
                Some(ErrorCode::UnsupportedResponseType),
                "{other}"
            );
        }
        assert_eq!(
            error_of(response_mode(&params(&[("response_mode", "query")]), &c)),
            None
        );
        assert_eq!(
            error_of(response_mode(&params(&[("response_mode", "fragment")]), &c)),
            Some(ErrorCode::InvalidRequest)
        );
    }

    #[test]
    fn scopes_need_openid_and_stay_within_the_client() {
        let c = client(ClientKind::Confidential);
        let check = |s: &str| error_of(scope(&params(&[("scope", s)]), &c));
        assert_eq!(check("openid"), None);
        assert_eq!(check("openid profile offline_access"), None);
        assert_eq!(check("profile"), Some(ErrorCode::InvalidScope));
        assert_eq!(check("openid email"), Some(ErrorCode::InvalidScope));
        assert_eq!(
            error_of(scope(&params(&[]), &c)),
            Some(ErrorCode::InvalidScope)
        );
    }

    #[test]
    fn state_and_nonce_are_bounded() {
        let c = client(ClientKind::Confidential);
        let long = "s".repeat(MAX_STATE_LEN + 1);
        let ok = "s".repeat(MAX_STATE_LEN);
        assert_eq!(error_of(state(&params(&[("state", &ok)]), &c)), None);
        assert_eq!(
            error_of(state(&params(&[("state", &long)]), &c)),
            Some(ErrorCode::InvalidRequest)
        );
        assert_eq!(error_of(nonce(&params(&[("nonce", &ok)]), &c)), None);
        assert_eq!(
            error_of(nonce(&params(&[("nonce", &long)]), &c)),
            Some(ErrorCode::InvalidRequest)
        );
    }

    #[test]
    fn pkce_is_s256_required_for_public_clients_accepted_for_confidential_ones() {
        let public = client(ClientKind::Public);
        let confidential = client(ClientKind::Confidential);
        let s256 = params(&[
            ("code_challenge", CHALLENGE),
            ("code_challenge_method", "S256"),
        ]);
        assert_eq!(error_of(pkce(&s256, &public)), None);
        assert_eq!(error_of(pkce(&s256, &confidential)), None);
        assert_eq!(
            error_of(pkce(&params(&[]), &public)),
            Some(ErrorCode::InvalidRequest)
        );
        assert_eq!(error_of(pkce(&params(&[]), &confidential)), None);
        for bad in [
            params(&[("code_challenge", CHALLENGE)]),
            params(&[
                ("code_challenge", CHALLENGE),
                ("code_challenge_method", "plain"),
            ]),
            params(&[
                ("code_challenge", CHALLENGE),
                ("code_challenge_method", "S512"),
            ]),
            params(&[
                ("code_challenge", "short"),
                ("code_challenge_method", "S256"),
            ]),
            params(&[("code_challenge_method", "S256")]),
        ] {
            assert_eq!(
                error_of(pkce(&bad, &confidential)),
                Some(ErrorCode::InvalidRequest)
            );
        }
        assert!(is_pkce_value(&"a".repeat(128)));
        assert!(!is_pkce_value(&"a".repeat(129)));
        assert!(!is_pkce_value(&format!("{}+", "a".repeat(42))));
    }

    #[test]
    fn prompt_values_are_known_and_none_stands_alone() {
        let c = client(ClientKind::Confidential);
        let check = |p: &str| error_of(prompt(&params(&[("prompt", p)]), &c));
        for ok in [
            "none",
            "login",
            "consent",
            "select_account",
            "login consent",
        ] {
            assert_eq!(check(ok), None, "{ok}");
        }
        assert_eq!(check("none login"), Some(ErrorCode::InvalidRequest));
        assert_eq!(check("create"), Some(ErrorCode::InvalidRequest));
    }

    #[test]
    fn max_age_is_a_number_of_seconds() {
        let c = client(ClientKind::Confidential);
        let check = |v: &str| error_of(max_age(&params(&[("max_age", v)]), &c));
        assert_eq!(check("0"), None);
        assert_eq!(check("3600"), None);
        for bad in ["-1", "1.5", "+3", "soon", &(MAX_MAX_AGE + 1).to_string()] {
            assert_eq!(check(bad), Some(ErrorCode::InvalidRequest), "{bad}");
        }
        assert_eq!(
            error_of(display(&params(&[("display", "popup")]), &c)),
            None
        );
        assert_eq!(
            error_of(display(&params(&[("display", "fullscreen")]), &c)),
            Some(ErrorCode::InvalidRequest)
        );
    }

    #[test]
    fn the_first_failing_check_wins_and_a_valid_request_keeps_what_the_flow_needs() {
        let c = client(ClientKind::Confidential);
        // Both the response type and the scope are wrong: the response type comes first.
        let p = params(&[("response_type", "token"), ("scope", "profile")]);
        assert_eq!(
            check_request(&p, &c, "https://rp.example/cb")
                .err()
                .map(|r| r.error),
            Some(ErrorCode::UnsupportedResponseType)
        );
        let p = params(&[
            ("response_type", "code"),
            ("scope", "profile openid offline_access"),
            ("state", "xyz"),
            ("nonce", "n-0S6"),
            ("code_challenge", CHALLENGE),
            ("code_challenge_method", "S256"),
            ("prompt", "login"),
            ("max_age", "300"),
        ]);
        let request = check_request(&p, &c, "https://rp.example/cb").expect("valid");
        assert_eq!(request.scopes, ["openid", "profile"]);
        assert_eq!(request.state.as_deref(), Some("xyz"));
        assert_eq!(request.nonce.as_deref(), Some("n-0S6"));
        assert_eq!(request.code_challenge.as_deref(), Some(CHALLENGE));
        assert!(request.prompt.login);
        assert_eq!(request.max_age, Some(300));
    }

    fn request(prompt: Prompt, max_age: Option<i64>) -> AuthorizationRequest {
        AuthorizationRequest {
            client_id: "CLIENT".into(),
            redirect_uri: "https://rp.example/cb".into(),
            scopes: vec!["openid".into()],
            state: None,
            nonce: None,
            code_challenge: None,
            prompt,
            max_age,
            ui_locales: None,
        }
    }

    #[test]
    fn a_session_answers_unless_prompt_or_max_age_want_a_new_login() {
        let now = 10_000;
        let plain = request(Prompt::default(), None);
        assert_eq!(decide(&plain, Some(now - 5000), now), Decision::IssueCode);
        assert_eq!(decide(&plain, None, now), Decision::LoginFirst);
        let none = request(
            Prompt {
                none: true,
                ..Prompt::default()
            },
            None,
        );
        assert_eq!(decide(&none, None, now), Decision::LoginRequired);
        assert_eq!(decide(&none, Some(now - 1), now), Decision::IssueCode);
        let login = request(
            Prompt {
                login: true,
                ..Prompt::default()
            },
            None,
        );
        assert_eq!(decide(&login, Some(now), now), Decision::LoginFirst);
        let select = request(
            Prompt {
                select_account: true,
                ..Prompt::default()
            },
            None,
        );
        assert_eq!(decide(&select, Some(now), now), Decision::LoginFirst);
        let consent = request(
            Prompt {
                consent: true,
                ..Prompt::default()
            },
            None,
        );
        assert_eq!(decide(&consent, Some(now), now), Decision::IssueCode);
        let recent = request(Prompt::default(), Some(300));
        assert_eq!(decide(&recent, Some(now - 300), now), Decision::IssueCode);
        assert_eq!(decide(&recent, Some(now - 301), now), Decision::LoginFirst);
        let zero = request(Prompt::default(), Some(0));
        assert_eq!(decide(&zero, Some(now - 1), now), Decision::LoginFirst);
        let none_recent = request(
            Prompt {
                none: true,
                ..Prompt::default()
            },
            Some(300),
        );
        assert_eq!(
            decide(&none_recent, Some(now - 301), now),
            Decision::LoginRequired
        );
    }

    #[test]
    fn a_kept_request_resumes_only_after_a_login_made_since() {
        assert!(may_resume(1000, 1000));
        assert!(may_resume(1000, 1001));
        assert!(!may_resume(1000, 999));
    }
}
