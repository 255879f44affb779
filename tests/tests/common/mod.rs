//! Shared set-up for the end-to-end scenarios: central in this process on loopback (a real HTTP
//! server), device config files, and reading central's view back.
#![allow(dead_code)]

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

pub use hall_e2e::central_fixture::TestCentral;

/// Writes a device config file and returns its path.
pub fn device_config(dir: &Path, id: &str, role: &str, window: Option<u16>, url: &str) -> PathBuf {
    let window = window.map(|w| format!("window = {w}\n")).unwrap_or_default();
    let text = format!(
        "[device]\nid = \"{id}\"\nrole = \"{role}\"\nhall = \"xuhui\"\n{window}\n[central]\nurl = \"{url}\"\ntimeout_ms = 1000\n\n[store]\npath = \"{id}.db\"\n\n[leases]\nblock = 20\n\n[sync]\ninterval_ms = 100\nbackoff_min_ms = 50\nbackoff_max_ms = 400\n"
    );
    let path = dir.join(format!("{id}.toml"));
    std::fs::write(&path, text).expect("write config");
    path
}

/// Runs `kiosk ARGS...` to completion.
pub fn kiosk(args: &[&str]) -> Output {
    Command::new(hall_e2e::bin_path("kiosk")).args(args).env("RUST_LOG", "warn").output().expect("kiosk runs")
}

/// Runs `kiosk sync` until it exits 0 (the link may be flaky), at most `tries` times.
pub fn sync_until_clean(config: &Path, tries: u32) {
    let mut last = None;
    for _ in 0..tries {
        let out = kiosk(&["sync", "--config", config.to_str().expect("utf-8 path")]);
        if out.status.success() {
            return;
        }
        last = Some(out);
        std::thread::sleep(std::time::Duration::from_millis(200));
    }
    let out = last.expect("at least one try");
    panic!("kiosk sync never completed: {}\n{}", out.status, String::from_utf8_lossy(&out.stderr));
}

/// Central's tickets of hall `xuhui` on the given business days (`YYYY-MM-DD`).
pub fn central_tickets(central: &TestCentral, days: &std::collections::BTreeSet<String>) -> Vec<central::records::Ticket> {
    let hall = "xuhui".parse().expect("hall id");
    days.iter().flat_map(|d| central.central.tickets(d.parse().expect("business_day is a date"), Some(&hall)).expect("central lists tickets")).collect()
}
