//! The production LED panel driver against the simulated panel over a pty: what the driver
//! rendered is what the panel holds, each fault gives its typed error, the technician's check
//! reports in words, and the golden pictures of a 128×16 and a 256×32 panel.

use std::path::{Path, PathBuf};
use std::time::Duration;

use device_drivers::led::modbus::ExceptionCode;
use device_drivers::led::picture::DotStyle;
use device_drivers::led::sim::{Fault, PanelSim, SimOptions};
use device_drivers::led::text::render_text;
use device_drivers::led::{
    Brightness, DoctorOptions, DriverConfig, Effect, Geometry, LedError, ModbusPanel, Scene, SlaveAddress, TextLayout, WindowPanel, doctor,
};
use device_drivers::transport::{SerialTransport, TcpTransport};
use device_drivers::{Error as _, ErrorKind};

const WAIT: Duration = Duration::from_secs(3);
/// Short, for the fault scenarios that wait out every attempt.
const QUICK: Duration = Duration::from_millis(150);

fn sim(geometry: Geometry) -> PanelSim {
    PanelSim::pty(&SimOptions::new(geometry)).expect("a pty for the simulated panel")
}

fn config(response_timeout: Duration, retries: u8) -> DriverConfig {
    DriverConfig { baud: 115_200, response_timeout, retries, busy_backoff: Duration::from_millis(10), ..DriverConfig::default() }
}

fn open(sim: &PanelSim, config: DriverConfig) -> Result<ModbusPanel<SerialTransport>, LedError> {
    let transport = SerialTransport::open(sim.pty_path().expect("a pty simulator"), config.baud, WAIT).expect("opens the simulator's pty");
    ModbusPanel::connect(transport, config)
}

fn panel(sim: &PanelSim) -> ModbusPanel<SerialTransport> {
    open(sim, config(WAIT, 2)).expect("the simulated panel answers")
}

#[test]
fn the_panel_holds_exactly_what_the_driver_rendered() {
    let cases = [
        (Geometry::WINDOW_64X16, "A012 3号", Effect::CALL),
        (Geometry::WINDOW_128X16, "A012 → 3号窗口", Effect::CALL),
        (Geometry::WINDOW_128X16, "请A012号到3号窗口办理", Effect::STEADY),
        (Geometry::STRIP_256X32, "请A012号到3号窗口", Effect::CALL.with_blinks(5)),
    ];
    for (geometry, text, effect) in cases {
        let sim = sim(geometry);
        let mut panel = panel(&sim);
        assert_eq!(panel.geometry(), geometry, "the driver read the size from the panel");
        let shown = panel.show(text, effect).expect("shows");
        let expected = render_text(text, geometry);
        assert!(shown.missing.is_empty(), "{text}: {:?}", shown.missing);
        assert_eq!(shown.content_width, expected.content.width());
        assert_eq!(shown.scrolls, expected.content.width() > geometry.width(), "{text}");
        let scene = sim.scene().expect("the panel shows something");
        assert_eq!(scene, Scene { geometry, content: expected.content.clone(), effect }, "{text} on {geometry}");
        // And it draws the same frames as the driver's own model of the effect.
        for ms in [0, 299, 300, 4_000, 12_345] {
            let t = Duration::from_millis(ms);
            assert_eq!(sim.frame_at(t), scene.frame_at(t), "{text} at {ms} ms");
        }
    }
}

#[test]
fn a_panel_behind_a_tcp_gateway_is_driven_the_same() {
    let sim = PanelSim::tcp("127.0.0.1:0", &SimOptions::new(Geometry::WINDOW_128X16)).expect("binds");
    let address = sim.tcp_address().expect("a TCP simulator");
    assert_eq!(sim.pty_path(), None);
    let transport = TcpTransport::connect(address.to_string(), WAIT, WAIT).expect("connects");
    let mut panel = ModbusPanel::connect(transport, config(WAIT, 2)).expect("the panel answers");
    assert_eq!(panel.geometry(), Geometry::WINDOW_128X16);
    panel.show("A012 → 3号窗口", Effect::CALL).expect("shows");
    assert_eq!(sim.scene().map(|s| s.content), Some(render_text("A012 → 3号窗口", Geometry::WINDOW_128X16).content));
    sim.inject(Fault::Exception(ExceptionCode::SlaveDeviceFailure), Some(1));
    let err = panel.clear().expect_err("refused");
    assert_eq!(err.kind(), ErrorKind::NeedsAttention);
}

#[test]
fn each_show_is_snapshotted_to_the_folder_for_the_cli() {
    let dir = tempfile::tempdir().expect("a temporary folder");
    let options = SimOptions { snapshot_dir: Some(dir.path().join("shows")), ..SimOptions::new(Geometry::WINDOW_64X16) };
    let sim = PanelSim::pty(&options).expect("a pty");
    let mut panel = panel(&sim);
    panel.show("A012", Effect::CALL).expect("shows");
    panel.show("B007", Effect::CALL).expect("shows");
    assert_eq!(sim.wait_for_show(2, WAIT).map(|s| s.content), Some(render_text("B007", Geometry::WINDOW_64X16).content));
    for (n, text) in [(1, "A012"), (2, "B007")] {
        let file = dir.path().join(format!("shows/led-{n:04}.png"));
        let bytes = std::fs::read(&file).unwrap_or_else(|e| panic!("{}: {e}", file.display()));
        let (w, h, _) = decode(&bytes);
        assert_eq!((w, h), (64 * 8 + 32, 16 * 8 + 32), "{text}: the default dot style");
        let scene = Scene { geometry: Geometry::WINDOW_64X16, content: render_text(text, Geometry::WINDOW_64X16).content, effect: Effect::CALL };
        let expected = device_drivers::led::picture::render_png(&scene.frame_at(Duration::ZERO), &DotStyle::default()).expect("draws");
        assert_eq!(decode(&bytes), decode(&expected), "{text}");
    }
}

#[test]
fn a_long_call_scrolls_on_a_small_panel() {
    let sim = sim(Geometry::WINDOW_64X16);
    let mut panel = panel(&sim);
    let shown = panel.show("请A012号到3号窗口", Effect::CALL).expect("shows");
    assert!(shown.scrolls);
    assert_eq!(shown.layout, TextLayout::SingleLine);
    let blink = Effect::CALL.blink_duration();
    let first = sim.frame_at(blink);
    let later = sim.frame_at(blink + Duration::from_secs(1));
    assert!(!first.is_dark() && !later.is_dark());
    assert_ne!(first, later, "the text moved");
}

#[test]
fn status_brightness_and_clear_reach_the_panel() {
    let sim = sim(Geometry::WINDOW_128X16);
    let mut panel = panel(&sim);
    let status = panel.status().expect("reads the status");
    assert_eq!(status.geometry, Geometry::WINDOW_128X16);
    assert!(!status.showing && !status.led_fault);
    assert_eq!((status.show_count, status.brightness), (0, 15));

    panel.show("A012", Effect::STEADY).expect("shows");
    panel.show("A013", Effect::STEADY).expect("shows");
    panel.set_brightness(Brightness::new(6).expect("a level")).expect("sets the brightness");
    sim.set_led_fault(true);
    let status = panel.status().expect("reads the status");
    assert!(status.showing && status.led_fault);
    assert!(!status.animating, "short steady text neither blinks nor scrolls");
    assert_eq!((status.show_count, status.brightness), (2, 6));
    assert_eq!(sim.panel().brightness(), 6);

    panel.clear().expect("clears");
    assert!(sim.scene().is_none());
    assert!(sim.frame_now().is_dark());
    assert!(!panel.status().expect("reads the status").showing);
}

#[test]
fn a_silent_panel_is_no_answer_after_every_retry() {
    let sim = sim(Geometry::WINDOW_64X16);
    let mut panel = open(&sim, config(QUICK, 2)).expect("connects");
    sim.inject(Fault::NoAnswer, None);
    // Steady, short text: one bitmap request and the commit; the first is never answered.
    let err = panel.show("A012", Effect::STEADY).expect_err("no answer");
    assert!(matches!(err, LedError::NoAnswer { attempts: 3, .. }), "{err:?}");
    assert_eq!(err.kind(), ErrorKind::Timeout);
    assert!(err.to_string().contains("did not answer"), "{err}");
    // Each attempt was sent: the panel heard 1 (connect) + 3 requests, and, once it answers
    // again, the next one (whose answer shows the earlier ones were all handled).
    sim.clear_faults();
    panel.status().expect("answers again");
    assert_eq!(sim.panel().requests(), 5);
    // The bitmap writes were carried out but never confirmed, so the driver never sent the
    // commit: the panel shows nothing new rather than something unconfirmed.
    assert!(sim.scene().is_none());
}

#[test]
fn one_lost_answer_is_retried_and_the_call_shown() {
    let sim = sim(Geometry::WINDOW_64X16);
    let mut panel = open(&sim, config(QUICK, 2)).expect("connects");
    sim.inject(Fault::NoAnswer, Some(1));
    panel.show("A012", Effect::CALL).expect("the retry succeeds");
    assert_eq!(sim.scene().map(|s| s.content), Some(render_text("A012", Geometry::WINDOW_64X16).content));
}

#[test]
fn corrupt_answers_are_a_protocol_error() {
    let sim = sim(Geometry::WINDOW_64X16);
    let mut panel = open(&sim, config(QUICK, 1)).expect("connects");
    sim.inject(Fault::BadCrc, None);
    let err = panel.status().expect_err("corrupt");
    assert!(matches!(err, LedError::Corrupt { attempts: 2, .. }), "{err:?}");
    assert_eq!(err.kind(), ErrorKind::Protocol);
    assert!(err.to_string().contains("CRC"), "{err}");
    // One corrupt answer is retried.
    sim.clear_faults();
    sim.inject(Fault::BadCrc, Some(1));
    assert_eq!(panel.status().expect("the retry succeeds").geometry, Geometry::WINDOW_64X16);
}

#[test]
fn exceptions_are_typed_and_only_busy_is_retried() {
    let sim = sim(Geometry::WINDOW_64X16);
    let mut panel = open(&sim, config(QUICK, 2)).expect("connects");

    sim.inject(Fault::Exception(ExceptionCode::SlaveDeviceFailure), None);
    let err = panel.show("A012", Effect::CALL).expect_err("refused");
    assert!(matches!(err, LedError::Exception { function: 0x10, code: ExceptionCode::SlaveDeviceFailure, .. }), "{err:?}");
    assert_eq!(err.kind(), ErrorKind::NeedsAttention);
    assert_eq!(sim.panel().requests(), 2, "a refusal is final: not retried");
    assert!(sim.scene().is_none(), "nothing was shown");

    sim.clear_faults();
    sim.inject(Fault::Exception(ExceptionCode::IllegalDataAddress), Some(1));
    let err = panel.status().expect_err("refused");
    assert!(matches!(err, LedError::Exception { function: 0x03, code: ExceptionCode::IllegalDataAddress, .. }), "{err:?}");
    assert_eq!(err.kind(), ErrorKind::Protocol);
    assert!(err.to_string().contains("register map"), "{err}");

    sim.inject(Fault::Exception(ExceptionCode::SlaveDeviceBusy), Some(2));
    panel.show("A012", Effect::CALL).expect("busy twice, then done");
    assert!(sim.scene().is_some());

    sim.inject(Fault::Exception(ExceptionCode::SlaveDeviceBusy), None);
    let err = panel.clear().expect_err("always busy");
    assert!(matches!(err, LedError::Exception { code: ExceptionCode::SlaveDeviceBusy, .. }), "{err:?}");
    assert_eq!(err.kind(), ErrorKind::Timeout);
}

#[test]
fn a_wrong_slave_address_gets_no_answer() {
    let sim = sim(Geometry::WINDOW_64X16);
    let config = DriverConfig { slave: SlaveAddress::new(2).expect("valid"), ..config(QUICK, 0) };
    let err = open(&sim, config).expect_err("nobody at 2");
    assert!(matches!(err, LedError::NoAnswer { attempts: 1, .. }), "{err:?}");
    // The panel at 1 ignored the frame for 2: once it has answered its own, it has counted one.
    panel(&sim);
    assert_eq!(sim.panel().requests(), 1);
}

#[test]
fn the_doctor_reports_in_words() {
    let sim = sim(Geometry::WINDOW_128X16);
    let options =
        DoctorOptions { response_timeout: WAIT, baud: 115_200, ..DoctorOptions::new(sim.pty_path().expect("a pty simulator"), "A012 → 3号窗口") };
    let report = doctor(&options).expect("the check runs");
    assert!(report.healthy(), "{report:?}");
    assert_eq!(report.status.geometry, Geometry::WINDOW_128X16);
    let words = report.describe();
    assert!(words.contains("128×16") && words.contains("all well"), "{words}");
    assert_eq!(sim.scene().map(|s| s.content), Some(render_text("A012 → 3号窗口", Geometry::WINDOW_128X16).content));
    // It serialises, for `--json`.
    let json = serialised(&report);
    assert!(json.contains("128"), "{json}");

    sim.set_led_fault(true);
    let report = doctor(&DoctorOptions { text: "A013𠮷".into(), ..options.clone() }).expect("the check runs");
    assert!(!report.healthy());
    assert_eq!(report.problems.len(), 2, "{:?}", report.problems);
    assert!(report.describe().contains("LED FAULT"), "{}", report.describe());
    assert!(report.problems.iter().any(|p| p.contains('𠮷')), "{:?}", report.problems);

    sim.inject(Fault::NoAnswer, None);
    let err = doctor(&DoctorOptions { response_timeout: QUICK, ..options.clone() }).expect_err("silent");
    assert!(matches!(err, LedError::NoAnswer { .. }), "{err:?}");

    let err = doctor(&DoctorOptions::new("/dev/hallkit-no-such-port", "A012")).expect_err("no port");
    assert_eq!(err.kind(), ErrorKind::Disconnected);
    assert!(err.to_string().contains("/dev/hallkit-no-such-port"), "{err}");
}

/// The report through serde's TOML serialiser (a dev-dependency already), as a CLI would print it.
fn serialised(report: &device_drivers::led::DoctorReport) -> String {
    toml::to_string(report).expect("the report serialises")
}

/// Where golden pictures live.
fn golden_path(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/golden").join(name)
}

/// Decodes a PNG to (width, height, RGB bytes).
fn decode(png_bytes: &[u8]) -> (u32, u32, Vec<u8>) {
    let decoder = png::Decoder::new(std::io::Cursor::new(png_bytes));
    let mut reader = decoder.read_info().expect("a PNG");
    let mut buf = vec![0; reader.output_buffer_size().expect("a size")];
    let info = reader.next_frame(&mut buf).expect("a frame");
    buf.truncate(info.buffer_size());
    (info.width, info.height, buf)
}

/// Compares `actual` with the golden picture `name` pixel for pixel; with HALLKIT_BLESS=1, writes
/// it as the new golden instead.
fn check_golden(name: &str, actual: &[u8]) {
    let path = golden_path(name);
    if std::env::var_os("HALLKIT_BLESS").is_some_and(|v| v == "1") {
        std::fs::create_dir_all(path.parent().expect("a folder")).expect("creates tests/golden");
        std::fs::write(&path, actual).expect("writes the golden picture");
        return;
    }
    let expected = std::fs::read(&path).unwrap_or_else(|e| {
        panic!(
            "cannot read golden picture {}: {e}; create it with HALLKIT_BLESS=1 cargo test -p device-drivers --test led_panel, then look at it",
            path.display()
        )
    });
    if decode(&expected) != decode(actual) {
        let out = std::env::temp_dir().join(format!("actual-{name}"));
        let _ = std::fs::write(&out, actual);
        panic!(
            "{name} differs from the golden picture {}; the new picture is at {}. If the change is intended, look at it, then regenerate with HALLKIT_BLESS=1 cargo test -p device-drivers --test led_panel",
            path.display(),
            out.display()
        );
    }
}

#[test]
fn golden_128x16_panel_showing_a_call() {
    let sim = sim(Geometry::WINDOW_128X16);
    panel(&sim).show("A012 → 3号窗口", Effect::CALL).expect("shows");
    let png = sim.png(Some(Duration::ZERO), &DotStyle::default()).expect("draws");
    check_golden("led-128x16-call.png", &png);
}

#[test]
fn golden_256x32_panel_showing_a_call() {
    let sim = sim(Geometry::STRIP_256X32);
    panel(&sim).show("请A012号到3号窗口", Effect::CALL).expect("shows");
    let png = sim.png(Some(Duration::ZERO), &DotStyle::default()).expect("draws");
    check_golden("led-256x32-call.png", &png);
}

#[test]
fn golden_256x32_panel_showing_a_number_at_double_size() {
    let sim = sim(Geometry::STRIP_256X32);
    panel(&sim).show("A012", Effect::CALL).expect("shows");
    let png = sim.png(Some(Duration::ZERO), &DotStyle::default()).expect("draws");
    check_golden("led-256x32-number.png", &png);
}

#[test]
fn golden_256x32_panel_with_a_missing_character_and_two_given_lines() {
    let sim = sim(Geometry::STRIP_256X32);
    let shown = panel(&sim).show("A𠮷12\n窗口暂停服务", Effect::STEADY).expect("shows");
    assert_eq!(shown.layout, TextLayout::TwoLines);
    assert_eq!(shown.missing.iter().map(|m| (m.ch, m.index)).collect::<Vec<_>>(), vec![('𠮷', 1)]);
    let png = sim.png(Some(Duration::ZERO), &DotStyle::default()).expect("draws");
    check_golden("led-256x32-missing-glyph.png", &png);
}
