//! `tigr-server backup FILE` and `tigr-server migrate`: the database file for operators
//! (docs/deployment.md). Both run beside a running server; see
//! [`crate::admin::maintenance`].

use std::path::Path;
use std::process::ExitCode;

use crate::admin::maintenance::{self, MaintenanceError};
use crate::config::{Config, MasterKeySource};
use crate::i18n::Lang;
use crate::text::{text, text_with};

/// Runs `tigr-server backup FILE`: the copy, its check, and where the master key is (never
/// in the copy, to be backed up apart from it).
pub async fn run_backup(config: &Config, file: &Path) -> ExitCode {
    let lang = Lang::from_env();
    let dest = absolute(file);
    match maintenance::backup(config, &dest).await {
        Ok(report) => {
            println!(
                "{}",
                text_with(
                    lang,
                    "cli-backup-done",
                    &[
                        ("path", report.path.display().to_string().into()),
                        ("kib", report.bytes.div_ceil(1024).into()),
                        ("version", report.schema_version.into()),
                        ("accounts", report.accounts.into()),
                        ("ms", (report.elapsed.as_millis() as u64).into()),
                    ]
                )
            );
            println!("{}", master_key_note(config, lang));
            ExitCode::SUCCESS
        }
        Err(error) => fail(&error, lang),
    }
}

/// Runs `tigr-server migrate`: the schema version before and after.
pub async fn run_migrate(config: &Config) -> ExitCode {
    let lang = Lang::from_env();
    match maintenance::migrate(config).await {
        Ok(report) if report.before == Some(report.after) => {
            println!(
                "{}",
                text_with(
                    lang,
                    "cli-migrate-up-to-date",
                    &[("version", report.after.into())]
                )
            );
            ExitCode::SUCCESS
        }
        Ok(report) => {
            let before = match report.before {
                Some(version) => version.to_string(),
                None => text(lang, "cli-migrate-no-version"),
            };
            println!(
                "{}",
                text_with(
                    lang,
                    "cli-migrate-done",
                    &[("before", before.into()), ("after", report.after.into())]
                )
            );
            ExitCode::SUCCESS
        }
        Err(error) => fail(&error, lang),
    }
}

/// Where the master key is, and that it must be backed up apart from the database backups.
fn master_key_note(config: &Config, lang: Lang) -> String {
    match &config.master_key {
        MasterKeySource::File(path) => text_with(
            lang,
            "cli-backup-key-file",
            &[("path", absolute(path).display().to_string().into())],
        ),
        MasterKeySource::Inline(_) => text(lang, "cli-backup-key-inline"),
    }
}

fn absolute(path: &Path) -> std::path::PathBuf {
    std::path::absolute(path).unwrap_or_else(|_| path.to_path_buf())
}

fn fail(error: &MaintenanceError, lang: Lang) -> ExitCode {
    eprintln!("tigr-server: {}", maintenance::message(error, lang));
    ExitCode::FAILURE
}
