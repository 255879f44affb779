//! Benchmark: **sync catch-up**. A kiosk queues 10,000 ticket events while it cannot sync, then its
//! sync agent pushes them all to central over real HTTP on loopback until central has acknowledged
//! every one. Goal: at most 5 s. Prints the figures; asserts nothing about time.
//!
//!     cargo bench -p hall-e2e --bench sync_catchup [-- EVENTS RUNS]

use std::sync::{Arc, Mutex};
use std::time::Instant;

use hall_e2e::central_fixture::TestCentral;
use hall_protocol::{Priority, ServiceCode};
use kiosk::agent::SyncAgent;
use kiosk::client::CentralClient;
use kiosk::clock::system_clock;
use kiosk::config::Config;
use offline_store::Store;

fn main() {
    let args: Vec<String> = std::env::args().skip(1).filter(|a| !a.starts_with('-')).collect();
    let events: u64 = args.first().and_then(|s| s.parse().ok()).unwrap_or(10_000);
    let runs: usize = args.get(1).and_then(|s| s.parse().ok()).unwrap_or(3);
    let rt = tokio::runtime::Builder::new_current_thread().enable_all().build().expect("runtime");
    let mut catchups = Vec::new();
    println!("sync catch-up: {events} queued ticket events, batch 500, central on loopback, {runs} runs");
    for run in 1..=runs {
        let dir = tempfile::tempdir().expect("tempdir");
        let central = TestCentral::start(dir.path());
        let text = format!(
            "[device]\nid = \"kiosk-1\"\nrole = \"kiosk\"\nhall = \"xuhui\"\n[central]\nurl = \"{}\"\ntimeout_ms = 30000\n[store]\npath = \"{}\"\n[sync]\nbatch = 500\n",
            central.url(),
            dir.path().join("kiosk-1.db").display()
        );
        let config = Arc::new(Config::parse(&text).expect("config"));
        let store = Arc::new(Mutex::new(Store::open(&config.store.path, config.device.id.clone()).expect("store")));
        let client = CentralClient::new(&config.central.url, config.device.id.clone(), config.request_timeout()).expect("client");
        let clock = system_clock();
        let agent = SyncAgent::new(store.clone(), client, config.clone(), clock.clone());
        rt.block_on(agent.sync_once()).expect("first sync");

        let service = ServiceCode::new("household").expect("code");
        let t0 = Instant::now();
        for _ in 0..events {
            kiosk::desk::issue_ticket(&mut store.lock().unwrap(), &config, &service, Priority::Normal, clock.now()).expect("issue");
        }
        let issue = t0.elapsed();
        assert_eq!(store.lock().unwrap().outbox_depth().unwrap(), events);

        let t1 = Instant::now();
        let report = rt.block_on(agent.sync_once()).expect("catch-up sync");
        let catchup = t1.elapsed();
        assert_eq!(store.lock().unwrap().outbox_depth().unwrap(), 0, "everything acknowledged");
        assert!(report.pushed >= events);
        println!(
            "  run {run}: issued offline at {:.0} tickets/s; catch-up {:.2} s = {:.0} events/s acknowledged",
            events as f64 / issue.as_secs_f64(),
            catchup.as_secs_f64(),
            events as f64 / catchup.as_secs_f64()
        );
        catchups.push(catchup.as_secs_f64());
    }
    catchups.sort_by(f64::total_cmp);
    println!("sync catch-up median: {:.2} s for {events} events (goal: at most 5 s)", catchups[catchups.len() / 2]);
}
