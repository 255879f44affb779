//! The ESC/POS ticket-printer driver: status before and after every ticket, so that a ticket is
//! never reported printed when the printer said it could not print, and paper-low reaches the
//! device's health before tickets start failing.
//!
//! # One print, step by step
//! 1. Ask `DLE EOT 1` (online?), `DLE EOT 2` (offline cause), `DLE EOT 4` (paper sensor), and
//!    `DLE EOT 3` only when `2` reports an error. No answer to `1` is [`PrinterError::NoAnswer`];
//!    unanswered `2`/`4` are tolerated (some printers answer only `1` while busy).
//! 2. If the verdict is "cannot print" (offline, cover open, paper end, an error), refuse with
//!    [`PrinterError::NotReady`]: nothing is sent, so the printer will not print the ticket later
//!    either, when someone closes the cover.
//! 3. Send the ticket's bytes.
//! 4. Ask the status again. `DLE EOT` is answered at once, even while the printer is still
//!    working through its buffer, so this catches what the printer knows now (cover opened, paper
//!    ran out during the ticket), not the last dot reaching paper: no ESC/POS printer reports that
//!    without vendor-specific commands.
//! 5. Report [`PrintOutcome`] with any warnings (paper near end).

use std::time::Duration;

use super::command::StatusRequest;
use super::document::Rendered;
use super::paper::PrinterProfile;
use super::status::{Problem, Status, StatusReport, Verdict, decode};
use super::ticket::{Ticket, TicketTemplate};
use super::{RenderError, StatusError};
use crate::ErrorKind;
use crate::transport::{Transport, TransportError};

/// A ticket printer, whatever its protocol and transport.
pub trait TicketPrinter {
    /// The driver's error.
    type Error: crate::Error + From<RenderError>;

    /// Asks the printer for its real-time status.
    ///
    /// # Errors
    /// When the printer does not answer or cannot be reached.
    fn status(&mut self) -> Result<PrinterStatus, Self::Error>;

    /// Prints a rendered ticket, checking the status before and after.
    ///
    /// # Errors
    /// When the printer cannot print (nothing is sent), fails while the ticket is sent, or reports
    /// a problem afterwards. An `Ok` means the printer took the whole ticket and reported no
    /// problem that stops printing.
    fn print(&mut self, rendered: &Rendered) -> Result<PrintOutcome, Self::Error>;

    /// Renders `ticket` with `template` for `profile`, then [`TicketPrinter::print`]s it.
    ///
    /// # Errors
    /// A render error (the template or profile is wrong), or as [`TicketPrinter::print`].
    fn print_ticket(&mut self, ticket: &Ticket, template: &TicketTemplate, profile: &PrinterProfile) -> Result<PrintOutcome, Self::Error> {
        let rendered = template.render(ticket, profile)?;
        self.print(&rendered)
    }
}

/// The answers to one round of status requests and what they mean.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct PrinterStatus {
    /// The decoded answers.
    pub report: StatusReport,
    /// Whether the printer can print, and every problem found.
    pub verdict: Verdict,
}

impl PrinterStatus {
    /// The status in words for a technician, e.g. "ready" or "cannot print: cover open (close
    /// the cover)".
    pub fn describe(&self) -> String {
        let problems = list(&self.verdict.problems);
        match (self.verdict.can_print, self.verdict.problems.is_empty()) {
            (true, true) => "ready".to_string(),
            (true, false) => format!("ready, but: {problems}"),
            (false, _) => format!("cannot print: {problems}"),
        }
    }
}

/// What happened to a ticket that was printed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PrintOutcome {
    /// The status before sending.
    pub before: PrinterStatus,
    /// The status after sending.
    pub after: PrinterStatus,
    /// Problems that did not stop printing but need a person soon (paper near end), from either
    /// status round, each once.
    pub warnings: Vec<Problem>,
}

impl PrintOutcome {
    /// Whether the paper is running low: the device's health should say so now.
    pub fn paper_low(&self) -> bool {
        self.after.verdict.paper_low || self.before.verdict.paper_low
    }
}

/// Why the driver did not print, or could not confirm a print.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum PrinterError {
    /// The transport failed while asking for status (nothing was printed).
    #[error(transparent)]
    Transport(#[from] TransportError),
    /// The printer did not answer `DLE EOT 1`.
    #[error("the printer did not answer the status request within {timeout:?}; check it is switched on, connected, and in ESC/POS mode")]
    NoAnswer {
        /// The time allowed.
        timeout: Duration,
    },
    /// The printer answered with a byte that is not a status answer.
    #[error(transparent)]
    BadStatus(#[from] StatusError),
    /// The printer said it cannot print; nothing was sent.
    #[error("the printer cannot print: {}; the ticket was not sent", list(.problems))]
    NotReady {
        /// What stops it (never empty).
        problems: Vec<Problem>,
    },
    /// The connection failed while the ticket was being sent: it may be partly printed.
    #[error("the ticket was only partly sent and may be partly printed, so print it again once the printer is back: {source}")]
    Interrupted {
        /// What failed.
        #[source]
        source: TransportError,
    },
    /// The ticket was sent, but the status afterwards could not be read: it may not have printed.
    #[error("the ticket was sent but the printer did not confirm it ({source}); check the printer and print it again if nothing came out")]
    Unconfirmed {
        /// What failed.
        #[source]
        source: Box<PrinterError>,
    },
    /// The ticket was sent, and then the printer reported a problem that stops printing.
    #[error("the printer reported {} after the ticket was sent; the ticket may be incomplete, so print it again once this is fixed", list(.problems))]
    StoppedAfterSending {
        /// What stops it (never empty).
        problems: Vec<Problem>,
    },
    /// The ticket could not be rendered (a template or profile mistake).
    #[error(transparent)]
    Render(#[from] RenderError),
}

impl crate::Error for PrinterError {
    fn kind(&self) -> ErrorKind {
        match self {
            PrinterError::Transport(e) | PrinterError::Interrupted { source: e } => e.kind(),
            PrinterError::NoAnswer { .. } => ErrorKind::Timeout,
            PrinterError::BadStatus(e) => e.kind(),
            PrinterError::NotReady { .. } | PrinterError::StoppedAfterSending { .. } => ErrorKind::NeedsAttention,
            PrinterError::Unconfirmed { source } => source.kind(),
            PrinterError::Render(e) => e.kind(),
        }
    }
}

fn list(problems: &[Problem]) -> String {
    problems.iter().map(Problem::to_string).collect::<Vec<_>>().join(", ")
}

/// Driver settings.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct DriverConfig {
    /// How long to wait for each `DLE EOT` answer. Printers answer within milliseconds; the
    /// default of 1 s allows for a slow serial line and a busy network.
    pub answer_timeout: Duration,
}

impl Default for DriverConfig {
    fn default() -> Self {
        DriverConfig { answer_timeout: Duration::from_secs(1) }
    }
}

/// The ESC/POS driver over any [`Transport`].
#[derive(Debug)]
pub struct EscposPrinter<T> {
    transport: T,
    config: DriverConfig,
}

impl<T: Transport> EscposPrinter<T> {
    /// A driver on `transport`.
    pub fn new(transport: T, config: DriverConfig) -> EscposPrinter<T> {
        EscposPrinter { transport, config }
    }

    /// The settings.
    pub fn config(&self) -> &DriverConfig {
        &self.config
    }

    /// The transport, e.g. to drop the connection.
    pub fn into_transport(self) -> T {
        self.transport
    }

    /// Sends one `DLE EOT n` and decodes the answer; `None` when there was none in time.
    ///
    /// # Errors
    /// A transport failure, or a byte that is not a status answer.
    pub fn query(&mut self, request: StatusRequest) -> Result<Option<Status>, PrinterError> {
        self.transport.discard_input()?;
        self.transport.write_all(&request.bytes())?;
        let mut byte = [0u8; 1];
        match self.transport.read(&mut byte, self.config.answer_timeout) {
            Ok(_) => Ok(Some(decode(request, byte[0])?)),
            Err(TransportError::Timeout { .. }) => {
                tracing::debug!(request = request.byte(), "no answer to DLE EOT");
                Ok(None)
            }
            Err(e) => Err(e.into()),
        }
    }

    fn check(&mut self) -> Result<PrinterStatus, PrinterError> {
        let mut report = StatusReport::default();
        match self.query(StatusRequest::Printer)? {
            Some(status) => report.record(status),
            None => return Err(PrinterError::NoAnswer { timeout: self.config.answer_timeout }),
        }
        for request in [StatusRequest::OfflineCause, StatusRequest::PaperSensor] {
            if let Some(status) = self.query(request)? {
                report.record(status);
            }
        }
        if report.offline_cause.is_some_and(|c| c.error)
            && let Some(status) = self.query(StatusRequest::ErrorCause)?
        {
            report.record(status);
        }
        let verdict = report.verdict();
        Ok(PrinterStatus { report, verdict })
    }
}

fn blocking(verdict: &Verdict) -> Vec<Problem> {
    verdict.problems.iter().copied().filter(|p| p.blocks_printing()).collect()
}

impl<T: Transport> TicketPrinter for EscposPrinter<T> {
    type Error = PrinterError;

    fn status(&mut self) -> Result<PrinterStatus, PrinterError> {
        self.check()
    }

    fn print(&mut self, rendered: &Rendered) -> Result<PrintOutcome, PrinterError> {
        if !rendered.replacements.is_empty() {
            tracing::warn!(count = rendered.replacements.len(), "printing a ticket with characters replaced because the printer cannot print them");
        }
        let before = self.check()?;
        if !before.verdict.can_print {
            let problems = blocking(&before.verdict);
            tracing::warn!(status = %before.describe(), "not printing: the printer cannot print");
            return Err(PrinterError::NotReady { problems });
        }
        self.transport.write_all(&rendered.bytes).map_err(|source| PrinterError::Interrupted { source })?;
        let after = self.check().map_err(|e| match e {
            // The connection broke after the last byte was written: as likely mid-ticket as not.
            PrinterError::Transport(source @ TransportError::Disconnected { .. }) => PrinterError::Interrupted { source },
            other => PrinterError::Unconfirmed { source: Box::new(other) },
        })?;
        if !after.verdict.can_print {
            let problems = blocking(&after.verdict);
            tracing::warn!(status = %after.describe(), "the printer reported a problem after the ticket was sent");
            return Err(PrinterError::StoppedAfterSending { problems });
        }
        let mut warnings: Vec<Problem> = Vec::new();
        for p in before.verdict.problems.iter().chain(&after.verdict.problems) {
            if !warnings.contains(p) {
                warnings.push(*p);
            }
        }
        if !warnings.is_empty() {
            tracing::warn!(status = %after.describe(), "ticket printed with a warning");
        }
        Ok(PrintOutcome { before, after, warnings })
    }
}
