//! Scenario: **a kiosk is killed at random moments while issuing tickets as fast as it can**
//! (power cut, OOM kill, watchdog). Invariants 1 and 2 of docs/architecture.md:
//! - every ticket the kiosk reported as issued is in its store and, after sync, at central, once;
//! - no ticket number repeats in any queue;
//! - the store passes `PRAGMA integrity_check` and its outbox has no holes.
//!
//! Sync runs as separate processes that are killed at random too, so resuming after a crash is
//! exercised on both sides. `HALLKIT_CRASH_KILLS=1000 cargo test -p hall-e2e --test crash_loop`
//! runs a longer loop (CI runs 200 kills).

mod common;

use std::collections::{BTreeMap, BTreeSet};
use std::io::{BufRead, BufReader};
use std::process::{Command, Stdio};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use hall_protocol::{DeviceId, TicketId};
use nix::sys::signal::{Signal, kill};
use nix::unistd::Pid;
use rand::{Rng, SeedableRng};

#[test]
fn sigkill_while_issuing_loses_and_duplicates_nothing() {
    let kills: u32 = std::env::var("HALLKIT_CRASH_KILLS").ok().and_then(|s| s.parse().ok()).unwrap_or(200);
    let seed: u64 = std::env::var("HALLKIT_CRASH_SEED").ok().and_then(|s| s.parse().ok()).unwrap_or(0x5eed);
    let mut rng = rand::rngs::StdRng::seed_from_u64(seed);
    let dir = tempfile::tempdir().unwrap();
    let central = common::TestCentral::start(dir.path());
    let config = common::device_config(dir.path(), "kiosk-1", "kiosk", None, &central.url());
    common::sync_until_clean(&config, 5);
    let cfg = config.to_str().unwrap();
    let services = ["household", "exit-entry"];

    let acknowledged: Arc<Mutex<Vec<(String, String, String)>>> = Arc::default();
    let days: Arc<Mutex<BTreeSet<String>>> = Arc::default();
    let mut killed_mid_sync = 0;
    for round in 0..kills {
        let service = services[round as usize % services.len()];
        let mut child = Command::new(hall_e2e::bin_path("kiosk"))
            .args(["ticket", "--config", cfg, "--service", service, "--count", "1000000", "--no-push"])
            .env("RUST_LOG", "error")
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .spawn()
            .expect("spawn kiosk ticket");
        let stdout = child.stdout.take().unwrap();
        let sink = acknowledged.clone();
        let day_sink = days.clone();
        // Every complete line is a ticket the kiosk said is durable; a line cut by the kill is not.
        let reader = std::thread::spawn(move || {
            for line in BufReader::new(stdout).split(b'\n') {
                let Ok(line) = line else { break };
                let Ok(v) = serde_json::from_slice::<serde_json::Value>(&line) else { continue };
                let get = |k: &str| v[k].as_str().unwrap_or_default().to_owned();
                sink.lock().unwrap().push((get("ticket_id"), get("service"), get("number")));
                day_sink.lock().unwrap().insert(get("business_day"));
            }
        });
        std::thread::sleep(Duration::from_millis(rng.random_range(5..60)));
        kill(Pid::from_raw(child.id() as i32), Signal::SIGKILL).expect("SIGKILL");
        child.wait().expect("reap");
        reader.join().unwrap();

        // Now and then a sync, itself killed at a random moment half of the time.
        if round % 10 == 9 {
            let mut sync = Command::new(hall_e2e::bin_path("kiosk"))
                .args(["sync", "--config", cfg])
                .env("RUST_LOG", "error")
                .stdout(Stdio::null())
                .stderr(Stdio::null())
                .spawn()
                .expect("spawn kiosk sync");
            if rng.random_bool(0.5) {
                std::thread::sleep(Duration::from_millis(rng.random_range(1..40)));
                let _ = kill(Pid::from_raw(sync.id() as i32), Signal::SIGKILL);
                killed_mid_sync += 1;
            }
            sync.wait().expect("reap sync");
        }
    }
    let acknowledged = acknowledged.lock().unwrap().clone();
    let days = days.lock().unwrap().clone();
    assert!(acknowledged.len() as u32 > kills, "the kiosk issued too few tickets to test anything: {}", acknowledged.len());
    eprintln!("{kills} kills ({killed_mid_sync} during sync), {} tickets acknowledged", acknowledged.len());

    // Every acknowledged ticket is in the store; the store is sound.
    common::sync_until_clean(&config, 5);
    let store = offline_store::Store::open(&dir.path().join("kiosk-1.db"), DeviceId::new("kiosk-1").unwrap()).unwrap();
    store.integrity_check().expect("PRAGMA integrity_check is ok");
    store.check_outbox_contiguous().expect("outbox has no holes");
    assert_eq!(store.outbox_depth().unwrap(), 0);

    // ... and at central exactly once, with unique numbers per queue.
    let tickets = common::central_tickets(&central, &days);
    let mut at_central: BTreeMap<String, u32> = BTreeMap::new();
    let mut numbers: BTreeMap<(String, String), u32> = BTreeMap::new();
    for t in &tickets {
        *at_central.entry(t.ticket_id.to_string()).or_default() += 1;
        *numbers.entry((t.issued_service.to_string(), t.number.to_string())).or_default() += 1;
    }
    for (id, service, number) in &acknowledged {
        assert_eq!(at_central.get(id), Some(&1), "ticket {id} ({service} {number}) is not at central exactly once");
        let tid: TicketId = id.parse().unwrap();
        assert!(store.ticket(&tid).unwrap().is_some(), "ticket {id} missing from the kiosk's store");
    }
    let dup: Vec<_> = numbers.iter().filter(|(_, n)| **n > 1).collect();
    assert!(dup.is_empty(), "numbers issued twice: {dup:?}");
    let acked_numbers: BTreeSet<_> = acknowledged.iter().map(|(_, s, n)| (s.clone(), n.clone())).collect();
    assert_eq!(acked_numbers.len(), acknowledged.len(), "the kiosk printed a number twice");
}
