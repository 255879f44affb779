//! `central export` and `central catalogue load`, run as the real binary.

use std::process::Command;

use central::{Central, CentralConfig};
use chrono::Utc;
use hall_protocol::api::LeaseRequest;
use hall_protocol::{CounterAction, Priority};

use crate::common::*;

fn central_bin() -> Command {
    let mut c = Command::new(env!("CARGO_BIN_EXE_central"));
    c.env("RUST_LOG", "warn");
    c
}

fn run(args: &[&str]) -> String {
    let out = central_bin().args(args).output().unwrap();
    assert!(out.status.success(), "central {args:?} failed: {}", String::from_utf8_lossy(&out.stderr));
    String::from_utf8(out.stdout).unwrap()
}

#[test]
fn export_tickets_calls_and_stats_as_csv_and_json() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("central.db");
    let db_s = db.to_str().unwrap();
    run(&["catalogue", "load", catalogue_path().to_str().unwrap(), "--db", db_s]);
    let d = day().to_string();

    {
        let c = Central::open(&db, CentralConfig::default()).unwrap();
        let lease = c
            .lease(
                Some(&dev("kiosk-1")),
                &LeaseRequest { device_id: dev("kiosk-1"), request_id: 1, hall: hall(), service: svc("business"), business_day: day(), size: 10 },
            )
            .unwrap();
        let tickets =
            (1..=3u64).map(|s| ticket_event("kiosk-1", s, "business", leased('D', s as u32), Some(lease.lease_id), 100 + s, Priority::Normal)).collect();
        c.push(Some(&dev("kiosk-1")), &batch("kiosk-1", tickets)).unwrap();
        for (seq, action) in [(1, CounterAction::CallNext), (2, CounterAction::CallNext), (3, CounterAction::Finish)] {
            c.push(Some(&dev("counter-3")), &batch("counter-3", vec![counter_event("counter-3", seq, 3, action, Utc::now())])).unwrap();
        }
        // Export reads while central still has the database open.
        let csv = run(&["export", "tickets", "--date", &d, "--format", "csv", "--db", db_s]);
        let lines: Vec<&str> = csv.lines().collect();
        assert_eq!(lines[0], "ticket_id,hall,service,issued_service,number,priority,business_day,issued_at,issued_hlc,lease_id,state");
        assert_eq!(lines.len(), 4);
        assert!(lines[1].starts_with(&format!("kiosk-1/1,xuhui,business,business,D001,normal,{d},")), "{}", lines[1]);
        assert!(lines[1].ends_with(",served"));
        assert!(lines[3].ends_with(",waiting"));
    }

    let calls: Vec<central::records::Call> = serde_json::from_str(&run(&["export", "calls", "--date", &d, "--format", "json", "--db", db_s])).unwrap();
    assert_eq!(calls.iter().map(|c| c.number.to_string()).collect::<Vec<_>>(), vec!["D001", "D002"]);
    let calls_csv = run(&["export", "calls", "--date", &d, "--format", "csv", "--hall", "xuhui", "--db", db_s]);
    assert_eq!(calls_csv.lines().count(), 3);
    assert!(calls_csv.lines().next().unwrap().starts_with("hall,window,ticket_id,number,"));

    let stats: hall_protocol::stats::DayStats = serde_json::from_str(&run(&["export", "stats", "--date", &d, "--format", "json", "--db", db_s])).unwrap();
    let business = stats.services.iter().find(|s| s.service.as_str() == "business").unwrap();
    assert_eq!((business.issued, business.served, business.waiting, business.wait.count), (3, 2, 1, 2));
    let csv = run(&["export", "stats", "--date", &d, "--format", "csv", "--db", db_s]);
    let rows: Vec<&str> = csv.lines().collect();
    assert!(rows[0].starts_with("kind,hall,day,name,issued,served,no_show,waiting,expired,wait_count,"));
    assert_eq!(rows.iter().filter(|r| r.starts_with("service,")).count(), 4);
    assert_eq!(rows.iter().filter(|r| r.starts_with("window,")).count(), 3);
    assert!(rows.iter().any(|r| r.starts_with(&format!("service,xuhui,{d},business,3,2,0,1,0,2,"))), "{csv}");
    assert!(rows.iter().any(|r| r.starts_with(&format!("window,xuhui,{d},3,,2,,,,"))), "{csv}");

    // Errors are reported, not panicked: a missing database, a bad date.
    let out = central_bin().args(["export", "stats", "--date", &d, "--db", dir.path().join("none.db").to_str().unwrap()]).output().unwrap();
    assert!(!out.status.success());
    assert!(String::from_utf8_lossy(&out.stderr).contains("no database at"));
    let out = central_bin().args(["export", "stats", "--date", "tomorrow", "--db", db_s]).output().unwrap();
    assert!(!out.status.success());
}

#[test]
fn help_explains_the_commands() {
    let help = run(&["--help"]);
    for word in ["serve", "catalogue", "export"] {
        assert!(help.contains(word), "{help}");
    }
    let serve = run(&["serve", "--help"]);
    assert!(serve.contains("--listen") && serve.contains("127.0.0.1:7700") && serve.contains("./central.db"), "{serve}");
}
