//! `kiosk sim idcard` and `kiosk doctor idcard`: a GA/T 467 reader simulator and the reader self-test.

use std::io::Write;
use std::path::PathBuf;
use std::time::Duration;

use crate::config::ReaderLink;
use anyhow::{Context, Result, bail};
use device_drivers::Error as _;
use device_drivers::idcard::image_file::encode_png;
use device_drivers::idcard::photo::{DecodedBy, Photo, PhotoDecoder, PhotoSource, RgbImage, VendorLibraryConfig};

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
    /// Act as a reader that decodes photos itself: reads return each card's `photo` image as a
    /// 102×126 BMP instead of 1024 bytes of WLT (every card file then needs a `photo`).
    #[arg(long)]
    pub decodes_photos: bool,
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
    let mut cards = args.cards.iter().map(|p| load_card(p)).collect::<Result<Vec<_>>>()?;
    if args.decodes_photos {
        cards = cards
            .into_iter()
            .zip(&args.cards)
            .map(|(card, path)| {
                card.decoding_photo()
                    .with_context(|| format!("card file {} has no `photo` image; --decodes-photos needs one (a 102×126 PNG or BMP)", path.display()))
            })
            .collect::<Result<Vec<_>>>()?;
    }
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
#[command(group(clap::ArgGroup::new("endpoint").required(true).args(["port", "usb"])))]
pub struct IdcardDoctorArgs {
    /// The reader's serial port, e.g. /dev/ttyUSB0 or /dev/hallkit/idcard.
    #[arg(long)]
    pub port: Option<PathBuf>,
    /// A USB reader, VID:PID in hex (see `kiosk doctor usb`); its bulk endpoints are found from its
    /// descriptors.
    #[arg(long)]
    pub usb: Option<device_drivers::transport::usb::VidPid>,
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
    #[arg(long, conflicts_with = "reader_decodes_photo")]
    pub photo_decoder: Option<PathBuf>,
    /// The reader decodes photos itself and returns a BMP instead of WLT.
    #[arg(long)]
    pub reader_decodes_photo: bool,
    /// Save the decoded photo as a PNG here (personal data: needs --show-pii; delete it after).
    #[arg(long, requires = "show_pii")]
    pub save_photo: Option<PathBuf>,
}

impl IdcardDoctorArgs {
    fn photo_source(&self) -> PhotoSource {
        match (&self.photo_decoder, self.reader_decodes_photo) {
            (Some(path), _) => PhotoSource::VendorLibrary(VendorLibraryConfig::new(path)),
            (None, true) => PhotoSource::ReaderDecodes,
            (None, false) => PhotoSource::NoDecoder,
        }
    }
}

/// Reads one card and prints it; errors say what to do.
pub fn doctor_idcard(args: &IdcardDoctorArgs) -> Result<()> {
    use device_drivers::idcard::id_number::mask_middle;
    use device_drivers::idcard::{CardDetails, CardReader, ReadOptions, ReaderSession, SessionConfig, ValidUntil};
    if !(args.timeout > 0.0 && args.timeout < 3600.0) {
        bail!("--timeout must be between 0 and 3600 seconds");
    }
    let link = match (&args.port, args.usb) {
        (Some(port), _) => ReaderLink::Serial(port, args.baud),
        (None, Some(id)) => ReaderLink::Usb(id),
        (None, None) => bail!("give --port PATH or --usb VID:PID"),
    };
    let transport = link.open()?;
    let config = if args.reader_decodes_photo { SessionConfig::for_photo_reader() } else { SessionConfig::default() };
    let mut reader = ReaderSession::with_config(transport, config);
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
    let photo = describe_photo(&args.photo_source(), &card.photo.0);
    if let Some(out) = &args.save_photo {
        let image = photo.image.as_ref().with_context(|| format!("no photo to save: {}", photo.json))?;
        std::fs::write(out, encode_png(image)).with_context(|| format!("writing the photo to {}", out.display()))?;
        eprintln!("photo saved to {} (personal data: delete it when done)", out.display());
    }
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
        "photo": photo.json,
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

/// The photo as the doctor reports it.
struct PhotoReport {
    json: serde_json::Value,
    image: Option<RgbImage>,
}

/// What is known about the card photo, decoded as configured: by the reader (a BMP), by the
/// vendor library (WLT), or not at all (face verification then falls back to the staffed path).
fn describe_photo(source: &PhotoSource, block: &[u8]) -> PhotoReport {
    let format = if block.starts_with(b"BM") { "bmp" } else { "wlt" };
    match PhotoDecoder::open(source).and_then(|d| d.decode(block)) {
        Ok(Photo::Decoded { image, by }) => PhotoReport {
            json: serde_json::json!({
                "format": format, "bytes": block.len(), "decoded": true,
                "by": match by { DecodedBy::Reader => "reader", DecodedBy::VendorLibrary => "vendor_library", _ => "other" },
                "width": image.width(), "height": image.height(),
            }),
            image: Some(image),
        },
        Ok(other) => PhotoReport {
            json: serde_json::json!({
                "format": format, "bytes": block.len(), "decoded": false,
                "reason": match &other { Photo::Undecoded { reason } => reason.to_string(), _ => "unknown".to_owned() },
            }),
            image: None,
        },
        Err(e) => PhotoReport { json: serde_json::json!({ "format": format, "bytes": block.len(), "decoded": false, "reason": e.to_string() }), image: None },
    }
}
