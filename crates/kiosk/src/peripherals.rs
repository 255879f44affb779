//! Technician commands for peripherals: simulators (`kiosk sim ...`) that speak a device's real
//! bytes on a TCP port or a pseudo-terminal, and self-tests (`kiosk doctor ...`) that drive a real
//! or simulated device through the production driver and say in words what is wrong.

use std::io::Write;
use std::path::PathBuf;
use std::time::Duration;

use anyhow::{Context, Result, bail};
use device_drivers::Error as _;
use device_drivers::escpos::sim::{PrinterSim, SimConfig};
use device_drivers::escpos::{DriverConfig, EscposPrinter, PaperWidth, PrinterCondition, PrinterProfile, Ticket, TicketPrinter, TicketTemplate};
use device_drivers::transport::{SerialConfig, SerialTransport, TcpTransport, Transport};

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
    /// Write each ticket's text dump into this folder (ticket-0001.txt, ...).
    #[arg(long)]
    pub dump: Option<PathBuf>,
    /// Exit after this many tickets, once the status queries that follow the last one are answered
    /// (default: run until Ctrl-C).
    #[arg(long)]
    pub tickets: Option<usize>,
}

/// Runs the printer simulator. Prints `listening on ENDPOINT` first, then each ticket's text.
pub fn sim_printer(args: &PrinterSimArgs) -> Result<()> {
    let config = SimConfig { paper: args.paper.into(), condition: args.condition, dump_dir: args.dump.clone() };
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
            out.flush()?;
        }
    }
    // A driver asks for status again after the cut: answer it before going away.
    std::thread::sleep(Duration::from_secs(1));
    Ok(())
}

/// `kiosk doctor printer`: checks a ticket printer through the production driver.
#[derive(Debug, Clone, clap::Args)]
#[command(group(clap::ArgGroup::new("endpoint").required(true).args(["tcp", "port"])))]
pub struct PrinterDoctorArgs {
    /// A network printer, e.g. 192.168.1.50:9100 (raw port 9100 if no port is given).
    #[arg(long)]
    pub tcp: Option<String>,
    /// A serial printer, e.g. /dev/ttyUSB0 or /dev/hallkit/printer.
    #[arg(long)]
    pub port: Option<PathBuf>,
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
    let transport: Box<dyn Transport> = match (&args.tcp, &args.port) {
        (Some(addr), _) => {
            let addr = if addr.contains(':') { addr.clone() } else { format!("{addr}:{}", device_drivers::escpos::RAW_PRINT_PORT) };
            Box::new(TcpTransport::connect(addr.as_str(), timeout, timeout)?)
        }
        (None, Some(path)) => Box::new(SerialTransport::open(path, args.baud, timeout)?),
        (None, None) => bail!("give --tcp ADDR or --port PATH"),
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

/// `kiosk sim idcard`: a GA/T 467 ID-card reader on a pseudo-terminal or a serial port.
#[derive(Debug, Clone, clap::Args)]
#[command(group(clap::ArgGroup::new("endpoint").required(true).args(["pty", "port"])))]
pub struct IdcardSimArgs {
    /// Open a pseudo-terminal and act as a reader on it (its path is printed).
    #[arg(long)]
    pub pty: bool,
    /// Act as a reader on this serial port (e.g. one end of a null-modem cable).
    #[arg(long)]
    pub port: Option<PathBuf>,
    /// Serial speed with --port.
    #[arg(long, default_value_t = device_drivers::transport::DEFAULT_BAUD)]
    pub baud: u32,
    /// Card files (TOML or JSON; see examples/cards/). The first is on the reader at start.
    #[arg(long = "card", required = true)]
    pub cards: Vec<PathBuf>,
    /// Faults to inject: bad-checksum, truncated-frame, slow-bytes:MICROS, sam-error:CODE,
    /// card-removed-mid-read, no-card.
    #[arg(long = "fault")]
    pub faults: Vec<device_drivers::idcard::sim::Fault>,
    /// Stop after this many seconds (default: run until Ctrl-C).
    #[arg(long)]
    pub seconds: Option<u64>,
}

fn load_card(path: &std::path::Path) -> Result<device_drivers::idcard::sim::SimCard> {
    use device_drivers::idcard::card_spec::CardSpec;
    let text = std::fs::read_to_string(path).with_context(|| format!("reading card file {}", path.display()))?;
    let spec: CardSpec = if path.extension().is_some_and(|e| e == "json") {
        serde_json::from_str(&text).with_context(|| format!("card file {}", path.display()))?
    } else {
        toml::from_str(&text).with_context(|| format!("card file {}", path.display()))?
    };
    let base = path.parent().unwrap_or(std::path::Path::new("."));
    spec.into_sim_card(base).with_context(|| format!("card file {}", path.display()))
}

/// Runs the reader simulator. Prints `listening on PATH` first.
pub fn sim_idcard(args: &IdcardSimArgs) -> Result<()> {
    use device_drivers::idcard::sim::Simulator;
    let cards = args.cards.iter().map(|p| load_card(p)).collect::<Result<Vec<_>>>()?;
    let (path, handle) = match &args.port {
        Some(port) => {
            let h = Simulator::spawn_on_path(port, args.baud, cards, args.faults.clone()).with_context(|| format!("opening {}", port.display()))?;
            (port.clone(), h)
        }
        None => Simulator::spawn_pty(cards, args.faults.clone()).context("opening a pseudo-terminal")?,
    };
    println!("listening on {}", path.display());
    std::io::stdout().flush()?;
    match args.seconds {
        Some(s) => std::thread::sleep(Duration::from_secs(s)),
        None => loop {
            std::thread::sleep(Duration::from_secs(3600));
        },
    }
    handle.stop().context("stopping the simulator")?;
    Ok(())
}

/// `kiosk doctor idcard`: waits for a card on a reader and prints what it reads.
#[derive(Debug, Clone, clap::Args)]
pub struct IdcardDoctorArgs {
    /// The reader's serial port, e.g. /dev/ttyUSB0 or /dev/hallkit/idcard.
    #[arg(long)]
    pub port: PathBuf,
    /// Serial speed.
    #[arg(long, default_value_t = device_drivers::transport::DEFAULT_BAUD)]
    pub baud: u32,
    /// Seconds to wait for a card to be placed.
    #[arg(long, default_value_t = 30.0)]
    pub timeout: f64,
    /// Print one JSON object on stdout instead of text.
    #[arg(long)]
    pub json: bool,
    /// Show the ID number and address unmasked (personal information: only with the holder present).
    #[arg(long)]
    pub show_pii: bool,
    /// The reader vendor's WLT photo decoder library (a .so exporting `int unpack(char *wlt, char
    /// *bmp, int flag)`); without it the photo is reported as undecoded.
    #[arg(long)]
    pub photo_decoder: Option<PathBuf>,
}

/// Reads one card and prints it; errors say what to do.
pub fn doctor_idcard(args: &IdcardDoctorArgs) -> Result<()> {
    use device_drivers::idcard::id_number::mask_middle;
    use device_drivers::idcard::{CardDetails, CardReader, ReadOptions, ReaderSession, ValidUntil};
    if !(args.timeout > 0.0 && args.timeout < 3600.0) {
        bail!("--timeout must be between 0 and 3600 seconds");
    }
    let transport = SerialTransport::from_config(SerialConfig::new(&args.port).with_baud(args.baud))
        .with_context(|| format!("cannot open the reader at {}: check the cable and the port name", args.port.display()))?;
    let mut reader = ReaderSession::new(transport);
    reader.reset().map_err(|e| anyhow::anyhow!("the reader did not accept a reset: {e} ({:?})", e.kind()))?;
    reader.sam_status().map_err(|e| anyhow::anyhow!("the reader's security module (SAM) reports a problem: {e}"))?;
    let deadline = std::time::Instant::now() + Duration::from_secs_f64(args.timeout);
    if !args.json {
        eprintln!("reader ready: place a card on it (waiting {} s)", args.timeout);
    }
    let reading = loop {
        match reader.read_card(ReadOptions::default()) {
            Ok(Some(r)) => break r,
            Ok(None) if std::time::Instant::now() < deadline => std::thread::sleep(Duration::from_millis(300)),
            Ok(None) => bail!("no card was placed on the reader within {} s", args.timeout),
            Err(e) => bail!("reading the card failed: {e} ({:?})", e.kind()),
        }
    };
    let card = &reading.card;
    let today = chrono::Local::now().date_naive();
    let pii = |s: &str| if args.show_pii { s.to_owned() } else { mask_middle(s, 6, 4) };
    let mut v = serde_json::json!({
        "card_type": card.card_type().as_str(),
        "name": card.name,
        "sex": card.sex.name(),
        "ethnicity": card.ethnicity().map(|e| e.name()),
        "birth_date": card.birth_date,
        "address": card.address().map(pii),
        "id_number": if args.show_pii { card.id_number.unmasked().to_owned() } else { card.id_number.masked() },
        "valid_from": card.valid_from,
        "valid_until": match card.valid_until { ValidUntil::Date(d) => d.to_string(), ValidUntil::LongTerm => "长期".to_owned() },
        "expired": card.is_expired(today),
        "photo": photo_json(args.photo_decoder.as_deref(), &card.photo.0),
        "serial": reading.serial.to_string(),
    });
    match &card.details {
        CardDetails::ResidentId { authority, .. } => v["authority"] = authority.clone().into(),
        CardDetails::ResidencePermit { authority, pass_number, issue_count, .. } => {
            v["authority"] = authority.clone().into();
            v["pass_number"] = pii(pass_number).into();
            v["issue_count"] = issue_count.clone().into();
        }
        CardDetails::ForeignPermanent2017 { english_name, nationality, card_version, authority_code } => {
            v["english_name"] = english_name.clone().into();
            v["nationality"] = nationality.clone().into();
            v["card_version"] = card_version.clone().into();
            v["authority_code"] = authority_code.clone().into();
        }
        CardDetails::ForeignPermanent2023 { english_name, nationality, renewal_count, .. } => {
            v["english_name"] = english_name.clone().into();
            v["nationality"] = nationality.clone().into();
            v["renewal_count"] = renewal_count.clone().into();
        }
        _ => {}
    }
    if args.json {
        println!("{v}");
    } else if let Some(map) = v.as_object() {
        for (k, val) in map {
            println!("{k:<14} {}", val.as_str().map(str::to_owned).unwrap_or_else(|| val.to_string()));
        }
    }
    if card.is_expired(today) {
        eprintln!("note: this card has EXPIRED; a kiosk refuses it");
    }
    Ok(())
}

/// What is known about the card photo: decoded by the vendor library when one is given, otherwise
/// reported as undecoded (face verification then falls back to the staffed path).
fn photo_json(decoder: Option<&std::path::Path>, wlt: &[u8]) -> serde_json::Value {
    use device_drivers::idcard::photo::{Photo, PhotoDecoder, PhotoSource, VendorLibraryConfig};
    let source = match decoder {
        Some(path) => PhotoSource::VendorLibrary(VendorLibraryConfig::new(path)),
        None => PhotoSource::NoDecoder,
    };
    match PhotoDecoder::open(&source).and_then(|d| d.decode(wlt)) {
        Ok(Photo::Decoded { image, by }) => serde_json::json!({
            "format": "wlt", "bytes": wlt.len(), "decoded": true, "by": format!("{by:?}"),
            "width": image.width(), "height": image.height(),
        }),
        Ok(other) => serde_json::json!({
            "format": "wlt", "bytes": wlt.len(), "decoded": false,
            "reason": match &other { Photo::Undecoded { reason } => reason.to_string(), _ => "unknown".to_owned() },
        }),
        Err(e) => serde_json::json!({ "format": "wlt", "bytes": wlt.len(), "decoded": false, "reason": e.to_string() }),
    }
}
