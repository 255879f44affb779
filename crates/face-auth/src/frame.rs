//! Frames: a camera picture or a card photo as 8-bit RGB, held only in memory and wiped when
//! dropped.
//!
//! Nothing here writes a frame anywhere: no `Debug` output of pixels, no file writer. Decoding
//! from a file or from bytes is for the image frame source, the CLI and tests.

use std::fmt;
use std::path::Path;

use thiserror::Error;
use zeroize::{Zeroize, Zeroizing};

/// Why a picture could not be turned into a frame.
#[derive(Debug, Error)]
#[non_exhaustive]
pub enum FrameError {
    /// The file could not be read.
    #[error("cannot read image {path}: {source}")]
    Read {
        /// The file.
        path: String,
        /// Why.
        source: std::io::Error,
    },
    /// The bytes are not a picture this build decodes (JPEG, PNG or BMP), or are damaged.
    #[error("{what} is not a readable JPEG, PNG or BMP picture: {reason}")]
    Decode {
        /// The file or source it came from.
        what: String,
        /// The decoder's reason.
        reason: String,
    },
    /// Width × height × 3 does not match the pixel data, or a side is zero.
    #[error("a {width}×{height} RGB frame needs {expected} bytes, got {got}")]
    Size {
        /// Width in pixels.
        width: u32,
        /// Height in pixels.
        height: u32,
        /// Bytes needed.
        expected: usize,
        /// Bytes given.
        got: usize,
    },
    /// The picture is larger than any camera or card photo (a decompression bomb, or a mistake).
    #[error("{what} is {width}×{height}: larger than the {max}×{max} a frame may be")]
    TooLarge {
        /// The file or source.
        what: String,
        /// Width in pixels.
        width: u32,
        /// Height in pixels.
        height: u32,
        /// The largest side allowed.
        max: u32,
    },
}

/// The largest side of a frame: well above any kiosk camera (4K is 3840).
pub const MAX_SIDE: u32 = 8192;

/// An 8-bit RGB picture, row-major, wiped from memory on drop.
#[derive(Clone)]
pub struct Frame {
    width: u32,
    height: u32,
    rgb: Zeroizing<Vec<u8>>,
}

impl fmt::Debug for Frame {
    // Never prints pixels: a frame is biometric data.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Frame({}×{})", self.width, self.height)
    }
}

impl Frame {
    /// A frame from RGB bytes (3 per pixel, row-major).
    pub fn from_rgb(width: u32, height: u32, rgb: Vec<u8>) -> Result<Self, FrameError> {
        let rgb = Zeroizing::new(rgb);
        let expected = width as usize * height as usize * 3;
        if width == 0 || height == 0 || rgb.len() != expected {
            return Err(FrameError::Size { width, height, expected, got: rgb.len() });
        }
        if width > MAX_SIDE || height > MAX_SIDE {
            return Err(FrameError::TooLarge { what: "the frame".into(), width, height, max: MAX_SIDE });
        }
        Ok(Self { width, height, rgb })
    }

    /// Decodes a JPEG, PNG or BMP picture held in memory; `what` names it in errors.
    pub fn decode(bytes: &[u8], what: &str) -> Result<Self, FrameError> {
        let decode_err = |e: image::ImageError| FrameError::Decode { what: what.to_string(), reason: e.to_string() };
        let reader = image::ImageReader::new(std::io::Cursor::new(bytes)).with_guessed_format().map_err(|e| FrameError::Decode {
            what: what.to_string(),
            reason: e.to_string(),
        })?;
        let (width, height) = reader.into_dimensions().map_err(decode_err)?;
        if width > MAX_SIDE || height > MAX_SIDE {
            return Err(FrameError::TooLarge { what: what.to_string(), width, height, max: MAX_SIDE });
        }
        let mut reader = image::ImageReader::new(std::io::Cursor::new(bytes)).with_guessed_format().map_err(|e| FrameError::Decode {
            what: what.to_string(),
            reason: e.to_string(),
        })?;
        reader.no_limits();
        let mut decoded = reader.decode().map_err(decode_err)?;
        let rgb = decoded.to_rgb8();
        // The decoder's own buffer held the same pixels: wipe it too.
        wipe_dynamic(&mut decoded);
        let (w, h) = rgb.dimensions();
        Self::from_rgb(w, h, rgb.into_raw())
    }

    /// Reads and decodes a picture file.
    pub fn open(path: &Path) -> Result<Self, FrameError> {
        let bytes = Zeroizing::new(std::fs::read(path).map_err(|source| FrameError::Read { path: path.display().to_string(), source })?);
        Self::decode(&bytes, &path.display().to_string())
    }

    /// Width in pixels.
    pub fn width(&self) -> u32 {
        self.width
    }

    /// Height in pixels.
    pub fn height(&self) -> u32 {
        self.height
    }

    /// The RGB bytes.
    pub fn rgb(&self) -> &[u8] {
        &self.rgb
    }

    /// The pixel at (x, y) as RGB.
    pub fn pixel(&self, x: u32, y: u32) -> [u8; 3] {
        let i = (y as usize * self.width as usize + x as usize) * 3;
        [self.rgb[i], self.rgb[i + 1], self.rgb[i + 2]]
    }

    /// Luma (BT.601), one byte per pixel; wiped on drop like the frame.
    pub fn gray(&self) -> Gray {
        let luma = self.rgb.chunks_exact(3).map(|p| ((p[0] as u32 * 77 + p[1] as u32 * 150 + p[2] as u32 * 29 + 128) >> 8) as u8).collect();
        Gray { width: self.width, height: self.height, luma: Zeroizing::new(luma) }
    }

    /// The bilinear colour at a sub-pixel position (edges clamp), as floats 0–255.
    pub fn sample(&self, x: f32, y: f32) -> [f32; 3] {
        let (w, h) = (self.width as i64, self.height as i64);
        let x = x.clamp(0.0, (w - 1) as f32);
        let y = y.clamp(0.0, (h - 1) as f32);
        let (x0, y0) = (x.floor() as i64, y.floor() as i64);
        let (x1, y1) = ((x0 + 1).min(w - 1), (y0 + 1).min(h - 1));
        let (fx, fy) = (x - x0 as f32, y - y0 as f32);
        let at = |xx: i64, yy: i64, c: usize| self.rgb[((yy * w + xx) * 3) as usize + c] as f32;
        let mut out = [0.0; 3];
        for (c, o) in out.iter_mut().enumerate() {
            let top = at(x0, y0, c) * (1.0 - fx) + at(x1, y0, c) * fx;
            let bottom = at(x0, y1, c) * (1.0 - fx) + at(x1, y1, c) * fx;
            *o = top * (1.0 - fy) + bottom * fy;
        }
        out
    }

    /// This frame scaled by `factor` (area-averaged when shrinking, bilinear when growing).
    pub fn scaled(&self, factor: f32) -> Frame {
        let w = ((self.width as f32 * factor).round() as u32).max(1);
        let h = ((self.height as f32 * factor).round() as u32).max(1);
        self.resized(w, h)
    }

    /// This frame resized to `width`×`height`.
    pub fn resized(&self, width: u32, height: u32) -> Frame {
        let (sx, sy) = (self.width as f32 / width as f32, self.height as f32 / height as f32);
        let mut rgb = Vec::with_capacity(width as usize * height as usize * 3);
        for y in 0..height {
            for x in 0..width {
                let p = if sx > 1.0 || sy > 1.0 {
                    self.box_average(x as f32 * sx, y as f32 * sy, sx.max(1.0), sy.max(1.0))
                } else {
                    self.sample((x as f32 + 0.5) * sx - 0.5, (y as f32 + 0.5) * sy - 0.5)
                };
                rgb.extend(p.map(|v| v.round().clamp(0.0, 255.0) as u8));
            }
        }
        Frame { width, height, rgb: Zeroizing::new(rgb) }
    }

    fn box_average(&self, x0: f32, y0: f32, bw: f32, bh: f32) -> [f32; 3] {
        let xs = x0.floor() as u32..((x0 + bw).ceil() as u32).min(self.width).max(x0.floor() as u32 + 1);
        let ys = y0.floor() as u32..((y0 + bh).ceil() as u32).min(self.height).max(y0.floor() as u32 + 1);
        let mut sum = [0.0f32; 3];
        let mut n = 0.0;
        for y in ys {
            for x in xs.clone() {
                let p = self.pixel(x.min(self.width - 1), y.min(self.height - 1));
                for c in 0..3 {
                    sum[c] += p[c] as f32;
                }
                n += 1.0;
            }
        }
        sum.map(|s| s / n)
    }

    /// This frame drawn onto `base` with its top-left corner at (x, y), clipped to `base`.
    pub fn drawn_onto(&self, base: &Frame, x: u32, y: u32) -> Frame {
        let mut rgb = Zeroizing::new(base.rgb.to_vec());
        let w = self.width.min(base.width.saturating_sub(x)) as usize;
        for ty in 0..self.height.min(base.height.saturating_sub(y)) {
            let src = ty as usize * self.width as usize * 3;
            let dst = ((y + ty) as usize * base.width as usize + x as usize) * 3;
            rgb[dst..dst + w * 3].copy_from_slice(&self.rgb[src..src + w * 3]);
        }
        Frame { width: base.width, height: base.height, rgb }
    }

    /// This frame scaled to fit `width`×`height` (aspect kept) and centred on a plain grey of
    /// `background`, as a camera of that size would frame the picture.
    pub fn fitted(&self, width: u32, height: u32, background: u8) -> Frame {
        let scaled = self.scaled((width as f32 / self.width as f32).min(height as f32 / self.height as f32));
        let base = Frame { width, height, rgb: Zeroizing::new(vec![background; width as usize * height as usize * 3]) };
        scaled.drawn_onto(&base, width.saturating_sub(scaled.width) / 2, height.saturating_sub(scaled.height) / 2)
    }

    /// The frame mirrored left–right.
    pub fn mirrored(&self) -> Frame {
        let w = self.width as usize;
        let mut rgb = Vec::with_capacity(self.rgb.len());
        for row in self.rgb.chunks_exact(w * 3) {
            for px in row.chunks_exact(3).rev() {
                rgb.extend_from_slice(px);
            }
        }
        Frame { width: self.width, height: self.height, rgb: Zeroizing::new(rgb) }
    }

    /// The part of the frame inside `x, y, width, height` (clipped to the frame).
    pub fn cropped(&self, x: u32, y: u32, width: u32, height: u32) -> Option<Frame> {
        let x1 = (x + width).min(self.width);
        let y1 = (y + height).min(self.height);
        if x >= x1 || y >= y1 {
            return None;
        }
        let mut rgb = Vec::with_capacity(((x1 - x) * (y1 - y) * 3) as usize);
        for yy in y..y1 {
            let start = (yy as usize * self.width as usize + x as usize) * 3;
            rgb.extend_from_slice(&self.rgb[start..start + (x1 - x) as usize * 3]);
        }
        Some(Frame { width: x1 - x, height: y1 - y, rgb: Zeroizing::new(rgb) })
    }
}

fn wipe_dynamic(img: &mut image::DynamicImage) {
    match img {
        image::DynamicImage::ImageRgb8(b) => b.as_mut().zeroize(),
        image::DynamicImage::ImageRgba8(b) => b.as_mut().zeroize(),
        image::DynamicImage::ImageLuma8(b) => b.as_mut().zeroize(),
        image::DynamicImage::ImageLumaA8(b) => b.as_mut().zeroize(),
        // 16-bit and float pictures are rare here (PNG); their buffers are dropped unwiped.
        _ => {}
    }
}

/// A grey (luma) picture, for detection and the quality measures; wiped on drop.
#[derive(Clone)]
pub struct Gray {
    width: u32,
    height: u32,
    luma: Zeroizing<Vec<u8>>,
}

impl fmt::Debug for Gray {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Gray({}×{})", self.width, self.height)
    }
}

impl Gray {
    /// Width in pixels.
    pub fn width(&self) -> u32 {
        self.width
    }

    /// Height in pixels.
    pub fn height(&self) -> u32 {
        self.height
    }

    /// The luma bytes, row-major.
    pub fn luma(&self) -> &[u8] {
        &self.luma
    }

    /// The value at (x, y).
    pub fn at(&self, x: u32, y: u32) -> u8 {
        self.luma[y as usize * self.width as usize + x as usize]
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn checker(w: u32, h: u32) -> Frame {
        let rgb = (0..w * h).flat_map(|i| if (i % w + i / w) % 2 == 0 { [255u8, 0, 0] } else { [0, 0, 255] }).collect();
        Frame::from_rgb(w, h, rgb).unwrap()
    }

    #[test]
    fn size_is_checked() {
        assert!(matches!(Frame::from_rgb(2, 2, vec![0; 11]), Err(FrameError::Size { expected: 12, got: 11, .. })));
        assert!(matches!(Frame::from_rgb(0, 2, vec![]), Err(FrameError::Size { .. })));
    }

    #[test]
    fn garbage_is_a_decode_error_not_a_panic() {
        let err = Frame::decode(b"\xff\xd8\xff\xe0 not really a jpeg", "card.jpg").unwrap_err();
        assert!(err.to_string().contains("card.jpg"), "{err}");
        assert!(matches!(Frame::decode(b"", "empty").unwrap_err(), FrameError::Decode { .. }));
    }

    #[test]
    fn png_round_trip_and_debug_hides_pixels() {
        let f = checker(5, 3);
        let mut png = Vec::new();
        image::RgbImage::from_raw(5, 3, f.rgb().to_vec()).unwrap().write_to(&mut std::io::Cursor::new(&mut png), image::ImageFormat::Png).unwrap();
        let back = Frame::decode(&png, "t.png").unwrap();
        assert_eq!(back.rgb(), f.rgb());
        assert_eq!(format!("{back:?}"), "Frame(5×3)");
    }

    #[test]
    fn mirror_crop_and_resize() {
        let f = checker(4, 2);
        assert_eq!(f.mirrored().pixel(0, 0), f.pixel(3, 0));
        let c = f.cropped(1, 1, 10, 10).unwrap();
        assert_eq!((c.width(), c.height()), (3, 1));
        assert_eq!(c.pixel(0, 0), f.pixel(1, 1));
        assert!(f.cropped(4, 0, 1, 1).is_none());
        let big = f.resized(8, 4);
        assert_eq!((big.width(), big.height()), (8, 4));
        let on = c.drawn_onto(&f, 2, 1);
        assert_eq!((on.width(), on.height()), (4, 2));
        assert_eq!((on.pixel(2, 1), on.pixel(3, 1), on.pixel(1, 1)), (c.pixel(0, 0), c.pixel(1, 0), f.pixel(1, 1)));
        let fit = checker(4, 2).fitted(8, 8, 9);
        assert_eq!((fit.width(), fit.height()), (8, 8));
        assert_eq!((fit.pixel(0, 0), fit.pixel(0, 2), fit.pixel(0, 6)), ([9, 9, 9], f.pixel(0, 0), [9, 9, 9]));
        let small = checker(8, 8).resized(4, 4);
        // Each 2×2 block averages red and blue.
        assert_eq!(small.pixel(1, 1), [128, 0, 128]);
        assert_eq!(f.gray().at(0, 0), 77);
    }
}
