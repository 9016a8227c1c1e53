//! The authorization endpoint's flow: check the request, answer from the web session
//! (single sign-on) or keep the request while the browser logs in, then resume it; issue
//! the code.

use crate::domain::oidc::authorize::{
    self, AuthorizationRequest, Decision, ErrorCode, MAX_STATE_LEN, Refusal, check_client,
    check_request, decide, may_resume,
};
use crate::domain::oidc::token::StoredCode;
use crate::domain::oidc::{Authentication, CODE_TTL, Client, PENDING_TTL};
use crate::login::{ClientInfo, CurrentSession};
use crate::sealing::{constant_time_eq, sha256};
use crate::storage::{CodeGrant, CodeGrantOutcome, GrantRequester, PendingRequest};

use super::{OidcError, OidcService, with_query};

/// Longest `client_id` looked up.
const MAX_CLIENT_ID_LEN: usize = 64;

/// What the browser is told after an authorization request.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum AuthorizeOutcome {
    /// Go to this URL: the client's redirect URI with `code` (or `error`), `state` and
    /// `iss`.
    Redirect(String),
    /// Log in first, on the login page of the kept request `pending_id`.
    Login {
        /// The kept request.
        pending_id: String,
    },
}

/// A kept request as the login page shows it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PendingView {
    /// The kept request.
    pub id: String,
    /// The name of the service asking ("Connexion à <name>", and on the phone).
    pub client_name: String,
    /// `ui_locales` of the request.
    pub ui_locales: Option<String>,
    /// The origin of the client's redirect URI (the login page's forms end there, through
    /// this server's redirects).
    pub redirect_origin: Option<String>,
}

impl OidcService {
    /// The redirect of an error to the client's (checked) redirect URI, with `state` when it
    /// may be echoed and `iss` (RFC 9207).
    fn error_redirect(&self, redirect_uri: &str, state: Option<&str>, refusal: &Refusal) -> String {
        let mut pairs = vec![
            ("error", refusal.error.as_str()),
            ("error_description", refusal.description),
        ];
        if let Some(state) = state.filter(|s| s.len() <= MAX_STATE_LEN) {
            pairs.push(("state", state));
        }
        pairs.push(("iss", self.issuer()));
        with_query(redirect_uri, &pairs)
    }

    /// `GET`/`POST /oidc/authorize`: checks the request; with a usable web session, issues a
    /// code at once; otherwise keeps the request for the browser holding `browser_token` and
    /// asks it to log in (or answers `login_required` to `prompt=none`).
    pub async fn authorize(
        &self,
        pairs: Vec<(String, String)>,
        session: Option<&CurrentSession>,
        browser_token: &str,
        client: &ClientInfo,
    ) -> Result<AuthorizeOutcome, OidcError> {
        let params = authorize::parse(pairs).map_err(OidcError::Authorize)?;
        let registered = match params.get("client_id") {
            Some(id) if id.len() <= MAX_CLIENT_ID_LEN => self.0.store.oidc_client(id).await?,
            _ => None,
        };
        let (registered, redirect_uri) =
            check_client(&params, registered.as_ref()).map_err(OidcError::Authorize)?;
        let request = match check_request(&params, registered, &redirect_uri) {
            Ok(request) => request,
            Err(refusal) => {
                return Ok(AuthorizeOutcome::Redirect(self.error_redirect(
                    &redirect_uri,
                    params.get("state"),
                    &refusal,
                )));
            }
        };
        let now = self.now();
        match decide(&request, session.map(|s| s.record.auth_time), now) {
            Decision::IssueCode => {
                let session = session.ok_or(OidcError::Internal)?;
                let code = self.issue_code(&request, session, client, now).await?;
                Ok(AuthorizeOutcome::Redirect(
                    self.code_redirect(&request, &code),
                ))
            }
            Decision::LoginRequired => Ok(AuthorizeOutcome::Redirect(self.error_redirect(
                &request.redirect_uri,
                request.state.as_deref(),
                &Refusal {
                    error: ErrorCode::LoginRequired,
                    description: "no usable session: the user must log in",
                },
            ))),
            Decision::LoginFirst => {
                let pending_id = self.keep(&request, browser_token, now).await?;
                Ok(AuthorizeOutcome::Login { pending_id })
            }
        }
    }

    /// Keeps `request` until the browser of `browser_token` has logged in.
    async fn keep(
        &self,
        request: &AuthorizationRequest,
        browser_token: &str,
        now: i64,
    ) -> Result<String, OidcError> {
        let id = tigr_core::ids::random_id(self.0.random.as_ref());
        let json = serde_json::to_string(request).map_err(|_| OidcError::Internal)?;
        self.0
            .store
            .insert_oidc_pending(&PendingRequest {
                id: id.clone(),
                browser_hash: sha256(browser_token.as_bytes()).to_vec(),
                client_id: request.client_id.clone(),
                request: json,
                created_at: now,
                expires_at: now + PENDING_TTL,
            })
            .await?;
        Ok(id)
    }

    /// The kept request `id` if `browser_token` is the browser it was made in; unknown,
    /// expired and other browsers' requests look the same.
    async fn pending(
        &self,
        id: &str,
        browser_token: &str,
    ) -> Result<(PendingRequest, AuthorizationRequest, Client), OidcError> {
        if !tigr_core::ids::is_valid_id(id) {
            return Err(OidcError::UnknownRequest);
        }
        let pending = self
            .0
            .store
            .oidc_pending(id, self.now())
            .await?
            .filter(|p| constant_time_eq(&sha256(browser_token.as_bytes()), &p.browser_hash))
            .ok_or(OidcError::UnknownRequest)?;
        let request: AuthorizationRequest =
            serde_json::from_str(&pending.request).map_err(|_| OidcError::Internal)?;
        let client = self
            .0
            .store
            .oidc_client(&pending.client_id)
            .await?
            .ok_or(OidcError::UnknownRequest)?;
        Ok((pending, request, client))
    }

    /// The kept request `id` for the login page of the browser holding `browser_token`.
    pub async fn pending_for_login(
        &self,
        id: &str,
        browser_token: &str,
    ) -> Result<PendingView, OidcError> {
        let (pending, request, client) = self.pending(id, browser_token).await?;
        let redirect_origin = url::Url::parse(&request.redirect_uri)
            .ok()
            .map(|url| url.origin())
            .filter(url::Origin::is_tuple)
            .map(|origin| origin.ascii_serialization());
        Ok(PendingView {
            id: pending.id,
            client_name: client.name,
            ui_locales: request.ui_locales,
            redirect_origin,
        })
    }

    /// `GET /oidc/authorize/resume?request=<id>`: after the login page, the kept request is
    /// answered (once) if the browser's session authenticated since it was made; otherwise
    /// the login page again.
    pub async fn resume(
        &self,
        id: &str,
        browser_token: &str,
        session: Option<&CurrentSession>,
        client: &ClientInfo,
    ) -> Result<AuthorizeOutcome, OidcError> {
        let (pending, request, _) = self.pending(id, browser_token).await?;
        let Some(session) = session.filter(|s| may_resume(pending.created_at, s.record.auth_time))
        else {
            return Ok(AuthorizeOutcome::Login {
                pending_id: pending.id,
            });
        };
        let now = self.now();
        let code = self
            .issue_code_taking(&request, session, client, now, Some(&pending.id))
            .await?;
        Ok(AuthorizeOutcome::Redirect(
            self.code_redirect(&request, &code),
        ))
    }

    fn code_redirect(&self, request: &AuthorizationRequest, code: &str) -> String {
        let mut pairs = vec![("code", code)];
        if let Some(state) = request.state.as_deref() {
            pairs.push(("state", state));
        }
        pairs.push(("iss", self.issuer()));
        with_query(&request.redirect_uri, &pairs)
    }

    async fn issue_code(
        &self,
        request: &AuthorizationRequest,
        session: &CurrentSession,
        client: &ClientInfo,
        now: i64,
    ) -> Result<String, OidcError> {
        self.issue_code_taking(request, session, client, now, None)
            .await
    }

    /// Issues a code for `request` from `session` (taking the kept request `pending` in the
    /// same transaction), records that the session signed in to the client, audits.
    async fn issue_code_taking(
        &self,
        request: &AuthorizationRequest,
        session: &CurrentSession,
        client: &ClientInfo,
        now: i64,
        pending: Option<&str>,
    ) -> Result<String, OidcError> {
        let authentication =
            Authentication::from_method(&session.record.method).ok_or_else(|| {
                tracing::error!(method = %session.record.method, "unknown login method");
                OidcError::Internal
            })?;
        let code = self.random_b64(32);
        let stored = StoredCode {
            client_id: request.client_id.clone(),
            account_id: session.account.id.clone(),
            sid: session.record.sid.clone(),
            redirect_uri: request.redirect_uri.clone(),
            scope: request.scopes.join(" "),
            nonce: request.nonce.clone(),
            code_challenge: request.code_challenge.clone(),
            auth_time: session.record.auth_time,
            amr: authentication.amr().join(" "),
            acr: authentication.acr().to_owned(),
            created_at: now,
            expires_at: now + CODE_TTL,
            used_at: None,
        };
        let outcome = self
            .0
            .store
            .grant_oidc_code(CodeGrant {
                pending: pending.map(str::to_owned),
                code_hash: sha256(code.as_bytes()),
                requester: GrantRequester {
                    ip: client.ip.clone(),
                    user_agent: Some(client.summary.clone()),
                    detail: format!("client={} scope={:?}", stored.client_id, stored.scope),
                },
                code: stored,
            })
            .await?;
        if outcome == CodeGrantOutcome::RequestGone {
            // Resumed twice at once: the other resumption answers.
            return Err(OidcError::UnknownRequest);
        }
        Ok(code)
    }
}
