//! The byte pipes every peripheral sits behind: the [`Transport`] trait, [`SerialTransport`]
//! (RS-232, RS-485, a USB-serial adapter or a pty, via `serial2`), [`TcpTransport`] (raw TCP,
//! e.g. a printer on port 9100) and [`UsbTransport`] (USB printer class or bulk endpoints, via
//! `rusb`; see [`usb`]). They only move bytes; what the bytes mean is the business of the
//! driver above (the ID-card [`ReaderSession`](crate::idcard::ReaderSession), the ESC/POS
//! [`EscposPrinter`](crate::escpos::EscposPrinter)), which is generic over the transport so that
//! serial, TCP, USB bulk ([`UsbTransport`]) and test doubles share one implementation of each protocol.
//!
//! Every operation has an explicit timeout (embedded-hal style, blocking): drivers run on blocking
//! threads and must never hang on a device that went quiet. Failures are typed
//! ([`TransportError`]) and map to the shared [`ErrorKind`].

use std::io::{self, Read as _, Write as _};
use std::net::{SocketAddr, TcpStream, ToSocketAddrs};
use std::path::{Path, PathBuf};
use std::time::Duration;

use serial2::SerialPort;

use crate::ErrorKind;

pub mod usb;

pub use usb::{UsbConfig, UsbError, UsbTransport, VidPid, parse_vid_pid};

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
    #[error("could not connect to the device at {address}: {source}; check it is switched on, its IP address, and that its port is reachable")]
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
    /// The device did not do what was asked in time.
    #[error("the device did not {operation} within {timeout:?}; check it is switched on and connected")]
    Timeout {
        /// What was being done.
        operation: Operation,
        /// The time allowed.
        timeout: Duration,
    },
    /// The connection went away (closed by the device, cable pulled, port gone).
    #[error("the device connection was lost: {reason}; check the cable or network and that nothing else is using the device")]
    Disconnected {
        /// What happened, in words.
        reason: String,
    },
    /// [`Transport::reopen`] on a transport that does not know how to open its link again (a port
    /// opened elsewhere and handed over, or a transport without reconnection).
    #[error("this device connection cannot be reopened by the driver; reconnect the device and restart the program")]
    CannotReopen,
    /// Any other I/O error.
    #[error("I/O error talking to the device: {source}")]
    Io {
        /// The error.
        #[source]
        source: io::Error,
    },
}

impl crate::Error for TransportError {
    fn kind(&self) -> ErrorKind {
        match self {
            TransportError::Connect { .. } | TransportError::Open { .. } | TransportError::Disconnected { .. } | TransportError::CannotReopen => {
                ErrorKind::Disconnected
            }
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

/// `set_*_timeout(Some(0))` is an error in std; the smallest real timeout stands in for zero.
fn nonzero(timeout: Duration) -> Duration {
    timeout.max(Duration::from_millis(1))
}

/// A byte pipe to a device.
pub trait Transport: Send {
    /// Sends all of `bytes`, or fails ([`TransportError::Timeout`] when the device stops taking
    /// data, e.g. a full buffer on a printer that is offline).
    ///
    /// # Errors
    /// [`TransportError`].
    fn write_all(&mut self, bytes: &[u8]) -> Result<(), TransportError>;

    /// Waits up to `timeout` for bytes and reads what has arrived (at least one byte).
    ///
    /// # Errors
    /// [`TransportError::Timeout`] when nothing arrived (a quiet device: callers that poll treat
    /// it as "no answer", not as a broken link); [`TransportError::Disconnected`] when the other
    /// side closed.
    fn read(&mut self, buf: &mut [u8], timeout: Duration) -> Result<usize, TransportError>;

    /// Throws away bytes that arrived unasked (a late answer to an earlier request that timed out,
    /// or noise), so that the next read is the answer to the next request.
    ///
    /// # Errors
    /// [`TransportError::Disconnected`] when the other side closed.
    fn discard_input(&mut self) -> Result<(), TransportError>;

    /// Closes and opens the link again, after an I/O error (a USB-serial device unplugged and
    /// plugged back gets the same path).
    ///
    /// The default is for transports that cannot do this: it fails with
    /// [`TransportError::CannotReopen`] and leaves the link as it is.
    ///
    /// # Errors
    /// [`TransportError::Open`] while the device is still absent; [`TransportError::CannotReopen`].
    fn reopen(&mut self) -> Result<(), TransportError> {
        Err(TransportError::CannotReopen)
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

    fn reopen(&mut self) -> Result<(), TransportError> {
        (**self).reopen()
    }
}

/// A device on the network over raw TCP (e.g. a printer on port 9100, "JetDirect").
///
/// It does not reconnect: [`Transport::reopen`] fails with [`TransportError::CannotReopen`].
#[derive(Debug)]
pub struct TcpTransport {
    stream: TcpStream,
    write_timeout: Duration,
}

impl TcpTransport {
    /// Connects to `address` (e.g. `192.168.1.50:9100`), giving up after `connect_timeout`; writes
    /// that the device does not take within `write_timeout` fail with a timeout.
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
        // Requests are often a few bytes (a printer's DLE EOT is three): send them at once rather
        // than waiting for more.
        stream.set_nodelay(true)?;
        stream.set_write_timeout(Some(nonzero(write_timeout)))?;
        Ok(TcpTransport { stream, write_timeout })
    }

    /// The device's address.
    ///
    /// # Errors
    /// When the socket is no longer connected.
    pub fn peer_addr(&self) -> io::Result<SocketAddr> {
        self.stream.peer_addr()
    }
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
                Ok(n) => tracing::debug!(bytes = n, "discarded unasked bytes from the device"),
                Err(e) if e.kind() == io::ErrorKind::WouldBlock => break Ok(()),
                Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
                Err(e) => break Err(classify(e, Operation::Read, Duration::ZERO)),
            }
        };
        self.stream.set_nonblocking(false).map_err(|source| TransportError::Io { source })?;
        result
    }
}

/// The default baud rate, 115200 (8N1): ID-card readers and most current printers.
pub const DEFAULT_BAUD: u32 = 115_200;

/// Where and how to open a serial port.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SerialConfig {
    /// The device path, e.g. `/dev/ttyUSB0`.
    pub path: PathBuf,
    /// Baud rate; [`DEFAULT_BAUD`] unless the device's manual says otherwise.
    pub baud: u32,
    /// How long a write may block before it fails (a stuck USB-serial bridge, a printer that is
    /// offline with a full buffer).
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

    /// The same, with another write timeout.
    pub fn with_write_timeout(mut self, write_timeout: Duration) -> Self {
        self.write_timeout = write_timeout;
        self
    }
}

/// A device on a serial port (RS-232, RS-485, a USB-serial adapter, or a pty in tests), in raw
/// mode (8 data bits, no parity), via `serial2`.
///
/// Opened by path ([`SerialTransport::open`], [`SerialTransport::from_config`]), it can [`reopen`](Transport::reopen) the same path
/// after the device went away and came back.
#[derive(Debug)]
pub struct SerialTransport {
    /// `None` for a port handed over by [`SerialTransport::from_port`]: nothing to reopen.
    config: Option<SerialConfig>,
    /// `None` after a failed reopen: every operation fails until a reopen succeeds.
    port: Option<SerialPort>,
    write_timeout: Duration,
    /// The read timeout last set on the port, to set it only when it changes.
    read_timeout: Option<Duration>,
}

impl SerialTransport {
    /// Opens `path` in raw mode at `baud`, with writes limited to `write_timeout`: short for
    /// [`SerialTransport::from_config`].
    ///
    /// # Errors
    /// [`TransportError::Open`].
    pub fn open(path: impl AsRef<Path>, baud: u32, write_timeout: Duration) -> Result<SerialTransport, TransportError> {
        SerialTransport::from_config(SerialConfig::new(path.as_ref()).with_baud(baud).with_write_timeout(write_timeout))
    }

    /// Opens `config.path` in raw mode at `config.baud`.
    ///
    /// # Errors
    /// [`TransportError::Open`].
    pub fn from_config(config: SerialConfig) -> Result<SerialTransport, TransportError> {
        let port = open_port(&config)?;
        Ok(SerialTransport { write_timeout: config.write_timeout, config: Some(config), port: Some(port), read_timeout: None })
    }

    /// Wraps a port opened elsewhere (e.g. one end of [`SerialPort::pair`]). Such a transport has
    /// no path, so [`Transport::reopen`] fails on it with [`TransportError::CannotReopen`].
    ///
    /// # Errors
    /// [`TransportError::Io`] when the write timeout cannot be set.
    pub fn from_port(mut port: SerialPort, write_timeout: Duration) -> Result<SerialTransport, TransportError> {
        port.set_write_timeout(nonzero(write_timeout)).map_err(|source| TransportError::Io { source })?;
        Ok(SerialTransport { config: None, port: Some(port), write_timeout, read_timeout: None })
    }

    /// The device path, when opened by path.
    pub fn path(&self) -> Option<&Path> {
        self.config.as_ref().map(|c| c.path.as_path())
    }

    fn port(&mut self) -> Result<&mut SerialPort, TransportError> {
        self.port
            .as_mut()
            .ok_or_else(|| TransportError::Disconnected { reason: "the serial port is closed after an error; it is reopened on the next attempt".into() })
    }
}

fn open_port(config: &SerialConfig) -> Result<SerialPort, TransportError> {
    let open = || -> io::Result<SerialPort> {
        let mut port = SerialPort::open(&config.path, |mut s: serial2::Settings| {
            s.set_raw();
            s.set_baud_rate(config.baud)?;
            Ok(s)
        })?;
        port.set_write_timeout(nonzero(config.write_timeout))?;
        Ok(port)
    };
    open().map_err(|source| TransportError::Open { path: config.path.clone(), source })
}

impl Transport for SerialTransport {
    fn write_all(&mut self, bytes: &[u8]) -> Result<(), TransportError> {
        let timeout = self.write_timeout;
        let port = self.port()?;
        port.write_all(bytes).map_err(|e| classify(e, Operation::Write, timeout))?;
        // Wait until the bytes have left, so that a read timeout afterwards is the device's, not ours.
        port.flush().map_err(|e| classify(e, Operation::Write, timeout))
    }

    fn read(&mut self, buf: &mut [u8], timeout: Duration) -> Result<usize, TransportError> {
        let wait = nonzero(timeout);
        // Setting the timeout is a syscall on some platforms: only when it changes.
        if self.read_timeout != Some(wait) {
            self.port()?.set_read_timeout(wait).map_err(|source| TransportError::Io { source })?;
            self.read_timeout = Some(wait);
        }
        let port = self.port()?;
        loop {
            match port.read(buf) {
                Ok(0) if !buf.is_empty() => return Err(end_of_stream()),
                Ok(n) => return Ok(n),
                Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
                Err(e) => return Err(classify(e, Operation::Read, timeout)),
            }
        }
    }

    fn discard_input(&mut self) -> Result<(), TransportError> {
        self.port()?.discard_input_buffer().map_err(|e| classify(e, Operation::Read, Duration::ZERO))
    }

    fn reopen(&mut self) -> Result<(), TransportError> {
        let Some(config) = &self.config else {
            return Err(TransportError::CannotReopen);
        };
        // Close first: some drivers refuse a second open of the same device.
        self.port = None;
        self.read_timeout = None;
        self.port = Some(open_port(config)?);
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use std::net::TcpListener;
    use std::os::unix::io::AsRawFd;

    use super::*;
    use crate::Error as _;

    const WAIT: Duration = Duration::from_secs(5);

    /// A pty pair: the device's end, and the end a driver uses with its path (e.g. `/dev/pts/3`).
    fn pty() -> (SerialPort, SerialPort, PathBuf) {
        let (device, driver_end) = SerialPort::pair().expect("a pty pair");
        let path = std::fs::read_link(format!("/proc/self/fd/{}", driver_end.as_raw_fd())).expect("the pty's path");
        (device, driver_end, path)
    }

    /// Reads exactly `n` bytes through the transport.
    fn read_n(transport: &mut impl Transport, n: usize) -> Vec<u8> {
        let mut got = Vec::new();
        let mut buf = [0u8; 64];
        while got.len() < n {
            let k = transport.read(&mut buf, WAIT).expect("bytes arrive");
            got.extend_from_slice(&buf[..k]);
        }
        got
    }

    /// Reads exactly `n` bytes from the device's end.
    fn device_reads(device: &mut SerialPort, n: usize) -> Vec<u8> {
        device.set_read_timeout(WAIT).expect("sets a timeout");
        let mut got = vec![0u8; n];
        device.read_exact(&mut got).expect("the device receives the bytes");
        got
    }

    #[test]
    fn a_quiet_serial_port_times_out_and_one_whose_device_left_is_disconnected() {
        let (mut device, driver_end, _) = pty();
        let mut transport = SerialTransport::from_port(driver_end, WAIT).expect("wraps the port");
        let mut buf = [0u8; 8];
        let err = transport.read(&mut buf, Duration::from_millis(20)).expect_err("nothing was sent");
        assert!(matches!(err, TransportError::Timeout { operation: Operation::Read, timeout } if timeout == Duration::from_millis(20)), "{err:?}");
        assert_eq!(err.kind(), ErrorKind::Timeout);

        device.write_all(b"abc").expect("the device answers");
        assert_eq!(read_n(&mut transport, 3), b"abc");
        transport.write_all(b"xyz").expect("sends");
        assert_eq!(device_reads(&mut device, 3), b"xyz");

        drop(device);
        let err = transport.read(&mut buf, WAIT).expect_err("the other side is gone");
        assert!(matches!(err, TransportError::Disconnected { .. }), "{err:?}");
        assert_eq!(err.kind(), ErrorKind::Disconnected);
    }

    #[test]
    fn stale_input_is_discarded_before_the_next_request() {
        let (device, driver_end, _) = pty();
        let mut transport = SerialTransport::from_port(driver_end, WAIT).expect("wraps the port");
        device.write_all(b"late").expect("a late answer");
        // Reading its first byte shows it has arrived (the pty delivers one write in one piece);
        // the rest must not be taken for the answer to the next request.
        let mut first = [0u8; 1];
        assert_eq!(transport.read(&mut first, WAIT).expect("arrives"), 1);
        transport.discard_input().expect("discards");
        device.write_all(b"new").expect("the next answer");
        assert_eq!(read_n(&mut transport, 3), b"new");
    }

    #[test]
    fn a_port_handed_over_cannot_be_reopened_and_stays_usable() {
        let (mut device, driver_end, _) = pty();
        let mut transport = SerialTransport::from_port(driver_end, WAIT).expect("wraps the port");
        assert_eq!(transport.path(), None);
        let err = transport.reopen().expect_err("no path to reopen");
        assert!(matches!(err, TransportError::CannotReopen), "{err:?}");
        assert_eq!(err.kind(), ErrorKind::Disconnected);
        transport.write_all(b"ping").expect("the link is untouched");
        assert_eq!(device_reads(&mut device, 4), b"ping");
    }

    #[test]
    fn a_port_opened_by_path_is_reopened_by_path_once_it_is_back() {
        let (mut device, _driver_end, pty_path) = pty();
        // A link stands for the udev name of a USB-serial reader: it vanishes on unplug.
        let dir = tempfile::tempdir().expect("a temporary directory");
        let path = dir.path().join("idcard");
        std::os::unix::fs::symlink(&pty_path, &path).expect("links the pty");
        let mut transport = SerialTransport::from_config(SerialConfig::new(&path)).expect("opens by path");
        assert_eq!(transport.path(), Some(path.as_path()));

        std::fs::remove_file(&path).expect("unplugged");
        let err = transport.reopen().expect_err("the device is absent");
        assert!(matches!(&err, TransportError::Open { path: p, .. } if *p == path), "{err:?}");
        assert_eq!(err.kind(), ErrorKind::Disconnected);
        let err = transport.write_all(b"x").expect_err("closed until a reopen succeeds");
        assert!(matches!(err, TransportError::Disconnected { .. }), "{err:?}");

        std::os::unix::fs::symlink(&pty_path, &path).expect("plugged back");
        let mut boxed: Box<dyn Transport> = Box::new(transport);
        boxed.reopen().expect("reopens by path, through the box");
        boxed.write_all(b"again").expect("sends");
        assert_eq!(device_reads(&mut device, 5), b"again");
        device.write_all(b"ok").expect("answers");
        assert_eq!(read_n(&mut boxed, 2), b"ok");
    }

    #[test]
    fn a_missing_serial_port_is_an_open_error_naming_the_path() {
        let err = SerialTransport::open("/dev/hallkit-no-such-port", DEFAULT_BAUD, WAIT).expect_err("no such port");
        assert!(matches!(&err, TransportError::Open { path, .. } if path == Path::new("/dev/hallkit-no-such-port")), "{err:?}");
        assert!(err.to_string().contains("/dev/hallkit-no-such-port"), "{err}");
    }

    /// A transport that keeps what is written, to read it back; it has no `reopen` of its own.
    struct Echo(Vec<u8>);

    impl Transport for Echo {
        fn write_all(&mut self, bytes: &[u8]) -> Result<(), TransportError> {
            self.0.extend_from_slice(bytes);
            Ok(())
        }

        fn read(&mut self, buf: &mut [u8], timeout: Duration) -> Result<usize, TransportError> {
            if self.0.is_empty() {
                return Err(TransportError::Timeout { operation: Operation::Read, timeout });
            }
            let n = buf.len().min(self.0.len());
            buf[..n].copy_from_slice(&self.0[..n]);
            self.0.drain(..n);
            Ok(n)
        }

        fn discard_input(&mut self) -> Result<(), TransportError> {
            self.0.clear();
            Ok(())
        }
    }

    #[test]
    fn the_default_reopen_refuses_and_leaves_the_link_as_it_is() {
        let mut boxed: Box<dyn Transport> = Box::new(Echo(Vec::new()));
        boxed.write_all(b"kept").expect("writes");
        let err = boxed.reopen().expect_err("cannot reopen");
        assert!(matches!(err, TransportError::CannotReopen), "{err:?}");
        assert_eq!(read_n(&mut boxed, 4), b"kept");
    }

    #[test]
    fn a_tcp_peer_that_closes_is_disconnected_after_its_last_bytes() {
        let listener = TcpListener::bind("127.0.0.1:0").expect("binds");
        let addr = listener.local_addr().expect("has an address");
        let peer = std::thread::spawn(move || {
            let (mut stream, _) = listener.accept().expect("accepts");
            let mut request = [0u8; 2];
            stream.read_exact(&mut request).expect("reads the request");
            stream.write_all(b"bye").expect("answers");
            request
        });
        let mut transport = TcpTransport::connect(addr.to_string(), WAIT, WAIT).expect("connects");
        assert_eq!(transport.peer_addr().expect("connected"), addr);
        transport.write_all(b"hi").expect("sends");
        assert_eq!(read_n(&mut transport, 3), b"bye");
        assert_eq!(peer.join().expect("the peer ran"), *b"hi");
        let mut buf = [0u8; 8];
        let err = transport.read(&mut buf, WAIT).expect_err("closed");
        assert!(matches!(err, TransportError::Disconnected { .. }), "{err:?}");
        assert!(matches!(transport.reopen(), Err(TransportError::CannotReopen)));
    }
}
