//! VID:PID: the numbers that name a USB device model.

#[allow(unused_imports)]
use super::*;

/// A USB vendor and product ID, written `0483:5720` (hexadecimal, as `lsusb` prints them).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize)]
pub struct VidPid {
    /// Vendor ID.
    pub vid: u16,
    /// Product ID.
    pub pid: u16,
}

impl VidPid {
    /// `vid:pid`.
    pub const fn new(vid: u16, pid: u16) -> VidPid {
        VidPid { vid, pid }
    }
}

impl fmt::Display for VidPid {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{:04x}:{:04x}", self.vid, self.pid)
    }
}

/// Why a `VID:PID` could not be read.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum VidPidError {
    /// No colon between the two numbers.
    #[error("{input:?} is not a USB ID; write it as VID:PID in hexadecimal, as lsusb prints it, e.g. 0483:5720")]
    MissingColon {
        /// What was given.
        input: String,
    },
    /// One half is not a 1–4 digit hexadecimal number.
    #[error("the {part} ID {value:?} in {input:?} is not a hexadecimal number of 1 to 4 digits; write VID:PID as lsusb prints it, e.g. 0483:5720")]
    BadNumber {
        /// What was given.
        input: String,
        /// `vendor` or `product`.
        part: &'static str,
        /// The offending half.
        value: String,
    },
}

/// Reads `0483:5720` (also `0x0483:0x5720`, upper case, surrounding spaces).
///
/// # Errors
/// [`VidPidError`] naming what is wrong.
pub fn parse_vid_pid(input: &str) -> Result<VidPid, VidPidError> {
    let trimmed = input.trim();
    let (vid, pid) = trimmed.split_once(':').ok_or_else(|| VidPidError::MissingColon { input: input.to_string() })?;
    let number = |value: &str, part: &'static str| -> Result<u16, VidPidError> {
        let digits = value.trim();
        let digits = digits.strip_prefix("0x").or_else(|| digits.strip_prefix("0X")).unwrap_or(digits);
        let bad = || VidPidError::BadNumber { input: input.to_string(), part, value: value.to_string() };
        // `from_str_radix` accepts a leading `+`; an ID is digits only.
        if digits.is_empty() || digits.len() > 4 || !digits.bytes().all(|b| b.is_ascii_hexdigit()) {
            return Err(bad());
        }
        u16::from_str_radix(digits, 16).map_err(|_| bad())
    };
    Ok(VidPid { vid: number(vid, "vendor")?, pid: number(pid, "product")? })
}

impl FromStr for VidPid {
    type Err = VidPidError;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        parse_vid_pid(s)
    }
}
