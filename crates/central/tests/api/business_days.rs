//! Business days: at the rollover a hall's waiting tickets expire instead of being called first
//! the next morning, late tickets of a closed day are recorded but never queued, and start-up
//! replays each hall's log from its last closed day only.

use std::path::Path;
use std::sync::Arc;

use central::engine::QueueEngine;
use central::records::{CallEnd, TicketState};
use central::{Central, CentralConfig, Clock};
use chrono::{DateTime, Duration, NaiveDate, Utc};
use hall_protocol::api::{Lease, LeaseRequest};
use hall_protocol::feed::WindowStatus;
use hall_protocol::{ChangeBody, CounterAction, EventOutcome, Priority, TicketId};

use crate::common::*;

/// Day D of these tests, and its neighbours.
fn d(offset: u64) -> NaiveDate {
    NaiveDate::from_ymd_opt(2026, 11, 24).unwrap() + chrono::Days::new(offset)
}

/// Hall time (+08:00) `hh:mm` on `day`, as UTC.
fn local(day: NaiveDate, hh: u32, mm: u32) -> DateTime<Utc> {
    day.and_hms_opt(hh, mm, 0).unwrap().and_utc() - Duration::hours(8)
}

fn open(db: &Path, clock: &Arc<ManualClock>) -> Arc<Central> {
    Central::open(db, CentralConfig { clock: clock.clone(), ..CentralConfig::default() }).unwrap()
}

fn set(clock: &ManualClock, at: DateTime<Utc>) {
    *clock.0.lock().unwrap() = at;
}

fn lease(c: &Central, kiosk: &str, request_id: u64, day: NaiveDate) -> Lease {
    let req = LeaseRequest { device_id: dev(kiosk), request_id, hall: hall(), service: svc("household"), business_day: day, size: 20 };
    c.lease(Some(&dev(kiosk)), &req).unwrap()
}

/// Issues household ticket `seq` of `kiosk` for `day`, numbered `n` from `lease`, at the clock's time.
fn issue(c: &Central, clock: &ManualClock, kiosk: &str, seq: u64, n: u32, day: NaiveDate, lease: &Lease) -> EventOutcome {
    let at = clock.now();
    let hlc = u64::try_from(at.timestamp_millis()).unwrap();
    let e = ticket_event_on(day, at, kiosk, seq, "household", leased('A', n), Some(lease.lease_id), hlc, Priority::Normal);
    c.push(Some(&dev(kiosk)), &batch(kiosk, vec![e])).unwrap().results[0].outcome.clone()
}

fn act(c: &Central, clock: &ManualClock, counter: &str, seq: u64, window: u16, action: CounterAction) -> EventOutcome {
    let e = counter_event(counter, seq, window, action, clock.now());
    c.push(Some(&dev(counter)), &batch(counter, vec![e])).unwrap().results[0].outcome.clone()
}

fn called(outcome: &EventOutcome) -> TicketId {
    match outcome {
        EventOutcome::Called { ticket_id, .. } => ticket_id.clone(),
        other => panic!("expected a call, got {other:?}"),
    }
}

fn id(device: &str, seq: u64) -> TicketId {
    TicketId::new(dev(device), seq)
}

fn engine(c: &Central) -> QueueEngine {
    c.engine(&hall()).unwrap().unwrap()
}

/// Engine inputs logged for the hall since its last `close_day`, and in all, read from the file.
fn logged(db: &Path) -> (usize, usize) {
    let conn = rusqlite::Connection::open(db).unwrap();
    let count = |sql: &str| conn.query_row(sql, [], |r| r.get::<_, i64>(0)).unwrap() as usize;
    (
        count("SELECT count(*) FROM engine_inputs WHERE seq >= (SELECT max(seq) FROM engine_inputs WHERE kind = 'close_day')"),
        count("SELECT count(*) FROM engine_inputs"),
    )
}

#[test]
fn yesterdays_tickets_expire_at_the_rollover_and_are_never_called() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("central.db");
    let clock = ManualClock::new(local(d(0), 9, 0));
    let c = open(&db, &clock);
    c.load_catalogue(&catalogue()).unwrap();

    // Day D: four tickets; the first is called and still at window 1 when the hall closes.
    let lease_d = lease(&c, "kiosk-1", 1, d(0));
    let offline_lease_d = lease(&c, "kiosk-2", 1, d(0));
    for seq in 1..=4 {
        clock.advance(Duration::minutes(1));
        assert_eq!(issue(&c, &clock, "kiosk-1", seq, seq as u32, d(0), &lease_d), EventOutcome::Applied);
    }
    assert_eq!(called(&act(&c, &clock, "counter-1", 1, 1, CounterAction::CallNext)), id("kiosk-1", 1));
    assert_eq!(engine(&c).day(), Some(d(0)));
    let before_close = c.feed(None, 0, 5000).unwrap().next_cursor;

    // Past the next rollover (04:00 on D+1): the first ticket of D+1 closes D.
    set(&clock, local(d(1), 8, 30));
    let lease_d1 = lease(&c, "kiosk-1", 2, d(1));
    assert_eq!(issue(&c, &clock, "kiosk-1", 5, 1, d(1), &lease_d1), EventOutcome::Applied);
    assert_eq!(engine(&c).day(), Some(d(1)));
    assert_eq!(c.queue(&hall()).unwrap().services.iter().map(|s| s.waiting.len()).sum::<usize>(), 1);
    // Call next calls the D+1 ticket, not yesterday's older ones.
    assert_eq!(called(&act(&c, &clock, "counter-1", 2, 1, CounterAction::CallNext)), id("kiosk-1", 5));

    // Boards were told: window 1 went idle and the household queue emptied at the close.
    let changes = c.feed(None, before_close, 5000).unwrap().changes;
    assert!(changes.iter().any(|ch| matches!(&ch.body, ChangeBody::WindowState { window: 1, state: WindowStatus::Idle, current: None, .. })));
    assert!(changes.iter().any(|ch| matches!(&ch.body, ChangeBody::QueueLength { service, waiting: 0, .. } if service.as_str() == "household")));

    // kiosk-2 was offline over the rollover and syncs a D ticket now: recorded, never queued.
    clock.advance(Duration::minutes(5));
    assert_eq!(issue(&c, &clock, "kiosk-2", 1, offline_lease_d.start, d(0), &offline_lease_d), EventOutcome::Applied);
    let late = c.tickets(d(0), None).unwrap().into_iter().find(|t| t.ticket_id == id("kiosk-2", 1)).unwrap();
    assert_eq!(late.state, TicketState::Expired);
    assert_eq!(act(&c, &clock, "counter-1", 3, 1, CounterAction::CallNext), EventOutcome::QueueEmpty);
    assert_eq!(act(&c, &clock, "counter-2", 1, 2, CounterAction::CallNext), EventOutcome::QueueEmpty);

    // Day D as stored: every ticket expired, the open call ended as expired, not as a no-show.
    let states: Vec<_> = c.tickets(d(0), None).unwrap().into_iter().map(|t| (t.ticket_id, t.state)).collect();
    assert_eq!(states.len(), 5);
    assert!(states.iter().all(|(_, s)| *s == TicketState::Expired), "{states:?}");
    let calls = c.calls(d(0), None).unwrap();
    assert_eq!(calls.iter().map(|c| (c.ticket_id.clone(), c.outcome)).collect::<Vec<_>>(), vec![(id("kiosk-1", 1), Some(CallEnd::Expired))]);
    let stats = c.stats(d(0), None).unwrap();
    let household = stats.services.iter().find(|s| s.service.as_str() == "household").unwrap();
    assert_eq!((household.issued, household.expired, household.waiting, household.no_show, household.served), (5, 5, 0, 0, 0));
    let next_day = c.stats(d(1), None).unwrap();
    let household = next_day.services.iter().find(|s| s.service.as_str() == "household").unwrap();
    assert_eq!((household.issued, household.expired, household.served), (1, 0, 1));

    // Restart: the same engine, rebuilt from the last closed day only.
    let before = engine(&c);
    let before_queue = c.queue(&hall()).unwrap();
    drop(c);
    let (since_close, total) = logged(&db);
    // CloseDay, then 4 services and 3 windows carried over, the D+1 ticket, 3 call-nexts.
    assert_eq!(since_close, 1 + 4 + 3 + 1 + 3);
    assert!(total > since_close + 4, "the log holds day D too ({total} inputs)");
    let c = open(&db, &clock);
    assert_eq!(c.replayed(), central::Replayed { halls: 1, inputs: since_close });
    assert_eq!(engine(&c), before);
    assert_eq!(c.queue(&hall()).unwrap(), before_queue);
    // It carries on: a new D+1 ticket is called at window 1.
    assert_eq!(issue(&c, &clock, "kiosk-1", 6, 2, d(1), &lease_d1), EventOutcome::Applied);
    assert_eq!(called(&act(&c, &clock, "counter-1", 4, 1, CounterAction::CallNext)), id("kiosk-1", 6));
}

#[test]
fn a_counter_action_after_the_rollover_closes_the_day_too() {
    let dir = tempfile::tempdir().unwrap();
    let clock = ManualClock::new(local(d(0), 16, 0));
    let c = open(&dir.path().join("central.db"), &clock);
    c.load_catalogue(&catalogue()).unwrap();
    let lease_d = lease(&c, "kiosk-1", 1, d(0));
    for seq in 1..=2 {
        assert_eq!(issue(&c, &clock, "kiosk-1", seq, seq as u32, d(0), &lease_d), EventOutcome::Applied);
    }
    act(&c, &clock, "counter-1", 1, 1, CounterAction::Pause);
    // Late at night is still day D (before 04:00): nothing expires yet.
    set(&clock, local(d(1), 3, 59));
    assert_eq!(act(&c, &clock, "counter-2", 1, 2, CounterAction::Pause), EventOutcome::Applied);
    assert_eq!(engine(&c).counts().waiting, 2);
    // The next morning, a counter's first action closes D: the queue is empty, windows are open.
    set(&clock, local(d(1), 8, 0));
    assert_eq!(act(&c, &clock, "counter-1", 2, 1, CounterAction::CallNext), EventOutcome::QueueEmpty);
    let e = engine(&c);
    assert_eq!((e.day(), e.counts().enqueued), (Some(d(1)), 0));
    assert!(e.windows().iter().all(|w| !w.paused && w.current.is_none()));
    assert!(c.tickets(d(0), None).unwrap().iter().all(|t| t.state == TicketState::Expired));
}

#[test]
fn the_rollover_timer_closes_days_without_any_input() {
    let clock = ManualClock::new(local(d(0), 10, 0));
    let c = Central::open_in_memory(CentralConfig { clock: clock.clone(), ..CentralConfig::default() }).unwrap();
    c.load_catalogue(&catalogue()).unwrap();
    // A hall that never started a day has nothing to close.
    assert_eq!(c.close_ended_days().unwrap(), vec![]);
    let lease_d = lease(&c, "kiosk-1", 1, d(0));
    for seq in 1..=3 {
        issue(&c, &clock, "kiosk-1", seq, seq as u32, d(0), &lease_d);
    }
    assert_eq!(c.close_ended_days().unwrap(), vec![], "day D has not ended");
    set(&clock, local(d(1), 4, 0));
    assert_eq!(c.close_ended_days().unwrap(), vec![(hall(), 3)]);
    assert_eq!(c.close_ended_days().unwrap(), vec![], "closed once");
    assert!(c.queue(&hall()).unwrap().services.iter().all(|s| s.waiting.is_empty()));
    assert_eq!(c.stats(d(0), None).unwrap().services.iter().map(|s| s.expired).sum::<u64>(), 3);
}

#[test]
fn a_kiosk_clock_slightly_ahead_starts_the_next_day_one_far_ahead_is_refused() {
    let clock = ManualClock::new(local(d(1), 3, 50));
    let c = Central::open_in_memory(CentralConfig { clock: clock.clone(), ..CentralConfig::default() }).unwrap();
    c.load_catalogue(&catalogue()).unwrap();
    // Central is still on D (before 04:00 of D+1), with a ticket of D waiting.
    let lease_d = lease(&c, "kiosk-1", 1, d(0));
    assert_eq!(issue(&c, &clock, "kiosk-1", 1, 1, d(0), &lease_d), EventOutcome::Applied);
    // 04:02 by kiosk-2's clock: 3 minutes past the rollover for central, within the tolerance.
    set(&clock, local(d(1), 3, 58));
    let lease_d1 = lease(&c, "kiosk-2", 1, d(1));
    assert_eq!(issue(&c, &clock, "kiosk-2", 1, 1, d(1), &lease_d1), EventOutcome::Applied);
    assert_eq!(engine(&c).day(), Some(d(1)), "the hall follows the kiosk into D+1");
    assert_eq!(c.tickets(d(0), None).unwrap()[0].state, TicketState::Expired);
    // A kiosk whose clock says D+5 must not close the hall's day for everybody.
    let lease_far = lease(&c, "kiosk-2", 2, d(5));
    let outcome = issue(&c, &clock, "kiosk-2", 2, 1, d(5), &lease_far);
    assert!(matches!(&outcome, EventOutcome::Rejected { reason } if reason.contains("correct the kiosk's clock")), "{outcome:?}");
    assert_eq!(engine(&c).day(), Some(d(1)));
    // Once central's clock reaches D+1 nothing more closes: the D+1 ticket is called.
    set(&clock, local(d(1), 9, 0));
    assert_eq!(called(&act(&c, &clock, "counter-1", 1, 1, CounterAction::CallNext)), id("kiosk-2", 1));
}
