//! A TCP proxy on loopback that breaks connections on purpose.
//!
//! Devices talk to central through a [`FaultProxy`]; the test changes its [`Mode`] while they run.
//! The proxy owns a small tokio runtime on its own thread, so it works the same from a plain
//! `#[test]` and from `#[tokio::test]`, and dropping it stops everything.
//!
//! Every counter in [`ProxyStats`] is raised *before* the client can observe the fault (before the
//! reset goes out, before a held connection is released), so a test that has just seen an error on
//! its side can assert on the stats without waiting.

use std::io;
use std::net::{Ipv4Addr, SocketAddr};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex, MutexGuard, PoisonError};
use std::thread;
use std::time::Duration;

use tokio::io::{AsyncRead, AsyncReadExt, AsyncWrite, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::{oneshot, watch};

use crate::fault::{Fault, FaultDice, Mode};

/// Bytes a black-holed connection may pile up in the proxy before the proxy stops reading and lets
/// the kernel push back on the client.
const HELD_BYTES_MAX: usize = 1 << 20;
/// Size of one forwarded chunk; `Mode::Delay` sleeps once per chunk.
const CHUNK: usize = 16 * 1024;

/// A fault-injecting TCP proxy listening on `127.0.0.1`, forwarding to one upstream address.
///
/// ```no_run
/// use hall_e2e::{FaultProxy, Mode};
/// # fn demo(central: std::net::SocketAddr) -> std::io::Result<()> {
/// let proxy = FaultProxy::start(central)?;
/// // point the kiosks at proxy.addr() instead of central ...
/// proxy.set_mode(Mode::Drop); // a partition starts: new connections vanish
/// proxy.cut_all(); // and the ones already open die
/// proxy.set_mode(Mode::Pass); // the link heals
/// assert!(proxy.stats().dropped > 0);
/// # Ok(()) }
/// ```
///
/// The proxy never panics on a socket error: a failed accept, connect, read or write ends that one
/// connection (and is logged with `tracing`). Dropping the proxy closes the listener and every
/// connection, then returns.
#[derive(Debug)]
pub struct FaultProxy {
    addr: SocketAddr,
    shared: Arc<Shared>,
    stop: Option<oneshot::Sender<()>>,
    thread: Option<thread::JoinHandle<()>>,
}

/// How many connections met which fault, and how many bytes went through. A snapshot from
/// [`FaultProxy::stats`].
///
/// A connection held by [`Mode::Drop`] and then released to the next mode is counted under both.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
#[non_exhaustive]
pub struct ProxyStats {
    /// Connections accepted from clients.
    pub accepted: u64,
    /// Connections forwarded under [`Fault::Pass`].
    pub passed: u64,
    /// Connections forwarded under [`Fault::Delay`].
    pub delayed: u64,
    /// Connections put in the black hole of [`Fault::Drop`].
    pub dropped: u64,
    /// Black-holed connections the client closed while they were held.
    pub abandoned: u64,
    /// Black-holed connections handed to a new mode when the mode changed.
    pub released: u64,
    /// Connections reset on arrival under [`Fault::Reset`].
    pub reset: u64,
    /// Connections given [`Fault::CutMidBody`] (whether or not they grew long enough to be cut).
    pub cut_armed: u64,
    /// Connections actually cut mid-body because a direction went over its byte budget.
    pub cut_mid_body: u64,
    /// Open connections reset by [`FaultProxy::cut_all`].
    pub partition_cuts: u64,
    /// Connections reset because the upstream could not be reached.
    pub upstream_failed: u64,
    /// Bytes written to the upstream.
    pub bytes_to_upstream: u64,
    /// Bytes written back to clients.
    pub bytes_to_client: u64,
}

impl FaultProxy {
    /// Starts a proxy on `127.0.0.1:0` (a port the OS picks; see [`addr`](Self::addr)) that
    /// forwards to `upstream` in [`Mode::Pass`].
    ///
    /// Needs no tokio runtime from the caller: the proxy runs its own on a thread of its own.
    ///
    /// # Errors
    /// When the listening socket cannot be bound or the runtime or its thread cannot be created.
    pub fn start(upstream: SocketAddr) -> io::Result<FaultProxy> {
        let listener = std::net::TcpListener::bind((Ipv4Addr::LOCALHOST, 0))?;
        listener.set_nonblocking(true)?;
        let addr = listener.local_addr()?;
        let runtime = tokio::runtime::Builder::new_current_thread().enable_all().build()?;
        let shared = Arc::new(Shared::new());
        let (stop, stopped) = oneshot::channel();
        let thread = {
            let shared = Arc::clone(&shared);
            thread::Builder::new().name(format!("fault-proxy-{}", addr.port())).spawn(move || {
                runtime.block_on(async move {
                    let listener = match TcpListener::from_std(listener) {
                        Ok(l) => l,
                        Err(e) => {
                            tracing::error!(error = %e, "fault proxy could not register its listener");
                            return;
                        }
                    };
                    tokio::select! {
                        _ = stopped => {}
                        () = accept_loop(listener, upstream, shared) => {}
                    }
                });
                // Dropping the runtime here drops every connection task, closing their sockets
                // before `FaultProxy::drop` returns.
                drop(runtime);
            })?
        };
        tracing::debug!(%addr, %upstream, "fault proxy started");
        Ok(FaultProxy { addr, shared, stop: Some(stop), thread: Some(thread) })
    }

    /// The address clients should connect to.
    pub fn addr(&self) -> SocketAddr {
        self.addr
    }

    /// Sets the mode for connections from now on. Setting [`Mode::Random`] restarts its generator
    /// from the seed. Connections held by [`Mode::Drop`] are handed to the new mode; other open
    /// connections keep the fault they had.
    pub fn set_mode(&self, mode: Mode) {
        tracing::debug!(addr = %self.addr, ?mode, "fault proxy mode set");
        let mut state = self.shared.state();
        state.dice = FaultDice::new(mode);
        // Sent while the lock is held: a connection rolls its fault and marks the mode generation
        // as seen under the same lock, so it cannot miss a change that comes after its roll.
        self.shared.mode_changes.send_modify(|generation| *generation += 1);
    }

    /// The mode currently set.
    pub fn mode(&self) -> Mode {
        self.shared.state().dice.mode().clone()
    }

    /// Resets (TCP RST) every connection the proxy has accepted and still has open, held ones
    /// included: a partition starting. New connections are handled by the current mode as usual.
    ///
    /// Returns at once; the resets go out on the proxy's thread a moment later.
    pub fn cut_all(&self) {
        tracing::debug!(addr = %self.addr, "fault proxy cutting every open connection");
        self.shared.cuts.send_modify(|generation| *generation += 1);
    }

    /// A snapshot of the counters.
    pub fn stats(&self) -> ProxyStats {
        let c = &self.shared.counters;
        let get = |a: &AtomicU64| a.load(Ordering::SeqCst);
        ProxyStats {
            accepted: get(&c.accepted),
            passed: get(&c.passed),
            delayed: get(&c.delayed),
            dropped: get(&c.dropped),
            abandoned: get(&c.abandoned),
            released: get(&c.released),
            reset: get(&c.reset),
            cut_armed: get(&c.cut_armed),
            cut_mid_body: get(&c.cut_mid_body),
            partition_cuts: get(&c.partition_cuts),
            upstream_failed: get(&c.upstream_failed),
            bytes_to_upstream: get(&c.bytes_to_upstream),
            bytes_to_client: get(&c.bytes_to_client),
        }
    }

    /// Every fault given so far, in the order the proxy handled connections. A black-holed
    /// connection released to a new mode appears again with its new fault.
    pub fn fault_log(&self) -> Vec<Fault> {
        self.shared.state().log.clone()
    }
}

impl Drop for FaultProxy {
    fn drop(&mut self) {
        if let Some(stop) = self.stop.take() {
            // An error only means the thread already ended.
            let _ = stop.send(());
        }
        if let Some(thread) = self.thread.take() {
            if thread.join().is_err() {
                tracing::error!(addr = %self.addr, "fault proxy thread panicked");
            }
        }
    }
}

/// What the handle and the proxy's thread share.
#[derive(Debug)]
struct Shared {
    state: Mutex<State>,
    counters: Counters,
    /// Bumped by `cut_all`; every open connection watches it.
    cuts: watch::Sender<u64>,
    /// Bumped by `set_mode`; held connections watch it.
    mode_changes: watch::Sender<u64>,
}

#[derive(Debug)]
struct State {
    dice: FaultDice,
    log: Vec<Fault>,
}

#[derive(Debug, Default)]
struct Counters {
    accepted: AtomicU64,
    passed: AtomicU64,
    delayed: AtomicU64,
    dropped: AtomicU64,
    abandoned: AtomicU64,
    released: AtomicU64,
    reset: AtomicU64,
    cut_armed: AtomicU64,
    cut_mid_body: AtomicU64,
    partition_cuts: AtomicU64,
    upstream_failed: AtomicU64,
    bytes_to_upstream: AtomicU64,
    bytes_to_client: AtomicU64,
}

fn bump(counter: &AtomicU64) {
    counter.fetch_add(1, Ordering::SeqCst);
}

impl Shared {
    fn new() -> Self {
        Self {
            state: Mutex::new(State { dice: FaultDice::new(Mode::Pass), log: Vec::new() }),
            counters: Counters::default(),
            cuts: watch::Sender::new(0),
            mode_changes: watch::Sender::new(0),
        }
    }

    fn state(&self) -> MutexGuard<'_, State> {
        // The state stays consistent even if a holder panicked: every write is a single assignment.
        self.state.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// Rolls the fault for a connection, logs it, and marks the current mode as seen by `modes`.
    fn roll(&self, modes: &mut watch::Receiver<u64>) -> Fault {
        let mut state = self.state();
        let fault = state.dice.roll();
        state.log.push(fault);
        modes.borrow_and_update();
        fault
    }
}

async fn accept_loop(listener: TcpListener, upstream: SocketAddr, shared: Arc<Shared>) {
    loop {
        match listener.accept().await {
            Ok((client, peer)) => {
                bump(&shared.counters.accepted);
                // Subscribed before the task starts, so a `cut_all` from now on reaches it.
                let cuts = shared.cuts.subscribe();
                let modes = shared.mode_changes.subscribe();
                tokio::spawn(serve(client, peer, upstream, Arc::clone(&shared), cuts, modes));
            }
            Err(e) => {
                // Usually EMFILE or a connection aborted before accept; neither should end the
                // proxy. The pause keeps a persistent error from spinning the thread.
                tracing::warn!(error = %e, "fault proxy accept failed");
                tokio::time::sleep(Duration::from_millis(10)).await;
            }
        }
    }
}

/// Sends a RST instead of a FIN when the socket is dropped.
fn reset(stream: TcpStream) {
    if let Err(e) = stream.set_zero_linger() {
        tracing::debug!(error = %e, "could not set SO_LINGER 0; closing normally");
    }
    drop(stream);
}

async fn serve(
    mut client: TcpStream,
    peer: SocketAddr,
    upstream: SocketAddr,
    shared: Arc<Shared>,
    mut cuts: watch::Receiver<u64>,
    mut modes: watch::Receiver<u64>,
) {
    let counters = &shared.counters;
    let mut held = Vec::new();
    loop {
        let fault = shared.roll(&mut modes);
        tracing::trace!(%peer, ?fault, "fault proxy connection");
        match fault {
            Fault::Reset => {
                bump(&counters.reset);
                reset(client);
                return;
            }
            Fault::Drop => {
                bump(&counters.dropped);
                match hold(&mut client, &mut held, &mut cuts, &mut modes).await {
                    Hold::Released => {
                        bump(&counters.released);
                        continue;
                    }
                    Hold::Abandoned => {
                        bump(&counters.abandoned);
                        return;
                    }
                    Hold::Cut => {
                        bump(&counters.partition_cuts);
                        reset(client);
                        return;
                    }
                    Hold::ProxyStopping => return,
                }
            }
            Fault::Pass | Fault::Delay(_) | Fault::CutMidBody { .. } => {
                let (delay, budget) = match fault {
                    Fault::Delay(by) => {
                        bump(&counters.delayed);
                        (Some(by), None)
                    }
                    Fault::CutMidBody { after_bytes } => {
                        bump(&counters.cut_armed);
                        (None, Some(after_bytes))
                    }
                    _ => {
                        bump(&counters.passed);
                        (None, None)
                    }
                };
                relay(client, held, upstream, &shared, &mut cuts, Faults { delay, budget }).await;
                return;
            }
        }
    }
}

enum Hold {
    Released,
    Abandoned,
    Cut,
    ProxyStopping,
}

/// The black hole: reads and keeps what the client sends, forwards nothing, until something ends it.
async fn hold(client: &mut TcpStream, held: &mut Vec<u8>, cuts: &mut watch::Receiver<u64>, modes: &mut watch::Receiver<u64>) -> Hold {
    loop {
        tokio::select! {
            changed = cuts.changed() => {
                return if changed.is_ok() { Hold::Cut } else { Hold::ProxyStopping };
            }
            changed = modes.changed() => {
                return if changed.is_ok() { Hold::Released } else { Hold::ProxyStopping };
            }
            read = client.read_buf(held), if held.len() < HELD_BYTES_MAX => match read {
                Ok(0) | Err(_) => return Hold::Abandoned,
                Ok(_) => {}
            },
        }
    }
}

/// The faults a forwarded connection carries.
#[derive(Clone, Copy)]
struct Faults {
    delay: Option<Duration>,
    budget: Option<usize>,
}

/// How a forwarded connection ended.
enum End {
    /// Both directions reached end of stream.
    Clean,
    /// A direction went over its byte budget.
    CutMidBody,
    /// `cut_all` was called.
    Partition,
    /// A read or write failed on one side.
    Failed(io::Error),
    /// The proxy is being dropped.
    ProxyStopping,
}

async fn relay(mut client: TcpStream, held: Vec<u8>, upstream: SocketAddr, shared: &Shared, cuts: &mut watch::Receiver<u64>, faults: Faults) {
    let counters = &shared.counters;
    let connected = tokio::select! {
        connected = TcpStream::connect(upstream) => connected,
        changed = cuts.changed() => {
            if changed.is_ok() {
                bump(&counters.partition_cuts);
                reset(client);
            }
            return;
        }
    };
    let mut server = match connected {
        Ok(server) => server,
        Err(e) => {
            tracing::debug!(%upstream, error = %e, "fault proxy could not reach upstream");
            bump(&counters.upstream_failed);
            reset(client);
            return;
        }
    };
    let end = {
        let (mut client_in, mut client_out) = client.split();
        let (mut server_in, mut server_out) = server.split();
        let up = pump(&mut client_in, &mut server_out, held, faults, &counters.bytes_to_upstream);
        let down = pump(&mut server_in, &mut client_out, Vec::new(), faults, &counters.bytes_to_client);
        tokio::pin!(up, down);
        let (mut up_done, mut down_done) = (false, false);
        loop {
            let pumped = tokio::select! {
                changed = cuts.changed() => {
                    break if changed.is_ok() { End::Partition } else { End::ProxyStopping };
                }
                pumped = &mut up, if !up_done => {
                    up_done = true;
                    pumped
                }
                pumped = &mut down, if !down_done => {
                    down_done = true;
                    pumped
                }
            };
            match pumped {
                Pumped::Eof => {}
                Pumped::OverBudget => break End::CutMidBody,
                Pumped::Failed(e) => break End::Failed(e),
            }
            if up_done && down_done {
                break End::Clean;
            }
        }
    };
    match end {
        End::Clean | End::ProxyStopping => {}
        End::CutMidBody => {
            bump(&counters.cut_mid_body);
            reset(client);
            reset(server);
        }
        End::Partition => {
            bump(&counters.partition_cuts);
            reset(client);
            reset(server);
        }
        End::Failed(e) => {
            // One side broke; resetting the other tells it at once instead of leaving it waiting.
            tracing::debug!(error = %e, "fault proxy connection failed");
            reset(client);
            reset(server);
        }
    }
}

enum Pumped {
    Eof,
    OverBudget,
    Failed(io::Error),
}

/// Copies one direction: `first` (bytes kept by a black hole), then everything read from `from`,
/// applying the delay per chunk and stopping at the byte budget.
async fn pump<R, W>(from: &mut R, to: &mut W, first: Vec<u8>, faults: Faults, bytes: &AtomicU64) -> Pumped
where
    R: AsyncRead + Unpin,
    W: AsyncWrite + Unpin,
{
    let mut sent = 0usize;
    let mut chunk = first;
    let mut buf = vec![0u8; CHUNK];
    loop {
        if chunk.is_empty() {
            match from.read(&mut buf).await {
                Ok(0) => {
                    // Pass the half-close on: an HTTP client may still wait for its response.
                    if let Err(e) = to.shutdown().await {
                        tracing::trace!(error = %e, "fault proxy could not pass on a half-close");
                    }
                    return Pumped::Eof;
                }
                Ok(n) => chunk.extend_from_slice(&buf[..n]),
                Err(e) => return Pumped::Failed(e),
            }
        }
        if let Some(by) = faults.delay {
            tokio::time::sleep(by).await;
        }
        let allowed = match faults.budget {
            Some(budget) => chunk.len().min(budget.saturating_sub(sent)),
            None => chunk.len(),
        };
        if allowed > 0 {
            if let Err(e) = to.write_all(&chunk[..allowed]).await {
                return Pumped::Failed(e);
            }
            sent += allowed;
            bytes.fetch_add(allowed as u64, Ordering::SeqCst);
        }
        if allowed < chunk.len() {
            return Pumped::OverBudget;
        }
        chunk.clear();
    }
}
