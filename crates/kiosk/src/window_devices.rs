//! A counter's own devices: the keypad staff and citizens press (呼叫器 / 评价器, serial `[keypad]`
//! or GPIO `[buttons]`) and the LED panel above the window (`[led]`).
//!
//! - Key presses become counter actions (call next, recall, skip, finish, pause, resume, transfer)
//!   or a rating of the ticket being served; [`intent`] is the sans-IO mapping, tested here.
//! - The panel follows the feed: a call to this window shows "请A012号办理" blinking, a pause shows
//!   "暂停服务". GPIO lamps follow it too: a lamp named `calling` blinks for 10 s after each call
//!   to the window, a lamp named `paused` is lit while the window is paused. It is driven from the feed rather than from the keypad so that a call made from
//!   `kiosk counter` or any other terminal of the window shows too.
//!
//! Both devices are on blocking threads (their drivers block with timeouts). A device that is
//! unplugged or not answering is logged and retried; the counter keeps working without it.

use std::path::PathBuf;
use std::sync::mpsc;
use std::time::Duration;

use anyhow::Result;
use device_drivers::gpio::{GpioBackend, GpioError, GpioPanel, LampPattern};
use device_drivers::keypad::{GpioKeypad, GpioKeypadConfig, Keypad, KeypadAction, SerialKeypad, SerialKeypadConfig};
use device_drivers::led::{DriverConfig, Effect, ModbusPanel, SlaveAddress, WindowPanel};
use device_drivers::transport::SerialTransport;
use hall_protocol::feed::{Change, ChangeBody, WindowStatus};
use hall_protocol::{CounterAction, EvaluationLevel, ServiceCode, TicketId, WindowNo};
use offline_store::WindowState;
use serde::Deserialize;

/// What a key press asks for, given the window's state.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Intent {
    /// A counter action.
    Counter(CounterAction),
    /// The citizen rates the ticket being served.
    Rate {
        /// The ticket.
        ticket: TicketId,
        /// The rating.
        level: EvaluationLevel,
    },
}

/// Maps a keypad action to what the counter does. `state` is the window's state as last heard
/// from central (`None` before the first feed). The error says why nothing happens, for the log.
pub fn intent(action: &KeypadAction, state: Option<&WindowState>) -> Result<Intent, String> {
    let counter = |a| Ok(Intent::Counter(a));
    match action {
        KeypadAction::CallNext => counter(CounterAction::CallNext),
        KeypadAction::Recall => counter(CounterAction::Recall),
        KeypadAction::Skip => counter(CounterAction::Skip),
        KeypadAction::Finish => counter(CounterAction::Finish),
        KeypadAction::Pause => counter(CounterAction::Pause),
        KeypadAction::Resume => counter(CounterAction::Resume),
        KeypadAction::PauseResume => match state.map(|s| s.state) {
            Some(WindowStatus::Paused) => counter(CounterAction::Resume),
            _ => counter(CounterAction::Pause),
        },
        KeypadAction::Transfer { to } => {
            let to = ServiceCode::new(to).map_err(|e| format!("transfer to {to:?}: {e}"))?;
            counter(CounterAction::Transfer { to })
        }
        KeypadAction::Rate { score } => {
            let level = EvaluationLevel::from_score(*score).ok_or_else(|| format!("a rating is 1 to 5, not {score}"))?;
            let ticket = state.and_then(|s| s.current.clone()).ok_or("nobody is being served at this window: nothing to rate")?;
            Ok(Intent::Rate { ticket, level })
        }
        other => Err(format!("the keypad action {other} does nothing at a counter")),
    }
}

/// `[led]`: the window's LED panel (Modbus-RTU over RS-485, docs/led-panels.md).
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct LedSection {
    /// The RS-485 adapter, e.g. `/dev/hallkit/led`.
    pub port: PathBuf,
    /// Serial speed (8N1).
    #[serde(default = "default_led_baud")]
    pub baud: u32,
    /// The panel's Modbus address, 1–247.
    #[serde(default = "default_slave")]
    pub slave: u8,
}

fn default_led_baud() -> u32 {
    device_drivers::led::driver::DEFAULT_BAUD
}
fn default_slave() -> u8 {
    1
}

impl LedSection {
    /// Checks the section.
    pub fn validate(&self) -> Result<(), String> {
        self.slave_address().map(|_| ())
    }

    fn slave_address(&self) -> Result<SlaveAddress, String> {
        SlaveAddress::try_from(self.slave).map_err(|e| format!("[led] slave: {e}"))
    }

    /// Opens the port and connects to the panel (which reads its size); the error is in words.
    pub fn connect(&self) -> Result<ModbusPanel<SerialTransport>, String> {
        let config = DriverConfig { slave: self.slave_address()?, baud: self.baud, ..DriverConfig::default() };
        let transport = SerialTransport::open(&self.port, self.baud, config.response_timeout).map_err(|e| e.to_string())?;
        ModbusPanel::connect(transport, config).map_err(|e| format!("{e} ({:?})", device_drivers::Error::kind(&e)))
    }
}

/// The panel text for a change of this window, if any.
pub fn panel_text(change: &Change, window: WindowNo) -> Option<(String, Effect)> {
    match &change.body {
        ChangeBody::Called(call) if call.window == window => Some((format!("请{}号办理", call.number), Effect::CALL)),
        ChangeBody::WindowState { window: w, state: WindowStatus::Paused, .. } if *w == window => Some(("暂停服务".to_owned(), Effect::STEADY)),
        _ => None,
    }
}

/// What the window's GPIO lamps are told.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum LampSignal {
    /// A ticket was called to the window.
    Called,
    /// The window paused.
    Paused,
    /// The window is open again (idle or serving).
    Open,
}

/// Blinking of the `calling` lamp after a call.
const CALLING_BLINK: LampPattern = LampPattern::Blink { on_ms: 300, off_ms: 300 };
/// How long the `calling` lamp blinks.
const CALLING_FOR: Duration = Duration::from_secs(10);

/// The lamp signal for a change of this window, if any.
pub fn lamp_signal(change: &Change, window: WindowNo) -> Option<LampSignal> {
    match &change.body {
        ChangeBody::Called(call) if call.window == window => Some(LampSignal::Called),
        ChangeBody::WindowState { window: w, state, .. } if *w == window => {
            Some(if *state == WindowStatus::Paused { LampSignal::Paused } else { LampSignal::Open })
        }
        _ => None,
    }
}

/// Shows a signal on the panel's `calling` and `paused` lamps (a lamp that is not configured is
/// skipped).
pub fn show_lamps<B: GpioBackend>(panel: &mut GpioPanel<B>, signal: LampSignal) -> Result<(), GpioError> {
    let calling = panel.lamp("calling");
    let paused = panel.lamp("paused");
    match signal {
        LampSignal::Called => match calling {
            Some(id) => panel.show_for(id, CALLING_BLINK, CALLING_FOR, LampPattern::Off),
            None => Ok(()),
        },
        LampSignal::Paused | LampSignal::Open => match paused {
            Some(id) => panel.show(id, if signal == LampSignal::Paused { LampPattern::On } else { LampPattern::Off }),
            None => Ok(()),
        },
    }
}

/// The panel's thread: shows what it is sent, one text at a time; reconnects after a failure.
pub struct PanelWorker {
    texts: mpsc::Sender<(String, Effect)>,
}

impl PanelWorker {
    /// Starts the thread. The panel is connected on the first text, so a panel that is off at
    /// start-up does not stop the counter.
    pub fn spawn(section: LedSection) -> Result<Self> {
        section.validate().map_err(anyhow::Error::msg)?;
        let (texts, rx) = mpsc::channel::<(String, Effect)>();
        std::thread::Builder::new().name("led-panel".into()).spawn(move || {
            let mut panel: Option<ModbusPanel<SerialTransport>> = None;
            while let Ok((mut text, mut effect)) = rx.recv() {
                // Only the latest text matters: skip what arrived while the panel was busy.
                while let Ok((t, e)) = rx.try_recv() {
                    (text, effect) = (t, e);
                }
                if panel.is_none() {
                    match section.connect() {
                        Ok(p) => panel = Some(p),
                        Err(e) => {
                            tracing::warn!(port = %section.port.display(), error = %e, "LED panel not reachable; the call is not shown on it");
                            continue;
                        }
                    }
                }
                if let Some(p) = panel.as_mut()
                    && let Err(e) = p.show(&text, effect)
                {
                    tracing::warn!(error = %e, %text, "LED panel did not take the text; reconnecting next time");
                    panel = None;
                }
            }
        })?;
        Ok(Self { texts })
    }

    /// Shows `text` (returns at once; the thread does the I/O).
    pub fn show(&self, text: String, effect: Effect) {
        let _ = self.texts.send((text, effect));
    }
}

/// Either kind of keypad, from the config.
pub enum KeypadSource {
    /// `[keypad]`: a serial keypad.
    Serial(SerialKeypadConfig),
    /// `[buttons]`: GPIO buttons.
    Gpio(GpioKeypadConfig),
}

/// Starts the keypad's thread: each press's action is sent on the returned channel, and lamp
/// signals sent to it light the GPIO lamps (serial keypads have none). A keypad that cannot be
/// opened or goes away is retried every few seconds.
pub fn spawn_keypad(source: KeypadSource) -> Result<(tokio::sync::mpsc::UnboundedReceiver<KeypadAction>, mpsc::Sender<LampSignal>)> {
    let (tx, rx) = tokio::sync::mpsc::unbounded_channel();
    let (lamps_tx, lamps) = mpsc::channel::<LampSignal>();
    std::thread::Builder::new().name("keypad".into()).spawn(move || {
        let mut keypad: Option<Opened> = None;
        loop {
            let Some(k) = keypad.as_mut() else {
                match Opened::open(&source) {
                    Ok(k) => {
                        tracing::info!("keypad ready");
                        keypad = Some(k);
                    }
                    Err(e) => {
                        tracing::warn!(error = %e, "keypad not available; retrying in 5 s");
                        std::thread::sleep(Duration::from_secs(5));
                    }
                }
                continue;
            };
            while let Ok(signal) = lamps.try_recv() {
                if let Opened::Gpio(g) = k
                    && let Err(e) = show_lamps(g.panel_mut(), signal)
                {
                    tracing::warn!(error = %e, "window lamp not set");
                }
            }
            match k.keypad().next_press(Duration::from_millis(200)) {
                Ok(Some(press)) => {
                    tracing::info!(key = %press.key, action = %press.action, "key pressed");
                    if tx.send(press.action).is_err() {
                        return; // The counter stopped.
                    }
                }
                Ok(None) => {
                    if tx.is_closed() {
                        return;
                    }
                }
                Err(e) => {
                    tracing::warn!(error = %e, "keypad failed; reopening");
                    keypad = None;
                    std::thread::sleep(Duration::from_millis(500));
                }
            }
        }
    })?;
    Ok((rx, lamps_tx))
}

/// An opened keypad; GPIO ones also carry the window's lamps.
enum Opened {
    Serial(SerialKeypad<SerialTransport>),
    Gpio(GpioKeypad<Box<dyn GpioBackend>>),
}

impl Opened {
    fn open(source: &KeypadSource) -> Result<Self, String> {
        match source {
            KeypadSource::Serial(c) => SerialKeypad::open(c).map(Self::Serial).map_err(|e| e.to_string()),
            KeypadSource::Gpio(c) => GpioKeypad::open(c).map(Self::Gpio).map_err(|e| e.to_string()),
        }
    }

    fn keypad(&mut self) -> &mut dyn Keypad {
        match self {
            Self::Serial(k) => k,
            Self::Gpio(k) => k,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn state(state: WindowStatus, current: Option<&str>) -> WindowState {
        WindowState { state, current: current.map(|c| c.parse().unwrap()) }
    }

    #[test]
    fn keys_become_counter_actions_or_a_rating_of_the_ticket_served() {
        let serving = state(WindowStatus::Serving, Some("kiosk-1/7"));
        assert_eq!(intent(&KeypadAction::CallNext, None), Ok(Intent::Counter(CounterAction::CallNext)));
        assert_eq!(intent(&KeypadAction::Skip, Some(&serving)), Ok(Intent::Counter(CounterAction::Skip)));
        assert_eq!(intent(&KeypadAction::PauseResume, Some(&serving)), Ok(Intent::Counter(CounterAction::Pause)));
        assert_eq!(intent(&KeypadAction::PauseResume, Some(&state(WindowStatus::Paused, None))), Ok(Intent::Counter(CounterAction::Resume)));
        assert_eq!(
            intent(&KeypadAction::Transfer { to: "exit-entry".into() }, Some(&serving)),
            Ok(Intent::Counter(CounterAction::Transfer { to: ServiceCode::new("exit-entry").unwrap() }))
        );
        assert_eq!(
            intent(&KeypadAction::Rate { score: 5 }, Some(&serving)),
            Ok(Intent::Rate { ticket: "kiosk-1/7".parse().unwrap(), level: EvaluationLevel::VerySatisfied })
        );
        let idle = intent(&KeypadAction::Rate { score: 4 }, Some(&state(WindowStatus::Idle, None))).unwrap_err();
        assert!(idle.contains("nothing to rate"), "{idle}");
        assert!(intent(&KeypadAction::Rate { score: 9 }, Some(&serving)).is_err());
    }

    #[test]
    fn the_panel_shows_calls_to_its_own_window_and_pauses() {
        let called = |window: u16| Change {
            cursor: 1,
            at: chrono::Utc::now(),
            device: None,
            body: ChangeBody::Called(hall_protocol::feed::CallInfo {
                hall: "xuhui".parse().unwrap(),
                window,
                ticket_id: "kiosk-1/1".parse().unwrap(),
                number: "A012".parse().unwrap(),
                service: ServiceCode::new("household").unwrap(),
                recall: 0,
                at: chrono::Utc::now(),
            }),
        };
        assert_eq!(panel_text(&called(3), 3), Some(("请A012号办理".to_owned(), Effect::CALL)));
        assert_eq!(panel_text(&called(2), 3), None, "another window's call");
        let paused = Change {
            cursor: 2,
            at: chrono::Utc::now(),
            device: None,
            body: ChangeBody::WindowState { hall: "xuhui".parse().unwrap(), window: 3, state: WindowStatus::Paused, current: None },
        };
        assert_eq!(panel_text(&paused, 3), Some(("暂停服务".to_owned(), Effect::STEADY)));
    }

    /// The lamp logic on the in-memory GPIO backend (logic tests only; no GPIO chip exists here):
    /// a call blinks `calling` for 10 s, a pause lights `paused`, opening darkens it.
    #[test]
    fn window_lamps_blink_on_a_call_and_light_while_paused() {
        use device_drivers::gpio::{LineConfig, MemoryBackend};
        let (calling_line, paused_line) = (LineConfig::new("/dev/gpiochip0", 5), LineConfig::new("/dev/gpiochip0", 6));
        let mut panel = GpioPanel::new(MemoryBackend::new());
        let calling = panel.add_lamp("calling", &calling_line).unwrap();
        let paused = panel.add_lamp("paused", &paused_line).unwrap();
        show_lamps(&mut panel, LampSignal::Called).unwrap();
        assert!(panel.is_lit(calling), "lit first");
        assert_eq!(panel.lamp_pattern(calling), Some(CALLING_BLINK));
        panel.backend_mut().advance_to(Duration::from_secs(11));
        assert_eq!(panel.lamp_pattern(calling), Some(LampPattern::Off), "dark again after 10 s");
        show_lamps(&mut panel, LampSignal::Paused).unwrap();
        assert!(panel.is_lit(paused));
        assert!(panel.backend().level(&paused_line), "the line itself is driven");
        show_lamps(&mut panel, LampSignal::Open).unwrap();
        assert!(!panel.is_lit(paused));
        // A panel without those lamps ignores the signals.
        let mut bare = GpioPanel::new(MemoryBackend::new());
        show_lamps(&mut bare, LampSignal::Called).unwrap();
        let idle = Change {
            cursor: 3,
            at: chrono::Utc::now(),
            device: None,
            body: ChangeBody::WindowState { hall: "xuhui".parse().unwrap(), window: 3, state: WindowStatus::Idle, current: None },
        };
        assert_eq!(lamp_signal(&idle, 3), Some(LampSignal::Open));
        assert_eq!(lamp_signal(&idle, 4), None);
    }
}
