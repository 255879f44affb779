//! Central running in the test's process: a real HTTP server on loopback, loaded with the example
//! hall, for scenarios and benchmarks that drive devices against it.

use std::net::SocketAddr;
use std::path::{Path, PathBuf};
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
    /// Where it listens.
    pub addr: SocketAddr,
    /// The service itself, for reading its state back.
    pub central: Arc<central::Central>,
    // Kept so central keeps running: dropping the runtime stops it.
    _runtime: tokio::runtime::Runtime,
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
        Self { addr, central, _runtime: runtime, stop: Some(tx) }
    }

    /// Its base URL.
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
