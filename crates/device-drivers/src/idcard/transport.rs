//! Byte transports under the reader session: the [`Transport`] trait (write bytes, read with a
//! timeout, reopen after the device went away) and [`SerialTransport`] over `serial2`.
//!
//! The session is generic over the transport so that serial, USB bulk (later) and test doubles
//! share one implementation of the protocol.

use std::io;
use std::path::{Path, PathBuf};
use std::time::Duration;

use serial2::SerialPort;

/// A link to a reader that carries GA/T 467 frames.
pub trait Transport {
    /// Writes every byte of `bytes`.
    fn write_all(&mut self, bytes: &[u8]) -> io::Result<()>;

    /// Reads what has arrived, waiting at most `timeout` for the first byte. Returns `Ok(0)` when
    /// nothing arrived in time: a quiet reader is not an I/O error.
    fn read(&mut self, buf: &mut [u8], timeout: Duration) -> io::Result<usize>;

    /// Drops input that arrived but was not read (a late answer to an abandoned command), so that
    /// it is not taken for the answer to the next one.
    fn discard_input(&mut self) -> io::Result<()>;

    /// Closes and opens the link again, after an I/O error (a USB-serial reader unplugged and
    /// plugged back gets the same path). Fails while the device is still absent.
    fn reopen(&mut self) -> io::Result<()>;
}

/// The default baud rate of serial readers (115200 8N1).
pub const DEFAULT_BAUD: u32 = 115_200;

/// Where and how to open a serial reader.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SerialConfig {
    /// The device path, e.g. `/dev/ttyUSB0`.
    pub path: PathBuf,
    /// Baud rate; [`DEFAULT_BAUD`] unless the reader's manual says otherwise.
    pub baud: u32,
    /// How long a write may block before it fails (a stuck USB-serial bridge).
    pub write_timeout: Duration,
}

impl SerialConfig {
    /// `path` at [`DEFAULT_BAUD`] with a one-second write timeout.
    pub fn new(path: impl Into<PathBuf>) -> Self {
        Self { path: path.into(), baud: DEFAULT_BAUD, write_timeout: Duration::from_secs(1) }
    }

    /// The same, at another baud rate.
    pub fn with_baud(mut self, baud: u32) -> Self {
        self.baud = baud;
        self
    }
}

/// A reader on a serial port (or a USB-serial bridge, or a pseudo-terminal), via `serial2`.
#[derive(Debug)]
pub struct SerialTransport {
    config: Option<SerialConfig>,
    port: Option<SerialPort>,
    read_timeout: Option<Duration>,
}

impl SerialTransport {
    /// Opens the port at `config.path`, raw 8N1 at `config.baud`.
    pub fn open(config: SerialConfig) -> io::Result<Self> {
        let port = open_port(&config)?;
        Ok(Self { config: Some(config), port: Some(port), read_timeout: None })
    }

    /// Wraps a port opened elsewhere (e.g. one end of [`SerialPort::pair`]). Such a transport
    /// has no path, so [`Transport::reopen`] fails on it.
    pub fn from_port(port: SerialPort) -> Self {
        Self { config: None, port: Some(port), read_timeout: None }
    }

    /// The device path, when opened by path.
    pub fn path(&self) -> Option<&Path> {
        self.config.as_ref().map(|c| c.path.as_path())
    }

    fn port(&mut self) -> io::Result<&mut SerialPort> {
        self.port
            .as_mut()
            .ok_or_else(|| io::Error::new(io::ErrorKind::NotConnected, "the serial port is closed after an error; it is reopened on the next attempt"))
    }
}

fn open_port(config: &SerialConfig) -> io::Result<SerialPort> {
    let mut port = SerialPort::open(&config.path, |mut s: serial2::Settings| {
        s.set_raw();
        s.set_baud_rate(config.baud)?;
        Ok(s)
    })?;
    port.set_write_timeout(config.write_timeout)?;
    Ok(port)
}

impl Transport for SerialTransport {
    fn write_all(&mut self, bytes: &[u8]) -> io::Result<()> {
        self.port()?.write_all(bytes)
    }

    fn read(&mut self, buf: &mut [u8], timeout: Duration) -> io::Result<usize> {
        // Setting the timeout is a syscall on some platforms: only when it changes.
        if self.read_timeout != Some(timeout) {
            self.port()?.set_read_timeout(timeout)?;
            self.read_timeout = Some(timeout);
        }
        match self.port()?.read(buf) {
            Ok(0) => Err(io::Error::new(io::ErrorKind::UnexpectedEof, "the serial port reported end of file: the device went away")),
            Ok(n) => Ok(n),
            Err(e) if e.kind() == io::ErrorKind::TimedOut || e.kind() == io::ErrorKind::WouldBlock => Ok(0),
            Err(e) => Err(e),
        }
    }

    fn discard_input(&mut self) -> io::Result<()> {
        self.port()?.discard_input_buffer()
    }

    fn reopen(&mut self) -> io::Result<()> {
        let Some(config) = &self.config else {
            return Err(io::Error::new(io::ErrorKind::Unsupported, "this port was not opened by path and cannot be reopened"));
        };
        // Close first: some drivers refuse a second open of the same device.
        self.port = None;
        self.read_timeout = None;
        self.port = Some(open_port(config)?);
        Ok(())
    }
}
