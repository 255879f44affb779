//! A simulated ESC/POS ticket printer speaking the real bytes, on a TCP port (like a network
//! printer on 9100) or on a pseudo-terminal (like a serial printer), so that tests, demos and
//! `kiosk sim printer` drive the production driver unchanged.
//!
//! It parses everything it receives with the incremental [`Parser`], lays it out with [`Replay`]
//! on its configured paper, answers `DLE EOT n` as a printer in the configured
//! [`PrinterCondition`] would (changeable while it runs), and collects each ticket at its cut as a
//! [`SimTicket`] (layout and text dump), also written to a folder when one is configured: the text
//! dump as `ticket-0001.txt` and, when the ticket font is available, the ticket as printed as
//! `ticket-0001.png` ([`TicketPicture`]). Without the font (Debian package
//! [`FONT_PACKAGE`]) the simulator logs one warning naming the package when it starts and keeps
//! writing text dumps: a missing font never stops it.
//!
//! Like a real printer it does not refuse data while offline: what it receives is laid out and
//! collected, tagged with the condition at the time of the cut ([`SimTicket::condition`]). That is
//! what lets a test see a driver that sends a ticket to a printer that said it could not print.
//!
//! Faults for tests and demos ([`Fault`]): never answering status requests, and dropping a TCP
//! connection after a number of bytes.
//!
//! ```
//! use std::time::Duration;
//! use device_drivers::escpos::sim::{PrinterSim, SimConfig};
//! use device_drivers::escpos::{DriverConfig, EscposPrinter, PrinterCondition, PrinterProfile, Ticket, TicketPrinter, TicketTemplate};
//! use device_drivers::transport::TcpTransport;
//!
//! let sim = PrinterSim::tcp("127.0.0.1:0", &SimConfig::default())?;
//! let address = sim.tcp_address().expect("listening on TCP").to_string();
//! let transport = TcpTransport::connect(address, Duration::from_secs(2), Duration::from_secs(2))?;
//! let mut printer = EscposPrinter::new(transport, DriverConfig::default());
//! assert_eq!(printer.status()?.describe(), "ready");
//!
//! let ticket = Ticket::sample(chrono::NaiveDate::from_ymd_opt(2026, 11, 25).unwrap().and_hms_opt(9, 0, 0).unwrap());
//! printer.print_ticket(&ticket, &TicketTemplate::default(), &PrinterProfile::default())?;
//! assert!(sim.tickets()[0].text.contains("A012"));
//!
//! sim.set_condition(PrinterCondition::CoverOpen);
//! assert!(printer.print_ticket(&ticket, &TicketTemplate::default(), &PrinterProfile::default()).is_err());
//! assert_eq!(sim.tickets().len(), 1);
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```
//!
//! Bytes are processed in order on one thread, and status answers are written after everything
//! received before the request has been processed; so once a driver has read the answer to a
//! status request sent after a ticket, [`PrinterSim::tickets`] already holds that ticket.

use std::io::{self, Read as _, Write as _};
use std::net::{Shutdown, SocketAddr, TcpListener, TcpStream, ToSocketAddrs};
use std::os::unix::io::AsRawFd as _;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Condvar, Mutex, MutexGuard, PoisonError};
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

use serial2::SerialPort;

use super::command::Command;
use super::layout::Layout;
use super::paper::PaperWidth;
use super::parser::{Event, Parser};
use super::render::{FONT_PACKAGE, PictureOptions, TicketFont, TicketPicture};
use super::replay::Replay;
use super::status::PrinterCondition;

/// How often the simulator's thread looks at its stop flag while idle.
const POLL: Duration = Duration::from_millis(20);

/// Simulator settings.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct SimConfig {
    /// The paper loaded (for wrapping and the dump).
    pub paper: PaperWidth,
    /// The condition at start.
    pub condition: PrinterCondition,
    /// Where each ticket's text dump (`ticket-0001.txt`, …) and picture (`ticket-0001.png`, …)
    /// are written, created if missing.
    pub dump_dir: Option<PathBuf>,
    /// The TrueType font ticket pictures are drawn with; `None` for
    /// [`DEFAULT_FONT_PATH`](super::render::DEFAULT_FONT_PATH) (Debian's [`FONT_PACKAGE`]). Only
    /// loaded when [`SimConfig::dump_dir`] is set.
    pub font_path: Option<PathBuf>,
}

/// A misbehaviour to simulate.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
#[non_exhaustive]
pub enum Fault {
    /// Behave.
    #[default]
    None,
    /// Parse everything but never answer `DLE EOT` (a printer in another mode, or a wrong port).
    NoAnswer,
    /// Answer this many `DLE EOT` requests from when the fault is set, then none (a printer
    /// that hangs while printing).
    StopAnsweringAfter(usize),
    /// Close each TCP connection once it has delivered this many bytes (only those are parsed), as
    /// when a cable is pulled mid-ticket. Ignored on a pty.
    DropAfter(usize),
}

/// A ticket the simulator received (everything up to and including a cut).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SimTicket {
    /// 1 for the first ticket since the simulator started.
    pub number: usize,
    /// What was printed.
    pub layout: Layout,
    /// [`Layout::to_text`] on the simulator's paper.
    pub text: String,
    /// The printer's condition when the cut arrived.
    pub condition: PrinterCondition,
    /// Where the dump was written, if a folder is configured and the write succeeded.
    pub dump_path: Option<PathBuf>,
    /// Where the picture was written, if a folder is configured, the font is available and the
    /// write succeeded.
    pub picture_path: Option<PathBuf>,
}

/// Where the simulator listens.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum Endpoint {
    /// A TCP address (the bound one, with the real port when 0 was asked for).
    Tcp(SocketAddr),
    /// The path of the pty's device side (e.g. `/dev/pts/7`): open it as a serial port.
    Pty(PathBuf),
}

impl std::fmt::Display for Endpoint {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Endpoint::Tcp(addr) => write!(f, "tcp://{addr}"),
            Endpoint::Pty(path) => write!(f, "{}", path.display()),
        }
    }
}

#[derive(Debug)]
struct State {
    condition: PrinterCondition,
    fault: Fault,
    /// `status_requests` when the fault was set.
    fault_set_at: usize,
    condition_after_cut: Option<PrinterCondition>,
    tickets: Vec<SimTicket>,
    pending: Layout,
    received: usize,
    status_requests: usize,
    unknown: usize,
    connections: usize,
}

#[derive(Debug)]
struct Shared {
    stop: AtomicBool,
    state: Mutex<State>,
    changed: Condvar,
    paper: PaperWidth,
    dump_dir: Option<PathBuf>,
    /// The font for pictures; `None` when no folder is configured or the font could not be loaded.
    font: Option<TicketFont>,
}

impl Shared {
    fn lock(&self) -> MutexGuard<'_, State> {
        // The state stays consistent between statements, so a panic elsewhere does not spoil it.
        self.state.lock().unwrap_or_else(PoisonError::into_inner)
    }
}

/// A running simulator; it stops when dropped.
#[derive(Debug)]
pub struct PrinterSim {
    shared: Arc<Shared>,
    endpoint: Endpoint,
    thread: Option<JoinHandle<()>>,
}

/// Parser and layout state of one byte stream; it outlives TCP connections, as a printer's
/// buffer does.
struct Engine {
    parser: Parser,
    replay: Replay,
}

impl Engine {
    fn new(paper: PaperWidth) -> Engine {
        Engine { parser: Parser::new(), replay: Replay::new(paper) }
    }

    /// Processes received bytes; returns the status answers to send.
    fn receive(&mut self, shared: &Shared, bytes: &[u8]) -> Vec<u8> {
        let events = self.parser.push(bytes);
        let mut state = shared.lock();
        state.received += bytes.len();
        let answers = self.apply(shared, &mut state, &events);
        drop(state);
        shared.changed.notify_all();
        answers
    }

    /// The stream ended (connection closed): flush what the parser holds.
    fn end_of_stream(&mut self, shared: &Shared) {
        let events = self.parser.finish();
        let mut state = shared.lock();
        self.apply(shared, &mut state, &events);
        drop(state);
        shared.changed.notify_all();
    }

    fn apply(&mut self, shared: &Shared, state: &mut State, events: &[Event]) -> Vec<u8> {
        let mut answers = Vec::new();
        for event in events {
            match event {
                Event::Command(Command::StatusRequest(request)) => {
                    state.status_requests += 1;
                    let answer = match state.fault {
                        Fault::NoAnswer => false,
                        Fault::StopAnsweringAfter(n) => state.status_requests - state.fault_set_at <= n,
                        Fault::None | Fault::DropAfter(_) => true,
                    };
                    if answer {
                        answers.push(state.condition.answer(*request));
                    }
                }
                Event::Command(Command::Cut(_)) => {
                    self.replay.apply(event);
                    let layout = self.replay.take_printed();
                    let number = state.tickets.len() + 1;
                    let text = layout.to_text(shared.paper);
                    let dump_path = shared.dump_dir.as_deref().and_then(|dir| write_dump(dir, number, &text));
                    let picture_path = match (shared.dump_dir.as_deref(), shared.font.as_ref()) {
                        (Some(dir), Some(font)) => write_picture(dir, number, &layout, shared.paper, font),
                        _ => None,
                    };
                    tracing::info!(number, condition = ?state.condition, "simulated printer cut a ticket");
                    state.tickets.push(SimTicket { number, layout, text, condition: state.condition, dump_path, picture_path });
                    if let Some(condition) = state.condition_after_cut.take() {
                        tracing::info!(?condition, "simulated printer changed its condition at the cut");
                        state.condition = condition;
                    }
                }
                Event::Unknown(_) | Event::Skipped(_) | Event::Truncated(_) => {
                    // Not kept: a long-running simulator fed garbage must not grow without bound.
                    state.unknown += 1;
                    tracing::debug!(?event, "simulated printer ignored bytes it does not understand");
                }
                _ => self.replay.apply(event),
            }
        }
        state.pending = self.replay.clone().finish();
        answers
    }
}

fn write_dump(dir: &Path, number: usize, text: &str) -> Option<PathBuf> {
    let path = dir.join(format!("ticket-{number:04}.txt"));
    match std::fs::create_dir_all(dir).and_then(|()| std::fs::write(&path, text)) {
        Ok(()) => Some(path),
        Err(error) => {
            tracing::warn!(path = %path.display(), %error, "could not write the simulated ticket's dump");
            None
        }
    }
}

fn write_picture(dir: &Path, number: usize, layout: &Layout, paper: PaperWidth, font: &TicketFont) -> Option<PathBuf> {
    let path = dir.join(format!("ticket-{number:04}.png"));
    let picture = TicketPicture::draw(layout, &PictureOptions::new(paper), font);
    if picture.is_truncated() {
        tracing::warn!(number, "the simulated ticket is longer than a picture holds; its picture stops at 2 m of paper");
    }
    match std::fs::create_dir_all(dir)
        .map_err(|source| super::render::PictureError::Write { path: dir.to_path_buf(), source })
        .and_then(|()| picture.save_png(&path))
    {
        Ok(()) => Some(path),
        Err(error) => {
            tracing::warn!(path = %path.display(), %error, "could not write the simulated ticket's picture");
            None
        }
    }
}

/// Loads the picture font when pictures are wanted; without it, warns (once: this runs when the
/// simulator starts) and carries on with text dumps only.
fn picture_font(config: &SimConfig) -> Option<TicketFont> {
    config.dump_dir.as_ref()?;
    let loaded = match &config.font_path {
        Some(path) => TicketFont::open(path),
        None => TicketFont::open_default(),
    };
    match loaded {
        Ok(font) => Some(font),
        Err(error) => {
            tracing::warn!(%error, package = FONT_PACKAGE, "the simulated printer writes text dumps only, no ticket pictures");
            None
        }
    }
}

impl PrinterSim {
    fn start(config: &SimConfig, endpoint: Endpoint, run: impl FnOnce(Arc<Shared>) + Send + 'static) -> io::Result<PrinterSim> {
        let shared = Arc::new(Shared {
            stop: AtomicBool::new(false),
            state: Mutex::new(State {
                condition: config.condition,
                fault: Fault::None,
                fault_set_at: 0,
                condition_after_cut: None,
                tickets: Vec::new(),
                pending: Layout::default(),
                received: 0,
                status_requests: 0,
                unknown: 0,
                connections: 0,
            }),
            changed: Condvar::new(),
            paper: config.paper,
            dump_dir: config.dump_dir.clone(),
            font: picture_font(config),
        });
        let thread_shared = Arc::clone(&shared);
        let thread = std::thread::Builder::new().name("printer-sim".into()).spawn(move || run(thread_shared))?;
        Ok(PrinterSim { shared, endpoint, thread: Some(thread) })
    }

    /// Starts a printer listening on `address` (e.g. `127.0.0.1:0` for any free port, or
    /// `0.0.0.0:9100`). It serves one connection at a time, as network printers do.
    ///
    /// # Errors
    /// When the address cannot be bound.
    pub fn tcp(address: impl ToSocketAddrs, config: &SimConfig) -> io::Result<PrinterSim> {
        let listener = TcpListener::bind(address)?;
        listener.set_nonblocking(true)?;
        let bound = listener.local_addr()?;
        let paper = config.paper;
        PrinterSim::start(config, Endpoint::Tcp(bound), move |shared| serve_tcp(&listener, &shared, paper))
    }

    /// Starts a printer on a new pseudo-terminal; open [`PrinterSim::pty_path`] as a serial port
    /// (any baud rate) to talk to it.
    ///
    /// # Errors
    /// When no pty can be created (or under qemu-user, whose termios emulation fails).
    pub fn pty(config: &SimConfig) -> io::Result<PrinterSim> {
        let (mut controller, device) = SerialPort::pair()?;
        let path = std::fs::read_link(format!("/proc/self/fd/{}", device.as_raw_fd()))?;
        controller.set_read_timeout(POLL)?;
        controller.set_write_timeout(Duration::from_secs(1))?;
        let paper = config.paper;
        // The device side stays open in the thread, so the controller does not see a hang-up each
        // time a driver closes it.
        PrinterSim::start(config, Endpoint::Pty(path), move |shared| serve_pty(&controller, &device, &shared, paper))
    }

    /// Where it listens.
    pub fn endpoint(&self) -> &Endpoint {
        &self.endpoint
    }

    /// The TCP address, when on TCP.
    pub fn tcp_address(&self) -> Option<SocketAddr> {
        match &self.endpoint {
            Endpoint::Tcp(addr) => Some(*addr),
            Endpoint::Pty(_) => None,
        }
    }

    /// The pty's device path, when on a pty.
    pub fn pty_path(&self) -> Option<&Path> {
        match &self.endpoint {
            Endpoint::Pty(path) => Some(path),
            Endpoint::Tcp(_) => None,
        }
    }

    /// The paper loaded.
    pub fn paper(&self) -> PaperWidth {
        self.shared.paper
    }

    /// The current condition.
    pub fn condition(&self) -> PrinterCondition {
        self.shared.lock().condition
    }

    /// Changes the condition; status requests from now on are answered accordingly.
    pub fn set_condition(&self, condition: PrinterCondition) {
        self.shared.lock().condition = condition;
    }

    /// Changes the condition when the next ticket is cut, e.g. to [`PrinterCondition::PaperEnd`]
    /// for a roll that runs out with that ticket, or the cover opened while it printed.
    pub fn set_condition_after_next_cut(&self, condition: PrinterCondition) {
        self.shared.lock().condition_after_cut = Some(condition);
    }

    /// Sets (or clears, with [`Fault::None`]) a fault.
    pub fn set_fault(&self, fault: Fault) {
        let mut state = self.shared.lock();
        state.fault = fault;
        state.fault_set_at = state.status_requests;
    }

    /// Every ticket received so far, oldest first.
    pub fn tickets(&self) -> Vec<SimTicket> {
        self.shared.lock().tickets.clone()
    }

    /// What has been received since the last cut (nothing, after a complete ticket).
    pub fn pending(&self) -> Layout {
        self.shared.lock().pending.clone()
    }

    /// Bytes received in total.
    pub fn bytes_received(&self) -> usize {
        self.shared.lock().received
    }

    /// `DLE EOT` requests received in total (answered or not).
    pub fn status_requests(&self) -> usize {
        self.shared.lock().status_requests
    }

    /// Commands or bytes received that the parser does not understand.
    pub fn unknown_commands(&self) -> usize {
        self.shared.lock().unknown
    }

    /// TCP connections accepted so far (0 on a pty).
    pub fn connections(&self) -> usize {
        self.shared.lock().connections
    }

    /// Waits up to `timeout` for the ticket numbered `number` (1 is the first) and returns it;
    /// `None` when it has not arrived by then. For a CLI that reports each ticket as it comes.
    pub fn wait_for_ticket(&self, number: usize, timeout: Duration) -> Option<SimTicket> {
        let deadline = Instant::now() + timeout;
        let mut state = self.shared.lock();
        loop {
            if number >= 1
                && let Some(ticket) = state.tickets.get(number - 1)
            {
                return Some(ticket.clone());
            }
            let left = deadline.checked_duration_since(Instant::now())?;
            state = self.shared.changed.wait_timeout(state, left).unwrap_or_else(PoisonError::into_inner).0;
        }
    }

    /// Stops the simulator and waits for its thread (also done on drop).
    pub fn stop(mut self) {
        self.halt();
    }

    fn halt(&mut self) {
        self.shared.stop.store(true, Ordering::Relaxed);
        if let Some(thread) = self.thread.take()
            && thread.join().is_err()
        {
            tracing::error!("the printer simulator's thread panicked");
        }
    }
}

impl Drop for PrinterSim {
    fn drop(&mut self) {
        self.halt();
    }
}

fn stopping(shared: &Shared) -> bool {
    shared.stop.load(Ordering::Relaxed)
}

fn serve_tcp(listener: &TcpListener, shared: &Shared, paper: PaperWidth) {
    let mut engine = Engine::new(paper);
    while !stopping(shared) {
        match listener.accept() {
            Ok((stream, peer)) => {
                shared.lock().connections += 1;
                tracing::info!(%peer, "simulated printer accepted a connection");
                if let Err(error) = serve_connection(stream, shared, &mut engine) {
                    tracing::info!(%peer, %error, "simulated printer's connection ended with an error");
                }
                engine.end_of_stream(shared);
            }
            Err(e) if e.kind() == io::ErrorKind::WouldBlock => std::thread::sleep(POLL),
            Err(error) => {
                tracing::warn!(%error, "simulated printer could not accept a connection");
                std::thread::sleep(POLL);
            }
        }
    }
}

fn serve_connection(mut stream: TcpStream, shared: &Shared, engine: &mut Engine) -> io::Result<()> {
    stream.set_nonblocking(false)?;
    stream.set_read_timeout(Some(POLL))?;
    stream.set_nodelay(true)?;
    let mut delivered = 0usize;
    let mut buf = [0u8; 4096];
    while !stopping(shared) {
        let n = match stream.read(&mut buf) {
            Ok(0) => return Ok(()),
            Ok(n) => n,
            Err(e) if matches!(e.kind(), io::ErrorKind::WouldBlock | io::ErrorKind::TimedOut | io::ErrorKind::Interrupted) => continue,
            Err(e) => return Err(e),
        };
        let drop_after = match shared.lock().fault {
            Fault::DropAfter(limit) => Some(limit),
            _ => None,
        };
        let take = drop_after.map_or(n, |limit| n.min(limit.saturating_sub(delivered)));
        delivered += take;
        let answers = engine.receive(shared, &buf[..take]);
        if drop_after.is_some_and(|limit| delivered >= limit) {
            tracing::info!(bytes = delivered, "simulated printer dropping the connection (fault)");
            return stream.shutdown(Shutdown::Both);
        }
        if !answers.is_empty() {
            stream.write_all(&answers)?;
        }
    }
    Ok(())
}

fn serve_pty(controller: &SerialPort, _device: &SerialPort, shared: &Shared, paper: PaperWidth) {
    let mut engine = Engine::new(paper);
    let mut buf = [0u8; 4096];
    while !stopping(shared) {
        match controller.read(&mut buf) {
            Ok(0) => std::thread::sleep(POLL),
            Ok(n) => {
                let answers = engine.receive(shared, &buf[..n]);
                if !answers.is_empty()
                    && let Err(error) = controller.write_all(&answers)
                {
                    tracing::warn!(%error, "simulated printer could not answer on its pty");
                }
            }
            Err(e) if matches!(e.kind(), io::ErrorKind::WouldBlock | io::ErrorKind::TimedOut | io::ErrorKind::Interrupted) => {}
            Err(error) => {
                tracing::warn!(%error, "simulated printer's pty failed");
                std::thread::sleep(POLL);
            }
        }
    }
}
