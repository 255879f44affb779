//! A key's name, as a keypad sends it.

use std::fmt;
use std::str::FromStr;

use serde::{Deserialize, Serialize};

/// The longest key name: enough for `F12`, `ENTER`, `CALL`.
pub const MAX_KEY_LEN: usize = 8;

/// A key's name: 1 to [`MAX_KEY_LEN`] printable ASCII characters other than space (`0x21` to
/// `0x7E`), e.g. `1`, `*`, `#`, `A`, `F1`. Case matters: `a` and `A` are different keys.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct KeyName(String);

/// A text that cannot be a key name.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error(
    "{text:?} cannot be a key: {reason}; a key is 1 to 8 printable ASCII characters without spaces, exactly as the keypad sends it (e.g. \"1\", \"*\", \"F1\")"
)]
pub struct InvalidKey {
    /// The text.
    pub text: String,
    /// What is wrong with it.
    pub reason: &'static str,
}

/// Whether a byte can be part of a key name.
pub(crate) fn is_key_byte(byte: u8) -> bool {
    (0x21..=0x7E).contains(&byte)
}

impl KeyName {
    /// Checks and wraps a name.
    ///
    /// # Errors
    /// [`InvalidKey`] for an empty or too long name, or one with other characters.
    pub fn new(text: impl Into<String>) -> Result<Self, InvalidKey> {
        let text = text.into();
        let invalid = |reason| Err(InvalidKey { text: text.clone(), reason });
        if text.is_empty() {
            return invalid("it is empty");
        }
        if text.len() > MAX_KEY_LEN {
            return invalid("it is longer than 8 characters");
        }
        if !text.bytes().all(is_key_byte) {
            return invalid("it has a character that is not printable ASCII, or a space");
        }
        Ok(Self(text))
    }

    /// From bytes the decoder collected (all key bytes, 1 to 8 of them).
    pub(crate) fn from_key_bytes(bytes: &[u8]) -> Option<Self> {
        let text = std::str::from_utf8(bytes).ok()?;
        Self::new(text).ok()
    }

    /// The name.
    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// The name's bytes, as sent on the wire.
    pub fn as_bytes(&self) -> &[u8] {
        self.0.as_bytes()
    }

    /// Whether the key is one character (the only kind the `plain` framing can carry).
    pub fn is_single(&self) -> bool {
        self.0.len() == 1
    }
}

impl fmt::Display for KeyName {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl FromStr for KeyName {
    type Err = InvalidKey;

    fn from_str(s: &str) -> Result<Self, InvalidKey> {
        Self::new(s)
    }
}

impl TryFrom<String> for KeyName {
    type Error = InvalidKey;

    fn try_from(s: String) -> Result<Self, InvalidKey> {
        Self::new(s)
    }
}

impl From<KeyName> for String {
    fn from(key: KeyName) -> String {
        key.0
    }
}
