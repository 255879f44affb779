//! A simulated LED panel: a Modbus-RTU slave with the [`registers`](super::registers) map, on the
//! far end of a pty, so that tests (and a technician's `kiosk sim led --pty`) drive the
//! production [`ModbusPanel`](super::ModbusPanel).
//!
//! [`SimPanel`] is the panel's logic, sans-IO: a request frame in, the answer bytes out, and
//! its registers, front buffer and effect clock kept as a real controller keeps them.
//! [`PanelSim::pty`] runs it on a thread and gives the pty's path ([`PanelSim::tcp`]: behind a
//! simulated serial-to-Ethernet gateway); the [`PanelSim`] handle
//! injects [`Fault`]s, reads what is shown, and draws any frame to a PNG.

use std::io::{self, Read as _, Write as _};
use std::net::{SocketAddr, TcpListener, TcpStream, ToSocketAddrs};
use std::os::unix::io::AsRawFd;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Condvar, Mutex, MutexGuard, PoisonError};
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

use serde::{Deserialize, Serialize};
use serial2::SerialPort;
use tracing::{debug, info, warn};

use super::bitmap::{Bitmap, Geometry};
use super::effect::{BLINK_PERIOD_MS, Effect, MAX_SCROLL_GAP, SCROLL_SPEED, Scene};
use super::modbus::{ExceptionCode, Frame, FrameDecoder, Request, Response, SlaveAddress};
use super::picture::{DotStyle, render_png};
use super::registers::{self as reg, PanelStatus};

/// A misbehaviour of the simulated panel, injected on demand.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[non_exhaustive]
pub enum Fault {
    /// Requests are received (and acted on) but not answered: a broken transmit line, or a
    /// panel whose controller hangs.
    NoAnswer,
    /// Answers carry a wrong CRC.
    BadCrc,
    /// Requests are refused with this exception and not acted on.
    Exception(ExceptionCode),
}

/// A fault name that [`Fault::from_str`](std::str::FromStr) does not know.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("unknown fault {0:?}: use no-answer, bad-crc or exception:<code in hex> (e.g. exception:04)")]
pub struct UnknownFault(pub String);

/// Parses the names a CLI takes: `no-answer`, `bad-crc`, `exception:<hex code>`.
impl std::str::FromStr for Fault {
    type Err = UnknownFault;

    fn from_str(s: &str) -> Result<Self, UnknownFault> {
        match s.split_once(':') {
            None if s == "no-answer" => Ok(Fault::NoAnswer),
            None if s == "bad-crc" => Ok(Fault::BadCrc),
            Some(("exception", hex)) => u8::from_str_radix(hex, 16).map(|b| Fault::Exception(ExceptionCode::from_byte(b))).map_err(|_| UnknownFault(s.into())),
            _ => Err(UnknownFault(s.into())),
        }
    }
}

/// An injected fault and how many more requests it affects (`None`: until cleared).
#[derive(Debug, Clone, Copy)]
struct Injected {
    fault: Fault,
    remaining: Option<u32>,
}

/// Options of a simulated panel (what `kiosk sim led` takes).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SimOptions {
    /// Its size.
    pub geometry: Geometry,
    /// Its slave address.
    pub slave: SlaveAddress,
    /// When set, every show writes `led-NNNN.png` (the first frame) here.
    pub snapshot_dir: Option<PathBuf>,
}

impl SimOptions {
    /// A panel of `geometry` at slave address 1, writing no snapshots.
    pub fn new(geometry: Geometry) -> SimOptions {
        SimOptions { geometry, slave: SlaveAddress::DEFAULT, snapshot_dir: None }
    }
}

/// The simulated panel's logic.
#[derive(Debug, Clone)]
pub struct SimPanel {
    slave: SlaveAddress,
    geometry: Geometry,
    /// The back buffer, as registers.
    back: Vec<u16>,
    /// Registers 0x0010–0x0014: content width, blink times, blink period, scroll speed, gap.
    control: [u16; 5],
    brightness: u16,
    /// What is shown and since when; `None` when cleared.
    front: Option<(Scene, Instant)>,
    show_count: u16,
    led_fault: bool,
    faults: Vec<Injected>,
    requests: u64,
}

impl SimPanel {
    /// A dark panel of `geometry` at `slave`, full brightness.
    pub fn new(geometry: Geometry, slave: SlaveAddress) -> SimPanel {
        SimPanel {
            slave,
            geometry,
            back: vec![0; usize::from(reg::BITMAP_CAPACITY)],
            control: [geometry.width(), 0, Effect::CALL.blink_period_ms, Effect::CALL.scroll_speed, Effect::CALL.scroll_gap],
            brightness: u16::from(reg::MAX_BRIGHTNESS),
            front: None,
            show_count: 0,
            led_fault: false,
            faults: Vec::new(),
            requests: 0,
        }
    }

    /// The panel's size.
    pub fn geometry(&self) -> Geometry {
        self.geometry
    }

    /// What is shown, and when it was shown; `None` after a clear or before the first show.
    pub fn front(&self) -> Option<(&Scene, Instant)> {
        self.front.as_ref().map(|(s, t)| (s, *t))
    }

    /// The frame `since` the current scene was shown (dark when cleared).
    pub fn frame_at(&self, since: Duration) -> Bitmap {
        self.front.as_ref().map_or_else(|| Bitmap::blank(self.geometry), |(s, _)| s.frame_at(since))
    }

    /// Shows done.
    pub fn show_count(&self) -> u16 {
        self.show_count
    }

    /// Brightness level in use.
    pub fn brightness(&self) -> u16 {
        self.brightness
    }

    /// Requests addressed to this panel (or broadcast) so far.
    pub fn requests(&self) -> u64 {
        self.requests
    }

    /// Sets the "LED fault" status bit (failed LEDs, a module not answering).
    pub fn set_led_fault(&mut self, fault: bool) {
        self.led_fault = fault;
    }

    /// Activates `fault` for the next `times` requests, or until cleared when `None`.
    pub fn inject(&mut self, fault: Fault, times: Option<u32>) {
        self.faults.push(Injected { fault, remaining: times });
    }

    /// Deactivates every fault.
    pub fn clear_faults(&mut self) {
        self.faults.clear();
    }

    fn take_fault(&mut self) -> Option<Fault> {
        let injected = self.faults.iter_mut().find(|f| f.remaining != Some(0))?;
        let fault = injected.fault;
        if let Some(n) = &mut injected.remaining {
            *n -= 1;
        }
        self.faults.retain(|f| f.remaining != Some(0));
        Some(fault)
    }

    /// The identity and status registers as they read `now`.
    pub fn status(&self, now: Instant) -> PanelStatus {
        let animating = self.front.as_ref().is_some_and(|(scene, at)| scene.scrolls() || now.saturating_duration_since(*at) < scene.effect.blink_duration());
        PanelStatus {
            map_version: reg::MAP_VERSION,
            geometry: self.geometry,
            capacity: reg::BITMAP_CAPACITY,
            showing: self.front.is_some(),
            animating,
            led_fault: self.led_fault,
            show_count: self.show_count,
            brightness: u8::try_from(self.brightness).unwrap_or(reg::MAX_BRIGHTNESS),
        }
    }

    /// Handles one decoded frame received `now`; returns the bytes to answer (none for another
    /// slave's frame, a broadcast, or the [`Fault::NoAnswer`] fault).
    pub fn handle(&mut self, frame: &Frame, now: Instant) -> Option<Vec<u8>> {
        let broadcast = frame.address == 0;
        if !broadcast && frame.address != self.slave.get() {
            return None;
        }
        self.requests += 1;
        let fault = self.take_fault();
        let response = match fault {
            Some(Fault::Exception(code)) => Response::Exception { function: frame.pdu.first().copied().unwrap_or(0) & 0x7F, code },
            _ => self.execute(&frame.pdu, now),
        };
        if broadcast || fault == Some(Fault::NoAnswer) {
            return None;
        }
        let mut bytes = response.encode(self.slave);
        if fault == Some(Fault::BadCrc)
            && let Some(last) = bytes.last_mut()
        {
            *last ^= 0xFF;
        }
        Some(bytes)
    }

    /// Carries out a request's PDU.
    fn execute(&mut self, pdu: &[u8], now: Instant) -> Response {
        let function = pdu.first().copied().unwrap_or(0);
        let refuse = |code| Response::Exception { function: function & 0x7F, code };
        let request = match Request::parse(pdu) {
            Ok(r) => r,
            Err(_) => return refuse(ExceptionCode::IllegalDataValue),
        };
        match request {
            Request::ReadHoldingRegisters { start, count } => match self.read(start, count, now) {
                Some(values) => Response::ReadHoldingRegisters { values },
                None => refuse(ExceptionCode::IllegalDataAddress),
            },
            Request::WriteMultipleRegisters { start, values } => match self.write(start, &values, now) {
                Ok(()) => Response::WriteMultipleRegisters { start, count: u16::try_from(values.len()).unwrap_or(u16::MAX) },
                Err(code) => refuse(code),
            },
            Request::Other { .. } => refuse(ExceptionCode::IllegalFunction),
        }
    }

    /// Registers `start..start + count`, or `None` if any is outside the map.
    fn read(&self, start: u16, count: u16, now: Instant) -> Option<Vec<u16>> {
        let end = u32::from(start) + u32::from(count);
        let within = |from: u16, len: u16| u32::from(start) >= u32::from(from) && end <= u32::from(from) + u32::from(len);
        let offset = |from: u16| usize::from(start - from);
        let count = usize::from(count);
        if within(reg::IDENTITY, reg::IDENTITY_LEN) {
            Some(self.status(now).to_registers()[offset(reg::IDENTITY)..][..count].to_vec())
        } else if within(reg::CONTROL, reg::CONTROL_LEN) {
            let mut control = self.control.to_vec();
            control.extend([0, self.brightness]);
            Some(control[offset(reg::CONTROL)..][..count].to_vec())
        } else if within(reg::BITMAP, reg::BITMAP_CAPACITY) {
            Some(self.back[offset(reg::BITMAP)..][..count].to_vec())
        } else {
            None
        }
    }

    /// Writes `values` from `start`: all checked first, so a refused write changes nothing.
    fn write(&mut self, start: u16, values: &[u16], now: Instant) -> Result<(), ExceptionCode> {
        let end = u32::from(start) + u32::try_from(values.len()).unwrap_or(u32::MAX);
        if u32::from(start) >= u32::from(reg::BITMAP) && end <= u32::from(reg::BITMAP) + u32::from(reg::BITMAP_CAPACITY) {
            let at = usize::from(start - reg::BITMAP);
            self.back[at..at + values.len()].copy_from_slice(values);
            return Ok(());
        }
        if !(u32::from(start) >= u32::from(reg::CONTROL) && end <= u32::from(reg::CONTROL) + u32::from(reg::CONTROL_LEN)) {
            return Err(ExceptionCode::IllegalDataAddress);
        }
        let writes: Vec<(u16, u16)> = (start..).zip(values.iter().copied()).collect();
        for &(address, value) in &writes {
            let ok = match address {
                reg::REG_CONTENT_WIDTH => reg::content_width_fits(value, self.geometry),
                reg::REG_BLINK_TIMES => value <= 255,
                reg::REG_BLINK_PERIOD => BLINK_PERIOD_MS.contains(&value),
                reg::REG_SCROLL_SPEED => SCROLL_SPEED.contains(&value),
                reg::REG_SCROLL_GAP => value <= MAX_SCROLL_GAP,
                reg::REG_COMMAND => matches!(value, reg::COMMAND_SHOW | reg::COMMAND_CLEAR),
                reg::REG_BRIGHTNESS => value <= u16::from(reg::MAX_BRIGHTNESS),
                _ => false,
            };
            if !ok {
                return Err(ExceptionCode::IllegalDataValue);
            }
        }
        for (address, value) in writes {
            match address {
                reg::REG_COMMAND if value == reg::COMMAND_SHOW => self.show(now)?,
                reg::REG_COMMAND => {
                    info!("simulated LED panel cleared");
                    self.front = None;
                }
                reg::REG_BRIGHTNESS => self.brightness = value,
                _ => self.control[usize::from(address - reg::CONTROL)] = value,
            }
        }
        Ok(())
    }

    /// Command "show": the back buffer goes to the front, the effect clock restarts.
    fn show(&mut self, now: Instant) -> Result<(), ExceptionCode> {
        let [width, blink_times, blink_period_ms, scroll_speed, scroll_gap] = self.control;
        let len = usize::from(width / 8) * usize::from(self.geometry.height());
        let bytes = reg::registers_to_bytes(&self.back[..len.div_ceil(2)], len);
        let content = Bitmap::from_bytes(width, self.geometry.height(), bytes).map_err(|_| ExceptionCode::IllegalDataValue)?;
        let effect = Effect { blink_times: u8::try_from(blink_times).unwrap_or(u8::MAX), blink_period_ms, scroll_speed, scroll_gap };
        self.front = Some((Scene { geometry: self.geometry, content, effect }, now));
        self.show_count = self.show_count.wrapping_add(1);
        info!(width, ?effect, shows = self.show_count, "simulated LED panel shows new content");
        Ok(())
    }
}

/// How often the serving thread checks whether it should stop.
const POLL: Duration = Duration::from_millis(20);

struct Shared {
    stop: AtomicBool,
    panel: Mutex<SimPanel>,
    changed: Condvar,
    snapshot_dir: Option<PathBuf>,
}

impl Shared {
    fn lock(&self) -> MutexGuard<'_, SimPanel> {
        // The panel's state is consistent between statements, so a panic elsewhere does not spoil it.
        self.panel.lock().unwrap_or_else(PoisonError::into_inner)
    }
}

/// Where a simulated panel listens.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum Endpoint {
    /// A pseudo-terminal: open this path as the panel's serial port.
    Pty(PathBuf),
    /// A TCP address, as an RS-485-to-Ethernet gateway in transparent mode ("RTU over TCP").
    Tcp(SocketAddr),
}

/// A running simulated panel; it stops when dropped.
pub struct PanelSim {
    shared: Arc<Shared>,
    endpoint: Endpoint,
    thread: Option<JoinHandle<()>>,
}

impl std::fmt::Debug for PanelSim {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("PanelSim").field("endpoint", &self.endpoint).finish_non_exhaustive()
    }
}

impl PanelSim {
    fn start(options: &SimOptions, endpoint: Endpoint, run: impl FnOnce(Arc<Shared>) + Send + 'static) -> io::Result<PanelSim> {
        let shared = Arc::new(Shared {
            stop: AtomicBool::new(false),
            panel: Mutex::new(SimPanel::new(options.geometry, options.slave)),
            changed: Condvar::new(),
            snapshot_dir: options.snapshot_dir.clone(),
        });
        let thread_shared = Arc::clone(&shared);
        let thread = std::thread::Builder::new().name("led-sim".into()).spawn(move || run(thread_shared))?;
        info!(?endpoint, geometry = %options.geometry, slave = %options.slave, "simulated LED panel listening");
        Ok(PanelSim { shared, endpoint, thread: Some(thread) })
    }

    /// Starts a panel on a new pseudo-terminal; open [`PanelSim::pty_path`] as a serial port (any
    /// baud rate) to talk to it. This is `kiosk sim led --pty`.
    ///
    /// # Errors
    /// When no pty can be created (or under qemu-user, whose termios emulation fails).
    pub fn pty(options: &SimOptions) -> io::Result<PanelSim> {
        let (mut controller, device) = SerialPort::pair()?;
        let path = std::fs::read_link(format!("/proc/self/fd/{}", device.as_raw_fd()))?;
        controller.set_read_timeout(POLL)?;
        controller.set_write_timeout(Duration::from_secs(1))?;
        // The device side stays open in the thread, so the controller does not see a hang-up each
        // time a driver closes it.
        PanelSim::start(options, Endpoint::Pty(path), move |shared| serve_pty(&controller, &device, &shared))
    }

    /// Starts a panel behind a simulated serial-to-Ethernet gateway listening on `address` (e.g.
    /// `127.0.0.1:0` for any free port); one connection at a time, as such gateways do.
    ///
    /// # Errors
    /// When the address cannot be bound.
    pub fn tcp(address: impl ToSocketAddrs, options: &SimOptions) -> io::Result<PanelSim> {
        let listener = TcpListener::bind(address)?;
        listener.set_nonblocking(true)?;
        let bound = listener.local_addr()?;
        PanelSim::start(options, Endpoint::Tcp(bound), move |shared| serve_tcp(&listener, &shared))
    }

    /// Where it listens.
    pub fn endpoint(&self) -> &Endpoint {
        &self.endpoint
    }

    /// The pty to open as the panel's serial port (a pty simulator).
    pub fn pty_path(&self) -> Option<&Path> {
        match &self.endpoint {
            Endpoint::Pty(path) => Some(path),
            Endpoint::Tcp(_) => None,
        }
    }

    /// The address to connect to (a TCP simulator).
    pub fn tcp_address(&self) -> Option<SocketAddr> {
        match &self.endpoint {
            Endpoint::Tcp(address) => Some(*address),
            Endpoint::Pty(_) => None,
        }
    }

    /// A copy of the panel's state now.
    pub fn panel(&self) -> SimPanel {
        self.shared.lock().clone()
    }

    /// What is shown; `None` when cleared or before the first show.
    pub fn scene(&self) -> Option<Scene> {
        self.shared.lock().front().map(|(s, _)| s.clone())
    }

    /// The frame `since` the current scene was shown.
    pub fn frame_at(&self, since: Duration) -> Bitmap {
        self.shared.lock().frame_at(since)
    }

    /// The frame on the panel at this moment.
    pub fn frame_now(&self) -> Bitmap {
        let panel = self.shared.lock();
        let since = panel.front().map_or(Duration::ZERO, |(_, at)| at.elapsed());
        panel.frame_at(since)
    }

    /// The frame `since` the show as a PNG (`None`: the frame on the panel at this moment).
    ///
    /// # Errors
    /// When encoding fails.
    pub fn png(&self, since: Option<Duration>, style: &DotStyle) -> Result<Vec<u8>, png::EncodingError> {
        let frame = since.map_or_else(|| self.frame_now(), |t| self.frame_at(t));
        render_png(&frame, style)
    }

    /// Activates `fault` for the next `times` requests, or until cleared when `None`.
    pub fn inject(&self, fault: Fault, times: Option<u32>) {
        self.shared.lock().inject(fault, times);
    }

    /// Deactivates every fault.
    pub fn clear_faults(&self) {
        self.shared.lock().clear_faults();
    }

    /// Sets the "LED fault" status bit.
    pub fn set_led_fault(&self, fault: bool) {
        self.shared.lock().set_led_fault(fault);
    }

    /// Waits until `count` shows have been done (or `timeout` passes); returns the scene shown.
    pub fn wait_for_show(&self, count: u16, timeout: Duration) -> Option<Scene> {
        let deadline = Instant::now() + timeout;
        let mut panel = self.shared.lock();
        while panel.show_count() < count {
            let left = deadline.saturating_duration_since(Instant::now());
            if left.is_zero() {
                return None;
            }
            panel = self.shared.changed.wait_timeout(panel, left).unwrap_or_else(PoisonError::into_inner).0;
        }
        panel.front().map(|(s, _)| s.clone())
    }

    /// Stops the panel and closes its pty.
    pub fn stop(mut self) {
        self.halt();
    }

    fn halt(&mut self) {
        self.shared.stop.store(true, Ordering::Relaxed);
        if let Some(thread) = self.thread.take()
            && thread.join().is_err()
        {
            tracing::error!("the LED panel simulator's thread panicked");
        }
    }
}

impl Drop for PanelSim {
    fn drop(&mut self) {
        self.halt();
    }
}

fn stopping(shared: &Shared) -> bool {
    shared.stop.load(Ordering::Relaxed)
}

fn quiet(e: &io::Error) -> bool {
    matches!(e.kind(), io::ErrorKind::WouldBlock | io::ErrorKind::TimedOut | io::ErrorKind::Interrupted)
}

/// Feeds received bytes to the panel; returns the answers to send.
fn receive(shared: &Shared, decoder: &mut FrameDecoder, bytes: &[u8]) -> Vec<u8> {
    decoder.push(bytes);
    let mut answers = Vec::new();
    while let Some(decoded) = decoder.next_frame() {
        let frame = match decoded {
            Ok(frame) => frame,
            Err(error) => {
                debug!(%error, "simulated LED panel skipped a byte");
                continue;
            }
        };
        let (answer, snapshot) = {
            let mut panel = shared.lock();
            let shows = panel.show_count();
            let answer = panel.handle(&frame, Instant::now());
            let snapshot = (panel.show_count() != shows).then(|| (panel.show_count(), panel.frame_at(Duration::ZERO)));
            (answer, snapshot)
        };
        // The snapshot is on disk before anyone waiting for the show is woken.
        if let (Some((number, frame)), Some(dir)) = (snapshot, &shared.snapshot_dir) {
            write_snapshot(dir, number, &frame);
        }
        shared.changed.notify_all();
        answers.extend(answer.unwrap_or_default());
    }
    answers
}

fn serve_pty(controller: &SerialPort, _device: &SerialPort, shared: &Shared) {
    let mut decoder = FrameDecoder::requests();
    let mut buf = [0u8; 1024];
    while !stopping(shared) {
        match controller.read(&mut buf) {
            Ok(0) => std::thread::sleep(POLL),
            Ok(n) => {
                let answers = receive(shared, &mut decoder, &buf[..n]);
                if !answers.is_empty()
                    && let Err(error) = controller.write_all(&answers)
                {
                    warn!(%error, "simulated LED panel could not answer on its pty");
                }
            }
            Err(e) if quiet(&e) => {}
            Err(error) => {
                warn!(%error, "simulated LED panel's pty failed");
                std::thread::sleep(POLL);
            }
        }
    }
}

fn serve_tcp(listener: &TcpListener, shared: &Shared) {
    while !stopping(shared) {
        match listener.accept() {
            Ok((stream, peer)) => {
                info!(%peer, "simulated LED panel gateway accepted a connection");
                if let Err(error) = serve_connection(stream, shared) {
                    info!(%peer, %error, "simulated LED panel gateway's connection ended with an error");
                }
            }
            Err(e) if quiet(&e) => std::thread::sleep(POLL),
            Err(error) => {
                warn!(%error, "simulated LED panel gateway could not accept a connection");
                std::thread::sleep(POLL);
            }
        }
    }
}

fn serve_connection(mut stream: TcpStream, shared: &Shared) -> io::Result<()> {
    stream.set_nonblocking(false)?;
    stream.set_read_timeout(Some(POLL))?;
    stream.set_nodelay(true)?;
    // A new connection is a new byte stream: nothing of the last one carries over.
    let mut decoder = FrameDecoder::requests();
    let mut buf = [0u8; 1024];
    while !stopping(shared) {
        match stream.read(&mut buf) {
            Ok(0) => return Ok(()),
            Ok(n) => {
                let answers = receive(shared, &mut decoder, &buf[..n]);
                if !answers.is_empty() {
                    stream.write_all(&answers)?;
                }
            }
            Err(e) if quiet(&e) => {}
            Err(e) => return Err(e),
        }
    }
    Ok(())
}

fn write_snapshot(dir: &Path, number: u16, frame: &Bitmap) {
    let path = dir.join(format!("led-{number:04}.png"));
    let result = render_png(frame, &DotStyle::default()).map_err(io::Error::other).and_then(|png| {
        std::fs::create_dir_all(dir)?;
        std::fs::write(&path, png)
    });
    match result {
        Ok(()) => info!(path = %path.display(), "simulated LED panel wrote a snapshot"),
        Err(error) => warn!(path = %path.display(), %error, "could not write the simulated panel's snapshot"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::led::text::render_text;

    fn frame_of(bytes: &[u8]) -> Frame {
        let mut d = FrameDecoder::requests();
        d.push(bytes);
        d.next_frame().expect("a frame").expect("valid")
    }

    fn ask(panel: &mut SimPanel, request: &Request) -> Response {
        let answer = panel.handle(&frame_of(&request.encode(SlaveAddress::DEFAULT)), Instant::now()).expect("an answer");
        let mut d = FrameDecoder::responses();
        d.push(&answer);
        Response::parse(&d.next_frame().expect("a frame").expect("valid").pdu).expect("parses")
    }

    #[test]
    fn an_upload_shows_only_at_the_commit() {
        let g = Geometry::WINDOW_128X16;
        let mut panel = SimPanel::new(g, SlaveAddress::DEFAULT);
        let content = render_text("A012 3号窗口", g).content;
        let scene = Scene { geometry: g, content: content.clone(), effect: Effect::STEADY };
        let requests = reg::upload(&scene);
        let (commit, bitmap) = requests.split_last().expect("requests");
        for r in bitmap {
            assert!(matches!(ask(&mut panel, r), Response::WriteMultipleRegisters { .. }));
        }
        assert!(panel.front().is_none(), "nothing shown before the commit");
        assert!(matches!(ask(&mut panel, commit), Response::WriteMultipleRegisters { start: 0x10, count: 6 }));
        assert_eq!(panel.front().map(|(s, _)| s.clone()), Some(scene));
        assert_eq!(panel.frame_at(Duration::ZERO), content);
        assert_eq!(panel.show_count(), 1);
        // Clear.
        assert!(matches!(ask(&mut panel, &reg::clear()), Response::WriteMultipleRegisters { .. }));
        assert!(panel.front().is_none());
        assert!(panel.frame_at(Duration::ZERO).is_dark());
    }

    #[test]
    fn bad_addresses_values_and_functions_get_exceptions_and_change_nothing() {
        let mut panel = SimPanel::new(Geometry::WINDOW_64X16, SlaveAddress::DEFAULT);
        let exception = |code| Response::Exception { function: 0x10, code };
        // Identity registers are read-only; 0x0100 is unmapped.
        assert_eq!(ask(&mut panel, &Request::WriteMultipleRegisters { start: 0x0002, values: vec![1] }), exception(ExceptionCode::IllegalDataAddress));
        assert_eq!(ask(&mut panel, &Request::WriteMultipleRegisters { start: 0x0100, values: vec![1] }), exception(ExceptionCode::IllegalDataAddress));
        // Past the end of the bitmap.
        assert_eq!(ask(&mut panel, &Request::WriteMultipleRegisters { start: 0x1FFF, values: vec![1, 2] }), exception(ExceptionCode::IllegalDataAddress));
        // Content width not a multiple of 8; the brightness written with it is not applied.
        assert_eq!(ask(&mut panel, &Request::WriteMultipleRegisters { start: 0x0010, values: vec![65] }), exception(ExceptionCode::IllegalDataValue));
        assert_eq!(ask(&mut panel, &Request::WriteMultipleRegisters { start: 0x0015, values: vec![9] }), exception(ExceptionCode::IllegalDataValue));
        assert_eq!(ask(&mut panel, &Request::WriteMultipleRegisters { start: 0x0016, values: vec![16] }), exception(ExceptionCode::IllegalDataValue));
        assert_eq!(panel.brightness(), 15);
        assert_eq!(
            ask(&mut panel, &Request::Other { function: 0x06, data: vec![0, 0x16, 0, 3] }),
            Response::Exception { function: 0x06, code: ExceptionCode::IllegalFunction }
        );
        assert_eq!(
            ask(&mut panel, &Request::ReadHoldingRegisters { start: 0x0006, count: 4 }),
            Response::Exception { function: 0x03, code: ExceptionCode::IllegalDataAddress }
        );
        // Identity reads work, partially too.
        assert_eq!(ask(&mut panel, &Request::ReadHoldingRegisters { start: 0x0002, count: 2 }), Response::ReadHoldingRegisters { values: vec![64, 16] });
        assert_eq!(
            ask(&mut panel, &reg::set_brightness(reg::Brightness::new(4).expect("valid"))),
            Response::WriteMultipleRegisters { start: 0x0016, count: 1 }
        );
        assert_eq!(
            ask(&mut panel, &Request::ReadHoldingRegisters { start: 0x0010, count: 7 }),
            Response::ReadHoldingRegisters { values: vec![64, 0, 600, 32, 32, 0, 4] }
        );
    }

    #[test]
    fn other_slaves_and_broadcasts_get_no_answer_but_broadcasts_are_obeyed() {
        let mut panel = SimPanel::new(Geometry::WINDOW_64X16, SlaveAddress::DEFAULT);
        let other = reg::clear().encode(SlaveAddress::new(2).expect("valid"));
        assert_eq!(panel.handle(&frame_of(&other), Instant::now()), None);
        assert_eq!(panel.requests(), 0);
        let mut broadcast = vec![0x00, 0x10, 0x00, 0x16, 0x00, 0x01, 0x02, 0x00, 0x05];
        broadcast.extend(super::super::modbus::crc16(&broadcast).to_le_bytes());
        assert_eq!(panel.handle(&frame_of(&broadcast), Instant::now()), None);
        assert_eq!(panel.brightness(), 5);
    }

    proptest::proptest! {
        /// Whatever a master sends, the panel answers with a frame that decodes, for the
        /// function asked, and never panics (the panel logic a fuzz target should also call).
        #[test]
        fn any_request_gets_a_well_formed_answer(
            function in proptest::prop_oneof![proptest::prelude::Just(0x03u8), proptest::prelude::Just(0x10u8), proptest::prelude::any::<u8>()],
            start in proptest::prop_oneof![0u16..0x20, 0x0FF0u16..0x2010, proptest::prelude::any::<u16>()],
            values in proptest::collection::vec(proptest::prelude::any::<u16>(), 0..130),
            raw in proptest::collection::vec(proptest::prelude::any::<u8>(), 0..40),
        ) {
            let mut panel = SimPanel::new(Geometry::STRIP_256X32, SlaveAddress::DEFAULT);
            let pdus = [
                Request::ReadHoldingRegisters { start, count: u16::try_from(values.len()).unwrap_or(0) }.encode(SlaveAddress::DEFAULT),
                Request::WriteMultipleRegisters { start, values: values.clone() }.encode(SlaveAddress::DEFAULT),
                Request::Other { function, data: raw.clone() }.encode(SlaveAddress::DEFAULT),
            ];
            for bytes in pdus {
                let frame = Frame { address: 1, pdu: bytes[1..bytes.len() - 2].to_vec() };
                let answer = panel.handle(&frame, Instant::now()).expect("an answer");
                let mut d = FrameDecoder::responses();
                d.push(&answer);
                let decoded = d.next_frame().expect("a frame").expect("valid");
                let response = Response::parse(&decoded.pdu).expect("parses");
                proptest::prop_assert_eq!(response.function(), frame.pdu[0] & 0x7F);
            }
            // A show after random writes either shows a panel-sized picture or was refused.
            let _ = panel.handle(&Frame { address: 1, pdu: vec![0x10, 0x00, 0x15, 0x00, 0x01, 0x02, 0x00, 0x01] }, Instant::now());
            if let Some((scene, _)) = panel.front() {
                proptest::prop_assert_eq!(scene.content.height(), 32);
                proptest::prop_assert!(scene.content.width() >= 256);
            }
        }
    }

    #[test]
    fn faults_apply_for_their_count_then_stop() {
        let mut panel = SimPanel::new(Geometry::WINDOW_64X16, SlaveAddress::DEFAULT);
        let read = reg::read_identity().encode(SlaveAddress::DEFAULT);
        panel.inject(Fault::NoAnswer, Some(1));
        assert_eq!(panel.handle(&frame_of(&read), Instant::now()), None);
        panel.inject(Fault::BadCrc, Some(1));
        let answer = panel.handle(&frame_of(&read), Instant::now()).expect("answers");
        let mut d = FrameDecoder::responses();
        d.push(&answer);
        assert!(matches!(d.next_frame(), Some(Err(super::super::modbus::FrameError::BadCrc { .. }))));
        panel.inject(Fault::Exception(ExceptionCode::SlaveDeviceFailure), None);
        for _ in 0..3 {
            assert_eq!(ask(&mut panel, &reg::read_identity()), Response::Exception { function: 0x03, code: ExceptionCode::SlaveDeviceFailure });
        }
        panel.clear_faults();
        assert!(matches!(ask(&mut panel, &reg::read_identity()), Response::ReadHoldingRegisters { .. }));
        assert_eq!("exception:06".parse::<Fault>(), Ok(Fault::Exception(ExceptionCode::SlaveDeviceBusy)));
        assert_eq!("bad-crc".parse::<Fault>(), Ok(Fault::BadCrc));
        assert_eq!("no-answer".parse::<Fault>(), Ok(Fault::NoAnswer));
        assert!("exception:zz".parse::<Fault>().is_err());
        assert!("lost".parse::<Fault>().is_err());
    }
}
