//! Running commands and owning child processes.

use std::fs::File;
use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use crate::{Error, Result};

/// The command line of `cmd`, for messages.
pub(crate) fn command_line(cmd: &Command) -> String {
    let mut line = cmd.get_program().to_string_lossy().into_owned();
    for arg in cmd.get_args() {
        line.push(' ');
        line.push_str(&arg.to_string_lossy());
    }
    line
}

/// Runs `cmd` to completion and returns its stdout.
///
/// # Errors
///
/// [`Error::Spawn`] if it cannot start, [`Error::Command`] with its stderr if
/// it exits with a failure status.
pub(crate) fn run(cmd: &mut Command) -> Result<String> {
    let command = command_line(cmd);
    let out = cmd
        .stdin(Stdio::null())
        .output()
        .map_err(|source| Error::Spawn { command: command.clone(), source })?;
    let stdout = String::from_utf8_lossy(&out.stdout).into_owned();
    if out.status.success() {
        Ok(stdout)
    } else {
        let mut stderr = String::from_utf8_lossy(&out.stderr).trim().to_owned();
        if stderr.is_empty() {
            stderr = stdout.trim().to_owned();
        }
        Err(Error::Command { command, status: out.status, stderr })
    }
}

/// Sends `signal` to `pid`; an already gone process is not an error.
pub(crate) fn signal(pid: i32, signal: libc::c_int) {
    if pid > 0 {
        // SAFETY: kill(2) has no memory-safety preconditions.
        #[allow(unsafe_code)]
        unsafe {
            libc::kill(pid, signal);
        }
    }
}

/// Whether a process with this pid exists (zombies included).
pub(crate) fn alive(pid: i32) -> bool {
    pid > 0 && std::path::Path::new(&format!("/proc/{pid}")).exists()
}

/// Whether the process has exited (gone, or a zombie awaiting its parent).
pub(crate) fn exited(pid: i32) -> bool {
    match std::fs::read_to_string(format!("/proc/{pid}/stat")) {
        // The state follows the parenthesised command name: "pid (comm) S ...".
        Ok(stat) => {
            stat.rsplit_once(')').is_some_and(|(_, rest)| rest.trim_start().starts_with('Z'))
        }
        Err(_) => true,
    }
}

/// Stops a process that is not our child (a forked daemon): SIGTERM, up to
/// `grace` to exit, then SIGKILL.
pub(crate) fn stop_pid(pid: i32, grace: Duration) {
    if !alive(pid) {
        return;
    }
    signal(pid, libc::SIGTERM);
    let start = Instant::now();
    while start.elapsed() < grace {
        if exited(pid) {
            return;
        }
        std::thread::sleep(Duration::from_millis(20));
    }
    signal(pid, libc::SIGKILL);
}

/// A child process that is stopped (SIGTERM, then SIGKILL after a grace
/// period) and reaped when the guard drops.
#[derive(Debug)]
pub struct ChildGuard {
    child: Option<Child>,
    command: String,
}

impl ChildGuard {
    pub(crate) fn new(child: Child, command: String) -> Self {
        ChildGuard { child: Some(child), command }
    }

    /// Starts `cmd` (e.g. from [`crate::Netns::command`], with environment
    /// variables added) with stdin closed and stdout and stderr appended to
    /// `log`, or discarded when `log` is `None`.
    pub fn spawn(mut cmd: Command, log: Option<&Path>) -> Result<ChildGuard> {
        match log {
            Some(log) => {
                let out = File::options()
                    .create(true)
                    .append(true)
                    .open(log)
                    .map_err(|e| Error::file(log, e))?;
                let err = out.try_clone().map_err(|e| Error::file(log, e))?;
                cmd.stdout(out).stderr(err);
            }
            None => {
                cmd.stdout(Stdio::null()).stderr(Stdio::null());
            }
        }
        let command = command_line(&cmd);
        let child = cmd
            .stdin(Stdio::null())
            .spawn()
            .map_err(|source| Error::Spawn { command: command.clone(), source })?;
        Ok(ChildGuard::new(child, command))
    }

    /// The process id.
    pub fn pid(&self) -> Option<u32> {
        self.child.as_ref().map(Child::id)
    }

    /// The command line it was started with.
    pub fn command(&self) -> &str {
        &self.command
    }

    /// Whether the process has exited already.
    pub fn has_exited(&mut self) -> bool {
        match self.child.as_mut() {
            Some(child) => !matches!(child.try_wait(), Ok(None)),
            None => true,
        }
    }

    /// Sends `sig` (e.g. `libc::SIGINT`) to the process.
    pub fn signal(&self, sig: libc::c_int) {
        if let Some(pid) = self.pid().and_then(|p| i32::try_from(p).ok()) {
            signal(pid, sig);
        }
    }

    /// Stops the process: `sig` first, SIGKILL if it has not exited after
    /// `grace`. Returns its exit status when it could be collected.
    pub fn stop_with(
        &mut self,
        sig: libc::c_int,
        grace: Duration,
    ) -> Option<std::process::ExitStatus> {
        let mut child = self.child.take()?;
        if let Ok(Some(status)) = child.try_wait() {
            return Some(status);
        }
        if let Ok(pid) = i32::try_from(child.id()) {
            signal(pid, sig);
        }
        let start = Instant::now();
        while start.elapsed() < grace {
            if let Ok(Some(status)) = child.try_wait() {
                return Some(status);
            }
            std::thread::sleep(Duration::from_millis(20));
        }
        let _ = child.kill();
        child.wait().ok()
    }

    /// Stops the process with SIGTERM and a one-second grace period.
    pub fn stop(&mut self) -> Option<std::process::ExitStatus> {
        self.stop_with(libc::SIGTERM, Duration::from_secs(1))
    }
}

impl Drop for ChildGuard {
    fn drop(&mut self) {
        self.stop();
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn run_returns_stdout_or_stderr_in_the_error() {
        assert_eq!(run(Command::new("echo").arg("hi")).ok().as_deref(), Some("hi\n"));
        let err = run(Command::new("sh").args(["-c", "echo oops >&2; exit 3"]))
            .expect_err("exit 3 is a failure");
        let text = err.to_string();
        assert!(text.contains("oops") && text.contains("sh -c"), "{text}");
    }

    #[test]
    fn child_guard_kills_on_drop() {
        let child = Command::new("sleep").arg("30").spawn().expect("sleep starts");
        let pid = i32::try_from(child.id()).expect("pid fits");
        drop(ChildGuard::new(child, "sleep 30".into()));
        assert!(!alive(pid), "sleep {pid} still there");
    }
}
