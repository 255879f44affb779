//! The change-feed cache: a page and its cursor in one transaction, replays skipped, leases scoped to
//! this device, calls trimmed, damaged rows reported.

use chrono::{DateTime, NaiveDate, Utc};
use hall_protocol::api::Lease;
use hall_protocol::feed::{CallInfo, WindowStatus};
use hall_protocol::{Change, ChangeBody, Device, DeviceId, DeviceRole, Hall, HallId, Service, ServiceCode, TicketId, TicketNumber, Window};
use offline_store::{CALLS_KEPT, Store, StoreError, WindowState};

fn dev() -> DeviceId {
    DeviceId::new("board-1").expect("id")
}
fn hall() -> HallId {
    HallId::new("xuhui").expect("id")
}
fn svc(s: &str) -> ServiceCode {
    ServiceCode::new(s).expect("code")
}
fn day() -> NaiveDate {
    NaiveDate::from_ymd_opt(2026, 11, 24).expect("date")
}
fn at(s: i64) -> DateTime<Utc> {
    DateTime::from_timestamp(1_790_000_000 + s, 0).expect("time")
}
fn change(cursor: u64, body: ChangeBody) -> Change {
    Change { cursor, at: at(cursor as i64), device: None, body }
}
fn service(code: &str, prefix: char) -> Service {
    Service { hall: hall(), code: svc(code), name: format!("service {code}"), prefix, materials: vec![], enabled: true }
}
fn lease(id: u64, holder: &DeviceId, start: u32, end: u32) -> Lease {
    Lease { lease_id: id, device_id: holder.clone(), hall: hall(), service: svc("a"), business_day: day(), start, end }
}
fn call(n: u32, window: u16) -> CallInfo {
    CallInfo {
        hall: hall(),
        window,
        ticket_id: TicketId::new(DeviceId::new("kiosk-1").expect("id"), u64::from(n)),
        number: TicketNumber::Leased { prefix: 'A', n },
        service: svc("a"),
        recall: 0,
        at: at(i64::from(n)),
    }
}

fn catalogue_page() -> Vec<Change> {
    let other = DeviceId::new("kiosk-9").expect("id");
    vec![
        change(1, ChangeBody::Hall(Hall { id: hall(), name: "徐汇区行政服务中心".into() })),
        change(2, ChangeBody::Service(service("b", 'B'))),
        change(3, ChangeBody::Service(service("a", 'A'))),
        change(4, ChangeBody::Window(Window { hall: hall(), no: 3, name: "3号窗口".into(), profile: vec![svc("a"), svc("b")] })),
        change(5, ChangeBody::Device(Device { id: dev(), hall: hall(), role: DeviceRole::Board, window: None, device_no: 4, revoked: false })),
        change(6, ChangeBody::Lease(lease(1, &dev(), 1, 50))),
        change(7, ChangeBody::Lease(lease(2, &other, 51, 100))),
        change(8, ChangeBody::QueueLength { hall: hall(), service: svc("a"), waiting: 4 }),
        change(9, ChangeBody::Called(call(1, 3))),
        change(10, ChangeBody::Called(call(2, 5))),
        change(11, ChangeBody::WindowState { hall: hall(), window: 3, state: WindowStatus::Serving, current: Some(call(1, 3).ticket_id) }),
        Change { cursor: 12, at: at(12), device: Some(other), body: ChangeBody::QueueLength { hall: hall(), service: svc("b"), waiting: 9 } },
    ]
}

#[test]
fn a_page_fills_the_cache_and_moves_the_cursor() {
    let mut s = Store::open_in_memory(dev()).expect("opens");
    let applied = s.apply_changes(&catalogue_page(), 12).expect("applied");
    assert_eq!((applied.applied, applied.ignored, applied.already_seen), (10, 2, 0));
    assert!(applied.refused.is_empty());
    assert_eq!(s.feed_cursor().expect("cursor"), 12);
    assert_eq!(s.hall(&hall()).expect("hall").expect("present").name, "徐汇区行政服务中心");
    let services = s.services(&hall()).expect("services");
    assert_eq!(services.iter().map(|s| s.prefix).collect::<String>(), "AB", "ordered by prefix");
    assert_eq!(s.service(&hall(), &svc("b")).expect("service").expect("present").prefix, 'B');
    assert_eq!(s.service(&hall(), &svc("zz")).expect("service"), None);
    assert_eq!(s.windows(&hall()).expect("windows")[0].profile, vec![svc("a"), svc("b")]);
    assert_eq!(s.device(&dev()).expect("device").expect("present").device_no, 4);
    assert_eq!(s.lease_status(&hall(), &svc("a"), day()).expect("lease").left, 50, "own lease stored, the other device's ignored");
    assert_eq!(s.queue_length(&hall(), &svc("a")).expect("length"), 4);
    assert_eq!(s.queue_length(&hall(), &svc("b")).expect("length"), 0, "a change scoped to another device is ignored");
    assert_eq!(s.queue_lengths(&hall()).expect("lengths"), vec![(svc("a"), 4)]);
    assert_eq!(s.recent_calls(&hall(), 10).expect("calls"), vec![call(2, 5), call(1, 3)], "newest first");
    assert_eq!(s.recent_calls(&hall(), 1).expect("calls").len(), 1);
    assert_eq!(s.window_state(&hall(), 3).expect("state"), Some(WindowState { state: WindowStatus::Serving, current: Some(call(1, 3).ticket_id) }));
    assert_eq!(s.window_state(&hall(), 4).expect("state"), None);
}

#[test]
fn replays_are_skipped_and_the_cursor_never_moves_back() {
    let mut s = Store::open_in_memory(dev()).expect("opens");
    s.apply_changes(&catalogue_page(), 12).expect("applied");
    let again = s.apply_changes(&catalogue_page(), 12).expect("replay");
    assert_eq!((again.applied, again.already_seen), (0, 12));
    assert_eq!(s.recent_calls(&hall(), 10).expect("calls").len(), 2, "no call stored twice");
    s.apply_changes(&[], 3).expect("stale page");
    assert_eq!(s.feed_cursor().expect("cursor"), 12);
    // An update to a known service replaces it.
    let mut renamed = service("a", 'A');
    renamed.name = "户籍".into();
    renamed.enabled = false;
    s.apply_changes(&[change(13, ChangeBody::Service(renamed.clone()))], 13).expect("applied");
    assert_eq!(s.service(&hall(), &svc("a")).expect("service"), Some(renamed));
}

#[test]
fn a_bad_lease_is_refused_without_stopping_the_page() {
    let mut s = Store::open_in_memory(dev()).expect("opens");
    let page = vec![
        change(1, ChangeBody::Lease(lease(1, &dev(), 1, 50))),
        change(2, ChangeBody::Lease(lease(2, &dev(), 40, 60))),
        change(3, ChangeBody::QueueLength { hall: hall(), service: svc("a"), waiting: 2 }),
    ];
    let applied = s.apply_changes(&page, 3).expect("applied");
    assert_eq!(applied.applied, 2);
    assert_eq!(applied.refused.len(), 1);
    assert_eq!(applied.refused[0].0, 2);
    assert_eq!(s.feed_cursor().expect("cursor"), 3);
    assert_eq!(s.lease_status(&hall(), &svc("a"), day()).expect("lease").left, 50);
}

#[test]
fn leases_from_the_feed_answer_the_pending_request() {
    let mut s = Store::open_in_memory(dev()).expect("opens");
    let r1 = s.pending_lease_request(&hall(), &svc("a"), day(), 50).expect("request");
    s.apply_changes(&[change(1, ChangeBody::Lease(lease(1, &dev(), 1, 50)))], 1).expect("applied");
    let r2 = s.pending_lease_request(&hall(), &svc("a"), day(), 50).expect("request");
    assert_ne!(r1.request_id, r2.request_id);
}

#[test]
fn old_calls_are_trimmed() {
    let mut s = Store::open_in_memory(dev()).expect("opens");
    let n = CALLS_KEPT as u32 + 20;
    let page: Vec<_> = (1..=n).map(|i| change(u64::from(i), ChangeBody::Called(call(i, 1)))).collect();
    s.apply_changes(&page, u64::from(n)).expect("applied");
    let calls = s.recent_calls(&hall(), usize::MAX).expect("calls");
    assert_eq!(calls.len(), CALLS_KEPT);
    assert_eq!(calls[0].number, TicketNumber::Leased { prefix: 'A', n });
    assert_eq!(calls.last().expect("oldest kept").number, TicketNumber::Leased { prefix: 'A', n: 21 });
}

#[test]
fn damaged_cache_rows_are_typed_errors() {
    let dir = tempfile::tempdir().expect("tempdir");
    let path = dir.path().join("b.db");
    let mut s = Store::open(&path, dev()).expect("opens");
    s.apply_changes(&catalogue_page(), 12).expect("applied");
    let raw = rusqlite::Connection::open(&path).expect("raw");
    raw.execute("UPDATE services SET data = '{\"hall\": 1}' WHERE code = 'a'", []).expect("damage");
    raw.execute("UPDATE calls SET data = 'null'", []).expect("damage");
    raw.execute("UPDATE windows SET data = ''", []).expect("damage");
    assert!(matches!(s.services(&hall()), Err(StoreError::Corrupt { .. })));
    assert!(matches!(s.recent_calls(&hall(), 5), Err(StoreError::Corrupt { .. })));
    assert!(matches!(s.windows(&hall()), Err(StoreError::Corrupt { .. })));
    // A service filed under the wrong hall is caught too.
    let mut moved = service("b", 'B');
    moved.hall = HallId::new("elsewhere").expect("id");
    raw.execute("UPDATE services SET data = ?1 WHERE code = 'b'", [serde_json::to_string(&moved).expect("json")]).expect("damage");
    raw.execute("DELETE FROM services WHERE code = 'a'", []).expect("delete");
    assert!(matches!(s.services(&hall()), Err(StoreError::Corrupt { .. })));
}
