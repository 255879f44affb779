//! Five face landmarks: the [`Landmarker`] trait, and the default on MTCNN's O-Net (TFLite, run by
//! `tract`).
//!
//! O-Net was trained on the boxes MTCNN's earlier stages give, which are looser than SeetaFace's:
//! the box is squared and widened, O-Net's own box regression refines it, and a second pass gives
//! the landmarks on the refined box.

use tract_tflite::prelude::*;

use crate::error::FaceError;
use crate::frame::Frame;
use crate::geometry::{FaceBox, Landmarks5, Point};
use crate::models::{Model, ModelDir};
use crate::tflite::{Plan, load_plan};

/// Finds the five landmarks of a detected face. Implement it to plug in another model.
pub trait Landmarker: Send + Sync {
    /// The landmarks of the face in `face`, in frame pixels.
    fn landmarks(&self, frame: &Frame, face: &FaceBox) -> Result<Landmarks5, FaceError>;
}

/// MTCNN O-Net (48×48 RGB in; face probability, box regression and ten landmark coordinates out).
pub struct OnetLandmarker {
    plan: Plan,
}

const SIDE: usize = 48;

impl OnetLandmarker {
    /// Loads `onet.tflite` from the model folder (checked against its pin).
    pub fn load(models: &ModelDir) -> Result<Self, FaceError> {
        Ok(Self { plan: load_plan(models, Model::MtcnnOnet)? })
    }

    /// One O-Net pass on `b`: (face probability, refined box, landmarks).
    fn pass(&self, frame: &Frame, b: &FaceBox) -> Result<(f32, FaceBox, Landmarks5), FaceError> {
        // MTCNN's O-Net takes the crop transposed (x major), normalised to about [-1, 1].
        let step_x = b.width / SIDE as f32;
        let step_y = b.height / SIDE as f32;
        let input = tract_ndarray::Array4::from_shape_fn((1, SIDE, SIDE, 3), |(_, i, j, c)| {
            let x = b.x + (i as f32 + 0.5) * step_x - 0.5;
            let y = b.y + (j as f32 + 0.5) * step_y - 0.5;
            (frame.sample(x, y)[c] - 127.5) / 128.0
        });
        let infer = |e: TractError| FaceError::Inference { step: "landmarks", reason: format!("{e:#}") };
        let out = self.plan.run(tvec!(input.into_tensor().into())).map_err(infer)?;
        let view = |i: usize| out[i].to_plain_array_view::<f32>().map(|v| v.iter().copied().collect::<Vec<f32>>()).map_err(infer);
        let (prob, reg, marks) = (view(0)?, view(1)?, view(2)?);
        if prob.len() != 2 || reg.len() != 4 || marks.len() != 10 {
            return Err(FaceError::Inference { step: "landmarks", reason: "O-Net outputs are not 2, 4 and 10 values".into() });
        }
        let refined = FaceBox {
            x: b.x + reg[0] * b.width,
            y: b.y + reg[1] * b.height,
            width: b.width * (1.0 + reg[2] - reg[0]),
            height: b.height * (1.0 + reg[3] - reg[1]),
            score: b.score,
        };
        let points = std::array::from_fn(|k| Point::new(b.x + marks[k] * b.width, b.y + marks[k + 5] * b.height));
        Ok((prob[1], refined, Landmarks5(points)))
    }
}

impl Landmarker for OnetLandmarker {
    fn landmarks(&self, frame: &Frame, face: &FaceBox) -> Result<Landmarks5, FaceError> {
        // SeetaFace's box covers brows to mouth; MTCNN's covers forehead to chin and sits lower.
        let seeded = FaceBox { y: face.y + face.height * 0.06, ..*face }.square(1.2);
        let (_, refined, _) = self.pass(frame, &seeded)?;
        let (_, _, marks) = self.pass(frame, &refined.square(1.0))?;
        if marks.0.iter().any(|p| !p.x.is_finite() || !p.y.is_finite()) {
            return Err(FaceError::Inference { step: "landmarks", reason: "O-Net gave non-finite landmarks".into() });
        }
        Ok(marks)
    }
}
