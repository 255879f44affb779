//! Restart: central rebuilds each hall's queues by replaying the engine input log, and the result
//! is the same engine state as before the restart.

use central::engine::QueueEngine;
use central::{Central, CentralConfig};
use chrono::Utc;
use hall_protocol::{CounterAction, EventOutcome, Priority};

use crate::common::*;

/// Everything observable about an engine.
fn state(e: &QueueEngine) -> String {
    let mut out = format!("{:?}\n{:?}\n", e.counts(), e.windows());
    for s in e.services() {
        out.push_str(&format!("{s}: "));
        for id in e.queue(&s) {
            out.push_str(&format!("{:?}; ", e.ticket(&id)));
        }
        out.push('\n');
    }
    out
}

fn act(c: &Central, device: &str, seq: u64, window: u16, action: CounterAction) -> EventOutcome {
    let ack = c.push(Some(&dev(device)), &batch(device, vec![counter_event(device, seq, window, action, Utc::now())])).unwrap();
    ack.results[0].outcome.clone()
}

#[test]
fn restart_rebuilds_the_engine_identically() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("central.db");
    let (c, lease) = open_with_household_lease(&db);
    let priorities = [Priority::Normal, Priority::Elderly, Priority::Normal, Priority::Disabled, Priority::Normal];
    let events: Vec<_> = (1..=12u64)
        .map(|s| ticket_event("kiosk-1", s, "household", leased('A', s as u32), Some(lease.lease_id), 5_000 + s, priorities[s as usize % 5]))
        .collect();
    c.push(Some(&dev("kiosk-1")), &batch("kiosk-1", events)).unwrap();
    assert!(matches!(act(&c, "counter-1", 1, 1, CounterAction::CallNext), EventOutcome::Called { .. }));
    assert!(matches!(act(&c, "counter-1", 2, 1, CounterAction::Skip), EventOutcome::Applied));
    assert!(matches!(act(&c, "counter-1", 3, 1, CounterAction::CallNext), EventOutcome::Called { .. }));
    assert!(matches!(act(&c, "counter-1", 4, 1, CounterAction::Transfer { to: svc("exit-entry") }), EventOutcome::Applied));
    assert!(matches!(act(&c, "counter-2", 1, 2, CounterAction::CallNext), EventOutcome::Called { .. }));
    assert!(matches!(act(&c, "counter-2", 2, 2, CounterAction::Recall), EventOutcome::Called { .. }));
    assert!(matches!(act(&c, "counter-2", 3, 2, CounterAction::Pause), EventOutcome::Applied));
    assert!(matches!(act(&c, "counter-1", 5, 1, CounterAction::CallNext), EventOutcome::Called { .. }));
    assert!(matches!(act(&c, "counter-1", 6, 1, CounterAction::Finish), EventOutcome::Applied));
    assert!(matches!(act(&c, "counter-1", 7, 1, CounterAction::CallNext), EventOutcome::Called { .. }));
    assert!(matches!(act(&c, "counter-1", 8, 1, CounterAction::Skip), EventOutcome::Applied));
    let before_engine = c.engine(&hall()).unwrap().unwrap();
    let before = state(&before_engine);
    let before_snapshot = c.queue(&hall()).unwrap();
    let before_feed = c.feed(None, 0, 5000).unwrap().changes;
    drop(c);

    let c = Central::open(&db, CentralConfig::default()).unwrap();
    assert_eq!(state(&c.engine(&hall()).unwrap().unwrap()), before);
    assert_eq!(c.queue(&hall()).unwrap(), before_snapshot);
    assert_eq!(c.feed(None, 0, 5000).unwrap().changes, before_feed);

    // And it carries on exactly as the old one would have: the next call is the same.
    let mut old = before_engine;
    let expected = central::engine::outcome(&CounterAction::CallNext, &old.act(1, &CounterAction::CallNext, Utc::now()));
    assert_eq!(act(&c, "counter-1", 9, 1, CounterAction::CallNext), expected);
    // Replayed device events are still recognised after the restart.
    let replay = c.push(Some(&dev("counter-1")), &batch("counter-1", vec![counter_event("counter-1", 9, 1, CounterAction::CallNext, Utc::now())])).unwrap();
    assert!(replay.results[0].duplicate);
    drop(c);

    // A second central cannot open a database that is in use.
    let c = Central::open(&db, CentralConfig::default()).unwrap();
    let err = Central::open(&db, CentralConfig::default()).unwrap_err();
    assert!(err.to_string().contains("another central process"), "{err}");
    drop(c);
}
