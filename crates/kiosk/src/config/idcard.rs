//! `[idcard]`: the ID-card reader of a kiosk or counter, and how its card photos are decoded.

use std::path::PathBuf;
use std::time::Duration;

use device_drivers::idcard::SessionConfig;
use device_drivers::idcard::photo::{PhotoSource, VendorLibraryConfig};
use serde::Deserialize;

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
    /// Checks the section; the message names the key to fix.
    pub fn validate(&self) -> Result<(), String> {
        if self.port.is_some() == self.usb.is_some() {
            return Err("[idcard] needs exactly one of `port = \"/dev/...\"` or `usb = \"VID:PID\"`".into());
        }
        if let Some(usb) = &self.usb {
            device_drivers::transport::usb::parse_vid_pid(usb).map_err(|e| format!("[idcard] usb must look like \"0400:c35a\" (hex VID:PID): {e}"))?;
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
