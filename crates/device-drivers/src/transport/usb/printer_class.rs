//! Printer class answers (sans-IO): the IEEE 1284 device ID and the port status byte.

#[allow(unused_imports)]
use super::*;

/// The printer's port status (`GET_PORT_STATUS`, one byte, the bits of a parallel port's status
/// register). Older than ESC/POS `DLE EOT` and coarser, but answered by the USB chip even when the
/// printer's firmware is busy.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
pub struct PortStatus {
    /// Bit 5: out of paper.
    pub paper_empty: bool,
    /// Bit 4: selected (online).
    pub selected: bool,
    /// Bit 3 clear: the printer reports an error.
    pub error: bool,
    /// The byte as received.
    pub raw: u8,
}

impl PortStatus {
    /// Decodes the status byte.
    pub fn from_byte(raw: u8) -> PortStatus {
        PortStatus { paper_empty: raw & 0x20 != 0, selected: raw & 0x10 != 0, error: raw & 0x08 == 0, raw }
    }

    /// Whether the port says printing can go ahead: paper, online, no error.
    pub fn ready(&self) -> bool {
        !self.paper_empty && self.selected && !self.error
    }

    /// In words, for a technician.
    pub fn describe(&self) -> String {
        let mut parts = Vec::new();
        if self.paper_empty {
            parts.push("out of paper");
        }
        if !self.selected {
            parts.push("offline (not selected)");
        }
        if self.error {
            parts.push("reports an error");
        }
        if parts.is_empty() { format!("ready (port status 0x{:02x})", self.raw) } else { format!("{} (port status 0x{:02x})", parts.join(", "), self.raw) }
    }
}

/// Why a `GET_DEVICE_ID` answer could not be read.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum DeviceIdError {
    /// Fewer than the two length bytes.
    #[error("the printer's device ID answer is {len} bytes long, too short for its length field; the printer may not support GET_DEVICE_ID")]
    TooShort {
        /// Bytes received.
        len: usize,
    },
}

/// An IEEE 1284 device ID: `KEY:value;` pairs such as
/// `MFG:EPSON;CMD:ESC/POS;MDL:TM-T88V;CLS:PRINTER;`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct DeviceId {
    /// The string as received (invalid UTF-8 replaced by U+FFFD), without its length field.
    pub raw: String,
    /// The pairs in order, keys and values trimmed.
    pub fields: Vec<(String, String)>,
    /// The length field promised more than arrived.
    pub truncated: bool,
}

impl DeviceId {
    /// Decodes a `GET_DEVICE_ID` answer: a 16-bit big-endian length, then the string.
    ///
    /// The standard's length counts its own two bytes; some devices (Linux's gadget printer among
    /// them, and some printers) count only the string. The answer's own length settles it: the
    /// bytes received are trusted, and the length field only trims padding after the string.
    ///
    /// # Errors
    /// [`DeviceIdError::TooShort`].
    pub fn decode(answer: &[u8]) -> Result<DeviceId, DeviceIdError> {
        let [high, low, body @ ..] = answer else {
            return Err(DeviceIdError::TooShort { len: answer.len() });
        };
        let declared = usize::from(u16::from_be_bytes([*high, *low]));
        let (text, truncated) = if declared == body.len() || declared.saturating_sub(2) == body.len() {
            (body, false)
        } else if declared < body.len() {
            // Padding after the string (or a length that counts only the string and padding
            // after it): keep what the length promises, counting it the standard's way unless that
            // would cut the string short of its last separator.
            let standard = &body[..declared.saturating_sub(2)];
            let string_only = &body[..declared];
            if standard.ends_with(b";") || !string_only.ends_with(b";") { (standard, false) } else { (string_only, false) }
        } else {
            (body, true)
        };
        let mut id = DeviceId::parse(&String::from_utf8_lossy(text));
        id.truncated = truncated;
        Ok(id)
    }

    /// Reads a device ID string (without the length field), e.g. one from configuration to
    /// compare with what a printer says. Trailing NULs and white space are dropped.
    pub fn parse(text: &str) -> DeviceId {
        let raw = text.trim_end_matches(|c: char| c == '\0' || c.is_whitespace()).to_string();
        let fields = raw
            .split(';')
            .filter_map(|pair| {
                let (key, value) = pair.split_once(':')?;
                let key = key.trim();
                (!key.is_empty()).then(|| (key.to_string(), value.trim().to_string()))
            })
            .collect();
        DeviceId { raw, fields, truncated: false }
    }

    /// The value of the first of `keys` present (keys compared without case).
    pub fn get(&self, keys: &[&str]) -> Option<&str> {
        keys.iter().find_map(|k| self.fields.iter().find(|(key, _)| key.eq_ignore_ascii_case(k)).map(|(_, v)| v.as_str()))
    }

    /// `MFG` / `MANUFACTURER`.
    pub fn manufacturer(&self) -> Option<&str> {
        self.get(&["MFG", "MANUFACTURER"])
    }

    /// `MDL` / `MODEL`.
    pub fn model(&self) -> Option<&str> {
        self.get(&["MDL", "MODEL"])
    }

    /// `CMD` / `COMMAND SET`, split on commas (e.g. `["ESC/POS"]`).
    pub fn command_set(&self) -> Vec<&str> {
        self.get(&["CMD", "COMMAND SET"]).map(|v| v.split(',').map(str::trim).filter(|s| !s.is_empty()).collect()).unwrap_or_default()
    }

    /// `CLS` / `CLASS` (e.g. `PRINTER`).
    pub fn class(&self) -> Option<&str> {
        self.get(&["CLS", "CLASS"])
    }

    /// `SN` / `SERN` / `SERIALNUMBER`.
    pub fn serial(&self) -> Option<&str> {
        self.get(&["SN", "SERN", "SERIALNUMBER"])
    }
}
