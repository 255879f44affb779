//! # device-drivers
//!
//! One trait per hall peripheral, each with a production driver that speaks the real wire protocol
//! and a simulator that speaks the same bytes over a pseudo-terminal or socket, so that tests drive
//! the production driver. See docs/architecture.md, "Peripherals".
//!
//! What this crate will hold, and the issue that fills it:
//! - `CardReader`: GA/T 467 SAM frames over serial (`serial2`) and USB bulk (`rusb`, vendored) —
//!   the ID-card reader issue.
//! - `TicketPrinter`: ESC/POS over serial, USB and TCP 9100, with `DLE EOT` status; `WindowPanel`:
//!   LED panels on RS-485; the voice announcer; GPIO buttons and lamps — the output-devices issue.
//! - `Camera`: V4L2 (`nokhwa`) and a file-sequence source — the face issue.
//!
//! It must not know about the store, the UI or the citizen flows.
//!
//! Built so far (sans-IO cores, blocking drivers with timeouts at the edges):
//! - [`idcard`]: the GA/T 467 SAM frame codec (incremental decoder that resynchronises on the
//!   preamble), SW3 statuses, decoding of all four card layouts with GB 11643 checks, the
//!   `CardReader` session over a serial transport with polling, the photo (readers that return
//!   BMP, a vendor WLT decoder loaded at run time, or "undecoded"), and a simulator on a pty;
//! - [`escpos`]: the ticket document model rendered to ESC/POS (GB18030, visible replacement of what
//!   the printer cannot print, wrapping by display width), `DLE EOT` status decoding, an incremental
//!   parser with a replay to a laid-out text dump, the `TicketPrinter` driver over TCP 9100 or
//!   serial, and a printer simulator on TCP or a pty;
//! - [`transport`]: the byte pipes both drivers run over: one [`Transport`](transport::Transport)
//!   trait (write, read with a timeout, discard stale input, reopen) with typed
//!   [`TransportError`](transport::TransportError)s, [`SerialTransport`](transport::SerialTransport)
//!   (`serial2`, reopened by path after an unplug) and [`TcpTransport`](transport::TcpTransport).
//!
//! USB transports (`rusb`, vendored) come next; each is one more `Transport` implementation.
//!
//! Every driver error maps to the shared [`ErrorKind`] below, so generic code (health reports,
//! retries) can branch on it.
#![warn(missing_docs)]

pub mod escpos;
pub mod gpio;
pub mod idcard;
pub mod keypad;
pub mod led;
pub mod transport;
pub mod voice;

/// The class of a peripheral failure, in the manner of embedded-hal's `ErrorKind`: drivers keep rich
/// errors of their own and map them to a kind, on which generic code (health, retry) branches.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum ErrorKind {
    /// The device is not connected, or went away (unplugged).
    Disconnected,
    /// The device did not answer in time.
    Timeout,
    /// The device answered with bytes that do not follow its protocol.
    Protocol,
    /// The device reported a condition a person must fix (paper out, cover open).
    NeedsAttention,
    /// Anything else.
    Other,
}

/// Implemented by every driver error.
pub trait Error: std::error::Error {
    /// The error's class.
    fn kind(&self) -> ErrorKind;
}
