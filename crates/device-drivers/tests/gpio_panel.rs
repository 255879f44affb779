//! The panel (buttons and lamps of a device) over the in-memory backend, which exists only for
//! these logic tests: its clock jumps to the next scripted edge, so nothing sleeps.

use std::time::Duration;

use device_drivers::Error as _;
use device_drivers::ErrorKind;
use device_drivers::gpio::{
    ButtonChange, ButtonConfig, ButtonEvent, ButtonSettings, GpioBackend, GpioError, GpioPanel, LampConfig, LampPattern, LineConfig, MemoryBackend,
    PanelConfig, Pull, RECHECK_EVERY,
};

fn ms(n: u64) -> Duration {
    Duration::from_millis(n)
}

const CHIP: &str = "/dev/gpiochip0";

fn call_line() -> LineConfig {
    LineConfig::new(CHIP, 17).active_low()
}

fn lamp_line() -> LineConfig {
    LineConfig::new(CHIP, 22)
}

/// All events until `until` on the backend's clock.
fn events_until(panel: &mut GpioPanel<MemoryBackend>, until: Duration) -> Vec<ButtonEvent> {
    let mut events = Vec::new();
    loop {
        let left = until.saturating_sub(panel.now());
        match panel.next_event(left).expect("the memory backend does not fail") {
            Some(event) => events.push(event),
            None => return events,
        }
    }
}

#[test]
fn a_bouncing_press_on_a_line_is_one_press_and_one_release() {
    let mut panel = GpioPanel::new(MemoryBackend::new());
    let call = panel.add_button("call", &call_line(), ButtonSettings::default()).expect("adds");
    panel.backend_mut().schedule_press(&call_line(), ms(1000), ms(400), &[true, false, true, false], ms(2));
    let events = events_until(&mut panel, ms(5000));
    assert_eq!(
        events,
        vec![
            ButtonEvent { button: call, change: ButtonChange::Pressed { at: ms(1000) } },
            ButtonEvent { button: call, change: ButtonChange::Released { at: ms(1400), held: ms(400) } },
        ]
    );
    assert_eq!(panel.button("call"), Some(call));
    assert_eq!(panel.button_name(call), "call");
    assert!(!panel.is_pressed(call));
}

#[test]
fn the_press_is_returned_as_soon_as_it_settles_not_at_the_timeout() {
    let mut panel = GpioPanel::new(MemoryBackend::new());
    panel.add_button("call", &call_line(), ButtonSettings::default()).expect("adds");
    panel.backend_mut().schedule(&call_line(), ms(200), true);
    let event = panel.next_event(ms(60_000)).expect("waits").expect("a press");
    assert_eq!(event.change, ButtonChange::Pressed { at: ms(200) });
    assert_eq!(panel.now(), ms(230), "returned one debounce window after the edge");
}

#[test]
fn a_dropped_release_edge_is_caught_by_reading_the_line_before_deciding() {
    let mut panel = GpioPanel::new(MemoryBackend::new());
    let call = panel.add_button("call", &call_line(), ButtonSettings::default()).expect("adds");
    panel.backend_mut().schedule(&call_line(), ms(100), true);
    // The line went back up 10 ms later, but the kernel lost that edge.
    panel.backend_mut().schedule_unreported(&call_line(), ms(110), false);
    assert_eq!(events_until(&mut panel, ms(1000)), vec![], "a 10 ms blip is noise, not a press");
    assert!(!panel.is_pressed(call));

    // A real press whose release edge is lost: the release is still seen, by the periodic
    // reading of the lines, within one recheck period.
    panel.backend_mut().schedule(&call_line(), ms(2000), true);
    panel.backend_mut().schedule_unreported(&call_line(), ms(2500), false);
    let changes: Vec<ButtonChange> = events_until(&mut panel, ms(4000)).into_iter().map(|e| e.change).collect();
    let release_limit = ms(2500) + RECHECK_EVERY;
    assert!(
        matches!(changes.as_slice(), [ButtonChange::Pressed { at: p }, ButtonChange::Released { at: r, .. }] if *p == ms(2000) && *r >= ms(2500) && *r <= release_limit),
        "{changes:?}"
    );
    assert!(!panel.is_pressed(call));

    // And a lost press edge likewise.
    panel.backend_mut().schedule_unreported(&call_line(), ms(5000), true);
    let changes: Vec<ButtonChange> = events_until(&mut panel, ms(6000)).into_iter().map(|e| e.change).collect();
    assert!(matches!(changes.as_slice(), [ButtonChange::Pressed { at }] if *at >= ms(5000) && *at <= ms(5000) + RECHECK_EVERY), "{changes:?}");
}

#[test]
fn two_buttons_pressed_together_are_both_reported() {
    let mut panel = GpioPanel::new(MemoryBackend::new());
    let recall_line = LineConfig::new(CHIP, 27);
    let call = panel.add_button("call", &call_line(), ButtonSettings::default()).expect("adds");
    let recall = panel.add_button("recall", &recall_line, ButtonSettings::default()).expect("adds");
    panel.backend_mut().schedule_press(&call_line(), ms(100), ms(300), &[true, false], ms(1));
    panel.backend_mut().schedule_press(&recall_line, ms(101), ms(300), &[], ms(1));
    let pressed: Vec<_> = events_until(&mut panel, ms(1000))
        .into_iter()
        .filter_map(|e| match e.change {
            ButtonChange::Pressed { at } => Some((e.button, at)),
            _ => None,
        })
        .collect();
    // Each is stamped with its first edge; the one that stopped bouncing first is decided first.
    assert_eq!(pressed, vec![(recall, ms(101)), (call, ms(100))]);
}

#[test]
fn a_long_press_comes_while_the_button_is_held() {
    let mut panel = GpioPanel::new(MemoryBackend::new());
    let call = panel.add_button("call", &call_line(), ButtonSettings { long_press: Some(ms(1500)), ..ButtonSettings::default() }).expect("adds");
    panel.backend_mut().schedule_press(&call_line(), ms(0), ms(3000), &[], ms(1));
    let changes: Vec<ButtonChange> = events_until(&mut panel, ms(4000)).into_iter().map(|e| e.change).collect();
    assert_eq!(
        changes,
        vec![ButtonChange::Pressed { at: ms(0) }, ButtonChange::LongPress { at: ms(1500) }, ButtonChange::Released { at: ms(3000), held: ms(3000) }]
    );
    let _ = call;
}

#[test]
fn a_lamp_blinks_on_time_while_the_panel_waits_for_buttons() {
    let mut panel = GpioPanel::new(MemoryBackend::new());
    let lamp = panel.add_lamp("serving", &lamp_line()).expect("adds");
    panel.backend_mut().advance_to(ms(100));
    panel.show(lamp, LampPattern::Blink { on_ms: 250, off_ms: 250 }).expect("shows");
    assert!(panel.is_lit(lamp));
    assert_eq!(panel.next_event(ms(1000)).expect("waits"), None);
    let writes = panel.backend().writes(&lamp_line()).to_vec();
    assert_eq!(writes, vec![(ms(0), false), (ms(100), true), (ms(350), false), (ms(600), true), (ms(850), false), (ms(1100), true)]);
    panel.show(lamp, LampPattern::Off).expect("shows");
    assert!(!panel.is_lit(lamp));
    assert_eq!(panel.backend().writes(&lamp_line()).last(), Some(&(ms(1100), false)));
}

#[test]
fn a_call_blink_falls_back_to_steady_light() {
    let mut panel = GpioPanel::new(MemoryBackend::new());
    let lamp = panel.add_lamp("serving", &lamp_line()).expect("adds");
    panel.show_for(lamp, LampPattern::Blink { on_ms: 100, off_ms: 100 }, ms(450), LampPattern::On).expect("shows");
    assert_eq!(panel.next_event(ms(2000)).expect("waits"), None);
    let writes = panel.backend().writes(&lamp_line()).to_vec();
    assert_eq!(writes, vec![(ms(0), false), (ms(0), true), (ms(100), false), (ms(200), true), (ms(300), false), (ms(400), true)]);
    assert_eq!(panel.lamp_pattern(lamp), Some(LampPattern::On));
}

#[test]
fn a_panel_is_built_from_toml() {
    let config: PanelConfig = toml::from_str(
        r#"
        buttons = [
            { name = "call", chip = "/dev/gpiochip0", offset = 17, active_low = true, pull = "up", long_press_ms = 1500 },
            { name = "recall", offset = 27 },
        ]
        lamps = [{ name = "serving", chip = "/dev/gpiochip1", offset = 3, initial = { pattern = "on" } }]
        "#,
    )
    .expect("parses");
    assert_eq!(config.buttons[0].line, LineConfig::new("/dev/gpiochip0", 17).active_low().with_pull(Pull::Up));
    assert_eq!(config.buttons[0].settings(), ButtonSettings { debounce: ms(30), long_press: Some(ms(1500)) });
    assert_eq!(config.buttons[1].line, LineConfig::new("/dev/gpiochip0", 27), "the chip defaults to gpiochip0");
    let panel = GpioPanel::from_config(MemoryBackend::new(), &config).expect("builds");
    let serving = panel.lamp("serving").expect("has the lamp");
    assert!(panel.is_lit(serving), "the initial pattern is shown at once");
    assert!(panel.backend().level(&LineConfig::new("/dev/gpiochip1", 3)));
    assert_eq!(panel.button_names().collect::<Vec<_>>(), ["call", "recall"]);
}

#[test]
fn a_button_held_when_the_panel_starts_is_not_a_press() {
    let mut backend = MemoryBackend::new();
    backend.set_level(&call_line(), true);
    let mut panel = GpioPanel::new(backend);
    let call = panel.add_button("call", &call_line(), ButtonSettings::default()).expect("adds");
    assert!(panel.is_pressed(call));
    panel.backend_mut().schedule(&call_line(), ms(500), false);
    let changes: Vec<_> = events_until(&mut panel, ms(1000)).into_iter().map(|e| e.change).collect();
    assert!(matches!(changes.as_slice(), [ButtonChange::Released { at, .. }] if *at == ms(500)), "{changes:?}");
}

fn button(name: &str, offset: u32) -> ButtonConfig {
    ButtonConfig { name: name.into(), line: LineConfig::new(CHIP, offset), debounce_ms: 30, long_press_ms: None }
}

fn lamp(name: &str, offset: u32) -> LampConfig {
    LampConfig { name: name.into(), line: LineConfig::new(CHIP, offset), initial: LampPattern::Off }
}

#[test]
fn a_name_or_line_used_twice_is_a_configuration_error() {
    let twice_named = PanelConfig { buttons: vec![button("call", 1)], lamps: vec![lamp("call", 2)] };
    let err = GpioPanel::from_config(MemoryBackend::new(), &twice_named).expect_err("name used twice");
    assert!(matches!(&err, GpioError::Config(m) if m.contains("\"call\"")), "{err}");
    let twice_wired = PanelConfig { buttons: vec![button("call", 1), button("recall", 1)], lamps: vec![] };
    let err = GpioPanel::from_config(MemoryBackend::new(), &twice_wired).expect_err("line used twice");
    assert!(matches!(&err, GpioError::Config(m) if m.contains("line 1 of /dev/gpiochip0")), "{err}");
    let unnamed = PanelConfig { buttons: vec![button(" ", 1)], lamps: vec![] };
    assert!(matches!(GpioPanel::from_config(MemoryBackend::new(), &unnamed), Err(GpioError::Config(_))));
    let mut panel = GpioPanel::new(MemoryBackend::new());
    panel.add_button("call", &call_line(), ButtonSettings::default()).expect("adds");
    assert!(matches!(panel.add_lamp("call", &lamp_line()), Err(GpioError::Config(_))));
}

#[test]
fn a_line_held_by_another_program_is_reported_busy_with_its_holder() {
    let mut backend = MemoryBackend::new();
    backend.hold_line(&call_line(), "sysfs");
    let mut panel = GpioPanel::new(backend);
    let err = panel.add_button("call", &call_line(), ButtonSettings::default()).expect_err("busy");
    assert!(matches!(&err, GpioError::LineBusy { offset: 17, consumer: Some(c), .. } if c == "sysfs"), "{err:?}");
    assert!(err.to_string().contains("used by sysfs"), "{err}");
    assert_eq!(err.kind(), ErrorKind::Other);
}

#[test]
fn handles_from_elsewhere_are_refused() {
    let mut backend = MemoryBackend::new();
    assert!(matches!(backend.is_active(device_drivers::gpio::InputId(3)), Err(GpioError::UnknownHandle(3))));
    assert!(matches!(backend.set_active(device_drivers::gpio::OutputId(0), true), Err(GpioError::UnknownHandle(0))));
    let mut panel = GpioPanel::new(MemoryBackend::new());
    assert!(matches!(panel.show(device_drivers::gpio::LampId(9), LampPattern::On), Err(GpioError::UnknownHandle(9))));
}

#[test]
fn a_boxed_backend_drives_a_panel_the_same_way() {
    let mut memory = MemoryBackend::new();
    memory.schedule(&call_line(), ms(10), true);
    let boxed: Box<dyn GpioBackend> = Box::new(memory);
    let mut panel = GpioPanel::new(boxed);
    panel.add_button("call", &call_line(), ButtonSettings::default()).expect("adds");
    assert_eq!(panel.backend().name(), "memory");
    let event = panel.next_event(ms(1000)).expect("waits").expect("a press");
    assert_eq!(event.change, ButtonChange::Pressed { at: ms(10) });
}
