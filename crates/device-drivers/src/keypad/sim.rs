//! A simulated serial keypad: it "presses" keys by writing the real bytes of a framing to the
//! far end of a serial port or pty, so that tests (and a technician's `kiosk sim keypad --pty`)
//! drive the production [`SerialKeypad`](super::SerialKeypad).
//!
//! A keypad only talks, so the simulator needs no thread: each press is one write.

use std::io;
use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};
use serial2::SerialPort;

use super::decoder::{EncodeError, Framing, LineEnding, encode_key};
use super::key::{InvalidKey, KeyName};
use super::serial::DEFAULT_KEYPAD_BAUD;

/// How the simulated keypad behaves.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct SimKeypadOptions {
    /// Its framing.
    pub framing: Framing,
    /// What it sends after each key (`plain`: optional; `lines`: required; `stx`: ignored).
    pub line_ending: LineEnding,
    /// Baud rate when opened on a real port by path.
    pub baud: u32,
}

impl Default for SimKeypadOptions {
    fn default() -> Self {
        Self { framing: Framing::Plain, line_ending: LineEnding::None, baud: DEFAULT_KEYPAD_BAUD }
    }
}

/// One simulated press: the key and the bytes sent for it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SimPress {
    /// The key.
    pub key: KeyName,
    /// The bytes written.
    pub bytes: Vec<u8>,
}

/// A press the simulator could not make.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum SimKeypadError {
    /// The text is not a key.
    #[error(transparent)]
    Key(#[from] InvalidKey),
    /// The framing cannot carry the key.
    #[error(transparent)]
    Encode(#[from] EncodeError),
    /// Writing failed.
    #[error("the simulated keypad could not write to its port: {0}")]
    Io(#[from] io::Error),
}

/// The simulated keypad.
#[derive(Debug)]
pub struct KeypadSimulator {
    port: SerialPort,
    /// The driver's end of a pty pair, kept open so that the pty stays alive until the driver
    /// opens its path (with no process holding it, writes to our end fail).
    keep_open: Option<SerialPort>,
    options: SimKeypadOptions,
    presses: u64,
}

impl KeypadSimulator {
    /// A simulator on a new pseudo-terminal pair; returns the path a driver opens (e.g.
    /// `/dev/pts/3`). The path is found through `/proc/self/fd`, so this needs Linux.
    ///
    /// # Errors
    /// When no pty can be made.
    pub fn spawn_pty(options: SimKeypadOptions) -> io::Result<(PathBuf, KeypadSimulator)> {
        let (ours, theirs) = SerialPort::pair()?;
        let path = pty_path(&theirs)?;
        let mut sim = Self::on_port(ours, options);
        sim.keep_open = Some(theirs);
        Ok((path, sim))
    }

    /// A simulator on the serial port at `path` (raw 8N1 at `options.baud`), e.g. one end of a
    /// null-modem cable.
    ///
    /// # Errors
    /// When the port cannot be opened.
    pub fn on_path(path: &Path, options: SimKeypadOptions) -> io::Result<KeypadSimulator> {
        let port = SerialPort::open(path, |mut s: serial2::Settings| {
            s.set_raw();
            s.set_baud_rate(options.baud)?;
            Ok(s)
        })?;
        Ok(Self::on_port(port, options))
    }

    /// A simulator writing to `port`.
    pub fn on_port(port: SerialPort, options: SimKeypadOptions) -> KeypadSimulator {
        Self { port, keep_open: None, options, presses: 0 }
    }

    /// The options.
    pub fn options(&self) -> SimKeypadOptions {
        self.options
    }

    /// Presses made so far.
    pub fn presses(&self) -> u64 {
        self.presses
    }

    /// Presses `key`.
    ///
    /// # Errors
    /// [`SimKeypadError::Encode`] when the framing cannot carry it; [`SimKeypadError::Io`].
    pub fn press(&mut self, key: &KeyName) -> Result<SimPress, SimKeypadError> {
        let bytes = encode_key(self.options.framing, key, self.options.line_ending)?;
        self.send_raw(&bytes)?;
        self.presses += 1;
        Ok(SimPress { key: key.clone(), bytes })
    }

    /// Presses the keys named in `text`: with the `plain` framing each character is a key
    /// (`"123"` presses 1, 2, 3; spaces are skipped); otherwise keys are separated by spaces
    /// (`"F1 F2"`).
    ///
    /// # Errors
    /// [`SimKeypadError::Key`] for a text that is not a key; as [`press`](Self::press). Keys
    /// before the bad one have been pressed.
    pub fn press_str(&mut self, text: &str) -> Result<Vec<SimPress>, SimKeypadError> {
        let names: Vec<String> = match self.options.framing {
            Framing::Plain => text.chars().filter(|c| !c.is_whitespace()).map(String::from).collect(),
            Framing::Lines | Framing::Stx => text.split_whitespace().map(str::to_owned).collect(),
        };
        names.into_iter().map(|name| self.press(&KeyName::new(name)?)).collect()
    }

    /// Writes raw bytes (noise, a broken frame).
    ///
    /// # Errors
    /// When writing fails.
    pub fn send_raw(&mut self, bytes: &[u8]) -> io::Result<()> {
        self.port.write_all(bytes)?;
        self.port.flush()
    }
}

fn pty_path(port: &SerialPort) -> io::Result<PathBuf> {
    use std::os::unix::io::AsRawFd;
    std::fs::read_link(format!("/proc/self/fd/{}", port.as_raw_fd()))
}

impl Drop for KeypadSimulator {
    fn drop(&mut self) {
        // Close our end first, so a driver reading the pty sees the keypad go away rather than
        // a port that stays open by itself.
        self.keep_open.take();
    }
}
