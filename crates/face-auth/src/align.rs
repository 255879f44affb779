//! Alignment: the face warped by a similarity transform so its five landmarks land on the
//! 112×112 ArcFace layout, which is what the embedder expects.

use crate::frame::Frame;
use crate::geometry::{ARCFACE_112, Landmarks5, Similarity};

/// The side of an aligned face.
pub const ALIGNED_SIDE: u32 = 112;

/// The transform from frame pixels to the aligned crop, or `None` for degenerate landmarks.
pub fn alignment(landmarks: &Landmarks5) -> Option<Similarity> {
    Similarity::estimate(&landmarks.0, &ARCFACE_112.0)
}

/// The 112×112 aligned face (bilinear sampling; outside the frame repeats its edge).
pub fn align(frame: &Frame, landmarks: &Landmarks5) -> Option<Frame> {
    let to_crop = alignment(landmarks)?;
    let to_frame = to_crop.inverse()?;
    let mut rgb = Vec::with_capacity((ALIGNED_SIDE * ALIGNED_SIDE * 3) as usize);
    for v in 0..ALIGNED_SIDE {
        for u in 0..ALIGNED_SIDE {
            let p = to_frame.apply(crate::geometry::Point::new(u as f32, v as f32));
            rgb.extend(frame.sample(p.x, p.y).map(|c| c.round().clamp(0.0, 255.0) as u8));
        }
    }
    Frame::from_rgb(ALIGNED_SIDE, ALIGNED_SIDE, rgb).ok()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::geometry::Point;
    use proptest::prelude::*;

    /// A frame with a bright dot at each landmark: after alignment the dots sit on the template.
    fn dots(w: u32, h: u32, marks: &Landmarks5, r: i32) -> Frame {
        let mut rgb = vec![0u8; (w * h * 3) as usize];
        for p in marks.0 {
            for dy in -r..=r {
                for dx in -r..=r {
                    let (x, y) = (p.x.round() as i32 + dx, p.y.round() as i32 + dy);
                    if x >= 0 && y >= 0 && (x as u32) < w && (y as u32) < h {
                        let i = ((y as u32 * w + x as u32) * 3) as usize;
                        rgb[i..i + 3].copy_from_slice(&[255, 255, 255]);
                    }
                }
            }
        }
        Frame::from_rgb(w, h, rgb).unwrap()
    }

    proptest! {
        #[test]
        fn landmarks_land_on_the_template(scale in 1.5f32..4.0, angle in -0.6f32..0.6, tx in 100f32..200.0, ty in 80f32..150.0) {
            let t = Similarity::new(scale, angle, tx, ty);
            let marks = Landmarks5(ARCFACE_112.0.map(|p| t.apply(p)));
            // Dots about two crop pixels wide.
            let frame = dots(640, 640, &marks, scale.ceil() as i32);
            let aligned = align(&frame, &marks).unwrap();
            for p in ARCFACE_112.0 {
                // The dot is a few pixels wide in the frame, so at least one crop pixel next to
                // the template point is bright.
                let (x, y) = (p.x.round() as u32, p.y.round() as u32);
                let brightest = (x - 1..=x + 1).flat_map(|xx| (y - 1..=y + 1).map(move |yy| (xx, yy))).map(|(xx, yy)| aligned.pixel(xx, yy)[0]).max().unwrap();
                prop_assert!(brightest > 200, "no dot at {:?}: {}", p, brightest);
            }
            // And away from the landmarks the crop is dark.
            prop_assert_eq!(aligned.pixel(5, 5), [0, 0, 0]);
        }
    }

    #[test]
    fn degenerate_landmarks_do_not_align() {
        let frame = Frame::from_rgb(4, 4, vec![0; 48]).unwrap();
        assert!(align(&frame, &Landmarks5([Point::new(1.0, 1.0); 5])).is_none());
    }
}
