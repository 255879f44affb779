//! The engine input log: every input given to a hall's [`QueueEngine`], in order, stored in the
//! same transaction as its results. The engine is deterministic, so replaying the log on start-up
//! rebuilds each hall's queues and windows exactly as they were.
//!
//! Replay starts at each hall's last [`EngineInput::CloseDay`], with a new engine: closing a day
//! leaves nothing of the day's tickets, and central logs the engine's services and windows again
//! right after each `CloseDay` (see [`EngineInput::carried_over`]), so the inputs from there on are
//! all an engine needs. Start-up therefore reads one day of the log, however old the hall is.

use chrono::{DateTime, NaiveDate, Utc};
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
    /// [`QueueEngine::close_day`]: ends the current business day and starts `next_day`.
    CloseDay {
        /// The business day that begins.
        next_day: NaiveDate,
        /// Central's time when it closed the day (for people reading the log; the engine does not
        /// use it).
        at: DateTime<Utc>,
    },
}

impl EngineInput {
    /// The input for enqueueing `t`.
    pub fn enqueue(t: &NewTicket) -> Self {
        Self::Enqueue { id: t.id.clone(), number: t.number, service: t.service.clone(), priority: t.priority, key: t.key.clone(), issued_at: t.issued_at }
    }

    /// The inputs that give a new engine `engine`'s services and window profiles: logged right
    /// after a [`EngineInput::CloseDay`] so that replay can start there. `name_of` gives a
    /// window's display name (the engine does not keep it; it only matters to people reading the
    /// log).
    pub fn carried_over(engine: &QueueEngine, name_of: impl Fn(WindowNo) -> String) -> Vec<Self> {
        let services = engine.services().into_iter().map(|code| Self::Service { code });
        let windows = engine
            .windows()
            .into_iter()
            .map(|w| Self::Window { window: Window { hall: engine.hall().clone(), no: w.no, name: name_of(w.no), profile: w.profile } });
        services.chain(windows).collect()
    }

    /// The input's kind as stored next to it (`service`, `window`, `enqueue`, `act`, `close_day`),
    /// so the log can be searched for day boundaries without parsing every input.
    pub fn kind(&self) -> &'static str {
        match self {
            Self::Service { .. } => "service",
            Self::Window { .. } => "window",
            Self::Enqueue { .. } => "enqueue",
            Self::Act { .. } => "act",
            Self::CloseDay { .. } => "close_day",
        }
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
            Self::CloseDay { next_day, .. } => engine.close_day(*next_day),
        }
    }
}

#[cfg(test)]
mod tests {
    use chrono::TimeZone;
    use hall_protocol::{DeviceId, HallId, Hlc};

    use super::*;
    use crate::engine::EngineConfig;

    #[test]
    fn the_stored_kind_is_the_serialised_tag() {
        let hall = HallId::new("xuhui").unwrap();
        let at = Utc.timestamp_millis_opt(1_800_000_000_000).unwrap();
        let a = ServiceCode::new("a").unwrap();
        let device = DeviceId::new("kiosk-1").unwrap();
        let inputs = [
            EngineInput::Service { code: a.clone() },
            EngineInput::Window { window: Window { hall, no: 1, name: "1号窗口".into(), profile: vec![a.clone()] } },
            EngineInput::Enqueue {
                id: TicketId::new(device.clone(), 1),
                number: TicketNumber::Leased { prefix: 'A', n: 1 },
                service: a,
                priority: Priority::Normal,
                key: IssueKey { hlc: Hlc::new(1, 0), device },
                issued_at: at,
            },
            EngineInput::Act { window: 1, action: CounterAction::CallNext, now: at },
            EngineInput::CloseDay { next_day: NaiveDate::from_ymd_opt(2026, 11, 25).unwrap(), at },
        ];
        for input in inputs {
            let json = serde_json::to_value(&input).unwrap();
            assert_eq!(json["input"], input.kind(), "{json}");
            assert_eq!(serde_json::from_value::<EngineInput>(json).unwrap(), input);
        }
    }

    #[test]
    fn carried_over_inputs_rebuild_services_and_windows() {
        let hall = HallId::new("xuhui").unwrap();
        let mut engine = QueueEngine::new(hall.clone(), EngineConfig::default());
        for code in ["b", "a"] {
            engine.upsert_service(ServiceCode::new(code).unwrap());
        }
        let profile = vec![ServiceCode::new("b").unwrap(), ServiceCode::new("a").unwrap()];
        engine.upsert_window(&Window { hall: hall.clone(), no: 2, name: "2号窗口".into(), profile: profile.clone() }).unwrap();
        let inputs = EngineInput::carried_over(&engine, |no| format!("{no}号窗口"));
        let mut rebuilt = QueueEngine::new(hall.clone(), EngineConfig::default());
        for input in &inputs {
            input.apply(&mut rebuilt).unwrap();
        }
        assert_eq!(rebuilt, engine);
        // Services come before the windows that name them, and names are kept for readers.
        assert_eq!(inputs.last(), Some(&EngineInput::Window { window: Window { hall, no: 2, name: "2号窗口".into(), profile } }));
    }
}
