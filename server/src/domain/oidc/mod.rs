//! The rules of the OpenID Connect provider (docs/oidc.md), pure like the rest of the
//! domain: time comes in as Unix seconds, nothing is read or written here.
//!
//! * [`client`]: what a registered client may be (redirect URIs, scopes, names).
//! * [`authorize`]: the authorization request as an ordered list of small checks, and
//!   whether a web session may answer it at once.
//! * [`token`]: the token endpoint: grant, code redemption, PKCE, client assertions.
//! * [`claims`]: subjects (public or pairwise), ID token, userinfo and logout token claims,
//!   `amr` and `acr`.
//! * [`logout`]: RP-initiated logout: where to go back, when to ask for confirmation.

pub mod authorize;
pub mod claims;
pub mod client;
pub mod logout;
pub mod token;

use serde::{Deserialize, Serialize};

/// The scope every OpenID Connect request carries.
pub const OPENID: &str = "openid";

/// The scopes this provider knows: `openid`, then `profile` (Tigr ID and name) and `email`.
pub const SUPPORTED_SCOPES: [&str; 3] = ["openid", "profile", "email"];

/// Lifetime of an authorization code, in seconds.
pub const CODE_TTL: i64 = 60;

/// Lifetime of an authorization request waiting for the browser's login, in seconds.
pub const PENDING_TTL: i64 = 600;

/// Lifetime of a logout token, in seconds.
pub const LOGOUT_TOKEN_TTL: i64 = 120;

/// Longest identifier, URI or parameter value kept from a request.
pub const MAX_VALUE_LEN: usize = 2048;

/// Confidential clients authenticate at the token endpoint; public ones (apps in a browser
/// or on a device) cannot keep a secret and rely on PKCE alone.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ClientKind {
    /// Has a secret or a key pair.
    Confidential,
    /// Has neither; PKCE is required.
    Public,
}

impl ClientKind {
    /// The stored spelling.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Confidential => "confidential",
            Self::Public => "public",
        }
    }

    /// Parses the stored spelling.
    pub fn parse(text: &str) -> Option<Self> {
        match text {
            "confidential" => Some(Self::Confidential),
            "public" => Some(Self::Public),
            _ => None,
        }
    }
}

/// How a client authenticates at the token endpoint (OpenID Connect Core §9).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum AuthMethod {
    /// HTTP Basic with client id and secret.
    ClientSecretBasic,
    /// `client_id` and `client_secret` in the form body.
    ClientSecretPost,
    /// A JWT signed with the client's private key (RFC 7523).
    PrivateKeyJwt,
    /// Public clients: `client_id` only.
    None,
}

impl AuthMethod {
    /// Every method, as discovery lists them.
    pub const ALL: [Self; 4] = [
        Self::ClientSecretBasic,
        Self::ClientSecretPost,
        Self::PrivateKeyJwt,
        Self::None,
    ];

    /// The registered (and stored) spelling.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::ClientSecretBasic => "client_secret_basic",
            Self::ClientSecretPost => "client_secret_post",
            Self::PrivateKeyJwt => "private_key_jwt",
            Self::None => "none",
        }
    }

    /// Parses the registered spelling.
    pub fn parse(text: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|m| m.as_str() == text)
    }

    /// True for the methods that use a client secret.
    pub fn uses_secret(self) -> bool {
        matches!(self, Self::ClientSecretBasic | Self::ClientSecretPost)
    }
}

/// Whether a client sees the account's Tigr ID as `sub` or an identifier of its own.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum SubjectType {
    /// `sub` is the Tigr ID, the same for every client.
    Public,
    /// `sub` is derived from the client and the account: two clients cannot join their
    /// users on it.
    Pairwise,
}

impl SubjectType {
    /// The stored spelling.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Public => "public",
            Self::Pairwise => "pairwise",
        }
    }

    /// Parses the stored spelling.
    pub fn parse(text: &str) -> Option<Self> {
        match text {
            "public" => Some(Self::Public),
            "pairwise" => Some(Self::Pairwise),
            _ => None,
        }
    }
}

/// A registered client (relying party).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Client {
    /// `client_id`.
    pub id: String,
    /// The service's name, shown to users ("Connexion à <name>") and on the phone.
    pub name: String,
    /// Confidential or public.
    pub kind: ClientKind,
    /// How it authenticates at the token endpoint.
    pub auth_method: AuthMethod,
    /// SHA-256 of its secret (secret methods only).
    pub secret_hash: Option<Vec<u8>>,
    /// Its public keys, a JWK Set as JSON (`private_key_jwt`).
    pub jwks: Option<String>,
    /// Where its public keys are published (`private_key_jwt`).
    pub jwks_uri: Option<String>,
    /// Exact redirect URIs.
    pub redirect_uris: Vec<String>,
    /// Exact URIs RP-initiated logout may return to.
    pub post_logout_redirect_uris: Vec<String>,
    /// Where logout tokens are posted (Back-Channel Logout 1.0).
    pub backchannel_logout_uri: Option<String>,
    /// Scopes it may ask for (`openid` among them).
    pub scopes: Vec<String>,
    /// Public or pairwise `sub`.
    pub subject_type: SubjectType,
    /// Registration time.
    pub created_at: i64,
    /// Last change.
    pub updated_at: i64,
    /// Last secret rotation.
    pub secret_rotated_at: Option<i64>,
}

impl Client {
    /// True when `uri` is one of its redirect URIs, character for character.
    pub fn has_redirect_uri(&self, uri: &str) -> bool {
        self.redirect_uris.iter().any(|u| u == uri)
    }

    /// True when `uri` is one of its post-logout redirect URIs, character for character.
    pub fn has_post_logout_uri(&self, uri: &str) -> bool {
        self.post_logout_redirect_uris.iter().any(|u| u == uri)
    }
}

/// How the person behind a web session authenticated, with its RFC 8176 `amr` values and
/// Tigr's `acr` (docs/oidc.md, "amr and acr").
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Authentication {
    /// The enrolled phone approved the QR with the PIN: a software key held on the phone
    /// (unmasked by the PIN, its vault wrapped by the platform key store), and the PIN.
    PhoneApproval,
    /// The enrolled phone computed an offline code with the PIN.
    OfflineCode,
    /// A health-sector smart card (CPS) signed the TLS handshake with its key, unlocked by
    /// its PIN in the card itself (docs/cps.md).
    Card,
    /// The Tigr ID's password and a one-time password mailed to the account's address (the
    /// OTP form).
    PasswordEmailCode,
    /// The Tigr ID's password and a code of the account's TOTP/HOTP token: a hardware token
    /// or an authenticator app (the OTP form).
    PasswordTokenCode,
}

impl Authentication {
    /// From a web session's `method` (`qr`, `offline`, `cps`, `otp_email`, `otp_token`).
    pub fn from_method(method: &str) -> Option<Self> {
        match method {
            "qr" => Some(Self::PhoneApproval),
            "offline" => Some(Self::OfflineCode),
            "cps" => Some(Self::Card),
            "otp_email" => Some(Self::PasswordEmailCode),
            "otp_token" => Some(Self::PasswordTokenCode),
            _ => None,
        }
    }

    /// RFC 8176 methods: `swk` (proof of possession of a software-secured key), `otp`, or
    /// `sc` and `hwk` (a smart card proved possession of its hardware-secured key); `pin`
    /// (the PIN unmasks the key or secret; a wrong one is refused by the server or the card);
    /// `pwd` (a password); `mfa` (two factors: held and known, or a password and a code
    /// received in the mailbox, or a password and a token's code).
    pub fn amr(self) -> &'static [&'static str] {
        match self {
            Self::PhoneApproval => &["swk", "pin", "mfa"],
            Self::OfflineCode => &["otp", "pin", "mfa"],
            Self::Card => &["sc", "hwk", "pin", "mfa"],
            Self::PasswordEmailCode | Self::PasswordTokenCode => &["pwd", "otp", "mfa"],
        }
    }

    /// The authentication context class (docs/oidc.md).
    pub fn acr(self) -> &'static str {
        match self {
            Self::PhoneApproval => ACR_PHONE,
            Self::OfflineCode => ACR_OFFLINE,
            Self::Card => ACR_CARD,
            Self::PasswordEmailCode => ACR_PASSWORD_EMAIL,
            Self::PasswordTokenCode => ACR_PASSWORD_TOKEN,
        }
    }
}

/// `acr` of a login approved on the enrolled phone with its PIN.
pub const ACR_PHONE: &str = "tigr:phone-pin";
/// `acr` of a login with an offline code of the enrolled phone and its PIN.
pub const ACR_OFFLINE: &str = "tigr:offline-pin";
/// `acr` of a login with a health-sector smart card (CPS) and its PIN.
pub const ACR_CARD: &str = "tigr:cps-card";
/// `acr` of a login with the Tigr ID's password and a one-time password sent by e-mail.
pub const ACR_PASSWORD_EMAIL: &str = "tigr:password-email-otp";
/// `acr` of a login with the Tigr ID's password and a code of a TOTP/HOTP token.
pub const ACR_PASSWORD_TOKEN: &str = "tigr:password-token-otp";
/// Every `acr` this provider issues today.
pub const ACR_VALUES: [&str; 5] = [
    ACR_PHONE,
    ACR_OFFLINE,
    ACR_CARD,
    ACR_PASSWORD_EMAIL,
    ACR_PASSWORD_TOKEN,
];

/// A confidential client `id` (secret in the Basic header, public `sub`, scope `openid`,
/// no URIs), for the unit tests of the rules to adjust.
#[cfg(test)]
pub(crate) fn sample_client(id: &str) -> Client {
    Client {
        id: id.into(),
        name: id.into(),
        kind: ClientKind::Confidential,
        auth_method: AuthMethod::ClientSecretBasic,
        secret_hash: None,
        jwks: None,
        jwks_uri: None,
        redirect_uris: vec![],
        post_logout_redirect_uris: vec![],
        backchannel_logout_uri: None,
        scopes: vec![OPENID.into()],
        subject_type: SubjectType::Public,
        created_at: 0,
        updated_at: 0,
        secret_rotated_at: None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn spellings_round_trip() {
        for method in AuthMethod::ALL {
            assert_eq!(AuthMethod::parse(method.as_str()), Some(method));
        }
        assert_eq!(AuthMethod::parse("client_secret_jwt"), None);
        for kind in [ClientKind::Confidential, ClientKind::Public] {
            assert_eq!(ClientKind::parse(kind.as_str()), Some(kind));
        }
        for subject in [SubjectType::Public, SubjectType::Pairwise] {
            assert_eq!(SubjectType::parse(subject.as_str()), Some(subject));
        }
        assert!(AuthMethod::ClientSecretPost.uses_secret());
        assert!(!AuthMethod::PrivateKeyJwt.uses_secret());
    }

    #[test]
    fn amr_and_acr_say_how_the_login_was_made() {
        let phone = Authentication::from_method("qr").expect("qr");
        assert_eq!(phone.amr(), ["swk", "pin", "mfa"]);
        assert_eq!(phone.acr(), "tigr:phone-pin");
        let offline = Authentication::from_method("offline").expect("offline");
        assert_eq!(offline.amr(), ["otp", "pin", "mfa"]);
        assert_eq!(offline.acr(), "tigr:offline-pin");
        let card = Authentication::from_method("cps").expect("cps");
        assert_eq!(card.amr(), ["sc", "hwk", "pin", "mfa"]);
        assert_eq!(card.acr(), "tigr:cps-card");
        let mailed = Authentication::from_method("otp_email").expect("otp_email");
        assert_eq!(mailed.amr(), ["pwd", "otp", "mfa"]);
        assert_eq!(mailed.acr(), "tigr:password-email-otp");
        let token = Authentication::from_method("otp_token").expect("otp_token");
        assert_eq!(token.amr(), ["pwd", "otp", "mfa"]);
        assert_eq!(token.acr(), "tigr:password-token-otp");
        assert_eq!(Authentication::from_method("password"), None);
    }
}
