//! The crate's error type: things that stop a verification from being computed at all. A face
//! that is missing, too small or too dark is not an error but a quality reason
//! ([`crate::quality::QualityReason`]).

use thiserror::Error;

use crate::frame::FrameError;
use crate::models::{Model, ModelError};

/// Why face verification could not run.
#[derive(Debug, Error)]
#[non_exhaustive]
pub enum FaceError {
    /// A model file is missing or not the pinned one.
    #[error(transparent)]
    Model(#[from] ModelError),
    /// A model file was the pinned one but could not be loaded.
    #[error("cannot load face model {model}: {reason}")]
    ModelLoad {
        /// Which model.
        model: Model,
        /// Why.
        reason: String,
    },
    /// A network failed while running (a shape or an internal error).
    #[error("face {step} failed: {reason}")]
    Inference {
        /// The step: detection, landmarks, embedding.
        step: &'static str,
        /// Why.
        reason: String,
    },
    /// A picture could not be read.
    #[error(transparent)]
    Frame(#[from] FrameError),
}
