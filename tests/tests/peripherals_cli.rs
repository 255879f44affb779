//! Technician commands against the simulators, as separate processes speaking the real bytes:
//! `kiosk sim printer` + `kiosk doctor printer` over TCP, `kiosk sim idcard` + `kiosk doctor idcard`
//! over a pseudo-terminal, `kiosk sim led` + `kiosk doctor led` over a pseudo-terminal.

use std::io::{BufRead, BufReader, Read};
use std::process::{Command, Stdio};

use hall_e2e::{ChildGuard, bin_path};

/// Starts `kiosk ARGS` and returns it with the endpoint from its first line (`listening on X`).
fn start_sim(args: &[&str]) -> (ChildGuard, BufReader<std::process::ChildStdout>, String) {
    let mut child =
        ChildGuard::spawn(Command::new(bin_path("kiosk")).args(args).stdin(Stdio::piped()).stdout(Stdio::piped()).stderr(Stdio::null())).expect("spawn sim");
    let mut out = BufReader::new(child.stdout.take().expect("stdout"));
    let mut first = String::new();
    out.read_line(&mut first).expect("first line");
    let endpoint = first.trim().strip_prefix("listening on ").unwrap_or_else(|| panic!("unexpected first line {first:?}")).to_owned();
    (child, out, endpoint)
}

fn kiosk(args: &[&str]) -> (i32, String, String) {
    let out = Command::new(bin_path("kiosk")).args(args).output().expect("kiosk runs");
    (out.status.code().unwrap_or(-1), String::from_utf8_lossy(&out.stdout).into_owned(), String::from_utf8_lossy(&out.stderr).into_owned())
}

fn example(name: &str) -> String {
    hall_e2e::central_fixture::repo_root().join("examples/cards").join(name).to_str().unwrap().to_owned()
}

#[test]
fn printer_doctor_prints_a_test_ticket_the_simulator_reads_back() {
    let dump = tempfile::tempdir().unwrap();
    let dump_dir = dump.path().to_str().unwrap();
    let (_sim, mut out, endpoint) = start_sim(&["sim", "printer", "--tcp", "127.0.0.1:0", "--paper", "58mm", "--tickets", "1", "--dump", dump_dir]);
    let addr = endpoint.strip_prefix("tcp://").expect("tcp endpoint");
    let (code, stdout, stderr) = kiosk(&["doctor", "printer", "--tcp", addr, "--paper", "58mm", "--test-ticket"]);
    assert_eq!(code, 0, "{stdout}{stderr}");
    assert!(stdout.contains("printer: ready") && stdout.contains("test ticket printed"), "{stdout}");
    let mut printed = String::new();
    out.read_to_string(&mut printed).unwrap();
    for text in ["徐汇区行政服务中心", "户籍办理", "A012", "4x4", "QR", "cut"] {
        assert!(printed.contains(text), "{text:?} missing from what the printer got:\n{printed}");
    }
    // The simulator keeps the paper as a picture: 58 mm is 384 dots wide.
    assert!(printed.contains("picture: "), "{printed}");
    let png = std::fs::read(dump.path().join("ticket-0001.png")).expect("a picture of the ticket");
    let picture = device_drivers::idcard::image_file::decode_png(&png).unwrap();
    assert_eq!(picture.width(), 384);
    assert!(picture.pixels().iter().any(|&v| v < 128), "something is printed on it");
}

#[test]
fn printer_doctor_refuses_with_the_reason_when_paper_is_out() {
    let (_sim, _out, endpoint) = start_sim(&["sim", "printer", "--tcp", "127.0.0.1:0", "--condition", "paper-end"]);
    let addr = endpoint.strip_prefix("tcp://").expect("tcp endpoint");
    let (code, stdout, stderr) = kiosk(&["doctor", "printer", "--tcp", addr, "--test-ticket"]);
    assert_ne!(code, 0);
    assert!(format!("{stdout}{stderr}").contains("paper"), "{stdout}{stderr}");
    let (code, _, stderr) = kiosk(&["doctor", "printer", "--tcp", "127.0.0.1:1", "--timeout", "1"]);
    assert_ne!(code, 0);
    assert!(!stderr.is_empty());
}

#[test]
fn idcard_doctor_reads_masks_and_reports_expiry() {
    let (_sim, _out, pty) = start_sim(&["sim", "idcard", "--pty", "--card", &example("resident.toml"), "--seconds", "60"]);
    let (code, stdout, stderr) = kiosk(&["doctor", "idcard", "--port", &pty, "--timeout", "10", "--json"]);
    assert_eq!(code, 0, "{stderr}");
    let v: serde_json::Value = serde_json::from_str(stdout.trim()).expect("one JSON object");
    for key in ["card_type", "name", "sex", "ethnicity", "birth_date", "address", "id_number", "authority", "valid_from", "valid_until", "expired", "photo"] {
        assert!(v.get(key).is_some(), "missing {key}: {v}");
    }
    assert_eq!(v["id_number"], "110105********1239", "masked by default");
    assert_eq!(v["photo"]["decoded"], false, "no WLT decoder configured: {v}");
    assert!(v["photo"]["reason"].as_str().unwrap().contains("staffed"), "the fallback is named: {v}");
    assert_eq!(v["expired"], false);
    assert!(!stdout.contains("110105199003071239"));
    let (code, stdout, _) = kiosk(&["doctor", "idcard", "--port", &pty, "--timeout", "10", "--json", "--show-pii"]);
    assert_eq!(code, 0);
    assert!(stdout.contains("110105199003071239"));

    let (_sim2, _out2, pty2) = start_sim(&["sim", "idcard", "--pty", "--card", &example("expired.toml"), "--seconds", "60"]);
    let (code, stdout, _) = kiosk(&["doctor", "idcard", "--port", &pty2, "--timeout", "10", "--json"]);
    assert_eq!(code, 0);
    assert!(stdout.contains("\"expired\":true"), "{stdout}");
}

#[test]
fn a_reader_that_decodes_photos_gives_the_photo_which_only_show_pii_saves() {
    let (_sim, _out, pty) = start_sim(&["sim", "idcard", "--pty", "--decodes-photos", "--card", &example("resident.toml"), "--seconds", "60"]);
    let (code, stdout, stderr) = kiosk(&["doctor", "idcard", "--port", &pty, "--timeout", "10", "--json", "--reader-decodes-photo"]);
    assert_eq!(code, 0, "{stderr}");
    let v: serde_json::Value = serde_json::from_str(stdout.trim()).expect("one JSON object");
    assert_eq!(v["photo"]["format"], "bmp", "{v}");
    assert_eq!(v["photo"]["decoded"], true, "{v}");
    assert_eq!(v["photo"]["by"], "reader", "{v}");
    assert_eq!((v["photo"]["width"].as_u64(), v["photo"]["height"].as_u64()), (Some(102), Some(126)));
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("photo.png");
    let out = out.to_str().unwrap();
    let (code, _, stderr) = kiosk(&["doctor", "idcard", "--port", &pty, "--timeout", "10", "--reader-decodes-photo", "--save-photo", out]);
    assert_ne!(code, 0, "saving a face needs --show-pii");
    assert!(stderr.contains("--show-pii"), "{stderr}");
    let (code, _, stderr) = kiosk(&["doctor", "idcard", "--port", &pty, "--timeout", "10", "--reader-decodes-photo", "--show-pii", "--save-photo", out]);
    assert_eq!(code, 0, "{stderr}");
    let saved = std::fs::read(out).unwrap();
    let want = std::fs::read(example("resident-photo.png")).unwrap();
    let decode = |b: &[u8]| device_drivers::idcard::image_file::decode_png(b).unwrap();
    assert_eq!(decode(&saved), decode(&want), "the photo saved is the card's photo, pixel for pixel");
}

#[test]
fn a_simulator_that_decodes_photos_needs_a_photo_on_every_card() {
    let (code, _, stderr) = kiosk(&["sim", "idcard", "--pty", "--decodes-photos", "--card", &example("expired.toml"), "--seconds", "1"]);
    assert_ne!(code, 0);
    assert!(stderr.contains("no `photo` image"), "{stderr}");
}

#[test]
fn idcard_doctor_explains_reader_failures() {
    let (_sim, _out, pty) = start_sim(&["sim", "idcard", "--pty", "--card", &example("resident.toml"), "--fault", "sam-error:60", "--seconds", "60"]);
    let (code, _, stderr) = kiosk(&["doctor", "idcard", "--port", &pty, "--timeout", "5"]);
    assert_ne!(code, 0);
    assert!(stderr.contains("SAM"), "{stderr}");
    let (code, _, stderr) = kiosk(&["doctor", "idcard", "--port", "/dev/nonexistent-reader", "--timeout", "1"]);
    assert_ne!(code, 0);
    assert!(stderr.contains("cannot open"), "{stderr}");
    // A reader whose every answer is corrupt: resent, then a typed error about checksums.
    let (_bad, _o, bad_pty) = start_sim(&["sim", "idcard", "--pty", "--card", &example("resident.toml"), "--fault", "bad-checksum", "--seconds", "60"]);
    let (code, _, stderr) = kiosk(&["doctor", "idcard", "--port", &bad_pty, "--timeout", "5"]);
    assert_ne!(code, 0);
    assert!(stderr.to_lowercase().contains("checksum"), "{stderr}");
    // Something on the port that never answers (here a keypad simulator, which only sends keys).
    let (_silent, _o2, silent_pty) = start_sim(&["sim", "keypad", "--pty"]);
    let (code, _, stderr) = kiosk(&["doctor", "idcard", "--port", &silent_pty, "--timeout", "5"]);
    assert_ne!(code, 0);
    assert!(stderr.contains("did not") || stderr.contains("answer"), "{stderr}");
}

/// Print after commit: a kiosk with a printer prints each ticket once it is durable; a printer out
/// of paper leaves the ticket issued but unprinted (exit 0, `printed: false`), and `kiosk reprint`
/// prints it later with the same number.
#[test]
fn tickets_print_after_commit_and_reprint_with_the_same_number() {
    let dir = tempfile::tempdir().unwrap();
    let central = hall_e2e::central_fixture::TestCentral::start(dir.path());
    let (sim, _out, endpoint) = start_sim(&["sim", "printer", "--tcp", "127.0.0.1:0", "--condition", "paper-end"]);
    let addr = endpoint.strip_prefix("tcp://").unwrap().to_owned();
    let config = dir.path().join("kiosk-1.toml");
    std::fs::write(
        &config,
        format!(
            "[device]\nid = \"kiosk-1\"\nrole = \"kiosk\"\nhall = \"xuhui\"\n[central]\nurl = \"{}\"\n[store]\npath = \"kiosk-1.db\"\n[printer]\ntcp = \"{addr}\"\npaper = \"58mm\"\ntimeout_ms = 1000\n",
            central.url()
        ),
    )
    .unwrap();
    let cfg = config.to_str().unwrap();
    assert_eq!(kiosk(&["sync", "--config", cfg]).0, 0);

    let (code, stdout, stderr) = kiosk(&["ticket", "--config", cfg, "--service", "household", "--no-push"]);
    assert_eq!(code, 0, "the ticket is durable even when it cannot print: {stderr}");
    let t: serde_json::Value = serde_json::from_str(stdout.trim()).unwrap();
    assert_eq!(t["printed"], false, "{t}");
    assert!(t["print_error"].as_str().unwrap().contains("paper"), "{t}");
    let number = t["number"].as_str().unwrap().to_owned();
    let (code, stdout, _) = kiosk(&["reprint", "--config", cfg]);
    assert_eq!(code, 1, "still out of paper: {stdout}");
    let health = |cfg: &str| -> serde_json::Value {
        let (code, stdout, _) = kiosk(&["status", "--config", cfg, "--json"]);
        assert_eq!(code, 0);
        serde_json::from_str::<serde_json::Value>(stdout.trim()).unwrap()["printer"].clone()
    };
    let h = health(cfg);
    assert_eq!(h["state"], "failing", "the device's health says the printer is not printing: {h}");
    assert!(h["detail"].to_string().contains("paper"), "{h}");

    // A new roll: the same printer address answers normally now.
    drop(sim);
    let (_sim2, mut out2, _) = start_sim(&["sim", "printer", "--tcp", &addr, "--paper", "58mm", "--tickets", "3"]);
    let (code, stdout, _) = kiosk(&["reprint", "--config", cfg]);
    assert_eq!(code, 0, "{stdout}");
    assert!(stdout.contains("reprinted"), "{stdout}");
    let (code, stdout, _) = kiosk(&["reprint", "--config", cfg]);
    assert_eq!(code, 0);
    assert!(stdout.contains("nothing to reprint"), "a reprinted ticket is not printed again: {stdout}");
    let (code, stdout, _) = kiosk(&["ticket", "--config", cfg, "--service", "household", "--no-push"]);
    assert_eq!(code, 0);
    let t2: serde_json::Value = serde_json::from_str(stdout.trim()).unwrap();
    assert_eq!(t2["printed"], true, "{t2}");
    assert_eq!(health(cfg)["state"], "ok");
    // An appointment check-in issues a ticket too, and prints it the same way.
    let (code, stdout, stderr) = kiosk(&["checkin", "--config", cfg, "--appointment", "YY20261125-0001", "--service", "household"]);
    assert_eq!(code, 0, "{stderr}");
    let t3: serde_json::Value = serde_json::from_str(stdout.trim()).unwrap();
    assert_eq!(t3["printed"], true, "{t3}");
    assert_eq!(t3["priority"], "appointment");
    let mut printed = String::new();
    out2.read_to_string(&mut printed).unwrap();
    assert!(printed.contains(&number), "the reprint carries the original number {number}:\n{printed}");
    assert!(printed.contains(t2["number"].as_str().unwrap()));
    assert!(printed.contains(t3["number"].as_str().unwrap()));
}

/// Paper running low reaches the device's health with the ticket that found it, while tickets
/// still print.
#[test]
fn paper_near_end_prints_and_shows_in_the_device_health() {
    let dir = tempfile::tempdir().unwrap();
    let central = hall_e2e::central_fixture::TestCentral::start(dir.path());
    let (_sim, _out, endpoint) = start_sim(&["sim", "printer", "--tcp", "127.0.0.1:0", "--condition", "paper-near-end"]);
    let addr = endpoint.strip_prefix("tcp://").unwrap().to_owned();
    let config = dir.path().join("kiosk-1.toml");
    let text = format!(
        "[device]\nid = \"kiosk-1\"\nrole = \"kiosk\"\nhall = \"xuhui\"\n[central]\nurl = \"{}\"\n[store]\npath = \"kiosk-1.db\"\n[printer]\ntcp = \"{addr}\"\ntimeout_ms = 1000\n",
        central.url()
    );
    std::fs::write(&config, text).unwrap();
    let cfg = config.to_str().unwrap();
    assert_eq!(kiosk(&["sync", "--config", cfg]).0, 0);
    let (code, stdout, stderr) = kiosk(&["ticket", "--config", cfg, "--service", "household", "--no-push"]);
    assert_eq!(code, 0, "{stderr}");
    let t: serde_json::Value = serde_json::from_str(stdout.trim()).unwrap();
    assert_eq!(t["printed"], true, "{t}");
    assert!(t["print_warnings"].to_string().contains("paper"), "{t}");
    let (code, stdout, _) = kiosk(&["status", "--config", cfg]);
    assert_eq!(code, 0);
    assert!(stdout.contains("printer       warning"), "{stdout}");
    assert!(stdout.contains("paper"), "{stdout}");
}

#[test]
fn led_doctor_shows_a_call_the_simulated_panel_draws_and_reports_a_silent_panel() {
    let snapshots = tempfile::tempdir().unwrap();
    let dir = snapshots.path().to_str().unwrap();
    let (_sim, mut out, pty) = start_sim(&["sim", "led", "--pty", "--size", "128x16", "--snapshots", dir, "--seconds", "60"]);
    let (code, stdout, stderr) = kiosk(&["doctor", "led", "--port", &pty, "--text", "请A012号到3号窗口", "--json"]);
    assert_eq!(code, 0, "{stdout}{stderr}");
    let report: serde_json::Value = serde_json::from_str(stdout.trim()).expect("one JSON object");
    assert_eq!(report["text"], "请A012号到3号窗口");
    assert_eq!(report["problems"].as_array().map(Vec::len), Some(0), "{report}");
    let mut line = String::new();
    out.read_line(&mut line).unwrap();
    assert!(line.starts_with("show 1:") && line.contains("3 blinks"), "{line}");
    let png = std::fs::read(snapshots.path().join("led-0001.png")).expect("the panel drew what it showed");
    assert!(device_drivers::idcard::image_file::decode_png(&png).is_ok());

    let (_silent, _o, silent_pty) = start_sim(&["sim", "led", "--pty", "--fault", "no-answer", "--seconds", "60"]);
    let (code, _, stderr) = kiosk(&["doctor", "led", "--port", &silent_pty, "--text", "A012", "--timeout", "0.2"]);
    assert_ne!(code, 0);
    assert!(stderr.contains("answer"), "{stderr}");
    let (code, _, stderr) = kiosk(&["doctor", "led", "--port", "/dev/nonexistent-panel", "--text", "A012"]);
    assert_ne!(code, 0);
    assert!(stderr.contains("could not open"), "{stderr}");
}

/// `kiosk doctor voice`: espeak-ng speaks when there is no voice pack; once `scripts/voice-pack`
/// has built one and the device config points at it, the clips speak.
#[test]
fn voice_doctor_speaks_with_espeak_then_with_the_pack_the_script_builds() {
    let dir = tempfile::tempdir().unwrap();
    let run = |args: &[&str]| {
        let out = Command::new(bin_path("kiosk")).args(args).env("HALLKIT_DATA_DIR", dir.path()).output().expect("kiosk runs");
        (out.status.code().unwrap_or(-1), String::from_utf8_lossy(&out.stdout).into_owned(), String::from_utf8_lossy(&out.stderr).into_owned())
    };
    let wav = dir.path().join("call.wav");
    let (code, stdout, stderr) = run(&["doctor", "voice", "--call", "A012:3", "--wav", wav.to_str().unwrap(), "--json"]);
    assert_eq!(code, 0, "{stderr}");
    let report: serde_json::Value = serde_json::from_str(stdout.trim()).expect("one JSON object");
    assert_eq!(report["engine"], "espeak", "no pack yet: {report}");
    assert!(report["segments"][0]["fallback"].as_str().unwrap_or("").contains("scripts/voice-pack"), "says how to get a pack: {report}");
    assert!(report["peak"].as_u64().unwrap() > 1000, "not silence: {report}");
    assert!(std::fs::metadata(&wav).unwrap().len() > 10_000);

    let pack = dir.path().join("voice/zh-default");
    let built = Command::new(hall_e2e::central_fixture::repo_root().join("scripts/voice-pack")).arg(&pack).output().unwrap();
    assert!(built.status.success(), "{}", String::from_utf8_lossy(&built.stderr));
    let (code, stdout, stderr) = run(&["doctor", "voice", "--call", "A012:3", "--wav", wav.to_str().unwrap(), "--json"]);
    assert_eq!(code, 0, "{stderr}");
    let report: serde_json::Value = serde_json::from_str(stdout.trim()).unwrap();
    assert_eq!(report["engine"], "clips", "{report}");
    assert!(report["segments"][0]["spoken"].to_string().contains("letters/A.wav"), "{report}");

    // Without --wav this build (no audio-alsa feature) has no sound card: say so, fail.
    let (code, _, stderr) = run(&["doctor", "voice", "--text", "测试"]);
    assert_ne!(code, 0);
    assert!(stderr.contains("--wav"), "{stderr}");
}

/// The USB forms of the doctors: without the device (and, on this kind of machine, without any USB
/// bus) they fail with a message that says what is missing; a malformed VID:PID is refused at once.
#[test]
fn usb_doctors_say_what_is_missing() {
    for args in [&["doctor", "printer", "--usb", "0416:5011"][..], &["doctor", "idcard", "--usb", "0400:c35a", "--timeout", "1"][..], &["doctor", "usb"][..]] {
        let (code, _, stderr) = kiosk(args);
        let listed = args == ["doctor", "usb"] && code == 0;
        if !listed {
            assert_ne!(code, 0, "{args:?}");
            assert!(stderr.contains("USB is not available") || stderr.contains("no USB device"), "{args:?}: {stderr}");
        }
    }
    let (code, _, stderr) = kiosk(&["doctor", "printer", "--usb", "printer"]);
    assert_eq!(code, 2, "a usage error");
    assert!(stderr.contains("VID:PID") || stderr.contains("hex"), "{stderr}");
}

/// `kiosk doctor --config FILE`: one row per configured peripheral, against the simulators; a
/// printer out of paper makes the row and the exit code say so.
#[test]
fn doctor_with_a_config_checks_every_configured_peripheral() {
    let dir = tempfile::tempdir().unwrap();
    let (_printer, _o1, printer_at) = start_sim(&["sim", "printer", "--tcp", "127.0.0.1:0"]);
    let (_reader, _o2, reader_pty) = start_sim(&["sim", "idcard", "--pty", "--card", &example("resident.toml"), "--seconds", "60"]);
    let (_panel, _o3, panel_pty) = start_sim(&["sim", "led", "--pty", "--seconds", "60"]);
    let (_keypad, _o4, keypad_pty) = start_sim(&["sim", "keypad", "--pty"]);
    let head = |id: &str, role: &str, window: &str| {
        format!("[device]\nid = \"{id}\"\nrole = \"{role}\"\nhall = \"xuhui\"\n{window}[central]\nurl = \"http://127.0.0.1:9\"\n[store]\npath = \"{id}.db\"\n")
    };
    let kiosk_cfg = dir.path().join("kiosk.toml");
    let printer_addr = printer_at.strip_prefix("tcp://").unwrap();
    std::fs::write(
        &kiosk_cfg,
        format!(
            "{}[printer]\ntcp = \"{printer_addr}\"\n[idcard]\nport = \"{reader_pty}\"\n[voice]\nengine = \"espeak\"\npacks = []\n[speaker]\noutput = \"wav\"\nwav_dir = \"calls\"\n",
            head("kiosk-1", "kiosk", "")
        ),
    )
    .unwrap();
    let (code, stdout, stderr) = kiosk(&["doctor", "--config", kiosk_cfg.to_str().unwrap(), "--json"]);
    assert_eq!(code, 0, "{stdout}{stderr}");
    let rows: serde_json::Value = serde_json::from_str(stdout.trim()).unwrap();
    let devices: Vec<_> =
        rows.as_array().unwrap().iter().map(|r| (r["device"].as_str().unwrap().to_owned(), r["health"].as_str().unwrap().to_owned())).collect();
    assert_eq!(devices, [("printer", "ok"), ("idcard", "ok"), ("voice", "ok")].map(|(d, h)| (d.to_owned(), h.to_owned())), "{rows}");

    let counter_cfg = dir.path().join("counter.toml");
    std::fs::write(
        &counter_cfg,
        format!(
            "{}[led]\nport = \"{panel_pty}\"\n[keypad]\nport = \"{keypad_pty}\"\nkeys = [{{ key = \"1\", action = \"call_next\" }}]\n",
            head("counter-1", "counter", "window = 1\n")
        ),
    )
    .unwrap();
    let (code, stdout, stderr) = kiosk(&["doctor", "--config", counter_cfg.to_str().unwrap()]);
    assert_eq!(code, 0, "{stdout}{stderr}");
    assert!(stdout.contains("led ") && stdout.contains("keypad "), "{stdout}");

    // Out of paper: the printer's row fails, and so does the command.
    let (_empty, _o5, empty_at) = start_sim(&["sim", "printer", "--tcp", "127.0.0.1:0", "--condition", "paper-end"]);
    let text = std::fs::read_to_string(&kiosk_cfg).unwrap().replace(printer_addr, empty_at.strip_prefix("tcp://").unwrap());
    std::fs::write(&kiosk_cfg, text).unwrap();
    let (code, stdout, _) = kiosk(&["doctor", "--config", kiosk_cfg.to_str().unwrap()]);
    assert_eq!(code, 1, "{stdout}");
    assert!(stdout.lines().any(|l| l.starts_with("printer") && l.contains("FAILING") && l.contains("paper")), "{stdout}");
}
