//! The OpenID Connect services (clients) and the signing key: list, register (the secret
//! shown once), show and edit, remove, give a new secret, rotate the key. Every action is an
//! [`crate::admin::AdminService`] method with [`crate::admin::Actor::web`], like the command
//! line's `tigr-server oidc ...`.

use axum::extract::{Path, Query};
use axum::http::StatusCode;
use axum::response::Response;
use minijinja::context;
use serde::{Deserialize, Serialize};

use crate::admin::{AdminError, ClientRegistration, DEFAULT_SCOPES};
use crate::domain::oidc::{Client, ClientKind};
use crate::text::text_with;

use super::super::see_other;
use super::view::Time;
use super::{Admin, AdminForm, WebError, url_part};

/// A client as the pages show it.
#[derive(Debug, Serialize)]
struct ClientView {
    id: String,
    name: String,
    href: String,
    public: bool,
    auth_method: &'static str,
    subject_type: &'static str,
    created: Time,
    secret_rotated: Option<Time>,
}

fn client_view(admin: &Admin, client: &Client) -> ClientView {
    let time = |at: i64| Time::at(at, admin.zone(), admin.lang());
    ClientView {
        id: client.id.clone(),
        name: client.name.clone(),
        href: client_path(&client.id),
        public: client.kind == ClientKind::Public,
        auth_method: client.auth_method.as_str(),
        subject_type: client.subject_type.as_str(),
        created: time(client.created_at),
        secret_rotated: client.secret_rotated_at.map(time),
    }
}

fn client_path(id: &str) -> String {
    format!("/admin/oidc/{}", url_part(id))
}

/// Query of the list: the outcome of the action that led there.
#[derive(Debug, Default, Deserialize)]
pub struct ListQuery {
    done: Option<String>,
}

/// `GET /admin/oidc`: the registered services and the signing key.
pub async fn list(admin: Admin, Query(query): Query<ListQuery>) -> Result<Response, WebError> {
    let flash =
        (query.done.as_deref() == Some("removed")).then(|| admin.t("admin-oidc-done-removed"));
    list_page(&admin, flash).await
}

async fn list_page(admin: &Admin, flash: Option<String>) -> Result<Response, WebError> {
    let clients = admin
        .service()
        .oidc_clients()
        .await
        .map_err(|e| admin.fail(e))?;
    let views: Vec<ClientView> = clients.iter().map(|c| client_view(admin, c)).collect();
    Ok(admin.render(
        "admin/oidc_clients.html",
        "oidc",
        context! { clients => views, flash },
    ))
}

/// The fields of the registration and edit forms (URIs one per line).
#[derive(Debug, Default, Deserialize)]
pub struct ClientForm {
    #[serde(default)]
    name: String,
    #[serde(default)]
    redirect_uris: String,
    #[serde(default)]
    post_logout_redirect_uris: String,
    #[serde(default)]
    backchannel_logout_uri: String,
    #[serde(default)]
    kind: String,
    #[serde(default)]
    auth_method: String,
    #[serde(default)]
    jwks: String,
    #[serde(default)]
    jwks_uri: String,
    #[serde(default)]
    scopes: String,
    #[serde(default)]
    subject_type: String,
}

fn lines(text: &str) -> Vec<String> {
    text.lines()
        .map(str::trim)
        .filter(|l| !l.is_empty())
        .map(str::to_owned)
        .collect()
}

impl ClientForm {
    fn registration(&self) -> ClientRegistration {
        ClientRegistration {
            name: self.name.clone(),
            redirect_uris: lines(&self.redirect_uris),
            post_logout_redirect_uris: lines(&self.post_logout_redirect_uris),
            backchannel_logout_uri: Some(self.backchannel_logout_uri.clone()),
            public: self.kind == "public",
            scopes: Some(self.scopes.clone()),
            auth_method: Some(self.auth_method.clone()),
            jwks: Some(self.jwks.clone()),
            jwks_uri: Some(self.jwks_uri.clone()),
            subject_type: Some(self.subject_type.clone()),
        }
    }

    fn of(client: &Client) -> Self {
        Self {
            name: client.name.clone(),
            redirect_uris: client.redirect_uris.join("\n"),
            post_logout_redirect_uris: client.post_logout_redirect_uris.join("\n"),
            backchannel_logout_uri: client.backchannel_logout_uri.clone().unwrap_or_default(),
            kind: client.kind.as_str().to_owned(),
            auth_method: client.auth_method.as_str().to_owned(),
            jwks: client.jwks.clone().unwrap_or_default(),
            jwks_uri: client.jwks_uri.clone().unwrap_or_default(),
            scopes: client.scopes.join(" "),
            subject_type: client.subject_type.as_str().to_owned(),
        }
    }

    fn value(&self) -> minijinja::Value {
        context! {
            name => self.name, redirect_uris => self.redirect_uris,
            post_logout_redirect_uris => self.post_logout_redirect_uris,
            backchannel_logout_uri => self.backchannel_logout_uri, kind => self.kind,
            auth_method => self.auth_method, jwks => self.jwks, jwks_uri => self.jwks_uri,
            scopes => self.scopes, subject_type => self.subject_type,
        }
    }
}

/// `GET /admin/oidc/new`: the registration form.
pub async fn new_form(admin: Admin) -> Response {
    let form = ClientForm {
        kind: "confidential".into(),
        auth_method: "client_secret_basic".into(),
        scopes: DEFAULT_SCOPES.into(),
        subject_type: "pairwise".into(),
        ..ClientForm::default()
    };
    admin.render(
        "admin/oidc_client_form.html",
        "oidc",
        context! { mode => "create", form => form.value() },
    )
}

/// `POST /admin/oidc`: registers the service and shows it with its secret (once).
pub async fn create(
    AdminForm { admin, form }: AdminForm<ClientForm>,
) -> Result<Response, WebError> {
    match admin
        .service()
        .register_client(&admin.actor, &form.registration())
        .await
    {
        Ok(registered) => Ok(detail_page(
            &admin,
            &registered.client,
            StatusCode::CREATED,
            Some(admin.t("admin-oidc-done-created")),
            registered.secret.as_deref(),
        )),
        Err(error) => form_again(&admin, "create", "", &form, error),
    }
}

/// The form again with the refusal.
fn form_again(
    admin: &Admin,
    mode: &str,
    id: &str,
    form: &ClientForm,
    error: AdminError,
) -> Result<Response, WebError> {
    let (status, message) = admin.refusal(error)?;
    Ok(admin.render_status(
        status,
        "admin/oidc_client_form.html",
        "oidc",
        context! {
            mode, error => message, form => form.value(),
            href => client_path(id), id,
        },
    ))
}

fn detail_page(
    admin: &Admin,
    client: &Client,
    status: StatusCode,
    flash: Option<String>,
    secret: Option<&str>,
) -> Response {
    admin.render_status(
        status,
        "admin/oidc_client.html",
        "oidc",
        context! {
            client => client_view(admin, client),
            form => ClientForm::of(client).value(),
            flash,
            secret,
        },
    )
}

/// `GET /admin/oidc/{id}`: a service's registration, its edit form and its actions.
pub async fn detail(admin: Admin, Path(id): Path<String>) -> Result<Response, WebError> {
    let client = admin
        .service()
        .oidc_client(&id)
        .await
        .map_err(|e| admin.fail(e))?;
    Ok(detail_page(&admin, &client, StatusCode::OK, None, None))
}

/// `POST /admin/oidc/{id}/edit`.
pub async fn edit(
    Path(id): Path<String>,
    AdminForm { admin, form }: AdminForm<ClientForm>,
) -> Result<Response, WebError> {
    match admin
        .service()
        .edit_client(&admin.actor, &id, &form.registration())
        .await
    {
        Ok(client) => Ok(detail_page(
            &admin,
            &client,
            StatusCode::OK,
            Some(admin.t("admin-oidc-done-edited")),
            None,
        )),
        Err(error) => form_again(&admin, "edit", &id, &form, error),
    }
}

/// A form with nothing but its CSRF token.
#[derive(Debug, Default, Deserialize)]
pub struct Empty {}

/// `POST /admin/oidc/{id}/remove`.
pub async fn remove(
    Path(id): Path<String>,
    AdminForm { admin, .. }: AdminForm<Empty>,
) -> Result<Response, WebError> {
    admin
        .service()
        .remove_client(&admin.actor, &id)
        .await
        .map_err(|e| admin.fail(e))?;
    Ok(see_other("/admin/oidc?done=removed"))
}

/// `POST /admin/oidc/{id}/rotate-secret`: the new secret, shown once.
pub async fn rotate_secret(
    Path(id): Path<String>,
    AdminForm { admin, .. }: AdminForm<Empty>,
) -> Result<Response, WebError> {
    let secret = admin
        .service()
        .rotate_client_secret(&admin.actor, &id)
        .await
        .map_err(|e| admin.fail(e))?;
    let client = admin
        .service()
        .oidc_client(&id)
        .await
        .map_err(|e| admin.fail(e))?;
    Ok(detail_page(
        &admin,
        &client,
        StatusCode::OK,
        Some(admin.t("admin-oidc-done-secret")),
        Some(&secret),
    ))
}

/// `POST /admin/oidc/rotate-key`.
pub async fn rotate_key(AdminForm { admin, .. }: AdminForm<Empty>) -> Result<Response, WebError> {
    let kid = admin
        .service()
        .rotate_signing_key(&admin.actor)
        .await
        .map_err(|e| admin.fail(e))?;
    let flash = text_with(admin.lang(), "admin-oidc-done-key", &[("kid", kid.into())]);
    list_page(&admin, Some(flash)).await
}
