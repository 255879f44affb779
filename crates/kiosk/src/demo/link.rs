//! A network link the demo can cut: a TCP forwarder on loopback between one kiosk and central.
//! When the link is down, new connections are closed at once and open ones are cut, so the kiosk's
//! real HTTP client sees real connection failures.

use std::net::SocketAddr;
use std::sync::Arc;

use tokio::io::copy_bidirectional;
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::watch;

/// A cuttable link. Dropping it stops the forwarder.
#[derive(Debug)]
pub struct Link {
    addr: SocketAddr,
    up: watch::Sender<bool>,
    task: tokio::task::JoinHandle<()>,
}

impl Link {
    /// Starts forwarding from a new loopback port to `upstream`.
    pub async fn start(upstream: SocketAddr) -> std::io::Result<Self> {
        let listener = TcpListener::bind("127.0.0.1:0").await?;
        let addr = listener.local_addr()?;
        let (up, _) = watch::channel(true);
        let up_rx = Arc::new(up.subscribe());
        let task = tokio::spawn(async move {
            while let Ok((mut inbound, _)) = listener.accept().await {
                let mut state = (*up_rx).clone();
                if !*state.borrow_and_update() {
                    drop(inbound);
                    continue;
                }
                tokio::spawn(async move {
                    let Ok(mut outbound) = TcpStream::connect(upstream).await else { return };
                    tokio::select! {
                        _ = copy_bidirectional(&mut inbound, &mut outbound) => {}
                        _ = state.wait_for(|up| !*up) => {}
                    }
                });
            }
        });
        Ok(Self { addr, up, task })
    }

    /// The address devices should use instead of central's.
    pub fn addr(&self) -> SocketAddr {
        self.addr
    }

    /// Brings the link up or down.
    pub fn set_up(&self, up: bool) {
        self.up.send_replace(up);
    }

    /// Whether the link is up.
    pub fn is_up(&self) -> bool {
        *self.up.borrow()
    }
}

impl Drop for Link {
    fn drop(&mut self) {
        self.task.abort();
    }
}
