//! Shared set-up for the end-to-end scenarios: central in this process on loopback (a real HTTP
//! server), device config files, and reading central's view back.
#![allow(dead_code)]

use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::process::{Command, Output};
use std::sync::Arc;

use hall_protocol::Catalogue;

/// The example hall: one hall `xuhui`, services, windows, kiosk-1/2, counter-1..3, board-1.
pub fn catalogue() -> Catalogue {
    let text = std::fs::read_to_string(repo_root().join("examples/central-catalogue.toml")).expect("examples/central-catalogue.toml");
    toml::from_str(&text).expect("example catalogue parses")
}

/// The repository root.
pub fn repo_root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).parent().expect("tests/ has a parent").to_path_buf()
}

/// Central running on a runtime of its own, on 127.0.0.1:<free port>.
pub struct TestCentral {
    pub addr: SocketAddr,
    pub central: Arc<central::Central>,
    runtime: tokio::runtime::Runtime,
    stop: Option<tokio::sync::oneshot::Sender<()>>,
}

impl TestCentral {
    /// Opens `dir/central.db`, loads the example catalogue, serves on loopback.
    pub fn start(dir: &Path) -> Self {
        let runtime = tokio::runtime::Builder::new_multi_thread().worker_threads(2).enable_all().build().expect("runtime");
        let central = central::Central::open(&dir.join("central.db"), central::CentralConfig::default()).expect("central opens");
        central.load_catalogue(&catalogue()).expect("catalogue loads");
        let listener = runtime.block_on(tokio::net::TcpListener::bind("127.0.0.1:0")).expect("bind");
        let addr = listener.local_addr().expect("addr");
        let (tx, rx) = tokio::sync::oneshot::channel::<()>();
        runtime.spawn(central::serve(listener, central.clone(), async move {
            let _ = rx.await;
        }));
        Self { addr, central, runtime, stop: Some(tx) }
    }

    pub fn url(&self) -> String {
        format!("http://{}", self.addr)
    }
}

impl Drop for TestCentral {
    fn drop(&mut self) {
        if let Some(tx) = self.stop.take() {
            let _ = tx.send(());
        }
    }
}

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
    days.iter()
        .flat_map(|d| central.central.tickets(d.parse().expect("business_day is a date"), Some(&hall)).expect("central lists tickets"))
        .collect()
}
