//! The database's files on disk: created readable by their owner only, and the check that
//! tells at start when existing ones are not.
//!
//! The database holds the CSRF key of the pages, open challenges, sessions (hashed) and
//! personal data (names, e-mail addresses, the audit trail). A folder created for it is
//! 0700; the database file is created 0600 before SQLite opens it, and SQLite gives its
//! `-wal` and `-shm` files the mode of the database file (whatever the process umask). Files
//! that already exist keep their mode: [`loose_permissions`] lists them for a warning.

use std::path::{Path, PathBuf};

use super::StorageError;

/// The companion files SQLite writes next to a database in WAL mode.
const COMPANIONS: [&str; 2] = ["-wal", "-shm"];

/// A database folder or file that others than its owner may read or enter.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LoosePermission {
    /// The folder or file.
    pub path: PathBuf,
    /// Its permission bits (e.g. `0o644`).
    pub mode: u32,
    /// The mode it should have: `0o700` for the folder, `0o600` for a file.
    pub wanted: u32,
}

/// Waits for, then holds, an exclusive advisory lock (`flock`) on the folder of `database`,
/// released when the returned file is dropped. Two processes opening the same database at
/// once (the server and the `enroll` command, two servers started together) would otherwise
/// both apply the same migration, and one of them fail half-way with "table … already
/// exists". The folder, not the database file: closing a descriptor of the database file
/// would drop the POSIX locks SQLite holds on it in this process.
pub(super) async fn lock_for_migrations(database: &Path) -> Result<std::fs::File, StorageError> {
    let folder = match database.parent() {
        Some(parent) if !parent.as_os_str().is_empty() => parent.to_path_buf(),
        _ => PathBuf::from("."),
    };
    let failed = |source| StorageError::MigrationLock {
        path: folder.display().to_string(),
        source,
    };
    let locking = folder.clone();
    tokio::task::spawn_blocking(move || {
        let file = std::fs::File::open(&locking)?;
        file.lock()?;
        Ok(file)
    })
    .await
    .map_err(|joined| failed(std::io::Error::other(joined)))?
    .map_err(failed)
}

/// Creates the folders above `database` (0700 for those it creates) and the database file
/// itself (empty, 0600) when missing.
pub(super) fn prepare(database: &Path) -> Result<(), StorageError> {
    if let Some(parent) = database.parent().filter(|p| !p.as_os_str().is_empty()) {
        private_dir_builder()
            .create(parent)
            .map_err(|source| StorageError::Directory {
                path: parent.display().to_string(),
                source,
            })?;
    }
    match create_private_file(database) {
        Ok(()) => Ok(()),
        Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => Ok(()),
        Err(source) => Err(StorageError::Directory {
            path: database.display().to_string(),
            source,
        }),
    }
}

/// Creates `path`, empty, readable and writable by its owner only; fails if it exists.
pub(super) fn create_private_file(path: &Path) -> std::io::Result<()> {
    let mut options = std::fs::OpenOptions::new();
    options.write(true).create_new(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt as _;
        options.mode(0o600);
    }
    options.open(path).map(drop)
}

fn private_dir_builder() -> std::fs::DirBuilder {
    let mut builder = std::fs::DirBuilder::new();
    builder.recursive(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::DirBuilderExt as _;
        builder.mode(0o700);
    }
    builder
}

/// The database's folder, file, `-wal` and `-shm` (those that exist) that group or others
/// may access. Always empty where Unix permissions do not exist.
pub fn loose_permissions(database: &Path) -> Vec<LoosePermission> {
    let mut wanted = Vec::new();
    if let Some(parent) = database.parent().filter(|p| !p.as_os_str().is_empty()) {
        wanted.push((parent.to_path_buf(), 0o700));
    }
    wanted.push((database.to_path_buf(), 0o600));
    for suffix in COMPANIONS {
        let mut name = database.as_os_str().to_owned();
        name.push(suffix);
        wanted.push((PathBuf::from(name), 0o600));
    }
    wanted
        .into_iter()
        .filter_map(|(path, wanted)| {
            let mode = mode_of(&path)?;
            (mode & 0o077 != 0).then_some(LoosePermission { path, mode, wanted })
        })
        .collect()
}

#[cfg(unix)]
fn mode_of(path: &Path) -> Option<u32> {
    use std::os::unix::fs::PermissionsExt as _;
    std::fs::metadata(path)
        .ok()
        .map(|m| m.permissions().mode() & 0o777)
}

#[cfg(not(unix))]
fn mode_of(_path: &Path) -> Option<u32> {
    None
}

#[cfg(all(test, unix))]
mod tests {
    use std::os::unix::fs::PermissionsExt as _;

    use super::*;

    fn set_mode(path: &Path, mode: u32) {
        std::fs::set_permissions(path, std::fs::Permissions::from_mode(mode)).expect("chmod");
    }

    #[test]
    fn created_private_and_looser_ones_are_listed() {
        let root = tempfile::tempdir().expect("tempdir");
        let database = root.path().join("a/b/tigr.db");
        prepare(&database).expect("prepared");
        for (path, mode) in [
            (root.path().join("a"), 0o700),
            (root.path().join("a/b"), 0o700),
            (database.clone(), 0o600),
        ] {
            assert_eq!(mode_of(&path), Some(mode), "{}", path.display());
        }
        assert_eq!(loose_permissions(&database), []);
        // An existing file is left as it is (its contents too).
        std::fs::write(&database, b"x").expect("write");
        prepare(&database).expect("prepared again");
        assert_eq!(std::fs::read(&database).expect("read"), b"x");

        set_mode(&database, 0o644);
        set_mode(root.path().join("a/b").as_path(), 0o755);
        let wal = root.path().join("a/b/tigr.db-wal");
        std::fs::write(&wal, b"").expect("wal");
        set_mode(&wal, 0o640);
        let shm = root.path().join("a/b/tigr.db-shm");
        std::fs::write(&shm, b"").expect("shm");
        set_mode(&shm, 0o600);
        assert_eq!(
            loose_permissions(&database),
            [
                LoosePermission {
                    path: root.path().join("a/b"),
                    mode: 0o755,
                    wanted: 0o700
                },
                LoosePermission {
                    path: database.clone(),
                    mode: 0o644,
                    wanted: 0o600
                },
                LoosePermission {
                    path: wal,
                    mode: 0o640,
                    wanted: 0o600
                },
            ]
        );
    }
}
