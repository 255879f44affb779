//! Durable ticket issue rate: `Store::issue_ticket` on a file database (WAL, synchronous=FULL)
//! against raw rusqlite writing the same two rows (a ticket row and an outbox row) in one
//! transaction with the same pragmas, in the same run. Goal: issue_ticket >= 0.8x raw.
//!
//! `cargo bench -p offline-store --bench ticket_issue` runs criterion, then an interleaved
//! head-to-head (alternating blocks, so both see the same disk conditions) that prints both rates.

use std::hint::black_box;
use std::path::Path;
use std::time::{Duration, Instant};

use chrono::{DateTime, NaiveDate, Utc};
use criterion::Criterion;
use hall_protocol::api::Lease;
use hall_protocol::{DeviceId, EventBody, HallId, Hlc, Priority, ServiceCode, TicketId, TicketIssued, TicketNumber};
use offline_store::{IssueRequest, Store};
use rusqlite::{Connection, TransactionBehavior, params};

fn day() -> NaiveDate {
    NaiveDate::from_ymd_opt(2026, 11, 24).expect("date")
}

fn now() -> DateTime<Utc> {
    Utc::now()
}

/// A store with one large lease, so every ticket takes the normal (leased) path.
fn store(dir: &Path) -> (Store, IssueRequest) {
    let device = DeviceId::new("kiosk-1").expect("id");
    let mut s = Store::open(&dir.join("store.db"), device.clone()).expect("open store");
    let hall = HallId::new("xuhui").expect("id");
    let service = ServiceCode::new("household").expect("code");
    s.add_lease(&Lease { lease_id: 1, device_id: device, hall: hall.clone(), service: service.clone(), business_day: day(), start: 1, end: u32::MAX - 1 })
        .expect("lease");
    let req = IssueRequest { hall, service, prefix: 'A', priority: Priority::Normal, business_day: day(), device_no: 1, now: now() };
    (s, req)
}

/// Raw rusqlite: the same pragmas and the same two rows, nothing else.
struct Raw {
    conn: Connection,
    seq: i64,
}

impl Raw {
    fn open(dir: &Path) -> Self {
        let conn = Connection::open(dir.join("raw.db")).expect("open raw");
        let mode: String = conn.pragma_update_and_check(None, "journal_mode", "WAL", |r| r.get(0)).expect("wal");
        assert_eq!(mode, "wal");
        conn.pragma_update(None, "synchronous", "FULL").expect("sync");
        conn.pragma_update(None, "foreign_keys", true).expect("fk");
        conn.execute_batch(
            "CREATE TABLE outbox (device_seq INTEGER PRIMARY KEY, device_id TEXT NOT NULL, hlc_wall_ms INTEGER NOT NULL, hlc_logical INTEGER NOT NULL,
                                  at TEXT NOT NULL, kind TEXT NOT NULL, payload TEXT NOT NULL, acked_at TEXT, outcome TEXT) STRICT;
             CREATE TABLE tickets (ticket_seq INTEGER PRIMARY KEY, hall TEXT NOT NULL, service TEXT NOT NULL, business_day TEXT NOT NULL,
                                   number TEXT NOT NULL, priority TEXT NOT NULL, hlc_wall_ms INTEGER NOT NULL, hlc_logical INTEGER NOT NULL,
                                   issued_at TEXT NOT NULL, lease_id INTEGER, printed INTEGER NOT NULL DEFAULT 0) STRICT;",
        )
        .expect("schema");
        Self { conn, seq: 0 }
    }

    fn write(&mut self) {
        self.seq += 1;
        let seq = self.seq;
        let at = now();
        let t = TicketIssued {
            ticket_id: TicketId::new(DeviceId::new("kiosk-1").expect("id"), seq as u64),
            hall: HallId::new("xuhui").expect("id"),
            service: ServiceCode::new("household").expect("code"),
            number: TicketNumber::Leased { prefix: 'A', n: seq as u32 },
            priority: Priority::Normal,
            business_day: day(),
            issued_hlc: Hlc::new(at.timestamp_millis() as u64, 0),
            issued_at: at,
            lease_id: Some(1),
        };
        let payload = serde_json::to_string(&t).expect("json");
        let at_text = at.to_rfc3339();
        let kind = EventBody::TicketIssued(t.clone()).kind();
        let tx = self.conn.transaction_with_behavior(TransactionBehavior::Immediate).expect("begin");
        tx.prepare_cached("INSERT INTO outbox (device_seq, device_id, hlc_wall_ms, hlc_logical, at, kind, payload) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)")
            .expect("prepare")
            .execute(params![seq, "kiosk-1", t.issued_hlc.wall_ms as i64, 0, at_text, kind, payload])
            .expect("outbox row");
        tx.prepare_cached(
            "INSERT INTO tickets (ticket_seq, hall, service, business_day, number, priority, hlc_wall_ms, hlc_logical, issued_at, lease_id)
             VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10)",
        )
        .expect("prepare")
        .execute(params![seq, "xuhui", "household", "2026-11-24", t.number.to_string(), "normal", t.issued_hlc.wall_ms as i64, 0, at_text, 1])
        .expect("ticket row");
        tx.commit().expect("commit");
    }
}

fn issue(s: &mut Store, req: &mut IssueRequest) {
    req.now = now();
    black_box(s.issue_ticket(req).expect("issue"));
}

/// A temporary directory, under `HALLKIT_BENCH_DIR` if set (e.g. another disk, or a tmpfs to see
/// the CPU cost alone), else the system's temp dir.
fn temp_dir() -> tempfile::TempDir {
    match std::env::var_os("HALLKIT_BENCH_DIR") {
        Some(base) => tempfile::tempdir_in(base).expect("tempdir in HALLKIT_BENCH_DIR"),
        None => tempfile::tempdir().expect("tempdir"),
    }
}

fn criterion_benches(c: &mut Criterion) {
    let dir = temp_dir();
    let (mut s, mut req) = store(dir.path());
    let mut raw = Raw::open(dir.path());
    let mut g = c.benchmark_group("ticket_issue");
    g.sample_size(30).measurement_time(Duration::from_secs(8));
    g.bench_function("offline_store_issue_ticket", |b| b.iter(|| issue(&mut s, &mut req)));
    g.bench_function("raw_rusqlite_two_rows", |b| b.iter(|| raw.write()));
    g.finish();
}

/// Alternating blocks of each, so disk and cache conditions are shared; prints both rates.
fn head_to_head(rounds: u32, per_round: u32) {
    let dir = temp_dir();
    println!("files in {}", dir.path().display());
    let (mut s, mut req) = store(dir.path());
    let mut raw = Raw::open(dir.path());
    // Warm up both files.
    for _ in 0..per_round.min(50) {
        issue(&mut s, &mut req);
        raw.write();
    }
    let (mut t_store, mut t_raw) = (Duration::ZERO, Duration::ZERO);
    for _ in 0..rounds {
        let start = Instant::now();
        for _ in 0..per_round {
            issue(&mut s, &mut req);
        }
        t_store += start.elapsed();
        let start = Instant::now();
        for _ in 0..per_round {
            raw.write();
        }
        t_raw += start.elapsed();
    }
    let n = f64::from(rounds * per_round);
    let store_rate = n / t_store.as_secs_f64();
    let raw_rate = n / t_raw.as_secs_f64();
    println!("head-to-head, {rounds} rounds x {per_round} durable transactions each (WAL, synchronous=FULL):");
    println!("  offline-store issue_ticket : {store_rate:>9.0} tickets/s ({:.3} ms each)", 1e3 / store_rate);
    println!("  raw rusqlite, same 2 rows  : {raw_rate:>9.0} txns/s    ({:.3} ms each)", 1e3 / raw_rate);
    println!("  ratio issue_ticket / raw   : {:.2}x (goal >= 0.80x)", store_rate / raw_rate);
    s.check_outbox_contiguous().expect("contiguous");
}

fn main() {
    // `cargo bench` passes --bench; `cargo test --benches` does not and gets a quick smoke run.
    let full = std::env::args().any(|a| a == "--bench");
    let mut c = Criterion::default().configure_from_args();
    criterion_benches(&mut c);
    c.final_summary();
    if full { head_to_head(10, 300) } else { head_to_head(1, 5) }
}
