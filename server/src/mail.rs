//! Outgoing e-mail over SMTP (the `lettre` crate): the e-mail one-time passwords.
//!
//! The connection is STARTTLS (default, port 587) or implicit TLS (port 465), checked
//! against the Web PKI roots, with authentication when a user name is configured.
//! Plain SMTP is refused by the configuration except to a loopback relay (a local MTA that
//! relays onwards itself). A failed send is an error that the caller reports: no code is
//! recorded as sent unless the relay accepted the message.

use std::time::Duration;

use lettre::message::Mailbox;
use lettre::message::header::ContentType;
use lettre::transport::smtp::authentication::Credentials;
use lettre::{AsyncSmtpTransport, AsyncTransport as _, Message, Tokio1Executor};
use zeroize::Zeroizing;

/// How long a send may take (connection, TLS, authentication, data).
const SEND_TIMEOUT: Duration = Duration::from_secs(20);

/// How the server talks to its SMTP relay.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SmtpSecurity {
    /// Plain SMTP, upgraded with STARTTLS (required).
    StartTls,
    /// TLS from the first byte ("SMTPS").
    Tls,
    /// No TLS: loopback relays only.
    None,
}

impl SmtpSecurity {
    /// `starttls`, `tls` or `none`.
    pub fn parse(text: &str) -> Option<Self> {
        match text.trim().to_ascii_lowercase().as_str() {
            "starttls" => Some(Self::StartTls),
            "tls" => Some(Self::Tls),
            "none" => Some(Self::None),
            _ => None,
        }
    }

    /// The usual port.
    pub fn default_port(self) -> u16 {
        match self {
            Self::StartTls => 587,
            Self::Tls => 465,
            Self::None => 25,
        }
    }
}

/// The SMTP relay's settings.
#[derive(Clone)]
pub struct SmtpSettings {
    /// Host name (checked against the certificate) or address.
    pub host: String,
    /// Port.
    pub port: u16,
    /// TLS mode.
    pub security: SmtpSecurity,
    /// User name for authentication, if the relay needs it.
    pub username: Option<String>,
    /// Its password.
    pub password: Option<Zeroizing<String>>,
    /// The sender (`Tigr <no-reply@example.fr>`).
    pub from: String,
}

impl std::fmt::Debug for SmtpSettings {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SmtpSettings")
            .field("host", &self.host)
            .field("port", &self.port)
            .field("security", &self.security)
            .field("username", &self.username)
            .field("password", &self.password.as_ref().map(|_| "(redacted)"))
            .field("from", &self.from)
            .finish()
    }
}

/// Why a message was not sent (for the log: never holds the message).
#[derive(Debug, thiserror::Error)]
pub enum MailError {
    /// The settings cannot make a transport (bad sender address, bad host).
    #[error("SMTP settings: {0}")]
    Settings(String),
    /// The recipient's address is not a valid mailbox.
    #[error("invalid recipient address")]
    Recipient,
    /// The relay could not be reached or refused the message.
    #[error("SMTP relay {relay}: {reason}")]
    Relay {
        /// `host:port`.
        relay: String,
        /// lettre's description (connection refused, TLS, authentication, 5xx reply…).
        reason: String,
    },
}

/// Sends mail through the configured relay.
pub struct Mailer {
    transport: AsyncSmtpTransport<Tokio1Executor>,
    from: Mailbox,
    relay: String,
}

impl std::fmt::Debug for Mailer {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Mailer")
            .field("relay", &self.relay)
            .finish_non_exhaustive()
    }
}

impl Mailer {
    /// A mailer for `settings` (no connection is made until the first send).
    pub fn new(settings: &SmtpSettings) -> Result<Self, MailError> {
        let from: Mailbox = settings
            .from
            .parse()
            .map_err(|_| MailError::Settings("the sender is not a valid address".into()))?;
        let builder = match settings.security {
            SmtpSecurity::StartTls => {
                AsyncSmtpTransport::<Tokio1Executor>::starttls_relay(&settings.host)
            }
            SmtpSecurity::Tls => AsyncSmtpTransport::<Tokio1Executor>::relay(&settings.host),
            SmtpSecurity::None => Ok(AsyncSmtpTransport::<Tokio1Executor>::builder_dangerous(
                &settings.host,
            )),
        }
        .map_err(|e| MailError::Settings(e.to_string()))?;
        let mut builder = builder.port(settings.port).timeout(Some(SEND_TIMEOUT));
        if let Some(user) = &settings.username {
            let password = settings.password.as_deref().cloned().unwrap_or_default();
            builder = builder.credentials(Credentials::new(user.clone(), password));
        }
        Ok(Self {
            transport: builder.build(),
            from,
            relay: format!("{}:{}", settings.host, settings.port),
        })
    }

    /// Sends a plain-text message to `to`; `Ok` once the relay accepted it.
    pub async fn send(&self, to: &str, subject: &str, body: String) -> Result<(), MailError> {
        let to: Mailbox = to.parse().map_err(|_| MailError::Recipient)?;
        let message = Message::builder()
            .from(self.from.clone())
            .to(to)
            .subject(subject)
            .header(ContentType::TEXT_PLAIN)
            .body(body)
            .map_err(|e| MailError::Settings(e.to_string()))?;
        self.transport
            .send(message)
            .await
            .map(|_| ())
            .map_err(|e| MailError::Relay {
                relay: self.relay.clone(),
                reason: e.to_string(),
            })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn security_modes_and_redacted_password() {
        assert_eq!(
            SmtpSecurity::parse(" STARTTLS "),
            Some(SmtpSecurity::StartTls)
        );
        assert_eq!(
            SmtpSecurity::parse("tls").map(SmtpSecurity::default_port),
            Some(465)
        );
        assert_eq!(SmtpSecurity::parse("ssl"), None);
        let settings = SmtpSettings {
            host: "smtp.example.fr".into(),
            port: 587,
            security: SmtpSecurity::StartTls,
            username: Some("tigr".into()),
            password: Some(Zeroizing::new("s3cret-relay-password".into())),
            from: "Tigr <no-reply@example.fr>".into(),
        };
        assert!(!format!("{settings:?}").contains("s3cret"));
        assert!(Mailer::new(&settings).is_ok());
        let bad = SmtpSettings {
            from: "not an address".into(),
            ..settings
        };
        assert!(matches!(Mailer::new(&bad), Err(MailError::Settings(_))));
    }
}
