//! What the engine reports after each input: the facts central stores, pushes to devices and
//! counts in its statistics.

use chrono::{DateTime, Utc};
use hall_protocol::feed::{CallInfo, WindowStatus};
use hall_protocol::{ChangeBody, CounterAction, EventOutcome, HallId, ServiceCode, TicketId, TicketNumber, WindowNo};
use serde::Serialize;

use super::EngineError;

/// One thing that happened in the engine. One input yields its ticket events first (in the order
/// they happened: `Queued`, `Finished`, `Called`, `Skipped`, `Transferred`, `Expired`), then one [`EngineEvent::QueueLength`] per service whose waiting count changed
/// (by service code), then one [`EngineEvent::WindowState`] per window whose state or current
/// ticket changed.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(tag = "event", rename_all = "snake_case")]
#[non_exhaustive]
pub enum EngineEvent {
    /// A ticket joined its service's queue.
    Queued {
        /// The ticket.
        ticket: TicketId,
        /// Its service.
        service: ServiceCode,
    },
    /// A ticket was called to a window (`recall` 0), or announced again (`recall` 1, 2, …).
    Called {
        /// The ticket.
        ticket: TicketId,
        /// Its printed number, for the board and the voice.
        number: TicketNumber,
        /// Its service.
        service: ServiceCode,
        /// The window.
        window: WindowNo,
        /// 0 for the first call, n for the n-th recall.
        recall: u32,
        /// When the call (or recall) was made.
        at: DateTime<Utc>,
    },
    /// A ticket's service ended; `finished_at - called_at` is its service time.
    Finished {
        /// The ticket.
        ticket: TicketId,
        /// The window that served it.
        window: WindowNo,
        /// When it was first called there.
        called_at: DateTime<Utc>,
        /// When service ended (never before `called_at`).
        finished_at: DateTime<Utc>,
    },
    /// The called citizen did not come (过号).
    Skipped {
        /// The ticket.
        ticket: TicketId,
        /// The window that skipped it.
        window: WindowNo,
        /// True: put back in its queue; false: dropped as a no-show.
        requeued: bool,
    },
    /// The current ticket was moved to another service's queue.
    Transferred {
        /// The ticket.
        ticket: TicketId,
        /// The service it left.
        from: ServiceCode,
        /// The service whose queue it joined.
        to: ServiceCode,
    },
    /// The business day closed while the ticket was still waiting or current at a window: it is
    /// never called (see [`QueueEngine::close_day`](super::QueueEngine::close_day)).
    Expired {
        /// The ticket.
        ticket: TicketId,
        /// The window it was current at, if it had been called; `None` if it was waiting.
        window: Option<WindowNo>,
    },
    /// A window's state or current ticket changed.
    WindowState {
        /// The window.
        window: WindowNo,
        /// Its new state.
        state: WindowStatus,
        /// The ticket now current there.
        current: Option<TicketId>,
    },
    /// The number of tickets waiting for a service changed.
    QueueLength {
        /// The service.
        service: ServiceCode,
        /// Tickets waiting now.
        waiting: u32,
    },
}

impl EngineEvent {
    /// The change-feed entry devices should see for this event, if any. Calls, queue lengths and
    /// window states are pushed to boards and counters; the other events are for storage and
    /// statistics only.
    pub fn to_change(&self, hall: &HallId) -> Option<ChangeBody> {
        match self {
            Self::Called { ticket, number, service, window, recall, at } => Some(ChangeBody::Called(CallInfo {
                hall: hall.clone(),
                window: *window,
                ticket_id: ticket.clone(),
                number: *number,
                service: service.clone(),
                recall: *recall,
                at: *at,
            })),
            Self::QueueLength { service, waiting } => Some(ChangeBody::QueueLength { hall: hall.clone(), service: service.clone(), waiting: *waiting }),
            Self::WindowState { window, state, current } => {
                Some(ChangeBody::WindowState { hall: hall.clone(), window: *window, state: *state, current: current.clone() })
            }
            Self::Queued { .. } | Self::Finished { .. } | Self::Skipped { .. } | Self::Transferred { .. } | Self::Expired { .. } => None,
        }
    }
}

/// The answer central stores for a counter action event, from the engine's result: the call made
/// (for call-next and recall), `QueueEmpty` for a call-next that found nobody waiting, `Applied`
/// for the rest, and `Rejected` with the error's message when the engine refused the action.
pub fn outcome(action: &CounterAction, result: &Result<Vec<EngineEvent>, EngineError>) -> EventOutcome {
    let events = match result {
        Ok(events) => events,
        Err(e) => return EventOutcome::Rejected { reason: e.to_string() },
    };
    let call = events.iter().find_map(|e| match e {
        EngineEvent::Called { ticket, number, service, window, .. } => {
            Some(EventOutcome::Called { ticket_id: ticket.clone(), number: *number, service: service.clone(), window: *window })
        }
        _ => None,
    });
    match (call, action) {
        (Some(call), _) => call,
        (None, CounterAction::CallNext) => EventOutcome::QueueEmpty,
        (None, _) => EventOutcome::Applied,
    }
}
