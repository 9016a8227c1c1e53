//! The operators' command line: `tigr-server admin ...` (and `tigr-server enroll`, its
//! alias for `admin enroll`), `tigr-server oidc ...` (OpenID Connect clients and keys),
//! `tigr-server backup` and `tigr-server migrate` (the database file). Arguments are parsed
//! here, every rule and every audit row is [`crate::admin::AdminService`]'s; output is
//! French, or English when `LC_ALL`, `LC_MESSAGES` or `LANG` starts with `en`. A failure
//! prints a message on stderr, changes nothing and exits with status 1.

mod enroll;
mod maintenance;
mod oidc;
mod output;

pub use maintenance::{run_backup, run_migrate};
pub use oidc::{ClientAddArgs, ClientCommand, Format, OidcCommand, run_oidc};

use std::io::Write as _;
use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::time::Duration;

use clap::{Args, Subcommand};

use tigr_core::clock::TimeZone;

use crate::admin::time::{parse_duration, parse_time};
use crate::admin::{
    AccountChanges, AccountFilter, Actor, AdminError, AdminService, AuditFilter, CardKey,
    NewAccount, PageRequest, Role, StatusFilter,
};
use crate::config::Config;
use crate::i18n::Lang;

/// How often `audit tail --follow` looks for new rows.
const FOLLOW_INTERVAL: Duration = Duration::from_secs(1);

/// Arguments of `enroll` (and `admin enroll`).
#[derive(Debug, Clone, Args)]
pub struct EnrollArgs {
    /// The account's Tigr ID (lower-case letters, digits, '.', '_', '-'); created if missing.
    pub account: String,
    /// Human name of the account holder (sets it when given).
    #[arg(long, value_name = "NAME")]
    pub display_name: Option<String>,
    /// Lifetime of the code: seconds, or 15m, 2h, 7d (default: TIGR_ENROLLMENT_TTL).
    #[arg(long, value_name = "DURATION")]
    pub ttl: Option<String>,
    /// Where to write the QR code image (default: enroll-ACCOUNT.png).
    #[arg(long, value_name = "PATH")]
    pub png: Option<PathBuf>,
}

/// Filters of `admin audit`.
#[derive(Debug, Clone, Default, Args)]
pub struct AuditFilterArgs {
    /// Only rows about this account.
    #[arg(long, value_name = "TIGR-ID")]
    pub account: Option<String>,
    /// Only this event (enrolled, device_revoked, account_blocked, ...).
    #[arg(long, value_name = "EVENT")]
    pub event: Option<String>,
    /// Only this actor (cli:root, web:dr.martin, phone) or kind of actor (cli, web).
    #[arg(long, value_name = "ACTOR")]
    pub actor: Option<String>,
    /// From this time (in the server's time zone, or UTC with a final Z): 2025-03-01,
    /// 2025-03-01T08:30, 2025-03-01T07:30Z, @1740000000, or 24h / 7d ago.
    #[arg(long, value_name = "TIME")]
    pub since: Option<String>,
    /// Until this time (exclusive), same forms as --since.
    #[arg(long, value_name = "TIME")]
    pub until: Option<String>,
}

/// `admin audit`: read or export the audit trail.
#[derive(Debug, Clone, Args)]
#[command(args_conflicts_with_subcommands = true)]
pub struct AuditArgs {
    /// `tail`: the latest rows, and new ones as they come with --follow.
    #[command(subcommand)]
    pub tail: Option<AuditTail>,
    /// Filters.
    #[command(flatten)]
    pub filter: AuditFilterArgs,
    /// Rows per page (newest first).
    #[arg(long, default_value_t = 50, value_name = "N")]
    pub limit: u32,
    /// Page number (from 1).
    #[arg(long, default_value_t = 1, value_name = "N")]
    pub page: u32,
    /// Export every matching row (not just a page) as CSV to FILE ("-" for stdout).
    #[arg(long, value_name = "FILE")]
    pub csv: Option<PathBuf>,
}

/// `admin audit tail`.
#[derive(Debug, Clone, Subcommand)]
pub enum AuditTail {
    /// Show the latest rows (oldest first), then with --follow the new ones until Ctrl-C.
    Tail {
        /// Filters.
        #[command(flatten)]
        filter: AuditFilterArgs,
        /// How many of the latest rows to show first.
        #[arg(short = 'n', long, default_value_t = 20, value_name = "N")]
        lines: u32,
        /// Keep printing new rows as they are written.
        #[arg(short, long)]
        follow: bool,
    },
}

/// Which card: exactly one of the three.
#[derive(Debug, Clone, Args)]
#[group(required = true, multiple = false)]
pub struct CardKeyArgs {
    /// The national identifier its certificate carries (810001234567: 8 + RPPS number).
    #[arg(long, value_name = "ID")]
    pub national_id: Option<String>,
    /// The SHA-256 fingerprint of its certificate (64 hex digits, ':' allowed).
    #[arg(long, value_name = "HEX")]
    pub fingerprint: Option<String>,
    /// Its certificate (PEM or DER file): binds the certificate's fingerprint.
    #[arg(long, value_name = "FILE")]
    pub certificate: Option<PathBuf>,
}

impl CardKeyArgs {
    fn key(&self) -> Result<CardKey, AdminError> {
        if let Some(id) = &self.national_id {
            return Ok(CardKey::NationalId(id.clone()));
        }
        if let Some(hex) = &self.fingerprint {
            return Ok(CardKey::Fingerprint(hex.clone()));
        }
        let path = self.certificate.clone().unwrap_or_default();
        let certificates = crate::card_trust::read_certificates(std::slice::from_ref(&path))
            .map_err(|e| AdminError::Io(std::io::Error::other(e.to_string())))?;
        let first = certificates
            .first()
            .ok_or_else(|| AdminError::Io(std::io::Error::other("no certificate")))?;
        Ok(CardKey::Fingerprint(crate::domain::card::fingerprint(
            first,
        )))
    }
}

/// `tigr-server admin card ...`.
#[derive(Debug, Clone, Subcommand)]
pub enum CardCommand {
    /// Bind a card to an account: its card certificate then logs the account in.
    Bind {
        /// Tigr ID.
        account: String,
        /// The card.
        #[command(flatten)]
        card: CardKeyArgs,
    },
    /// Remove a card's binding to an account.
    Unbind {
        /// Tigr ID.
        account: String,
        /// The card.
        #[command(flatten)]
        card: CardKeyArgs,
    },
    /// List the cards bound to an account.
    List {
        /// Tigr ID.
        account: String,
    },
}

/// `tigr-server admin token ...`.
#[derive(Debug, Clone, Subcommand)]
pub enum TokenCommand {
    /// Import hardware tokens from a PSKC (RFC 6030, plaintext secrets) or CSV file (header
    /// serial,secret,type,digits,period_or_counter[,algorithm]; secret in base32). A file
    /// with any problem is refused whole, every problem with its line.
    Import {
        /// The file ("-" for standard input).
        file: PathBuf,
    },
    /// Give an imported hardware token to an account (one token per account).
    Assign {
        /// Tigr ID.
        account: String,
        /// The token's serial number.
        serial: String,
    },
    /// Take a hardware token back from its account (it may be given to another).
    Unassign {
        /// The token's serial number.
        serial: String,
    },
    /// Revoke a token for good (lost, broken, app no longer trusted).
    Revoke {
        /// The token's serial number.
        serial: String,
    },
    /// Resynchronise a token from two consecutive codes read off it (HOTP: its counter;
    /// TOTP: its clock drift).
    Resync {
        /// The token's serial number.
        serial: String,
        /// A code the token shows.
        first: String,
        /// The code it shows next.
        second: String,
    },
    /// List an account's tokens, or the hardware tokens waiting for an account.
    List {
        /// Tigr ID (none: the unassigned hardware tokens).
        account: Option<String>,
    },
    /// Issue a token invitation: a single-use link with which the account's owner enrolls an
    /// authenticator app or browser extension.
    Invite {
        /// Tigr ID.
        account: String,
    },
}

/// `tigr-server admin ...`.
#[derive(Debug, Clone, Subcommand)]
pub enum AdminCommand {
    /// Create an account.
    Create {
        /// Tigr ID (lower-case letters, digits, '.', '_', '-').
        account: String,
        /// Human name.
        #[arg(long, value_name = "NAME")]
        name: String,
        /// E-mail address.
        #[arg(long, value_name = "EMAIL")]
        email: Option<String>,
        /// Role: user or admin.
        #[arg(long, default_value = "user", value_name = "ROLE")]
        role: String,
    },
    /// Change an account's name, e-mail (--email "" removes it) or role.
    Edit {
        /// Tigr ID.
        account: String,
        /// New name.
        #[arg(long, value_name = "NAME")]
        name: Option<String>,
        /// New e-mail address ("" to remove it).
        #[arg(long, value_name = "EMAIL")]
        email: Option<String>,
        /// New role: user or admin.
        #[arg(long, value_name = "ROLE")]
        role: Option<String>,
    },
    /// Disable an account: no login, no enrollment (its phone stays enrolled).
    Disable {
        /// Tigr ID.
        account: String,
        /// Why (recorded in the audit trail).
        #[arg(long, value_name = "TEXT")]
        reason: Option<String>,
    },
    /// Enable a disabled account again.
    Enable {
        /// Tigr ID.
        account: String,
    },
    /// List accounts (50 per page), optionally searched and filtered.
    List {
        /// Part of the Tigr ID, name or e-mail.
        #[arg(long, value_name = "TEXT")]
        search: Option<String>,
        /// Only accounts blocked now (same as --status blocked).
        #[arg(long)]
        blocked: bool,
        /// Only: enabled, disabled, blocked or no-phone.
        #[arg(long, value_name = "STATUS")]
        status: Option<String>,
        /// Only this role: user or admin.
        #[arg(long, value_name = "ROLE")]
        role: Option<String>,
        /// Page number (from 1).
        #[arg(long, default_value_t = 1, value_name = "N")]
        page: u32,
        /// Accounts per page.
        #[arg(long, default_value_t = 50, value_name = "N")]
        per_page: u32,
    },
    /// Show an account: details, phone, block state, invitations.
    Show {
        /// Tigr ID.
        account: String,
    },
    /// Create a single-use enrollment QR code for an account (created if missing).
    Enroll(EnrollArgs),
    /// Revoke an account's phone now (lost or stolen).
    Revoke {
        /// Tigr ID.
        account: String,
        /// Why (recorded in the audit trail).
        #[arg(long, value_name = "TEXT")]
        reason: Option<String>,
    },
    /// Issue a password invitation: a single-use link with which the account's owner
    /// chooses a password (first password or reset; administrators never choose one).
    Password {
        /// Tigr ID.
        account: String,
    },
    /// Lift an account's block and reset its failure counter.
    Unblock {
        /// Tigr ID.
        account: String,
    },
    /// List pending enrollment invitations (of one account, or all).
    Invitations {
        /// Tigr ID.
        account: Option<String>,
    },
    /// Show one invitation: pending, completed (phone enrolled), expired or cancelled.
    Invitation {
        /// Invitation identifier (from `invitations`).
        id: String,
    },
    /// Cancel a pending invitation, or all of an account's with --account.
    CancelInvitation {
        /// Invitation identifier (from `invitations`).
        #[arg(required_unless_present = "account", conflicts_with = "account")]
        id: Option<String>,
        /// Cancel every pending invitation of this account.
        #[arg(long, value_name = "TIGR-ID")]
        account: Option<String>,
    },
    /// Read the audit trail (newest first), export it as CSV, or follow it (`audit tail`).
    Audit(AuditArgs),
    /// Bind CPS cards to an account, remove bindings, list them (docs/cps.md).
    #[command(subcommand)]
    Card(CardCommand),
    /// TOTP/HOTP tokens: import hardware tokens, assign, unassign, revoke, resync, list,
    /// invite an account's owner to enroll an authenticator app.
    #[command(subcommand)]
    Token(TokenCommand),
    /// Set up the first administrator: create the admin account and a 15-minute setup QR.
    Bootstrap {
        /// Tigr ID of the administrator.
        account: String,
        /// Human name.
        #[arg(long, value_name = "NAME")]
        display_name: Option<String>,
        /// Even if an administrator with an enrolled phone exists (emergency access).
        #[arg(long)]
        force: bool,
        /// Where to write the QR code image (default: enroll-ACCOUNT.png).
        #[arg(long, value_name = "PATH")]
        png: Option<PathBuf>,
    },
}

/// Runs `tigr-server enroll` (same as `tigr-server admin enroll`).
pub async fn run_enroll(config: &Config, args: EnrollArgs) -> ExitCode {
    run_admin(config, AdminCommand::Enroll(args)).await
}

/// Runs one `tigr-server admin` command; prints its result or its error.
pub async fn run_admin(config: &Config, command: AdminCommand) -> ExitCode {
    let lang = Lang::from_env();
    let service = match open_service(config, lang).await {
        Ok(service) => service,
        Err(failed) => return failed,
    };
    let result = run(&service, lang, command).await;
    finish(service, lang, result).await
}

/// The administration service for one command, or the exit status once the reason it could
/// not open is printed.
pub(crate) async fn open_service(config: &Config, lang: Lang) -> Result<AdminService, ExitCode> {
    AdminService::open(config).await.map_err(|error| {
        eprintln!(
            "tigr-server: {} ({})",
            error.message(lang),
            config.database_shown()
        );
        ExitCode::FAILURE
    })
}

/// Closes the service after a command and prints the command's error, if any.
pub(crate) async fn finish(
    service: AdminService,
    lang: Lang,
    result: Result<(), AdminError>,
) -> ExitCode {
    service.close().await;
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(error) => {
            eprintln!("tigr-server: {}", error.message(lang));
            ExitCode::FAILURE
        }
    }
}

async fn run(service: &AdminService, lang: Lang, command: AdminCommand) -> Result<(), AdminError> {
    let actor = Actor::cli_from_env();
    let now = service.now();
    let zone = &service.config().time_zone;
    match command {
        AdminCommand::Create {
            account,
            name,
            email,
            role,
        } => {
            let role = Role::parse(&role)?;
            let account = service
                .create_account(
                    &actor,
                    NewAccount {
                        id: account,
                        display_name: name,
                        email,
                        role,
                    },
                )
                .await?;
            println!("{}", output::created(&account, lang));
        }
        AdminCommand::Edit {
            account,
            name,
            email,
            role,
        } => {
            let role = role.as_deref().map(Role::parse).transpose()?;
            let account = service
                .edit_account(
                    &actor,
                    &account,
                    AccountChanges {
                        display_name: name,
                        email,
                        role,
                    },
                )
                .await?;
            println!("{}", output::edited(&account, lang));
        }
        AdminCommand::Disable { account, reason } => {
            let account = service
                .disable_account(&actor, &account, reason.as_deref())
                .await?;
            println!("{}", output::disabled(&account.id, lang));
        }
        AdminCommand::Enable { account } => {
            let account = service.enable_account(&actor, &account).await?;
            println!("{}", output::enabled(&account.id, lang));
        }
        AdminCommand::List {
            search,
            blocked,
            status,
            role,
            page,
            per_page,
        } => {
            let status = match (blocked, status.as_deref()) {
                (true, None) => StatusFilter::Blocked,
                (true, Some(s)) if StatusFilter::parse(s)? == StatusFilter::Blocked => {
                    StatusFilter::Blocked
                }
                (true, Some(_)) => return Err(AdminError::InvalidFilter("status")),
                (false, Some(s)) => StatusFilter::parse(s)?,
                (false, None) => StatusFilter::Any,
            };
            let role = role.as_deref().map(Role::parse).transpose()?;
            let page = service
                .list_accounts(
                    &AccountFilter {
                        text: search,
                        status,
                        role,
                    },
                    PageRequest::new(page, per_page),
                )
                .await?;
            println!("{}", output::account_list(&page, lang, zone));
        }
        AdminCommand::Show { account } => {
            let details = service.account_details(&account).await?;
            println!("{}", output::account_details(&details, lang, zone));
        }
        AdminCommand::Enroll(args) => {
            let ttl = parse_ttl(args.ttl.as_deref())?;
            check_png_folder(args.png.as_deref())?;
            let created = service
                .enroll(&actor, &args.account, args.display_name.as_deref(), ttl)
                .await?;
            enroll::print(&created, args.png, lang, zone, now, false)?;
        }
        AdminCommand::Revoke { account, reason } => {
            let phone = service
                .revoke_phone(&actor, &account, reason.as_deref())
                .await?;
            println!("{}", output::revoked(&phone, lang));
        }
        AdminCommand::Password { account } => {
            let invitation = service.invite_password(&actor, &account).await?;
            println!("{}", output::password_invitation(&invitation, lang, zone));
        }
        AdminCommand::Unblock { account } => {
            let account = service.unblock(&actor, &account).await?;
            println!("{}", output::unblocked(&account.id, lang));
        }
        AdminCommand::Card(CardCommand::Bind { account, card }) => {
            let binding = service.bind_card(&actor, &account, &card.key()?).await?;
            println!("{}", output::card_bound(&binding, lang));
        }
        AdminCommand::Card(CardCommand::Unbind { account, card }) => {
            let key = card.key()?;
            service.unbind_card(&actor, &account, &key).await?;
            println!("{}", output::card_unbound(&account, lang));
        }
        AdminCommand::Card(CardCommand::List { account }) => {
            let bindings = service.card_bindings(&account).await?;
            println!("{}", output::card_list(&account, &bindings, lang, zone));
        }
        AdminCommand::Invitations { account } => {
            let invitations = service.pending_invitations(account.as_deref()).await?;
            println!("{}", output::invitation_list(&invitations, lang, zone));
        }
        AdminCommand::Invitation { id } => {
            let invitation = service.invitation(&id).await?;
            println!("{}", output::invitation(&invitation, lang, zone));
        }
        AdminCommand::CancelInvitation { id, account } => match (id, account) {
            (Some(id), _) => {
                let invitation = service.cancel_invitation(&actor, &id).await?;
                println!("{}", output::invitation_cancelled(&invitation, lang));
            }
            (None, Some(account)) => {
                let ids = service.cancel_invitations(&actor, &account).await?;
                println!("{}", output::invitations_cancelled(&account, &ids, lang));
            }
            (None, None) => return Err(AdminError::UnknownInvitation(String::new())),
        },
        AdminCommand::Audit(args) => audit(service, &actor, lang, args).await?,
        AdminCommand::Token(command) => token(service, &actor, lang, command).await?,
        AdminCommand::Bootstrap {
            account,
            display_name,
            force,
            png,
        } => {
            check_png_folder(png.as_deref())?;
            let created = service
                .bootstrap(&actor, &account, display_name.as_deref(), force)
                .await?;
            enroll::print(&created, png, lang, zone, now, true)?;
        }
    }
    Ok(())
}

async fn token(
    service: &AdminService,
    actor: &Actor,
    lang: Lang,
    command: TokenCommand,
) -> Result<(), AdminError> {
    let zone = &service.config().time_zone;
    match command {
        TokenCommand::Import { file } => {
            let text = if file == Path::new("-") {
                std::io::read_to_string(std::io::stdin())?
            } else {
                std::fs::read_to_string(&file)?
            };
            let serials = service.import_tokens(actor, &text).await?;
            println!("{}", output::tokens_imported(&serials, lang));
        }
        TokenCommand::Assign { account, serial } => {
            let token = service.assign_token(actor, &account, &serial).await?;
            println!("{}", output::token_assigned(&token, &account, lang));
        }
        TokenCommand::Unassign { serial } => {
            let account = service.unassign_token(actor, &serial).await?;
            println!(
                "{}",
                output::token_done(lang, "cli-token-unassigned", &serial, &account)
            );
        }
        TokenCommand::Revoke { serial } => {
            let token = service.revoke_token(actor, &serial).await?;
            let account = token.account_id.unwrap_or_default();
            println!(
                "{}",
                output::token_done(lang, "cli-token-revoked", &serial, &account)
            );
        }
        TokenCommand::Resync {
            serial,
            first,
            second,
        } => {
            let token = service
                .resync_token(actor, &serial, &first, &second)
                .await?;
            println!("{}", output::token_resynced(&token, lang));
        }
        TokenCommand::List { account } => {
            let tokens = match &account {
                Some(account) => service.tokens(account).await?,
                None => service.unassigned_tokens().await?,
            };
            println!(
                "{}",
                output::token_list(account.as_deref(), &tokens, lang, zone)
            );
        }
        TokenCommand::Invite { account } => {
            let invitation = service.invite_token(actor, &account).await?;
            println!("{}", output::token_invitation(&invitation, lang, zone));
        }
    }
    Ok(())
}

async fn audit(
    service: &AdminService,
    actor: &Actor,
    lang: Lang,
    args: AuditArgs,
) -> Result<(), AdminError> {
    let now = service.now();
    let zone = &service.config().time_zone;
    if let Some(AuditTail::Tail {
        filter,
        lines,
        follow,
    }) = args.tail
    {
        let filter = audit_filter(&filter, now, zone)?;
        let rows = service.audit_latest(&filter, lines).await?;
        let mut last = rows.last().map_or(0, |r| r.id);
        if rows.is_empty() && !follow {
            println!("{}", output::audit_empty(lang));
        }
        print_rows(&rows);
        if !follow {
            return Ok(());
        }
        if last == 0 {
            // Nothing matched yet: start after the newest row of the whole trail.
            last = service
                .audit_latest(&AuditFilter::default(), 1)
                .await?
                .last()
                .map_or(0, |r| r.id);
        }
        let stop = tokio::signal::ctrl_c();
        tokio::pin!(stop);
        loop {
            tokio::select! {
                _ = &mut stop => return Ok(()),
                () = tokio::time::sleep(FOLLOW_INTERVAL) => {}
            }
            loop {
                let rows = service.audit_after(&filter, last, 500).await?;
                print_rows(&rows);
                match rows.last() {
                    Some(row) => last = row.id,
                    None => break,
                }
            }
        }
    }
    let filter = audit_filter(&args.filter, now, zone)?;
    match args.csv {
        Some(path) if path == Path::new("-") => {
            let mut stdout = std::io::stdout().lock();
            service
                .export_audit_csv(actor, &filter, &mut stdout)
                .await?;
        }
        Some(path) => {
            let count = export_to_file(service, actor, &filter, &path).await?;
            println!("{}", output::exported(count, &path, lang));
        }
        None => {
            let page = service
                .audit(&filter, PageRequest::new(args.page, args.limit))
                .await?;
            println!("{}", output::audit_page(&page, lang));
        }
    }
    Ok(())
}

fn print_rows(rows: &[crate::admin::AuditRecord]) {
    let mut stdout = std::io::stdout().lock();
    for row in rows {
        let _ = writeln!(stdout, "{}", output::audit_line(row));
    }
    let _ = stdout.flush();
}

/// Writes the CSV next to `path` and renames it into place once complete (an interrupted
/// export leaves no partial file); readable by its owner only, as the trail holds addresses.
async fn export_to_file(
    service: &AdminService,
    actor: &Actor,
    filter: &AuditFilter,
    path: &Path,
) -> Result<u64, AdminError> {
    let file_name = path
        .file_name()
        .ok_or_else(|| AdminError::Io(std::io::Error::other("not a file name")))?;
    let mut partial_name = std::ffi::OsString::from(".");
    partial_name.push(file_name);
    partial_name.push(".partial");
    let partial = path.with_file_name(partial_name);
    let mut options = std::fs::OpenOptions::new();
    options.write(true).create(true).truncate(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt as _;
        options.mode(0o600);
    }
    let file = options.open(&partial)?;
    let mut writer = std::io::BufWriter::new(file);
    let result = service.export_audit_csv(actor, filter, &mut writer).await;
    let finished = result.and_then(|count| {
        writer
            .into_inner()
            .map_err(|e| AdminError::Io(e.into_error()))?
            .sync_all()?;
        std::fs::rename(&partial, path)?;
        Ok(count)
    });
    if finished.is_err() {
        let _ = std::fs::remove_file(&partial);
    }
    finished
}

fn audit_filter(
    args: &AuditFilterArgs,
    now: i64,
    zone: &TimeZone,
) -> Result<AuditFilter, AdminError> {
    let time = |text: Option<&str>, what| {
        text.map(|t| parse_time(t, now, zone).ok_or(AdminError::InvalidFilter(what)))
            .transpose()
    };
    Ok(AuditFilter {
        account: args.account.clone(),
        event: args.event.clone(),
        actor: args.actor.clone(),
        since: time(args.since.as_deref(), "since")?,
        until: time(args.until.as_deref(), "until")?,
    })
}

/// Refuses a PNG path whose folder does not exist, before anything is created.
fn check_png_folder(png: Option<&Path>) -> Result<(), AdminError> {
    let Some(folder) = png.map(|p| p.parent().unwrap_or(Path::new(""))) else {
        return Ok(());
    };
    if folder.as_os_str().is_empty() || folder.is_dir() {
        Ok(())
    } else {
        Err(AdminError::Io(std::io::Error::new(
            std::io::ErrorKind::NotFound,
            format!("{}: no such folder", folder.display()),
        )))
    }
}

fn parse_ttl(text: Option<&str>) -> Result<Option<i64>, AdminError> {
    text.map(|t| {
        parse_duration(t).ok_or(AdminError::InvalidTtl {
            min: crate::admin::rules::MIN_INVITATION_TTL,
            max: crate::admin::rules::MAX_INVITATION_TTL,
        })
    })
    .transpose()
}
