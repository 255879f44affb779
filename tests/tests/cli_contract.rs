//! The command-line contracts other tools and later work rely on (issue "CLI contracts"): the JSON
//! of `kiosk ticket`, its exit code with and without central, `kiosk sync`, `kiosk status --json`
//! and `kiosk counter`.

mod common;

use std::path::Path;

fn run(args: &[&str]) -> (i32, String, String) {
    let out = common::kiosk(args);
    (out.status.code().unwrap_or(-1), String::from_utf8_lossy(&out.stdout).into_owned(), String::from_utf8_lossy(&out.stderr).into_owned())
}

fn cfg(p: &Path) -> &str {
    p.to_str().unwrap()
}

#[test]
fn ticket_sync_status_and_counter_contracts() {
    let dir = tempfile::tempdir().unwrap();
    let central = common::TestCentral::start(dir.path());
    let kiosk = common::device_config(dir.path(), "kiosk-1", "kiosk", None, &central.url());
    let counter = common::device_config(dir.path(), "counter-1", "counter", Some(1), &central.url());

    // Before the first sync the kiosk knows no services: a clear refusal, not a panic.
    let (code, _, err) = run(&["ticket", "--config", cfg(&kiosk), "--service", "household", "--no-push"]);
    assert_ne!(code, 0);
    assert!(err.contains("kiosk sync"), "the error should say what to do: {err}");

    let (code, _, err) = run(&["sync", "--config", cfg(&kiosk)]);
    assert_eq!(code, 0, "{err}");
    assert!(err.contains("leased numbers"), "sync shows progress: {err}");

    // One JSON object with the documented fields.
    let (code, out, err) = run(&["ticket", "--config", cfg(&kiosk), "--service", "household", "--priority", "elderly"]);
    assert_eq!(code, 0, "{err}");
    let t: serde_json::Value = serde_json::from_str(out.trim()).expect("one JSON object");
    for key in ["ticket_id", "number", "service", "issued_at", "waiting_ahead"] {
        assert!(!t[key].is_null(), "missing {key} in {t}");
    }
    assert_eq!(t["service"], "household");
    assert!(t["number"].as_str().unwrap().starts_with('A'), "{t}");
    assert_eq!(t["ticket_id"], "kiosk-1/1");

    // Unknown service: the message lists what exists.
    let (code, _, err) = run(&["ticket", "--config", cfg(&kiosk), "--service", "nosuch", "--no-push"]);
    assert_ne!(code, 0);
    assert!(err.contains("household"), "{err}");

    // The ticket was pushed; status says so.
    let (code, out, _) = run(&["status", "--config", cfg(&kiosk), "--json"]);
    assert_eq!(code, 0);
    let s: serde_json::Value = serde_json::from_str(out.trim()).unwrap();
    assert_eq!(s["outbox_depth"], 0, "{s}");
    assert_eq!(s["last_acked_seq"], 1, "{s}");
    assert_eq!(s["central_reachable"], true);
    assert!(s["leases"].as_array().unwrap().iter().any(|l| l["service"] == "household" && l["left"].as_u64().unwrap() > 0), "{s}");

    // The counter calls it.
    assert_eq!(run(&["sync", "--config", cfg(&counter)]).0, 0);
    let (code, out, err) = run(&["counter", "--config", cfg(&counter), "call"]);
    assert_eq!(code, 0, "{err}");
    assert!(out.contains(&format!("请 {} 号到 1 号窗口办理", t["number"].as_str().unwrap())), "{out}");
    let (code, out, _) = run(&["counter", "--config", cfg(&counter), "finish"]);
    assert_eq!(code, 0, "{out}");
    let (code, out, _) = run(&["counter", "--config", cfg(&counter), "call"]);
    assert_eq!(code, 0);
    assert!(out.contains("nobody is waiting"), "{out}");
    // Finishing with nobody at the window is refused, with a reason, exit 1.
    let (code, out, _) = run(&["counter", "--config", cfg(&counter), "finish"]);
    assert_eq!(code, 1, "{out}");
    assert!(out.contains("refused"), "{out}");

    // Central goes away: tickets are still issued (exit 0), and stay queued.
    drop(central);
    std::thread::sleep(std::time::Duration::from_millis(200));
    let (code, out, err) = run(&["ticket", "--config", cfg(&kiosk), "--service", "household"]);
    assert_eq!(code, 0, "{err}");
    assert!(serde_json::from_str::<serde_json::Value>(out.trim()).is_ok());
    let (code, out, _) = run(&["status", "--config", cfg(&kiosk), "--json"]);
    assert_eq!(code, 0);
    let s: serde_json::Value = serde_json::from_str(out.trim()).unwrap();
    assert_eq!(s["outbox_depth"], 1, "{s}");
    assert_eq!(s["central_reachable"], false);
    // sync and counter say "offline" with exit code 3.
    assert_eq!(run(&["sync", "--config", cfg(&kiosk)]).0, 3);
    let (code, _, err) = run(&["counter", "--config", cfg(&counter), "call"]);
    assert_eq!(code, 3, "{err}");
    assert!(err.contains("unreachable"), "{err}");
}

#[test]
fn bad_config_is_a_clear_error() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("bad.toml");
    std::fs::write(
        &path,
        "[device]\nid = \"kiosk-1\"\nrole = \"counter\"\nhall = \"xuhui\"\n[central]\nurl = \"http://127.0.0.1:1\"\n[store]\npath = \"x.db\"\n",
    )
    .unwrap();
    let (code, _, err) = run(&["status", "--config", cfg(&path)]);
    assert_eq!(code, 1);
    assert!(err.contains("window"), "{err}");
    let (code, _, err) = run(&["status", "--config", "/nonexistent/kiosk.toml"]);
    assert_eq!(code, 1);
    assert!(err.contains("/nonexistent/kiosk.toml"), "{err}");
}
