//! Face embeddings: the [`Embedder`] trait, and the default on MobileFaceNet (TFLite, run by
//! `tract`), compared by cosine similarity.

use tract_tflite::prelude::*;
use zeroize::Zeroize;

use crate::align::ALIGNED_SIDE;
use crate::error::FaceError;
use crate::frame::Frame;
use crate::models::{Model, ModelDir};
use crate::tflite::{Plan, load_plan};

/// A unit-length face embedding; wiped on drop (it is biometric data too).
#[derive(Clone, PartialEq)]
pub struct Embedding(Vec<f32>);

impl std::fmt::Debug for Embedding {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "Embedding({} values)", self.0.len())
    }
}

impl Drop for Embedding {
    fn drop(&mut self) {
        self.0.zeroize();
    }
}

impl Embedding {
    /// Normalises `values` to unit length; `None` when they are all zero or not finite.
    pub fn new(mut values: Vec<f32>) -> Option<Self> {
        let norm = values.iter().map(|v| v * v).sum::<f32>().sqrt();
        if !norm.is_finite() || norm <= 1e-12 {
            return None;
        }
        values.iter_mut().for_each(|v| *v /= norm);
        Some(Self(values))
    }

    /// Cosine similarity with another embedding, −1 to 1 (0 when the sizes differ).
    pub fn cosine(&self, other: &Embedding) -> f32 {
        if self.0.len() != other.0.len() {
            return 0.0;
        }
        self.0.iter().zip(&other.0).map(|(a, b)| a * b).sum::<f32>().clamp(-1.0, 1.0)
    }

    /// The number of values.
    pub fn len(&self) -> usize {
        self.0.len()
    }

    /// Whether it has no values (never, for a built embedding).
    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }
}

/// Turns an aligned 112×112 face into an embedding. Implement it to plug in another model.
pub trait Embedder: Send + Sync {
    /// The embedding of an aligned face.
    fn embed(&self, aligned: &Frame) -> Result<Embedding, FaceError>;
}

/// MobileFaceNet: 112×112 RGB in, 192 values out, with a fixed batch of two. The second slot
/// carries the mirrored face and the two embeddings are summed, which steadies the score at no
/// extra cost (the batch is fixed anyway).
pub struct MobileFaceNet {
    plan: Plan,
}

impl MobileFaceNet {
    /// Loads `MobileFaceNet.tflite` from the model folder (checked against its pin).
    pub fn load(models: &ModelDir) -> Result<Self, FaceError> {
        Ok(Self { plan: load_plan(models, Model::MobileFaceNet)? })
    }
}

impl Embedder for MobileFaceNet {
    fn embed(&self, aligned: &Frame) -> Result<Embedding, FaceError> {
        let side = ALIGNED_SIDE as usize;
        if aligned.width() as usize != side || aligned.height() as usize != side {
            return Err(FaceError::Inference { step: "embedding", reason: format!("needs a {side}×{side} aligned face, got {aligned:?}") });
        }
        let mut input = tract_ndarray::Array4::from_shape_fn((2, side, side, 3), |(n, y, x, c)| {
            let x = if n == 1 { side - 1 - x } else { x };
            (aligned.rgb()[(y * side + x) * 3 + c] as f32 - 127.5) / 128.0
        });
        let infer = |e: TractError| FaceError::Inference { step: "embedding", reason: format!("{e:#}") };
        let tensor = input.clone().into_tensor();
        if let Some(s) = input.as_slice_mut() {
            s.zeroize();
        }
        let out = self.plan.run(tvec!(tensor.into())).map_err(infer)?;
        let view = out[0].to_plain_array_view::<f32>().map_err(infer)?;
        if view.shape() != [2, 192] {
            return Err(FaceError::Inference { step: "embedding", reason: format!("MobileFaceNet gave shape {:?}, not [2, 192]", view.shape()) });
        }
        let flat: Vec<f32> = view.iter().copied().collect();
        let unit = |row: usize| Embedding::new(flat[row * 192..(row + 1) * 192].to_vec());
        let (a, b) = (unit(0), unit(1));
        let summed = match (a, b) {
            (Some(a), Some(b)) => a.0.iter().zip(&b.0).map(|(x, y)| x + y).collect(),
            _ => return Err(FaceError::Inference { step: "embedding", reason: "MobileFaceNet gave a zero embedding".into() }),
        };
        Embedding::new(summed).ok_or(FaceError::Inference { step: "embedding", reason: "MobileFaceNet gave a zero embedding".into() })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cosine_of_unit_vectors() {
        let a = Embedding::new(vec![3.0, 4.0]).unwrap();
        let b = Embedding::new(vec![-4.0, 3.0]).unwrap();
        assert!((a.cosine(&a) - 1.0).abs() < 1e-6);
        assert!(a.cosine(&b).abs() < 1e-6);
        assert_eq!(a.cosine(&Embedding::new(vec![1.0]).unwrap()), 0.0);
        assert!(Embedding::new(vec![0.0, 0.0]).is_none());
        assert!(Embedding::new(vec![f32::NAN]).is_none());
        assert_eq!(format!("{a:?}"), "Embedding(2 values)");
    }
}
