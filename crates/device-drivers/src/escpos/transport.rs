//! The byte pipes a ticket printer sits behind: TCP port 9100 and serial (RS-232 or a USB-serial
//! adapter). They only move bytes; what the bytes mean is the driver's business
//! ([`super::driver`]). USB printer class comes later.
//!
//! Every operation has an explicit timeout (embedded-hal style, blocking): the kiosk runs the
//! driver on a blocking thread and must never hang on a printer that went quiet.

use std::io::{self, Read as _, Write as _};
use std::net::{SocketAddr, TcpStream, ToSocketAddrs};
use std::path::{Path, PathBuf};
use std::time::Duration;

use serial2::SerialPort;

use crate::ErrorKind;

/// What the transport was doing when it timed out.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum Operation {
    /// Connecting (TCP).
    Connect,
    /// Sending bytes.
    Write,
    /// Waiting for an answer.
    Read,
}

impl std::fmt::Display for Operation {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(match self {
            Operation::Connect => "accept the connection",
            Operation::Write => "take the data",
            Operation::Read => "answer",
        })
    }
}

/// A transport failure.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum TransportError {
    /// The TCP connection could not be made.
    #[error("could not connect to the printer at {address}: {source}; check it is switched on, its IP address, and that port 9100 is reachable")]
    Connect {
        /// Where.
        address: String,
        /// Why.
        #[source]
        source: io::Error,
    },
    /// The serial port could not be opened or configured.
    #[error("could not open serial port {path}: {source}; check the cable, the device path and that this user may use it (group dialout)")]
    Open {
        /// The device path.
        path: PathBuf,
        /// Why.
        #[source]
        source: io::Error,
    },
    /// The printer did not do what was asked in time.
    #[error("the printer did not {operation} within {timeout:?}; check it is switched on and connected")]
    Timeout {
        /// What was being done.
        operation: Operation,
        /// The time allowed.
        timeout: Duration,
    },
    /// The connection went away (closed by the printer, cable pulled, port gone).
    #[error("the printer connection was lost: {reason}; check the cable or network and that nothing else is using the printer")]
    Disconnected {
        /// What happened, in words.
        reason: String,
    },
    /// Any other I/O error.
    #[error("I/O error talking to the printer: {source}")]
    Io {
        /// The error.
        #[source]
        source: io::Error,
    },
}

impl crate::Error for TransportError {
    fn kind(&self) -> ErrorKind {
        match self {
            TransportError::Connect { .. } | TransportError::Open { .. } | TransportError::Disconnected { .. } => ErrorKind::Disconnected,
            TransportError::Timeout { .. } => ErrorKind::Timeout,
            TransportError::Io { .. } => ErrorKind::Other,
        }
    }
}

/// Classifies an I/O error from a read or write.
fn classify(error: io::Error, operation: Operation, timeout: Duration) -> TransportError {
    use io::ErrorKind as K;
    match error.kind() {
        K::WouldBlock | K::TimedOut => TransportError::Timeout { operation, timeout },
        K::BrokenPipe | K::ConnectionReset | K::ConnectionAborted | K::NotConnected | K::UnexpectedEof => {
            TransportError::Disconnected { reason: error.to_string() }
        }
        // EIO: a pty whose other side closed, or a USB-serial adapter that was unplugged.
        // ENXIO / ENODEV: the device node is gone.
        _ if matches!(error.raw_os_error(), Some(5 | 6 | 19)) => TransportError::Disconnected { reason: error.to_string() },
        _ => TransportError::Io { source: error },
    }
}

fn end_of_stream() -> TransportError {
    TransportError::Disconnected { reason: "the other side closed the connection".into() }
}

/// A byte pipe to a printer.
pub trait Transport: Send {
    /// Sends all of `bytes`, or fails ([`TransportError::Timeout`] when the printer stops taking
    /// data, e.g. a full buffer on a printer that is offline).
    ///
    /// # Errors
    /// [`TransportError`].
    fn write_all(&mut self, bytes: &[u8]) -> Result<(), TransportError>;

    /// Waits up to `timeout` for bytes and reads what has arrived (at least one byte).
    ///
    /// # Errors
    /// [`TransportError::Timeout`] when nothing arrived; [`TransportError::Disconnected`] when the
    /// other side closed.
    fn read(&mut self, buf: &mut [u8], timeout: Duration) -> Result<usize, TransportError>;

    /// Throws away bytes that arrived unasked (a late answer to an earlier request that timed out,
    /// or noise), so that the next read is the answer to the next request.
    ///
    /// # Errors
    /// [`TransportError::Disconnected`] when the other side closed.
    fn discard_input(&mut self) -> Result<(), TransportError>;
}

/// A printer on the network, raw TCP on port 9100 ("JetDirect").
#[derive(Debug)]
pub struct TcpTransport {
    stream: TcpStream,
    write_timeout: Duration,
}

/// The usual raw-printing port.
pub const RAW_PRINT_PORT: u16 = 9100;

impl TcpTransport {
    /// Connects to `address` (e.g. `192.168.1.50:9100`), giving up after `connect_timeout`; writes
    /// that the printer does not take within `write_timeout` fail with a timeout.
    ///
    /// # Errors
    /// [`TransportError::Connect`] when the address does not resolve or nothing accepts.
    pub fn connect(
        address: impl ToSocketAddrs + std::fmt::Display,
        connect_timeout: Duration,
        write_timeout: Duration,
    ) -> Result<TcpTransport, TransportError> {
        let shown = address.to_string();
        let addresses: Vec<SocketAddr> = address.to_socket_addrs().map_err(|source| TransportError::Connect { address: shown.clone(), source })?.collect();
        let mut last = io::Error::new(io::ErrorKind::NotFound, "the address resolved to nothing");
        for addr in addresses {
            match TcpStream::connect_timeout(&addr, connect_timeout) {
                Ok(stream) => return TcpTransport::from_stream(stream, write_timeout).map_err(|source| TransportError::Connect { address: shown, source }),
                Err(e) => last = e,
            }
        }
        Err(TransportError::Connect { address: shown, source: last })
    }

    /// Wraps a connected stream.
    ///
    /// # Errors
    /// When the socket options cannot be set.
    pub fn from_stream(stream: TcpStream, write_timeout: Duration) -> io::Result<TcpTransport> {
        // Status requests are three bytes: send them at once rather than waiting for more.
        stream.set_nodelay(true)?;
        stream.set_write_timeout(Some(nonzero(write_timeout)))?;
        Ok(TcpTransport { stream, write_timeout })
    }

    /// The printer's address.
    ///
    /// # Errors
    /// When the socket is no longer connected.
    pub fn peer_addr(&self) -> io::Result<SocketAddr> {
        self.stream.peer_addr()
    }
}

/// `set_*_timeout(Some(0))` is an error in std; the smallest real timeout stands in for zero.
fn nonzero(timeout: Duration) -> Duration {
    timeout.max(Duration::from_millis(1))
}

impl Transport for TcpTransport {
    fn write_all(&mut self, bytes: &[u8]) -> Result<(), TransportError> {
        self.stream.write_all(bytes).map_err(|e| classify(e, Operation::Write, self.write_timeout))
    }

    fn read(&mut self, buf: &mut [u8], timeout: Duration) -> Result<usize, TransportError> {
        self.stream.set_read_timeout(Some(nonzero(timeout))).map_err(|source| TransportError::Io { source })?;
        loop {
            match self.stream.read(buf) {
                Ok(0) if !buf.is_empty() => return Err(end_of_stream()),
                Ok(n) => return Ok(n),
                Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
                Err(e) => return Err(classify(e, Operation::Read, timeout)),
            }
        }
    }

    fn discard_input(&mut self) -> Result<(), TransportError> {
        self.stream.set_nonblocking(true).map_err(|source| TransportError::Io { source })?;
        let mut buf = [0u8; 256];
        let result = loop {
            match self.stream.read(&mut buf) {
                Ok(0) => break Err(end_of_stream()),
                Ok(n) => tracing::debug!(bytes = n, "discarded unasked bytes from the printer"),
                Err(e) if e.kind() == io::ErrorKind::WouldBlock => break Ok(()),
                Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
                Err(e) => break Err(classify(e, Operation::Read, Duration::ZERO)),
            }
        };
        self.stream.set_nonblocking(false).map_err(|source| TransportError::Io { source })?;
        result
    }
}

/// A printer on a serial port (RS-232, a USB-serial adapter, or a pty in tests).
#[derive(Debug)]
pub struct SerialTransport {
    port: SerialPort,
    write_timeout: Duration,
}

impl SerialTransport {
    /// Opens `path` at `baud` (8N1, no flow control, raw), with writes limited to `write_timeout`.
    ///
    /// # Errors
    /// [`TransportError::Open`].
    pub fn open(path: impl AsRef<Path>, baud: u32, write_timeout: Duration) -> Result<SerialTransport, TransportError> {
        let path = path.as_ref();
        let open = || -> io::Result<SerialTransport> { SerialTransport::from_port(SerialPort::open(path, baud)?, write_timeout) };
        open().map_err(|source| TransportError::Open { path: path.to_path_buf(), source })
    }

    /// Wraps an open port (e.g. one end of [`SerialPort::pair`]).
    ///
    /// # Errors
    /// When the write timeout cannot be set.
    pub fn from_port(mut port: SerialPort, write_timeout: Duration) -> io::Result<SerialTransport> {
        port.set_write_timeout(nonzero(write_timeout))?;
        Ok(SerialTransport { port, write_timeout })
    }
}

impl Transport for SerialTransport {
    fn write_all(&mut self, bytes: &[u8]) -> Result<(), TransportError> {
        self.port.write_all(bytes).map_err(|e| classify(e, Operation::Write, self.write_timeout))?;
        // Wait until the bytes have left, so that a timeout afterwards is the printer's, not ours.
        self.port.flush().map_err(|e| classify(e, Operation::Write, self.write_timeout))
    }

    fn read(&mut self, buf: &mut [u8], timeout: Duration) -> Result<usize, TransportError> {
        self.port.set_read_timeout(nonzero(timeout)).map_err(|source| TransportError::Io { source })?;
        loop {
            match self.port.read(buf) {
                Ok(0) if !buf.is_empty() => return Err(end_of_stream()),
                Ok(n) => return Ok(n),
                Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
                Err(e) => return Err(classify(e, Operation::Read, timeout)),
            }
        }
    }

    fn discard_input(&mut self) -> Result<(), TransportError> {
        self.port.discard_input_buffer().map_err(|e| classify(e, Operation::Read, Duration::ZERO))
    }
}

impl<T: Transport + ?Sized> Transport for Box<T> {
    fn write_all(&mut self, bytes: &[u8]) -> Result<(), TransportError> {
        (**self).write_all(bytes)
    }

    fn read(&mut self, buf: &mut [u8], timeout: Duration) -> Result<usize, TransportError> {
        (**self).read(buf, timeout)
    }

    fn discard_input(&mut self) -> Result<(), TransportError> {
        (**self).discard_input()
    }
}
