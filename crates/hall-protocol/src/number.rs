//! Printed ticket numbers.
//!
//! A number is presentation: `A012` is unique per queue (service) per business day, never an
//! identity. Numbers come from blocks that central leases to each kiosk (see [`crate::api::Lease`]).
//! A kiosk that has used up its lease while offline falls back to a per-device form,
//! `A-3-017`: prefix, the kiosk's device number (unique within the hall's central), and a per-device,
//! per-queue, per-day counter. The two forms can never collide with each other or across kiosks.

use std::fmt;
use std::str::FromStr;

use serde::{Deserialize, Serialize};

/// Why a ticket number was refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("not a ticket number: {0:?} (expected e.g. A012 or A-3-017)")]
pub struct NumberError(pub String);

/// A printed ticket number.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
#[non_exhaustive]
pub enum TicketNumber {
    /// From a lease: prefix letter and a number unique in the queue for the day, shown with at
    /// least three digits (`A012`, `A1024`).
    Leased {
        /// The service's prefix letter, `A`–`Z`.
        prefix: char,
        /// The number, 1 or more.
        n: u32,
    },
    /// The offline fallback: `A-3-017`.
    Fallback {
        /// The service's prefix letter.
        prefix: char,
        /// The issuing kiosk's device number.
        device_no: u32,
        /// Per-device, per-queue, per-day counter, 1 or more.
        n: u32,
    },
}

#[cfg(feature = "openapi")]
crate::ids::string_schema!(TicketNumber, "Printed ticket number: A012 (leased) or A-3-017 (offline fallback)", "^[A-Z]([0-9]{3,}|-[0-9]+-[0-9]{3,})$", "A012");

impl TicketNumber {
    /// The prefix letter.
    pub fn prefix(&self) -> char {
        match *self {
            Self::Leased { prefix, .. } | Self::Fallback { prefix, .. } => prefix,
        }
    }
}

impl fmt::Display for TicketNumber {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match *self {
            Self::Leased { prefix, n } => write!(f, "{prefix}{n:03}"),
            Self::Fallback { prefix, device_no, n } => write!(f, "{prefix}-{device_no}-{n:03}"),
        }
    }
}

fn digits(s: &str) -> Option<u32> {
    if s.is_empty() || !s.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    s.parse().ok()
}

impl FromStr for TicketNumber {
    type Err = NumberError;
    fn from_str(s: &str) -> Result<Self, NumberError> {
        let err = || NumberError(s.to_owned());
        let mut chars = s.chars();
        let prefix = chars.next().filter(|c| c.is_ascii_uppercase()).ok_or_else(err)?;
        let rest = chars.as_str();
        let parsed = if let Some(rest) = rest.strip_prefix('-') {
            let (d, n) = rest.split_once('-').ok_or_else(err)?;
            Self::Fallback { prefix, device_no: digits(d).ok_or_else(err)?, n: digits(n).ok_or_else(err)? }
        } else {
            Self::Leased { prefix, n: digits(rest).ok_or_else(err)? }
        };
        // Only the canonical spelling is accepted, so one number has one text.
        if parsed.to_string() != s {
            return Err(err());
        }
        Ok(parsed)
    }
}

impl TryFrom<String> for TicketNumber {
    type Error = NumberError;
    fn try_from(s: String) -> Result<Self, NumberError> {
        s.parse()
    }
}
impl From<TicketNumber> for String {
    fn from(n: TicketNumber) -> String {
        n.to_string()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn formats() {
        assert_eq!(TicketNumber::Leased { prefix: 'A', n: 12 }.to_string(), "A012");
        assert_eq!(TicketNumber::Leased { prefix: 'B', n: 1024 }.to_string(), "B1024");
        assert_eq!(TicketNumber::Fallback { prefix: 'A', device_no: 3, n: 17 }.to_string(), "A-3-017");
        assert!("A12".parse::<TicketNumber>().is_err());
        assert!("a012".parse::<TicketNumber>().is_err());
        assert!("A-3".parse::<TicketNumber>().is_err());
        assert!("".parse::<TicketNumber>().is_err());
    }

    proptest! {
        #[test]
        fn round_trips(prefix in proptest::char::range('A', 'Z'), d in 0u32..100_000, n in 0u32..1_000_000, fallback: bool) {
            let t = if fallback { TicketNumber::Fallback { prefix, device_no: d, n } } else { TicketNumber::Leased { prefix, n } };
            prop_assert_eq!(t.to_string().parse::<TicketNumber>().unwrap(), t);
        }

        #[test]
        fn never_panics(s in ".{0,12}") {
            let _ = s.parse::<TicketNumber>();
        }
    }
}
