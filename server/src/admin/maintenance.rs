//! Backups and migrations of the configuration's database, for the command line
//! (`tigr-server backup`, `tigr-server migrate`), with their messages in both languages. The
//! work itself is the storage's (`storage/maintenance.rs`).

use std::path::Path;

use crate::config::Config;
use crate::i18n::Lang;
use crate::storage;
use crate::text::{text, text_with};

pub use crate::storage::{BackupReport, MaintenanceError, MigrationReport, latest_schema_version};

/// Copies the live database to `dest` (which must not exist) and checks the copy.
pub async fn backup(config: &Config, dest: &Path) -> Result<BackupReport, MaintenanceError> {
    storage::backup(&config.database_url, dest).await
}

/// Applies the migrations the database lacks.
pub async fn migrate(config: &Config) -> Result<MigrationReport, MaintenanceError> {
    storage::migrate(&config.database_url).await
}

/// The message of `error` for people, in `lang`.
pub fn message(error: &MaintenanceError, lang: Lang) -> String {
    let path = |key: &str, path: &Path| {
        text_with(lang, key, &[("path", path.display().to_string().into())])
    };
    match error {
        MaintenanceError::InMemory => text(lang, "cli-maintenance-in-memory"),
        MaintenanceError::NoDatabase(p) => path("cli-maintenance-no-database", p),
        MaintenanceError::NotTigr(p) => path("cli-maintenance-not-tigr", p),
        MaintenanceError::Exists(p) => path("cli-backup-exists", p),
        MaintenanceError::Integrity(detail) => text_with(
            lang,
            "cli-backup-integrity",
            &[("detail", detail.as_str().into())],
        ),
        MaintenanceError::VersionMismatch { live, copy } => text_with(
            lang,
            "cli-backup-version-mismatch",
            &[("live", (*live).into()), ("copy", (*copy).into())],
        ),
        MaintenanceError::NewerSchema { database, known } => text_with(
            lang,
            "cli-migrate-newer",
            &[("database", (*database).into()), ("known", (*known).into())],
        ),
        MaintenanceError::Io { path, source } => text_with(
            lang,
            "cli-maintenance-io",
            &[
                ("path", path.display().to_string().into()),
                ("error", source.to_string().into()),
            ],
        ),
        MaintenanceError::PostgresBackup => text(lang, "cli-backup-postgres"),
        MaintenanceError::Storage(error) => text_with(
            lang,
            "cli-maintenance-database",
            &[("error", error.to_string().into())],
        ),
    }
}
