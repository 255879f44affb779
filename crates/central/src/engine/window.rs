//! Counter windows as the engine sees them: a service profile, paused or not, and the ticket
//! currently called there.

use chrono::{DateTime, Utc};
use hall_protocol::feed::WindowStatus;
use hall_protocol::{ServiceCode, TicketId, WindowNo};
use serde::Serialize;

/// The ticket a window has called and not yet finished, skipped or transferred.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct CurrentCall {
    pub(crate) ticket: TicketId,
    pub(crate) called_at: DateTime<Utc>,
    pub(crate) recalls: u32,
}

/// The engine's record of one window.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct WindowRecord {
    /// Services served, most preferred first.
    pub(crate) profile: Vec<ServiceCode>,
    pub(crate) paused: bool,
    pub(crate) current: Option<CurrentCall>,
}

impl WindowRecord {
    /// The state boards show. A paused window reports `Paused` even while it still holds a ticket
    /// (pausing does not end the service in progress); the ticket is in `current` either way.
    pub(crate) fn status(&self) -> WindowStatus {
        if self.paused {
            WindowStatus::Paused
        } else if self.current.is_some() {
            WindowStatus::Serving
        } else {
            WindowStatus::Idle
        }
    }

    pub(crate) fn current_ticket(&self) -> Option<TicketId> {
        self.current.as_ref().map(|c| c.ticket.clone())
    }

    pub(crate) fn view(&self, no: WindowNo) -> WindowView {
        WindowView {
            no,
            state: self.status(),
            paused: self.paused,
            current: self.current_ticket(),
            called_at: self.current.as_ref().map(|c| c.called_at),
            recalls: self.current.as_ref().map_or(0, |c| c.recalls),
            profile: self.profile.clone(),
        }
    }
}

/// A read-only view of one window.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct WindowView {
    /// Window number.
    pub no: WindowNo,
    /// State as boards show it (`Paused` wins over `Serving`).
    pub state: WindowStatus,
    /// Whether calling is paused.
    pub paused: bool,
    /// The ticket called here and not yet finished, skipped or transferred.
    pub current: Option<TicketId>,
    /// When the current ticket was first called.
    pub called_at: Option<DateTime<Utc>>,
    /// How many times the current ticket has been recalled (0 if none).
    pub recalls: u32,
    /// Services served, most preferred first.
    pub profile: Vec<ServiceCode>,
}
