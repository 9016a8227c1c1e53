//! What tokens say: the subject a client sees, the ID token's claims, userinfo, and logout
//! tokens (docs/oidc.md, "Claims").
//!
//! **`sub`.** Each client is registered `public` (the Tigr ID) or `pairwise` (an identifier
//! of its own, HMAC-SHA-256 of the client id and the Tigr ID under a key of the server). The
//! default is pairwise: services that are not meant to share their users cannot join their
//! records on `sub`. A client allowed the `profile` scope receives the Tigr ID anyway, as
//! `preferred_username`: pairwise protects only what the scopes do not give away.

use serde::Serialize;
use serde_json::{Map, Value};

use super::{Client, SubjectType};

/// The `events` member of a logout token (Back-Channel Logout 1.0 §2.4).
pub const BACKCHANNEL_LOGOUT_EVENT: &str = "http://schemas.openid.net/event/backchannel-logout";

/// The `sub` that `client` sees for `account`. `pairwise_key` is the server's key of
/// pairwise subjects (32 random bytes kept in the database).
pub fn subject(client: &Client, account: &str, pairwise_key: &[u8]) -> String {
    match client.subject_type {
        SubjectType::Public => account.to_owned(),
        SubjectType::Pairwise => {
            let key = ring::hmac::Key::new(ring::hmac::HMAC_SHA256, pairwise_key);
            let mut message = b"tigr/oidc-sub/v1\0".to_vec();
            for field in [client.id.as_str(), account] {
                let len = u16::try_from(field.len()).unwrap_or(u16::MAX);
                message.extend_from_slice(&len.to_be_bytes());
                message.extend_from_slice(&field.as_bytes()[..usize::from(len)]);
            }
            tigr_core::wire::b64_encode(ring::hmac::sign(&key, &message).as_ref())
        }
    }
}

/// What is known of the account, for the claims of the scopes.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Person<'a> {
    /// Tigr ID.
    pub account: &'a str,
    /// Display name.
    pub name: &'a str,
    /// E-mail address, if recorded.
    pub email: Option<&'a str>,
}

/// The claims of `scopes` (OpenID Connect Core §5.4): `profile` gives the Tigr ID as
/// `preferred_username` and `name`; `email` gives `email` (when recorded) with
/// `email_verified` false (administrators type addresses in; nobody proved them).
pub fn scope_claims(person: &Person<'_>, scopes: &[&str]) -> Map<String, Value> {
    let mut claims = Map::new();
    if scopes.contains(&"profile") {
        claims.insert("preferred_username".into(), person.account.into());
        claims.insert("name".into(), person.name.into());
    }
    if scopes.contains(&"email")
        && let Some(email) = person.email
    {
        claims.insert("email".into(), email.into());
        claims.insert("email_verified".into(), false.into());
    }
    claims
}

/// The claims of an ID token (OpenID Connect Core §2, §3.1.3.6).
#[derive(Debug, Clone, Serialize)]
pub struct IdToken<'a> {
    /// The issuer (this server's public URL).
    pub iss: &'a str,
    /// The subject the client sees.
    pub sub: &'a str,
    /// The client.
    pub aud: &'a str,
    /// Expiry.
    pub exp: i64,
    /// Issue time.
    pub iat: i64,
    /// Time of the authentication behind the session.
    pub auth_time: i64,
    /// The request's nonce, echoed.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub nonce: Option<&'a str>,
    /// The web session (for logout).
    pub sid: &'a str,
    /// RFC 8176 methods.
    pub amr: Vec<&'a str>,
    /// Authentication context class.
    pub acr: &'a str,
    /// The authorized party (the client).
    pub azp: &'a str,
    /// Left half of the SHA-256 of the access token.
    pub at_hash: &'a str,
    /// Scope claims (`preferred_username`, `name`, `email`, ...).
    #[serde(flatten)]
    pub profile: Map<String, Value>,
}

/// The claims of a logout token (Back-Channel Logout 1.0 §2.4): no `nonce`, an `events`
/// member, both `sub` and `sid`.
#[derive(Debug, Clone, Serialize)]
pub struct LogoutToken<'a> {
    /// The issuer.
    pub iss: &'a str,
    /// The client.
    pub aud: &'a str,
    /// Issue time.
    pub iat: i64,
    /// Expiry.
    pub exp: i64,
    /// Unique id.
    pub jti: &'a str,
    /// `{"http://schemas.openid.net/event/backchannel-logout": {}}`.
    pub events: Map<String, Value>,
    /// The subject the client sees.
    pub sub: &'a str,
    /// The ended web session.
    pub sid: &'a str,
}

/// The `events` member of a logout token.
pub fn logout_events() -> Map<String, Value> {
    let mut events = Map::new();
    events.insert(BACKCHANNEL_LOGOUT_EVENT.into(), Value::Object(Map::new()));
    events
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::oidc::sample_client;

    fn client(id: &str, subject_type: SubjectType) -> Client {
        Client {
            subject_type,
            ..sample_client(id)
        }
    }

    #[test]
    fn public_subjects_are_the_tigr_id_pairwise_ones_differ_per_client() {
        let key = [7u8; 32];
        assert_eq!(
            subject(&client("A", SubjectType::Public), "alice", &key),
            "alice"
        );
        let a = subject(&client("A", SubjectType::Pairwise), "alice", &key);
        let b = subject(&client("B", SubjectType::Pairwise), "alice", &key);
        assert_ne!(a, b);
        assert_ne!(a, "alice");
        assert_eq!(a.len(), 43);
        assert_eq!(
            a,
            subject(&client("A", SubjectType::Pairwise), "alice", &key)
        );
        assert_ne!(a, subject(&client("A", SubjectType::Pairwise), "bob", &key));
        assert_ne!(
            a,
            subject(&client("A", SubjectType::Pairwise), "alice", &[8u8; 32])
        );
        // Field boundaries cannot shift.
        assert_ne!(
            subject(&client("Aa", SubjectType::Pairwise), "lice", &key),
            a
        );
    }

    #[test]
    fn scope_claims_follow_the_scopes() {
        let person = Person {
            account: "dr.martin",
            name: "Claire Martin",
            email: Some("c.martin@chu.example"),
        };
        assert!(scope_claims(&person, &["openid"]).is_empty());
        let profile = scope_claims(&person, &["openid", "profile"]);
        assert_eq!(profile["preferred_username"], "dr.martin");
        assert_eq!(profile["name"], "Claire Martin");
        assert!(!profile.contains_key("email"));
        let email = scope_claims(&person, &["openid", "email"]);
        assert_eq!(email["email"], "c.martin@chu.example");
        assert_eq!(email["email_verified"], false);
        assert!(!email.contains_key("name"));
        let without = Person {
            email: None,
            ..person
        };
        assert!(scope_claims(&without, &["openid", "email"]).is_empty());
    }

    #[test]
    fn logout_tokens_carry_the_event_and_no_nonce() {
        let token = LogoutToken {
            iss: "https://tigr.example",
            aud: "A",
            iat: 1,
            exp: 121,
            jti: "J",
            events: logout_events(),
            sub: "alice",
            sid: "S",
        };
        let json = serde_json::to_value(&token).expect("json");
        assert_eq!(
            json["events"][BACKCHANNEL_LOGOUT_EVENT],
            serde_json::json!({})
        );
        assert!(json.get("nonce").is_none());
        assert_eq!(json["sid"], "S");
    }
}
