//! What the pipeline saw in one frame, as liveness needs it: no pixels, only the face count, the
//! pose, the embedding and how much the picture changed (measured by the caller).

use std::time::Duration;

use crate::embed::Embedding;
use crate::pose::Pose;

/// The one face of a frame that had exactly one.
#[derive(Debug, Clone, PartialEq)]
pub struct ObservedFace {
    /// Its pose, person's directions (unmirror the landmarks of a mirrored camera first).
    pub pose: Pose,
    /// Its embedding, compared with the sequence's first frontal face.
    pub embedding: Embedding,
}

/// One frame of a liveness sequence, as the pipeline saw it.
#[derive(Debug, Clone, PartialEq)]
pub struct Observation {
    /// When the frame was taken, since the start of the sequence (the caller's clock: nothing
    /// in liveness reads a clock).
    pub at: Duration,
    /// How many faces the detector found.
    pub faces: usize,
    /// The face, when there was exactly one and its pose and embedding could be computed;
    /// `None` counts as a frame without a usable face.
    pub face: Option<ObservedFace>,
    /// Mean absolute pixel difference from the previous frame, 0–255, as
    /// `crate::camera::mean_abs_difference` measures it; `None` for the first frame or when it
    /// could not be computed. A replayed still image gives exactly 0.
    pub frame_change: Option<f32>,
}

impl Observation {
    /// A frame with exactly one face.
    pub fn one_face(at: Duration, pose: Pose, embedding: Embedding, frame_change: Option<f32>) -> Self {
        Self { at, faces: 1, face: Some(ObservedFace { pose, embedding }), frame_change }
    }

    /// A frame with no usable single face: `faces` faces (0, or 2 and more).
    pub fn no_single_face(at: Duration, faces: usize, frame_change: Option<f32>) -> Self {
        Self { at, faces, face: None, frame_change }
    }

    /// The face, only when the frame had exactly one.
    pub fn single_face(&self) -> Option<&ObservedFace> {
        if self.faces == 1 { self.face.as_ref() } else { None }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_a_single_face_counts() {
        let e = Embedding::new(vec![1.0, 0.0]).unwrap();
        let one = Observation::one_face(Duration::ZERO, Pose::default(), e.clone(), None);
        assert!(one.single_face().is_some());
        let mislabelled = Observation { faces: 2, ..one };
        assert!(mislabelled.single_face().is_none());
        assert!(Observation::no_single_face(Duration::ZERO, 0, None).single_face().is_none());
    }
}
