//! What a process used, from `/proc/PID/status` and `/proc/PID/stat`.

use std::process::Command;

/// Memory and CPU of a set of processes at one moment.
#[derive(Clone, Copy, Debug, Default, PartialEq)]
pub struct Usage {
    /// Resident set now (`VmRSS`), octets, summed.
    pub rss: u64,
    /// Peak resident set (`VmHWM`), octets, summed.
    pub peak_rss: u64,
    /// User plus system CPU time, seconds, summed.
    pub cpu_secs: f64,
}

/// Reads the usage of `pids`; a process that is gone counts as zero.
pub fn usage(pids: &[i32]) -> Usage {
    let tick = clock_ticks();
    let mut u = Usage::default();
    for pid in pids {
        if let Ok(status) = std::fs::read_to_string(format!("/proc/{pid}/status")) {
            u.rss += status_kb(&status, "VmRSS:") * 1024;
            u.peak_rss += status_kb(&status, "VmHWM:") * 1024;
        }
        if let Ok(stat) = std::fs::read_to_string(format!("/proc/{pid}/stat")) {
            u.cpu_secs += stat_ticks(&stat) as f64 / tick;
        }
    }
    u
}

/// A `Key:   1234 kB` line of `/proc/PID/status`.
fn status_kb(status: &str, key: &str) -> u64 {
    status
        .lines()
        .find_map(|l| l.strip_prefix(key))
        .and_then(|v| v.split_whitespace().next())
        .and_then(|n| n.parse().ok())
        .unwrap_or(0)
}

/// utime + stime (fields 14 and 15 of `/proc/PID/stat`, counted after the command name,
/// which is in parentheses and may hold spaces).
fn stat_ticks(stat: &str) -> u64 {
    let Some(after) = stat.rfind(')').and_then(|i| stat.get(i + 1..)) else { return 0 };
    let f: Vec<&str> = after.split_whitespace().collect();
    // After ")" the fields start at 3 (state), so field n is f[n - 3].
    let get = |n: usize| f.get(n - 3).and_then(|v| v.parse::<u64>().ok()).unwrap_or(0);
    get(14) + get(15)
}

/// `getconf CLK_TCK` (100 on Linux unless told otherwise).
fn clock_ticks() -> f64 {
    Command::new("getconf")
        .arg("CLK_TCK")
        .output()
        .ok()
        .and_then(|o| String::from_utf8_lossy(&o.stdout).trim().parse::<f64>().ok())
        .filter(|t| *t > 0.0)
        .unwrap_or(100.0)
}

/// Pins every thread of `pid` to `cpu` (`taskset -a -p -c`).
pub fn pin(pid: i32, cpu: usize) -> Result<(), String> {
    let out = Command::new("taskset")
        .args(["-a", "-p", "-c", &cpu.to_string(), &pid.to_string()])
        .output()
        .map_err(|e| format!("taskset: {e}"))?;
    if out.status.success() {
        Ok(())
    } else {
        Err(format!("taskset -p {pid}: {}", String::from_utf8_lossy(&out.stderr)))
    }
}

/// Processors available.
pub fn cpus() -> usize {
    std::thread::available_parallelism().map_or(1, |n| n.get())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn proc_files_are_read() {
        let status = "Name:\tbird\nVmHWM:\t  204800 kB\nVmRSS:\t  102400 kB\n";
        assert_eq!(status_kb(status, "VmHWM:"), 204_800);
        assert_eq!(status_kb(status, "VmRSS:"), 102_400);
        let stat = "4242 (bgp peer) S 1 4242 4242 0 -1 4194560 100 0 0 0 250 50 0 0 20 0 1 0";
        assert_eq!(stat_ticks(stat), 300);
        let me = usage(&[i32::try_from(std::process::id()).unwrap()]);
        assert!(me.rss > 0 && me.peak_rss >= me.rss);
    }
}
