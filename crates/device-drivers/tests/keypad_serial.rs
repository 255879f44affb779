//! The serial keypad driver against the keypad simulator over a real pty: what the simulator
//! pressed is what the driver reports, in each framing, through noise.

use std::time::Duration;

use device_drivers::Error as _;
use device_drivers::ErrorKind;
use device_drivers::keypad::{
    Framing, KeyBinding, KeyMap, KeyMapConfig, KeyMapError, KeyName, KeyPress, Keypad, KeypadAction, KeypadError, KeypadSimulator, LineEnding, SerialKeypad,
    SerialKeypadConfig, SimKeypadOptions,
};
use device_drivers::transport::{SerialTransport, TransportError};

/// Long enough for a loaded CI machine; tests never wait this long unless they fail.
const WAIT: Duration = Duration::from_secs(5);

fn binding(key: &str, action: &str) -> KeyBinding {
    KeyBinding { key: key.into(), action: action.into() }
}

fn start(framing: Framing, ending: LineEnding, keys: Vec<KeyBinding>) -> (SerialKeypad<SerialTransport>, KeypadSimulator) {
    let options = SimKeypadOptions { framing, line_ending: ending, ..SimKeypadOptions::default() };
    let (path, sim) = KeypadSimulator::spawn_pty(options).expect("a pty");
    let config = SerialKeypadConfig { port: path, baud: 9600, keymap: KeyMapConfig { framing, keys } };
    let keypad = SerialKeypad::open(&config).expect("opens the pty");
    (keypad, sim)
}

fn press_of(keypad: &mut impl Keypad) -> KeyPress {
    keypad.next_press(WAIT).expect("reads").expect("a press arrives")
}

#[test]
fn presses_on_a_plain_keypad_arrive_as_actions_in_order() {
    let keys = vec![binding("1", "call_next"), binding("2", "recall"), binding("3", "skip"), binding("*", "transfer:tax")];
    let (mut keypad, mut sim) = start(Framing::Plain, LineEnding::CrLf, keys);
    let sent = sim.press_str("12 3*").expect("presses");
    assert_eq!(sent[0].bytes, b"1\r\n");
    let actions: Vec<KeypadAction> = (0..4).map(|_| press_of(&mut keypad).action).collect();
    assert_eq!(actions, vec![KeypadAction::CallNext, KeypadAction::Recall, KeypadAction::Skip, KeypadAction::Transfer { to: "tax".into() }]);
    assert_eq!(sim.presses(), 4);
    assert_eq!(keypad.stats().decoder.keys, 4);
}

#[test]
fn named_keys_on_a_lines_keypad_come_through_noise() {
    let (mut keypad, mut sim) = start(Framing::Lines, LineEnding::CrLf, vec![binding("F1", "pause"), binding("F2", "resume")]);
    sim.send_raw(b"\xff\xfe\r\n").expect("noise");
    sim.press_str("F1 F2").expect("presses");
    let first = press_of(&mut keypad);
    assert_eq!((first.key.as_str(), first.long, first.action), ("F1", false, KeypadAction::Pause));
    assert_eq!(press_of(&mut keypad).action, KeypadAction::Resume);
    assert_eq!(keypad.stats().decoder.garbage_bytes, 2);
}

#[test]
fn framed_keys_with_a_bad_checksum_are_dropped_and_the_rest_kept() {
    let (mut keypad, mut sim) = start(Framing::Stx, LineEnding::None, vec![binding("1", "rate:1"), binding("5", "rate:5")]);
    sim.send_raw(&[0x02, b'1', 0x03, 0x00]).expect("a frame with a wrong checksum");
    sim.press(&KeyName::new("5").expect("a key")).expect("presses");
    assert_eq!(press_of(&mut keypad).action, KeypadAction::Rate { score: 5 });
    assert_eq!(keypad.stats().decoder.garbage_bytes, 4);
}

#[test]
fn unbound_keys_are_skipped_and_counted() {
    let (mut keypad, mut sim) = start(Framing::Plain, LineEnding::None, vec![binding("1", "call_next")]);
    sim.press_str("991").expect("presses");
    assert_eq!(press_of(&mut keypad).action, KeypadAction::CallNext);
    assert_eq!(keypad.stats().unmapped_keys, 2);
}

#[test]
fn a_quiet_keypad_gives_no_press_and_raw_keys_are_readable_too() {
    let (mut keypad, mut sim) = start(Framing::Plain, LineEnding::None, vec![binding("1", "call_next")]);
    assert_eq!(keypad.next_press(Duration::from_millis(20)).expect("no error"), None);
    sim.press_str("7").expect("presses");
    assert_eq!(keypad.next_key(WAIT).expect("reads"), Some(KeyName::new("7").expect("a key")));
}

#[test]
fn an_unplugged_keypad_is_a_disconnection() {
    let (mut keypad, sim) = start(Framing::Plain, LineEnding::None, vec![binding("1", "call_next")]);
    drop(sim);
    let err = keypad.next_press(WAIT).expect_err("the keypad went away");
    assert!(matches!(err, KeypadError::Transport(TransportError::Disconnected { .. })), "{err:?}");
    assert_eq!(err.kind(), ErrorKind::Disconnected);
}

#[test]
fn a_keypad_unplugged_and_plugged_back_is_read_again_after_reopen() {
    let options = SimKeypadOptions { framing: Framing::Lines, line_ending: LineEnding::CrLf, ..SimKeypadOptions::default() };
    let (first_pty, mut first) = KeypadSimulator::spawn_pty(options).expect("a pty");
    // A link stands for the udev name (/dev/serial/by-id/...) that vanishes on unplug.
    let dir = tempfile::tempdir().expect("a temporary directory");
    let link = dir.path().join("keypad");
    std::os::unix::fs::symlink(&first_pty, &link).expect("links");
    let config = SerialKeypadConfig {
        port: link.clone(),
        baud: 9600,
        keymap: KeyMapConfig { framing: Framing::Lines, keys: vec![binding("1", "call_next"), binding("F1", "skip")] },
    };
    let mut keypad = SerialKeypad::open(&config).expect("opens");

    // Half a key, then the cable is pulled.
    first.send_raw(b"F").expect("sends");
    assert_eq!(keypad.next_press(Duration::from_millis(50)).expect("no key yet"), None);
    drop(first);
    std::fs::remove_file(&link).expect("unplugged");
    assert!(matches!(keypad.next_press(WAIT), Err(KeypadError::Transport(TransportError::Disconnected { .. }))));
    assert!(matches!(keypad.reopen(), Err(KeypadError::Transport(TransportError::Open { .. }))), "still unplugged");

    let (second_pty, mut second) = KeypadSimulator::spawn_pty(options).expect("a pty");
    std::os::unix::fs::symlink(&second_pty, &link).expect("plugged back");
    keypad.reopen().expect("reopens by path");
    second.press_str("1").expect("presses");
    // The half key from before the unplug does not join the new one ("F" + "1" would be skip).
    assert_eq!(press_of(&mut keypad).action, KeypadAction::CallNext);
}

#[test]
fn a_bad_key_map_is_reported_before_the_port_is_opened() {
    let config = SerialKeypadConfig {
        port: "/dev/hallkit-no-such-keypad".into(),
        baud: 9600,
        keymap: KeyMapConfig { framing: Framing::Plain, keys: vec![binding("1", "summon")] },
    };
    let err = SerialKeypad::open(&config).expect_err("bad map");
    assert!(matches!(err, KeypadError::KeyMap(KeyMapError::UnknownAction { .. })), "{err:?}");
    let config = SerialKeypadConfig { keymap: KeyMap::counter_default().to_config(), ..config };
    let err = SerialKeypad::open(&config).expect_err("no port");
    assert!(matches!(&err, KeypadError::Transport(TransportError::Open { .. })), "{err:?}");
    assert!(err.to_string().contains("/dev/hallkit-no-such-keypad"), "{err}");
}

#[test]
fn a_serial_keypad_config_reads_from_toml() {
    let config: SerialKeypadConfig = toml::from_str(
        r#"
        port = "/dev/ttyUSB0"
        framing = "stx"
        keys = [{ key = "1", action = "call_next" }]
        "#,
    )
    .expect("parses");
    assert_eq!(config.baud, 9600);
    assert_eq!(config.keymap.framing, Framing::Stx);
    assert_eq!(KeyMap::from_config(&config.keymap).expect("valid").framing(), Framing::Stx);
}

#[test]
fn the_simulator_refuses_keys_its_framing_cannot_send() {
    let (_path, mut sim) = KeypadSimulator::spawn_pty(SimKeypadOptions::default()).expect("a pty");
    assert!(sim.press(&KeyName::new("F1").expect("a key")).is_err());
    assert!(sim.press_str("\u{7}").is_err());
    assert_eq!(sim.presses(), 0);
}
