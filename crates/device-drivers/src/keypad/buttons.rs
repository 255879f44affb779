//! [`GpioKeypad`]: GPIO buttons bound to the same [`KeypadAction`]s as a serial keypad, so a
//! counter reads actions the same way whichever keypad it has.

use std::time::Duration;

use serde::{Deserialize, Serialize};
use tracing::debug;

use super::action::KeypadAction;
use super::keymap::{ButtonBinding, KeyMapError};
use super::{KeyPress, Keypad, KeypadError};
use crate::gpio::{BackendKind, ButtonChange, GpioBackend, GpioPanel, PanelConfig, open_backend};

/// A GPIO keypad as written in configuration: the backend, the panel's buttons (and lamps), and
/// what each button does.
///
/// ```toml
/// backend = "cdev"
/// buttons = [
///     { name = "call", chip = "/dev/gpiochip0", offset = 17, active_low = true, pull = "up", long_press_ms = 1500 },
///     { name = "recall", chip = "/dev/gpiochip0", offset = 27, active_low = true, pull = "up" },
/// ]
/// lamps = [{ name = "serving", chip = "/dev/gpiochip0", offset = 22 }]
/// bindings = [
///     { button = "call", action = "call_next", long_press_action = "pause_resume" },
///     { button = "recall", action = "recall" },
/// ]
/// ```
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct GpioKeypadConfig {
    /// Where the lines come from.
    #[serde(default)]
    pub backend: BackendKind,
    /// Buttons and lamps.
    #[serde(flatten)]
    pub panel: PanelConfig,
    /// What the buttons do.
    pub bindings: Vec<ButtonBinding>,
}

#[derive(Debug, Clone)]
struct Binding {
    action: KeypadAction,
    long_press: Option<KeypadAction>,
    /// Whether the current press already did its long-press action.
    long_done: bool,
}

/// Buttons on a [`GpioPanel`] mapped to actions. Buttons with no binding are ignored here (the
/// panel still debounces them).
#[derive(Debug)]
pub struct GpioKeypad<B> {
    panel: GpioPanel<B>,
    /// By button id.
    bindings: Vec<Option<Binding>>,
}

impl GpioKeypad<Box<dyn GpioBackend>> {
    /// Opens the configured backend and lines and checks the bindings.
    ///
    /// # Errors
    /// [`KeypadError::KeyMap`] for bad bindings (checked before any line is touched),
    /// [`KeypadError::Gpio`] for the lines.
    pub fn open(config: &GpioKeypadConfig) -> Result<Self, KeypadError> {
        let names: Vec<(&str, bool)> = config.panel.buttons.iter().map(|b| (b.name.as_str(), b.long_press_ms.is_some())).collect();
        check_bindings(&names, &config.bindings)?;
        let panel = GpioPanel::from_config(open_backend(config.backend)?, &config.panel)?;
        Ok(Self::new(panel, &config.bindings)?)
    }
}

/// Checks bindings against buttons given as (name, has a long-press time), and parses them.
fn check_bindings(buttons: &[(&str, bool)], bindings: &[ButtonBinding]) -> Result<Vec<(usize, Binding)>, KeyMapError> {
    let mut checked: Vec<(usize, Binding)> = Vec::with_capacity(bindings.len());
    for b in bindings {
        let Some(index) = buttons.iter().position(|(name, _)| *name == b.button) else {
            let known = buttons.iter().map(|(n, _)| *n).collect::<Vec<_>>().join(", ");
            return Err(KeyMapError::UnknownButton { button: b.button.clone(), known });
        };
        if checked.iter().any(|(i, _)| *i == index) {
            return Err(KeyMapError::DuplicateKey { key: b.button.clone() });
        }
        let parse = |text: &str| text.parse::<KeypadAction>().map_err(|source| KeyMapError::UnknownAction { key: b.button.clone(), source });
        let action = parse(&b.action)?;
        let long_press = b.long_press_action.as_deref().map(parse).transpose()?;
        if long_press.is_some() && !buttons[index].1 {
            return Err(KeyMapError::LongPressNotConfigured { button: b.button.clone() });
        }
        checked.push((index, Binding { action, long_press, long_done: false }));
    }
    if checked.is_empty() {
        return Err(KeyMapError::Empty);
    }
    Ok(checked)
}

impl<B: GpioBackend> GpioKeypad<B> {
    /// Binds buttons of `panel` to actions.
    ///
    /// # Errors
    /// [`KeyMapError`]: a button the panel does not have, a button bound twice, an unknown
    /// action, a long-press action on a button without a long-press time, or no bindings.
    pub fn new(panel: GpioPanel<B>, bindings: &[ButtonBinding]) -> Result<Self, KeyMapError> {
        let names: Vec<String> = panel.button_names().map(str::to_owned).collect();
        let buttons: Vec<(&str, bool)> = names
            .iter()
            .enumerate()
            .map(|(i, n)| (n.as_str(), panel.button_settings(crate::gpio::ButtonId(i)).is_some_and(|s| s.long_press.is_some())))
            .collect();
        let checked = check_bindings(&buttons, bindings)?;
        let mut by_button = vec![None; names.len()];
        for (index, binding) in checked {
            by_button[index] = Some(binding);
        }
        Ok(Self { panel, bindings: by_button })
    }

    /// The panel (to drive its lamps).
    pub fn panel(&self) -> &GpioPanel<B> {
        &self.panel
    }

    /// The panel, mutably (to drive its lamps, or to script the in-memory backend in tests).
    pub fn panel_mut(&mut self) -> &mut GpioPanel<B> {
        &mut self.panel
    }
}

impl<B: GpioBackend> Keypad for GpioKeypad<B> {
    fn next_press(&mut self, timeout: Duration) -> Result<Option<KeyPress>, KeypadError> {
        let deadline = self.panel.now().saturating_add(timeout);
        loop {
            let left = deadline.saturating_sub(self.panel.now());
            let Some(event) = self.panel.next_event(left)? else {
                return Ok(None);
            };
            let name = self.panel.button_name(event.button).to_owned();
            let Some(Some(binding)) = self.bindings.get_mut(event.button.0) else {
                continue;
            };
            let fired = match (event.change, &binding.long_press) {
                // Without a long-press action, act at once on the press.
                (ButtonChange::Pressed { .. }, None) => Some((binding.action.clone(), false)),
                (ButtonChange::Pressed { .. }, Some(_)) => {
                    binding.long_done = false;
                    None
                }
                (ButtonChange::LongPress { .. }, Some(long)) => {
                    binding.long_done = true;
                    Some((long.clone(), true))
                }
                // With one, a short press acts on release, unless the long press already acted.
                (ButtonChange::Released { .. }, Some(_)) if !binding.long_done => Some((binding.action.clone(), false)),
                _ => None,
            };
            if let Some((action, long)) = fired {
                debug!(button = %name, %action, long, "button press");
                return Ok(Some(KeyPress { key: name, long, action }));
            }
        }
    }
}
