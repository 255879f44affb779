//! Why the engine refused an input. Messages are written for counter staff and hall managers: they
//! say what is wrong and what to do about it.

use chrono::NaiveDate;
use hall_protocol::{HallId, ServiceCode, TicketId, WindowNo};

/// Why the queue engine refused an input. A refused input changes nothing.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum EngineError {
    /// The window is not configured in this hall.
    #[error("window {0} is not configured in this hall; add it to the hall's catalogue first")]
    UnknownWindow(WindowNo),
    /// The service is not configured in this hall.
    #[error("service {0:?} is not configured in this hall; add it to the hall's catalogue first")]
    UnknownService(ServiceCode),
    /// A ticket with this id is already known.
    #[error("ticket {0} was already queued; a ticket is queued once")]
    DuplicateTicket(TicketId),
    /// The action needs a called ticket and the window has none.
    #[error("window {0} is not serving a ticket; call the next ticket first")]
    NoCurrentTicket(WindowNo),
    /// Calling at a paused window.
    #[error("window {0} is paused; resume it before calling the next ticket")]
    WindowPaused(WindowNo),
    /// A transfer to the service the ticket is already queued for.
    #[error("ticket {ticket} is already in service {service:?}; choose another service to transfer it to")]
    TransferToSameService {
        /// The current ticket.
        ticket: TicketId,
        /// Its service.
        service: ServiceCode,
    },
    /// A window that belongs to another hall was given to this hall's engine.
    #[error("window {window} belongs to hall {got:?}, not to hall {expected:?}")]
    WrongHall {
        /// This engine's hall.
        expected: HallId,
        /// The hall the window names.
        got: HallId,
        /// The window.
        window: WindowNo,
    },
    /// A window profile lists a service twice.
    #[error("window {window} lists service {service:?} twice in its profile; list each service once, most preferred first")]
    DuplicateProfileService {
        /// The window.
        window: WindowNo,
        /// The repeated service.
        service: ServiceCode,
    },
    /// A business day was closed for a day that is not later than the current one.
    #[error("business day {current} is open; a day can only be closed for a later day, not {next}")]
    DayNotLater {
        /// The engine's current day.
        current: NaiveDate,
        /// The day asked for.
        next: NaiveDate,
    },
    /// A counter action this version of central does not know.
    #[error("counter action {0} is not supported by this version of central; update central")]
    UnsupportedAction(String),
}
