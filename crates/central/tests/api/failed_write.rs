//! A write whose storage fails after the engine accepted an input: nothing is stored, and the
//! engine is rebuilt from the log to exactly what it was before the write. The failures are real
//! SQLite errors, raised by triggers added to the database behind central's back.

use central::{Central, CentralConfig, CentralError};
use chrono::Utc;
use hall_protocol::{CounterAction, EventOutcome, Priority};

use crate::common::*;

fn fail_inserts_into(db: &std::path::Path, table: &str) -> rusqlite::Connection {
    let conn = rusqlite::Connection::open(db).unwrap();
    conn.execute_batch(&format!("CREATE TRIGGER fail_{table} BEFORE INSERT ON {table} BEGIN SELECT RAISE(ABORT, 'disk full (test)'); END;")).unwrap();
    conn
}

#[test]
fn a_failed_write_after_an_accepted_input_leaves_the_engine_as_it_was() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("central.db");
    let (c, lease) = open_with_household_lease(&db);
    let tickets = (1..=6u64).map(|s| ticket_event("kiosk-1", s, "household", leased('A', s as u32), Some(lease.lease_id), 100 + s, Priority::Normal)).collect();
    c.push(Some(&dev("kiosk-1")), &batch("kiosk-1", tickets)).unwrap();
    let counter = |seq, action| c.push(Some(&dev("counter-1")), &batch("counter-1", vec![counter_event("counter-1", seq, 1, action, Utc::now())]));
    counter(1, CounterAction::CallNext).unwrap();
    counter(2, CounterAction::Skip).unwrap();
    counter(3, CounterAction::CallNext).unwrap();
    let before = c.engine(&hall()).unwrap().unwrap();
    let calls_before = c.calls(day(), None).unwrap();

    // Call-next: the engine finishes the current ticket and calls the next, then storing the call
    // fails. The whole batch is rolled back, and so is the engine.
    let conn = fail_inserts_into(&db, "calls");
    let err = counter(4, CounterAction::CallNext).unwrap_err();
    assert!(matches!(err, CentralError::Store(_)), "{err}");
    assert_eq!(c.engine(&hall()).unwrap().unwrap(), before);
    assert_eq!(c.calls(day(), None).unwrap(), calls_before);

    // A kiosk batch: the tickets are queued in the engine, then feeding the queue length fails.
    conn.execute_batch("DROP TRIGGER fail_calls").unwrap();
    conn.execute_batch("CREATE TRIGGER fail_changes BEFORE INSERT ON changes BEGIN SELECT RAISE(ABORT, 'disk full (test)'); END;").unwrap();
    let more = (7..=9u64).map(|s| ticket_event("kiosk-1", s, "household", leased('A', s as u32), Some(lease.lease_id), 100 + s, Priority::Elderly)).collect();
    assert!(c.push(Some(&dev("kiosk-1")), &batch("kiosk-1", more)).is_err());
    assert_eq!(c.engine(&hall()).unwrap().unwrap(), before);
    conn.execute_batch("DROP TRIGGER fail_changes").unwrap();

    // The counter presses again (same event, it was never stored): the call the engine before the
    // failure would have made.
    let expected = central::engine::outcome(&CounterAction::CallNext, &before.clone().act(1, &CounterAction::CallNext, Utc::now()));
    assert!(matches!(expected, EventOutcome::Called { .. }));
    assert_eq!(counter(4, CounterAction::CallNext).unwrap().results[0].outcome, expected);
}

#[test]
fn a_failed_first_write_of_a_hall_leaves_no_engine() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("central.db");
    let c = Central::open(&db, CentralConfig::default()).unwrap();
    // The services reach the hall's new engine; storing the windows then fails.
    let conn = fail_inserts_into(&db, "windows");
    assert!(matches!(c.load_catalogue(&catalogue()), Err(CentralError::Store(_))));
    assert!(c.engine(&hall()).unwrap().is_none());
    conn.execute_batch("DROP TRIGGER fail_windows").unwrap();
    c.load_catalogue(&catalogue()).unwrap();
    let engine = c.engine(&hall()).unwrap().unwrap();
    assert_eq!((engine.services().len(), engine.windows().len()), (4, 3));
}

#[test]
fn an_engine_that_cannot_be_rebuilt_is_not_used_until_it_can() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("central.db");
    let c = Central::open(&db, CentralConfig::default()).unwrap();
    c.load_catalogue(&catalogue()).unwrap();
    let before = c.engine(&hall()).unwrap().unwrap();
    let ticket = ticket_event("kiosk-1", 1, "household", "A-1-001".parse().unwrap(), None, 1, Priority::Normal);
    let call = counter_event("counter-1", 1, 1, CounterAction::CallNext, Utc::now());
    c.push(Some(&dev("kiosk-1")), &batch("kiosk-1", vec![ticket])).unwrap();
    // Someone writes an unreadable engine input behind central's back, and the next write fails.
    let conn = fail_inserts_into(&db, "calls");
    conn.execute("INSERT INTO engine_inputs (hall, kind, input) VALUES ('xuhui', 'act', 'not json')", []).unwrap();
    assert!(c.push(Some(&dev("counter-1")), &batch("counter-1", vec![call.clone()])).is_err());
    // The engine could not be rebuilt: reads and writes fail rather than use a wrong engine.
    assert!(matches!(c.engine(&hall()), Err(CentralError::Store(_))));
    assert!(c.push(Some(&dev("counter-1")), &batch("counter-1", vec![call.clone()])).is_err());
    // Repaired, it is rebuilt on next use, with the ticket that was stored.
    conn.execute_batch("DELETE FROM engine_inputs WHERE input = 'not json'; DROP TRIGGER fail_calls;").unwrap();
    let engine = c.engine(&hall()).unwrap().unwrap();
    assert_eq!((engine.services(), engine.counts().waiting), (before.services(), 1));
    assert!(matches!(c.push(Some(&dev("counter-1")), &batch("counter-1", vec![call])).unwrap().results[0].outcome, EventOutcome::Called { .. }));
}
