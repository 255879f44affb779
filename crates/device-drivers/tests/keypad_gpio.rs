//! GPIO buttons bound to keypad actions, over the in-memory backend (which exists only for these
//! logic tests).

use std::time::Duration;

use device_drivers::gpio::{ButtonSettings, GpioPanel, LineConfig, MemoryBackend};
use device_drivers::keypad::{ButtonBinding, GpioKeypad, GpioKeypadConfig, KeyMapError, KeyPress, Keypad, KeypadAction, KeypadError};

fn ms(n: u64) -> Duration {
    Duration::from_millis(n)
}

fn call() -> LineConfig {
    LineConfig::new("/dev/gpiochip0", 17).active_low()
}

fn recall() -> LineConfig {
    LineConfig::new("/dev/gpiochip0", 27).active_low()
}

fn bind(button: &str, action: &str, long: Option<&str>) -> ButtonBinding {
    ButtonBinding { button: button.into(), action: action.into(), long_press_action: long.map(str::to_owned) }
}

fn keypad(bindings: &[ButtonBinding]) -> Result<GpioKeypad<MemoryBackend>, KeyMapError> {
    let mut panel = GpioPanel::new(MemoryBackend::new());
    panel.add_button("call", &call(), ButtonSettings { long_press: Some(ms(1500)), ..ButtonSettings::default() }).expect("adds");
    panel.add_button("recall", &recall(), ButtonSettings::default()).expect("adds");
    GpioKeypad::new(panel, bindings)
}

fn presses(keypad: &mut GpioKeypad<MemoryBackend>, until: Duration) -> Vec<(KeyPress, Duration)> {
    let mut out = Vec::new();
    loop {
        let left = until.saturating_sub(keypad.panel().now());
        match keypad.next_press(left).expect("the memory backend does not fail") {
            Some(p) => out.push((p, keypad.panel().now())),
            None => return out,
        }
    }
}

#[test]
fn a_button_without_a_long_press_action_acts_as_soon_as_it_is_down() {
    let mut keypad = keypad(&[bind("recall", "recall", None), bind("call", "call_next", None)]).expect("valid");
    keypad.panel_mut().backend_mut().schedule_press(&recall(), ms(100), ms(2000), &[true, false], ms(1));
    let got = presses(&mut keypad, ms(5000));
    assert_eq!(got.len(), 1, "{got:?}");
    let (press, when) = &got[0];
    assert_eq!(press, &KeyPress { key: "recall".into(), long: false, action: KeypadAction::Recall });
    assert!(*when < ms(200), "acted on the press, not the release: {when:?}");
}

#[test]
fn a_short_press_acts_on_release_and_a_long_press_does_only_the_long_action() {
    let mut keypad = keypad(&[bind("call", "call_next", Some("pause_resume"))]).expect("valid");
    let backend = keypad.panel_mut().backend_mut();
    backend.schedule_press(&call(), ms(100), ms(300), &[true, false, true], ms(2));
    backend.schedule_press(&call(), ms(2000), ms(2500), &[], ms(1));
    let got: Vec<(String, bool, KeypadAction)> = presses(&mut keypad, ms(10_000)).into_iter().map(|(p, _)| (p.key, p.long, p.action)).collect();
    assert_eq!(got, vec![("call".to_owned(), false, KeypadAction::CallNext), ("call".to_owned(), true, KeypadAction::PauseResume)]);
}

#[test]
fn unbound_buttons_do_nothing() {
    let mut keypad = keypad(&[bind("call", "call_next", None)]).expect("valid");
    keypad.panel_mut().backend_mut().schedule_press(&recall(), ms(10), ms(100), &[], ms(1));
    assert_eq!(presses(&mut keypad, ms(1000)), vec![]);
}

#[test]
fn bindings_are_checked_against_the_panel() {
    let err = keypad(&[bind("cal", "call_next", None)]).expect_err("no such button");
    assert_eq!(err, KeyMapError::UnknownButton { button: "cal".into(), known: "call, recall".into() });
    let err = keypad(&[bind("recall", "recall", Some("skip"))]).expect_err("no long-press time on recall");
    assert_eq!(err, KeyMapError::LongPressNotConfigured { button: "recall".into() });
    let err = keypad(&[bind("call", "call_next", None), bind("call", "recall", None)]).expect_err("bound twice");
    assert_eq!(err, KeyMapError::DuplicateKey { key: "call".into() });
    let err = keypad(&[bind("call", "call_next", Some("nap"))]).expect_err("unknown action");
    assert!(matches!(err, KeyMapError::UnknownAction { ref key, .. } if key == "call"), "{err:?}");
    assert_eq!(keypad(&[]).expect_err("nothing bound"), KeyMapError::Empty);
}

#[test]
fn a_gpio_keypad_config_reads_from_toml_and_checks_bindings_before_touching_lines() {
    let config: GpioKeypadConfig = toml::from_str(
        r#"
        backend = "cdev"
        buttons = [
            { name = "call", chip = "/dev/gpiochip-hallkit-absent", offset = 17, active_low = true, pull = "up", long_press_ms = 1500 },
            { name = "recall", chip = "/dev/gpiochip-hallkit-absent", offset = 27, active_low = true },
        ]
        lamps = [{ name = "serving", chip = "/dev/gpiochip-hallkit-absent", offset = 22 }]
        bindings = [
            { button = "call", action = "call_next", long_press_action = "pause_resume" },
            { button = "recall", action = "recall" },
        ]
        "#,
    )
    .expect("parses");
    assert_eq!(config.panel.buttons.len(), 2);
    assert_eq!(config.panel.lamps[0].name, "serving");
    // Valid bindings: the next problem is the missing chip, reported as such.
    let err = GpioKeypad::open(&config).expect_err("no such chip here");
    assert!(matches!(err, KeypadError::Gpio(device_drivers::gpio::GpioError::ChipMissing { .. })), "{err:?}");
    // A bad binding is reported first, even on a machine without the chip.
    let mut bad = config.clone();
    bad.bindings[1].action = "recal".into();
    let err = GpioKeypad::open(&bad).expect_err("bad binding");
    assert!(matches!(err, KeypadError::KeyMap(KeyMapError::UnknownAction { .. })), "{err:?}");
}

#[test]
fn serial_and_gpio_keypads_are_used_through_one_trait() {
    let mut gpio = keypad(&[bind("recall", "recall", None)]).expect("valid");
    gpio.panel_mut().backend_mut().schedule_press(&recall(), ms(5), ms(100), &[], ms(1));
    let mut keypads: Vec<Box<dyn Keypad>> = vec![Box::new(gpio)];
    let press = keypads[0].next_press(ms(1000)).expect("reads").expect("a press");
    assert_eq!(press.action, KeypadAction::Recall);
}
