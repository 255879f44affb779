//! Buttons and lamps on GPIO lines: a counter's call button, a window's "serving" lamp.
//!
//! Layers, from the bottom:
//! - [`GpioBackend`]: one trait over where lines come from. [`CdevBackend`] is the production
//!   backend on any Linux board (the `/dev/gpiochipN` character device through `gpio-cdev`,
//!   ARM64 and LoongArch64 included); `RppalBackend` (feature `raspberry-pi`) uses the
//!   Raspberry Pi library; [`MemoryBackend`] is an in-memory stand-in **for tests of the logic
//!   only**, never chosen by configuration ([`BackendKind`] cannot name it).
//! - Sans-IO cores, tested without hardware or sleeping: the [`Debouncer`] (edges in, one
//!   report per press out, bounces ignored, optional long press) and [`Lamp`] /
//!   [`LampPattern`] (which level a lamp shows at a given time: on, off, blink, flash groups).
//! - [`GpioPanel`]: the buttons and lamps of one device over one backend, built from a
//!   [`PanelConfig`]. It waits for edges on all buttons at once, keeps lamps blinking while it
//!   waits, and returns debounced [`ButtonEvent`]s. Mapping buttons to counter actions is the
//!   keypad's business ([`crate::keypad::GpioKeypad`]).
//!
//! - [`chips`], [`chip`] and [`lines`]: what GPIO a board has, as `gpiodetect` and `gpioinfo`
//!   show it, for a technician's `doctor` command.
//!
//! Levels are logical everywhere above the backend: `active` means pressed or lit, and
//! `active_low` in a [`LineConfig`] says how that maps to volts. Every error is a [`GpioError`]
//! that maps to [`crate::ErrorKind`] and names the chip and line, and what to do.
//!
//! Wiring, configuration and permissions: docs/buttons-and-lamps.md.

mod backend;
mod cdev;
mod chips;
mod debounce;
mod error;
mod lamp;
mod memory;
mod panel;
#[cfg(feature = "raspberry-pi")]
mod rppal;

use serde::{Deserialize, Serialize};

pub use backend::{CONSUMER, DEFAULT_CHIP, Edge, GpioBackend, InputId, LineConfig, OutputId, Pull};
pub use cdev::CdevBackend;
pub use chips::{ChipSummary, LineSummary, chip, chips, lines};
pub use debounce::{ButtonChange, ButtonSettings, DEFAULT_DEBOUNCE, Debouncer};
pub use error::GpioError;
pub use lamp::{Lamp, LampPattern};
pub use memory::MemoryBackend;
pub use panel::{ButtonConfig, ButtonEvent, ButtonId, GpioPanel, LampConfig, LampId, PanelConfig, RECHECK_EVERY};
#[cfg(feature = "raspberry-pi")]
pub use rppal::RppalBackend;

/// The production backends a configuration can choose (`backend = "cdev"`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
#[non_exhaustive]
pub enum BackendKind {
    /// The Linux GPIO character device (any board).
    #[default]
    Cdev,
    /// The Raspberry Pi library; needs the `raspberry-pi` feature.
    RaspberryPi,
}

/// Opens the backend a configuration chose.
///
/// # Errors
/// [`GpioError::Config`] for `raspberry_pi` in a build without the `raspberry-pi` feature;
/// [`GpioError::RaspberryPi`] when that library cannot start.
pub fn open_backend(kind: BackendKind) -> Result<Box<dyn GpioBackend>, GpioError> {
    match kind {
        BackendKind::Cdev => Ok(Box::new(CdevBackend::new())),
        #[cfg(feature = "raspberry-pi")]
        BackendKind::RaspberryPi => Ok(Box::new(RppalBackend::new()?)),
        #[cfg(not(feature = "raspberry-pi"))]
        BackendKind::RaspberryPi => Err(GpioError::Config(
            "backend \"raspberry_pi\" needs a build with the `raspberry-pi` feature; use backend \"cdev\", which works on a Raspberry Pi too".into(),
        )),
    }
}
