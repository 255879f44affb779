//! Finding and running the workspace's real binaries (`kiosk`, `central`) from a test.

use std::ffi::OsString;
use std::io;
use std::ops::{Deref, DerefMut};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, ExitStatus};

/// The path of the workspace binary `name` (`"kiosk"`, `"central"`), built next to the running
/// test.
///
/// Test executables live in `<target>/<profile>/deps/`; cargo puts binaries in
/// `<target>/<profile>/`. This walks up from [`std::env::current_exe`] and takes the first
/// directory holding `name`, stopping at the target directory's root (the one with cargo's
/// `CACHEDIR.TAG`), so it follows `CARGO_TARGET_DIR`, `--target <triple>` and custom profiles
/// without being told.
///
/// `cargo test` does not build the binaries of other packages, so build them first.
///
/// # Panics
/// When the binary is not there, with a message saying to run `cargo build --workspace --bins`:
/// a test cannot do anything useful without it.
pub fn bin_path(name: &str) -> PathBuf {
    let exe = match std::env::current_exe() {
        Ok(exe) => exe,
        Err(e) => panic!("cannot find the running test executable to locate `{name}` from: {e}"),
    };
    match find_bin(&exe, name) {
        Ok(path) => path,
        Err(searched) => panic!(
            "binary `{name}` not found (looked in {}); run `cargo build --workspace --bins` first, \
             with the same profile and target directory as the tests",
            searched.iter().map(|d| d.display().to_string()).collect::<Vec<_>>().join(", ")
        ),
    }
}

/// Looks for `name` in the directories above `exe`; on failure returns the directories searched.
fn find_bin(exe: &Path, name: &str) -> Result<PathBuf, Vec<PathBuf>> {
    let mut file = OsString::from(name);
    file.push(std::env::consts::EXE_SUFFIX);
    let mut searched = Vec::new();
    for dir in exe.ancestors().skip(1) {
        let candidate = dir.join(&file);
        if candidate.is_file() {
            return Ok(candidate);
        }
        searched.push(dir.to_path_buf());
        // Cargo marks the root of every target directory; nothing above it was built by cargo.
        if dir.join("CACHEDIR.TAG").is_file() {
            break;
        }
    }
    Err(searched)
}

/// A child process that is killed (SIGKILL) and reaped when the guard is dropped, so a failing
/// test does not leave `central` or a kiosk running.
///
/// Dereferences to [`std::process::Child`] for `id()`, `stdin`, `try_wait()` and the rest.
#[derive(Debug)]
pub struct ChildGuard {
    // `None` only after `into_inner` took the child out.
    child: Option<Child>,
}

impl ChildGuard {
    /// Guards an already spawned child.
    pub fn new(child: Child) -> Self {
        Self { child: Some(child) }
    }

    /// Spawns `command` and guards the child.
    ///
    /// # Errors
    /// When the process cannot be started (missing binary, no permission).
    pub fn spawn(command: &mut Command) -> io::Result<Self> {
        command.spawn().map(Self::new)
    }

    /// Kills the child now (if it is still running) and waits for it, returning how it ended.
    ///
    /// # Errors
    /// When the child cannot be waited for.
    pub fn kill_and_wait(&mut self) -> io::Result<ExitStatus> {
        let child = self.child_mut();
        if child.try_wait()?.is_none() {
            // If the child exits on its own between the two calls, kill fails harmlessly and
            // `wait` below still reports how it ended.
            let _ = child.kill();
        }
        child.wait()
    }

    /// Takes the child out of the guard; it will no longer be killed on drop.
    pub fn into_inner(mut self) -> Child {
        match self.child.take() {
            Some(child) => child,
            None => unreachable!("a ChildGuard holds its child until into_inner consumes it"),
        }
    }

    fn child_mut(&mut self) -> &mut Child {
        match self.child.as_mut() {
            Some(child) => child,
            None => unreachable!("a ChildGuard holds its child until into_inner consumes it"),
        }
    }
}

impl Deref for ChildGuard {
    type Target = Child;

    fn deref(&self) -> &Child {
        match self.child.as_ref() {
            Some(child) => child,
            None => unreachable!("a ChildGuard holds its child until into_inner consumes it"),
        }
    }
}

impl DerefMut for ChildGuard {
    fn deref_mut(&mut self) -> &mut Child {
        self.child_mut()
    }
}

impl Drop for ChildGuard {
    fn drop(&mut self) {
        if self.child.is_some() {
            if let Err(e) = self.kill_and_wait() {
                tracing::warn!(error = %e, "could not reap a child process");
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn finds_a_binary_in_the_profile_dir_above_deps() {
        let target = tempfile::tempdir().expect("tempdir");
        let profile = target.path().join("aarch64-unknown-linux-gnu").join("debug");
        std::fs::create_dir_all(profile.join("deps")).expect("mkdir");
        std::fs::write(target.path().join("CACHEDIR.TAG"), "Signature: 8a477f597d28d172789f06886806bc55").expect("tag");
        let bin = profile.join(format!("central{}", std::env::consts::EXE_SUFFIX));
        std::fs::write(&bin, "").expect("bin");
        let exe = profile.join("deps").join("partition-0123abcd");
        assert_eq!(find_bin(&exe, "central"), Ok(bin));
    }

    #[test]
    fn stops_searching_at_the_target_root() {
        let outer = tempfile::tempdir().expect("tempdir");
        // A `kiosk` above the target directory must not be picked up.
        std::fs::write(outer.path().join("kiosk"), "").expect("decoy");
        let target = outer.path().join("target");
        std::fs::create_dir_all(target.join("debug").join("deps")).expect("mkdir");
        std::fs::write(target.join("CACHEDIR.TAG"), "").expect("tag");
        let exe = target.join("debug").join("deps").join("t-1");
        let searched = find_bin(&exe, "kiosk").expect_err("must not find the decoy");
        assert_eq!(searched, vec![target.join("debug").join("deps"), target.join("debug"), target]);
    }

    #[test]
    #[should_panic(expected = "run `cargo build --workspace --bins` first")]
    fn a_missing_binary_panics_with_the_fix() {
        bin_path("no-such-hallkit-binary");
    }

    #[test]
    #[cfg(target_os = "linux")]
    fn dropping_the_guard_kills_and_reaps_the_child() {
        let guard = ChildGuard::spawn(Command::new("sleep").arg("600")).expect("spawn sleep");
        let pid = guard.id();
        let proc_dir = PathBuf::from(format!("/proc/{pid}"));
        assert!(proc_dir.exists());
        drop(guard);
        // Reaped, not a zombie: the pid's /proc entry is gone.
        assert!(!proc_dir.exists(), "process {pid} still exists after the guard was dropped");
    }

    #[test]
    fn kill_and_wait_reports_the_signal() {
        use std::os::unix::process::ExitStatusExt;
        let mut guard = ChildGuard::spawn(Command::new("sleep").arg("600")).expect("spawn sleep");
        let status = guard.kill_and_wait().expect("wait");
        assert_eq!(status.signal(), Some(9));
    }

    #[test]
    fn into_inner_disarms_the_guard() {
        let mut child = ChildGuard::spawn(Command::new("sleep").arg("600")).expect("spawn sleep").into_inner();
        // The guard is gone; the child must still be running.
        assert!(child.try_wait().expect("try_wait").is_none());
        child.kill().expect("kill");
        child.wait().expect("wait");
    }
}
