//! Who a worker is, and whether one is provably dead.
//!
//! A worker's id is `host:pid:start:random`, where `start` is the process's start time in clock ticks since boot
//! (`/proc/<pid>/stat`). A lease held by an id of *this* host whose process is gone — or whose pid now belongs to a
//! process that started at another time — belongs to a worker that died (kill -9, a crash, a reboot): its jobs and
//! delivery records are taken back at once instead of after the lease. Ids of other hosts are never judged; their
//! leases run out as before.

/// This machine's name, as the kernel has it (the `HOSTNAME` variable is not always set for services).
pub fn host() -> String {
    std::fs::read_to_string("/proc/sys/kernel/hostname")
        .ok()
        .map(|h| h.trim().to_owned())
        .filter(|h| !h.is_empty())
        .or_else(|| std::env::var("HOSTNAME").ok())
        .unwrap_or_else(|| "host".into())
        .replace(':', "_")
}

/// When process `pid` started (clock ticks since boot), if it is running.
fn started(pid: u32) -> Option<u64> {
    let stat = std::fs::read_to_string(format!("/proc/{pid}/stat")).ok()?;
    // The command name (field 2) may hold spaces and parentheses: count fields after its closing ')'.
    let after = &stat[stat.rfind(')')? + 1..];
    after.split_whitespace().nth(19)?.parse().ok()
}

/// A new id for this process's worker.
pub fn new_id() -> String {
    let pid = std::process::id();
    let start = started(pid).unwrap_or(0);
    format!("{}:{pid}:{start}:{}", host(), &newsdesk_store::new_token().0[..8])
}

/// Whether the worker `id` provably died: it ran on this host and its process is gone (or was replaced).
pub fn provably_dead(id: &str) -> bool {
    let mut parts = id.split(':');
    let (Some(h), Some(pid), Some(start)) = (parts.next(), parts.next(), parts.next()) else { return false };
    if h != host() {
        return false;
    }
    let (Ok(pid), Ok(start)) = (pid.parse::<u32>(), start.parse::<u64>()) else { return false };
    if start == 0 {
        return false; // no start time was known: cannot prove anything
    }
    started(pid) != Some(start)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_live_worker_is_alive_and_a_gone_one_is_dead() {
        let me = new_id();
        assert!(me.starts_with(&format!("{}:{}:", host(), std::process::id())));
        assert!(!provably_dead(&me), "this process is running");
        let mut child = std::process::Command::new("true").spawn().unwrap();
        let pid = child.id();
        let start = started(pid);
        child.wait().unwrap();
        if let Some(start) = start {
            assert!(provably_dead(&format!("{}:{pid}:{start}:abcd", host())), "its process is gone");
        }
        assert!(provably_dead(&format!("{}:{}:1:abcd", host(), std::process::id())), "the pid was reused");
        assert!(!provably_dead("elsewhere:1:1:abcd"), "another host is never judged");
        assert!(!provably_dead("garbage"));
    }
}
