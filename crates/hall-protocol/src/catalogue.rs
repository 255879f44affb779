//! What a hall offers and who works in it: halls, services (事项 categories), windows with their
//! service profiles, devices, appointments and applications (办件).

use chrono::{DateTime, NaiveDate, Utc};
use serde::{Deserialize, Serialize};

use crate::ids::{DeviceId, HallId, ServiceCode, TicketId, WindowNo};

/// A service hall.
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Hall {
    /// Id, e.g. `xuhui`.
    pub id: HallId,
    /// Display name, e.g. 徐汇区行政服务中心.
    pub name: String,
}

/// A service category citizens queue for, e.g. 户籍办理 with prefix `A`.
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Service {
    /// The hall it belongs to.
    pub hall: HallId,
    /// Code, unique in the hall.
    pub code: ServiceCode,
    /// Display name.
    pub name: String,
    /// Printed prefix letter `A`–`Z`, unique in the hall.
    #[cfg_attr(feature = "openapi", schema(value_type = String, min_length = 1, max_length = 1))]
    pub prefix: char,
    /// Materials a citizen should bring, shown on the kiosk.
    #[serde(default)]
    pub materials: Vec<String>,
    /// Whether kiosks offer it now.
    #[serde(default = "yes")]
    pub enabled: bool,
}

fn yes() -> bool {
    true
}

/// A counter window and its service profile.
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Window {
    /// The hall it stands in.
    pub hall: HallId,
    /// Its number in the hall.
    #[cfg_attr(feature = "openapi", schema(value_type = u16))]
    pub no: WindowNo,
    /// Display name, e.g. "3号窗口".
    pub name: String,
    /// The services it serves, most preferred first: "call next" takes the first service in this list
    /// that has anyone waiting.
    pub profile: Vec<ServiceCode>,
}

/// What a device does in the hall.
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
#[non_exhaustive]
pub enum DeviceRole {
    /// Self-service kiosk: issues tickets.
    Kiosk,
    /// Hall board: shows and announces calls.
    Board,
    /// Counter terminal at one window.
    Counter,
}

impl DeviceRole {
    /// The role's name as used in config files and the CLI.
    pub fn as_str(&self) -> &'static str {
        match self {
            Self::Kiosk => "kiosk",
            Self::Board => "board",
            Self::Counter => "counter",
        }
    }
}

/// A registered device.
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Device {
    /// Id, e.g. `kiosk-1`.
    pub id: DeviceId,
    /// Hall it stands in.
    pub hall: HallId,
    /// Role.
    pub role: DeviceRole,
    /// For counters, the window they serve.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[cfg_attr(feature = "openapi", schema(value_type = Option<u16>))]
    pub window: Option<WindowNo>,
    /// Small number unique within central, used in offline fallback ticket numbers (`A-3-017`).
    /// Assigned by central when the device is registered.
    #[serde(default)]
    pub device_no: u32,
    /// A revoked device's requests are refused.
    #[serde(default)]
    pub revoked: bool,
}

/// Why a ticket is called ahead of ordinary tickets of its service.
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
#[non_exhaustive]
pub enum Priority {
    /// Ordinary ticket.
    #[default]
    Normal,
    /// Elderly citizen (适老化 priority).
    Elderly,
    /// Citizen with a disability.
    Disabled,
    /// Checked-in appointment (预约签到).
    Appointment,
}

impl Priority {
    /// Whether this ticket goes ahead of ordinary tickets in its service.
    pub fn is_priority(self) -> bool {
        self != Self::Normal
    }
    /// Name as used in the CLI and config.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Normal => "normal",
            Self::Elderly => "elderly",
            Self::Disabled => "disabled",
            Self::Appointment => "appointment",
        }
    }
}

impl std::str::FromStr for Priority {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, String> {
        Ok(match s {
            "normal" => Self::Normal,
            "elderly" => Self::Elderly,
            "disabled" => Self::Disabled,
            "appointment" => Self::Appointment,
            _ => return Err(format!("unknown priority {s:?}: use normal, elderly, disabled or appointment")),
        })
    }
}

/// 好差评: the five levels of the national service evaluation scheme.
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum EvaluationLevel {
    /// 非常不满意
    VeryDissatisfied = 1,
    /// 不满意
    Dissatisfied = 2,
    /// 基本满意
    Fair = 3,
    /// 满意
    Satisfied = 4,
    /// 非常满意
    VerySatisfied = 5,
}

impl EvaluationLevel {
    /// All levels, best first, as an evaluator shows them.
    pub const ALL: [Self; 5] = [Self::VerySatisfied, Self::Satisfied, Self::Fair, Self::Dissatisfied, Self::VeryDissatisfied];

    /// The level's Chinese label.
    pub fn label_zh(self) -> &'static str {
        match self {
            Self::VerySatisfied => "非常满意",
            Self::Satisfied => "满意",
            Self::Fair => "基本满意",
            Self::Dissatisfied => "不满意",
            Self::VeryDissatisfied => "非常不满意",
        }
    }
    /// The level as a score 1–5.
    pub fn score(self) -> u8 {
        self as u8
    }
    /// The level from a score 1–5.
    pub fn from_score(score: u8) -> Option<Self> {
        Some(match score {
            1 => Self::VeryDissatisfied,
            2 => Self::Dissatisfied,
            3 => Self::Fair,
            4 => Self::Satisfied,
            5 => Self::VerySatisfied,
            _ => return None,
        })
    }
}

/// A booked appointment (预约). The citizen's ID number is never stored in clear: only a masked form
/// for display and a keyed digest for look-ups.
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Appointment {
    /// Booking code the citizen shows or types, e.g. `YY20261124-0007`.
    pub id: String,
    /// Hall.
    pub hall: HallId,
    /// Service booked.
    pub service: ServiceCode,
    /// Day of the appointment.
    pub day: NaiveDate,
    /// Slot start, local time `HH:MM`.
    pub slot: String,
    /// Citizen's name, masked (e.g. 张*).
    pub name_masked: String,
    /// ID number masked to first 6 and last 4.
    pub id_masked: String,
    /// Set once checked in: the ticket it became.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub ticket: Option<TicketId>,
}

/// One step in an application's history.
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ApplicationStatus {
    /// When it happened.
    pub at: DateTime<Utc>,
    /// Stage name, e.g. 受理, 审核, 办结, 制证, 已领取.
    pub status: String,
    /// Free-text note.
    #[serde(default)]
    pub note: String,
}

/// An application (办件) and its progress, for 办件查询.
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Application {
    /// Application number, e.g. `SH2026112400017`.
    pub no: String,
    /// Hall that accepted it.
    pub hall: HallId,
    /// Service.
    pub service: ServiceCode,
    /// Item name, e.g. 居住证签注.
    pub title: String,
    /// Applicant's name, masked.
    pub name_masked: String,
    /// ID number masked to first 6 and last 4.
    pub id_masked: String,
    /// Status history, oldest first.
    pub history: Vec<ApplicationStatus>,
}

/// Everything a hall's devices need to know to operate, as loaded into central from a TOML file
/// (`central serve --catalogue`) or changed through the admin API.
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Catalogue {
    /// Halls.
    #[serde(default)]
    pub halls: Vec<Hall>,
    /// Services.
    #[serde(default)]
    pub services: Vec<Service>,
    /// Windows.
    #[serde(default)]
    pub windows: Vec<Window>,
    /// Devices.
    #[serde(default)]
    pub devices: Vec<Device>,
}
