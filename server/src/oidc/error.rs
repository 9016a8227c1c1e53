//! The one error type of the OpenID Connect service. It carries no HTTP status: the HTTP
//! layer words each variant (a page, a redirect, a JSON error of RFC 6749 §5.2, or a
//! `WWW-Authenticate` challenge of RFC 6750).

use crate::domain::oidc::authorize::PageRefusal;
use crate::domain::oidc::logout::LogoutRefusal;
use crate::domain::oidc::token::TokenRefusal;
use crate::storage::StorageError;

/// Why the OpenID Connect service refused or failed. Nothing was changed unless said.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum OidcError {
    /// An authorization request that cannot be answered at any redirect URI (shown on a
    /// page).
    Authorize(PageRefusal),
    /// The authorization request the login page or the resumption names is unknown,
    /// expired, already resumed, or another browser's.
    UnknownRequest,
    /// A refusal of the token endpoint.
    Token(TokenRefusal),
    /// The bearer token of a userinfo request is missing, unknown, expired or revoked.
    InvalidToken,
    /// An end-session request that cannot be followed (shown on a page).
    Logout(LogoutRefusal),
    /// A failure on the server's side (already logged).
    Internal,
}

impl From<StorageError> for OidcError {
    fn from(error: StorageError) -> Self {
        tracing::error!(%error, "storage failure");
        Self::Internal
    }
}

impl From<TokenRefusal> for OidcError {
    fn from(refusal: TokenRefusal) -> Self {
        Self::Token(refusal)
    }
}

impl From<LogoutRefusal> for OidcError {
    fn from(refusal: LogoutRefusal) -> Self {
        Self::Logout(refusal)
    }
}

impl From<crate::jose::JoseError> for OidcError {
    fn from(error: crate::jose::JoseError) -> Self {
        tracing::error!(%error, "token signing failure");
        Self::Internal
    }
}
