//! Printing tickets, after they are committed.
//!
//! A ticket exists once its row and outbox event are committed ([`crate::desk`]); printing comes
//! after, and is recorded with `mark_printed`. A kiosk that crashes or loses its printer between the
//! two leaves the ticket unprinted, and [`reprint_recent`] prints it again — with the same number,
//! never a new one. A printer that says it cannot print (paper out, cover open) is never taken to
//! have printed: the citizen is told, and the ticket stays unprinted.

use std::path::Path;
use std::time::Duration;

use chrono::{DateTime, Utc};
use device_drivers::escpos::{DriverConfig, EscposPrinter, PaperWidth, PrinterError, PrinterProfile, Ticket, TicketPrinter, TicketTemplate};
use device_drivers::transport::usb::{self, VidPid, parse_vid_pid};
use device_drivers::transport::{SerialTransport, TcpTransport, Transport, TransportError};
use hall_protocol::{ServiceCode, TicketId, TicketIssued, TicketNumber};
use offline_store::Store;
use serde::Serialize;

use crate::config::{Config, PrinterSection};

/// Why a ticket was not printed.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum PrintError {
    /// The printer could not be reached or refused.
    #[error(transparent)]
    Printer(#[from] PrinterError),
    /// The printer's connection could not be opened.
    #[error("cannot reach the printer: {0}")]
    Connect(#[from] TransportError),
    /// `[printer] usb` is not a VID:PID.
    #[error("[printer] usb: {0}")]
    Usb(String),
    /// No `[printer]` in the config.
    #[error("no printer is configured ([printer] in the config file)")]
    NotConfigured,
    /// Recording the print failed (the ticket did print).
    #[error("the ticket printed but recording that failed: {0}")]
    Store(#[from] offline_store::StoreError),
}

/// What printing did, for the receipt JSON and the screen.
#[derive(Debug, Clone, Serialize, PartialEq, Eq)]
pub struct PrintReport {
    /// True once the printer confirmed the ticket.
    pub printed: bool,
    /// Why not, in words for the citizen or technician.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub error: Option<String>,
    /// Warnings such as "paper nearly used up".
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub warnings: Vec<String>,
}

/// Where a ticket printer is.
#[derive(Debug, Clone, Copy)]
pub enum PrinterLink<'a> {
    /// A network printer, `host:port` (raw port 9100).
    Tcp(&'a str),
    /// A serial printer and its speed.
    Serial(&'a Path, u32),
    /// A USB printer-class printer.
    Usb(VidPid),
}

impl<'a> PrinterLink<'a> {
    /// The link a `[printer]` section names.
    pub fn of(section: &'a PrinterSection) -> Result<Self, PrintError> {
        match (&section.tcp, &section.port, &section.usb) {
            (Some(addr), _, _) => Ok(Self::Tcp(addr)),
            (None, Some(path), _) => Ok(Self::Serial(path, section.baud)),
            (None, None, Some(usb)) => parse_vid_pid(usb).map(Self::Usb).map_err(|e| PrintError::Usb(e.to_string())),
            (None, None, None) => Err(PrintError::NotConfigured),
        }
    }

    /// Opens the link with `timeout` for connecting and writing.
    pub fn open(self, timeout: Duration) -> Result<Box<dyn Transport>, TransportError> {
        Ok(match self {
            Self::Tcp(addr) => {
                let addr = if addr.contains(':') { addr.to_owned() } else { format!("{addr}:{}", device_drivers::escpos::RAW_PRINT_PORT) };
                Box::new(TcpTransport::connect(addr.as_str(), timeout, timeout)?)
            }
            Self::Serial(path, baud) => Box::new(SerialTransport::open(path, baud, timeout)?),
            Self::Usb(id) => Box::new(open_usb_printer(id, timeout)?),
        })
    }
}

/// Opens a USB printer-class printer with `timeout` for writing.
pub fn open_usb_printer(id: VidPid, timeout: Duration) -> Result<usb::UsbTransport, TransportError> {
    let context = usb::new_context()?;
    Ok(usb::UsbTransport::open(&context, usb::UsbConfig::printer(id).with_write_timeout(timeout))?)
}

fn open(section: &PrinterSection) -> Result<EscposPrinter<Box<dyn Transport>>, PrintError> {
    let timeout = Duration::from_millis(section.timeout_ms);
    let transport = PrinterLink::of(section)?.open(timeout)?;
    Ok(EscposPrinter::new(transport, DriverConfig { answer_timeout: timeout }))
}

fn profile(section: &PrinterSection) -> PrinterProfile {
    let paper = if section.paper == "58mm" { PaperWidth::Mm58 } else { PaperWidth::Mm80 };
    PrinterProfile { paper, ..Default::default() }
}

/// What goes on paper for one ticket.
#[derive(Debug, Clone)]
pub struct PrintJob {
    /// Which ticket (recorded as printed afterwards).
    pub ticket_id: TicketId,
    /// Its number.
    pub number: TicketNumber,
    /// Its service.
    pub service: ServiceCode,
    /// When it was issued.
    pub issued_at: DateTime<Utc>,
    /// People ahead, when known (not on reprints).
    pub ahead: Option<u32>,
}

impl From<&crate::desk::Receipt> for PrintJob {
    fn from(r: &crate::desk::Receipt) -> Self {
        Self { ticket_id: r.ticket_id.clone(), number: r.number, service: r.service.clone(), issued_at: r.issued_at, ahead: Some(r.waiting_ahead) }
    }
}

impl From<&TicketIssued> for PrintJob {
    fn from(t: &TicketIssued) -> Self {
        Self { ticket_id: t.ticket_id.clone(), number: t.number, service: t.service.clone(), issued_at: t.issued_at, ahead: None }
    }
}

/// Prints one committed ticket and records it as printed.
pub fn print_ticket(store: &mut Store, config: &Config, ticket: &PrintJob) -> Result<PrintReport, PrintError> {
    let section = config.printer.as_ref().ok_or(PrintError::NotConfigured)?;
    let hall = &config.device.hall;
    let hall_name = store.hall(hall)?.map(|h| h.name).unwrap_or_else(|| hall.to_string());
    let service_name = store.service(hall, &ticket.service)?.map(|s| s.name).unwrap_or_else(|| ticket.service.to_string());
    let offset = config.hall_offset();
    let number = ticket.number.to_string();
    let doc = Ticket {
        hall: hall_name,
        number: number.clone(),
        service: service_name,
        ahead: ticket.ahead,
        issued_at: ticket.issued_at.with_timezone(&offset).naive_local(),
        qr: section.qr_url.as_ref().map(|u| u.replace("{ticket_id}", &ticket.ticket_id.to_string()).replace("{number}", &number)),
        notes: vec!["请留意叫号".into(), "过号请重新取号".into()],
    };
    let mut printer = open(section)?;
    let outcome = printer.print_ticket(&doc, &TicketTemplate::default(), &profile(section))?;
    store.mark_printed(&ticket.ticket_id)?;
    Ok(PrintReport { printed: true, error: None, warnings: outcome.warnings.iter().map(ToString::to_string).collect() })
}

/// Prints a ticket, turning any failure into a report (the ticket itself is already safe). The
/// printer's condition is kept as the device's printer health ([`PrinterHealth`]), so paper
/// running low shows in `kiosk status` before the roll runs out.
pub fn try_print(store: &mut Store, config: &Config, ticket: &PrintJob) -> PrintReport {
    let report = match print_ticket(store, config, ticket) {
        Ok(r) => r,
        Err(e) => {
            tracing::warn!(ticket = %ticket.ticket_id, error = %e, "ticket not printed; it stays unprinted for a reprint");
            PrintReport { printed: false, error: Some(e.to_string()), warnings: Vec::new() }
        }
    };
    let health = PrinterHealth::from_report(&report, chrono::Utc::now());
    if let Err(e) = health.save(store) {
        tracing::warn!(error = %e, "could not record the printer's health");
    }
    report
}

/// The printer's condition after the last ticket: ready, ready with warnings (paper nearly used
/// up), or not printing and why. Kept in the device store's settings.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct PrinterHealth {
    /// `ok`, `warning` or `failing`.
    pub state: String,
    /// What the printer or the driver said.
    pub detail: Vec<String>,
    /// When.
    pub at: DateTime<Utc>,
}

const HEALTH_KEY: &str = "printer.health";

impl PrinterHealth {
    /// From a print attempt.
    pub fn from_report(report: &PrintReport, at: DateTime<Utc>) -> Self {
        let (state, detail) = match (&report.error, report.warnings.is_empty()) {
            (Some(e), _) => ("failing", vec![e.clone()]),
            (None, false) => ("warning", report.warnings.clone()),
            (None, true) => ("ok", Vec::new()),
        };
        Self { state: state.to_owned(), detail, at }
    }

    /// Records it.
    pub fn save(&self, store: &mut Store) -> Result<(), PrintError> {
        // Strings and a timestamp always serialise; an empty record would read back as none.
        let json = serde_json::to_string(self).unwrap_or_default();
        store.set_setting(HEALTH_KEY, &json)?;
        Ok(())
    }

    /// The last one recorded, if any (an unreadable record counts as none).
    pub fn load(store: &Store) -> Result<Option<Self>, PrintError> {
        Ok(store.setting(HEALTH_KEY)?.and_then(|s| serde_json::from_str(&s).ok()))
    }
}

/// Reprints committed-but-unprinted tickets issued within `max_age` before `now` (older ones are
/// left alone: their citizen has gone). Returns each ticket with its report.
pub fn reprint_recent(store: &mut Store, config: &Config, now: DateTime<Utc>, max_age: chrono::Duration) -> Result<Vec<(TicketId, PrintReport)>, PrintError> {
    let mut done = Vec::new();
    for t in store.unprinted_tickets()? {
        if now - t.issued_at > max_age {
            continue;
        }
        let report = try_print(store, config, &PrintJob::from(&t));
        done.push((t.ticket_id.clone(), report));
    }
    Ok(done)
}
