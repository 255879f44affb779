//! Key maps: which key (or GPIO button) does which [`KeypadAction`], loaded from TOML-friendly
//! configuration and checked before use.
//!
//! ```toml
//! framing = "plain"
//! keys = [
//!     { key = "1", action = "call_next" },
//!     { key = "2", action = "recall" },
//!     { key = "3", action = "skip" },
//!     { key = "*", action = "transfer:tax" },
//! ]
//! ```

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

use super::action::{KeypadAction, UnknownAction};
use super::decoder::Framing;
use super::key::{InvalidKey, KeyName};

/// One key's binding as written in configuration.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct KeyBinding {
    /// The key, exactly as the keypad sends it (`"1"`, `"*"`, `"F1"`).
    pub key: String,
    /// The action (`"call_next"`, `"rate:5"`, …; see [`KeypadAction`]).
    pub action: String,
}

/// A serial keypad's key map as written in configuration.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct KeyMapConfig {
    /// How the keypad frames its keys (`plain` by default).
    #[serde(default)]
    pub framing: Framing,
    /// The bindings.
    pub keys: Vec<KeyBinding>,
}

/// One GPIO button's binding as written in configuration: `button` is a button's name in the
/// panel's configuration. With `long_press_action`, a short press does `action` when the button
/// is released, and holding it for the button's `long_press_ms` does `long_press_action`;
/// without it, `action` happens as soon as the button goes down.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ButtonBinding {
    /// The button's name.
    pub button: String,
    /// The action of a press.
    pub action: String,
    /// The action of a long press.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub long_press_action: Option<String>,
}

/// A key map that cannot be used.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum KeyMapError {
    /// A key name is not valid.
    #[error("key map entry {index}: {source}")]
    InvalidKey {
        /// The entry's position (from 1).
        index: usize,
        /// What is wrong.
        #[source]
        source: InvalidKey,
    },
    /// An action is not known.
    #[error("key {key:?}: {source}")]
    UnknownAction {
        /// The key or button it was bound to.
        key: String,
        /// What is wrong.
        #[source]
        source: UnknownAction,
    },
    /// A key is bound twice.
    #[error("key {key:?} is bound twice; keep one binding per key")]
    DuplicateKey {
        /// The key.
        key: String,
    },
    /// A key that the framing cannot carry.
    #[error(
        "key {key:?} has more than one character, which a keypad with the plain framing cannot send; set framing = \"lines\" or \"stx\", or use one-character keys"
    )]
    KeyNeedsLines {
        /// The key.
        key: String,
    },
    /// Nothing is bound.
    #[error("the key map binds no keys; add at least one {{ key = \"1\", action = \"call_next\" }}")]
    Empty,
    /// A button binding names a button the panel does not have.
    #[error("button {button:?} is not configured; the configured buttons are: {known}")]
    UnknownButton {
        /// The name.
        button: String,
        /// The names that exist, comma-separated.
        known: String,
    },
    /// A long-press action on a button with no long-press time.
    #[error("button {button:?} has a long_press_action but no long_press_ms; set long_press_ms (e.g. 1500) on the button")]
    LongPressNotConfigured {
        /// The name.
        button: String,
    },
}

/// A checked key map for a serial keypad.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct KeyMap {
    framing: Framing,
    keys: BTreeMap<KeyName, KeypadAction>,
}

impl KeyMap {
    /// Checks a configured key map.
    ///
    /// # Errors
    /// [`KeyMapError`]: an invalid key, an unknown action, a key bound twice, a multi-character
    /// key with the `plain` framing, or no keys at all.
    pub fn from_config(config: &KeyMapConfig) -> Result<Self, KeyMapError> {
        let mut bindings = Vec::with_capacity(config.keys.len());
        for (i, binding) in config.keys.iter().enumerate() {
            let key = KeyName::new(binding.key.as_str()).map_err(|source| KeyMapError::InvalidKey { index: i + 1, source })?;
            let action = binding.action.parse().map_err(|source| KeyMapError::UnknownAction { key: binding.key.clone(), source })?;
            bindings.push((key, action));
        }
        Self::new(config.framing, bindings)
    }

    /// A key map from checked parts.
    ///
    /// # Errors
    /// [`KeyMapError::DuplicateKey`], [`KeyMapError::KeyNeedsLines`], [`KeyMapError::Empty`].
    pub fn new(framing: Framing, bindings: impl IntoIterator<Item = (KeyName, KeypadAction)>) -> Result<Self, KeyMapError> {
        let mut keys = BTreeMap::new();
        for (key, action) in bindings {
            if framing == Framing::Plain && !key.is_single() {
                return Err(KeyMapError::KeyNeedsLines { key: key.to_string() });
            }
            let shown = key.to_string();
            if keys.insert(key, action).is_some() {
                return Err(KeyMapError::DuplicateKey { key: shown });
            }
        }
        if keys.is_empty() {
            return Err(KeyMapError::Empty);
        }
        Ok(Self { framing, keys })
    }

    /// The usual counter keypad: `1` call next, `2` recall, `3` skip, `4` finish, `5`
    /// pause/resume, one byte per key.
    pub fn counter_default() -> Self {
        Self::preset(&[
            ("1", KeypadAction::CallNext),
            ("2", KeypadAction::Recall),
            ("3", KeypadAction::Skip),
            ("4", KeypadAction::Finish),
            ("5", KeypadAction::PauseResume),
        ])
    }

    /// The usual evaluator (评价器): keys `1` to `5` rate 1 (非常不满意) to 5 (非常满意).
    pub fn evaluator_default() -> Self {
        Self::preset(&[
            ("1", KeypadAction::Rate { score: 1 }),
            ("2", KeypadAction::Rate { score: 2 }),
            ("3", KeypadAction::Rate { score: 3 }),
            ("4", KeypadAction::Rate { score: 4 }),
            ("5", KeypadAction::Rate { score: 5 }),
        ])
    }

    fn preset(bindings: &[(&str, KeypadAction)]) -> Self {
        let keys = bindings.iter().filter_map(|(k, a)| Some((KeyName::new(*k).ok()?, a.clone()))).collect();
        Self { framing: Framing::Plain, keys }
    }

    /// The framing the keypad uses.
    pub fn framing(&self) -> Framing {
        self.framing
    }

    /// The action bound to `key`.
    pub fn action(&self, key: &KeyName) -> Option<&KeypadAction> {
        self.keys.get(key)
    }

    /// The bindings, by key.
    pub fn iter(&self) -> impl Iterator<Item = (&KeyName, &KeypadAction)> {
        self.keys.iter()
    }

    /// The map as configuration (to write a default file).
    pub fn to_config(&self) -> KeyMapConfig {
        KeyMapConfig { framing: self.framing, keys: self.keys.iter().map(|(k, a)| KeyBinding { key: k.to_string(), action: a.to_string() }).collect() }
    }
}
