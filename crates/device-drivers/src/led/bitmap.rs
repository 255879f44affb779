//! The panel's picture: a 1-bit [`Bitmap`] (row-major, most significant bit first, the layout
//! the panel's bitmap registers carry) and the [`Geometry`] of a panel.

use embedded_graphics::Pixel;
use embedded_graphics::pixelcolor::BinaryColor;
use embedded_graphics::prelude::{DrawTarget, OriginDimensions, Size};
use serde::{Deserialize, Serialize};
use thiserror::Error;

/// The narrowest panel supported, in dots.
pub const MIN_WIDTH: u16 = 64;
/// The widest panel supported, in dots.
pub const MAX_WIDTH: u16 = 256;
/// The lowest panel supported, in dots: one line of a 16-dot font.
pub const MIN_HEIGHT: u16 = 16;
/// The tallest panel supported, in dots: two lines of a 16-dot font, or one line at double size.
pub const MAX_HEIGHT: u16 = 32;

/// Why a size is not a valid panel or bitmap.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
#[non_exhaustive]
pub enum GeometryError {
    /// The width is not a whole number of bytes.
    #[error("a width of {width} dots is not a multiple of 8; LED modules come in multiples of 8 dots, check the panel's size")]
    WidthNotByteAligned {
        /// The width asked for.
        width: u16,
    },
    /// The panel is smaller or larger than what is supported.
    #[error("a {width}×{height} panel is outside the supported range {MIN_WIDTH}×{MIN_HEIGHT} to {MAX_WIDTH}×{MAX_HEIGHT}; check the panel's configured size")]
    OutOfRange {
        /// Width in dots.
        width: u16,
        /// Height in dots.
        height: u16,
    },
    /// A bitmap with no dots.
    #[error("a bitmap must be at least 8×1 dots")]
    Empty,
    /// The bytes do not match the size.
    #[error("a {width}×{height} bitmap needs {expected} bytes, got {got}")]
    WrongLength {
        /// Width in dots.
        width: u16,
        /// Height in dots.
        height: u16,
        /// `width / 8 * height`.
        expected: usize,
        /// Bytes given.
        got: usize,
    },
}

/// The size of a panel in dots: width a multiple of 8 from 64 to 256, height from 16 to 32.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(try_from = "RawGeometry", into = "RawGeometry")]
pub struct Geometry {
    width: u16,
    height: u16,
}

/// The serialised form, checked on the way in.
#[derive(Serialize, Deserialize)]
struct RawGeometry {
    width: u16,
    height: u16,
}

impl TryFrom<RawGeometry> for Geometry {
    type Error = GeometryError;
    fn try_from(raw: RawGeometry) -> Result<Self, GeometryError> {
        Geometry::new(raw.width, raw.height)
    }
}

impl From<Geometry> for RawGeometry {
    fn from(g: Geometry) -> Self {
        RawGeometry { width: g.width, height: g.height }
    }
}

impl Geometry {
    /// The common window panel: 64×16 (four 16-dot characters).
    pub const WINDOW_64X16: Geometry = Geometry { width: 64, height: 16 };
    /// A 128×16 window panel (eight 16-dot characters).
    pub const WINDOW_128X16: Geometry = Geometry { width: 128, height: 16 };
    /// A 256×32 strip panel (sixteen characters on two lines, or eight at double size).
    pub const STRIP_256X32: Geometry = Geometry { width: 256, height: 32 };

    /// A panel of `width`×`height` dots.
    ///
    /// # Errors
    /// [`GeometryError`] when the width is not a multiple of 8 or the size is out of range.
    pub fn new(width: u16, height: u16) -> Result<Geometry, GeometryError> {
        if width % 8 != 0 {
            return Err(GeometryError::WidthNotByteAligned { width });
        }
        if !(MIN_WIDTH..=MAX_WIDTH).contains(&width) || !(MIN_HEIGHT..=MAX_HEIGHT).contains(&height) {
            return Err(GeometryError::OutOfRange { width, height });
        }
        Ok(Geometry { width, height })
    }

    /// Width in dots.
    pub fn width(self) -> u16 {
        self.width
    }

    /// Height in dots.
    pub fn height(self) -> u16 {
        self.height
    }
}

impl std::fmt::Display for Geometry {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}×{}", self.width, self.height)
    }
}

/// A 1-bit picture: `height` rows of `width / 8` bytes, each byte's most significant bit the
/// leftmost dot; a set bit is a lit LED.
///
/// It holds either what a panel shows (panel-sized) or the content uploaded to it, which may be
/// wider than the panel when the text scrolls.
#[derive(Clone, PartialEq, Eq, Hash)]
pub struct Bitmap {
    width: u16,
    height: u16,
    bytes: Vec<u8>,
}

impl std::fmt::Debug for Bitmap {
    /// Shows the picture as rows of `#` and `.`, so a failed comparison can be read.
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        writeln!(f, "Bitmap {}×{}:", self.width, self.height)?;
        for y in 0..self.height {
            let row: String = (0..self.width).map(|x| if self.get(x, y) { '#' } else { '.' }).collect();
            writeln!(f, "{row}")?;
        }
        Ok(())
    }
}

impl Bitmap {
    /// An all-dark bitmap.
    ///
    /// # Errors
    /// [`GeometryError::WidthNotByteAligned`], [`GeometryError::Empty`].
    pub fn new(width: u16, height: u16) -> Result<Bitmap, GeometryError> {
        check_size(width, height)?;
        Ok(Bitmap { width, height, bytes: vec![0; usize::from(width / 8) * usize::from(height)] })
    }

    /// An all-dark bitmap at least `width`×`height`: the width rounded up to whole bytes, and at
    /// least 8×1. For sizes computed inside this module, where an error could only be a bug.
    pub(crate) fn dark_at_least(width: u16, height: u16) -> Bitmap {
        let width = width.div_ceil(8).max(1) * 8;
        let height = height.max(1);
        Bitmap { width, height, bytes: vec![0; usize::from(width / 8) * usize::from(height)] }
    }

    /// An all-dark bitmap the size of a panel.
    pub fn blank(geometry: Geometry) -> Bitmap {
        Bitmap { width: geometry.width, height: geometry.height, bytes: vec![0; usize::from(geometry.width / 8) * usize::from(geometry.height)] }
    }

    /// A bitmap from its bytes (row-major, MSB first).
    ///
    /// # Errors
    /// [`GeometryError`] when the size is invalid or the bytes do not match it.
    pub fn from_bytes(width: u16, height: u16, bytes: Vec<u8>) -> Result<Bitmap, GeometryError> {
        check_size(width, height)?;
        let expected = usize::from(width / 8) * usize::from(height);
        if bytes.len() != expected {
            return Err(GeometryError::WrongLength { width, height, expected, got: bytes.len() });
        }
        Ok(Bitmap { width, height, bytes })
    }

    /// Width in dots.
    pub fn width(&self) -> u16 {
        self.width
    }

    /// Height in dots.
    pub fn height(&self) -> u16 {
        self.height
    }

    /// Bytes per row.
    pub fn stride(&self) -> usize {
        usize::from(self.width / 8)
    }

    /// The bytes, row-major, MSB first.
    pub fn as_bytes(&self) -> &[u8] {
        &self.bytes
    }

    /// The bytes.
    pub fn into_bytes(self) -> Vec<u8> {
        self.bytes
    }

    /// Whether the dot at (`x`, `y`) is lit; dots outside the bitmap are dark.
    pub fn get(&self, x: u16, y: u16) -> bool {
        if x >= self.width || y >= self.height {
            return false;
        }
        let byte = self.bytes[usize::from(y) * self.stride() + usize::from(x / 8)];
        byte & (0x80 >> (x % 8)) != 0
    }

    /// Lights or darkens the dot at (`x`, `y`); dots outside the bitmap are ignored.
    pub fn set(&mut self, x: u16, y: u16, on: bool) {
        if x >= self.width || y >= self.height {
            return;
        }
        let index = usize::from(y) * self.stride() + usize::from(x / 8);
        let mask = 0x80 >> (x % 8);
        if on {
            self.bytes[index] |= mask;
        } else {
            self.bytes[index] &= !mask;
        }
    }

    /// How many dots are lit.
    pub fn lit(&self) -> usize {
        self.bytes.iter().map(|b| b.count_ones() as usize).sum()
    }

    /// Whether no dot is lit.
    pub fn is_dark(&self) -> bool {
        self.bytes.iter().all(|&b| b == 0)
    }

    /// Copies `source` with its top-left corner at (`x`, `y`), clipping what falls outside.
    pub fn blit(&mut self, source: &Bitmap, x: i32, y: i32) {
        for sy in 0..source.height {
            for sx in 0..source.width {
                if source.get(sx, sy) {
                    let (tx, ty) = (x + i32::from(sx), y + i32::from(sy));
                    if let (Ok(tx), Ok(ty)) = (u16::try_from(tx), u16::try_from(ty)) {
                        self.set(tx, ty, true);
                    }
                }
            }
        }
    }

    /// The lit columns' extent: `(first, last)` lit column, or `None` when dark.
    pub fn lit_columns(&self) -> Option<(u16, u16)> {
        let lit = |x: u16| (0..self.height).any(|y| self.get(x, y));
        let first = (0..self.width).find(|&x| lit(x))?;
        let last = (0..self.width).rev().find(|&x| lit(x))?;
        Some((first, last))
    }
}

fn check_size(width: u16, height: u16) -> Result<(), GeometryError> {
    if width % 8 != 0 {
        return Err(GeometryError::WidthNotByteAligned { width });
    }
    if width == 0 || height == 0 {
        return Err(GeometryError::Empty);
    }
    Ok(())
}

impl OriginDimensions for Bitmap {
    fn size(&self) -> Size {
        Size::new(u32::from(self.width), u32::from(self.height))
    }
}

/// Lets `embedded-graphics` (and `u8g2-fonts`) draw straight into the bitmap: `On` lights a dot.
impl DrawTarget for Bitmap {
    type Color = BinaryColor;
    type Error = std::convert::Infallible;

    fn draw_iter<I>(&mut self, pixels: I) -> Result<(), Self::Error>
    where
        I: IntoIterator<Item = Pixel<Self::Color>>,
    {
        for Pixel(point, color) in pixels {
            if let (Ok(x), Ok(y)) = (u16::try_from(point.x), u16::try_from(point.y)) {
                self.set(x, y, color.is_on());
            }
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use embedded_graphics::prelude::*;
    use embedded_graphics::primitives::{PrimitiveStyle, Rectangle};

    use super::*;

    #[test]
    fn dots_are_row_major_most_significant_bit_first() {
        let mut b = Bitmap::new(16, 2).expect("valid");
        b.set(0, 0, true);
        b.set(9, 0, true);
        b.set(15, 1, true);
        assert_eq!(b.as_bytes(), &[0x80, 0x40, 0x00, 0x01]);
        assert!(b.get(9, 0) && !b.get(8, 0));
        b.set(0, 0, false);
        assert_eq!(b.as_bytes()[0], 0);
        assert_eq!(b.lit(), 2);
        // Outside: ignored, and reads dark.
        b.set(16, 0, true);
        b.set(0, 2, true);
        assert!(!b.get(16, 0) && !b.get(0, 2));
        assert_eq!(b.lit(), 2);
    }

    #[test]
    fn geometry_is_checked() {
        assert!(Geometry::new(128, 16).is_ok());
        assert!(Geometry::new(256, 32).is_ok());
        assert_eq!(Geometry::new(100, 16), Err(GeometryError::WidthNotByteAligned { width: 100 }));
        assert_eq!(Geometry::new(56, 16), Err(GeometryError::OutOfRange { width: 56, height: 16 }));
        assert_eq!(Geometry::new(264, 16), Err(GeometryError::OutOfRange { width: 264, height: 16 }));
        assert_eq!(Geometry::new(64, 8), Err(GeometryError::OutOfRange { width: 64, height: 8 }));
        assert_eq!(Geometry::new(64, 33), Err(GeometryError::OutOfRange { width: 64, height: 33 }));
        assert_eq!(Bitmap::new(12, 4), Err(GeometryError::WidthNotByteAligned { width: 12 }));
        assert_eq!(Bitmap::new(0, 4), Err(GeometryError::Empty));
        assert!(matches!(Bitmap::from_bytes(16, 2, vec![0; 3]), Err(GeometryError::WrongLength { expected: 4, got: 3, .. })));
    }

    #[test]
    fn geometry_deserialisation_checks_the_size() {
        let ok: Geometry = toml::from_str("width = 128\nheight = 16").expect("valid");
        assert_eq!(ok, Geometry::WINDOW_128X16);
        assert!(toml::from_str::<Geometry>("width = 130\nheight = 16").is_err());
    }

    #[test]
    fn embedded_graphics_draws_into_it_with_clipping() {
        let mut b = Bitmap::new(8, 4).expect("valid");
        Rectangle::new(Point::new(6, 2), Size::new(4, 4)).into_styled(PrimitiveStyle::with_fill(BinaryColor::On)).draw(&mut b).expect("infallible");
        assert_eq!(b.as_bytes(), &[0, 0, 0x03, 0x03]);
        assert_eq!(b.lit_columns(), Some((6, 7)));
    }

    #[test]
    fn blit_clips_at_every_edge() {
        let mut src = Bitmap::new(8, 2).expect("valid");
        for x in 0..8 {
            src.set(x, 0, true);
            src.set(x, 1, true);
        }
        let mut dst = Bitmap::new(16, 2).expect("valid");
        dst.blit(&src, -4, 1);
        assert_eq!(dst.as_bytes(), &[0, 0, 0xF0, 0]);
        dst.blit(&src, 12, -1);
        assert_eq!(dst.as_bytes(), &[0x00, 0x0F, 0xF0, 0]);
    }
}
