//! # device-drivers
//!
//! One trait per hall peripheral, each with a production driver that speaks the real wire protocol
//! and a simulator that speaks the same bytes over a pseudo-terminal or socket, so that tests drive
//! the production driver. See docs/architecture.md, "Peripherals".
//!
//! It must not know about the store, the UI or the citizen flows. Sans-IO cores, blocking drivers
//! with timeouts at the edges:
//!
//! - [`idcard`]: ID-card readers — the GA/T 467 SAM frame codec (incremental, resynchronising),
//!   SW3 statuses, the four card layouts with GB 11643 checks, the `CardReader` session with
//!   polling, the photo (BMP from the reader, a vendor WLT decoder loaded at run time, or
//!   "undecoded"), and a simulator on a pty;
//! - [`escpos`]: ticket printers — the ticket document rendered to ESC/POS (GB18030, visible
//!   replacement, QR), `DLE EOT` status, an incremental parser with a replay, the `TicketPrinter`
//!   driver, a simulator on TCP or a pty, and pictures of the paper ([`escpos::render`]);
//! - [`led`]: LED window panels — text to 1-bit bitmaps with CJK fonts, scrolling and blinking,
//!   the Modbus-RTU driver and register map, a simulator that draws the panel;
//! - [`voice`]: voice calling — the announcement queue, templates, reading rules, voice packs and
//!   espeak-ng, WAV or ALSA output;
//! - [`gpio`] and [`keypad`]: buttons (debounced), lamps (patterns), counter keypads on serial or
//!   GPIO, and a keypad simulator;
//! - [`transport`]: the byte pipes every driver runs over: one [`Transport`](transport::Transport)
//!   trait (write, read with a timeout, discard stale input, reopen) over serial (`serial2`), TCP
//!   and USB bulk (`rusb`, vendored, explicit `Context`).
//!
//! Cameras (`Camera`, V4L2 and a file-sequence source) come with the face work.
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
