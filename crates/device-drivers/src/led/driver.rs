//! The Modbus-RTU panel driver: [`ModbusPanel`] runs the [`registers`] map over
//! any [`Transport`] (an RS-485 adapter through [`SerialTransport`](crate::transport::SerialTransport),
//! or a serial-to-Ethernet gateway through [`TcpTransport`](crate::transport::TcpTransport)).
//!
//! Each request is one transaction: stale input is discarded, the frame sent after the bus's
//! 3.5-character silence, and the answer awaited for the configured response time plus the time
//! both frames take on the wire at the configured baud rate. No answer, a corrupt answer, a
//! disconnected port (reopened) and a "busy" exception are retried; other exceptions are not
//! (asking again gets the same refusal), and every request is idempotent (a register write or a
//! show), so a retry after a lost answer is safe.

use std::time::{Duration, Instant};

use serde::{Deserialize, Serialize};
use thiserror::Error;
use tracing::{debug, info, warn};

use super::bitmap::{Bitmap, Geometry, GeometryError};
use super::effect::{Effect, Scene};
use super::modbus::{ExceptionCode, FrameDecoder, FrameError, Request, Response, SlaveAddress};
use super::registers::{self, Brightness, IdentityError, PanelStatus};
use super::text::{MissingGlyph, render_text};
use super::{Shown, WindowPanel};
use crate::transport::{Transport, TransportError};
use crate::{Error as _, ErrorKind};

/// How to talk to a panel.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct DriverConfig {
    /// The panel's address on the bus.
    pub slave: SlaveAddress,
    /// The line's baud rate: the time frames take on the wire is added to `response_timeout`.
    pub baud: u32,
    /// How long the panel may take to start answering.
    pub response_timeout: Duration,
    /// How many times a failed transaction is tried again.
    pub retries: u8,
    /// The pause before trying again after the panel said it is busy.
    pub busy_backoff: Duration,
}

/// The usual factory setting of RS-485 LED panels.
pub const DEFAULT_BAUD: u32 = 9600;

impl Default for DriverConfig {
    /// Slave 1 at 9600 baud, 500 ms to answer, two retries, 100 ms after "busy".
    fn default() -> Self {
        DriverConfig {
            slave: SlaveAddress::DEFAULT,
            baud: DEFAULT_BAUD,
            response_timeout: Duration::from_millis(500),
            retries: 2,
            busy_backoff: Duration::from_millis(100),
        }
    }
}

impl DriverConfig {
    /// The time `bytes` take on the wire (11 bits per byte: start, 8 data, parity or a second
    /// stop bit, stop).
    fn wire_time(&self, bytes: usize) -> Duration {
        let bits = u64::try_from(bytes).unwrap_or(u64::MAX).saturating_mul(11);
        Duration::from_micros(bits.saturating_mul(1_000_000) / u64::from(self.baud.max(1)))
    }

    /// The silence that must separate frames: 3.5 characters, and 1.75 ms above 19200 baud (the
    /// spec's fixed value there).
    fn frame_gap(&self) -> Duration {
        if self.baud > 19_200 { Duration::from_micros(1750) } else { self.wire_time(4) }
    }
}

/// A panel failure.
#[derive(Debug, Error)]
#[non_exhaustive]
pub enum LedError {
    /// The link failed.
    #[error(transparent)]
    Transport(#[from] TransportError),
    /// No valid answer in time, after every retry.
    #[error(
        "LED panel {slave} did not answer ({attempts} attempts, {timeout:?} each): check its power, the RS-485 wiring (A to A, B to B), the baud rate and the slave address set on the panel"
    )]
    NoAnswer {
        /// The panel's address.
        slave: SlaveAddress,
        /// Attempts made.
        attempts: u32,
        /// The wait of each.
        timeout: Duration,
    },
    /// Only corrupt answers, after every retry.
    #[error("LED panel {slave} answered only with corrupt frames ({attempts} attempts; last: {last})")]
    Corrupt {
        /// The panel's address.
        slave: SlaveAddress,
        /// Attempts made.
        attempts: u32,
        /// The last decoding error.
        last: FrameError,
    },
    /// The panel refused the request.
    #[error("LED panel {slave} refused function {function:02X}: {code}; {}", exception_advice(*code))]
    Exception {
        /// The panel's address.
        slave: SlaveAddress,
        /// The function refused.
        function: u8,
        /// Why.
        code: ExceptionCode,
    },
    /// A well-formed answer that does not answer the request.
    #[error("LED panel {slave} answered something other than what was asked: {detail}; check that only one master is on the bus")]
    UnexpectedResponse {
        /// The panel's address.
        slave: SlaveAddress,
        /// What was wrong.
        detail: String,
    },
    /// The slave is not a panel this driver can drive.
    #[error(transparent)]
    Identity(#[from] IdentityError),
    /// Content too wide or too high for the panel's back buffer.
    #[error("content of {width}×{height} dots does not fit the {geometry} panel's buffer; shorten the text")]
    ContentTooLarge {
        /// Content width.
        width: u16,
        /// Content height.
        height: u16,
        /// The panel.
        geometry: Geometry,
    },
    /// An effect value out of the panel's range.
    #[error("effect {0:?} is out of range: blink period 100–5000 ms, scroll speed 1–512 dots/s, gap up to 1024 dots")]
    InvalidEffect(Effect),
    /// A bitmap size error.
    #[error(transparent)]
    Geometry(#[from] GeometryError),
}

fn exception_advice(code: ExceptionCode) -> &'static str {
    match code {
        ExceptionCode::IllegalFunction | ExceptionCode::IllegalDataAddress => {
            "the panel does not implement the hallkit register map (see docs/led-panels.md); check the panel model and firmware"
        }
        ExceptionCode::IllegalDataValue => "the panel rejected a value (size, effect or brightness); check its configured size matches",
        ExceptionCode::SlaveDeviceFailure => "the panel's controller reports an internal failure; power-cycle it and have it serviced if it persists",
        ExceptionCode::Acknowledge | ExceptionCode::SlaveDeviceBusy => "the panel stayed busy; try again in a moment",
        ExceptionCode::Other(_) => "see the panel's manual for this code",
    }
}

impl crate::Error for LedError {
    fn kind(&self) -> ErrorKind {
        match self {
            LedError::Transport(e) => e.kind(),
            LedError::NoAnswer { .. } => ErrorKind::Timeout,
            LedError::Exception { code: ExceptionCode::SlaveDeviceFailure, .. } => ErrorKind::NeedsAttention,
            LedError::Exception { code: ExceptionCode::Acknowledge | ExceptionCode::SlaveDeviceBusy, .. } => ErrorKind::Timeout,
            LedError::Exception { .. } | LedError::Corrupt { .. } | LedError::UnexpectedResponse { .. } | LedError::Identity(_) => ErrorKind::Protocol,
            LedError::ContentTooLarge { .. } | LedError::InvalidEffect(_) | LedError::Geometry(_) => ErrorKind::Other,
        }
    }
}

/// Why one attempt failed.
enum Attempt {
    /// Nothing valid arrived in time; `corrupt` holds the last decoding error seen, if any.
    Silent { corrupt: Option<FrameError> },
    /// The panel said it is busy.
    Busy(ExceptionCode),
}

/// An LED panel on a Modbus-RTU bus.
#[derive(Debug)]
pub struct ModbusPanel<T: Transport> {
    transport: T,
    config: DriverConfig,
    geometry: Geometry,
    decoder: FrameDecoder,
}

impl<T: Transport> ModbusPanel<T> {
    /// Reads the panel's identity (its size) and returns a driver for it.
    ///
    /// # Errors
    /// [`LedError::NoAnswer`], [`LedError::Identity`] (not a panel of this map), and the other
    /// transaction errors.
    pub fn connect(transport: T, config: DriverConfig) -> Result<ModbusPanel<T>, LedError> {
        // A placeholder size until the panel says its own.
        let mut panel = ModbusPanel { transport, config, geometry: Geometry::WINDOW_64X16, decoder: FrameDecoder::responses() };
        let status = panel.status()?;
        panel.geometry = status.geometry;
        info!(slave = %config.slave, geometry = %status.geometry, "LED panel connected");
        Ok(panel)
    }

    /// The configuration.
    pub fn config(&self) -> &DriverConfig {
        &self.config
    }

    /// The transport, for reuse.
    pub fn into_transport(self) -> T {
        self.transport
    }

    /// Reads the identity and status registers.
    ///
    /// # Errors
    /// Transaction errors; [`LedError::Identity`].
    pub fn status(&mut self) -> Result<PanelStatus, LedError> {
        let regs = self.read_registers(registers::IDENTITY, registers::IDENTITY_LEN)?;
        Ok(PanelStatus::from_registers(&regs)?)
    }

    /// Reads `count` registers (1 to 125) from `start`.
    ///
    /// # Errors
    /// Transaction errors.
    pub fn read_registers(&mut self, start: u16, count: u16) -> Result<Vec<u16>, LedError> {
        let request = Request::ReadHoldingRegisters { start, count };
        match self.transact(&request)? {
            Response::ReadHoldingRegisters { values } if values.len() == usize::from(count) => Ok(values),
            other => Err(self.unexpected(format!("asked for {count} registers from {start:04X}, got {other:?}"))),
        }
    }

    /// Writes `values` from `start`, in requests of at most 123 registers.
    ///
    /// # Errors
    /// Transaction errors.
    pub fn write_registers(&mut self, start: u16, values: &[u16]) -> Result<(), LedError> {
        for (i, chunk) in values.chunks(usize::from(super::modbus::MAX_WRITE)).enumerate() {
            let at = start.wrapping_add(u16::try_from(i * usize::from(super::modbus::MAX_WRITE)).unwrap_or(u16::MAX));
            self.write(&Request::WriteMultipleRegisters { start: at, values: chunk.to_vec() })?;
        }
        Ok(())
    }

    /// Uploads `scene` and shows it (its content must be the panel's height, at least its width).
    ///
    /// # Errors
    /// [`LedError::ContentTooLarge`], [`LedError::InvalidEffect`], transaction errors.
    pub fn show_scene(&mut self, scene: &Scene) -> Result<(), LedError> {
        let content = &scene.content;
        if content.height() != self.geometry.height() || !registers::content_width_fits(content.width(), self.geometry) {
            return Err(LedError::ContentTooLarge { width: content.width(), height: content.height(), geometry: self.geometry });
        }
        if !scene.effect.is_valid() {
            return Err(LedError::InvalidEffect(scene.effect));
        }
        for request in registers::upload(scene) {
            self.write(&request)?;
        }
        Ok(())
    }

    /// Sends a write and checks the echo.
    fn write(&mut self, request: &Request) -> Result<(), LedError> {
        let Request::WriteMultipleRegisters { start, values } = request else {
            return Err(self.unexpected("only register writes are sent".into()));
        };
        match self.transact(request)? {
            Response::WriteMultipleRegisters { start: s, count } if s == *start && usize::from(count) == values.len() => Ok(()),
            other => Err(self.unexpected(format!("wrote {} registers at {start:04X}, the panel confirmed {other:?}", values.len()))),
        }
    }

    fn unexpected(&self, detail: String) -> LedError {
        LedError::UnexpectedResponse { slave: self.config.slave, detail }
    }

    /// One request and its answer, with retries.
    fn transact(&mut self, request: &Request) -> Result<Response, LedError> {
        let frame = request.encode(self.config.slave);
        let expected_len = match request {
            Request::ReadHoldingRegisters { count, .. } => 5 + 2 * usize::from(*count),
            _ => 8,
        };
        let timeout = self.config.response_timeout + self.config.wire_time(frame.len() + expected_len);
        let attempts = u32::from(self.config.retries) + 1;
        let mut last = Attempt::Silent { corrupt: None };
        for attempt in 1..=attempts {
            if attempt > 1 {
                debug!(slave = %self.config.slave, attempt, function = request.function(), "retrying LED panel request");
                if let Attempt::Busy(_) = last {
                    std::thread::sleep(self.config.busy_backoff);
                }
            }
            match self.attempt(request, &frame, timeout) {
                Ok(Ok(response)) => return refused(self.config.slave, response),
                Ok(Err(failure)) => last = failure,
                Err(e) if attempt < attempts && e.kind() == ErrorKind::Disconnected => {
                    warn!(error = %e, "LED panel link lost; reopening");
                    if let Err(reopen) = self.transport.reopen() {
                        debug!(error = %reopen, "could not reopen the LED panel link");
                        return Err(e.into());
                    }
                }
                Err(e) => return Err(e.into()),
            }
        }
        let slave = self.config.slave;
        Err(match last {
            Attempt::Silent { corrupt: Some(last) } => LedError::Corrupt { slave, attempts, last },
            Attempt::Silent { corrupt: None } => LedError::NoAnswer { slave, attempts, timeout },
            Attempt::Busy(code) => LedError::Exception { slave, function: request.function(), code },
        })
    }

    /// Sends `frame` once and waits for its answer. The outer `Err` is a transport failure; the
    /// inner one a failure worth retrying. A refusal other than "busy" is a final answer, returned
    /// as a response (the caller turns it into an error).
    fn attempt(&mut self, request: &Request, frame: &[u8], timeout: Duration) -> Result<Result<Response, Attempt>, TransportError> {
        self.transport.discard_input()?;
        self.decoder.clear();
        self.decoder.expect(self.config.slave.get(), request.function());
        std::thread::sleep(self.config.frame_gap());
        self.transport.write_all(frame)?;
        let deadline = Instant::now() + timeout;
        let mut corrupt = None;
        let mut buf = [0u8; 512];
        loop {
            while let Some(decoded) = self.decoder.next_frame() {
                let frame = match decoded {
                    Ok(frame) => frame,
                    Err(e) => {
                        // The first error is at the start of the answer; later ones are the
                        // decoder working through the rest of the broken frame.
                        corrupt.get_or_insert(e);
                        continue;
                    }
                };
                if frame.address != self.config.slave.get() {
                    debug!(address = frame.address, "ignoring a frame from another slave");
                    continue;
                }
                match Response::parse(&frame.pdu) {
                    Ok(Response::Exception { code, .. }) if code.is_transient() => return Ok(Err(Attempt::Busy(code))),
                    Ok(response) if response.function() == request.function() => return Ok(Ok(response)),
                    Ok(other) => debug!(?other, "ignoring an answer to another request"),
                    Err(e) => {
                        corrupt.get_or_insert(e);
                    }
                }
            }
            let left = deadline.saturating_duration_since(Instant::now());
            if left.is_zero() {
                return Ok(Err(Attempt::Silent { corrupt }));
            }
            match self.transport.read(&mut buf, left) {
                Ok(n) => self.decoder.push(&buf[..n]),
                Err(TransportError::Timeout { .. }) => return Ok(Err(Attempt::Silent { corrupt })),
                Err(e) => return Err(e),
            }
        }
    }
}

/// Exceptions other than "busy" come back from an attempt as responses; this turns them into
/// errors.
fn refused(slave: SlaveAddress, response: Response) -> Result<Response, LedError> {
    match response {
        Response::Exception { function, code } => Err(LedError::Exception { slave, function, code }),
        other => Ok(other),
    }
}

impl<T: Transport> ModbusPanel<T> {
    /// Renders `text` for this panel without sending it (what [`WindowPanel::show`] would upload).
    pub fn render(&self, text: &str, effect: Effect) -> (Scene, Shown) {
        let rendered = render_text(text, self.geometry);
        let shown = Shown {
            missing: rendered.missing.clone(),
            truncated: rendered.truncated,
            scrolls: rendered.scrolls(self.geometry),
            layout: rendered.layout,
            content_width: rendered.content.width(),
        };
        (Scene { geometry: self.geometry, content: rendered.content, effect }, shown)
    }

    /// Shows a picture drawn elsewhere (a logo), with `effect`.
    ///
    /// # Errors
    /// As [`ModbusPanel::show_scene`].
    pub fn show_bitmap(&mut self, content: Bitmap, effect: Effect) -> Result<(), LedError> {
        self.show_scene(&Scene { geometry: self.geometry, content, effect })
    }
}

impl<T: Transport> WindowPanel for ModbusPanel<T> {
    type Error = LedError;

    fn geometry(&self) -> Geometry {
        self.geometry
    }

    fn show(&mut self, text: &str, effect: Effect) -> Result<Shown, LedError> {
        let (scene, shown) = self.render(text, effect);
        if !shown.missing.is_empty() {
            let missing: String = shown.missing.iter().map(|m: &MissingGlyph| m.ch).collect();
            warn!(%text, %missing, "the panel font lacks some characters; they are shown as boxes");
        }
        if shown.truncated {
            warn!(%text, "text too long for the panel; it was cut");
        }
        self.show_scene(&scene)?;
        debug!(%text, layout = ?shown.layout, scrolls = shown.scrolls, "LED panel shows text");
        Ok(shown)
    }

    fn clear(&mut self) -> Result<(), LedError> {
        self.write(&registers::clear())
    }

    fn set_brightness(&mut self, level: Brightness) -> Result<(), LedError> {
        self.write(&registers::set_brightness(level))
    }
}

#[cfg(test)]
mod tests {
    use std::collections::VecDeque;

    use super::*;
    use crate::led::modbus::Frame;
    use crate::led::sim::SimPanel;
    use crate::transport::Operation;

    /// The simulated panel in memory, behind a transport whose link can be made to drop.
    #[derive(Debug)]
    struct InMemory {
        panel: SimPanel,
        decoder: FrameDecoder,
        pending: VecDeque<u8>,
        /// Writes that fail as "disconnected" before one gets through.
        drops: u32,
        reopens: u32,
        reopen_fails: bool,
    }

    impl InMemory {
        fn new(geometry: Geometry) -> InMemory {
            InMemory {
                panel: SimPanel::new(geometry, SlaveAddress::DEFAULT),
                decoder: FrameDecoder::requests(),
                pending: VecDeque::new(),
                drops: 0,
                reopens: 0,
                reopen_fails: false,
            }
        }
    }

    impl Transport for InMemory {
        fn write_all(&mut self, bytes: &[u8]) -> Result<(), TransportError> {
            if self.drops > 0 {
                self.drops -= 1;
                return Err(TransportError::Disconnected { reason: "unplugged".into() });
            }
            self.decoder.push(bytes);
            while let Some(Ok(Frame { address, pdu })) = self.decoder.next_frame() {
                if let Some(answer) = self.panel.handle(&Frame { address, pdu }, Instant::now()) {
                    self.pending.extend(answer);
                }
            }
            Ok(())
        }

        fn read(&mut self, buf: &mut [u8], timeout: Duration) -> Result<usize, TransportError> {
            if self.pending.is_empty() {
                return Err(TransportError::Timeout { operation: Operation::Read, timeout });
            }
            let n = buf.len().min(self.pending.len());
            for (slot, byte) in buf.iter_mut().zip(self.pending.drain(..n)) {
                *slot = byte;
            }
            Ok(n)
        }

        fn discard_input(&mut self) -> Result<(), TransportError> {
            self.pending.clear();
            Ok(())
        }

        fn reopen(&mut self) -> Result<(), TransportError> {
            self.reopens += 1;
            if self.reopen_fails { Err(TransportError::CannotReopen) } else { Ok(()) }
        }
    }

    fn config() -> DriverConfig {
        DriverConfig { baud: 115_200, response_timeout: Duration::from_millis(20), retries: 2, busy_backoff: Duration::ZERO, ..DriverConfig::default() }
    }

    #[test]
    fn a_dropped_link_is_reopened_and_the_request_sent_again() {
        let mut panel = ModbusPanel::connect(InMemory::new(Geometry::WINDOW_64X16), config()).expect("connects");
        panel.transport.drops = 2;
        panel.show("A012", Effect::CALL).expect("shows after two reopens");
        assert_eq!(panel.transport.reopens, 2);
        assert!(panel.transport.panel.front().is_some());
    }

    #[test]
    fn a_link_that_cannot_be_reopened_is_disconnected() {
        let mut panel = ModbusPanel::connect(InMemory::new(Geometry::WINDOW_64X16), config()).expect("connects");
        panel.transport.drops = 1;
        panel.transport.reopen_fails = true;
        let err = panel.clear().expect_err("gone");
        assert!(matches!(err, LedError::Transport(TransportError::Disconnected { .. })), "{err:?}");
        assert_eq!(err.kind(), ErrorKind::Disconnected);
    }

    #[test]
    fn content_and_effects_are_checked_before_anything_is_sent() {
        let mut panel = ModbusPanel::connect(InMemory::new(Geometry::WINDOW_64X16), config()).expect("connects");
        let before = panel.transport.panel.requests();
        let narrow = Bitmap::new(56, 16).expect("valid");
        assert!(matches!(panel.show_bitmap(narrow, Effect::CALL), Err(LedError::ContentTooLarge { width: 56, .. })));
        let tall = Bitmap::new(64, 32).expect("valid");
        assert!(matches!(panel.show_bitmap(tall, Effect::CALL), Err(LedError::ContentTooLarge { height: 32, .. })));
        let slow = Effect { scroll_speed: 0, ..Effect::CALL };
        let err = panel.show("A012", slow).expect_err("invalid effect");
        assert!(matches!(err, LedError::InvalidEffect(_)), "{err:?}");
        assert_eq!(err.kind(), ErrorKind::Other);
        assert_eq!(panel.transport.panel.requests(), before, "nothing was sent");
    }

    #[test]
    fn a_refused_or_foreign_identity_fails_the_connection() {
        let mut transport = InMemory::new(Geometry::WINDOW_64X16);
        transport.panel.inject(crate::led::sim::Fault::Exception(ExceptionCode::IllegalDataAddress), Some(1));
        let err = ModbusPanel::connect(transport, config()).expect_err("refused");
        assert!(matches!(err, LedError::Exception { code: ExceptionCode::IllegalDataAddress, .. }), "{err:?}");
        assert!(matches!(
            PanelStatus::from_registers(&[0x1234, 1, 64, 16, 4096, 0, 0, 15]).map_err(LedError::from),
            Err(LedError::Identity(IdentityError::NotAPanel(0x1234)))
        ));
    }

    #[test]
    fn wire_time_and_frame_gap_follow_the_baud_rate() {
        let slow = DriverConfig { baud: 9600, ..DriverConfig::default() };
        // 8 bytes × 11 bits at 9600 baud ≈ 9.17 ms; 3.5 characters ≈ 4 ms (4 bytes' worth here).
        assert_eq!(slow.wire_time(8), Duration::from_micros(9166));
        assert_eq!(slow.frame_gap(), Duration::from_micros(4583));
        let fast = DriverConfig { baud: 115_200, ..DriverConfig::default() };
        assert_eq!(fast.frame_gap(), Duration::from_micros(1750));
    }
}
