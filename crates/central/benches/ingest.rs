//! Central benchmarks, run with `cargo bench -p central --bench ingest` (a plain main that prints
//! figures, not criterion: each figure is one end-to-end run over real HTTP on loopback).
//!
//! 1. Ingest: `ticket_issued` events pushed through `POST /v1/events` in batches of 500 by two
//!    kiosks at once, into a SQLite file (WAL, synchronous=FULL). Goal: at least 5,000 events/s.
//! 2. Call → push latency: a counter pushes call-next events one at a time; a board subscribed to
//!    `/v1/stream` timestamps each `called` change it receives. Goal: p99 at most 200 ms.
//!
//! Set `CENTRAL_BENCH_EVENTS` (events per kiosk, default 10,000) and `CENTRAL_BENCH_CALLS`
//! (default 500) to change the sizes.

use std::time::{Duration, Instant};

use central::{Central, CentralConfig};
use chrono::Utc;
use futures_util::StreamExt;
use hall_protocol::api::{DEVICE_HEADER, PushAck, PushBatch};
use hall_protocol::{
    Change, ChangeBody, CounterAction, DeviceEvent, DeviceId, EventBody, EventOutcome, HallId, Hlc, Priority, ServiceCode, TicketId, TicketIssued,
};

const BATCH: usize = 500;

fn env_usize(name: &str, default: usize) -> usize {
    std::env::var(name).ok().and_then(|v| v.parse().ok()).unwrap_or(default)
}

fn ticket(device: &DeviceId, device_no: u32, seq: u64) -> DeviceEvent {
    let now = Utc::now();
    let hlc = Hlc::new(u64::try_from(now.timestamp_millis()).unwrap_or(0), u32::try_from(seq).unwrap_or(u32::MAX));
    DeviceEvent {
        device_id: device.clone(),
        device_seq: seq,
        hlc,
        at: now,
        body: EventBody::TicketIssued(TicketIssued {
            ticket_id: TicketId::new(device.clone(), seq),
            hall: HallId::new("xuhui").unwrap(),
            service: ServiceCode::new("household").unwrap(),
            number: format!("A-{device_no}-{seq:03}").parse().unwrap(),
            priority: Priority::Normal,
            business_day: central::business_day(now, central::DEFAULT_UTC_OFFSET, central::DEFAULT_ROLLOVER),
            issued_hlc: hlc,
            issued_at: now,
            lease_id: None,
        }),
    }
}

async fn push(http: &reqwest::Client, base: &str, batch: &PushBatch) -> PushAck {
    let resp = http.post(format!("{base}/v1/events")).header(DEVICE_HEADER, batch.device_id.as_str()).json(batch).send().await.unwrap();
    assert!(resp.status().is_success(), "{}", resp.text().await.unwrap());
    resp.json().await.unwrap()
}

fn percentile(sorted: &[Duration], p: f64) -> Duration {
    let idx = ((p * sorted.len() as f64).ceil() as usize).clamp(1, sorted.len()) - 1;
    sorted[idx]
}

#[tokio::main(flavor = "multi_thread", worker_threads = 2)]
async fn main() {
    let per_kiosk = env_usize("CENTRAL_BENCH_EVENTS", 10_000);
    let calls = env_usize("CENTRAL_BENCH_CALLS", 500);
    let dir = tempfile::tempdir().unwrap();
    let central = Central::open(&dir.path().join("central.db"), CentralConfig::default()).unwrap();
    let catalogue = std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/../../examples/central-catalogue.toml")).unwrap();
    central.load_catalogue(&central::parse_catalogue_toml(&catalogue).unwrap()).unwrap();
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let base = format!("http://{}", listener.local_addr().unwrap());
    let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
    let server = tokio::spawn(central::serve(listener, central.clone(), async move {
        let _ = stopped.await;
    }));
    let http = reqwest::Client::new();
    let numbers = central.catalogue(None).unwrap();

    // 1. Ingest.
    let started = Instant::now();
    let mut kiosks = Vec::new();
    for name in ["kiosk-1", "kiosk-2"] {
        let device = DeviceId::new(name).unwrap();
        let device_no = numbers.devices.iter().find(|d| d.id == device).unwrap().device_no;
        let (http, base) = (http.clone(), base.clone());
        kiosks.push(tokio::spawn(async move {
            let mut seq = 1u64;
            while (seq as usize) <= per_kiosk {
                let events: Vec<_> = (seq..seq + BATCH as u64).map(|s| ticket(&device, device_no, s)).collect();
                let ack = push(&http, &base, &PushBatch { device_id: device.clone(), events }).await;
                assert!(ack.results.iter().all(|r| r.outcome == EventOutcome::Applied));
                seq += BATCH as u64;
            }
            seq - 1
        }));
    }
    let mut total = 0;
    for k in kiosks {
        total += k.await.unwrap();
    }
    let elapsed = started.elapsed();
    println!(
        "ingest: {total} ticket_issued events in batches of {BATCH} from 2 kiosks in {:.2} s = {:.0} events/s (goal >= 5000)",
        elapsed.as_secs_f64(),
        total as f64 / elapsed.as_secs_f64()
    );

    // 2. Call → push latency.
    // The board listens from the current end of the feed.
    let mut end = 0;
    loop {
        let page = central.feed(None, end, central::MAX_FEED_LIMIT).unwrap();
        end = page.next_cursor;
        if !page.more {
            break;
        }
    }
    let resp = http.get(format!("{base}/v1/stream?device=board-1&after={end}")).send().await.unwrap();
    assert!(resp.status().is_success());
    let (tx, mut rx) = tokio::sync::mpsc::unbounded_channel::<(Instant, String)>();
    let subscriber = tokio::spawn(async move {
        let mut body = resp.bytes_stream();
        let mut buf = String::new();
        while let Some(Ok(bytes)) = body.next().await {
            buf.push_str(&String::from_utf8_lossy(&bytes));
            while let Some(end) = buf.find("\n\n") {
                let block: String = buf.drain(..end + 2).collect();
                let data: String = block.lines().filter_map(|l| l.strip_prefix("data:")).map(str::trim_start).collect();
                if data.is_empty() {
                    continue;
                }
                let change: Change = serde_json::from_str(&data).unwrap();
                if let ChangeBody::Called(info) = change.body
                    && tx.send((Instant::now(), info.ticket_id.to_string())).is_err()
                {
                    return;
                }
            }
        }
    });
    let counter = DeviceId::new("counter-1").unwrap();
    let mut latencies = Vec::with_capacity(calls);
    for seq in 1..=calls as u64 {
        let event = DeviceEvent {
            device_id: counter.clone(),
            device_seq: seq,
            hlc: Hlc::new(u64::try_from(Utc::now().timestamp_millis()).unwrap_or(0), 0),
            at: Utc::now(),
            body: EventBody::CounterAction { hall: HallId::new("xuhui").unwrap(), window: 1, action: CounterAction::CallNext },
        };
        let sent = Instant::now();
        let ack = push(&http, &base, &PushBatch { device_id: counter.clone(), events: vec![event] }).await;
        let EventOutcome::Called { ticket_id, .. } = &ack.results[0].outcome else { panic!("{:?}", ack.results[0]) };
        let (arrived, ticket) = tokio::time::timeout(Duration::from_secs(10), rx.recv()).await.unwrap().unwrap();
        assert_eq!(&ticket, &ticket_id.to_string());
        latencies.push(arrived - sent);
    }
    latencies.sort();
    println!(
        "call -> push: {calls} call-next events, latency from sending the push to the subscriber receiving the call: p50 {:.1} ms, p99 {:.1} ms, max {:.1} ms (goal p99 <= 200 ms)",
        percentile(&latencies, 0.5).as_secs_f64() * 1e3,
        percentile(&latencies, 0.99).as_secs_f64() * 1e3,
        latencies.last().map_or(0.0, |d| d.as_secs_f64() * 1e3)
    );

    let _ = stop.send(());
    server.await.unwrap().unwrap();
    subscriber.abort();
}
