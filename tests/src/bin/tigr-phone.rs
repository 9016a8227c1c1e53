//! `tigr-phone`: a desktop virtual phone built on tigr-core, for demos and end-to-end tests.
//!
//! ```text
//! tigr-phone enroll  <QR text | image>              choose a PIN, register this phone
//! tigr-phone approve <QR text | image> [--account]  show the context, ask the PIN, approve
//! tigr-phone deny    <QR text | image> [--account]  "ce n'était pas moi"
//! tigr-phone offline <QR text | image> [--account]  Tigr ID + one-time password, no network
//! tigr-phone accounts | remove <origin> <account>
//! tigr-phone otp add <otpauth URI | image>             keep an OTP account of another service
//! tigr-phone otp list | code <label> | rename <label> <new label> | remove <label>
//! ```
//! An OTP account is named by its label as in the URI (`ESEA:c.leroy`), by its account name
//! alone (`c.leroy`) when no other account has it, or by the id `otp list` shows.
//! The PIN is asked on the terminal (not echoed), read from standard input when it is not a
//! terminal, or given with `--pin` / `TIGR_PHONE_PIN` for scripts.

use std::io::{BufRead as _, IsTerminal as _, Write as _};
use std::path::PathBuf;
use std::process::ExitCode;

use clap::{Parser, Subcommand};
use tigr_core::authenticator::{Authenticator, DeviceError};
use tigr_core::client::ClientError;
use tigr_core::clock::{Clock as _, SystemClock, TimeZone, local_text};
use tigr_core::otp::uri::{OtpKind, OtpUriError};
use tigr_core::otp_accounts::{CodeValidity, LabelError, OtpAccount, OtpAccountsError, select};
use tigr_core::payload::{EnrollmentQr, LoginQr, PayloadError};
use tigr_mobile::{Language, TigrError, expect_invitation, expect_login};
use tigr_tests::phone::{
    PHONE_KDF_ITERATIONS, open_otp_accounts, open_phone, read_code, read_otp_code,
};

#[derive(Parser, Debug)]
#[command(
    name = "tigr-phone",
    version,
    about = "Téléphone virtuel Tigr / Tigr virtual phone"
)]
struct Cli {
    /// Folder holding this phone's vault.
    #[arg(
        long,
        env = "TIGR_PHONE_HOME",
        default_value = "tigr-phone-data",
        global = true
    )]
    home: PathBuf,
    /// Language of messages: fr or en.
    #[arg(long, env = "TIGR_LANG", default_value = "fr", global = true)]
    lang: String,
    /// PIN for scripts (otherwise asked).
    #[arg(long, env = "TIGR_PHONE_PIN", global = true, hide_env_values = true)]
    pin: Option<String>,
    /// PBKDF2 iterations for new enrollments.
    #[arg(long, default_value_t = PHONE_KDF_ITERATIONS, global = true, hide = true)]
    kdf_iterations: u32,
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand, Debug)]
enum Command {
    /// Enroll this phone with an enrollment QR (payload text or image file).
    Enroll {
        /// QR payload text or PNG/JPEG file.
        code: String,
        /// Name of this phone shown to administrators.
        #[arg(long, default_value = "Téléphone virtuel")]
        device_name: String,
    },
    /// Approve a login QR with the PIN.
    Approve {
        /// QR payload text or PNG/JPEG file.
        code: String,
        /// Tigr ID to use when several accounts exist on the server.
        #[arg(long)]
        account: Option<String>,
    },
    /// Refuse a login QR: "ce n'était pas moi".
    Deny {
        /// QR payload text or PNG/JPEG file.
        code: String,
        /// Tigr ID to use when several accounts exist on the server.
        #[arg(long)]
        account: Option<String>,
    },
    /// Show the offline Tigr ID and one-time password for a login QR.
    Offline {
        /// QR payload text or PNG/JPEG file.
        code: String,
        /// Tigr ID to use when several accounts exist on the server.
        #[arg(long)]
        account: Option<String>,
    },
    /// List the accounts of this phone.
    Accounts,
    /// Remove an account from this phone.
    Remove {
        /// Server origin, e.g. https://auth.example.fr
        origin: String,
        /// Tigr ID.
        account: String,
    },
    /// OTP accounts of other services (this phone as an authenticator app).
    #[command(subcommand)]
    Otp(OtpCommand),
}

#[derive(Subcommand, Debug)]
enum OtpCommand {
    /// Add the accounts of an otpauth:// QR code or a Google Authenticator export.
    Add {
        /// otpauth:// or otpauth-migration:// text, or PNG/JPEG file of the QR code.
        code: String,
    },
    /// List the OTP accounts.
    List,
    /// Show the current code of an account (the next one, for HOTP).
    Code {
        /// Label (ESEA:c.leroy), account name alone when unambiguous, or id.
        label: String,
        /// Compute TOTP codes at this Unix time instead of now (scripts and tests).
        #[arg(long, hide = true)]
        at: Option<i64>,
    },
    /// Rename an account.
    Rename {
        /// Label, account name alone when unambiguous, or id.
        label: String,
        /// New label: Issuer:account, or account.
        new_label: String,
    },
    /// Remove an account from this phone.
    Remove {
        /// Label, account name alone when unambiguous, or id.
        label: String,
    },
}

/// Picks the French or English text of this program's own labels.
struct Lang(Language);

impl Lang {
    fn t<'a>(&self, fr: &'a str, en: &'a str) -> &'a str {
        match self.0 {
            Language::French => fr,
            Language::English => en,
        }
    }

    /// A time as this phone's user reads it: local time of the machine, with its offset.
    fn time(&self, unix: i64) -> String {
        local_text(unix, &TimeZone::system(), self.0)
    }
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    let lang = Lang(Language::from_tag(&cli.lang));
    match run(&cli, &lang) {
        Ok(()) => ExitCode::SUCCESS,
        Err(error) => {
            eprintln!("✘ {}", explain(&error, &lang));
            ExitCode::FAILURE
        }
    }
}

fn run(cli: &Cli, lang: &Lang) -> anyhow::Result<()> {
    // Opened by the commands that need the vault (the `otp` ones do not).
    let phone = || open_phone(&cli.home, lang.0.tag(), cli.kdf_iterations);
    match &cli.command {
        Command::Enroll { code, device_name } => {
            let qr = expect_invitation(read_code(code)?)?;
            enroll(&phone()?, &qr, device_name, cli, lang)
        }
        Command::Approve { code, account } => {
            let qr = expect_login(read_code(code)?)?;
            approve(&phone()?, &qr, account.as_deref(), cli, lang)
        }
        Command::Deny { code, account } => {
            let qr = expect_login(read_code(code)?)?;
            let phone = phone()?;
            show_context(&phone, &qr, lang)?;
            let outcome = phone.deny(&qr, account.as_deref())?;
            println!(
                "✔ {} ({})",
                lang.t(
                    "Connexion refusée : ce n'était pas moi",
                    "Login refused: this wasn't me"
                ),
                outcome.account
            );
            Ok(())
        }
        Command::Offline { code, account } => {
            let qr = expect_login(read_code(code)?)?;
            let pin = ask_pin(cli, lang.t("Code PIN : ", "PIN: "))?;
            let code = phone()?.offline_code(&qr, account.as_deref(), &pin)?;
            println!(
                "{}",
                lang.t(
                    "Mode hors ligne — saisissez sur la page web :",
                    "Offline mode — type on the web page:"
                )
            );
            println!(
                "  {} {}",
                lang.t("Identifiant Tigr :", "Tigr ID:"),
                code.tigr_id
            );
            println!(
                "  {} {}",
                lang.t("Mot de passe :   ", "Password:"),
                code.otp
            );
            println!(
                "  {} {} s",
                lang.t("Valable encore :", "Valid for:"),
                code.seconds_left
            );
            println!(
                "{}",
                lang.t(
                    "(Cliquez sur le QR code de la page pour afficher le formulaire.)",
                    "(Click the QR code on the page to show the form.)"
                )
            );
            Ok(())
        }
        Command::Accounts => {
            let accounts = phone()?.accounts()?;
            if accounts.is_empty() {
                println!(
                    "{}",
                    lang.t(
                        "Aucun compte. Demandez à votre administrateur un QR code d'enrôlement.",
                        "No account. Ask your administrator for an enrollment QR code."
                    )
                );
            }
            for a in accounts {
                println!(
                    "{}  {}  {} ({})  {} {}",
                    a.account,
                    a.display_name,
                    a.service_name,
                    a.server_host,
                    lang.t("enrôlé le", "enrolled"),
                    lang.time(a.enrolled_at)
                );
            }
            Ok(())
        }
        Command::Remove { origin, account } => {
            if phone()?.remove_account(origin, account)? {
                println!(
                    "✔ {}",
                    lang.t(
                        "Compte supprimé de ce téléphone.",
                        "Account removed from this phone."
                    )
                );
                Ok(())
            } else {
                anyhow::bail!(
                    lang.t(
                        "Ce compte n'est pas sur ce téléphone.",
                        "This account is not on this phone."
                    )
                    .to_owned()
                )
            }
        }
        Command::Otp(command) => otp(command, cli, lang),
    }
}

/// The `otp` commands: no server, no PIN; the accounts are wrapped by the phone's key.
fn otp(command: &OtpCommand, cli: &Cli, lang: &Lang) -> anyhow::Result<()> {
    let accounts = open_otp_accounts(&cli.home)?;
    match command {
        OtpCommand::Add { code } => {
            let import = read_otp_code(code)?;
            let added = accounts.add(&import.accounts)?;
            for (account, parameters) in added.iter().zip(&import.accounts) {
                println!(
                    "✔ {} {}  [{}]  {}",
                    lang.t("Compte OTP ajouté :", "OTP account added:"),
                    account.label(),
                    account.id,
                    describe(account, lang)
                );
                if let (Some(prefix), Some(issuer)) = (&parameters.label_issuer, &account.issuer) {
                    println!(
                        "  ⚠ {}",
                        match lang.0 {
                            Language::French => format!(
                                "Le nom du compte indique « {prefix} » mais l'émetteur est « {issuer} » : vérifiez que ce QR code vient bien de {issuer}."
                            ),
                            Language::English => format!(
                                "The account name says \"{prefix}\" but the issuer is \"{issuer}\": check that this QR code really comes from {issuer}."
                            ),
                        }
                    );
                }
            }
            if let Some((number, count)) = import.batch {
                println!(
                    "{}",
                    match lang.0 {
                        Language::French => format!(
                            "Export Google Authenticator : code {number} sur {count}. Scannez aussi les autres."
                        ),
                        Language::English => format!(
                            "Google Authenticator export: code {number} of {count}. Scan the others too."
                        ),
                    }
                );
            }
            Ok(())
        }
        OtpCommand::List => {
            let list = accounts.list()?;
            if list.is_empty() {
                println!(
                    "{}",
                    lang.t(
                        "Aucun compte OTP. Ajoutez-en un avec « tigr-phone otp add <QR code> ».",
                        "No OTP account. Add one with `tigr-phone otp add <QR code>`."
                    )
                );
            }
            for account in list {
                println!(
                    "{}  {}  {}",
                    account.id,
                    account.label(),
                    describe(&account, lang)
                );
            }
            Ok(())
        }
        OtpCommand::Code { label, at } => {
            let account = find(&accounts.list()?, label, lang)?;
            let code = accounts.code(&account.id, at.unwrap_or_else(|| SystemClock.now_unix()))?;
            println!("{}", account.label());
            println!("  {} {}", lang.t("Code :", "Code:"), code.code);
            match code.validity {
                CodeValidity::Time { seconds_left, .. } => println!(
                    "  {} {seconds_left} s",
                    lang.t("Valable encore :", "Valid for:")
                ),
                CodeValidity::Counter { counter } => {
                    println!("  {} {counter}", lang.t("Compteur :", "Counter:"))
                }
            }
            Ok(())
        }
        OtpCommand::Rename { label, new_label } => {
            let account = find(&accounts.list()?, label, lang)?;
            let (issuer, name) = match new_label.split_once(':') {
                Some((issuer, name)) => (Some(issuer), name),
                None => (None, new_label.as_str()),
            };
            let renamed = accounts.rename(&account.id, issuer, name)?;
            println!(
                "✔ {} {}",
                lang.t("Compte OTP renommé :", "OTP account renamed:"),
                renamed.label()
            );
            Ok(())
        }
        OtpCommand::Remove { label } => {
            let account = find(&accounts.list()?, label, lang)?;
            accounts.remove(&account.id)?;
            println!(
                "✔ {} {}",
                lang.t(
                    "Compte OTP retiré de ce téléphone :",
                    "OTP account removed from this phone:"
                ),
                account.label()
            );
            println!(
                "  {}",
                lang.t(
                    "Pensez à désactiver ces codes auprès du service.",
                    "Remember to turn these codes off at the service."
                )
            );
            Ok(())
        }
    }
}

/// `TOTP, 6 chiffres, 30 s` / `HOTP, 6 digits, counter 4`.
fn describe(account: &OtpAccount, lang: &Lang) -> String {
    let kind = match account.kind {
        OtpKind::Totp { period } => format!("TOTP {period} s"),
        OtpKind::Hotp { counter } => {
            format!("HOTP, {} {counter}", lang.t("compteur", "counter"))
        }
    };
    format!(
        "{kind}, {} {}, {}",
        account.digits,
        lang.t("chiffres", "digits"),
        account.algorithm.name()
    )
}

/// The account `label` names, or a sentence saying why there is not exactly one.
fn find(accounts: &[OtpAccount], label: &str, lang: &Lang) -> anyhow::Result<OtpAccount> {
    select(accounts, label).cloned().map_err(|e| {
        anyhow::anyhow!(match (e, lang.0) {
            (LabelError::NotFound(label), Language::French) => format!(
                "Aucun compte OTP « {label} » sur ce téléphone (voir « tigr-phone otp list »)."
            ),
            (LabelError::NotFound(label), Language::English) => format!(
                "No OTP account \"{label}\" on this phone (see `tigr-phone otp list`)."
            ),
            (LabelError::Ambiguous { label, candidates }, Language::French) => format!(
                "Plusieurs comptes OTP répondent à « {label} » : {}. Donnez le libellé complet ou l'identifiant.",
                candidates.join(", ")
            ),
            (LabelError::Ambiguous { label, candidates }, Language::English) => format!(
                "Several OTP accounts answer to \"{label}\": {}. Give the full label or the id.",
                candidates.join(", ")
            ),
        })
    })
}

fn enroll(
    phone: &Authenticator,
    qr: &EnrollmentQr,
    device_name: &str,
    cli: &Cli,
    lang: &Lang,
) -> anyhow::Result<()> {
    let offer = phone.lookup_enrollment(qr)?;
    println!(
        "{}",
        lang.t("Enrôlement de ce téléphone", "Enrolling this phone")
    );
    println!(
        "  {} {}",
        lang.t("Service :", "Service:"),
        offer.service_name
    );
    println!(
        "  {} {}",
        lang.t("Serveur :", "Server: "),
        qr.origin.display_host()
    );
    println!(
        "  {} {} ({})",
        lang.t("Compte :", "Account:"),
        offer.account,
        offer.display_name
    );
    println!(
        "  {} {}",
        lang.t("Expire :", "Expires:"),
        lang.time(offer.expires_at)
    );
    let pin = ask_pin(cli, lang.t("Choisissez un code PIN : ", "Choose a PIN: "))?;
    let confirmation = match &cli.pin {
        Some(p) => p.clone(),
        None => ask_pin(cli, lang.t("Confirmez le code PIN : ", "Confirm the PIN: "))?,
    };
    let account = phone.enroll(qr, &pin, &confirmation, device_name)?;
    println!(
        "✔ {} {} ({}).",
        lang.t("Téléphone enrôlé pour", "Phone enrolled for"),
        account.account,
        account.server_host
    );
    Ok(())
}

fn show_context(phone: &Authenticator, qr: &LoginQr, lang: &Lang) -> anyhow::Result<()> {
    let context = phone.login_context(qr)?;
    println!("{}", lang.t("Connexion demandée", "Login requested"));
    println!(
        "  {} {}",
        lang.t("Service :   ", "Service:"),
        context.service_name
    );
    println!(
        "  {} {}",
        lang.t("Serveur :   ", "Server: "),
        qr.origin.display_host()
    );
    println!(
        "  {} {}",
        lang.t("Heure :     ", "Time:   "),
        lang.time(context.created_at)
    );
    println!(
        "  {} {} ({})",
        lang.t("Navigateur :", "Browser:"),
        context.browser_summary,
        context.browser_ip
    );
    if context.server_host != qr.origin.display_host() {
        println!(
            "  ⚠ {} {}",
            lang.t("Le serveur se présente comme", "The server calls itself"),
            context.server_host
        );
    }
    Ok(())
}

fn approve(
    phone: &Authenticator,
    qr: &LoginQr,
    account: Option<&str>,
    cli: &Cli,
    lang: &Lang,
) -> anyhow::Result<()> {
    show_context(phone, qr, lang)?;
    let pin = ask_pin(cli, lang.t("Code PIN : ", "PIN: "))?;
    let outcome = phone.approve(qr, account, &pin)?;
    println!(
        "✔ {} {}.",
        lang.t("Connexion approuvée pour", "Login approved for"),
        outcome.account
    );
    Ok(())
}

fn ask_pin(cli: &Cli, prompt: &str) -> anyhow::Result<String> {
    if let Some(pin) = &cli.pin {
        return Ok(pin.clone());
    }
    if std::io::stdin().is_terminal() {
        return Ok(rpassword::prompt_password(prompt)?);
    }
    eprint!("{prompt}");
    std::io::stderr().flush()?;
    let mut line = String::new();
    std::io::stdin().lock().read_line(&mut line)?;
    Ok(line.trim().to_owned())
}

/// A message for the person holding the phone, in their language: the server's own words for
/// its refusals (with the attempts left), the SDK's sentences (as the apps show them) for
/// everything else, with a hint for this command line where it has one.
fn explain(error: &anyhow::Error, lang: &Lang) -> String {
    let sdk_error = if let Some(device) = error.downcast_ref::<DeviceError>() {
        if let DeviceError::Client(ClientError::Server {
            message,
            attempts_left,
            ..
        }) = device
        {
            return match attempts_left {
                Some(n) if *n > 0 => format!(
                    "{message} ({} {n})",
                    lang.t("tentatives restantes :", "attempts left:")
                ),
                _ => message.clone(),
            };
        }
        TigrError::from(device.clone())
    } else if let Some(payload) = error.downcast_ref::<PayloadError>() {
        TigrError::from(payload.clone())
    } else if let Some(otp) = error.downcast_ref::<OtpAccountsError>() {
        TigrError::from(otp.clone())
    } else if let Some(otp) = error.downcast_ref::<OtpUriError>() {
        TigrError::from(otp.clone())
    } else if let Some(sdk_error) = error.downcast_ref::<TigrError>() {
        sdk_error.clone()
    } else {
        return format!("{error:#}");
    };
    let text = sdk_error.message(lang.0, SystemClock.now_unix());
    match sdk_error {
        TigrError::Network { .. } => format!(
            "{text} {}",
            lang.t(
                "Sans réseau, utilisez « tigr-phone offline ».",
                "Without network, use `tigr-phone offline`."
            )
        ),
        TigrError::AccountChoiceNeeded { tigr_ids } => {
            format!("{text} --account {}", tigr_ids.join(" | "))
        }
        _ => text,
    }
}
