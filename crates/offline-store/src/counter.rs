//! Counter actions (call next, recall, skip, finish, pause, resume, transfer) recorded by a counter
//! terminal. Central decides what each action does; its answer comes back as the event's outcome
//! ([`Store::outcome`]).

use chrono::{DateTime, Utc};
use hall_protocol::{CounterAction, EventBody, HallId, WindowNo};
use rusqlite::params;

use crate::codec::{time_text, to_i64, to_json};
use crate::error::{Context, StoreError};
use crate::outbox::Writer;
use crate::store::Store;

impl Store {
    /// Records a counter action and its `counter_action` event in one transaction; returns the
    /// event's sequence number (look its outcome up with [`Store::outcome`] after the push).
    pub fn record_counter_action(&mut self, hall: &HallId, window: WindowNo, action: &CounterAction, now: DateTime<Utc>) -> Result<u64, StoreError> {
        let action_json = to_json("counter action", action)?;
        let mut w = Writer::begin(self)?;
        let stamp = w.stamp(now);
        w.append(&stamp, &EventBody::CounterAction { hall: hall.clone(), window, action: action.clone() })?;
        let seq = to_i64("seq", stamp.seq)?;
        w.tx.prepare_cached("INSERT INTO counter_actions (event_seq, hall, window_no, action, at) VALUES (?1, ?2, ?3, ?4, ?5)")
            .and_then(|mut s| s.execute(params![seq, hall.as_str(), window, action_json, time_text(&now)]))
            .ctx("store counter action")?;
        w.commit()?;
        Ok(stamp.seq)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use hall_protocol::{DeviceId, ServiceCode};

    #[test]
    fn action_row_and_event_commit_together() {
        let mut s = Store::open_in_memory(DeviceId::new("counter-3").expect("id")).expect("opens");
        let hall = HallId::new("xuhui").expect("id");
        let now = DateTime::from_timestamp_millis(5_000).expect("time");
        let transfer = CounterAction::Transfer { to: ServiceCode::new("tax").expect("code") };
        assert_eq!(s.record_counter_action(&hall, 3, &CounterAction::CallNext, now).expect("call"), 1);
        assert_eq!(s.record_counter_action(&hall, 3, &transfer, now).expect("transfer"), 2);
        let stored: String = s.conn.query_row("SELECT action FROM counter_actions WHERE event_seq = 2", [], |r| r.get(0)).expect("row");
        assert_eq!(serde_json::from_str::<CounterAction>(&stored).expect("parses"), transfer);
        let events = s.pending_events(10).expect("events");
        assert_eq!(events[1].body, EventBody::CounterAction { hall: hall.clone(), window: 3, action: transfer });
        // Same wall millisecond: the HLC still orders them.
        assert!(events[0].hlc < events[1].hlc);
    }
}
