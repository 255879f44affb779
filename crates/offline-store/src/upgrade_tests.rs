//! Upgrade test: a database made by every earlier schema version, holding representative rows of that
//! version, is opened by the current code; the data must survive and the schema must be current.

use chrono::{DateTime, NaiveDate, Utc};
use hall_protocol::{DeviceId, EvaluationLevel, EventBody, EventOutcome, HallId, Hlc, Priority, Service, ServiceCode, TicketId, TicketIssued, TicketNumber};
use rusqlite::{Connection, params};

use crate::schema::{SCHEMA_VERSION, migrate_to, stored_version};
use crate::{IssueRequest, Store};

fn dev() -> DeviceId {
    DeviceId::new("kiosk-1").expect("id")
}
fn hall() -> HallId {
    HallId::new("xuhui").expect("id")
}
fn svc() -> ServiceCode {
    ServiceCode::new("household").expect("code")
}
fn day() -> NaiveDate {
    NaiveDate::from_ymd_opt(2026, 11, 24).expect("date")
}
fn at(ms: i64) -> DateTime<Utc> {
    DateTime::from_timestamp_millis(ms).expect("time")
}

fn ticket(seq: u64, n: u32) -> TicketIssued {
    TicketIssued {
        ticket_id: TicketId::new(dev(), seq),
        hall: hall(),
        service: svc(),
        number: TicketNumber::Leased { prefix: 'A', n },
        priority: Priority::Normal,
        business_day: day(),
        issued_hlc: Hlc::new(1_000 + seq, 0),
        issued_at: at(1_000 + seq as i64),
        lease_id: Some(10),
    }
}

fn payload(body: &EventBody) -> String {
    serde_json::to_value(body).expect("serialises")["payload"].to_string()
}

/// Rows as version 1 wrote them: written with that version's SQL, not with today's code.
fn seed_v1(c: &Connection) {
    c.execute("INSERT INTO device_state (id, device_id, hlc_wall_ms, hlc_logical, acked_seq, feed_cursor) VALUES (1, 'kiosk-1', 1003, 0, 1, 7)", [])
        .expect("device");
    c.execute("INSERT INTO settings (key, value) VALUES ('device_no', '3')", []).expect("setting");
    c.execute(
        "INSERT INTO leases (lease_id, hall, service, business_day, start_no, end_no, next_no) VALUES (10, 'xuhui', 'household', '2026-11-24', 1, 10, 3)",
        [],
    )
    .expect("lease");
    c.execute("INSERT INTO fallback_counters (hall, service, business_day, last_n) VALUES ('xuhui', 'household', '2026-11-23', 4)", []).expect("fallback");
    let events: [(u64, EventBody); 3] = [
        (1, EventBody::TicketIssued(ticket(1, 1))),
        (2, EventBody::TicketIssued(ticket(2, 2))),
        (3, EventBody::Evaluation { ticket_id: TicketId::new(dev(), 1), level: EvaluationLevel::VerySatisfied, comment: String::new() }),
    ];
    for (seq, body) in &events {
        c.execute(
            "INSERT INTO outbox (device_seq, device_id, hlc_wall_ms, hlc_logical, at, kind, payload) VALUES (?1, 'kiosk-1', ?2, 0, ?3, ?4, ?5)",
            params![*seq as i64, 1_000 + *seq as i64, crate::codec::time_text(&at(1_000 + *seq as i64)), body.kind(), payload(body)],
        )
        .expect("event");
    }
    c.execute("UPDATE outbox SET acked_at = '2026-11-24T01:00:00Z', outcome = '{\"outcome\":\"applied\"}' WHERE device_seq = 1", []).expect("ack");
    for (seq, printed) in [(1u64, 0), (2, 1)] {
        let t = ticket(seq, seq as u32);
        c.execute(
            "INSERT INTO tickets (ticket_seq, hall, service, business_day, number, priority, hlc_wall_ms, hlc_logical, issued_at, lease_id, printed)
             VALUES (?1, 'xuhui', 'household', '2026-11-24', ?2, 'normal', ?3, 0, ?4, 10, ?5)",
            params![seq as i64, t.number.to_string(), t.issued_hlc.wall_ms as i64, crate::codec::time_text(&t.issued_at), printed],
        )
        .expect("ticket");
    }
    c.execute("INSERT INTO evaluations (event_seq, ticket_id, level, comment, at) VALUES (3, 'kiosk-1/1', 5, '', '2026-11-24T01:00:00Z')", [])
        .expect("evaluation");
    let service = Service { hall: hall(), code: svc(), name: "户籍办理".into(), prefix: 'A', materials: vec!["身份证".into()], enabled: true };
    c.execute("INSERT INTO services (hall, code, data) VALUES ('xuhui', 'household', ?1)", [serde_json::to_string(&service).expect("json")]).expect("service");
    c.execute("INSERT INTO queue_lengths (hall, service, waiting, local_seq, cursor) VALUES ('xuhui', 'household', 5, 3, 7)", []).expect("queue length");
}

/// Rows that version 2 added.
fn seed_v2(c: &Connection) {
    c.execute("INSERT INTO lease_requests (request_id, hall, service, business_day, size) VALUES (41, 'xuhui', 'household', '2026-11-24', 50)", [])
        .expect("request");
}

/// What version 3 wrote when a ticket was printed.
fn seed_v3(c: &Connection) {
    c.execute("UPDATE tickets SET print_count = 1, last_printed_at = '2026-11-24T01:00:01Z' WHERE printed = 1", []).expect("print count");
}

fn build_at(path: &std::path::Path, version: i64) {
    let mut c = Connection::open(path).expect("raw open");
    migrate_to(&mut c, version).expect("old schema");
    assert_eq!(stored_version(&c).expect("version"), version);
    if version >= 1 {
        seed_v1(&c);
    }
    if version >= 2 {
        seed_v2(&c);
    }
    if version >= 3 {
        seed_v3(&c);
    }
}

#[test]
fn every_earlier_version_upgrades_with_its_data() {
    for version in 0..SCHEMA_VERSION {
        let dir = tempfile::tempdir().expect("tempdir");
        let path = dir.path().join("old.db");
        build_at(&path, version);
        let mut s = Store::open(&path, dev()).unwrap_or_else(|e| panic!("version {version} opens: {e}"));
        assert_eq!(s.schema_version().expect("version"), SCHEMA_VERSION, "from version {version}");
        s.integrity_check().expect("integrity");
        s.check_outbox_contiguous().expect("contiguous");
        if version == 0 {
            assert_eq!(s.last_seq().expect("seq"), 0);
            continue;
        }
        // Outbox, acks and outcomes.
        assert_eq!(s.last_seq().expect("seq"), 3);
        assert_eq!(s.last_acked_seq().expect("acked"), 1);
        assert_eq!(s.feed_cursor().expect("cursor"), 7);
        assert_eq!(s.outcome(1).expect("outcome"), Some(EventOutcome::Applied));
        let pending = s.pending_events(10).expect("pending");
        assert_eq!(pending.iter().map(|e| e.device_seq).collect::<Vec<_>>(), vec![2, 3]);
        assert_eq!(pending[0].body, EventBody::TicketIssued(ticket(2, 2)));
        // Tickets and print state (version 3 backfills the print count of printed tickets).
        assert_eq!(s.unprinted_tickets().expect("unprinted"), vec![ticket(1, 1)]);
        let t2 = s.ticket(&TicketId::new(dev(), 2)).expect("read").expect("present");
        assert!(t2.printed);
        assert_eq!(t2.print_count, 1);
        // Catalogue, settings, leases.
        assert_eq!(s.setting("device_no").expect("setting").as_deref(), Some("3"));
        assert_eq!(s.services(&hall()).expect("services")[0].name, "户籍办理");
        assert_eq!(s.lease_status(&hall(), &svc(), day()).expect("status").left, 8);
        let r = s.pending_lease_request(&hall(), &svc(), day(), 50).expect("request");
        if version >= 2 {
            assert_eq!(r.request_id, 41, "the pending request from version {version} is kept");
        }
        // The store carries on where the old one stopped.
        let issued = s
            .issue_ticket(&IssueRequest {
                hall: hall(),
                service: svc(),
                prefix: 'A',
                priority: Priority::Normal,
                business_day: day(),
                device_no: 3,
                now: at(900),
            })
            .expect("issues");
        assert_eq!(issued.ticket.ticket_id.seq, 4);
        assert_eq!(issued.ticket.number, TicketNumber::Leased { prefix: 'A', n: 3 });
        assert!(issued.ticket.issued_hlc > Hlc::new(1_003, 0), "the HLC continues past the stored value");
        assert_eq!(issued.waiting_ahead, 5, "central said 5; no own tickets since that report");
        // The fallback counter of the 23rd (version 1 stopped at 4) continues, never restarts.
        let mut fb = IssueRequest {
            hall: hall(),
            service: svc(),
            prefix: 'A',
            priority: Priority::Normal,
            business_day: day().pred_opt().expect("date"),
            device_no: 3,
            now: at(901),
        };
        assert_eq!(s.issue_ticket(&fb).expect("issues").ticket.number, TicketNumber::Fallback { prefix: 'A', device_no: 3, n: 5 });
        fb.now = at(902);
        let again = s.issue_ticket(&fb).expect("issues");
        assert_eq!(again.ticket.number, TicketNumber::Fallback { prefix: 'A', device_no: 3, n: 6 });
        assert_eq!(again.waiting_ahead, 5 + 1, "central's 5 plus our first ticket of the 23rd");
        s.check_outbox_contiguous().expect("still contiguous");
    }
}
