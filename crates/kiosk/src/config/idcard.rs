//! `[idcard]`: the ID-card reader of a kiosk or counter, and how its card photos are decoded.

use std::path::{Path, PathBuf};
use std::time::Duration;

use anyhow::Context as _;
use device_drivers::idcard::SessionConfig;
use device_drivers::idcard::photo::{PhotoSource, VendorLibraryConfig};
use device_drivers::transport::usb::{UsbConfig, UsbTransport, VidPid, new_context, parse_vid_pid};
use device_drivers::transport::{SerialConfig, SerialTransport, Transport};
use serde::Deserialize;

/// Where an ID-card reader is: what `[idcard]` and `kiosk doctor idcard` both name.
#[derive(Debug, Clone, Copy)]
pub enum ReaderLink<'a> {
    /// A serial reader and its speed.
    Serial(&'a Path, u32),
    /// A USB reader; its bulk endpoints are found from its descriptors.
    Usb(VidPid),
}

impl ReaderLink<'_> {
    /// Opens the link; the error says what to check.
    pub fn open(self) -> anyhow::Result<Box<dyn Transport>> {
        Ok(match self {
            Self::Serial(port, baud) => Box::new(
                SerialTransport::from_config(SerialConfig::new(port).with_baud(baud))
                    .with_context(|| format!("cannot open the reader at {}: check the cable and the port name", port.display()))?,
            ),
            Self::Usb(id) => {
                let context = new_context().map_err(|e| anyhow::anyhow!("{e}"))?;
                Box::new(UsbTransport::open(&context, UsbConfig::card_reader(id)).map_err(|e| anyhow::anyhow!("cannot open the USB reader: {e}"))?)
            }
        })
    }
}

/// `[idcard]`
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct IdcardSection {
    /// Serial reader, e.g. `/dev/hallkit/idcard`.
    #[serde(default)]
    pub port: Option<PathBuf>,
    /// USB reader, `VID:PID` in hex, e.g. `0400:c35a`.
    #[serde(default)]
    pub usb: Option<String>,
    /// Serial speed.
    #[serde(default = "default_baud")]
    pub baud: u32,
    /// How often to look for a card, in milliseconds.
    #[serde(default = "default_poll_ms")]
    pub poll_interval_ms: u64,
    /// How card photos are decoded: `none`, `reader` (the reader returns a BMP) or `library`
    /// (a vendor WLT decoder, `photo_library`).
    #[serde(default = "default_photo")]
    pub photo: String,
    /// The vendor decoder library, for `photo = "library"`.
    #[serde(default)]
    pub photo_library: Option<PathBuf>,
    /// The library's decode function.
    #[serde(default = "default_symbol")]
    pub photo_symbol: String,
    /// The `flag` argument passed to it.
    #[serde(default = "default_one")]
    pub photo_flag: i32,
    /// The value it returns on success.
    #[serde(default = "default_one")]
    pub photo_success: i32,
}

fn default_baud() -> u32 {
    device_drivers::transport::DEFAULT_BAUD
}
fn default_poll_ms() -> u64 {
    300
}
fn default_photo() -> String {
    "none".into()
}
fn default_symbol() -> String {
    "unpack".into()
}
fn default_one() -> i32 {
    1
}

impl IdcardSection {
    /// The reader's link (after [`validate`](Self::validate)).
    pub fn link(&self) -> anyhow::Result<ReaderLink<'_>> {
        match (&self.port, &self.usb) {
            (Some(port), _) => Ok(ReaderLink::Serial(port, self.baud)),
            (None, Some(usb)) => Ok(ReaderLink::Usb(parse_vid_pid(usb).map_err(|e| anyhow::anyhow!("[idcard] usb: {e}"))?)),
            (None, None) => anyhow::bail!("[idcard] names no `port` or `usb`"),
        }
    }

    /// Checks the section; the message names the key to fix.
    pub fn validate(&self) -> Result<(), String> {
        if self.port.is_some() == self.usb.is_some() {
            return Err("[idcard] needs exactly one of `port = \"/dev/...\"` or `usb = \"VID:PID\"`".into());
        }
        if let Some(usb) = &self.usb {
            parse_vid_pid(usb).map_err(|e| format!("[idcard] usb must look like \"0400:c35a\" (hex VID:PID): {e}"))?;
        }
        if !(50..=10_000).contains(&self.poll_interval_ms) {
            return Err("[idcard] poll_interval_ms must be between 50 and 10000".into());
        }
        match (self.photo.as_str(), &self.photo_library) {
            ("none" | "reader", None) | ("library", Some(_)) => Ok(()),
            ("library", None) => Err("[idcard] photo = \"library\" needs `photo_library = \"/path/to/libwlt.so\"`".into()),
            ("none" | "reader", Some(_)) => Err("[idcard] photo_library is only used with photo = \"library\"".into()),
            (other, _) => Err(format!("[idcard] photo must be \"none\", \"reader\" or \"library\", got {other:?}")),
        }
    }

    /// How photos are decoded (after [`validate`](Self::validate)).
    pub fn photo_source(&self) -> PhotoSource {
        match (self.photo.as_str(), &self.photo_library) {
            ("reader", _) => PhotoSource::ReaderDecodes,
            ("library", Some(path)) => PhotoSource::VendorLibrary(VendorLibraryConfig {
                path: path.clone(),
                symbol: self.photo_symbol.clone(),
                flag: self.photo_flag,
                success_code: self.photo_success,
            }),
            _ => PhotoSource::NoDecoder,
        }
    }

    /// The reader session's settings: readers that decode photos send much larger frames.
    pub fn session_config(&self) -> SessionConfig {
        if self.photo == "reader" { SessionConfig::for_photo_reader() } else { SessionConfig::default() }
    }

    /// The polling interval.
    pub fn poll_interval(&self) -> Duration {
        Duration::from_millis(self.poll_interval_ms)
    }
}
