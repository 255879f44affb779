//! `kiosk sim printer` and `kiosk doctor printer`: an ESC/POS printer simulator and the printer self-test.

use std::io::Write;
use std::path::PathBuf;
use std::time::Duration;

use anyhow::{Context, Result, bail};
use device_drivers::Error as _;
use device_drivers::escpos::sim::{PrinterSim, SimConfig};
use device_drivers::escpos::{DriverConfig, EscposPrinter, PaperWidth, PrinterCondition, PrinterProfile, Ticket, TicketPrinter, TicketTemplate};
use device_drivers::transport::Transport;
use device_drivers::transport::usb::{UsbTransport, VidPid};

use crate::printing::{PrinterLink, open_usb_printer};

/// Paper width on the command line.
#[derive(Debug, Clone, Copy, clap::ValueEnum)]
pub enum Paper {
    /// 58 mm roll (32 columns).
    #[value(name = "58mm")]
    Mm58,
    /// 80 mm roll (48 columns).
    #[value(name = "80mm")]
    Mm80,
}

impl From<Paper> for PaperWidth {
    fn from(p: Paper) -> Self {
        match p {
            Paper::Mm58 => PaperWidth::Mm58,
            Paper::Mm80 => PaperWidth::Mm80,
        }
    }
}

/// `kiosk sim printer`: an ESC/POS ticket printer on TCP or a pty.
#[derive(Debug, Clone, clap::Args)]
#[command(group(clap::ArgGroup::new("endpoint").required(true).args(["tcp", "pty"])))]
pub struct PrinterSimArgs {
    /// Listen on this TCP address, e.g. 127.0.0.1:9100 (port 0 picks a free one).
    #[arg(long)]
    pub tcp: Option<String>,
    /// Open a pseudo-terminal and act as a serial printer on it.
    #[arg(long)]
    pub pty: bool,
    /// Paper loaded.
    #[arg(long, value_enum, default_value = "80mm")]
    pub paper: Paper,
    /// What the printer reports to DLE EOT: normal, paper-near-end, paper-end or cover-open.
    #[arg(long, default_value = "normal")]
    pub condition: PrinterCondition,
    /// Write each ticket into this folder as a text dump and a picture of the paper
    /// (ticket-0001.txt and ticket-0001.png, ...).
    #[arg(long)]
    pub dump: Option<PathBuf>,
    /// The CJK TrueType font for the pictures (default: Debian's fonts-wqy-microhei).
    #[arg(long)]
    pub font: Option<PathBuf>,
    /// Exit after this many tickets, once the status queries that follow the last one are answered
    /// (default: run until Ctrl-C).
    #[arg(long)]
    pub tickets: Option<usize>,
}

/// Runs the printer simulator. Prints `listening on ENDPOINT` first, then each ticket's text.
pub fn sim_printer(args: &PrinterSimArgs) -> Result<()> {
    let config = SimConfig { paper: args.paper.into(), condition: args.condition, dump_dir: args.dump.clone(), font_path: args.font.clone() };
    let sim = match (&args.tcp, args.pty) {
        (Some(addr), _) => PrinterSim::tcp(addr.as_str(), &config).with_context(|| format!("listening on {addr}"))?,
        (None, true) => PrinterSim::pty(&config).context("opening a pseudo-terminal")?,
        (None, false) => bail!("give --tcp ADDR or --pty"),
    };
    let mut out = std::io::stdout().lock();
    // The first line is for people and scripts alike: where to point the driver.
    writeln!(out, "listening on {}", sim.endpoint())?;
    out.flush()?;
    let mut n = 0;
    while args.tickets.is_none_or(|max| n < max) {
        if let Some(ticket) = sim.wait_for_ticket(n + 1, Duration::from_millis(500)) {
            n += 1;
            writeln!(out, "--- ticket {} (printer {}) ---\n{}", ticket.number, ticket.condition, ticket.text)?;
            if let Some(png) = &ticket.picture_path {
                writeln!(out, "picture: {}", png.display())?;
            }
            out.flush()?;
        }
    }
    // A driver asks for status again after the cut: answer it before going away.
    std::thread::sleep(Duration::from_secs(1));
    Ok(())
}

/// `kiosk doctor printer`: checks a ticket printer through the production driver.
#[derive(Debug, Clone, clap::Args)]
#[command(group(clap::ArgGroup::new("endpoint").required(true).args(["tcp", "port", "usb"])))]
pub struct PrinterDoctorArgs {
    /// A network printer, e.g. 192.168.1.50:9100 (raw port 9100 if no port is given).
    #[arg(long)]
    pub tcp: Option<String>,
    /// A serial printer, e.g. /dev/ttyUSB0 or /dev/hallkit/printer.
    #[arg(long)]
    pub port: Option<PathBuf>,
    /// A USB printer, VID:PID in hex (see `kiosk doctor usb`), e.g. 0416:5011.
    #[arg(long)]
    pub usb: Option<VidPid>,
    /// Serial speed.
    #[arg(long, default_value_t = 115_200)]
    pub baud: u32,
    /// Paper loaded.
    #[arg(long, value_enum, default_value = "80mm")]
    pub paper: Paper,
    /// Seconds to wait for the printer to answer.
    #[arg(long, default_value_t = 2.0)]
    pub timeout: f64,
    /// Also print a test ticket (Chinese text, a large number, a QR code, a cut).
    #[arg(long)]
    pub test_ticket: bool,
}

/// Runs the printer self-test; an error says what to do.
pub fn doctor_printer(args: &PrinterDoctorArgs) -> Result<()> {
    if !(args.timeout > 0.0 && args.timeout < 600.0) {
        bail!("--timeout must be between 0 and 600 seconds");
    }
    let timeout = Duration::from_secs_f64(args.timeout);
    let link = match (&args.tcp, &args.port, args.usb) {
        (Some(addr), _, _) => PrinterLink::Tcp(addr),
        (None, Some(path), _) => PrinterLink::Serial(path, args.baud),
        (None, None, Some(id)) => PrinterLink::Usb(id),
        (None, None, None) => bail!("give --tcp ADDR, --port PATH or --usb VID:PID"),
    };
    let transport: Box<dyn Transport> = match link {
        // A USB printer also says what it is through the printer class: opened once for both.
        PrinterLink::Usb(id) => {
            let mut usb = open_usb_printer(id, timeout).map_err(|e| anyhow::anyhow!("{e} ({:?})", e.kind()))?;
            describe_usb_printer(&mut usb);
            Box::new(usb)
        }
        other => other.open(timeout).map_err(|e| anyhow::anyhow!("{e} ({:?})", e.kind()))?,
    };
    let mut printer = EscposPrinter::new(transport, DriverConfig { answer_timeout: timeout });
    let status = printer.status().map_err(|e| anyhow::anyhow!("{e} ({:?})", e.kind()))?;
    println!("printer: {}", status.describe());
    if !status.verdict.can_print {
        bail!("the printer cannot print: {}", status.describe());
    }
    if args.test_ticket {
        let profile = PrinterProfile { paper: args.paper.into(), ..Default::default() };
        let now = chrono::Local::now().naive_local();
        let outcome = printer
            .print_ticket(&Ticket::sample(now), &TicketTemplate::default(), &profile)
            .map_err(|e| anyhow::anyhow!("test ticket failed: {e} ({:?})", e.kind()))?;
        println!("test ticket printed");
        for w in &outcome.warnings {
            println!("warning: {w}");
        }
    }
    Ok(())
}

/// What a USB printer says of itself through the printer class (IEEE 1284 device ID, port status),
/// before the ESC/POS status: a printer that answers here but not to `DLE EOT` is in another mode.
fn describe_usb_printer(usb: &mut UsbTransport) {
    if let Some(device) = usb.device() {
        println!("usb: {}", device.describe());
    }
    match usb.device_id() {
        Ok(device_id) => println!("usb device id: {}", device_id.raw),
        Err(e) => println!("usb device id: not given ({e})"),
    }
    match usb.port_status() {
        Ok(status) => println!("usb port status: {}", status.describe()),
        Err(e) => println!("usb port status: not given ({e})"),
    }
}
