//! Head pose from the five landmarks: yaw, pitch and roll in approximate degrees.
//!
//! Five points cannot give a true 3-D pose, but they give a monotonic and repeatable one, which is
//! what the quality gate ("look at the camera") and the liveness prompts ("turn left") need:
//! - roll is the angle of the line between the eyes;
//! - yaw comes from how far the nose tip sits from the middle of the eyes and mouth, across,
//!   relative to the eye distance: the tip stands about 0.6 eye distances out of the face, so a
//!   turn by θ moves it by about 0.6·tan θ eye distances (the eye distance itself shrinks by
//!   cos θ);
//! - pitch comes from where the nose tip sits between the eye line and the mouth line, compared
//!   with a frontal face (the ArcFace layout), by the same model (the eye-to-mouth height is about
//!   one eye distance).
//!
//! Signs are the person's, not the picture's, for an unmirrored camera: yaw > 0 is the head turned
//! to the person's left (the nose moves to the picture's right), pitch > 0 is looking up, roll > 0
//! is the head tilted toward the person's left shoulder (clockwise in the picture).

use serde::Serialize;

use crate::geometry::{ARCFACE_112, Landmarks5, Point};

/// Yaw, pitch and roll, in approximate degrees.
#[derive(Debug, Clone, Copy, PartialEq, Default, Serialize)]
pub struct Pose {
    /// Turn: > 0 toward the person's left.
    pub yaw: f32,
    /// Nod: > 0 looking up.
    pub pitch: f32,
    /// Tilt: > 0 toward the person's left shoulder.
    pub roll: f32,
}

/// How far the nose tip stands out of the face, in eye distances (anthropometric average).
const NOSE_DEPTH: f32 = 0.6;

/// Where the nose sits between the eye line (0) and the mouth line (1) on a frontal face.
fn frontal_nose_ratio() -> f32 {
    let t = &ARCFACE_112;
    let eyes = t.left_eye().midpoint(t.right_eye()).y;
    let mouth = t.mouth_left().midpoint(t.mouth_right()).y;
    (t.nose().y - eyes) / (mouth - eyes)
}

impl Pose {
    /// Estimates the pose from landmarks; `None` when they are degenerate (eyes on one point,
    /// mouth not below the eyes).
    pub fn from_landmarks(l: &Landmarks5) -> Option<Pose> {
        let (le, re) = (l.left_eye(), l.right_eye());
        let eye_d = le.distance(re);
        // Also refuses NaN.
        if eye_d.is_nan() || eye_d <= 1e-3 {
            return None;
        }
        let roll = (re.y - le.y).atan2(re.x - le.x);
        // Undo the roll so yaw and pitch are measured along the face's own axes.
        let (c, s) = (roll.cos(), -roll.sin());
        let rot = |p: Point| Point::new(c * p.x - s * p.y, s * p.x + c * p.y);
        let (le, re, nose) = (rot(le), rot(re), rot(l.nose()));
        let (ml, mr) = (rot(l.mouth_left()), rot(l.mouth_right()));
        let eyes = le.midpoint(re);
        let mouth = ml.midpoint(mr);
        let face_h = mouth.y - eyes.y;
        if face_h.is_nan() || face_h <= 1e-3 {
            return None;
        }
        let mid_x = (eyes.x + mouth.x) / 2.0;
        let across = (nose.x - mid_x) / eye_d;
        let yaw = (across / NOSE_DEPTH).atan().to_degrees();
        let lower = (nose.y - eyes.y) / face_h - frontal_nose_ratio();
        // The nose tip stands out of the face, so a face looking up shows it closer to the eyes.
        let pitch = (-lower / NOSE_DEPTH).atan().to_degrees();
        Some(Pose { yaw, pitch, roll: roll.to_degrees() })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::geometry::Similarity;
    use proptest::prelude::*;

    #[test]
    fn the_template_is_frontal() {
        let p = Pose::from_landmarks(&ARCFACE_112).unwrap();
        assert!(p.yaw.abs() < 3.0 && p.pitch.abs() < 1.0 && p.roll.abs() < 1.0, "{p:?}");
    }

    #[test]
    fn nose_toward_the_pictures_right_is_a_turn_to_the_persons_left() {
        let mut l = ARCFACE_112;
        l.0[2].x += 10.0;
        let p = Pose::from_landmarks(&l).unwrap();
        assert!(p.yaw > 15.0, "{p:?}");
        assert!(Pose::from_landmarks(&l.mirrored(112.0)).unwrap().yaw < -15.0);
        let mut up = ARCFACE_112;
        up.0[2].y -= 8.0;
        assert!(Pose::from_landmarks(&up).unwrap().pitch > 10.0);
    }

    #[test]
    fn degenerate_landmarks_have_no_pose() {
        assert!(Pose::from_landmarks(&Landmarks5([Point::new(5.0, 5.0); 5])).is_none());
    }

    proptest! {
        /// Moving, scaling or rotating the face in the picture changes roll only.
        #[test]
        fn yaw_and_pitch_ignore_where_the_face_is(scale in 0.5f32..6.0, angle in -0.7f32..0.7, tx in -300f32..300.0, ty in -300f32..300.0, nose_dx in -12f32..12.0) {
            let mut l = ARCFACE_112;
            l.0[2].x += nose_dx;
            let base = Pose::from_landmarks(&l).unwrap();
            let t = Similarity::new(scale, angle, tx, ty);
            let moved = Pose::from_landmarks(&Landmarks5(l.0.map(|p| t.apply(p)))).unwrap();
            prop_assert!((moved.yaw - base.yaw).abs() < 0.5, "{:?} vs {:?}", moved, base);
            prop_assert!((moved.pitch - base.pitch).abs() < 0.5, "{:?} vs {:?}", moved, base);
            prop_assert!((moved.roll - base.roll - angle.to_degrees()).abs() < 0.5);
        }
    }
}
