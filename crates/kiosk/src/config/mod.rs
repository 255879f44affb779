//! The device configuration file (TOML). One file per device; `examples/` has one per role and
//! docs/config.md describes every key.

mod idcard;
pub use idcard::{IdcardSection, ReaderLink};

use std::path::{Path, PathBuf};
use std::time::Duration;

use chrono::{FixedOffset, NaiveTime};
use hall_protocol::{DeviceId, DeviceRole, HallId, WindowNo};
use serde::Deserialize;

/// Why a configuration file was refused.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum ConfigError {
    /// The file could not be read.
    #[error("cannot read config file {path}: {source}")]
    Read {
        /// The file.
        path: PathBuf,
        /// Why.
        source: std::io::Error,
    },
    /// The file is not valid TOML for this format.
    #[error("config file {path} is invalid: {message}")]
    Parse {
        /// The file.
        path: PathBuf,
        /// What the parser said, with line and column.
        message: String,
    },
    /// The values do not fit together.
    #[error("config file {path}: {message}")]
    Invalid {
        /// The file.
        path: PathBuf,
        /// What is wrong and how to fix it.
        message: String,
    },
}

/// A device's configuration.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Config {
    /// Who this device is.
    pub device: DeviceSection,
    /// Where central is.
    pub central: CentralSection,
    /// The local store.
    pub store: StoreSection,
    /// When the business day starts.
    #[serde(default)]
    pub business_day: BusinessDaySection,
    /// Number leases.
    #[serde(default)]
    pub leases: LeaseSection,
    /// The sync agent.
    #[serde(default)]
    pub sync: SyncSection,
    /// The ticket printer (kiosk role); without it tickets are issued but not printed.
    #[serde(default)]
    pub printer: Option<PrinterSection>,
    /// The ID-card reader (kiosk or counter role).
    #[serde(default)]
    pub idcard: Option<IdcardSection>,
    /// Voice calling (board role, or a counter with a speaker): engine, voice packs, templates,
    /// queue. See docs/voice.md.
    #[serde(default)]
    pub voice: Option<device_drivers::voice::VoiceConfig>,
    /// Where announcements go (with `[voice]`).
    #[serde(default)]
    pub speaker: Option<crate::announce::SpeakerSection>,
    /// The window's LED panel (counter role).
    #[serde(default)]
    pub led: Option<crate::window_devices::LedSection>,
    /// A serial counter keypad (counter role). See docs/buttons-and-lamps.md.
    #[serde(default)]
    pub keypad: Option<device_drivers::keypad::SerialKeypadConfig>,
    /// GPIO buttons as the counter keypad (counter role). See docs/buttons-and-lamps.md.
    #[serde(default)]
    pub buttons: Option<device_drivers::keypad::GpioKeypadConfig>,
}

/// `[printer]`: an ESC/POS ticket printer on the network (raw port 9100) or a serial line.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PrinterSection {
    /// Network printer, `host:port`.
    #[serde(default)]
    pub tcp: Option<String>,
    /// Serial printer, e.g. `/dev/hallkit/printer`.
    #[serde(default)]
    pub port: Option<PathBuf>,
    /// USB printer, `VID:PID` in hex, e.g. `0416:5011`.
    #[serde(default)]
    pub usb: Option<String>,
    /// Serial speed.
    #[serde(default = "default_baud")]
    pub baud: u32,
    /// `58mm` or `80mm`.
    #[serde(default = "default_paper")]
    pub paper: String,
    /// How long to wait for the printer, in milliseconds.
    #[serde(default = "default_printer_timeout_ms")]
    pub timeout_ms: u64,
    /// Link printed as a QR code on the ticket, with `{ticket_id}` and `{number}` filled in (e.g. a
    /// progress page); none when absent.
    #[serde(default)]
    pub qr_url: Option<String>,
}

fn default_baud() -> u32 {
    115_200
}
fn default_paper() -> String {
    "80mm".into()
}
fn default_printer_timeout_ms() -> u64 {
    2_000
}

/// `[device]`
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct DeviceSection {
    /// Device id as registered at central, e.g. `kiosk-1`.
    pub id: DeviceId,
    /// `kiosk`, `board` or `counter`.
    pub role: DeviceRole,
    /// Hall id.
    pub hall: HallId,
    /// Window number (counter role only).
    #[serde(default)]
    pub window: Option<WindowNo>,
}

/// `[central]`
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CentralSection {
    /// Base URL, e.g. `http://127.0.0.1:7700`.
    pub url: String,
    /// Per-request timeout in milliseconds.
    #[serde(default = "default_timeout_ms")]
    pub timeout_ms: u64,
}

fn default_timeout_ms() -> u64 {
    3_000
}

/// `[store]`
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct StoreSection {
    /// SQLite file; relative paths are relative to the config file's folder.
    pub path: PathBuf,
}

/// `[business_day]`
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct BusinessDaySection {
    /// Hall's offset from UTC, e.g. `+08:00`.
    #[serde(default = "default_offset")]
    pub utc_offset: String,
    /// Local time the business day rolls over, e.g. `04:00`.
    #[serde(default = "default_rollover")]
    pub rollover: String,
}

impl Default for BusinessDaySection {
    fn default() -> Self {
        Self { utc_offset: default_offset(), rollover: default_rollover() }
    }
}

fn default_offset() -> String {
    "+08:00".into()
}
fn default_rollover() -> String {
    "04:00".into()
}

/// `[leases]`
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct LeaseSection {
    /// Numbers asked for per lease.
    #[serde(default = "default_block")]
    pub block: u32,
}

impl Default for LeaseSection {
    fn default() -> Self {
        Self { block: default_block() }
    }
}

fn default_block() -> u32 {
    50
}

/// `[sync]`
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SyncSection {
    /// Events per push.
    #[serde(default = "default_batch")]
    pub batch: usize,
    /// Pause between sync rounds when all is well, in milliseconds.
    #[serde(default = "default_interval_ms")]
    pub interval_ms: u64,
    /// First retry delay after a failure, in milliseconds.
    #[serde(default = "default_backoff_min_ms")]
    pub backoff_min_ms: u64,
    /// Longest retry delay, in milliseconds.
    #[serde(default = "default_backoff_max_ms")]
    pub backoff_max_ms: u64,
}

impl Default for SyncSection {
    fn default() -> Self {
        Self { batch: default_batch(), interval_ms: default_interval_ms(), backoff_min_ms: default_backoff_min_ms(), backoff_max_ms: default_backoff_max_ms() }
    }
}

fn default_batch() -> usize {
    500
}
fn default_interval_ms() -> u64 {
    1_000
}
fn default_backoff_min_ms() -> u64 {
    200
}
fn default_backoff_max_ms() -> u64 {
    30_000
}

impl Config {
    /// Reads and checks a config file. Relative store paths are resolved against its folder.
    pub fn load(path: &Path) -> Result<Self, ConfigError> {
        let text = std::fs::read_to_string(path).map_err(|source| ConfigError::Read { path: path.into(), source })?;
        let mut config = Self::parse(&text).map_err(|e| match e {
            ConfigError::Parse { message, .. } => ConfigError::Parse { path: path.into(), message },
            ConfigError::Invalid { message, .. } => ConfigError::Invalid { path: path.into(), message },
            other => other,
        })?;
        // Paths in the file are relative to the file, wherever the device is started from.
        let base = path.parent().unwrap_or(Path::new("."));
        let resolve = |p: &mut PathBuf| {
            if p.is_relative() {
                *p = base.join(&*p);
            }
        };
        resolve(&mut config.store.path);
        if let Some(dir) = config.speaker.as_mut().and_then(|s| s.wav_dir.as_mut()) {
            resolve(dir);
        }
        if let Some(led) = config.led.as_mut() {
            resolve(&mut led.port);
        }
        if let Some(voice) = config.voice.as_mut() {
            voice.packs.iter_mut().for_each(resolve);
        }
        Ok(config)
    }

    /// Parses and checks config text.
    pub fn parse(text: &str) -> Result<Self, ConfigError> {
        let config: Self = toml::from_str(text).map_err(|e| ConfigError::Parse { path: PathBuf::new(), message: e.to_string() })?;
        config.validate().map_err(|message| ConfigError::Invalid { path: PathBuf::new(), message })?;
        Ok(config)
    }

    fn validate(&self) -> Result<(), String> {
        match (self.device.role, self.device.window) {
            (DeviceRole::Counter, None) => return Err("[device] role = \"counter\" needs `window = N`".into()),
            (DeviceRole::Kiosk | DeviceRole::Board, Some(_)) => {
                return Err("[device] `window` is only for role = \"counter\"".into());
            }
            _ => {}
        }
        if !(self.central.url.starts_with("http://") || self.central.url.starts_with("https://")) {
            return Err(format!("[central] url must start with http:// or https://, got {:?}", self.central.url));
        }
        self.utc_offset()?;
        self.rollover()?;
        if !(1..=1000).contains(&self.leases.block) {
            return Err("[leases] block must be between 1 and 1000".into());
        }
        if self.sync.batch == 0 || self.sync.batch > hall_protocol::api::MAX_BATCH_EVENTS {
            return Err(format!("[sync] batch must be between 1 and {}", hall_protocol::api::MAX_BATCH_EVENTS));
        }
        if let Some(p) = &self.printer {
            if [p.tcp.is_some(), p.port.is_some(), p.usb.is_some()].iter().filter(|&&x| x).count() != 1 {
                return Err("[printer] needs exactly one of `tcp = \"host:port\"`, `port = \"/dev/...\"` or `usb = \"VID:PID\"`".into());
            }
            if let Some(usb) = &p.usb {
                device_drivers::transport::usb::parse_vid_pid(usb).map_err(|e| format!("[printer] usb: {e}"))?;
            }
            if p.paper != "58mm" && p.paper != "80mm" {
                return Err(format!("[printer] paper must be \"58mm\" or \"80mm\", got {:?}", p.paper));
            }
            if self.device.role != DeviceRole::Kiosk {
                return Err("[printer] is only for role = \"kiosk\"".into());
            }
        }
        if let Some(reader) = &self.idcard {
            reader.validate()?;
            if self.device.role == DeviceRole::Board {
                return Err("[idcard] is for role = \"kiosk\" or \"counter\"".into());
            }
        }
        if let Some(led) = &self.led {
            led.validate()?;
        }
        if let Some(keypad) = &self.keypad {
            device_drivers::keypad::KeyMap::from_config(&keypad.keymap).map_err(|e| format!("[keypad] {e}"))?;
        }
        if let Some(buttons) = &self.buttons {
            buttons.panel.validate().map_err(|e| format!("[buttons] {e}"))?;
        }
        if self.device.role != DeviceRole::Counter && (self.led.is_some() || self.keypad.is_some() || self.buttons.is_some()) {
            return Err("[led], [keypad] and [buttons] are for role = \"counter\"".into());
        }
        if self.keypad.is_some() && self.buttons.is_some() {
            return Err("a counter has one keypad: give [keypad] (serial) or [buttons] (GPIO), not both".into());
        }
        if let Some(speaker) = &self.speaker {
            speaker.validate()?;
            if self.voice.is_none() {
                return Err("[speaker] says where announcements go; add a [voice] section (it may be empty) to announce".into());
            }
        }
        if self.sync.backoff_min_ms == 0 || self.sync.backoff_min_ms > self.sync.backoff_max_ms {
            return Err("[sync] need 0 < backoff_min_ms <= backoff_max_ms".into());
        }
        Ok(())
    }

    /// The hall's UTC offset.
    pub fn utc_offset(&self) -> Result<FixedOffset, String> {
        self.business_day
            .utc_offset
            .parse::<FixedOffset>()
            .map_err(|_| format!("[business_day] utc_offset must look like +08:00, got {:?}", self.business_day.utc_offset))
    }

    /// The hall's UTC offset, for code that runs after [`Config::parse`] checked it (+08:00 if a
    /// hand-built config skipped that check).
    pub fn hall_offset(&self) -> FixedOffset {
        self.utc_offset().unwrap_or_else(|_| FixedOffset::east_opt(8 * 3600).expect("+08:00 is a valid offset"))
    }

    /// The local time the business day rolls over.
    pub fn rollover(&self) -> Result<NaiveTime, String> {
        NaiveTime::parse_from_str(&self.business_day.rollover, "%H:%M")
            .map_err(|_| format!("[business_day] rollover must look like 04:00, got {:?}", self.business_day.rollover))
    }

    /// Per-request timeout towards central.
    pub fn request_timeout(&self) -> Duration {
        Duration::from_millis(self.central.timeout_ms)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const KIOSK: &str = r#"
        [device]
        id = "kiosk-1"
        role = "kiosk"
        hall = "xuhui"
        [central]
        url = "http://127.0.0.1:7700"
        [store]
        path = "kiosk-1.db"
    "#;

    #[test]
    fn parses_with_defaults() {
        let c = Config::parse(KIOSK).unwrap();
        assert_eq!(c.device.id.as_str(), "kiosk-1");
        assert_eq!(c.leases.block, 50);
        assert_eq!(c.utc_offset().unwrap(), FixedOffset::east_opt(8 * 3600).unwrap());
        assert_eq!(c.rollover().unwrap(), NaiveTime::from_hms_opt(4, 0, 0).unwrap());
    }

    #[test]
    fn every_example_config_loads() {
        let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../examples");
        let mut roles = Vec::new();
        for entry in std::fs::read_dir(&dir).unwrap() {
            let path = entry.unwrap().path();
            // The central catalogue is another format.
            if path.extension().is_some_and(|e| e == "toml") && !path.ends_with("central-catalogue.toml") {
                let c = Config::load(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
                assert!(c.store.path.starts_with(&dir), "store path resolved next to the config");
                roles.push(c.device.role);
            }
        }
        for role in [DeviceRole::Kiosk, DeviceRole::Board, DeviceRole::Counter] {
            assert!(roles.contains(&role), "examples/ has no {role:?} config");
        }
    }

    #[test]
    fn refuses_nonsense_with_a_reason() {
        let counter_without_window = KIOSK.replace("\"kiosk\"\n", "\"counter\"\n");
        let e = Config::parse(&counter_without_window).unwrap_err().to_string();
        assert!(e.contains("window"), "{e}");
        let bad_url = KIOSK.replace("http://127.0.0.1:7700", "127.0.0.1:7700");
        assert!(Config::parse(&bad_url).unwrap_err().to_string().contains("http://"));
        let unknown_key = format!("{KIOSK}\n[sync]\nbatchsize = 3\n");
        assert!(Config::parse(&unknown_key).unwrap_err().to_string().contains("batchsize"));
        let bad_id = KIOSK.replace("kiosk-1\"", "Kiosk 1\"");
        assert!(Config::parse(&bad_id).is_err());
    }

    #[test]
    fn the_idcard_section_says_how_photos_are_decoded() {
        use device_drivers::idcard::photo::PhotoSource;
        let with = |section: &str| Config::parse(&format!("{KIOSK}\n[idcard]\n{section}\n"));
        let c = with("port = \"/dev/hallkit/idcard\"").unwrap();
        let reader = c.idcard.as_ref().unwrap();
        assert_eq!(reader.photo_source(), PhotoSource::NoDecoder, "no decoder unless one is configured");
        assert_eq!(reader.poll_interval(), Duration::from_millis(300));
        let c = with("usb = \"0400:c35a\"\nphoto = \"reader\"").unwrap();
        assert_eq!(c.idcard.as_ref().unwrap().photo_source(), PhotoSource::ReaderDecodes);
        assert!(c.idcard.as_ref().unwrap().session_config().max_frame_len > 38_862, "room for the BMP");
        let c = with("port = \"/dev/ttyS1\"\nphoto = \"library\"\nphoto_library = \"/opt/v/libwlt.so\"\nphoto_symbol = \"decode_wlt\"").unwrap();
        match c.idcard.unwrap().photo_source() {
            PhotoSource::VendorLibrary(v) => assert_eq!((v.path.to_str(), v.symbol.as_str(), v.flag), (Some("/opt/v/libwlt.so"), "decode_wlt", 1)),
            other => panic!("{other:?}"),
        }
        for (bad, says) in [
            ("baud = 9600", "exactly one of"),
            ("port = \"/dev/a\"\nusb = \"0400:c35a\"", "exactly one of"),
            ("usb = \"reader\"", "VID:PID"),
            ("port = \"/dev/a\"\nphoto = \"library\"", "photo_library"),
            ("port = \"/dev/a\"\nphoto = \"magic\"", "photo must be"),
            ("port = \"/dev/a\"\npoll_interval_ms = 0", "poll_interval_ms"),
        ] {
            let e = with(bad).unwrap_err().to_string();
            assert!(e.contains(says), "{bad}: {e}");
        }
        let board = format!("{}\n[idcard]\nport = \"/dev/a\"\n", KIOSK.replace("\"kiosk\"\n", "\"board\"\n"));
        assert!(Config::parse(&board).unwrap_err().to_string().contains("[idcard]"));
    }

    #[test]
    fn a_printer_is_on_exactly_one_link() {
        let with = |section: &str| Config::parse(&format!("{KIOSK}\n[printer]\n{section}\n"));
        assert!(with("usb = \"0416:5011\"").unwrap().printer.unwrap().usb.is_some());
        assert!(with("tcp = \"192.168.1.50:9100\"").is_ok());
        for bad in ["usb = \"printer\"", "tcp = \"a:9100\"\nusb = \"0416:5011\"", "paper = \"80mm\""] {
            let e = with(bad).unwrap_err().to_string();
            assert!(e.contains("[printer]"), "{bad}: {e}");
        }
    }
}
