//! Scenario: **a counter run by its keypad, with its window's LED panel**. Central on loopback, a
//! counter (`kiosk run`, a real process) with `[keypad]` on a simulated serial keypad and `[led]`
//! on a simulated Modbus panel (`kiosk sim keypad`, `kiosk sim led`: real bytes over ptys). Keys
//! pressed on the keypad call, recall and finish tickets at central, and each call shows on the
//! panel.

mod common;

use std::io::{BufRead, BufReader, Write};
use std::process::{Command, Stdio};
use std::sync::mpsc;
use std::time::Duration;

use hall_e2e::ChildGuard;

/// Starts a simulator; returns it, its stdin, a channel of its later stdout lines, and the
/// endpoint from its first line.
fn start_sim(args: &[&str]) -> (ChildGuard, Option<std::process::ChildStdin>, mpsc::Receiver<String>, String) {
    let mut child = ChildGuard::spawn(Command::new(hall_e2e::bin_path("kiosk")).args(args).stdin(Stdio::piped()).stdout(Stdio::piped()).stderr(Stdio::null()))
        .expect("spawn sim");
    let stdin = child.stdin.take();
    let mut out = BufReader::new(child.stdout.take().expect("stdout"));
    let mut first = String::new();
    out.read_line(&mut first).expect("first line");
    let endpoint = first.trim().strip_prefix("listening on ").expect("listening line").to_owned();
    let (tx, rx) = mpsc::channel();
    std::thread::spawn(move || {
        for line in out.lines().map_while(Result::ok) {
            if tx.send(line).is_err() {
                return;
            }
        }
    });
    (child, stdin, rx, endpoint)
}

#[test]
fn keypad_presses_call_and_finish_tickets_and_the_panel_shows_each_call() {
    let dir = tempfile::tempdir().unwrap();
    let central = common::TestCentral::start(dir.path());
    let url = central.url();
    let kiosk = common::device_config(dir.path(), "kiosk-1", "kiosk", None, &url);
    let counter = common::device_config(dir.path(), "counter-1", "counter", Some(1), &url);

    let (_keypad, keypad_in, _keypad_out, keypad_pty) = start_sim(&["sim", "keypad", "--pty"]);
    let mut keypad_in = keypad_in.expect("keypad stdin");
    let snapshots = dir.path().join("panel");
    let (_panel, _, panel_out, panel_pty) =
        start_sim(&["sim", "led", "--pty", "--size", "128x16", "--snapshots", snapshots.to_str().unwrap(), "--seconds", "120"]);
    let devices = format!(
        "\n[keypad]\nport = \"{keypad_pty}\"\nkeys = [{{ key = \"1\", action = \"call_next\" }}, {{ key = \"2\", action = \"recall\" }}, {{ key = \"4\", action = \"finish\" }}]\n\n[led]\nport = \"{panel_pty}\"\n"
    );
    std::fs::write(&counter, std::fs::read_to_string(&counter).unwrap() + &devices).unwrap();

    common::sync_until_clean(&kiosk, 5);
    let mut numbers = Vec::new();
    for _ in 0..2 {
        let out = common::kiosk(&["ticket", "--config", kiosk.to_str().unwrap(), "--service", "household"]);
        assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
        let v: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
        numbers.push(v["number"].as_str().unwrap().to_owned());
    }
    common::sync_until_clean(&counter, 5);
    let mut counter_run = ChildGuard::spawn(
        Command::new(hall_e2e::bin_path("kiosk"))
            .args(["run", "--config", counter.to_str().unwrap()])
            .env("RUST_LOG", "info")
            .stdout(Stdio::null())
            .stderr(Stdio::piped()),
    )
    .expect("kiosk run (counter)");
    // Press only once the counter has its keypad open (it logs "keypad ready").
    let log = BufReader::new(counter_run.stderr.take().expect("stderr"));
    let (ready_tx, ready) = mpsc::channel();
    std::thread::spawn(move || {
        for line in log.lines().map_while(Result::ok) {
            if line.contains("keypad ready") {
                let _ = ready_tx.send(());
            }
        }
    });
    ready.recv_timeout(Duration::from_secs(60)).expect("the counter opens its keypad");

    let press = |keys: &str, keypad_in: &mut std::process::ChildStdin| {
        writeln!(keypad_in, "{keys}").unwrap();
        keypad_in.flush().unwrap();
    };
    let next_show = || panel_out.recv_timeout(Duration::from_secs(30)).expect("the panel shows the call");
    press("1", &mut keypad_in);
    assert!(next_show().starts_with("show 1:"));
    press("2", &mut keypad_in);
    assert!(next_show().starts_with("show 2:"), "a recall shows (and blinks) again");
    press("4", &mut keypad_in);
    press("1", &mut keypad_in);
    assert!(next_show().starts_with("show 3:"));
    assert!(snapshots.join("led-0003.png").exists(), "the panel drew each call");

    // Central has the first ticket served and the second called to window 1.
    let days = std::iter::once(chrono::Local::now().date_naive().to_string()).collect();
    let mut seen = String::new();
    for _ in 0..50 {
        let tickets = common::central_tickets(&central, &days);
        seen = format!("{:?}", tickets.iter().map(|t| (t.number.to_string(), format!("{:?}", t.state))).collect::<Vec<_>>());
        if tickets.iter().any(|t| t.number.to_string() == numbers[0] && format!("{:?}", t.state).contains("Served")) {
            break;
        }
        std::thread::sleep(Duration::from_millis(100));
    }
    assert!(seen.contains(&numbers[0]) && seen.contains("Served"), "{seen}");
}
