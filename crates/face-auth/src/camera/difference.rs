//! How much two frames differ: a cheap motion measure for liveness (a photo held still in front
//! of the camera barely changes between frames; a live person always does a little).

use crate::frame::Frame;

/// The longest side of the grey copy the frames are compared on. Coarse enough to ignore sensor
/// noise and to cost one pass over the pixels, fine enough to see a head turn.
const COMPARE_SIDE: u32 = 160;

/// The mean absolute difference of two frames' brightness, 0 (identical) to 255 (black against
/// white), or `None` when their sizes differ.
///
/// For speed and to damp sensor noise, the frames are compared on downscaled grey copies: each is
/// cut into square blocks (about 160 blocks along the longer side; 1 pixel a block for small
/// frames), the BT.601 luma of each block is averaged, and the result is the mean of the absolute
/// differences of the block averages. Blocks at the right and bottom edges may be smaller and
/// count the same as the others. Nothing is allocated and nothing is kept.
pub fn mean_abs_difference(a: &Frame, b: &Frame) -> Option<f32> {
    let (w, h) = (a.width(), a.height());
    if (w, h) != (b.width(), b.height()) {
        return None;
    }
    let block = w.max(h).div_ceil(COMPARE_SIDE).max(1);
    let (a, b) = (a.rgb(), b.rgb());
    let luma = |p: &[u8]| u32::from(p[0]) * 77 + u32::from(p[1]) * 150 + u32::from(p[2]) * 29;
    let mut total = 0.0f64;
    let mut blocks = 0u32;
    for by in (0..h).step_by(block as usize) {
        for bx in (0..w).step_by(block as usize) {
            let (mut sum_a, mut sum_b, mut n) = (0u64, 0u64, 0u64);
            for y in by..(by + block).min(h) {
                let start = (y as usize * w as usize + bx as usize) * 3;
                let end = (y as usize * w as usize + (bx + block).min(w) as usize) * 3;
                for (pa, pb) in a[start..end].chunks_exact(3).zip(b[start..end].chunks_exact(3)) {
                    sum_a += u64::from(luma(pa));
                    sum_b += u64::from(luma(pb));
                    n += 1;
                }
            }
            // Luma weights sum to 256: divide by it once here instead of per pixel.
            total += (sum_a as f64 - sum_b as f64).abs() / (n as f64 * 256.0);
            blocks += 1;
        }
    }
    Some((total / f64::from(blocks)) as f32)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn filled(w: u32, h: u32, rgb: impl Fn(u32, u32) -> [u8; 3]) -> Frame {
        let bytes = (0..h).flat_map(|y| (0..w).map(move |x| (x, y))).flat_map(|(x, y)| rgb(x, y)).collect();
        Frame::from_rgb(w, h, bytes).unwrap()
    }

    #[test]
    fn identical_frames_differ_by_nothing() {
        let f = filled(640, 480, |x, y| [(x % 256) as u8, (y % 256) as u8, ((x + y) % 256) as u8]);
        assert_eq!(mean_abs_difference(&f, &f.clone()), Some(0.0));
    }

    #[test]
    fn black_against_white_is_255_and_sizes_must_match() {
        let black = filled(641, 479, |_, _| [0, 0, 0]);
        let white = filled(641, 479, |_, _| [255, 255, 255]);
        assert_eq!(mean_abs_difference(&black, &white), Some(255.0));
        assert_eq!(mean_abs_difference(&white, &black), Some(255.0));
        assert_eq!(mean_abs_difference(&black, &filled(479, 641, |_, _| [0, 0, 0])), None);
    }

    #[test]
    fn half_the_frame_changed_is_half_the_difference() {
        // 320×160 makes blocks of 2×2 that never straddle the change at x = 160.
        let grey = filled(320, 160, |_, _| [100, 100, 100]);
        let half = filled(320, 160, |x, _| if x < 160 { [100, 100, 100] } else { [200, 200, 200] });
        assert_eq!(mean_abs_difference(&grey, &half), Some(50.0));
    }

    #[test]
    fn colour_counts_by_its_luma() {
        let black = filled(8, 8, |_, _| [0, 0, 0]);
        let red = filled(8, 8, |_, _| [255, 0, 0]);
        let d = mean_abs_difference(&black, &red).unwrap();
        // BT.601: red is 77/256 of full brightness.
        assert!((d - 255.0 * 77.0 / 256.0).abs() < 1e-3, "{d}");
    }

    #[test]
    fn fine_noise_is_damped_by_the_blocks() {
        // A one-pixel checkerboard flip: every pixel changes by 40, every 4×4 block average by 0.
        let a = filled(640, 480, |x, y| if (x + y) % 2 == 0 { [120; 3] } else { [80; 3] });
        let b = filled(640, 480, |x, y| if (x + y) % 2 == 0 { [80; 3] } else { [120; 3] });
        assert_eq!(mean_abs_difference(&a, &b), Some(0.0));
    }
}
