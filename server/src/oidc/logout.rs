//! RP-Initiated Logout 1.0: the end-session endpoint's decision. Ending the web session
//! itself is the login service's (which queues the back-channel logout tokens).

use jsonwebtoken::{Algorithm, Validation};
use serde::Deserialize;

use crate::domain::oidc::authorize;
use crate::domain::oidc::logout::{
    Hint, LogoutRefusal, client_id_of, logout_request, needs_confirmation, return_to,
};

use super::{OidcError, OidcService, keys};

/// What the end-session endpoint does.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum LogoutPlan {
    /// End the browser's session now, then go to `redirect` (or show the logged-out page).
    EndNow {
        /// The registered post-logout URI with `state`, if one was asked for.
        redirect: Option<String>,
    },
    /// Ask the person first: a page of this server with a form that posts the same request
    /// back with `confirm`.
    Confirm {
        /// The name of the service asking, when known.
        client_name: Option<String>,
        /// The request's parameters, for the form to post back.
        params: Vec<(String, String)>,
    },
    /// No session to end: go to `redirect` (or show the logged-out page).
    NothingToEnd {
        /// The registered post-logout URI with `state`, if one was asked for.
        redirect: Option<String>,
    },
}

/// The claims of an ID token given as a hint.
#[derive(Debug, Deserialize)]
struct HintClaims {
    aud: String,
    sid: String,
}

/// Parameters the confirmation form posts back.
const KEPT: [&str; 5] = [
    "id_token_hint",
    "post_logout_redirect_uri",
    "state",
    "client_id",
    "ui_locales",
];

impl OidcService {
    /// What `GET`/`POST /oidc/logout` does for a browser whose session has `session_sid`
    /// (`None`: no session). `confirmed` is true for the post of the confirmation form (its
    /// CSRF token checked by the HTTP layer).
    pub async fn plan_logout(
        &self,
        pairs: Vec<(String, String)>,
        session_sid: Option<&str>,
        confirmed: bool,
    ) -> Result<LogoutPlan, OidcError> {
        let params = authorize::parse(pairs).map_err(OidcError::Authorize)?;
        let request = logout_request(&params)?;
        let hint = match &request.id_token_hint {
            Some(token) => Some(
                self.verify_hint(token)
                    .await?
                    .ok_or(LogoutRefusal::InvalidHint)?,
            ),
            None => None,
        };
        let client = match client_id_of(&request, hint.as_ref())? {
            Some(id) if id.len() <= 64 => Some(
                self.0
                    .store
                    .oidc_client(id)
                    .await?
                    .ok_or(LogoutRefusal::UnknownClient)?,
            ),
            Some(_) => return Err(LogoutRefusal::UnknownClient.into()),
            None => None,
        };
        let redirect = return_to(&request, client.as_ref())?.map(|uri| match &request.state {
            Some(state) => super::with_query(&uri, &[("state", state)]),
            None => uri,
        });
        let Some(sid) = session_sid else {
            return Ok(LogoutPlan::NothingToEnd { redirect });
        };
        if confirmed || !needs_confirmation(hint.as_ref(), sid) {
            return Ok(LogoutPlan::EndNow { redirect });
        }
        Ok(LogoutPlan::Confirm {
            client_name: client.map(|c| c.name),
            params: KEPT
                .iter()
                .filter_map(|name| params.get(name).map(|v| ((*name).to_owned(), v.to_owned())))
                .collect(),
        })
    }

    /// The audience and `sid` of `token` if this server signed it with a published key
    /// (expired ID tokens are fine: a hint says who asks, it grants nothing).
    async fn verify_hint(&self, token: &str) -> Result<Option<Hint>, OidcError> {
        let Ok(header) = jsonwebtoken::decode_header(token) else {
            return Ok(None);
        };
        let Some(kid) = header.kid.filter(|_| header.alg == Algorithm::ES256) else {
            return Ok(None);
        };
        let Some(key) = keys::verification_key(&self.0.store, &kid, self.now()).await? else {
            return Ok(None);
        };
        let mut validation = Validation::new(Algorithm::ES256);
        validation.validate_exp = false;
        validation.validate_aud = false;
        validation.required_spec_claims.clear();
        validation.set_issuer(&[self.issuer()]);
        Ok(jsonwebtoken::decode::<HintClaims>(token, &key, &validation)
            .ok()
            .map(|data| Hint {
                client_id: data.claims.aud,
                sid: data.claims.sid,
            }))
    }
}
