//! The trait every GPIO backend implements, and the line configuration it takes.

use std::path::PathBuf;
use std::time::Duration;

use serde::{Deserialize, Serialize};

use super::GpioError;

/// The chip most boards' header pins are on.
pub const DEFAULT_CHIP: &str = "/dev/gpiochip0";

/// The consumer label hallkit gives the lines it takes (shown by `gpioinfo`).
pub const CONSUMER: &str = "hallkit";

/// A pull resistor inside the SoC, for a button wired to ground with no resistor of its own.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Pull {
    /// Leave the line's bias as the device tree set it.
    #[default]
    AsIs,
    /// Pull up (a button between the pin and ground; set `active_low`).
    Up,
    /// Pull down (a button between the pin and 3.3 V).
    Down,
    /// No pull.
    Disabled,
}

/// One GPIO line: which chip, which line, and which level means "active" (pressed, lit).
///
/// In TOML: `chip = "/dev/gpiochip0"`, `offset = 17`, `active_low = true`, `pull = "up"`.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct LineConfig {
    /// The chip's device node (`/dev/gpiochipN`). The Raspberry Pi backend ignores it.
    #[serde(default = "default_chip")]
    pub chip: PathBuf,
    /// The line's offset on the chip (on a Raspberry Pi: the BCM GPIO number).
    pub offset: u32,
    /// Whether a low level means active: a button to ground, a lamp driven by a sinking
    /// transistor.
    #[serde(default)]
    pub active_low: bool,
    /// Internal pull resistor (inputs only).
    #[serde(default)]
    pub pull: Pull,
}

fn default_chip() -> PathBuf {
    PathBuf::from(DEFAULT_CHIP)
}

impl LineConfig {
    /// Line `offset` of `chip`, active high, bias as it is.
    pub fn new(chip: impl Into<PathBuf>, offset: u32) -> Self {
        Self { chip: chip.into(), offset, active_low: false, pull: Pull::AsIs }
    }

    /// The same, active low.
    pub fn active_low(mut self) -> Self {
        self.active_low = true;
        self
    }

    /// The same, with a pull resistor.
    pub fn with_pull(mut self, pull: Pull) -> Self {
        self.pull = pull;
        self
    }
}

/// An input line a backend handed out.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct InputId(pub usize);

/// An output line a backend handed out.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct OutputId(pub usize);

/// An edge seen on an input line.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Edge {
    /// Which input.
    pub input: InputId,
    /// The line's logical level after the edge (`true`: active, i.e. pressed).
    pub active: bool,
    /// When, on the backend's [`now`](GpioBackend::now) timeline.
    pub at: Duration,
}

/// A source of GPIO lines: the Linux character device ([`CdevBackend`](super::CdevBackend)),
/// the Raspberry Pi library (`RppalBackend`, feature `raspberry-pi`), or, for tests of the logic
/// above it only, [`MemoryBackend`](super::MemoryBackend).
///
/// One backend owns all the lines of a device so that it can wait for an edge on any of them
/// at once. Levels are logical: `active_low` is applied by the backend. It is object-safe, so a
/// counter can pick its backend from configuration (`Box<dyn GpioBackend>`).
pub trait GpioBackend: Send + std::fmt::Debug {
    /// The backend's name for logs ("cdev", "rppal", "memory").
    fn name(&self) -> &'static str;

    /// Takes an input line and starts watching both of its edges.
    ///
    /// # Errors
    /// [`GpioError::ChipMissing`], [`GpioError::Permission`], [`GpioError::NoSuchLine`],
    /// [`GpioError::LineBusy`], …
    fn request_input(&mut self, line: &LineConfig) -> Result<InputId, GpioError>;

    /// Takes an output line, set to `active` at once.
    ///
    /// # Errors
    /// As [`request_input`](Self::request_input).
    fn request_output(&mut self, line: &LineConfig, active: bool) -> Result<OutputId, GpioError>;

    /// Reads an input's logical level.
    ///
    /// # Errors
    /// [`GpioError::Io`], [`GpioError::UnknownHandle`].
    fn is_active(&mut self, input: InputId) -> Result<bool, GpioError>;

    /// Sets an output's logical level.
    ///
    /// # Errors
    /// [`GpioError::Io`], [`GpioError::UnknownHandle`].
    fn set_active(&mut self, output: OutputId, active: bool) -> Result<(), GpioError>;

    /// The time on this backend's monotonic timeline (edges are stamped on it).
    fn now(&self) -> Duration;

    /// Waits until an input has an edge or the timeline reaches `until`, whichever is first.
    /// `Ok(None)`: `until` came with no edge.
    ///
    /// # Errors
    /// [`GpioError::Io`] when the lines cannot be watched.
    fn wait_edge(&mut self, until: Duration) -> Result<Option<Edge>, GpioError>;
}

impl<B: GpioBackend + ?Sized> GpioBackend for Box<B> {
    fn name(&self) -> &'static str {
        (**self).name()
    }

    fn request_input(&mut self, line: &LineConfig) -> Result<InputId, GpioError> {
        (**self).request_input(line)
    }

    fn request_output(&mut self, line: &LineConfig, active: bool) -> Result<OutputId, GpioError> {
        (**self).request_output(line, active)
    }

    fn is_active(&mut self, input: InputId) -> Result<bool, GpioError> {
        (**self).is_active(input)
    }

    fn set_active(&mut self, output: OutputId, active: bool) -> Result<(), GpioError> {
        (**self).set_active(output, active)
    }

    fn now(&self) -> Duration {
        (**self).now()
    }

    fn wait_edge(&mut self, until: Duration) -> Result<Option<Edge>, GpioError> {
        (**self).wait_edge(until)
    }
}
