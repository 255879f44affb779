//! Loading a TFLite model of the model folder into a runnable `tract` plan, for the models that
//! run through `tract` (O-Net, MobileFaceNet).

use std::sync::Arc;

use tract_tflite::prelude::*;

use crate::error::FaceError;
use crate::models::{Model, ModelDir};

/// A loaded, optimised model, ready to run (shared: `tract` runs take `&Arc<Self>`).
pub(crate) type Plan = Arc<TypedRunnableModel>;

/// Checks `model`'s file against its pin, then loads and optimises it.
pub(crate) fn load_plan(models: &ModelDir, model: Model) -> Result<Plan, FaceError> {
    let path = models.verified(model)?;
    let load = |e: TractError| FaceError::ModelLoad { model, reason: format!("{e:#}") };
    tract_tflite::tflite().model_for_path(&path).map_err(load)?.into_optimized().map_err(load)?.into_runnable().map_err(load)
}
