//! Counter keypads (呼叫器) and evaluators (评价器): key presses mapped to [`KeypadAction`]s.
//!
//! - [`KeypadAction`]: what a key does (call next, recall, skip, finish, pause, resume,
//!   pause/resume, transfer to a service, rate 1–5). This crate does not depend on the hall
//!   protocol: the counter maps each action to its `CounterAction` (or, for `rate`, to an
//!   evaluation with `EvaluationLevel::from_score`).
//! - Serial keypads: the byte protocols ([`Framing`]: `plain`, `lines`, `stx`) are described in
//!   the [`Framing`] docs and in docs/buttons-and-lamps.md. [`KeyDecoder`] is the
//!   sans-IO decoder (any chunking, garbage ignored and counted); [`KeyMap`] is the checked key
//!   map, built from the TOML-friendly [`KeyMapConfig`]; [`SerialKeypad`] reads keys over any
//!   [`Transport`](crate::transport::Transport) (a serial port via `serial2` in production).
//! - GPIO buttons: [`GpioKeypad`] binds buttons of a [`GpioPanel`](crate::gpio::GpioPanel) to
//!   the same actions, with optional long-press actions.
//! - [`Keypad`]: the one trait both implement, so counter code reads [`KeyPress`]es without
//!   caring which keypad it has.
//! - [`KeypadSimulator`]: a keypad on a pty that "presses" keys with the real bytes.
//!
//! ```
//! use device_drivers::keypad::{KeyDecoder, KeyMap, KeyMapConfig, KeypadAction};
//!
//! let config: KeyMapConfig = toml::from_str(r#"
//!     framing = "plain"
//!     keys = [{ key = "1", action = "call_next" }, { key = "2", action = "recall" }]
//! "#).unwrap();
//! let map = KeyMap::from_config(&config).unwrap();
//! // A keypad sent "1", noise, then "2" with a line ending; reads may cut it anywhere.
//! let mut decoder = KeyDecoder::new(map.framing());
//! let mut keys = decoder.push(b"1\x1b");
//! keys.extend(decoder.push(b"2\r\n"));
//! let actions: Vec<_> = keys.iter().filter_map(|k| map.action(k)).collect();
//! assert_eq!(actions, [&KeypadAction::CallNext, &KeypadAction::Recall]);
//! assert_eq!(decoder.stats().garbage_bytes, 1);
//! ```

mod action;
mod buttons;
mod decoder;
mod key;
mod keymap;
mod serial;
mod sim;

use std::time::Duration;

use serde::{Deserialize, Serialize};

pub use action::{KeypadAction, MAX_SERVICE_CODE, UnknownAction};
pub use buttons::{GpioKeypad, GpioKeypadConfig};
pub use decoder::{DecoderStats, ETX, EncodeError, Framing, KeyDecoder, LineEnding, STX, bcc, encode_key};
pub use key::{InvalidKey, KeyName, MAX_KEY_LEN};
pub use keymap::{ButtonBinding, KeyBinding, KeyMap, KeyMapConfig, KeyMapError};
pub use serial::{DEFAULT_KEYPAD_BAUD, SerialKeypad, SerialKeypadConfig, SerialKeypadStats};
pub use sim::{KeypadSimulator, SimKeypadError, SimKeypadOptions, SimPress};

use crate::ErrorKind;
use crate::gpio::GpioError;
use crate::transport::TransportError;

/// A key press mapped to its action.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct KeyPress {
    /// The key's name (serial) or the button's name (GPIO).
    pub key: String,
    /// Whether it was a long press (GPIO buttons with a long-press action).
    pub long: bool,
    /// The action bound to it.
    pub action: KeypadAction,
}

/// A keypad: serial ([`SerialKeypad`]) or GPIO buttons ([`GpioKeypad`]).
pub trait Keypad: Send {
    /// The next press bound to an action, waiting up to `timeout`; `Ok(None)` when none came.
    /// Keys bound to nothing are skipped (and counted by the keypad).
    ///
    /// # Errors
    /// [`KeypadError`] when the device fails.
    fn next_press(&mut self, timeout: Duration) -> Result<Option<KeyPress>, KeypadError>;
}

impl<K: Keypad + ?Sized> Keypad for Box<K> {
    fn next_press(&mut self, timeout: Duration) -> Result<Option<KeyPress>, KeypadError> {
        (**self).next_press(timeout)
    }
}

/// A keypad failure.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum KeypadError {
    /// The key map is wrong.
    #[error("keypad configuration: {0}")]
    KeyMap(#[from] KeyMapError),
    /// The serial link failed.
    #[error("serial keypad: {0}")]
    Transport(#[from] TransportError),
    /// The GPIO lines failed.
    #[error("GPIO keypad: {0}")]
    Gpio(#[from] GpioError),
}

impl crate::Error for KeypadError {
    fn kind(&self) -> ErrorKind {
        match self {
            KeypadError::KeyMap(_) => ErrorKind::Other,
            KeypadError::Transport(e) => e.kind(),
            KeypadError::Gpio(e) => e.kind(),
        }
    }
}
