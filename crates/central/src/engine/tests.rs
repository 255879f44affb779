//! Unit tests, one per rule of docs/queue-rules.md.

use chrono::{DateTime, TimeZone, Utc};
use hall_protocol::feed::WindowStatus;
use hall_protocol::{
    ChangeBody, CounterAction, DeviceId, EventOutcome, HallId, Hlc, IssueKey, Priority, ServiceCode, TicketId, TicketNumber, Window, WindowNo,
};

use super::*;

fn svc(s: &str) -> ServiceCode {
    ServiceCode::new(s).unwrap()
}

fn hall() -> HallId {
    HallId::new("xuhui").unwrap()
}

fn at(ms: i64) -> DateTime<Utc> {
    Utc.timestamp_millis_opt(1_800_000_000_000 + ms).unwrap()
}

fn id(device: &str, seq: u64) -> TicketId {
    TicketId::new(DeviceId::new(device).unwrap(), seq)
}

/// A ticket from `device`/`seq`, printed number `n`, issued at HLC `wall_ms`.
fn ticket(device: &str, seq: u64, n: u32, service: &str, priority: Priority, wall_ms: u64) -> NewTicket {
    let device_id = DeviceId::new(device).unwrap();
    NewTicket {
        id: TicketId::new(device_id.clone(), seq),
        number: TicketNumber::Leased { prefix: 'A', n },
        service: svc(service),
        priority,
        key: IssueKey { hlc: Hlc::new(wall_ms, 0), device: device_id },
        issued_at: at(wall_ms as i64),
    }
}

fn window(no: WindowNo, profile: &[&str]) -> Window {
    Window { hall: hall(), no, name: format!("{no}号窗口"), profile: profile.iter().map(|s| svc(s)).collect() }
}

/// An engine with services a, b, c and the given windows.
fn engine_with(config: EngineConfig, windows: &[(WindowNo, &[&str])]) -> QueueEngine {
    let mut e = QueueEngine::new(hall(), config);
    for s in ["a", "b", "c"] {
        e.upsert_service(svc(s));
    }
    for (no, profile) in windows {
        e.upsert_window(&window(*no, profile)).unwrap();
    }
    e
}

/// Enqueues ordinary tickets `k1/1..=count` for `service`, issued at 10, 20, 30… ms.
fn fill(e: &mut QueueEngine, service: &str, device: &str, count: u64) -> Vec<TicketId> {
    (1..=count)
        .map(|i| {
            e.enqueue(ticket(device, i, i as u32, service, Priority::Normal, i * 10)).unwrap();
            id(device, i)
        })
        .collect()
}

fn called(events: &[EngineEvent]) -> Option<TicketId> {
    events.iter().find_map(|e| match e {
        EngineEvent::Called { ticket, .. } => Some(ticket.clone()),
        _ => None,
    })
}

fn call(e: &mut QueueEngine, no: WindowNo, now: i64) -> Option<TicketId> {
    called(&e.act(no, &CounterAction::CallNext, at(now)).unwrap())
}

fn assert_counts_add_up(e: &QueueEngine) {
    let c = e.counts();
    assert_eq!(c.waiting + c.serving + c.finished + c.no_show, c.enqueued, "{c:?}");
}

#[test]
fn enqueue_emits_queued_and_length() {
    let mut e = engine_with(EngineConfig::default(), &[]);
    let events = e.enqueue(ticket("k1", 1, 1, "a", Priority::Normal, 10)).unwrap();
    assert_eq!(events, vec![EngineEvent::Queued { ticket: id("k1", 1), service: svc("a") }, EngineEvent::QueueLength { service: svc("a"), waiting: 1 }]);
    assert_eq!(e.ticket(&id("k1", 1)).unwrap().status, TicketStatus::Waiting);
}

#[test]
fn enqueue_refuses_duplicates_and_unknown_services() {
    let mut e = engine_with(EngineConfig::default(), &[]);
    e.enqueue(ticket("k1", 1, 1, "a", Priority::Normal, 10)).unwrap();
    // Same id, even with other details: refused, and the first one stays as it was.
    assert_eq!(e.enqueue(ticket("k1", 1, 2, "b", Priority::Elderly, 5)), Err(EngineError::DuplicateTicket(id("k1", 1))));
    assert_eq!(e.enqueue(ticket("k1", 2, 2, "zz", Priority::Normal, 20)), Err(EngineError::UnknownService(svc("zz"))));
    assert_eq!(e.ticket(&id("k1", 1)).unwrap().service, svc("a"));
    assert_eq!(e.waiting(&svc("a")), 1);
    assert_eq!(e.waiting(&svc("b")), 0);
    assert_eq!(e.counts().enqueued, 1);
}

#[test]
fn windows_may_only_name_known_services_once_in_their_hall() {
    let mut e = engine_with(EngineConfig::default(), &[]);
    assert_eq!(e.upsert_window(&window(1, &["a", "zz"])), Err(EngineError::UnknownService(svc("zz"))));
    assert!(matches!(e.upsert_window(&window(1, &["a", "b", "a"])), Err(EngineError::DuplicateProfileService { window: 1, .. })));
    let mut other = window(1, &["a"]);
    other.hall = HallId::new("minhang").unwrap();
    assert!(matches!(e.upsert_window(&other), Err(EngineError::WrongHall { window: 1, .. })));
    assert!(e.window(1).is_none(), "a refused window is not added");
    assert_eq!(e.act(1, &CounterAction::CallNext, at(0)), Err(EngineError::UnknownWindow(1)));
}

#[test]
fn call_next_takes_the_first_service_of_the_profile_with_anyone_waiting() {
    let mut e = engine_with(EngineConfig::default(), &[(1, &["b", "a"]), (2, &["a"])]);
    fill(&mut e, "a", "k1", 2);
    e.enqueue(ticket("k2", 1, 1, "b", Priority::Normal, 999)).unwrap();
    // b is first in window 1's profile, even though a's tickets are older.
    assert_eq!(call(&mut e, 1, 1_000), Some(id("k2", 1)));
    assert_eq!(call(&mut e, 1, 2_000), Some(id("k1", 1)));
    // Window 2 never serves b.
    e.enqueue(ticket("k2", 2, 2, "b", Priority::Normal, 5)).unwrap();
    assert_eq!(call(&mut e, 2, 3_000), Some(id("k1", 2)));
    assert_eq!(call(&mut e, 2, 4_000), None);
    assert_eq!(e.waiting(&svc("b")), 1);
}

#[test]
fn priority_tickets_go_first_then_issue_order_not_number_order() {
    let mut e = engine_with(EngineConfig::default(), &[(1, &["a"])]);
    // Number 9 was issued (by HLC) before number 1: an offline kiosk's ticket synced late.
    e.enqueue(ticket("k1", 1, 1, "a", Priority::Normal, 300)).unwrap();
    e.enqueue(ticket("k2", 1, 9, "a", Priority::Normal, 100)).unwrap();
    e.enqueue(ticket("k1", 2, 2, "a", Priority::Appointment, 400)).unwrap();
    e.enqueue(ticket("k1", 3, 3, "a", Priority::Elderly, 350)).unwrap();
    // Same HLC on two devices: the device id breaks the tie.
    e.enqueue(ticket("k3", 1, 4, "a", Priority::Disabled, 350)).unwrap();
    let expected = vec![id("k1", 3), id("k3", 1), id("k1", 2), id("k2", 1), id("k1", 1)];
    assert_eq!(e.queue(&svc("a")), expected);
    assert_eq!(e.position(&id("k2", 1)), Some(3));
    let order: Vec<_> = (0..5).map(|i| call(&mut e, 1, 1_000 * i).unwrap()).collect();
    assert_eq!(order, expected);
    assert_eq!(e.position(&id("k2", 1)), None, "called tickets have no queue position");
}

#[test]
fn call_next_finishes_the_current_ticket_first() {
    let mut e = engine_with(EngineConfig::default(), &[(1, &["a"])]);
    fill(&mut e, "a", "k1", 2);
    e.act(1, &CounterAction::CallNext, at(1_000)).unwrap();
    let events = e.act(1, &CounterAction::CallNext, at(61_000)).unwrap();
    assert_eq!(
        events,
        vec![
            EngineEvent::Finished { ticket: id("k1", 1), window: 1, called_at: at(1_000), finished_at: at(61_000) },
            EngineEvent::Called {
                ticket: id("k1", 2),
                number: TicketNumber::Leased { prefix: 'A', n: 2 },
                service: svc("a"),
                window: 1,
                recall: 0,
                at: at(61_000)
            },
            EngineEvent::QueueLength { service: svc("a"), waiting: 0 },
            EngineEvent::WindowState { window: 1, state: WindowStatus::Serving, current: Some(id("k1", 2)) },
        ]
    );
    assert_eq!(e.ticket(&id("k1", 1)).unwrap().status, TicketStatus::Finished);
    assert_eq!(e.ticket(&id("k1", 2)).unwrap().status, TicketStatus::Called { window: 1 });
    assert_counts_add_up(&e);
}

#[test]
fn call_next_on_an_empty_queue_still_finishes_the_current_ticket() {
    let mut e = engine_with(EngineConfig::default(), &[(1, &["a"])]);
    // Nothing at all: no events, and the outcome says the queue is empty.
    let result = e.act(1, &CounterAction::CallNext, at(0));
    assert_eq!(result, Ok(vec![]));
    assert_eq!(outcome(&CounterAction::CallNext, &result), EventOutcome::QueueEmpty);
    fill(&mut e, "a", "k1", 1);
    call(&mut e, 1, 1_000);
    let events = e.act(1, &CounterAction::CallNext, at(2_000)).unwrap();
    assert_eq!(
        events,
        vec![
            EngineEvent::Finished { ticket: id("k1", 1), window: 1, called_at: at(1_000), finished_at: at(2_000) },
            EngineEvent::WindowState { window: 1, state: WindowStatus::Idle, current: None },
        ]
    );
    assert_eq!(e.window(1).unwrap().current, None);
}

#[test]
fn recall_announces_the_current_ticket_again() {
    let mut e = engine_with(EngineConfig::default(), &[(1, &["a"])]);
    assert_eq!(e.act(1, &CounterAction::Recall, at(0)), Err(EngineError::NoCurrentTicket(1)));
    fill(&mut e, "a", "k1", 1);
    call(&mut e, 1, 1_000);
    for n in 1..=2 {
        let events = e.act(1, &CounterAction::Recall, at(1_000 + n)).unwrap();
        assert_eq!(
            events,
            vec![EngineEvent::Called {
                ticket: id("k1", 1),
                number: TicketNumber::Leased { prefix: 'A', n: 1 },
                service: svc("a"),
                window: 1,
                recall: n as u32,
                at: at(1_000 + n)
            }]
        );
    }
    let w = e.window(1).unwrap();
    assert_eq!((w.recalls, w.called_at), (2, Some(at(1_000))), "a recall does not restart the service time");
}

#[test]
fn skip_requeues_behind_three_of_its_class_then_drops_as_no_show() {
    let mut e = engine_with(EngineConfig::default(), &[(1, &["a"])]);
    let ids = fill(&mut e, "a", "k1", 6);
    // A priority ticket waiting does not count: the skipped ticket is ordinary.
    e.enqueue(ticket("k2", 1, 7, "a", Priority::Elderly, 500)).unwrap();
    assert_eq!(call(&mut e, 1, 1_000), Some(id("k2", 1)));
    e.act(1, &CounterAction::Finish, at(2_000)).unwrap();
    assert_eq!(call(&mut e, 1, 3_000), Some(ids[0].clone()));
    let events = e.act(1, &CounterAction::Skip, at(4_000)).unwrap();
    assert_eq!(
        events,
        vec![
            EngineEvent::Skipped { ticket: ids[0].clone(), window: 1, requeued: true },
            EngineEvent::QueueLength { service: svc("a"), waiting: 6 },
            EngineEvent::WindowState { window: 1, state: WindowStatus::Idle, current: None },
        ]
    );
    assert_eq!(e.queue(&svc("a")), vec![ids[1].clone(), ids[2].clone(), ids[3].clone(), ids[0].clone(), ids[4].clone(), ids[5].clone()]);
    assert_eq!(e.ticket(&ids[0]).unwrap().skips, 1);
    // Called again after the three, skipped again: the default allows one re-queue, so it is dropped.
    for expected in [&ids[1], &ids[2], &ids[3], &ids[0]] {
        assert_eq!(call(&mut e, 1, 5_000).as_ref(), Some(expected));
    }
    let events = e.act(1, &CounterAction::Skip, at(6_000)).unwrap();
    assert_eq!(
        events,
        vec![
            EngineEvent::Skipped { ticket: ids[0].clone(), window: 1, requeued: false },
            EngineEvent::WindowState { window: 1, state: WindowStatus::Idle, current: None },
        ]
    );
    let t = e.ticket(&ids[0]).unwrap();
    assert_eq!((t.status, t.skips), (TicketStatus::NoShow, 2));
    // A no-show is never called again.
    assert_eq!(call(&mut e, 1, 7_000).as_ref(), Some(&ids[4]));
    assert_eq!(call(&mut e, 1, 8_000).as_ref(), Some(&ids[5]));
    assert_eq!(call(&mut e, 1, 9_000), None);
    let c = e.counts();
    assert_eq!((c.enqueued, c.finished, c.no_show, c.waiting, c.serving), (7, 6, 1, 0, 0));
    assert_eq!(e.act(1, &CounterAction::Skip, at(10_000)), Err(EngineError::NoCurrentTicket(1)));
}

#[test]
fn skip_with_fewer_waiting_goes_to_the_end_of_its_class_only() {
    let mut e = engine_with(EngineConfig::default(), &[(1, &["a"])]);
    e.enqueue(ticket("k1", 1, 1, "a", Priority::Disabled, 10)).unwrap();
    e.enqueue(ticket("k1", 2, 2, "a", Priority::Appointment, 20)).unwrap();
    e.enqueue(ticket("k1", 3, 3, "a", Priority::Normal, 5)).unwrap();
    assert_eq!(call(&mut e, 1, 1_000), Some(id("k1", 1)));
    e.act(1, &CounterAction::Skip, at(2_000)).unwrap();
    // Only one other priority ticket: the skipped one goes behind it, still ahead of ordinary ones.
    assert_eq!(e.queue(&svc("a")), vec![id("k1", 2), id("k1", 1), id("k1", 3)]);
    // Nobody else in its class: straight back to the front.
    let mut e = engine_with(EngineConfig::default(), &[(1, &["a"])]);
    fill(&mut e, "a", "k1", 1);
    call(&mut e, 1, 1_000);
    e.act(1, &CounterAction::Skip, at(2_000)).unwrap();
    assert_eq!(call(&mut e, 1, 3_000), Some(id("k1", 1)));
}

#[test]
fn skip_place_is_pinned_and_later_arrivals_with_earlier_keys_sort_ahead() {
    let config = EngineConfig { requeue_after: 2, max_skips: 3 };
    let mut e = engine_with(config, &[(1, &["a"])]);
    let ids = fill(&mut e, "a", "k1", 5); // keys 10..50
    assert_eq!(call(&mut e, 1, 1_000), Some(ids[0].clone()));
    e.act(1, &CounterAction::Skip, at(1_100)).unwrap();
    // Pinned behind the second waiting ticket (key 30).
    assert_eq!(e.queue(&svc("a")), vec![ids[1].clone(), ids[2].clone(), ids[0].clone(), ids[3].clone(), ids[4].clone()]);
    // An offline kiosk syncs a ticket issued at 25: it sorts by its key, so the skipped ticket now
    // waits behind three tickets instead of two.
    e.enqueue(ticket("k2", 1, 99, "a", Priority::Normal, 25)).unwrap();
    assert_eq!(e.queue(&svc("a"))[..4], [ids[1].clone(), id("k2", 1), ids[2].clone(), ids[0].clone()]);
    assert_eq!(e.position(&ids[0]), Some(3));
    // The next skipped ticket is pinned behind the 2nd waiting ticket (ids[2], key 30) too, so it
    // sorts behind the ticket pinned there earlier.
    assert_eq!(call(&mut e, 1, 2_000), Some(ids[1].clone()));
    e.act(1, &CounterAction::Skip, at(2_100)).unwrap();
    assert_eq!(e.queue(&svc("a")), vec![id("k2", 1), ids[2].clone(), ids[0].clone(), ids[1].clone(), ids[3].clone(), ids[4].clone()]);
}

#[test]
fn skip_never_moves_a_ticket_ahead_of_its_own_issue_key() {
    let config = EngineConfig { requeue_after: 1, max_skips: 1 };
    let mut e = engine_with(config, &[(1, &["a"])]);
    e.enqueue(ticket("k1", 1, 1, "a", Priority::Normal, 100)).unwrap();
    assert_eq!(call(&mut e, 1, 1_000), Some(id("k1", 1)));
    // Arrives late with an earlier key, while k1/1 is at the window.
    e.enqueue(ticket("k2", 1, 2, "a", Priority::Normal, 50)).unwrap();
    e.act(1, &CounterAction::Skip, at(2_000)).unwrap();
    // Behind one ticket (key 50) would be key 50; its own key 100 is later, so it stays at 100.
    e.enqueue(ticket("k2", 2, 3, "a", Priority::Normal, 70)).unwrap();
    assert_eq!(e.queue(&svc("a")), vec![id("k2", 1), id("k2", 2), id("k1", 1)]);
}

#[test]
fn max_skips_zero_drops_at_once_and_requeue_after_zero_keeps_the_own_key() {
    let mut e = engine_with(EngineConfig { requeue_after: 3, max_skips: 0 }, &[(1, &["a"])]);
    fill(&mut e, "a", "k1", 2);
    call(&mut e, 1, 1_000);
    let events = e.act(1, &CounterAction::Skip, at(2_000)).unwrap();
    assert!(events.contains(&EngineEvent::Skipped { ticket: id("k1", 1), window: 1, requeued: false }));
    assert_eq!(e.ticket(&id("k1", 1)).unwrap().status, TicketStatus::NoShow);

    let mut e = engine_with(EngineConfig { requeue_after: 0, max_skips: 1 }, &[(1, &["a"])]);
    fill(&mut e, "a", "k1", 3);
    call(&mut e, 1, 1_000);
    e.act(1, &CounterAction::Skip, at(2_000)).unwrap();
    assert_eq!(e.queue(&svc("a")), vec![id("k1", 1), id("k1", 2), id("k1", 3)]);
}

#[test]
fn transfer_keeps_number_priority_and_original_issue_order() {
    let mut e = engine_with(EngineConfig::default(), &[(1, &["a"]), (2, &["b"])]);
    e.enqueue(ticket("k1", 1, 1, "a", Priority::Elderly, 100)).unwrap();
    e.enqueue(ticket("k2", 1, 1, "b", Priority::Elderly, 50)).unwrap();
    e.enqueue(ticket("k2", 2, 2, "b", Priority::Elderly, 150)).unwrap();
    e.enqueue(ticket("k2", 3, 3, "b", Priority::Normal, 10)).unwrap();
    assert_eq!(call(&mut e, 1, 1_000), Some(id("k1", 1)));
    e.act(1, &CounterAction::Recall, at(1_500)).unwrap();
    let events = e.act(1, &CounterAction::Transfer { to: svc("b") }, at(2_000)).unwrap();
    assert_eq!(
        events,
        vec![
            EngineEvent::Transferred { ticket: id("k1", 1), from: svc("a"), to: svc("b") },
            EngineEvent::QueueLength { service: svc("b"), waiting: 4 },
            EngineEvent::WindowState { window: 1, state: WindowStatus::Idle, current: None },
        ]
    );
    // Issued at 100: between b's elderly tickets of 50 and 150, and still a priority ticket.
    assert_eq!(e.queue(&svc("b")), vec![id("k2", 1), id("k1", 1), id("k2", 2), id("k2", 3)]);
    let t = e.ticket(&id("k1", 1)).unwrap();
    assert_eq!((t.service, t.number, t.priority, t.status), (svc("b"), TicketNumber::Leased { prefix: 'A', n: 1 }, Priority::Elderly, TicketStatus::Waiting));
    assert_eq!(e.window(1).unwrap().state, WindowStatus::Idle);
    call(&mut e, 2, 3_000);
    let events = e.act(2, &CounterAction::CallNext, at(4_000)).unwrap();
    assert!(
        events.iter().any(
            |ev| matches!(ev, EngineEvent::Called { ticket, number: TicketNumber::Leased { n: 1, .. }, window: 2, recall: 0, .. } if *ticket == id("k1", 1))
        )
    );
    assert_counts_add_up(&e);
}

#[test]
fn transfer_after_a_skip_uses_the_original_key_not_the_pinned_place() {
    let mut e = engine_with(EngineConfig::default(), &[(1, &["a"]), (2, &["b"])]);
    fill(&mut e, "a", "k1", 5);
    e.enqueue(ticket("k2", 1, 1, "b", Priority::Normal, 15)).unwrap();
    call(&mut e, 1, 1_000);
    e.act(1, &CounterAction::Skip, at(1_100)).unwrap();
    for _ in 0..4 {
        call(&mut e, 1, 2_000);
    }
    assert_eq!(e.window(1).unwrap().current, Some(id("k1", 1)));
    e.act(1, &CounterAction::Transfer { to: svc("b") }, at(3_000)).unwrap();
    assert_eq!(e.queue(&svc("b")), vec![id("k1", 1), id("k2", 1)]);
    assert_eq!(e.ticket(&id("k1", 1)).unwrap().skips, 1, "skips follow the ticket");
}

#[test]
fn refused_transfers_change_nothing() {
    let mut e = engine_with(EngineConfig::default(), &[(1, &["a"])]);
    assert_eq!(e.act(1, &CounterAction::Transfer { to: svc("b") }, at(0)), Err(EngineError::NoCurrentTicket(1)));
    fill(&mut e, "a", "k1", 1);
    call(&mut e, 1, 1_000);
    let before = (e.window(1), e.queue(&svc("a")), e.ticket(&id("k1", 1)));
    assert_eq!(
        e.act(1, &CounterAction::Transfer { to: svc("a") }, at(2_000)),
        Err(EngineError::TransferToSameService { ticket: id("k1", 1), service: svc("a") })
    );
    assert_eq!(e.act(1, &CounterAction::Transfer { to: svc("zz") }, at(2_000)), Err(EngineError::UnknownService(svc("zz"))));
    assert_eq!(before, (e.window(1), e.queue(&svc("a")), e.ticket(&id("k1", 1))));
}

#[test]
fn pause_stops_calling_but_keeps_the_current_ticket() {
    let mut e = engine_with(EngineConfig::default(), &[(1, &["a"])]);
    fill(&mut e, "a", "k1", 2);
    call(&mut e, 1, 1_000);
    assert_eq!(
        e.act(1, &CounterAction::Pause, at(2_000)).unwrap(),
        vec![EngineEvent::WindowState { window: 1, state: WindowStatus::Paused, current: Some(id("k1", 1)) }]
    );
    assert_eq!(e.act(1, &CounterAction::Pause, at(2_100)).unwrap(), vec![], "pausing twice changes nothing");
    assert_eq!(e.act(1, &CounterAction::CallNext, at(3_000)), Err(EngineError::WindowPaused(1)));
    assert_eq!(e.window(1).unwrap().current, Some(id("k1", 1)), "a refused call does not finish the current ticket");
    e.act(1, &CounterAction::Recall, at(3_500)).unwrap();
    let events = e.act(1, &CounterAction::Finish, at(4_000)).unwrap();
    assert_eq!(events.last(), Some(&EngineEvent::WindowState { window: 1, state: WindowStatus::Paused, current: None }));
    assert_eq!(e.act(1, &CounterAction::Resume, at(5_000)).unwrap(), vec![EngineEvent::WindowState { window: 1, state: WindowStatus::Idle, current: None }]);
    assert_eq!(e.act(1, &CounterAction::Resume, at(5_100)).unwrap(), vec![]);
    assert_eq!(call(&mut e, 1, 6_000), Some(id("k1", 2)));
}

#[test]
fn finish_records_service_time_and_leaves_the_window_idle() {
    let mut e = engine_with(EngineConfig::default(), &[(1, &["a"])]);
    assert_eq!(e.act(1, &CounterAction::Finish, at(0)), Err(EngineError::NoCurrentTicket(1)));
    fill(&mut e, "a", "k1", 2);
    call(&mut e, 1, 10_000);
    let events = e.act(1, &CounterAction::Finish, at(70_000)).unwrap();
    assert_eq!(
        events,
        vec![
            EngineEvent::Finished { ticket: id("k1", 1), window: 1, called_at: at(10_000), finished_at: at(70_000) },
            EngineEvent::WindowState { window: 1, state: WindowStatus::Idle, current: None },
        ]
    );
    // A wall clock stepped back never gives a negative service time.
    call(&mut e, 1, 80_000);
    let events = e.act(1, &CounterAction::Finish, at(75_000)).unwrap();
    assert_eq!(events[0], EngineEvent::Finished { ticket: id("k1", 2), window: 1, called_at: at(80_000), finished_at: at(80_000) });
}

#[test]
fn two_windows_never_hold_the_same_ticket() {
    let mut e = engine_with(EngineConfig::default(), &[(1, &["a"]), (2, &["a"]), (3, &["a", "b"])]);
    fill(&mut e, "a", "k1", 3);
    let got: Vec<_> = (1..=3).map(|w| call(&mut e, w, 1_000).unwrap()).collect();
    assert_eq!(got, vec![id("k1", 1), id("k1", 2), id("k1", 3)]);
    assert_eq!(call(&mut e, 1, 2_000), None);
    let currents: Vec<_> = e.windows().into_iter().map(|w| w.current).collect();
    assert_eq!(currents, vec![None, Some(id("k1", 2)), Some(id("k1", 3))]);
    assert_counts_add_up(&e);
}

#[test]
fn upserting_a_window_keeps_its_current_ticket_and_pause() {
    let mut e = engine_with(EngineConfig::default(), &[(1, &["a"])]);
    fill(&mut e, "a", "k1", 1);
    call(&mut e, 1, 1_000);
    e.act(1, &CounterAction::Pause, at(1_100)).unwrap();
    e.upsert_window(&window(1, &["b", "a"])).unwrap();
    let w = e.window(1).unwrap();
    assert_eq!((w.current, w.paused, w.profile), (Some(id("k1", 1)), true, vec![svc("b"), svc("a")]));
}

#[test]
fn events_map_to_feed_changes_and_outcomes() {
    let mut e = engine_with(EngineConfig::default(), &[(3, &["a"])]);
    let queued = e.enqueue(ticket("k1", 1, 12, "a", Priority::Normal, 10)).unwrap();
    assert_eq!(queued[0].to_change(&hall()), None);
    assert_eq!(queued[1].to_change(&hall()), Some(ChangeBody::QueueLength { hall: hall(), service: svc("a"), waiting: 1 }));
    let action = CounterAction::CallNext;
    let result = e.act(3, &action, at(1_000));
    let Ok(events) = &result else { panic!("call failed: {result:?}") };
    match events[0].to_change(&hall()) {
        Some(ChangeBody::Called(call)) => {
            assert_eq!((call.window, call.number.to_string(), call.recall, call.at), (3, "A012".to_owned(), 0, at(1_000)));
        }
        other => panic!("expected a call, got {other:?}"),
    }
    assert_eq!(
        outcome(&action, &result),
        EventOutcome::Called { ticket_id: id("k1", 1), number: TicketNumber::Leased { prefix: 'A', n: 12 }, service: svc("a"), window: 3 }
    );
    let finish = CounterAction::Finish;
    assert_eq!(outcome(&finish, &e.act(3, &finish, at(2_000))), EventOutcome::Applied);
    let refused = e.act(3, &finish, at(3_000));
    assert_eq!(outcome(&finish, &refused), EventOutcome::Rejected { reason: "window 3 is not serving a ticket; call the next ticket first".to_owned() });
}

#[test]
fn from_issued_keys_by_hlc_and_issuing_device() {
    let issued = hall_protocol::TicketIssued {
        ticket_id: id("kiosk-2", 7),
        hall: hall(),
        service: svc("a"),
        number: TicketNumber::Fallback { prefix: 'A', device_no: 2, n: 3 },
        priority: Priority::Appointment,
        business_day: chrono::NaiveDate::from_ymd_opt(2027, 1, 15).unwrap(),
        issued_hlc: Hlc::new(1234, 5),
        issued_at: at(0),
        lease_id: None,
    };
    let t = NewTicket::from_issued(&issued);
    assert_eq!(t.key, IssueKey { hlc: Hlc::new(1234, 5), device: DeviceId::new("kiosk-2").unwrap() });
    assert_eq!((t.id, t.priority, t.service), (id("kiosk-2", 7), Priority::Appointment, svc("a")));
}

#[test]
fn same_inputs_give_same_outputs() {
    let run = || {
        let mut e = engine_with(EngineConfig::default(), &[(1, &["a", "b"]), (2, &["b", "c"])]);
        let mut out = Vec::new();
        for i in 0..30u64 {
            let service = ["a", "b", "c"][(i % 3) as usize];
            out.extend(e.enqueue(ticket(["k1", "k2"][(i % 2) as usize], i, i as u32, service, Priority::Normal, (i * 37) % 200)).unwrap());
        }
        for i in 0..40i64 {
            let w = 1 + (i % 2) as WindowNo;
            let action = if i % 5 == 4 { CounterAction::Skip } else { CounterAction::CallNext };
            out.extend(e.act(w, &action, at(i * 1_000)).unwrap_or_default());
        }
        (out, e.windows(), e.counts())
    };
    assert_eq!(run(), run());
}

fn date(d: u32) -> chrono::NaiveDate {
    chrono::NaiveDate::from_ymd_opt(2026, 11, d).unwrap()
}

#[test]
fn close_day_expires_waiting_and_current_tickets_and_opens_every_window() {
    let mut e = engine_with(EngineConfig::default(), &[(1, &["a"]), (2, &["b", "a"]), (3, &["c"])]);
    assert_eq!(e.day(), None);
    assert_eq!(e.close_day(date(24)).unwrap(), vec![], "starting the first day of an empty engine changes nothing visible");
    assert_eq!(e.day(), Some(date(24)));
    fill(&mut e, "a", "k1", 3);
    e.enqueue(ticket("k2", 1, 1, "b", Priority::Elderly, 50)).unwrap();
    e.enqueue(ticket("k2", 2, 2, "b", Priority::Normal, 5)).unwrap();
    call(&mut e, 1, 1_000); // k1/1 at window 1
    call(&mut e, 2, 2_000); // k2/1 (elderly, b first in window 2's profile)
    e.act(2, &CounterAction::Pause, at(3_000)).unwrap();
    e.act(3, &CounterAction::Pause, at(3_000)).unwrap();

    let events = e.close_day(date(25)).unwrap();
    assert_eq!(
        events,
        vec![
            // Tickets at windows first (by window), then waiting ones by service, in call order.
            EngineEvent::Expired { ticket: id("k1", 1), window: Some(1) },
            EngineEvent::Expired { ticket: id("k2", 1), window: Some(2) },
            EngineEvent::Expired { ticket: id("k1", 2), window: None },
            EngineEvent::Expired { ticket: id("k1", 3), window: None },
            EngineEvent::Expired { ticket: id("k2", 2), window: None },
            EngineEvent::QueueLength { service: svc("a"), waiting: 0 },
            EngineEvent::QueueLength { service: svc("b"), waiting: 0 },
            EngineEvent::WindowState { window: 1, state: WindowStatus::Idle, current: None },
            EngineEvent::WindowState { window: 2, state: WindowStatus::Idle, current: None },
            EngineEvent::WindowState { window: 3, state: WindowStatus::Idle, current: None },
        ]
    );
    assert_eq!(e.day(), Some(date(25)));
    assert_eq!(e.counts(), TicketCounts::default(), "the day's tickets are gone");
    assert!(e.ticket(&id("k1", 2)).is_none());
    // Services and profiles stay; every window is open and idle.
    assert_eq!(e.services(), vec![svc("a"), svc("b"), svc("c")]);
    let windows: Vec<_> = e.windows().into_iter().map(|w| (w.no, w.state, w.paused, w.current, w.profile)).collect();
    assert_eq!(
        windows,
        vec![
            (1, WindowStatus::Idle, false, None, vec![svc("a")]),
            (2, WindowStatus::Idle, false, None, vec![svc("b"), svc("a")]),
            (3, WindowStatus::Idle, false, None, vec![svc("c")]),
        ]
    );
    // Nothing of the old day is ever called; the new day's tickets are.
    assert_eq!(call(&mut e, 1, 10_000), None);
    e.enqueue(ticket("k1", 10, 1, "a", Priority::Normal, 9_000)).unwrap();
    assert_eq!(call(&mut e, 2, 11_000), Some(id("k1", 10)));
    assert_counts_add_up(&e);
}

#[test]
fn close_day_only_moves_forward() {
    let mut e = engine_with(EngineConfig::default(), &[(1, &["a"])]);
    e.close_day(date(24)).unwrap();
    fill(&mut e, "a", "k1", 2);
    for day in [date(24), date(23)] {
        assert_eq!(e.close_day(day), Err(EngineError::DayNotLater { current: date(24), next: day }));
    }
    assert_eq!((e.day(), e.waiting(&svc("a"))), (Some(date(24)), 2), "a refused close changes nothing");
    // Skipping days (a hall closed for a holiday) is fine.
    e.close_day(date(28)).unwrap();
    assert_eq!((e.day(), e.waiting(&svc("a"))), (Some(date(28)), 0));
}

#[test]
fn a_closed_engine_equals_a_new_one_given_the_same_services_and_windows() {
    // What lets central replay its log from the last CloseDay only.
    let config = EngineConfig { requeue_after: 1, max_skips: 2 };
    let mut e = engine_with(config, &[(1, &["a", "b"]), (2, &["c"])]);
    e.close_day(date(24)).unwrap();
    fill(&mut e, "a", "k1", 5);
    call(&mut e, 1, 1_000);
    e.act(1, &CounterAction::Skip, at(2_000)).unwrap();
    call(&mut e, 1, 3_000);
    e.act(2, &CounterAction::Pause, at(4_000)).unwrap();
    e.close_day(date(25)).unwrap();

    let mut fresh = QueueEngine::new(hall(), config);
    fresh.close_day(date(25)).unwrap();
    for s in e.services() {
        fresh.upsert_service(s);
    }
    for w in e.windows() {
        fresh.upsert_window(&Window { hall: hall(), no: w.no, name: String::new(), profile: w.profile }).unwrap();
    }
    assert_eq!(fresh, e);
    // And they go on alike (a skip pin from yesterday must not linger).
    for engine in [&mut e, &mut fresh] {
        fill(engine, "a", "k2", 4);
        call(engine, 1, 10_000);
        engine.act(1, &CounterAction::Skip, at(11_000)).unwrap();
    }
    assert_eq!(fresh, e);
    assert_eq!(e.queue(&svc("a")), vec![id("k2", 2), id("k2", 1), id("k2", 3), id("k2", 4)]);
}
