//! Benchmark: **a full ID-card read** (find → select → read 30 01) through the production session
//! and serial transport against the simulator on a pseudo-terminal, and **decode throughput** of the
//! sans-IO frame decoder and card decoder. Prints figures; asserts nothing about time.
//!
//!     cargo bench -p device-drivers --bench idcard_read [-- READS]
//!
//! A pty moves bytes at memory speed whatever baud rate is set, so the measured time of a read is
//! the software's own cost: the time a real reader at 115200 baud would add on top of the wire
//! time of the bytes exchanged. The wire time is computed from the bytes counted (10 bits a byte).

use std::path::Path;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};

use device_drivers::idcard::card_spec::CardSpec;
use device_drivers::idcard::{CardRead, CardReader, FrameDecoder, ReadOptions, ReaderSession, Response, Simulator, Status};
use device_drivers::transport::{SerialTransport, Transport, TransportError};

/// Counts the bytes that cross the link.
struct Counting<T> {
    inner: T,
    bytes: Arc<AtomicU64>,
}

impl<T: Transport> Transport for Counting<T> {
    fn write_all(&mut self, bytes: &[u8]) -> Result<(), TransportError> {
        self.bytes.fetch_add(bytes.len() as u64, Ordering::Relaxed);
        self.inner.write_all(bytes)
    }
    fn read(&mut self, buf: &mut [u8], timeout: Duration) -> Result<usize, TransportError> {
        let n = self.inner.read(buf, timeout)?;
        self.bytes.fetch_add(n as u64, Ordering::Relaxed);
        Ok(n)
    }
    fn discard_input(&mut self) -> Result<(), TransportError> {
        self.inner.discard_input()
    }
}

fn percentile(sorted: &[f64], p: f64) -> f64 {
    sorted[((p * sorted.len() as f64).ceil() as usize).clamp(1, sorted.len()) - 1]
}

fn main() {
    let reads: usize = std::env::args().skip(1).find(|a| !a.starts_with('-')).and_then(|a| a.parse().ok()).unwrap_or(300);
    let spec: CardSpec = toml::from_str(include_str!("../../../examples/cards/resident.toml")).expect("example card");
    let card = spec.into_sim_card(Path::new(".")).expect("example card is valid");
    let (path, _sim) = Simulator::spawn_pty(vec![card], Vec::new()).expect("simulator on a pty");
    let bytes = Arc::new(AtomicU64::new(0));
    let transport = Counting { inner: SerialTransport::open(&path, 115_200, Duration::from_secs(1)).expect("open pty"), bytes: bytes.clone() };
    let mut session = ReaderSession::new(transport);
    session.reset().expect("reset");
    session.read_card(ReadOptions::default()).expect("warm-up read").expect("a card is on the reader");

    let mut times = Vec::with_capacity(reads);
    let before = bytes.load(Ordering::Relaxed);
    for _ in 0..reads {
        let t0 = Instant::now();
        let reading = session.read_card(ReadOptions::default()).expect("read").expect("card");
        times.push(t0.elapsed().as_secs_f64() * 1000.0);
        std::hint::black_box(reading);
    }
    let per_read = (bytes.load(Ordering::Relaxed) - before) as f64 / reads as f64;
    times.sort_by(f64::total_cmp);
    let wire_ms = per_read * 10.0 / 115_200.0 * 1000.0;
    println!("full read (find+select+read 30 01) via driver <-> simulator on a pty, {reads} reads:");
    println!("  bytes exchanged per read: {per_read:.0}; wire time at 115200 baud: {wire_ms:.1} ms");
    println!(
        "  time above wire time: p50 {:.2} ms, p90 {:.2} ms, p99 {:.2} ms, max {:.2} ms (goal: at most 5 ms)",
        percentile(&times, 0.5),
        percentile(&times, 0.9),
        percentile(&times, 0.99),
        times[times.len() - 1]
    );

    // Decode throughput: a stream of read responses through the frame decoder, then card decoding.
    let spec: CardSpec = toml::from_str(include_str!("../../../examples/cards/resident.toml")).expect("example card");
    let sim_card = spec.into_sim_card(Path::new(".")).expect("valid");
    let text = sim_card.card.encode_text().expect("encodes");
    let data = CardRead { text, photo: vec![0x11; 1024], fingerprint: None }.encode();
    let one = Response::new(Status::Ok, data).encode().expect("frame");
    let frames = 20_000;
    let stream: Vec<u8> = one.iter().copied().cycle().take(one.len() * frames).collect();
    let t0 = Instant::now();
    let mut decoder = FrameDecoder::new();
    let mut decoded = 0;
    for chunk in stream.chunks(4096) {
        decoder.push(chunk);
        while let Some(r) = decoder.next_response() {
            let resp = r.expect("valid frame");
            let read = CardRead::parse(&resp.data).expect("read block");
            std::hint::black_box(read.decode_card().expect("card"));
            decoded += 1;
        }
    }
    let secs = t0.elapsed().as_secs_f64();
    println!(
        "decode: {decoded} read responses ({:.1} MB) framed and decoded to cards in {:.3} s = {:.0} cards/s, {:.0} MB/s",
        stream.len() as f64 / 1e6,
        secs,
        decoded as f64 / secs,
        stream.len() as f64 / 1e6 / secs
    );
}
