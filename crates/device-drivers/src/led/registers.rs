//! The panel's register map (hallkit LED panel map, version 1) and the requests that upload a
//! [`Scene`], shared by the driver and the simulator so both read the map the same way. The map is
//! documented with example frames in docs/led-panels.md.
//!
//! | registers | access | meaning |
//! | --- | --- | --- |
//! | 0x0000 | read | magic 0x484C ("HL") |
//! | 0x0001 | read | map version (1) |
//! | 0x0002, 0x0003 | read | panel width, height in dots |
//! | 0x0004 | read | bitmap capacity in registers (4096) |
//! | 0x0005 | read | status bits: 0 showing, 1 animating, 2 LED fault |
//! | 0x0006 | read | shows done (wraps at 65536) |
//! | 0x0007 | read | brightness in use (0–15) |
//! | 0x0010 | read/write | content width in dots (multiple of 8, panel width to 2048) |
//! | 0x0011–0x0014 | read/write | blink times, blink period (ms), scroll speed (dots/s), scroll gap (dots) |
//! | 0x0015 | write | command: 1 show, 2 clear (reads 0) |
//! | 0x0016 | read/write | brightness 0–15, applied at once |
//! | 0x1000–0x1FFF | read/write | back buffer: content rows, MSB first, two bytes per register |
//!
//! Writes to the back buffer and to 0x0010–0x0014 change nothing on the panel until the command
//! 1 (show) swaps the back buffer to the front and restarts the effect clock; so the driver writes
//! the bitmap first and then one request 0x0010–0x0015, and a half-finished upload (a timeout, a
//! power cut) never shows half a call.

use serde::{Deserialize, Serialize};

use super::bitmap::{Bitmap, Geometry};
use super::effect::Scene;
use super::modbus::{MAX_WRITE, Request};
use super::text::MAX_CONTENT_WIDTH;

/// Magic value of register 0x0000: "HL".
pub const MAGIC: u16 = 0x484C;
/// The map version this driver speaks.
pub const MAP_VERSION: u16 = 1;

/// First identity register.
pub const IDENTITY: u16 = 0x0000;
/// Number of identity registers (0x0000–0x0007).
pub const IDENTITY_LEN: u16 = 8;
/// Register: magic.
pub const REG_MAGIC: u16 = 0x0000;
/// Register: map version.
pub const REG_VERSION: u16 = 0x0001;
/// Register: width.
pub const REG_WIDTH: u16 = 0x0002;
/// Register: height.
pub const REG_HEIGHT: u16 = 0x0003;
/// Register: bitmap capacity (registers).
pub const REG_CAPACITY: u16 = 0x0004;
/// Register: status bits.
pub const REG_STATUS: u16 = 0x0005;
/// Register: shows done.
pub const REG_SHOW_COUNT: u16 = 0x0006;
/// Register: brightness in use.
pub const REG_BRIGHTNESS_NOW: u16 = 0x0007;

/// First control register.
pub const CONTROL: u16 = 0x0010;
/// Register: content width.
pub const REG_CONTENT_WIDTH: u16 = 0x0010;
/// Register: blink times.
pub const REG_BLINK_TIMES: u16 = 0x0011;
/// Register: blink period (ms).
pub const REG_BLINK_PERIOD: u16 = 0x0012;
/// Register: scroll speed (dots/s).
pub const REG_SCROLL_SPEED: u16 = 0x0013;
/// Register: scroll gap (dots).
pub const REG_SCROLL_GAP: u16 = 0x0014;
/// Register: command.
pub const REG_COMMAND: u16 = 0x0015;
/// Register: brightness.
pub const REG_BRIGHTNESS: u16 = 0x0016;
/// Number of control registers (0x0010–0x0016).
pub const CONTROL_LEN: u16 = 7;

/// Command: swap the back buffer to the front and restart the effect.
pub const COMMAND_SHOW: u16 = 1;
/// Command: dark panel.
pub const COMMAND_CLEAR: u16 = 2;

/// First back-buffer register.
pub const BITMAP: u16 = 0x1000;
/// Back-buffer size in registers: 8192 bytes, 2048×32 dots.
pub const BITMAP_CAPACITY: u16 = 4096;

/// Status bit: the panel shows content (not cleared).
pub const STATUS_SHOWING: u16 = 1 << 0;
/// Status bit: it is blinking or scrolling now.
pub const STATUS_ANIMATING: u16 = 1 << 1;
/// Status bit: the panel's controller found failed LEDs or a module that does not answer.
pub const STATUS_LED_FAULT: u16 = 1 << 2;

/// The highest brightness level.
pub const MAX_BRIGHTNESS: u8 = 15;

/// A brightness level, 0 (darkest that is still on) to 15.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(try_from = "u8", into = "u8")]
pub struct Brightness(u8);

impl TryFrom<u8> for Brightness {
    type Error = String;
    fn try_from(level: u8) -> Result<Self, String> {
        Brightness::new(level).ok_or_else(|| format!("brightness {level} is out of range: use 0 to {MAX_BRIGHTNESS}"))
    }
}

impl From<Brightness> for u8 {
    fn from(b: Brightness) -> u8 {
        b.0
    }
}

impl Brightness {
    /// Full brightness.
    pub const FULL: Brightness = Brightness(MAX_BRIGHTNESS);

    /// A level, `None` above 15.
    pub fn new(level: u8) -> Option<Brightness> {
        (level <= MAX_BRIGHTNESS).then_some(Brightness(level))
    }

    /// The level.
    pub fn level(self) -> u8 {
        self.0
    }
}

/// What the identity registers say.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct PanelStatus {
    /// Map version.
    pub map_version: u16,
    /// Panel size.
    pub geometry: Geometry,
    /// Back-buffer capacity in registers.
    pub capacity: u16,
    /// Content is shown (the panel was not cleared).
    pub showing: bool,
    /// It is blinking or scrolling now.
    pub animating: bool,
    /// The controller reports failed LEDs or a module that does not answer.
    pub led_fault: bool,
    /// Shows done since power-on (wraps).
    pub show_count: u16,
    /// Brightness in use.
    pub brightness: u8,
}

/// Why the identity registers are not those of a panel this driver can drive.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum IdentityError {
    /// Register 0x0000 is not "HL".
    #[error(
        "register 0x0000 holds {0:04X}, not the panel magic 484C: this slave is not a hallkit-map LED panel (wrong slave address, or another device on the bus)"
    )]
    NotAPanel(u16),
    /// A map version this driver does not know.
    #[error("the panel speaks register map version {0}; this driver knows version {MAP_VERSION}: update hallkit or the panel firmware")]
    Version(u16),
    /// The size registers are not a supported panel.
    #[error("the panel reports an unsupported size: {0}")]
    Geometry(#[from] super::bitmap::GeometryError),
    /// Fewer registers than asked for.
    #[error("the panel returned {0} identity registers, expected {IDENTITY_LEN}")]
    Short(usize),
}

impl PanelStatus {
    /// Reads the identity block (registers 0x0000–0x0007).
    ///
    /// # Errors
    /// [`IdentityError`].
    pub fn from_registers(regs: &[u16]) -> Result<PanelStatus, IdentityError> {
        let &[magic, map_version, width, height, capacity, status, show_count, brightness] = regs else {
            return Err(IdentityError::Short(regs.len()));
        };
        if magic != MAGIC {
            return Err(IdentityError::NotAPanel(magic));
        }
        if map_version != MAP_VERSION {
            return Err(IdentityError::Version(map_version));
        }
        Ok(PanelStatus {
            map_version,
            geometry: Geometry::new(width, height)?,
            capacity,
            showing: status & STATUS_SHOWING != 0,
            animating: status & STATUS_ANIMATING != 0,
            led_fault: status & STATUS_LED_FAULT != 0,
            show_count,
            brightness: u8::try_from(brightness).unwrap_or(u8::MAX),
        })
    }

    /// The identity block's registers (what a panel answers).
    pub fn to_registers(&self) -> [u16; IDENTITY_LEN as usize] {
        let status = [(self.showing, STATUS_SHOWING), (self.animating, STATUS_ANIMATING), (self.led_fault, STATUS_LED_FAULT)]
            .iter()
            .filter(|(on, _)| *on)
            .fold(0, |bits, (_, bit)| bits | bit);
        [MAGIC, self.map_version, self.geometry.width(), self.geometry.height(), self.capacity, status, self.show_count, u16::from(self.brightness)]
    }

    /// The status in words, for a technician.
    pub fn describe(&self) -> String {
        let mut words = format!("{} dot panel, register map v{}", self.geometry, self.map_version);
        words.push_str(if self.showing { ", showing content" } else { ", dark (cleared)" });
        if self.animating {
            words.push_str(", blinking or scrolling");
        }
        words.push_str(&format!(", brightness {}/{MAX_BRIGHTNESS}", self.brightness));
        if self.led_fault {
            words.push_str("; LED FAULT: the controller reports failed LEDs or a module not answering, have the panel serviced");
        }
        words
    }
}

/// The bitmap as registers: two bytes each, the first the high byte; an odd last byte is padded
/// with zero.
pub fn bitmap_registers(bitmap: &Bitmap) -> Vec<u16> {
    bitmap.as_bytes().chunks(2).map(|c| u16::from_be_bytes([c[0], c.get(1).copied().unwrap_or(0)])).collect()
}

/// Registers back to `len` bytes.
pub fn registers_to_bytes(regs: &[u16], len: usize) -> Vec<u8> {
    let mut bytes: Vec<u8> = regs.iter().flat_map(|r| r.to_be_bytes()).collect();
    bytes.resize(len, 0);
    bytes
}

/// Whether content `width` dots wide fits a panel of `geometry` in its back buffer.
pub fn content_width_fits(width: u16, geometry: Geometry) -> bool {
    let bytes = usize::from(width / 8) * usize::from(geometry.height());
    width % 8 == 0 && width >= geometry.width() && width <= MAX_CONTENT_WIDTH && bytes <= 2 * usize::from(BITMAP_CAPACITY)
}

/// The requests that put `scene` on a panel: the bitmap in chunks of at most 123 registers, then
/// one write of the content width, the effect and the show command.
pub fn upload(scene: &Scene) -> Vec<Request> {
    let regs = bitmap_registers(&scene.content);
    let mut requests: Vec<Request> = regs
        .chunks(usize::from(MAX_WRITE))
        .enumerate()
        .map(|(i, chunk)| Request::WriteMultipleRegisters {
            // At most 4096 registers (the driver checks the content fits), so the offset fits.
            start: BITMAP + u16::try_from(i * usize::from(MAX_WRITE)).unwrap_or(0),
            values: chunk.to_vec(),
        })
        .collect();
    let e = scene.effect;
    requests.push(Request::WriteMultipleRegisters {
        start: CONTROL,
        values: vec![scene.content.width(), u16::from(e.blink_times), e.blink_period_ms, e.scroll_speed, e.scroll_gap, COMMAND_SHOW],
    });
    requests
}

/// The request that darkens the panel.
pub fn clear() -> Request {
    Request::WriteMultipleRegisters { start: REG_COMMAND, values: vec![COMMAND_CLEAR] }
}

/// The request that sets the brightness.
pub fn set_brightness(level: Brightness) -> Request {
    Request::WriteMultipleRegisters { start: REG_BRIGHTNESS, values: vec![u16::from(level.level())] }
}

/// The request that reads the identity block.
pub fn read_identity() -> Request {
    Request::ReadHoldingRegisters { start: IDENTITY, count: IDENTITY_LEN }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::led::effect::Effect;
    use crate::led::text::render_text;

    #[test]
    fn an_upload_is_the_bitmap_in_chunks_then_one_commit() {
        let g = Geometry::STRIP_256X32;
        let content = render_text("请A012号到3号窗口", g).content;
        let scene = Scene { geometry: g, content: content.clone(), effect: Effect::CALL };
        let requests = upload(&scene);
        // 256×32 dots = 1024 bytes = 512 registers = 5 chunks (4 × 123 + 20), then the commit.
        assert_eq!(requests.len(), 6);
        let mut regs = Vec::new();
        for (i, r) in requests[..5].iter().enumerate() {
            let Request::WriteMultipleRegisters { start, values } = r else { panic!("a write") };
            assert_eq!(*start, BITMAP + 123 * i as u16);
            assert!(values.len() <= 123);
            regs.extend_from_slice(values);
        }
        assert_eq!(registers_to_bytes(&regs, content.as_bytes().len()), content.as_bytes());
        assert_eq!(requests[5], Request::WriteMultipleRegisters { start: CONTROL, values: vec![256, 3, 600, 32, 32, COMMAND_SHOW] });
    }

    #[test]
    fn the_identity_block_round_trips_and_is_checked() {
        let status = PanelStatus {
            map_version: 1,
            geometry: Geometry::WINDOW_128X16,
            capacity: BITMAP_CAPACITY,
            showing: true,
            animating: false,
            led_fault: true,
            show_count: 9,
            brightness: 12,
        };
        let regs = status.to_registers();
        assert_eq!(regs, [0x484C, 1, 128, 16, 4096, 0b101, 9, 12]);
        assert_eq!(PanelStatus::from_registers(&regs), Ok(status));
        assert!(status.describe().contains("LED FAULT"), "{}", status.describe());
        let mut other = regs;
        other[0] = 0x1234;
        assert_eq!(PanelStatus::from_registers(&other), Err(IdentityError::NotAPanel(0x1234)));
        other = regs;
        other[1] = 2;
        assert_eq!(PanelStatus::from_registers(&other), Err(IdentityError::Version(2)));
        other = regs;
        other[2] = 100;
        assert!(matches!(PanelStatus::from_registers(&other), Err(IdentityError::Geometry(_))));
        assert_eq!(PanelStatus::from_registers(&regs[..7]), Err(IdentityError::Short(7)));
    }

    /// The example frames in docs/led-panels.md, byte for byte.
    #[test]
    fn the_documented_example_frames_are_what_the_code_sends_and_answers() {
        use crate::led::modbus::{ExceptionCode, Response, SlaveAddress};
        let hex = |s: &str| -> Vec<u8> { s.split_whitespace().map(|b| u8::from_str_radix(b, 16).expect("hex")).collect() };
        let one = SlaveAddress::DEFAULT;
        assert_eq!(read_identity().encode(one), hex("01 03 00 00 00 08 44 0C"));
        let status = PanelStatus {
            map_version: 1,
            geometry: Geometry::WINDOW_128X16,
            capacity: BITMAP_CAPACITY,
            showing: true,
            animating: false,
            led_fault: false,
            show_count: 1,
            brightness: 15,
        };
        assert_eq!(
            Response::ReadHoldingRegisters { values: status.to_registers().to_vec() }.encode(one),
            hex("01 03 10 48 4C 00 01 00 80 00 10 10 00 00 01 00 01 00 0F D5 D1")
        );
        assert_eq!(Request::WriteMultipleRegisters { start: BITMAP, values: vec![0x0000, 0x1FF8] }.encode(one), hex("01 10 10 00 00 02 04 00 00 1F F8 37 DD"));
        assert_eq!(Response::WriteMultipleRegisters { start: BITMAP, count: 2 }.encode(one), hex("01 10 10 00 00 02 45 08"));
        let scene = Scene { geometry: Geometry::WINDOW_128X16, content: Bitmap::blank(Geometry::WINDOW_128X16), effect: Effect::CALL };
        let commit = upload(&scene).pop().expect("a commit");
        assert_eq!(commit.encode(one), hex("01 10 00 10 00 06 0C 00 80 00 03 02 58 00 20 00 20 00 01 A3 F8"));
        assert_eq!(Response::WriteMultipleRegisters { start: CONTROL, count: 6 }.encode(one), hex("01 10 00 10 00 06 41 CE"));
        assert_eq!(clear().encode(one), hex("01 10 00 15 00 01 02 00 02 25 54"));
        assert_eq!(Response::WriteMultipleRegisters { start: REG_COMMAND, count: 1 }.encode(one), hex("01 10 00 15 00 01 10 0D"));
        assert_eq!(set_brightness(Brightness::new(8).expect("a level")).encode(one), hex("01 10 00 16 00 01 02 00 08 A5 60"));
        let exception = |function, code| Response::Exception { function, code }.encode(one);
        assert_eq!(exception(0x10, ExceptionCode::IllegalDataAddress), hex("01 90 02 CD C1"));
        assert_eq!(exception(0x10, ExceptionCode::IllegalDataValue), hex("01 90 03 0C 01"));
        assert_eq!(exception(0x03, ExceptionCode::SlaveDeviceFailure), hex("01 83 04 40 F3"));
        assert_eq!(exception(0x10, ExceptionCode::SlaveDeviceBusy), hex("01 90 06 CC 02"));
    }

    #[test]
    fn content_must_fit_the_back_buffer() {
        let g = Geometry::STRIP_256X32;
        assert!(content_width_fits(256, g));
        assert!(content_width_fits(2048, g));
        assert!(!content_width_fits(2056, g));
        assert!(!content_width_fits(248, g));
        assert!(!content_width_fits(260, g));
        assert_eq!(Brightness::new(16), None);
        assert_eq!(Brightness::new(7).map(Brightness::level), Some(7));
    }
}
