//! CPU time and memory from `/proc` (Linux): per process, per thread (to split an in-process
//! run between server and generator threads), the whole machine, and the process listening
//! on a TCP port (to find an external server).

use std::collections::BTreeMap;
use std::path::Path;

/// Clock ticks per second of `/proc/*/stat` times (`getconf CLK_TCK`, 100 on Linux).
pub const TICKS_PER_SECOND: f64 = 100.0;

/// User + system CPU time of a process or thread, in seconds, from its `stat` file.
fn cpu_seconds_of(stat_path: &Path) -> Option<f64> {
    let text = std::fs::read_to_string(stat_path).ok()?;
    // The command name (field 2) may hold spaces: fields are counted after its ')'.
    let rest = &text[text.rfind(')')? + 2..];
    let fields: Vec<&str> = rest.split_whitespace().collect();
    // rest[0] is field 3 (state): utime is field 14, stime field 15.
    let utime: f64 = fields.get(11)?.parse().ok()?;
    let stime: f64 = fields.get(12)?.parse().ok()?;
    Some((utime + stime) / TICKS_PER_SECOND)
}

/// CPU seconds used so far by process `pid` (all its threads, dead ones included).
pub fn process_cpu(pid: u32) -> Option<f64> {
    cpu_seconds_of(&Path::new("/proc").join(pid.to_string()).join("stat"))
}

/// CPU seconds of each live thread of `pid`, summed by thread-name group (see [`group_of`]).
pub fn threads_cpu_by_group(pid: u32) -> BTreeMap<&'static str, f64> {
    let mut out = BTreeMap::new();
    let task_dir = Path::new("/proc").join(pid.to_string()).join("task");
    let Ok(entries) = std::fs::read_dir(&task_dir) else {
        return out;
    };
    for entry in entries.flatten() {
        let dir = entry.path();
        let name = std::fs::read_to_string(dir.join("comm")).unwrap_or_default();
        if let Some(seconds) = cpu_seconds_of(&dir.join("stat")) {
            *out.entry(group_of(name.trim())).or_insert(0.0) += seconds;
        }
    }
    out
}

/// Which side a thread works for, from its name.
pub fn group_of(thread_name: &str) -> &'static str {
    if thread_name.starts_with("tigr-srv") || thread_name.starts_with("sqlx-sqlite") {
        "server"
    } else if thread_name.starts_with("bench-gen") {
        "generator"
    } else {
        "other"
    }
}

/// Peak resident set size of `pid` in KiB (`VmHWM`).
pub fn peak_rss_kib(pid: u32) -> Option<u64> {
    status_field_kib(pid, "VmHWM:")
}

/// Current resident set size of `pid` in KiB (`VmRSS`).
pub fn rss_kib(pid: u32) -> Option<u64> {
    status_field_kib(pid, "VmRSS:")
}

fn status_field_kib(pid: u32, field: &str) -> Option<u64> {
    let text = std::fs::read_to_string(format!("/proc/{pid}/status")).ok()?;
    text.lines()
        .find_map(|line| line.strip_prefix(field))?
        .split_whitespace()
        .next()?
        .parse()
        .ok()
}

/// Busy and total CPU seconds of the whole machine, all cores (from `/proc/stat`).
pub fn machine_cpu() -> Option<(f64, f64)> {
    let text = std::fs::read_to_string("/proc/stat").ok()?;
    let line = text.lines().next()?.strip_prefix("cpu ")?;
    let values: Vec<f64> = line
        .split_whitespace()
        .filter_map(|v| v.parse().ok())
        .collect();
    // user nice system idle iowait irq softirq steal ...
    let total: f64 = values.iter().take(8).sum();
    let idle = values.get(3)? + values.get(4).copied().unwrap_or(0.0);
    Some(((total - idle) / TICKS_PER_SECOND, total / TICKS_PER_SECOND))
}

/// The process listening on 127.0.0.1/0.0.0.0/[::] port `port`, found through the socket's
/// inode in `/proc/net/tcp{,6}` and the file descriptors of every process (needs the right
/// to read them: same user or root).
pub fn listener_pid(port: u16) -> Option<u32> {
    let mut inodes = Vec::new();
    for table in ["/proc/net/tcp", "/proc/net/tcp6"] {
        let Ok(text) = std::fs::read_to_string(table) else {
            continue;
        };
        for line in text.lines().skip(1) {
            let fields: Vec<&str> = line.split_whitespace().collect();
            let (Some(local), Some(state), Some(inode)) =
                (fields.get(1), fields.get(3), fields.get(9))
            else {
                continue;
            };
            let local_port = local
                .rsplit(':')
                .next()
                .and_then(|p| u16::from_str_radix(p, 16).ok());
            // 0A = LISTEN
            if local_port == Some(port) && *state == "0A" {
                inodes.push(format!("socket:[{inode}]"));
            }
        }
    }
    if inodes.is_empty() {
        return None;
    }
    let own = std::process::id();
    for entry in std::fs::read_dir("/proc").ok()?.flatten() {
        let Some(pid) = entry
            .file_name()
            .to_str()
            .and_then(|n| n.parse::<u32>().ok())
        else {
            continue;
        };
        if pid == own {
            continue;
        }
        let Ok(fds) = std::fs::read_dir(entry.path().join("fd")) else {
            continue;
        };
        for fd in fds.flatten() {
            if let Ok(target) = std::fs::read_link(fd.path())
                && inodes.iter().any(|i| target.as_os_str() == i.as_str())
            {
                return Some(pid);
            }
        }
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn own_process_is_readable() {
        let pid = std::process::id();
        assert!(process_cpu(pid).is_some());
        assert!(peak_rss_kib(pid).unwrap_or(0) > 0);
        assert!(rss_kib(pid).unwrap_or(0) > 0);
        let (busy, total) = machine_cpu().expect("/proc/stat");
        assert!(busy <= total);
        assert!(!threads_cpu_by_group(pid).is_empty());
        assert_eq!(group_of("tigr-srv-3"), "server");
        assert_eq!(group_of("sqlx-sqlite-worker-2"), "server");
        assert_eq!(group_of("bench-gen"), "generator");
    }
}
