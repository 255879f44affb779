//! The engine input log: every input given to a hall's [`QueueEngine`], in order, stored in the
//! same transaction as its results. The engine is deterministic, so replaying the log on start-up
//! rebuilds each hall's queues and windows exactly as they were.

use chrono::{DateTime, Utc};
use hall_protocol::{CounterAction, IssueKey, Priority, ServiceCode, TicketId, TicketNumber, Window, WindowNo};
use serde::{Deserialize, Serialize};

use crate::engine::{EngineError, EngineEvent, NewTicket, QueueEngine};

/// One input to a hall's engine.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "input", rename_all = "snake_case")]
#[non_exhaustive]
pub enum EngineInput {
    /// [`QueueEngine::upsert_service`].
    Service {
        /// Service code.
        code: ServiceCode,
    },
    /// [`QueueEngine::upsert_window`].
    Window {
        /// The window and its profile.
        window: Window,
    },
    /// [`QueueEngine::enqueue`].
    Enqueue {
        /// Ticket.
        id: TicketId,
        /// Printed number.
        number: TicketNumber,
        /// Service.
        service: ServiceCode,
        /// Priority.
        priority: Priority,
        /// Issue order key.
        key: IssueKey,
        /// Wall time of issue.
        issued_at: DateTime<Utc>,
    },
    /// [`QueueEngine::act`].
    Act {
        /// Window.
        window: WindowNo,
        /// Action.
        action: CounterAction,
        /// The time passed to the engine.
        now: DateTime<Utc>,
    },
}

impl EngineInput {
    /// The input for enqueueing `t`.
    pub fn enqueue(t: &NewTicket) -> Self {
        Self::Enqueue { id: t.id.clone(), number: t.number, service: t.service.clone(), priority: t.priority, key: t.key.clone(), issued_at: t.issued_at }
    }

    /// Gives this input to `engine`.
    pub fn apply(&self, engine: &mut QueueEngine) -> Result<Vec<EngineEvent>, EngineError> {
        match self {
            Self::Service { code } => {
                engine.upsert_service(code.clone());
                Ok(Vec::new())
            }
            Self::Window { window } => engine.upsert_window(window).map(|()| Vec::new()),
            Self::Enqueue { id, number, service, priority, key, issued_at } => engine.enqueue(NewTicket {
                id: id.clone(),
                number: *number,
                service: service.clone(),
                priority: *priority,
                key: key.clone(),
                issued_at: *issued_at,
            }),
            Self::Act { window, action, now } => engine.act(*window, action, *now),
        }
    }
}
