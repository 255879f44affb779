//! Camera modes: the size, rate and pixel encoding a camera can deliver, choosing the one
//! closest to a request, and turning raw YUYV bytes into an RGB frame.
//!
//! Kept apart from the V4L2 driver so the choice and the decoding are tested in every build,
//! with or without the `camera-v4l` feature.

use std::cmp::Ordering;
use std::fmt;

use crate::frame::Frame;

/// How a camera encodes the pixels of a frame (its V4L2 FourCC).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
#[non_exhaustive]
pub enum PixelEncoding {
    /// Motion JPEG: each frame a JPEG picture. Decoded here.
    Mjpeg,
    /// YUV 4:2:2, packed Y0 U Y1 V. Decoded here.
    Yuyv,
    /// YUV 4:2:0, a Y plane then interleaved UV. Not decoded here.
    Nv12,
    /// 8-bit grey (infrared cameras). Not decoded here.
    Gray,
    /// Packed RGB, 3 bytes a pixel. Not decoded here.
    Rgb24,
    /// Packed BGR, 3 bytes a pixel. Not decoded here.
    Bgr24,
}

impl PixelEncoding {
    /// Whether this crate turns frames in this encoding into RGB. UVC webcams, the kind a kiosk
    /// carries, all offer MJPEG or YUYV, so those two are enough.
    pub fn is_decoded(self) -> bool {
        matches!(self, PixelEncoding::Mjpeg | PixelEncoding::Yuyv)
    }
}

impl fmt::Display for PixelEncoding {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            PixelEncoding::Mjpeg => "MJPEG",
            PixelEncoding::Yuyv => "YUYV",
            PixelEncoding::Nv12 => "NV12",
            PixelEncoding::Gray => "GRAY",
            PixelEncoding::Rgb24 => "RGB24",
            PixelEncoding::Bgr24 => "BGR24",
        })
    }
}

/// One way a camera can deliver frames.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct CameraMode {
    /// Width in pixels.
    pub width: u32,
    /// Height in pixels.
    pub height: u32,
    /// Frames per second.
    pub fps: u32,
    /// Pixel encoding.
    pub encoding: PixelEncoding,
}

impl fmt::Display for CameraMode {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}×{} {} @ {} fps", self.width, self.height, self.encoding, self.fps)
    }
}

/// The decodable mode closest to `width`×`height` at `fps`, or `None` if no offered mode is
/// decodable (MJPEG or YUYV). See [`ranked_modes`] for what closest means.
pub fn closest_mode(offered: &[CameraMode], width: u32, height: u32, fps: u32) -> Option<CameraMode> {
    ranked_modes(offered, width, height, fps).into_iter().next()
}

/// The decodable modes among `offered`, closest to `width`×`height` at `fps` first, without
/// repeats. A driver may refuse the mode it listed (some do): the next one is the fallback.
///
/// Closest means, in this order: the size nearest in scale (|ln(w/W)| + |ln(h/H)|, so 1280×960
/// and 320×240 are equally far from 640×480, and then the larger wins: shrinking a frame loses
/// less of a face than enlarging one); then the nearest frame rate (the higher on a tie); then
/// YUYV before MJPEG, as it decodes faster and carries no compression artefacts.
pub fn ranked_modes(offered: &[CameraMode], width: u32, height: u32, fps: u32) -> Vec<CameraMode> {
    let scale_cost = |m: &CameraMode| {
        let ratio = |have: u32, want: u32| (f64::from(have.max(1)) / f64::from(want.max(1))).ln().abs();
        ratio(m.width, width) + ratio(m.height, height)
    };
    let encoding_rank = |e: PixelEncoding| if e == PixelEncoding::Yuyv { 0 } else { 1 };
    let mut modes: Vec<CameraMode> = offered.iter().copied().filter(|m| m.encoding.is_decoded()).collect();
    modes.sort_by(|a, b| {
        let (ca, cb) = (scale_cost(a), scale_cost(b));
        // Logarithms of mirrored ratios may differ in the last bit: treat those as a tie.
        let by_scale = if (ca - cb).abs() < 1e-9 { Ordering::Equal } else { ca.total_cmp(&cb) };
        by_scale
            .then_with(|| (u64::from(b.width) * u64::from(b.height)).cmp(&(u64::from(a.width) * u64::from(a.height))))
            .then_with(|| a.fps.abs_diff(fps).cmp(&b.fps.abs_diff(fps)))
            .then_with(|| b.fps.cmp(&a.fps))
            .then_with(|| encoding_rank(a.encoding).cmp(&encoding_rank(b.encoding)))
            // Same cost, same area, other shape: any fixed order, so repeats end up side by side.
            .then_with(|| (a.width, a.height).cmp(&(b.width, b.height)))
    });
    modes.dedup();
    modes
}

/// Turns a packed YUYV (YUV 4:2:2) buffer into an RGB frame, with BT.601 limited-range
/// coefficients as UVC cameras use. Rows may be padded: the stride is taken from the buffer
/// length when it divides evenly by the height. Returns why when the buffer is too short.
// Only the V4L2 camera calls this; without it, the tests still do.
#[cfg_attr(not(feature = "camera-v4l"), allow(dead_code))]
pub(crate) fn yuyv_to_frame(width: u32, height: u32, yuyv: &[u8]) -> Result<Frame, String> {
    let (w, h) = (width as usize, height as usize);
    let row = w.div_ceil(2) * 4;
    if w == 0 || h == 0 || yuyv.len() < row * h {
        return Err(format!("a {width}×{height} YUYV frame needs {} bytes, got {}", row * h, yuyv.len()));
    }
    let stride = if yuyv.len() % h == 0 { yuyv.len() / h } else { row };
    let mut rgb = Vec::with_capacity(w * h * 3);
    for y in 0..h {
        let line = &yuyv[y * stride..y * stride + row];
        for (pair, quad) in line.chunks_exact(4).enumerate() {
            let (u, v) = (i32::from(quad[1]) - 128, i32::from(quad[3]) - 128);
            for (k, luma) in [quad[0], quad[2]].into_iter().enumerate() {
                if pair * 2 + k >= w {
                    break;
                }
                let c = 298 * (i32::from(luma) - 16);
                let clip = |v: i32| ((v + 128) >> 8).clamp(0, 255) as u8;
                rgb.extend([clip(c + 409 * v), clip(c - 100 * u - 208 * v), clip(c + 516 * u)]);
            }
        }
    }
    Frame::from_rgb(width, height, rgb).map_err(|e| e.to_string())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn mode(width: u32, height: u32, fps: u32, encoding: PixelEncoding) -> CameraMode {
        CameraMode { width, height, fps, encoding }
    }

    #[test]
    fn exact_mode_wins_and_yuyv_breaks_ties() {
        let offered = [
            mode(1280, 720, 30, PixelEncoding::Mjpeg),
            mode(640, 480, 30, PixelEncoding::Mjpeg),
            mode(640, 480, 30, PixelEncoding::Yuyv),
            mode(640, 480, 15, PixelEncoding::Yuyv),
        ];
        assert_eq!(closest_mode(&offered, 640, 480, 30), Some(mode(640, 480, 30, PixelEncoding::Yuyv)));
        assert_eq!(closest_mode(&offered, 640, 480, 14), Some(mode(640, 480, 15, PixelEncoding::Yuyv)));
    }

    #[test]
    fn nearest_size_in_scale_then_the_larger() {
        let offered = [mode(320, 240, 30, PixelEncoding::Yuyv), mode(1280, 960, 30, PixelEncoding::Mjpeg), mode(1920, 1080, 30, PixelEncoding::Mjpeg)];
        assert_eq!(closest_mode(&offered, 640, 480, 30), Some(mode(1280, 960, 30, PixelEncoding::Mjpeg)));
        assert_eq!(closest_mode(&offered, 300, 200, 30), Some(mode(320, 240, 30, PixelEncoding::Yuyv)));
        assert_eq!(closest_mode(&offered, 1920, 1080, 5), Some(mode(1920, 1080, 30, PixelEncoding::Mjpeg)));
    }

    #[test]
    fn size_matters_more_than_rate_and_equal_rate_gaps_take_the_faster() {
        let offered = [mode(640, 480, 5, PixelEncoding::Mjpeg), mode(800, 600, 30, PixelEncoding::Mjpeg), mode(640, 480, 25, PixelEncoding::Mjpeg)];
        assert_eq!(closest_mode(&offered, 640, 480, 30), Some(mode(640, 480, 25, PixelEncoding::Mjpeg)));
        let offered = [mode(640, 480, 20, PixelEncoding::Mjpeg), mode(640, 480, 40, PixelEncoding::Mjpeg)];
        assert_eq!(closest_mode(&offered, 640, 480, 30), Some(mode(640, 480, 40, PixelEncoding::Mjpeg)));
    }

    #[test]
    fn undecodable_modes_are_never_chosen() {
        let offered = [mode(640, 480, 30, PixelEncoding::Nv12), mode(160, 120, 30, PixelEncoding::Yuyv)];
        assert_eq!(closest_mode(&offered, 640, 480, 30), Some(mode(160, 120, 30, PixelEncoding::Yuyv)));
        assert_eq!(closest_mode(&offered[..1], 640, 480, 30), None);
        assert_eq!(closest_mode(&[], 640, 480, 30), None);
    }

    #[test]
    fn ranking_lists_fallbacks_in_order_without_repeats() {
        let offered = [
            mode(1280, 720, 30, PixelEncoding::Mjpeg),
            mode(640, 480, 30, PixelEncoding::Mjpeg),
            mode(640, 480, 30, PixelEncoding::Nv12),
            mode(640, 480, 30, PixelEncoding::Mjpeg),
            mode(640, 480, 15, PixelEncoding::Yuyv),
        ];
        assert_eq!(
            ranked_modes(&offered, 640, 480, 30),
            [mode(640, 480, 30, PixelEncoding::Mjpeg), mode(640, 480, 15, PixelEncoding::Yuyv), mode(1280, 720, 30, PixelEncoding::Mjpeg)]
        );
    }

    #[test]
    fn yuyv_decodes_grey_white_and_colour() {
        // Two pixels each: black and white (Y 16 / 235, no chroma), then pure red-ish chroma.
        let frame = yuyv_to_frame(4, 1, &[16, 128, 235, 128, 81, 90, 81, 240]).unwrap();
        assert_eq!(frame.pixel(0, 0), [0, 0, 0]);
        assert_eq!(frame.pixel(1, 0), [255, 255, 255]);
        let red = frame.pixel(2, 0);
        assert!(red[0] > 240 && red[1] < 10 && red[2] < 10, "{red:?}");
        assert_eq!(frame.pixel(3, 0), red);
    }

    #[test]
    fn yuyv_padded_rows_odd_width_and_short_buffers() {
        // Width 3 needs 2 pairs (8 bytes) a row; rows padded to 12 bytes.
        let mut bytes = vec![0u8; 24];
        for (i, b) in bytes.iter_mut().enumerate() {
            *b = if i % 12 < 8 { if i % 2 == 0 { 235 } else { 128 } } else { 0 };
        }
        let frame = yuyv_to_frame(3, 2, &bytes).unwrap();
        assert_eq!((frame.width(), frame.height()), (3, 2));
        // Every pixel white: no padding byte was read as a pixel.
        assert!((0..2).all(|y| (0..3).all(|x| frame.pixel(x, y) == [255, 255, 255])));
        assert!(yuyv_to_frame(4, 2, &[0; 15]).unwrap_err().contains("needs 16 bytes"));
        assert!(yuyv_to_frame(0, 2, &[]).is_err());
    }
}
