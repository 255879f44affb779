//! LED window panels: the red dot-matrix sign above each service window ("请A012号到3号窗口"),
//! and longer strip panels.
//!
//! - [`WindowPanel`]: what the board and counter roles call: show text with an [`Effect`] (a new
//!   call blinks, long text scrolls), clear, set the brightness.
//! - [`Bitmap`] and [`Geometry`]: the panel's 1-bit picture, 64×16 up to 256×32 dots, row-major,
//!   most significant bit first.
//! - [`text`]: text to dots with the WenQuanYi 16-dot GB2312 font (`u8g2-fonts`), one line on a
//!   16-dot panel, two lines or double size on a 32-dot panel; a character the font lacks becomes
//!   a crossed box and is reported in [`Shown::missing`].
//! - [`effect`]: blinking and scrolling as a function of time ([`Scene::frame_at`]), so frames are
//!   computed, not slept through, in tests and in the simulator.
//! - [`modbus`]: Modbus-RTU frames (0x03, 0x10, exceptions, CRC-16/MODBUS) and an incremental
//!   decoder that resynchronises on garbage.
//! - [`registers`]: the panel register map (documented with example frames in
//!   docs/led-panels.md): identity and status, control, and a double-buffered bitmap.
//! - [`ModbusPanel`]: the default driver, over any [`Transport`](crate::transport::Transport),
//!   with timeouts from the baud rate and retries.
//! - [`sim`]: a panel on a pty that answers the same frames, fails on demand and draws itself
//!   as a PNG; [`doctor`](mod@doctor): the technician's check (`kiosk doctor led`).
//!
//! The panel does its own animation: the driver uploads the content once (wider than the panel
//! when it must scroll) with the effect settings, and the panel's controller blinks and scrolls
//! it. So a call costs one upload (1 KiB for 256×32), and the bus is free between calls.

pub mod bitmap;
pub mod doctor;
pub mod driver;
pub mod effect;
pub mod modbus;
pub mod picture;
pub mod registers;
pub mod sim;
pub mod text;

pub use bitmap::{Bitmap, Geometry, GeometryError};
pub use doctor::{DoctorOptions, DoctorReport, doctor};
pub use driver::{DriverConfig, LedError, ModbusPanel};
pub use effect::{Effect, Scene};
pub use modbus::SlaveAddress;
pub use registers::{Brightness, PanelStatus};
pub use text::{MissingGlyph, TextLayout};

use serde::{Deserialize, Serialize};

/// What [`WindowPanel::show`] put on the panel.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Shown {
    /// Characters the font lacks, shown as crossed boxes (☒, which cannot be taken for 口): log
    /// them, and fix the text or template.
    pub missing: Vec<MissingGlyph>,
    /// The text was too long for the panel's buffer and was cut.
    pub truncated: bool,
    /// The text is wider than the panel and scrolls.
    pub scrolls: bool,
    /// How it was laid out.
    pub layout: TextLayout,
    /// The width of the content uploaded, in dots.
    pub content_width: u16,
}

/// An LED panel above a service window or along a wall.
///
/// Calls block until the panel confirmed (or the driver's timeouts ran out); run them on a
/// blocking thread.
pub trait WindowPanel {
    /// The driver's error.
    type Error: crate::Error;

    /// The panel's size.
    fn geometry(&self) -> Geometry;

    /// Shows `text` (e.g. "请A012号到3号窗口" or "A012 → 3号窗口") with `effect`
    /// ([`Effect::CALL`] for a new call: it blinks, then stays or scrolls).
    ///
    /// # Errors
    /// When the panel did not take the text; what is on it then is unchanged (the new content is
    /// only shown once complete).
    fn show(&mut self, text: &str, effect: Effect) -> Result<Shown, Self::Error>;

    /// Darkens the panel.
    ///
    /// # Errors
    /// When the panel did not confirm.
    fn clear(&mut self) -> Result<(), Self::Error>;

    /// Sets the brightness (a dim hall in the evening, a bright one by a window).
    ///
    /// # Errors
    /// When the panel did not confirm.
    fn set_brightness(&mut self, level: Brightness) -> Result<(), Self::Error>;
}
