//! `kiosk face ...`: the face verification pipeline from the command line, for technicians
//! checking a camera and for deployers choosing a threshold.
//!
//! - `kiosk face verify`: one card photo against live frames, with quality, liveness and
//!   timings ([`verify`]).
//! - `kiosk face calibrate`: score distributions over labelled pairs, TAR at FAR, a suggested
//!   threshold and plots ([`calibrate`]).
//!
//! Only pictures the user names are read, and nothing about a face is written except the
//! scores, reports and plots asked for.

pub mod calibrate;
pub mod verify;

use std::path::PathBuf;

use face_auth::models::ModelDir;

/// The model folder: `--models`, else `HALLKIT_FACE_MODELS`, else the default data folder.
pub fn model_dir(arg: Option<PathBuf>) -> ModelDir {
    ModelDir::new(arg.unwrap_or_else(ModelDir::default_dir))
}
