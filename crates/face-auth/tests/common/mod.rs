//! Shared by the tests that run the real models on the package test photos.
#![allow(dead_code)]

use std::path::PathBuf;
use std::sync::OnceLock;

use face_auth::frame::Frame;
use face_auth::models::ModelDir;
use face_auth::verify::{VerifyConfig, Verifier};

/// The model folder from `HALLKIT_FACE_MODELS` (scripts/test fetches the models and sets it).
/// Unset: the test is skipped with a note, except under CI, where that is a failure.
pub fn models() -> Option<PathBuf> {
    match std::env::var_os("HALLKIT_FACE_MODELS") {
        Some(dir) => Some(PathBuf::from(dir)),
        None if std::env::var_os("CI").is_some() => panic!("HALLKIT_FACE_MODELS is not set under CI: run the tests through scripts/test"),
        None => {
            eprintln!("skipped: set HALLKIT_FACE_MODELS to a folder filled by scripts/face-models");
            None
        }
    }
}

/// One pipeline per test binary (loading the models takes ~0.2 s).
pub fn verifier() -> Option<&'static Verifier> {
    static V: OnceLock<Verifier> = OnceLock::new();
    let dir = models()?;
    Some(V.get_or_init(|| Verifier::load(&ModelDir::new(dir), VerifyConfig::default()).expect("models load")))
}

/// A test photo by name.
pub fn photo(name: &str) -> Frame {
    let dir = models().expect("models");
    Frame::open(&dir.join("test-images").join(name)).unwrap_or_else(|e| panic!("{name}: {e}"))
}

/// The photo as a 640×480 camera would frame it: scaled to fit, centred on grey.
pub fn as_camera_frame(photo: &Frame) -> Frame {
    photo.fitted(640, 480, 120)
}

/// A plain grey picture.
pub fn canvas(w: u32, h: u32, v: u8) -> Frame {
    Frame::from_rgb(w, h, vec![v; (w * h * 3) as usize]).unwrap()
}

/// `top` drawn onto `base` at (x, y), clipped.
pub fn paste(base: &Frame, top: &Frame, x: u32, y: u32) -> Frame {
    top.drawn_onto(base, x, y)
}

/// The photo's pixels multiplied by `k` (a darker or brighter room).
pub fn exposed(f: &Frame, k: f32) -> Frame {
    Frame::from_rgb(f.width(), f.height(), f.rgb().iter().map(|&v| (v as f32 * k).round().clamp(0.0, 255.0) as u8).collect()).unwrap()
}
