//! ESC/POS ticket printers: the sans-IO core, transports, the driver and a simulator.
//!
//! How a queue ticket reaches paper, and how the simulator reads it back:
//!
//! ```text
//! Ticket + TicketTemplate ──document()──> Document (blocks: text, rule, QR, feed, cut)
//!        ──layout(PrinterProfile)──> Layout (wrapped lines, QR symbols, feeds, cuts)
//!        ──to_escpos()──> bytes ──Parser──> Events ──Replay──> Layout ──to_text()──> dump
//!                                                                 └──TicketPicture::draw()──> PNG
//! ```
//!
//! - [`ticket`]: the ticket's fields and a configurable template (default: a Chinese government
//!   hall ticket: 徐汇区行政服务中心 / 户籍办理 / **A012** / 您前面还有 3 人 / time / QR / notes).
//! - [`document`]: the paper-independent block model and [`Document::render`].
//! - [`text`]: GB18030 (or GBK-only) encoding; what cannot be printed is replaced by a visible
//!   character and reported ([`Replacement`]), never dropped; widths and wrapping (CJK = 2 columns).
//! - [`layout`]: lines as the printer lays them out; the encoder to ESC/POS; a text dump.
//! - [`command`]: every command as a value, shared by the encoder and the parser.
//! - [`parser`]: incremental parser, any chunking, never fails; unknown bytes become events.
//! - [`replay`]: parser events folded back into a [`Layout`].
//! - [`status`]: `DLE EOT 1/2/3/4` answers decoded, and the "can print / paper low" verdict.
//! - [`render`]: a [`Layout`] drawn dot for dot as the printer prints it ([`TicketPicture`]), with a
//!   real CJK font, saved as PNG.
//!
//! - [`driver`]: the [`TicketPrinter`] trait and [`EscposPrinter`], which checks `DLE EOT` status
//!   before and after every ticket, refuses to send when the printer cannot print, and reports
//!   paper-low as a warning.
//! - [`sim`]: a simulated printer on TCP or a pty, speaking the same bytes, for tests, demos and
//!   `kiosk sim printer`.
//!
//! The driver runs over any [`crate::transport::Transport`]: TCP 9100
//! ([`crate::transport::TcpTransport`], port [`RAW_PRINT_PORT`]) or serial
//! ([`crate::transport::SerialTransport`]) or USB printer class ([`crate::transport::UsbTransport`]),
//! each with explicit timeouts.
//!
//! Paper widths: 58 mm (32 columns, 384 dots) and 80 mm (48 columns, 576 dots).

pub mod command;
pub mod document;
pub mod driver;
pub mod layout;
pub mod paper;
pub mod parser;
pub mod render;
pub mod replay;
pub mod sim;
pub mod status;
pub mod text;
pub mod ticket;

#[cfg(test)]
mod sim_tests;
#[cfg(test)]
mod tests;

pub use command::{Align, CharSize, Command, Cut, QrErrorCorrection, QrModel, StatusRequest};
pub use document::{Block, BlockReplacement, Document, QrBlock, Rendered, TextStyle};
pub use driver::{DriverConfig, EscposPrinter, PrintOutcome, PrinterError, PrinterStatus, TicketPrinter};
pub use layout::{Layout, LayoutItem, Line, QrSymbol, Run, RunStyle};
pub use paper::{PaperWidth, PrinterProfile};
pub use parser::{Event, Parser, parse};
pub use render::{PictureError, PictureOptions, TicketFont, TicketPicture};
pub use replay::{Replay, replay_bytes};
pub use status::{PrinterCondition, Problem, Status, StatusReport, Verdict, decode as decode_status};
pub use text::{Charset, ReplaceReason, Replacement};
pub use ticket::{TemplateItem, Ticket, TicketTemplate};

use crate::ErrorKind;

/// The usual raw-printing TCP port ("JetDirect").
pub const RAW_PRINT_PORT: u16 = 9100;

/// Why a ticket could not be rendered. All are configuration mistakes: fix the template or the
/// printer profile.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum RenderError {
    /// A text size multiplier is outside 1–8.
    #[error("block {block}: character size {width}x{height} is not possible; use 1 to 8 for each")]
    SizeOutOfRange {
        /// Block index.
        block: usize,
        /// Width asked for.
        width: u8,
        /// Height asked for.
        height: u8,
    },
    /// A QR module size is outside 1–16.
    #[error("block {block}: QR module size {module_size} is not possible; use 1 to 16 dots")]
    QrModuleSizeOutOfRange {
        /// Block index.
        block: usize,
        /// Size asked for.
        module_size: u8,
    },
    /// A QR block has nothing to encode.
    #[error("block {block}: the QR payload is empty; give a link or leave the QR block out")]
    EmptyQrPayload {
        /// Block index.
        block: usize,
    },
    /// A QR payload does not fit a QR symbol at its error-correction level.
    #[error(
        "block {block}: the QR payload is {len} bytes, more than the {capacity} a QR code holds at this error correction; shorten the link or lower the error correction"
    )]
    QrPayloadTooLong {
        /// Block index.
        block: usize,
        /// Payload length in bytes.
        len: usize,
        /// The most the symbol holds.
        capacity: usize,
    },
    /// The replacement character cannot itself be printed.
    #[error("the replacement character {replacement:?} cannot be printed ({reason:?}); choose one such as '?' or '□'")]
    UnprintableReplacement {
        /// The configured character.
        replacement: char,
        /// Why it cannot be printed.
        reason: ReplaceReason,
    },
    /// A template placeholder is unknown or unclosed.
    #[error(
        "template text {text:?}: placeholder {name:?} is not one of {{hall}} {{number}} {{service}} {{ahead}} {{time}} {{qr}} (write {{{{ or }}}} for a literal brace)"
    )]
    BadPlaceholder {
        /// The template text.
        text: String,
        /// What was inside the braces (or the stray brace).
        name: String,
    },
    /// The template's time format is not valid strftime.
    #[error("time format {format:?} is not a valid chrono strftime format; try \"%Y-%m-%d %H:%M\"")]
    BadTimeFormat {
        /// The format.
        format: String,
    },
}

impl crate::Error for RenderError {
    fn kind(&self) -> ErrorKind {
        ErrorKind::Other
    }
}

/// A status byte that is not an answer to `DLE EOT`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum StatusError {
    /// The fixed bits (1 and 4 set, 0 and 7 clear) are wrong.
    #[error("byte {byte:#04x} is not an answer to DLE EOT {}: bits 1 and 4 must be set and bits 0 and 7 clear; check the printer is in ESC/POS mode and Automatic Status Back is off", .request.byte())]
    NotAStatusByte {
        /// What was asked.
        request: StatusRequest,
        /// What came back.
        byte: u8,
    },
}

impl crate::Error for StatusError {
    fn kind(&self) -> ErrorKind {
        ErrorKind::Protocol
    }
}
