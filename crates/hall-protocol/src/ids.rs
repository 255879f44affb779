//! Identifiers. Each is a validated newtype so that a malformed id from a peer is rejected at the
//! edge with a typed error instead of travelling into SQL or file names.

use std::fmt;
use std::str::FromStr;

use chrono::NaiveDate;
use serde::{Deserialize, Serialize};

/// Why an identifier was refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum IdError {
    /// Empty or longer than the limit.
    #[error("{what} must be 1 to {max} characters long, got {len}")]
    Length {
        /// Which kind of id.
        what: &'static str,
        /// The limit.
        max: usize,
        /// The length given.
        len: usize,
    },
    /// A character outside the allowed set.
    #[error("{what} may only contain a-z, 0-9, '-' and '_'; found {found:?}")]
    Character {
        /// Which kind of id.
        what: &'static str,
        /// The first offending character.
        found: char,
    },
    /// A ticket id that is not `DEVICE/SEQ`.
    #[error("ticket id must look like DEVICE/SEQ (e.g. kiosk-1/42), got {0:?}")]
    TicketId(String),
}

fn check_slug(what: &'static str, s: &str, max: usize) -> Result<(), IdError> {
    if s.is_empty() || s.len() > max {
        return Err(IdError::Length { what, max, len: s.len() });
    }
    if let Some(found) = s.chars().find(|c| !(c.is_ascii_lowercase() || c.is_ascii_digit() || *c == '-' || *c == '_')) {
        return Err(IdError::Character { what, found });
    }
    Ok(())
}

/// Describes a type that travels as a string in the OpenAPI document (ids and ticket numbers are
/// validated newtypes in Rust but plain strings on the wire).
#[cfg(feature = "openapi")]
macro_rules! string_schema {
    ($name:ty, $description:expr, $pattern:expr, $example:expr) => {
        impl utoipa::PartialSchema for $name {
            fn schema() -> utoipa::openapi::RefOr<utoipa::openapi::schema::Schema> {
                utoipa::openapi::ObjectBuilder::new()
                    .schema_type(utoipa::openapi::schema::Type::String)
                    .description(Some($description))
                    .pattern(Some($pattern))
                    .examples([serde_json::json!($example)])
                    .into()
            }
        }
        impl utoipa::ToSchema for $name {}
    };
}
#[cfg(feature = "openapi")]
pub(crate) use string_schema;

macro_rules! slug_id {
    ($(#[$doc:meta])* $name:ident, $what:literal, $max:literal) => {
        $(#[$doc])*
        #[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
        #[serde(try_from = "String", into = "String")]
        pub struct $name(String);

        impl $name {
            /// Validates and wraps an id.
            pub fn new(s: impl Into<String>) -> Result<Self, IdError> {
                let s = s.into();
                check_slug($what, &s, $max)?;
                Ok(Self(s))
            }
            /// The id as text.
            pub fn as_str(&self) -> &str {
                &self.0
            }
        }
        impl TryFrom<String> for $name {
            type Error = IdError;
            fn try_from(s: String) -> Result<Self, IdError> {
                Self::new(s)
            }
        }
        impl From<$name> for String {
            fn from(id: $name) -> String {
                id.0
            }
        }
        impl FromStr for $name {
            type Err = IdError;
            fn from_str(s: &str) -> Result<Self, IdError> {
                Self::new(s)
            }
        }
        impl fmt::Display for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str(&self.0)
            }
        }
    };
}

slug_id!(
    /// A device's id, unique within one central service, e.g. `kiosk-1`, `counter-3`, `board-1`.
    DeviceId, "device id", 64
);
slug_id!(
    /// A hall's id, e.g. `xuhui`.
    HallId, "hall id", 64
);
slug_id!(
    /// A service (事项 category) code, e.g. `household` (户籍). Its printed prefix letter is separate:
    /// see [`crate::Service::prefix`].
    ServiceCode, "service code", 32
);

/// A counter window's number within its hall: the "3" of "请 A012 号到 3 号窗口办理".
pub type WindowNo = u16;

/// A ticket's identity: the device that issued it and the device sequence number of its
/// `ticket_issued` event, written `kiosk-1/42`. The printed number (A012) is presentation only.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct TicketId {
    /// Issuing device.
    pub device: DeviceId,
    /// Sequence number of the issuing event on that device.
    pub seq: u64,
}

impl TicketId {
    /// A ticket id from its parts.
    pub fn new(device: DeviceId, seq: u64) -> Self {
        Self { device, seq }
    }
}

impl fmt::Display for TicketId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}/{}", self.device, self.seq)
    }
}

impl FromStr for TicketId {
    type Err = IdError;
    fn from_str(s: &str) -> Result<Self, IdError> {
        let (d, n) = s.rsplit_once('/').ok_or_else(|| IdError::TicketId(s.to_owned()))?;
        let seq = n.parse().map_err(|_| IdError::TicketId(s.to_owned()))?;
        Ok(Self { device: DeviceId::new(d)?, seq })
    }
}
impl TryFrom<String> for TicketId {
    type Error = IdError;
    fn try_from(s: String) -> Result<Self, IdError> {
        s.parse()
    }
}
impl From<TicketId> for String {
    fn from(t: TicketId) -> String {
        t.to_string()
    }
}

#[cfg(feature = "openapi")]
string_schema!(DeviceId, "Device id, e.g. kiosk-1", "^[a-z0-9_-]{1,64}$", "kiosk-1");
#[cfg(feature = "openapi")]
string_schema!(HallId, "Hall id, e.g. xuhui", "^[a-z0-9_-]{1,64}$", "xuhui");
#[cfg(feature = "openapi")]
string_schema!(ServiceCode, "Service code, e.g. household", "^[a-z0-9_-]{1,32}$", "household");
#[cfg(feature = "openapi")]
string_schema!(TicketId, "Ticket identity DEVICE/SEQ", "^[a-z0-9_-]{1,64}/[0-9]+$", "kiosk-1/42");

/// A business day: the date a hall's day belongs to. A hall's day rolls over at a configured local
/// time (e.g. 04:00), so a ticket issued at 01:00 may still belong to the previous business day.
pub type BusinessDay = NaiveDate;

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn slugs_validate() {
        assert!(DeviceId::new("kiosk-1").is_ok());
        assert!(matches!(DeviceId::new(""), Err(IdError::Length { .. })));
        assert!(matches!(DeviceId::new("Kiosk"), Err(IdError::Character { found: 'K', .. })));
        assert!(serde_json::from_str::<DeviceId>("\"a b\"").is_err());
    }

    #[test]
    fn ticket_id_round_trips() {
        let t: TicketId = "kiosk-1/42".parse().unwrap();
        assert_eq!(t.seq, 42);
        assert_eq!(t.to_string(), "kiosk-1/42");
        assert_eq!(serde_json::to_string(&t).unwrap(), "\"kiosk-1/42\"");
        assert!("kiosk-1".parse::<TicketId>().is_err());
        assert!("kiosk-1/x".parse::<TicketId>().is_err());
    }
}
