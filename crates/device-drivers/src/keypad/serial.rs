//! [`SerialKeypad`]: a keypad on a serial port (or any [`Transport`]), read with the sans-IO
//! [`KeyDecoder`] and mapped through a [`KeyMap`].

use std::collections::VecDeque;
use std::path::PathBuf;
use std::time::{Duration, Instant};

use serde::{Deserialize, Serialize};
use tracing::{debug, warn};

use super::decoder::{DecoderStats, KeyDecoder};
use super::key::KeyName;
use super::keymap::{KeyMap, KeyMapConfig};
use super::{KeyPress, Keypad, KeypadError};
use crate::transport::{SerialConfig, SerialTransport, Transport, TransportError};

/// The baud rate most serial keypads use.
pub const DEFAULT_KEYPAD_BAUD: u32 = 9600;

/// A serial keypad as written in configuration:
///
/// ```toml
/// port = "/dev/ttyUSB0"
/// baud = 9600
/// framing = "plain"
/// keys = [{ key = "1", action = "call_next" }, { key = "2", action = "recall" }]
/// ```
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SerialKeypadConfig {
    /// The serial port (a udev name such as `/dev/serial/by-id/...` survives replugging).
    pub port: PathBuf,
    /// Baud rate (default 9600; 8 data bits, no parity, 1 stop bit).
    #[serde(default = "default_baud")]
    pub baud: u32,
    /// Framing and keys.
    #[serde(flatten)]
    pub keymap: KeyMapConfig,
}

fn default_baud() -> u32 {
    DEFAULT_KEYPAD_BAUD
}

/// Counts a keypad keeps, for health reports.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
pub struct SerialKeypadStats {
    /// Keys decoded and garbage bytes thrown away.
    pub decoder: DecoderStats,
    /// Keys that decoded but are bound to nothing (ignored).
    pub unmapped_keys: u64,
}

/// A serial keypad. Blocking, with a timeout on every wait; run it on a blocking thread.
#[derive(Debug)]
pub struct SerialKeypad<T> {
    transport: T,
    decoder: KeyDecoder,
    keymap: KeyMap,
    /// Keys decoded but not yet handed out (one read can carry several).
    keys: VecDeque<KeyName>,
    unmapped: u64,
}

impl SerialKeypad<SerialTransport> {
    /// Checks the key map and opens the port.
    ///
    /// # Errors
    /// [`KeypadError::KeyMap`] for a bad key map (checked first, so a typo is reported even
    /// with the keypad unplugged); [`KeypadError::Transport`] when the port cannot be opened.
    pub fn open(config: &SerialKeypadConfig) -> Result<Self, KeypadError> {
        let keymap = KeyMap::from_config(&config.keymap)?;
        let transport = SerialTransport::from_config(SerialConfig::new(&config.port).with_baud(config.baud))?;
        Ok(Self::new(transport, keymap))
    }
}

impl<T: Transport> SerialKeypad<T> {
    /// A keypad on `transport` with `keymap` (whose framing the decoder uses).
    pub fn new(transport: T, keymap: KeyMap) -> Self {
        Self { decoder: KeyDecoder::new(keymap.framing()), transport, keymap, keys: VecDeque::new(), unmapped: 0 }
    }

    /// The key map.
    pub fn keymap(&self) -> &KeyMap {
        &self.keymap
    }

    /// Counts so far.
    pub fn stats(&self) -> SerialKeypadStats {
        SerialKeypadStats { decoder: self.decoder.stats(), unmapped_keys: self.unmapped }
    }

    /// The next key pressed, bound or not, waiting up to `timeout`. `Ok(None)`: no key came.
    ///
    /// # Errors
    /// [`KeypadError::Transport`] when the port fails (e.g. the keypad was unplugged: call
    /// [`reopen`](Self::reopen) later).
    pub fn next_key(&mut self, timeout: Duration) -> Result<Option<KeyName>, KeypadError> {
        let deadline = Instant::now() + timeout;
        let mut buf = [0u8; 64];
        loop {
            if let Some(key) = self.keys.pop_front() {
                return Ok(Some(key));
            }
            let left = deadline.saturating_duration_since(Instant::now());
            match self.transport.read(&mut buf, left) {
                Ok(n) => self.keys.extend(self.decoder.push(&buf[..n])),
                Err(TransportError::Timeout { .. }) => return Ok(None),
                Err(e) => return Err(e.into()),
            }
            if self.keys.is_empty() && Instant::now() >= deadline {
                return Ok(None);
            }
        }
    }

    /// Opens the port again after an error, forgetting any half-received key.
    ///
    /// # Errors
    /// [`KeypadError::Transport`] while the keypad is still absent.
    pub fn reopen(&mut self) -> Result<(), KeypadError> {
        self.decoder.reset();
        self.keys.clear();
        self.transport.reopen()?;
        Ok(())
    }

    /// The transport, back.
    pub fn into_transport(self) -> T {
        self.transport
    }
}

impl<T: Transport> Keypad for SerialKeypad<T> {
    fn next_press(&mut self, timeout: Duration) -> Result<Option<KeyPress>, KeypadError> {
        let deadline = Instant::now() + timeout;
        loop {
            let left = deadline.saturating_duration_since(Instant::now());
            let Some(key) = self.next_key(left)? else {
                return Ok(None);
            };
            match self.keymap.action(&key) {
                Some(action) => {
                    debug!(%key, %action, "keypad press");
                    return Ok(Some(KeyPress { key: key.to_string(), long: false, action: action.clone() }));
                }
                None => {
                    self.unmapped += 1;
                    warn!(%key, "keypad key is bound to no action; ignored (add it to the key map if it should do something)");
                    if Instant::now() >= deadline && self.keys.is_empty() {
                        return Ok(None);
                    }
                }
            }
        }
    }
}
