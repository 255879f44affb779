//! Scenario: **two kiosks issue tickets while their links to central are cut and healed over and
//! over** — dropped, delayed, reset and cut mid-body by a fault proxy on loopback. Their sync agents
//! (`kiosk run`, real processes) keep retrying with backoff. At the end central holds every ticket
//! exactly once and numbers are unique per queue (invariants 1 and 2).

mod common;

use std::collections::BTreeMap;
use std::time::{Duration, Instant};

use hall_e2e::{ChildGuard, FaultProxy, Mode};
use rand::{Rng, SeedableRng};

#[test]
fn tickets_survive_twenty_partitions_exactly_once() {
    let dir = tempfile::tempdir().unwrap();
    let central = common::TestCentral::start(dir.path());
    let proxy = FaultProxy::start(central.addr).expect("proxy");
    let via = format!("http://{}", proxy.addr());
    let configs: Vec<_> = ["kiosk-1", "kiosk-2"].iter().map(|id| common::device_config(dir.path(), id, "kiosk", None, &via)).collect();
    for c in &configs {
        common::sync_until_clean(c, 5);
    }
    let _agents: Vec<ChildGuard> = configs
        .iter()
        .map(|c| {
            ChildGuard::spawn(
                std::process::Command::new(hall_e2e::bin_path("kiosk"))
                    .args(["run", "--config", c.to_str().unwrap()])
                    .env("RUST_LOG", "error")
                    .stdout(std::process::Stdio::null())
                    .stderr(std::process::Stdio::null()),
            )
            .expect("kiosk run")
        })
        .collect();

    let mut rng = rand::rngs::StdRng::seed_from_u64(20);
    let faults =
        [Mode::Drop, Mode::Reset, Mode::CutMidBody { after_bytes: 40 }, Mode::CutMidBody { after_bytes: 300 }, Mode::Delay(Duration::from_millis(700))];
    let mut issued: Vec<String> = Vec::new();
    let mut days = std::collections::BTreeSet::new();
    let services = ["household", "exit-entry", "social-insurance"];
    for cycle in 0..20 {
        proxy.set_mode(faults[cycle % faults.len()].clone());
        proxy.cut_all();
        for c in &configs {
            let service = services[rng.random_range(0..services.len())];
            let out = common::kiosk(&["ticket", "--config", c.to_str().unwrap(), "--service", service, "--count", "4", "--no-push"]);
            assert!(out.status.success(), "issuing offline must work: {}", String::from_utf8_lossy(&out.stderr));
            for line in String::from_utf8_lossy(&out.stdout).lines() {
                let v: serde_json::Value = serde_json::from_str(line).unwrap();
                issued.push(v["ticket_id"].as_str().unwrap().to_owned());
                days.insert(v["business_day"].as_str().unwrap().to_owned());
            }
        }
        std::thread::sleep(Duration::from_millis(rng.random_range(150..400)));
        proxy.set_mode(Mode::Pass);
        std::thread::sleep(Duration::from_millis(rng.random_range(100..300)));
    }
    proxy.set_mode(Mode::Pass);

    // The agents catch up by themselves once the link is healthy.
    let deadline = Instant::now() + Duration::from_secs(60);
    loop {
        let depths: Vec<u64> = configs
            .iter()
            .map(|c| {
                let out = common::kiosk(&["status", "--config", c.to_str().unwrap(), "--json"]);
                let v: serde_json::Value = serde_json::from_slice(&out.stdout).expect("status --json prints JSON");
                v["outbox_depth"].as_u64().unwrap()
            })
            .collect();
        if depths.iter().all(|d| *d == 0) {
            break;
        }
        assert!(Instant::now() < deadline, "agents did not drain their outboxes after the link healed: {depths:?}");
        std::thread::sleep(Duration::from_millis(200));
    }
    let stats = proxy.stats();
    eprintln!("proxy: {stats:?}");
    // The faults really happened (a proxy that passed everything would make this test meaningless).
    assert!(stats.reset > 0 && stats.cut_mid_body > 0 && stats.dropped > 0 && stats.delayed > 0, "{stats:?}");
    assert!(stats.partition_cuts > 0, "no established connection was cut: {stats:?}");

    let tickets = common::central_tickets(&central, &days);
    let mut count: BTreeMap<String, u32> = BTreeMap::new();
    let mut numbers: BTreeMap<(String, String), u32> = BTreeMap::new();
    for t in &tickets {
        *count.entry(t.ticket_id.to_string()).or_default() += 1;
        *numbers.entry((t.issued_service.to_string(), t.number.to_string())).or_default() += 1;
    }
    assert_eq!(tickets.len(), issued.len(), "central holds a different number of tickets than were issued");
    for id in &issued {
        assert_eq!(count.get(id), Some(&1), "ticket {id} not at central exactly once");
    }
    assert!(numbers.values().all(|n| *n == 1), "a number was issued twice: {numbers:?}");
}
