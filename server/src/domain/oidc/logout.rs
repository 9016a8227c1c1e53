//! RP-Initiated Logout 1.0: which client asks, where the browser may go back, and when the
//! person must confirm.
//!
//! * The client is named by `id_token_hint` (its `aud`) or `client_id`; when both are given
//!   they must agree.
//! * `post_logout_redirect_uri` is followed only when it is registered for that client,
//!   character for character; otherwise the request is refused on a page and nothing is
//!   changed (no open redirect).
//! * Without a valid hint for the very session the browser holds, the person confirms on a
//!   page of this server (a POST with its CSRF token): another site cannot log anyone out by
//!   sending the browser to the endpoint.

use super::Client;
use super::authorize::{MAX_STATE_LEN, Params};

/// Why an end-session request is refused (shown on a page; nothing was changed).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum LogoutRefusal {
    /// The hint is not an ID token of this server.
    InvalidHint,
    /// `client_id` and the hint's audience differ.
    ClientMismatch,
    /// `client_id` names no registered client.
    UnknownClient,
    /// A `post_logout_redirect_uri` without a client to check it against, or not registered.
    UnregisteredRedirectUri,
    /// `state` over [`MAX_STATE_LEN`].
    StateTooLong,
}

/// The parameters of an end-session request.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct LogoutRequest {
    /// An ID token this server issued to the client (expired ones too).
    pub id_token_hint: Option<String>,
    /// Where to send the browser afterwards.
    pub post_logout_redirect_uri: Option<String>,
    /// Returned to the client with the redirect.
    pub state: Option<String>,
    /// The client, when no hint names it.
    pub client_id: Option<String>,
    /// The pages' language.
    pub ui_locales: Option<String>,
}

/// Reads the request (parameters already bounded by [`super::authorize::parse`]).
pub fn logout_request(params: &Params) -> Result<LogoutRequest, LogoutRefusal> {
    let state = params.get("state").map(str::to_owned);
    if state.as_ref().is_some_and(|s| s.len() > MAX_STATE_LEN) {
        return Err(LogoutRefusal::StateTooLong);
    }
    Ok(LogoutRequest {
        id_token_hint: params.get("id_token_hint").map(str::to_owned),
        post_logout_redirect_uri: params.get("post_logout_redirect_uri").map(str::to_owned),
        state,
        client_id: params.get("client_id").map(str::to_owned),
        ui_locales: params.get("ui_locales").map(str::to_owned),
    })
}

/// What a verified `id_token_hint` says.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Hint {
    /// Its audience: the client.
    pub client_id: String,
    /// The web session it was issued in.
    pub sid: String,
}

/// The client that asks: the hint's audience or `client_id` (which must agree).
pub fn client_id_of<'a>(
    request: &'a LogoutRequest,
    hint: Option<&'a Hint>,
) -> Result<Option<&'a str>, LogoutRefusal> {
    match (
        hint.map(|h| h.client_id.as_str()),
        request.client_id.as_deref(),
    ) {
        (Some(a), Some(b)) if a != b => Err(LogoutRefusal::ClientMismatch),
        (Some(a), _) => Ok(Some(a)),
        (None, b) => Ok(b),
    }
}

/// Where the browser goes afterwards: the registered `post_logout_redirect_uri` of `client`
/// with `state`, or `None` (a page of this server says the person is logged out).
pub fn return_to(
    request: &LogoutRequest,
    client: Option<&Client>,
) -> Result<Option<String>, LogoutRefusal> {
    let Some(uri) = request.post_logout_redirect_uri.as_deref() else {
        return Ok(None);
    };
    match client {
        Some(client) if client.has_post_logout_uri(uri) => Ok(Some(uri.to_owned())),
        _ => Err(LogoutRefusal::UnregisteredRedirectUri),
    }
}

/// True unless `hint` was issued in the browser's session `session_sid`: only then may the
/// client end it without the person confirming.
pub fn needs_confirmation(hint: Option<&Hint>, session_sid: &str) -> bool {
    hint.is_none_or(|h| h.sid != session_sid)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::oidc::authorize::parse;
    use crate::domain::oidc::sample_client;

    fn client() -> Client {
        Client {
            post_logout_redirect_uris: vec!["https://rp.example/bye".into()],
            ..sample_client("A")
        }
    }

    fn request(pairs: &[(&str, &str)]) -> Result<LogoutRequest, LogoutRefusal> {
        let params = parse(
            pairs
                .iter()
                .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
                .collect(),
        )
        .expect("parses");
        logout_request(&params)
    }

    #[test]
    fn state_is_bounded() {
        assert!(request(&[("state", &"s".repeat(MAX_STATE_LEN))]).is_ok());
        assert_eq!(
            request(&[("state", &"s".repeat(MAX_STATE_LEN + 1))]),
            Err(LogoutRefusal::StateTooLong)
        );
    }

    #[test]
    fn the_client_is_named_once() {
        let hint = Hint {
            client_id: "A".into(),
            sid: "S".into(),
        };
        let plain = request(&[]).expect("ok");
        assert_eq!(client_id_of(&plain, Some(&hint)), Ok(Some("A")));
        assert_eq!(client_id_of(&plain, None), Ok(None));
        let named = request(&[("client_id", "A")]).expect("ok");
        assert_eq!(client_id_of(&named, Some(&hint)), Ok(Some("A")));
        assert_eq!(client_id_of(&named, None), Ok(Some("A")));
        let other = request(&[("client_id", "B")]).expect("ok");
        assert_eq!(
            client_id_of(&other, Some(&hint)),
            Err(LogoutRefusal::ClientMismatch)
        );
    }

    #[test]
    fn only_registered_post_logout_uris_are_followed() {
        let c = client();
        let ok = request(&[("post_logout_redirect_uri", "https://rp.example/bye")]).expect("ok");
        assert_eq!(
            return_to(&ok, Some(&c)),
            Ok(Some("https://rp.example/bye".into()))
        );
        assert_eq!(
            return_to(&ok, None),
            Err(LogoutRefusal::UnregisteredRedirectUri),
            "no client to check it against"
        );
        for open in [
            "https://evil.example/",
            "https://rp.example/bye/../../evil",
            "https://rp.example/bye?next=https://evil.example",
            "//evil.example",
        ] {
            let r = request(&[("post_logout_redirect_uri", open)]).expect("ok");
            assert_eq!(
                return_to(&r, Some(&c)),
                Err(LogoutRefusal::UnregisteredRedirectUri),
                "{open}"
            );
        }
        assert_eq!(return_to(&request(&[]).expect("ok"), Some(&c)), Ok(None));
    }

    #[test]
    fn confirmation_unless_the_hint_is_of_this_session() {
        let hint = Hint {
            client_id: "A".into(),
            sid: "S".into(),
        };
        assert!(!needs_confirmation(Some(&hint), "S"));
        assert!(needs_confirmation(Some(&hint), "T"));
        assert!(needs_confirmation(None, "S"));
    }
}
