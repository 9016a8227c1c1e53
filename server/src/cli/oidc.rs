//! `tigr-server oidc ...`: the OpenID Connect clients and the signing key, for operators
//! (the admin pages under `/admin/oidc` do the same). Every rule and audit row is
//! [`AdminService`]'s.
//!
//! ```text
//! tigr-server oidc client add --name NAME --redirect-uri URI [--redirect-uri URI ...]
//!     [--post-logout-redirect-uri URI ...] [--backchannel-logout-uri URI] [--public]
//!     [--scopes "openid profile email"] [--auth-method METHOD] [--jwks-uri URI | --jwks-file F]
//!     [--subject pairwise|public] [--format text|json]
//! tigr-server oidc client list | show ID | remove ID | rotate-secret ID [--format json]
//! tigr-server oidc rotate-key
//! ```

use std::path::PathBuf;
use std::process::ExitCode;

use clap::{Args, Subcommand, ValueEnum};
use serde_json::json;

use crate::admin::{Actor, AdminError, AdminService, ClientRegistration};
use crate::config::Config;
use crate::domain::oidc::Client;
use crate::i18n::Lang;
use crate::text::{text, text_with};

/// How results are printed.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, ValueEnum)]
pub enum Format {
    /// Sentences for people (French or English).
    #[default]
    Text,
    /// One JSON object, for scripts.
    Json,
}

/// `tigr-server oidc ...`.
#[derive(Debug, Clone, Subcommand)]
pub enum OidcCommand {
    /// Register, list, show or remove the services that log their users in with Tigr.
    Client {
        #[command(subcommand)]
        command: ClientCommand,
    },
    /// Make a new signing key current; the previous one stays published until the tokens it
    /// signed expire.
    RotateKey,
}

/// `tigr-server oidc client ...`.
#[derive(Debug, Clone, Subcommand)]
pub enum ClientCommand {
    /// Register a service; prints its client_id and (confidential clients) its secret, once.
    Add(Box<ClientAddArgs>),
    /// List the registered services.
    List,
    /// Show a service's registration.
    Show {
        /// The service's client_id.
        client_id: String,
    },
    /// Remove a service (its codes and tokens stop working).
    Remove {
        /// The service's client_id.
        client_id: String,
    },
    /// Give a service a new secret (the old one stops working at once); prints it, once.
    RotateSecret {
        /// The service's client_id.
        client_id: String,
        /// Output format.
        #[arg(long, value_enum, default_value_t = Format::Text)]
        format: Format,
    },
}

/// Arguments of `oidc client add`.
#[derive(Debug, Clone, Args)]
pub struct ClientAddArgs {
    /// The service's name, shown to users ("Connexion à <name>") and on their phone.
    #[arg(long, value_name = "NAME")]
    pub name: String,
    /// Where the browser goes back with a code (exact; repeat for several).
    #[arg(long = "redirect-uri", value_name = "URI", required = true)]
    pub redirect_uris: Vec<String>,
    /// Where RP-initiated logout may send the browser back (exact; repeat for several).
    #[arg(long = "post-logout-redirect-uri", value_name = "URI")]
    pub post_logout_redirect_uris: Vec<String>,
    /// Where Tigr posts logout tokens when a session ends (Back-Channel Logout).
    #[arg(long, value_name = "URI")]
    pub backchannel_logout_uri: Option<String>,
    /// A public client (an app in a browser or on a device): no secret, PKCE required.
    #[arg(long)]
    pub public: bool,
    /// Scopes the service may ask for (default "openid profile email").
    #[arg(long, value_name = "SCOPES")]
    pub scopes: Option<String>,
    /// client_secret_basic (default), client_secret_post or private_key_jwt.
    #[arg(long, value_name = "METHOD")]
    pub auth_method: Option<String>,
    /// private_key_jwt: where the service publishes its public keys (JWKS).
    #[arg(long, value_name = "URI", conflicts_with = "jwks_file")]
    pub jwks_uri: Option<String>,
    /// private_key_jwt: a file holding the service's public keys (a JWK Set).
    #[arg(long, value_name = "FILE")]
    pub jwks_file: Option<PathBuf>,
    /// `pairwise` (default: a `sub` of its own for this service) or `public` (the Tigr ID).
    #[arg(long, value_name = "TYPE")]
    pub subject: Option<String>,
    /// Output format.
    #[arg(long, value_enum, default_value_t = Format::Text)]
    pub format: Format,
}

/// Runs one `tigr-server oidc` command; prints its result or its error.
pub async fn run_oidc(config: &Config, command: OidcCommand) -> ExitCode {
    let lang = Lang::from_env();
    let service = match super::open_service(config, lang).await {
        Ok(service) => service,
        Err(failed) => return failed,
    };
    let result = run(&service, lang, command).await;
    super::finish(service, lang, result).await
}

async fn run(service: &AdminService, lang: Lang, command: OidcCommand) -> Result<(), AdminError> {
    let actor = Actor::cli_from_env();
    match command {
        OidcCommand::RotateKey => {
            let kid = service.rotate_signing_key(&actor).await?;
            println!(
                "{}",
                text_with(lang, "cli-oidc-key-rotated", &[("kid", kid.into())])
            );
        }
        OidcCommand::Client { command } => match command {
            ClientCommand::Add(args) => {
                let args = *args;
                let jwks = match &args.jwks_file {
                    Some(path) => Some(std::fs::read_to_string(path)?),
                    None => None,
                };
                let registered = service
                    .register_client(
                        &actor,
                        &ClientRegistration {
                            name: args.name,
                            redirect_uris: args.redirect_uris,
                            post_logout_redirect_uris: args.post_logout_redirect_uris,
                            backchannel_logout_uri: args.backchannel_logout_uri,
                            public: args.public,
                            scopes: args.scopes,
                            auth_method: args.auth_method,
                            jwks,
                            jwks_uri: args.jwks_uri,
                            subject_type: args.subject,
                        },
                    )
                    .await?;
                let client = &registered.client;
                match args.format {
                    Format::Json => println!(
                        "{}",
                        json!({
                            "client_id": client.id,
                            "client_secret": registered.secret,
                            "name": client.name,
                            "token_endpoint_auth_method": client.auth_method.as_str(),
                        })
                    ),
                    Format::Text => {
                        println!(
                            "{}",
                            text_with(
                                lang,
                                "cli-oidc-client-added",
                                &[("name", client.name.as_str().into())]
                            )
                        );
                        println!("client_id: {}", client.id);
                        if let Some(secret) = &registered.secret {
                            println!("client_secret: {secret}");
                            println!("{}", text(lang, "cli-oidc-secret-once"));
                        }
                    }
                }
            }
            ClientCommand::List => {
                let clients = service.oidc_clients().await?;
                if clients.is_empty() {
                    println!("{}", text(lang, "cli-oidc-no-clients"));
                }
                for client in &clients {
                    println!(
                        "{}  {}  ({}, {})",
                        client.id,
                        client.name,
                        client.kind.as_str(),
                        client.auth_method.as_str()
                    );
                }
            }
            ClientCommand::Show { client_id } => {
                let client = service.oidc_client(&client_id).await?;
                print!("{}", details(&client, lang, service));
            }
            ClientCommand::Remove { client_id } => {
                let client = service.remove_client(&actor, &client_id).await?;
                println!(
                    "{}",
                    text_with(
                        lang,
                        "cli-oidc-client-removed",
                        &[
                            ("name", client.name.as_str().into()),
                            ("id", client.id.as_str().into())
                        ]
                    )
                );
            }
            ClientCommand::RotateSecret { client_id, format } => {
                let secret = service.rotate_client_secret(&actor, &client_id).await?;
                match format {
                    Format::Json => println!(
                        "{}",
                        json!({ "client_id": client_id.trim(), "client_secret": secret })
                    ),
                    Format::Text => {
                        println!(
                            "{}",
                            text_with(
                                lang,
                                "cli-oidc-secret-rotated",
                                &[("id", client_id.trim().into())]
                            )
                        );
                        println!("client_secret: {secret}");
                        println!("{}", text(lang, "cli-oidc-secret-once"));
                    }
                }
            }
        },
    }
    Ok(())
}

/// The registration of `client`, one labelled line per field.
fn details(client: &Client, lang: Lang, service: &AdminService) -> String {
    let zone = &service.config().time_zone;
    let time = |at: i64| tigr_core::clock::local_text(at, zone, lang.into());
    let list = |uris: &[String]| {
        if uris.is_empty() {
            "-".to_owned()
        } else {
            uris.join(" ")
        }
    };
    let lines = [
        ("cli-oidc-field-name", client.name.clone()),
        ("cli-oidc-field-id", client.id.clone()),
        ("cli-oidc-field-kind", client.kind.as_str().to_owned()),
        (
            "cli-oidc-field-auth",
            client.auth_method.as_str().to_owned(),
        ),
        (
            "cli-oidc-field-subject",
            client.subject_type.as_str().to_owned(),
        ),
        ("cli-oidc-field-scopes", client.scopes.join(" ")),
        ("cli-oidc-field-redirect", list(&client.redirect_uris)),
        (
            "cli-oidc-field-post-logout",
            list(&client.post_logout_redirect_uris),
        ),
        (
            "cli-oidc-field-backchannel",
            client
                .backchannel_logout_uri
                .clone()
                .unwrap_or_else(|| "-".to_owned()),
        ),
        (
            "cli-oidc-field-keys",
            match (&client.jwks_uri, &client.jwks) {
                (Some(uri), _) => uri.clone(),
                (None, Some(_)) => text(lang, "cli-oidc-keys-registered"),
                (None, None) => "-".to_owned(),
            },
        ),
        ("cli-oidc-field-created", time(client.created_at)),
        (
            "cli-oidc-field-secret-rotated",
            client
                .secret_rotated_at
                .map_or_else(|| "-".to_owned(), time),
        ),
    ];
    lines
        .iter()
        .map(|(key, value)| format!("{}: {value}\n", text(lang, key)))
        .collect()
}
