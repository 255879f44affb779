//! Issuing tickets: numbers from leases and the fallback form, print after commit, check-in,
//! waiting estimates, atomicity and several writers on one file.

use chrono::{DateTime, NaiveDate, Utc};
use hall_protocol::api::Lease;
use hall_protocol::feed::FeedPage;
use hall_protocol::{Change, ChangeBody, DeviceId, EventBody, HallId, Priority, ServiceCode, TicketId, TicketNumber};
use offline_store::{IssueRequest, Store, StoreError};

fn dev() -> DeviceId {
    DeviceId::new("kiosk-1").expect("id")
}
fn hall() -> HallId {
    HallId::new("xuhui").expect("id")
}
fn svc(s: &str) -> ServiceCode {
    ServiceCode::new(s).expect("code")
}
fn day(d: u32) -> NaiveDate {
    NaiveDate::from_ymd_opt(2026, 11, d).expect("date")
}
fn at(ms: i64) -> DateTime<Utc> {
    DateTime::from_timestamp_millis(1_790_000_000_000 + ms).expect("time")
}
fn req(service: &str, d: u32, ms: i64) -> IssueRequest {
    IssueRequest { hall: hall(), service: svc(service), prefix: 'A', priority: Priority::Normal, business_day: day(d), device_no: 3, now: at(ms) }
}
fn lease(id: u64, service: &str, d: u32, start: u32, end: u32) -> Lease {
    Lease { lease_id: id, device_id: dev(), hall: hall(), service: svc(service), business_day: day(d), start, end }
}
fn leased(n: u32) -> TicketNumber {
    TicketNumber::Leased { prefix: 'A', n }
}
fn fallback(n: u32) -> TicketNumber {
    TicketNumber::Fallback { prefix: 'A', device_no: 3, n }
}

#[test]
fn numbers_come_from_the_lease_and_the_event_matches_the_ticket() {
    let mut s = Store::open_in_memory(dev()).expect("opens");
    s.add_lease(&lease(7, "a", 24, 101, 103)).expect("lease");
    let t1 = s.issue_ticket(&req("a", 24, 1)).expect("issued");
    assert_eq!(t1.ticket.number, leased(101));
    assert_eq!(t1.ticket.lease_id, Some(7));
    assert_eq!(t1.lease_left, 2);
    assert_eq!(t1.ticket.ticket_id, TicketId::new(dev(), 1));
    assert_eq!(t1.ticket.issued_at, at(1));
    let events = s.pending_events(10).expect("events");
    assert_eq!(events.len(), 1);
    assert_eq!(events[0].body, EventBody::TicketIssued(t1.ticket.clone()));
    assert_eq!(events[0].hlc, t1.ticket.issued_hlc);
    let t2 = s.issue_ticket(&req("a", 24, 2)).expect("issued");
    let t3 = s.issue_ticket(&req("a", 24, 3)).expect("issued");
    assert_eq!((t2.ticket.number, t3.ticket.number, t3.lease_left), (leased(102), leased(103), 0));
    assert!(t1.ticket.issued_hlc < t2.ticket.issued_hlc && t2.ticket.issued_hlc < t3.ticket.issued_hlc);
}

#[test]
fn without_numbers_the_fallback_form_is_used_and_never_restarts() {
    let mut s = Store::open_in_memory(dev()).expect("opens");
    let t = s.issue_ticket(&req("a", 24, 1)).expect("issued");
    assert_eq!(t.ticket.number, fallback(1));
    assert_eq!(t.ticket.number.to_string(), "A-3-001");
    assert_eq!(t.ticket.lease_id, None);
    assert_eq!(s.issue_ticket(&req("a", 24, 2)).expect("issued").ticket.number, fallback(2));
    // Per queue and per day.
    assert_eq!(s.issue_ticket(&req("b", 24, 3)).expect("issued").ticket.number, fallback(1));
    assert_eq!(s.issue_ticket(&req("a", 25, 4)).expect("issued").ticket.number, fallback(1));
    // A lease arrives: leased numbers again; when it runs out, the fallback counter continues.
    s.add_lease(&lease(1, "a", 24, 1, 1)).expect("lease");
    assert_eq!(s.issue_ticket(&req("a", 24, 5)).expect("issued").ticket.number, leased(1));
    assert_eq!(s.issue_ticket(&req("a", 24, 6)).expect("issued").ticket.number, fallback(3));
}

#[test]
fn prefix_must_be_a_letter_and_a_refused_request_writes_nothing() {
    let mut s = Store::open_in_memory(dev()).expect("opens");
    let mut r = req("a", 24, 1);
    r.prefix = 'a';
    assert!(matches!(s.issue_ticket(&r), Err(StoreError::InvalidRequest(_))));
    assert_eq!(s.last_seq().expect("seq"), 0);
    assert_eq!(s.issue_ticket(&req("a", 24, 2)).expect("issued").ticket.ticket_id.seq, 1, "no sequence number was burnt");
}

#[test]
fn a_failed_issue_rolls_back_number_ticket_and_event_together() {
    let dir = tempfile::tempdir().expect("tempdir");
    let path = dir.path().join("k.db");
    let mut s = Store::open(&path, dev()).expect("opens");
    s.add_lease(&lease(1, "a", 24, 1, 10)).expect("lease");
    s.issue_ticket(&req("a", 24, 1)).expect("issued");
    // Make the next insert fail half way: a second connection adds a trigger that aborts ticket
    // inserts (as a full disk or a crash between statements would).
    let raw = rusqlite::Connection::open(&path).expect("raw");
    raw.execute_batch("CREATE TRIGGER fail_ticket BEFORE INSERT ON tickets BEGIN SELECT RAISE(ABORT, 'disk full'); END;").expect("trigger");
    let err = s.issue_ticket(&req("a", 24, 2)).expect_err("fails");
    assert!(matches!(err, StoreError::Sqlite { .. }), "{err}");
    assert_eq!(s.last_seq().expect("seq"), 1, "no event without its ticket");
    assert_eq!(s.lease_status(&hall(), &svc("a"), day(24)).expect("status").left, 9, "the number was not consumed");
    raw.execute_batch("DROP TRIGGER fail_ticket;").expect("drop trigger");
    let t = s.issue_ticket(&req("a", 24, 3)).expect("issued");
    assert_eq!((t.ticket.ticket_id.seq, t.ticket.number), (2, leased(2)));
    s.check_outbox_contiguous().expect("contiguous");
}

#[test]
fn print_after_commit_survives_reopen() {
    let dir = tempfile::tempdir().expect("tempdir");
    let path = dir.path().join("k.db");
    let ids: Vec<TicketId> = {
        let mut s = Store::open(&path, dev()).expect("opens");
        let ids: Vec<_> = (0..3).map(|i| s.issue_ticket(&req("a", 24, i)).expect("issued").ticket.ticket_id).collect();
        assert_eq!(s.mark_printed(&ids[0]).expect("printed"), 1);
        ids
        // Dropped before printing tickets 2 and 3: the "crash".
    };
    let mut s = Store::open(&path, dev()).expect("reopens");
    let unprinted = s.unprinted_tickets().expect("unprinted");
    assert_eq!(unprinted.iter().map(|t| t.ticket_id.clone()).collect::<Vec<_>>(), ids[1..].to_vec());
    assert_eq!(unprinted[0].number, fallback(2), "reprinted with its number, not renumbered");
    s.mark_printed(&ids[1]).expect("printed");
    s.mark_printed(&ids[2]).expect("printed");
    assert!(s.unprinted_tickets().expect("unprinted").is_empty());
    // A reprint on request is counted.
    assert_eq!(s.mark_printed(&ids[0]).expect("reprinted"), 2);
    let rec = s.ticket(&ids[0]).expect("read").expect("present");
    assert_eq!((rec.printed, rec.print_count), (true, 2));
    assert!(rec.last_printed_at.is_some());
    assert!(matches!(s.mark_printed(&TicketId::new(dev(), 99)), Err(StoreError::UnknownTicket(_))));
    assert!(matches!(s.mark_printed(&"kiosk-2/1".parse().expect("id")), Err(StoreError::UnknownTicket(_))));
    assert_eq!(s.ticket(&"kiosk-2/1".parse().expect("id")).expect("read"), None);
    assert_eq!(s.tickets_of_day(day(24), 10).expect("day").len(), 3);
    assert!(s.tickets_of_day(day(25), 10).expect("day").is_empty());
}

#[test]
fn appointment_check_in_issues_a_priority_ticket_once() {
    let mut s = Store::open_in_memory(dev()).expect("opens");
    let t = s.check_in_appointment("YY20261124-0007", &req("a", 24, 1)).expect("checked in");
    assert_eq!(t.ticket.priority, Priority::Appointment);
    let events = s.pending_events(10).expect("events");
    assert_eq!(events.len(), 2);
    assert_eq!(events[0].body, EventBody::TicketIssued(t.ticket.clone()));
    assert_eq!(events[1].body, EventBody::AppointmentCheckedIn { appointment_id: "YY20261124-0007".into(), ticket_id: t.ticket.ticket_id.clone() });
    assert!(events[0].hlc < events[1].hlc);
    let err = s.check_in_appointment("YY20261124-0007", &req("a", 24, 2)).expect_err("second check-in");
    assert!(matches!(&err, StoreError::AlreadyCheckedIn { ticket_id, .. } if ticket_id == &t.ticket.ticket_id), "{err}");
    assert!(matches!(s.check_in_appointment("", &req("a", 24, 3)), Err(StoreError::InvalidRequest(_))));
    assert_eq!(s.last_seq().expect("seq"), 2, "refused check-ins wrote nothing");
}

fn queue_length(cursor: u64, service: &str, waiting: u32) -> Change {
    Change { cursor, at: at(0), device: None, body: ChangeBody::QueueLength { hall: hall(), service: svc(service), waiting } }
}

#[test]
fn waiting_ahead_is_centrals_count_plus_own_tickets_since() {
    let mut s = Store::open_in_memory(dev()).expect("opens");
    // Offline from the start: only this kiosk's own tickets are known.
    assert_eq!(s.issue_ticket(&req("a", 24, 1)).expect("issued").waiting_ahead, 0);
    assert_eq!(s.issue_ticket(&req("a", 24, 2)).expect("issued").waiting_ahead, 1);
    // Central reports 5 waiting (which includes whatever it has of ours).
    s.apply_changes(&[queue_length(1, "a", 5)], 1).expect("feed");
    assert_eq!(s.queue_length(&hall(), &svc("a")).expect("length"), 5);
    assert_eq!(s.issue_ticket(&req("a", 24, 3)).expect("issued").waiting_ahead, 5);
    assert_eq!(s.issue_ticket(&req("a", 24, 4)).expect("issued").waiting_ahead, 6);
    // Other queues and days do not count.
    assert_eq!(s.issue_ticket(&req("b", 24, 5)).expect("issued").waiting_ahead, 0);
    assert_eq!(s.issue_ticket(&req("a", 25, 6)).expect("issued").waiting_ahead, 5);
    // A new report replaces the estimate.
    s.apply_changes(&[queue_length(2, "a", 2)], 2).expect("feed");
    assert_eq!(s.issue_ticket(&req("a", 24, 7)).expect("issued").waiting_ahead, 2);
}

#[test]
fn two_handles_on_one_file_never_share_a_number_or_sequence() {
    let dir = tempfile::tempdir().expect("tempdir");
    let path = dir.path().join("k.db");
    {
        let mut s = Store::open(&path, dev()).expect("opens");
        s.add_lease(&lease(1, "a", 24, 1, 30)).expect("lease");
    }
    // E.g. `kiosk ticket` run while `kiosk run` is issuing: two connections, two threads.
    let handles: Vec<_> = (0..2)
        .map(|k| {
            let path = path.clone();
            std::thread::spawn(move || {
                let mut s = Store::open(&path, dev()).expect("opens");
                (0..25).map(|i| s.issue_ticket(&req("a", 24, k * 100 + i)).expect("issued").ticket).collect::<Vec<_>>()
            })
        })
        .collect();
    let mut all: Vec<_> = handles.into_iter().flat_map(|h| h.join().expect("thread")).collect();
    all.sort_by_key(|t| t.ticket_id.seq);
    assert_eq!(all.iter().map(|t| t.ticket_id.seq).collect::<Vec<_>>(), (1..=50).collect::<Vec<_>>());
    let mut numbers: Vec<String> = all.iter().map(|t| t.number.to_string()).collect();
    numbers.sort();
    numbers.dedup();
    assert_eq!(numbers.len(), 50, "no number twice");
    assert_eq!(all.iter().filter(|t| t.lease_id.is_some()).count(), 30);
    let s = Store::open(&path, dev()).expect("opens");
    s.check_outbox_contiguous().expect("contiguous");
    s.integrity_check().expect("ok");
    let hlcs: Vec<_> = all.iter().map(|t| t.issued_hlc).collect();
    assert!(hlcs.windows(2).all(|w| w[0] < w[1]), "the shared clock orders tickets in sequence order");
}

#[test]
fn feed_page_type_is_what_apply_changes_takes() {
    // The sync agent hands a FeedPage's parts straight to the store.
    let mut s = Store::open_in_memory(dev()).expect("opens");
    let page = FeedPage { changes: vec![queue_length(3, "a", 1)], next_cursor: 3, more: false, server_hlc: Default::default() };
    let applied = s.apply_changes(&page.changes, page.next_cursor).expect("applied");
    assert_eq!(applied.applied, 1);
    assert_eq!(s.feed_cursor().expect("cursor"), 3);
}
