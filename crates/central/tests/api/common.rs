//! Shared helpers: a real server on 127.0.0.1:0, the example catalogue, event builders, and a
//! small server-sent-events reader.

use std::path::PathBuf;
use std::sync::{Arc, Mutex};

use central::{Central, CentralConfig, Clock};
use chrono::{DateTime, Duration, NaiveDate, Utc};
use futures_util::StreamExt;
use hall_protocol::api::{DEVICE_HEADER, Lease, LeaseRequest, PushAck, PushBatch};
use hall_protocol::{
    Catalogue, Change, CounterAction, DeviceEvent, DeviceId, EventBody, HallId, Hlc, Priority, ServiceCode, TicketId, TicketIssued, TicketNumber, WindowNo,
};
use reqwest::StatusCode;
use tokio::sync::oneshot;
use tokio::task::JoinHandle;

/// Today's business day in the example hall (+08:00, rollover 04:00): tickets of any other day
/// would be stored expired (earlier) or roll the hall forward (later) by the day rules.
pub fn day() -> NaiveDate {
    central::business_day(Utc::now(), central::DEFAULT_UTC_OFFSET, central::DEFAULT_ROLLOVER)
}

pub fn dev(s: &str) -> DeviceId {
    DeviceId::new(s).unwrap()
}

pub fn hall() -> HallId {
    HallId::new("xuhui").unwrap()
}

pub fn svc(s: &str) -> ServiceCode {
    ServiceCode::new(s).unwrap()
}

pub fn catalogue_path() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../examples/central-catalogue.toml")
}

/// The example catalogue shipped in examples/.
pub fn catalogue() -> Catalogue {
    central::parse_catalogue_toml(&std::fs::read_to_string(catalogue_path()).unwrap()).unwrap()
}

/// A clock tests can move.
#[derive(Debug)]
pub struct ManualClock(pub Mutex<DateTime<Utc>>);

impl ManualClock {
    pub fn new(at: DateTime<Utc>) -> Arc<Self> {
        Arc::new(Self(Mutex::new(at)))
    }
    pub fn advance(&self, by: Duration) {
        *self.0.lock().unwrap() += by;
    }
}

impl Clock for ManualClock {
    fn now(&self) -> DateTime<Utc> {
        *self.0.lock().unwrap()
    }
}

/// A central on a fresh in-memory database with the example catalogue.
/// Central on the file `db` with the example catalogue, and a 20-number `household` lease for kiosk-1.
pub fn open_with_household_lease(db: &std::path::Path) -> (Arc<Central>, Lease) {
    let c = Central::open(db, CentralConfig::default()).unwrap();
    c.load_catalogue(&catalogue()).unwrap();
    let lease = c
        .lease(
            Some(&dev("kiosk-1")),
            &LeaseRequest { device_id: dev("kiosk-1"), request_id: 1, hall: hall(), service: svc("household"), business_day: day(), size: 20 },
        )
        .unwrap();
    (c, lease)
}

pub fn central_in_memory() -> Arc<Central> {
    let c = Central::open_in_memory(CentralConfig::default()).unwrap();
    c.load_catalogue(&catalogue()).unwrap();
    c
}

pub fn ticket_event(device: &str, seq: u64, service: &str, number: TicketNumber, lease_id: Option<u64>, hlc_ms: u64, priority: Priority) -> DeviceEvent {
    ticket_event_on(day(), Utc::now(), device, seq, service, number, lease_id, hlc_ms, priority)
}

/// A `ticket_issued` event for business day `business_day`, issued at `at` by the kiosk's clock.
#[allow(clippy::too_many_arguments)]
pub fn ticket_event_on(
    business_day: NaiveDate,
    at: DateTime<Utc>,
    device: &str,
    seq: u64,
    service: &str,
    number: TicketNumber,
    lease_id: Option<u64>,
    hlc_ms: u64,
    priority: Priority,
) -> DeviceEvent {
    let device_id = dev(device);
    DeviceEvent {
        device_id: device_id.clone(),
        device_seq: seq,
        hlc: Hlc::new(hlc_ms, 0),
        at,
        body: EventBody::TicketIssued(TicketIssued {
            ticket_id: TicketId::new(device_id, seq),
            hall: hall(),
            service: svc(service),
            number,
            priority,
            business_day,
            issued_hlc: Hlc::new(hlc_ms, 0),
            issued_at: at,
            lease_id,
        }),
    }
}

pub fn leased(prefix: char, n: u32) -> TicketNumber {
    format!("{prefix}{n:03}").parse().unwrap()
}

pub fn counter_event(device: &str, seq: u64, window: WindowNo, action: CounterAction, at: DateTime<Utc>) -> DeviceEvent {
    DeviceEvent {
        device_id: dev(device),
        device_seq: seq,
        hlc: Hlc::new(u64::try_from(at.timestamp_millis()).unwrap(), 0),
        at,
        body: EventBody::CounterAction { hall: hall(), window, action },
    }
}

pub fn batch(device: &str, events: Vec<DeviceEvent>) -> PushBatch {
    PushBatch { device_id: dev(device), events }
}

/// A central served on 127.0.0.1:0.
pub struct Server {
    pub base: String,
    pub central: Arc<Central>,
    pub http: reqwest::Client,
    stop: Option<oneshot::Sender<()>>,
    task: Option<JoinHandle<std::io::Result<()>>>,
}

impl Server {
    pub async fn start(central: Arc<Central>) -> Self {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let base = format!("http://{}", listener.local_addr().unwrap());
        let (stop, stopped) = oneshot::channel::<()>();
        let task = tokio::spawn(central::serve(listener, central.clone(), async move {
            let _ = stopped.await;
        }));
        Self { base, central, http: reqwest::Client::new(), stop: Some(stop), task: Some(task) }
    }

    /// Stops the server and waits for it (open streams included) to finish.
    pub async fn stop(mut self) {
        if let Some(s) = self.stop.take() {
            let _ = s.send(());
        }
        if let Some(t) = self.task.take() {
            t.await.unwrap().unwrap();
        }
    }

    pub fn url(&self, path: &str) -> String {
        format!("{}{path}", self.base)
    }

    /// Pushes a batch as its own device; returns the status and the JSON body.
    pub async fn push_raw(&self, header: Option<&str>, batch: &PushBatch) -> (StatusCode, serde_json::Value) {
        let mut req = self.http.post(self.url("/v1/events")).json(batch);
        if let Some(h) = header {
            req = req.header(DEVICE_HEADER, h);
        }
        let resp = req.send().await.unwrap();
        let status = resp.status();
        (status, resp.json().await.unwrap())
    }

    /// Pushes a batch that must be accepted.
    pub async fn push(&self, batch: &PushBatch) -> PushAck {
        let (status, body) = self.push_raw(Some(batch.device_id.as_str()), batch).await;
        assert_eq!(status, StatusCode::OK, "{body}");
        serde_json::from_value(body).unwrap()
    }

    pub async fn lease_raw(&self, header: &str, req: &LeaseRequest) -> (StatusCode, serde_json::Value) {
        let resp = self.http.post(self.url("/v1/leases")).header(DEVICE_HEADER, header).json(req).send().await.unwrap();
        let status = resp.status();
        (status, resp.json().await.unwrap())
    }

    pub async fn lease(&self, device: &str, request_id: u64, service: &str, size: u32) -> Lease {
        let req = LeaseRequest { device_id: dev(device), request_id, hall: hall(), service: svc(service), business_day: day(), size };
        let (status, body) = self.lease_raw(device, &req).await;
        assert_eq!(status, StatusCode::OK, "{body}");
        serde_json::from_value(body).unwrap()
    }

    pub async fn get_json(&self, path: &str) -> serde_json::Value {
        let resp = self.http.get(self.url(path)).send().await.unwrap();
        assert_eq!(resp.status(), StatusCode::OK, "GET {path}");
        resp.json().await.unwrap()
    }

    pub async fn health_ok(&self) {
        let h = self.get_json("/v1/health").await;
        assert_eq!(h["status"], "ok");
    }
}

/// Reads server-sent events from `/v1/stream`.
pub struct SseReader {
    body: futures_util::stream::BoxStream<'static, reqwest::Result<axum::body::Bytes>>,
    buf: String,
}

impl SseReader {
    pub async fn open(server: &Server, query: &str) -> Self {
        let resp = server.http.get(server.url(&format!("/v1/stream?{query}"))).send().await.unwrap();
        assert_eq!(resp.status(), StatusCode::OK);
        assert!(resp.headers()["content-type"].to_str().unwrap().starts_with("text/event-stream"));
        Self { body: resp.bytes_stream().boxed(), buf: String::new() }
    }

    /// The next change (skipping keep-alive comments), or `None` when the stream ends.
    pub async fn next(&mut self) -> Option<(u64, Change)> {
        loop {
            if let Some(end) = self.buf.find("\n\n") {
                let block: String = self.buf.drain(..end + 2).collect();
                let mut id = None;
                let mut data = String::new();
                for line in block.lines() {
                    if let Some(v) = line.strip_prefix("id:") {
                        id = Some(v.trim().parse::<u64>().unwrap());
                    } else if let Some(v) = line.strip_prefix("data:") {
                        data.push_str(v.trim_start());
                    }
                }
                if let Some(id) = id {
                    let change: Change = serde_json::from_str(&data).unwrap();
                    assert_eq!(change.cursor, id, "the event id is the change's cursor");
                    return Some((id, change));
                }
                continue;
            }
            match self.body.next().await {
                Some(Ok(bytes)) => self.buf.push_str(&String::from_utf8_lossy(&bytes)),
                Some(Err(_)) | None => return None,
            }
        }
    }
}
