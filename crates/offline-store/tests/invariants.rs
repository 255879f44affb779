//! Property test: random sequences of issue, check-in, evaluate, ack, add-lease, lease request and
//! reopen never print a number twice in a queue on a day, keep the outbox gap-free, and never lose an
//! issued ticket across a reopen (DESIGN.md invariants 1 and 2, on one device).

use std::collections::{BTreeMap, HashSet};

use chrono::{DateTime, NaiveDate, Utc};
use hall_protocol::api::{EventResult, Lease, PushAck};
use hall_protocol::{DeviceId, EvaluationLevel, EventOutcome, HallId, Hlc, Priority, ServiceCode, TicketId, TicketNumber};
use offline_store::{IssueRequest, Store};
use proptest::prelude::*;

#[derive(Debug, Clone)]
enum Op {
    Issue { queue: usize, elderly: bool },
    CheckIn { queue: usize },
    Evaluate { pick: usize },
    AddLease { queue: usize, size: u32 },
    AddSameLeaseAgain,
    RequestLease { queue: usize },
    Ack { per_mille: u64 },
    Reopen,
}

fn op() -> impl Strategy<Value = Op> {
    prop_oneof![
        6 => (0usize..4, any::<bool>()).prop_map(|(queue, elderly)| Op::Issue { queue, elderly }),
        1 => (0usize..4).prop_map(|queue| Op::CheckIn { queue }),
        1 => any::<usize>().prop_map(|pick| Op::Evaluate { pick }),
        2 => (0usize..4, 1u32..6).prop_map(|(queue, size)| Op::AddLease { queue, size }),
        1 => Just(Op::AddSameLeaseAgain),
        1 => (0usize..4).prop_map(|queue| Op::RequestLease { queue }),
        2 => (0u64..=1000).prop_map(|per_mille| Op::Ack { per_mille }),
        1 => Just(Op::Reopen),
    ]
}

fn dev() -> DeviceId {
    DeviceId::new("kiosk-1").expect("id")
}
fn hall() -> HallId {
    HallId::new("xuhui").expect("id")
}
/// Four queues: two services on two business days.
fn queue(q: usize) -> (ServiceCode, char, NaiveDate) {
    let (code, prefix) = if q % 2 == 0 { ("household", 'A') } else { ("tax", 'B') };
    (ServiceCode::new(code).expect("code"), prefix, NaiveDate::from_ymd_opt(2026, 11, 24 + (q / 2) as u32).expect("date"))
}

#[derive(Default)]
struct Model {
    events: u64,
    acked: u64,
    tickets: BTreeMap<TicketId, (ServiceCode, NaiveDate, TicketNumber)>,
    next_start: BTreeMap<usize, u32>,
    leases: Vec<Lease>,
    appointments: u64,
    clock_ms: i64,
}

impl Model {
    fn now(&mut self) -> DateTime<Utc> {
        // The wall clock wanders backwards now and then; the HLC must not.
        self.clock_ms += if self.clock_ms % 7 == 3 { -5 } else { 3 };
        DateTime::from_timestamp_millis(1_790_000_000_000 + self.clock_ms).expect("time")
    }
}

fn request(m: &mut Model, q: usize, priority: Priority) -> IssueRequest {
    let (service, prefix, day) = queue(q);
    IssueRequest { hall: hall(), service, prefix, priority, business_day: day, device_no: 3, now: m.now() }
}

fn check_store(s: &Store, m: &Model) -> Result<(), TestCaseError> {
    s.check_outbox_contiguous().map_err(|e| TestCaseError::fail(e.to_string()))?;
    prop_assert_eq!(s.last_seq().expect("seq"), m.events);
    prop_assert_eq!(s.last_acked_seq().expect("acked"), m.acked);
    prop_assert_eq!(s.outbox_depth().expect("depth"), m.events - m.acked);
    Ok(())
}

fn check_tickets(s: &Store, m: &Model) -> Result<(), TestCaseError> {
    // No ticket lost, none renumbered.
    for (id, (service, day, number)) in &m.tickets {
        let rec = s.ticket(id).expect("read").ok_or_else(|| TestCaseError::fail(format!("ticket {id} lost")))?;
        prop_assert_eq!(&rec.ticket.service, service);
        prop_assert_eq!(&rec.ticket.business_day, day);
        prop_assert_eq!(&rec.ticket.number, number);
    }
    // No number twice in a queue on a day.
    let mut seen = HashSet::new();
    for (service, day, number) in m.tickets.values() {
        prop_assert!(seen.insert((service.clone(), *day, number.to_string())), "number {} issued twice in {} on {}", number, service, day);
    }
    // Every leased number lies in a lease of its own queue and day.
    for (id, (service, day, number)) in &m.tickets {
        if let TicketNumber::Leased { n, .. } = number {
            prop_assert!(
                m.leases.iter().any(|l| &l.service == service && &l.business_day == day && (l.start..=l.end).contains(n)),
                "ticket {} got number {} outside its leases",
                id,
                n
            );
        }
    }
    Ok(())
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 40, ..ProptestConfig::default() })]

    #[test]
    fn random_histories_keep_numbers_unique_and_outbox_whole(ops in proptest::collection::vec(op(), 1..40)) {
        let dir = tempfile::tempdir().expect("tempdir");
        let path = dir.path().join("kiosk.db");
        let mut s = Store::open(&path, dev()).expect("opens");
        let mut m = Model::default();
        for op in ops {
            match op {
                Op::Issue { queue: q, elderly } => {
                    let req = request(&mut m, q, if elderly { Priority::Elderly } else { Priority::Normal });
                    let t = s.issue_ticket(&req).expect("issues").ticket;
                    m.events += 1;
                    prop_assert_eq!(t.ticket_id.seq, m.events);
                    m.tickets.insert(t.ticket_id, (t.service, t.business_day, t.number));
                }
                Op::CheckIn { queue: q } => {
                    m.appointments += 1;
                    let req = request(&mut m, q, Priority::Normal);
                    let t = s.check_in_appointment(&format!("YY-{}", m.appointments), &req).expect("checks in").ticket;
                    prop_assert_eq!(t.priority, Priority::Appointment);
                    m.events += 2;
                    m.tickets.insert(t.ticket_id, (t.service, t.business_day, t.number));
                }
                Op::Evaluate { pick } => {
                    let ticket = m.tickets.keys().nth(pick % m.tickets.len().max(1)).cloned().unwrap_or_else(|| TicketId::new(dev(), 1));
                    let now = m.now();
                    let seq = s.record_evaluation(&ticket, EvaluationLevel::Satisfied, "", now).expect("records");
                    m.events += 1;
                    prop_assert_eq!(seq, m.events);
                }
                Op::AddLease { queue: q, size } => {
                    let (service, _, day) = queue(q);
                    let start = *m.next_start.entry(q).or_insert(1);
                    let lease = Lease { lease_id: m.leases.len() as u64 + 1, device_id: dev(), hall: hall(), service, business_day: day, start, end: start + size - 1 };
                    // Central skips a few numbers between blocks at times: gaps are fine.
                    m.next_start.insert(q, lease.end + 1 + (size % 2));
                    prop_assert!(s.add_lease(&lease).expect("adds"));
                    m.leases.push(lease);
                }
                Op::AddSameLeaseAgain => {
                    if let Some(l) = m.leases.last() {
                        prop_assert!(!s.add_lease(l).expect("idempotent"));
                    }
                }
                Op::RequestLease { queue: q } => {
                    let (service, _, day) = queue(q);
                    let a = s.pending_lease_request(&hall(), &service, day, 5).expect("request");
                    let b = s.pending_lease_request(&hall(), &service, day, 5).expect("request");
                    prop_assert_eq!(a.request_id, b.request_id);
                }
                Op::Ack { per_mille } => {
                    let high_water = m.acked + (m.events - m.acked) * per_mille / 1000;
                    let results = (m.acked + 1..=high_water).map(|seq| EventResult { device_seq: seq, duplicate: false, outcome: EventOutcome::Applied }).collect();
                    let ack = PushAck { high_water, results, server_hlc: Hlc::default() };
                    s.acknowledge(&ack).expect("acks");
                    m.acked = m.acked.max(high_water);
                }
                Op::Reopen => {
                    drop(s);
                    s = Store::open(&path, dev()).expect("reopens");
                    check_tickets(&s, &m)?;
                }
            }
            check_store(&s, &m)?;
        }
        check_tickets(&s, &m)?;
        s.integrity_check().expect("integrity");
        let pending = s.pending_events(usize::MAX).expect("pending");
        prop_assert_eq!(pending.first().map(|e| e.device_seq), (m.acked < m.events).then_some(m.acked + 1));
        prop_assert!(pending.windows(2).all(|w| w[0].hlc < w[1].hlc), "HLC strictly increasing in sequence order");
    }
}
