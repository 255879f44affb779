//! Scenario: **the board announces calls**. Central on loopback, a board (`kiosk run`, a real
//! process) following the push stream with `[voice]` (espeak-ng) writing to WAV files, a kiosk
//! issuing two tickets and a counter calling, recalling and calling again: the board writes one
//! announcement per call, in order, each a real recording.

mod common;

use std::path::Path;
use std::time::{Duration, Instant};

use hall_e2e::ChildGuard;

fn wavs(dir: &Path) -> Vec<String> {
    let mut names: Vec<String> = std::fs::read_dir(dir)
        .map(|d| d.filter_map(|e| e.ok()).map(|e| e.file_name().to_string_lossy().into_owned()).filter(|n| n.ends_with(".wav")).collect())
        .unwrap_or_default();
    names.sort();
    names
}

fn wait_for_wavs(dir: &Path, n: usize) -> Vec<String> {
    let deadline = Instant::now() + Duration::from_secs(60);
    loop {
        let found = wavs(dir);
        if found.len() >= n || Instant::now() > deadline {
            return found;
        }
        std::thread::sleep(Duration::from_millis(100));
    }
}

#[test]
fn a_board_announces_each_call_and_recall_in_order() {
    let dir = tempfile::tempdir().unwrap();
    let central = common::TestCentral::start(dir.path());
    let url = central.url();
    let kiosk = common::device_config(dir.path(), "kiosk-1", "kiosk", None, &url);
    let counter = common::device_config(dir.path(), "counter-1", "counter", Some(1), &url);
    let board = common::device_config(dir.path(), "board-1", "board", None, &url);
    // espeak-ng only, so the test does not depend on a voice pack; one round per call, and recalls
    // are not merged (the merge window is tested in device-drivers).
    let voice = "\n[voice]\nengine = \"espeak\"\npacks = []\n[voice.queue]\nrepeat = 1\nmerge_window_ms = 0\ngap_ms = 0\n\n[speaker]\noutput = \"wav\"\nwav_dir = \"announcements\"\n";
    std::fs::write(&board, std::fs::read_to_string(&board).unwrap() + voice).unwrap();
    let announcements = dir.path().join("announcements");

    let _board = ChildGuard::spawn(
        std::process::Command::new(hall_e2e::bin_path("kiosk"))
            .args(["run", "--config", board.to_str().unwrap()])
            .env("RUST_LOG", "warn")
            .stdout(std::process::Stdio::null())
            .stderr(std::process::Stdio::null()),
    )
    .expect("kiosk run (board)");

    let cfg = |p: &Path| p.to_str().unwrap().to_owned();
    let number = |out: &std::process::Output| -> String {
        let v: serde_json::Value = serde_json::from_slice(&out.stdout).expect("ticket JSON");
        v["number"].as_str().unwrap().to_owned()
    };
    common::sync_until_clean(&kiosk, 5);
    let first = common::kiosk(&["ticket", "--config", &cfg(&kiosk), "--service", "household"]);
    assert!(first.status.success(), "{}", String::from_utf8_lossy(&first.stderr));
    let second = common::kiosk(&["ticket", "--config", &cfg(&kiosk), "--service", "household"]);
    let (first, second) = (number(&first), number(&second));
    common::sync_until_clean(&counter, 5);
    // Give the board time to connect to the stream before the first call.
    std::thread::sleep(Duration::from_millis(500));

    for (action, expect) in [("call", &first), ("recall", &first), ("call", &second)] {
        let out = common::kiosk(&["counter", "--config", &cfg(&counter), action]);
        assert!(out.status.success(), "{action}: {}", String::from_utf8_lossy(&out.stderr));
        assert!(String::from_utf8_lossy(&out.stdout).contains(expect.as_str()), "{action}");
    }
    let found = wait_for_wavs(&announcements, 3);
    assert_eq!(found, vec![format!("0001-{first}.wav"), format!("0002-{first}.wav"), format!("0003-{second}.wav")], "one announcement per call, in order");
    for name in &found {
        let bytes = std::fs::read(announcements.join(name)).unwrap();
        // A few seconds of 22 kHz speech, not an empty file.
        assert!(bytes.len() > 50_000, "{name}: {} bytes", bytes.len());
    }
}
