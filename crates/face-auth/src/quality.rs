//! Quality gates before matching: a face is compared only when the frame shows exactly one
//! face, big enough, lit well enough, sharp enough, looking at the camera and wholly inside the
//! picture. Each failed gate is a [`QualityReason`] the UI can show as it is ("please come
//! closer"), in Chinese or English.

use serde::Serialize;

use crate::align::ALIGNED_SIDE;
use crate::frame::{Frame, Gray};
use crate::geometry::{FaceBox, Landmarks5};
use crate::pose::Pose;

/// The limits each gate checks, with defaults for a kiosk camera at 640×480.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, serde::Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct QualityConfig {
    /// Smallest distance between the eyes, pixels (the aligned crop has 35).
    pub min_eye_distance: f32,
    /// Darkest acceptable mean brightness of the face, 0–255.
    pub min_brightness: f32,
    /// Brightest acceptable mean brightness of the face, 0–255.
    pub max_brightness: f32,
    /// Least sharpness (variance of the Laplacian on the aligned 112×112 face).
    pub min_sharpness: f32,
    /// Largest turn, degrees.
    pub max_yaw: f32,
    /// Largest nod, degrees.
    pub max_pitch: f32,
    /// Largest tilt, degrees.
    pub max_roll: f32,
    /// How far around the face box must still be inside the frame, as a share of the box side.
    pub margin: f32,
}

impl Default for QualityConfig {
    fn default() -> Self {
        Self {
            min_eye_distance: 36.0,
            min_brightness: 60.0,
            max_brightness: 215.0,
            min_sharpness: 60.0,
            max_yaw: 25.0,
            max_pitch: 25.0,
            max_roll: 20.0,
            margin: 0.05,
        }
    }
}

impl QualityConfig {
    /// The gates for an ID-card photo: small, compressed and soft by nature, taken frontal on a
    /// plain background, so only the face itself (one, found, landmarks inside) is required.
    pub fn card() -> Self {
        Self {
            min_eye_distance: 12.0,
            min_brightness: 20.0,
            max_brightness: 245.0,
            min_sharpness: 0.0,
            max_yaw: 35.0,
            max_pitch: 35.0,
            max_roll: 30.0,
            margin: -0.2,
        }
    }
}

/// Why a frame is not good enough to match.
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
#[serde(tag = "code", rename_all = "snake_case")]
#[non_exhaustive]
pub enum QualityReason {
    /// No face was found.
    NoFace,
    /// More than one face was found.
    MultipleFaces {
        /// How many.
        count: usize,
    },
    /// The face is too far away.
    FaceTooSmall {
        /// Measured eye distance, pixels.
        eye_distance: f32,
        /// The least allowed.
        min: f32,
    },
    /// Too dark.
    TooDark {
        /// Mean brightness, 0–255.
        brightness: f32,
    },
    /// Too bright (backlight, glare).
    TooBright {
        /// Mean brightness, 0–255.
        brightness: f32,
    },
    /// Blurred (moving, or out of focus).
    Blurry {
        /// Measured sharpness.
        sharpness: f32,
        /// The least allowed.
        min: f32,
    },
    /// Turned, nodded or tilted too far.
    NotFacingCamera {
        /// The pose measured.
        pose: Pose,
    },
    /// Part of the face is outside the picture.
    FaceCutOff,
}

impl QualityReason {
    /// A stable code for the UI and JSON.
    pub fn code(&self) -> &'static str {
        match self {
            QualityReason::NoFace => "no_face",
            QualityReason::MultipleFaces { .. } => "multiple_faces",
            QualityReason::FaceTooSmall { .. } => "face_too_small",
            QualityReason::TooDark { .. } => "too_dark",
            QualityReason::TooBright { .. } => "too_bright",
            QualityReason::Blurry { .. } => "blurry",
            QualityReason::NotFacingCamera { .. } => "not_facing_camera",
            QualityReason::FaceCutOff => "face_cut_off",
        }
    }

    /// What the citizen is asked to do, in Chinese.
    pub fn zh(&self) -> &'static str {
        match self {
            QualityReason::NoFace => "未检测到人脸，请正对摄像头",
            QualityReason::MultipleFaces { .. } => "检测到多张人脸，请一人单独核验",
            QualityReason::FaceTooSmall { .. } => "请靠近一些",
            QualityReason::TooDark { .. } => "光线太暗",
            QualityReason::TooBright { .. } => "光线太亮，请避开强光",
            QualityReason::Blurry { .. } => "画面模糊，请保持不动",
            QualityReason::NotFacingCamera { .. } => "请正对摄像头",
            QualityReason::FaceCutOff => "请将面部完整置于画面中",
        }
    }
}

impl std::fmt::Display for QualityReason {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            QualityReason::NoFace => f.write_str("no face found: please look at the camera"),
            QualityReason::MultipleFaces { count } => write!(f, "{count} faces found: one person at a time, please"),
            QualityReason::FaceTooSmall { eye_distance, min } => write!(f, "face too small ({eye_distance:.0} px between the eyes, needs {min:.0}): please come closer"),
            QualityReason::TooDark { brightness } => write!(f, "too dark (brightness {brightness:.0})"),
            QualityReason::TooBright { brightness } => write!(f, "too bright (brightness {brightness:.0}): please move out of the glare"),
            QualityReason::Blurry { sharpness, min } => write!(f, "blurred (sharpness {sharpness:.0}, needs {min:.0}): please hold still"),
            QualityReason::NotFacingCamera { pose } => write!(f, "not facing the camera (yaw {:.0}°, pitch {:.0}°, roll {:.0}°)", pose.yaw, pose.pitch, pose.roll),
            QualityReason::FaceCutOff => f.write_str("part of the face is outside the picture"),
        }
    }
}

/// What was measured on a frame, and whether it passes.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct QualityReport {
    /// Whether every gate passed.
    pub passed: bool,
    /// The gates that failed (empty when passed).
    pub reasons: Vec<QualityReason>,
    /// Faces found.
    pub faces: usize,
    /// Eye distance of the face, pixels.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub eye_distance: Option<f32>,
    /// Mean brightness of the face (or the frame, with no face), 0–255.
    pub brightness: f32,
    /// Sharpness of the aligned face.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub sharpness: Option<f32>,
    /// Head pose.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub pose: Option<Pose>,
}

/// Mean luma over a box (clipped), or the whole picture.
pub fn brightness(gray: &Gray, area: Option<&FaceBox>) -> f32 {
    let (w, h) = (gray.width() as f32, gray.height() as f32);
    let (x0, y0, x1, y1) = match area {
        Some(b) => (b.x.max(0.0), b.y.max(0.0), (b.x + b.width).min(w), (b.y + b.height).min(h)),
        None => (0.0, 0.0, w, h),
    };
    let (x0, y0, x1, y1) = (x0 as u32, y0 as u32, x1.max(0.0) as u32, y1.max(0.0) as u32);
    if x1 <= x0 || y1 <= y0 {
        return 0.0;
    }
    let mut sum = 0u64;
    for y in y0..y1 {
        for x in x0..x1 {
            sum += gray.at(x, y) as u64;
        }
    }
    sum as f32 / ((x1 - x0) as u64 * (y1 - y0) as u64) as f32
}

/// Variance of the 4-neighbour Laplacian over the aligned face (its inner part, so the
/// background does not count): higher is sharper.
pub fn sharpness(aligned: &Frame) -> f32 {
    let g = aligned.gray();
    let side = ALIGNED_SIDE.min(g.width()).min(g.height());
    let (lo, hi) = (side / 5, side - side / 5);
    let mut values = Vec::with_capacity(((hi - lo) * (hi - lo)) as usize);
    for y in lo..hi {
        for x in lo..hi {
            let c = g.at(x, y) as f32 * 4.0;
            let l = c - g.at(x - 1, y) as f32 - g.at(x + 1, y) as f32 - g.at(x, y - 1) as f32 - g.at(x, y + 1) as f32;
            values.push(l);
        }
    }
    let n = values.len().max(1) as f32;
    let mean = values.iter().sum::<f32>() / n;
    values.iter().map(|v| (v - mean).powi(2)).sum::<f32>() / n
}

/// The measurements of one face, for [`judge`].
#[derive(Debug, Clone, Copy)]
pub struct FaceMeasures<'a> {
    /// The face's box.
    pub face: &'a FaceBox,
    /// Its landmarks.
    pub landmarks: &'a Landmarks5,
    /// Its pose (None if the landmarks were degenerate).
    pub pose: Option<Pose>,
    /// Sharpness of its aligned crop.
    pub sharpness: f32,
}

/// Applies the gates to a frame in which `faces` faces were found and `measured` is the one to
/// match (the largest). `gray` is the frame's luma.
pub fn judge(config: &QualityConfig, gray: &Gray, faces: usize, measured: Option<FaceMeasures<'_>>) -> QualityReport {
    let mut reasons = Vec::new();
    let frame_brightness = brightness(gray, None);
    let Some(m) = measured else {
        // No face: say "too dark" rather than "no face" when darkness is the likely cause.
        if frame_brightness < config.min_brightness {
            reasons.push(QualityReason::TooDark { brightness: frame_brightness });
        } else if frame_brightness > config.max_brightness {
            reasons.push(QualityReason::TooBright { brightness: frame_brightness });
        }
        reasons.push(QualityReason::NoFace);
        return QualityReport { passed: false, reasons, faces, eye_distance: None, brightness: frame_brightness, sharpness: None, pose: None };
    };
    if faces > 1 {
        reasons.push(QualityReason::MultipleFaces { count: faces });
    }
    let eye_distance = m.landmarks.eye_distance();
    if eye_distance < config.min_eye_distance {
        reasons.push(QualityReason::FaceTooSmall { eye_distance, min: config.min_eye_distance });
    }
    let face_brightness = brightness(gray, Some(m.face));
    if face_brightness < config.min_brightness {
        reasons.push(QualityReason::TooDark { brightness: face_brightness });
    } else if face_brightness > config.max_brightness {
        reasons.push(QualityReason::TooBright { brightness: face_brightness });
    }
    if m.sharpness < config.min_sharpness {
        reasons.push(QualityReason::Blurry { sharpness: m.sharpness, min: config.min_sharpness });
    }
    match m.pose {
        Some(p) if p.yaw.abs() <= config.max_yaw && p.pitch.abs() <= config.max_pitch && p.roll.abs() <= config.max_roll => {}
        Some(pose) => reasons.push(QualityReason::NotFacingCamera { pose }),
        None => reasons.push(QualityReason::NotFacingCamera { pose: Pose::default() }),
    }
    let pad = m.face.width.max(m.face.height) * config.margin;
    let (w, h) = (gray.width() as f32, gray.height() as f32);
    let outside_box = m.face.x - pad < 0.0 || m.face.y - pad < 0.0 || m.face.x + m.face.width + pad > w || m.face.y + m.face.height + pad > h;
    let outside_marks = m.landmarks.0.iter().any(|p| p.x < 0.0 || p.y < 0.0 || p.x >= w || p.y >= h);
    if outside_box || outside_marks {
        reasons.push(QualityReason::FaceCutOff);
    }
    QualityReport {
        passed: reasons.is_empty(),
        reasons,
        faces,
        eye_distance: Some(eye_distance),
        brightness: face_brightness,
        sharpness: Some(m.sharpness),
        pose: m.pose,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::geometry::ARCFACE_112;

    fn flat(w: u32, h: u32, v: u8) -> Frame {
        Frame::from_rgb(w, h, vec![v; (w * h * 3) as usize]).unwrap()
    }

    fn face_at(x: f32, y: f32, side: f32) -> (FaceBox, Landmarks5) {
        let s = side / 112.0;
        (FaceBox { x, y, width: side, height: side, score: 10.0 }, Landmarks5(ARCFACE_112.0.map(|p| crate::geometry::Point::new(x + p.x * s, y + p.y * s))))
    }

    #[test]
    fn a_good_face_passes_and_each_gate_can_fail() {
        let c = QualityConfig::default();
        let g = flat(640, 480, 128).gray();
        let (b, l) = face_at(200.0, 100.0, 200.0);
        let m = FaceMeasures { face: &b, landmarks: &l, pose: Pose::from_landmarks(&l), sharpness: 200.0 };
        let ok = judge(&c, &g, 1, Some(m));
        assert!(ok.passed, "{ok:?}");
        assert_eq!(judge(&c, &g, 2, Some(m)).reasons, vec![QualityReason::MultipleFaces { count: 2 }]);
        let blurry = judge(&c, &g, 1, Some(FaceMeasures { sharpness: 5.0, ..m }));
        assert_eq!(blurry.reasons[0].code(), "blurry");
        let turned = judge(&c, &g, 1, Some(FaceMeasures { pose: Some(Pose { yaw: 40.0, pitch: 0.0, roll: 0.0 }), ..m }));
        assert_eq!(turned.reasons[0].code(), "not_facing_camera");
        let (sb, sl) = face_at(10.0, 10.0, 60.0);
        let small = judge(&c, &g, 1, Some(FaceMeasures { face: &sb, landmarks: &sl, ..m }));
        assert!(small.reasons.iter().any(|r| r.code() == "face_too_small"), "{small:?}");
        let (eb, el) = face_at(500.0, 300.0, 200.0);
        let cut = judge(&c, &g, 1, Some(FaceMeasures { face: &eb, landmarks: &el, ..m }));
        assert!(cut.reasons.contains(&QualityReason::FaceCutOff), "{cut:?}");
        let dark = judge(&c, &flat(640, 480, 20).gray(), 1, Some(m));
        assert_eq!(dark.reasons[0].code(), "too_dark");
        let none = judge(&c, &flat(640, 480, 10).gray(), 0, None);
        assert_eq!(none.reasons.iter().map(|r| r.code()).collect::<Vec<_>>(), vec!["too_dark", "no_face"]);
        for r in none.reasons {
            assert!(!r.zh().is_empty() && !r.to_string().is_empty());
        }
    }

    #[test]
    fn sharpness_tells_edges_from_flat() {
        let stripes = Frame::from_rgb(112, 112, (0..112 * 112).flat_map(|i| if (i % 112) % 4 < 2 { [0u8; 3] } else { [255u8; 3] }).collect()).unwrap();
        assert!(sharpness(&stripes) > 1000.0);
        assert_eq!(sharpness(&flat(112, 112, 90)), 0.0);
    }
}
