//! Face detection: the [`Detector`] trait, and the default on SeetaFace's frontal detector
//! (`rustface`).
//!
//! The SeetaFace cascade scans a fixed ~40 px window over an image pyramid, so small faces are
//! found by scaling the frame up and large frames are scaled down first for speed: a kiosk's
//! camera sees the citizen's face at 150–400 px in a 640×480 frame.

use std::path::Path;

use crate::error::FaceError;
use crate::frame::Frame;
use crate::geometry::FaceBox;
use crate::models::{Model, ModelDir};

/// Finds faces in a frame. Implement it to plug in another (licensed) detector.
pub trait Detector: Send + Sync {
    /// Every face found, in the frame's pixel coordinates, best first.
    fn detect(&self, frame: &Frame) -> Result<Vec<FaceBox>, FaceError>;
}

/// How the SeetaFace detector is run.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct SeetaSettings {
    /// Frames are scaled so their longer side is at most this before detection (speed).
    pub work_side: u32,
    /// Frames whose longer side is below this are scaled up to it (card photos are 126 px).
    pub min_side: u32,
    /// The cascade's score threshold (higher: fewer false faces).
    pub score_threshold: f64,
    /// Pyramid step (0.8 is SeetaFace's usual).
    pub pyramid_scale: f32,
    /// Window step in pixels.
    pub window_step: u32,
}

impl Default for SeetaSettings {
    fn default() -> Self {
        Self { work_side: 320, min_side: 320, score_threshold: 2.0, pyramid_scale: 0.8, window_step: 4 }
    }
}

/// SeetaFace frontal detector (BSD-2-Clause), pure Rust through `rustface`.
pub struct SeetaDetector {
    model: rustface::Model,
    settings: SeetaSettings,
}

impl SeetaDetector {
    /// Loads `seeta_fd_frontal_v1.0.bin` from the model folder (checked against its pin).
    pub fn load(models: &ModelDir) -> Result<Self, FaceError> {
        let path = models.verified(Model::SeetaFrontal)?;
        Self::from_file(&path)
    }

    /// Loads the model from a file without checking its hash (tests of other detectors' files).
    pub fn from_file(path: &Path) -> Result<Self, FaceError> {
        let bytes = std::fs::read(path).map_err(|e| FaceError::ModelLoad { model: Model::SeetaFrontal, reason: e.to_string() })?;
        let model = rustface::read_model(std::io::Cursor::new(bytes)).map_err(|e| FaceError::ModelLoad { model: Model::SeetaFrontal, reason: e.to_string() })?;
        Ok(Self { model, settings: SeetaSettings::default() })
    }

    /// The same detector with other settings.
    pub fn with_settings(mut self, settings: SeetaSettings) -> Self {
        self.settings = settings;
        self
    }

    /// Detects at one scale factor of the frame (boxes returned in frame pixels).
    fn detect_at(&self, frame: &Frame, factor: f32) -> Vec<FaceBox> {
        let work = if (factor - 1.0).abs() < 1e-3 { None } else { Some(frame.scaled(factor)) };
        let work = work.as_ref().unwrap_or(frame);
        let gray = work.gray();
        // rustface panics below a 20 px window: nothing smaller can hold a face anyway.
        if gray.width() < 24 || gray.height() < 24 {
            return Vec::new();
        }
        // A detector per call: rustface's is stateful (`&mut`) and not `Send`; the model clone
        // is a memory copy of about 1 MB, small next to the scan.
        let mut detector = rustface::create_detector_with_model(self.model.clone());
        detector.set_min_face_size(20);
        detector.set_score_thresh(self.settings.score_threshold);
        detector.set_pyramid_scale_factor(self.settings.pyramid_scale);
        detector.set_slide_window_step(self.settings.window_step, self.settings.window_step);
        clear_avx_upper_state();
        let image = rustface::ImageData::new(gray.luma(), gray.width(), gray.height());
        let mut faces: Vec<FaceBox> = detector
            .detect(&image)
            .into_iter()
            .map(|f| {
                let b = f.bbox();
                FaceBox { x: b.x() as f32, y: b.y() as f32, width: b.width() as f32, height: b.height() as f32, score: f.score() as f32 }.scaled(1.0 / factor)
            })
            .collect();
        faces.sort_by(|a, b| b.score.total_cmp(&a.score));
        faces
    }
}

impl Detector for SeetaDetector {
    fn detect(&self, frame: &Frame) -> Result<Vec<FaceBox>, FaceError> {
        let side = frame.width().max(frame.height()) as f32;
        let s = &self.settings;
        let factor = if side > s.work_side as f32 {
            s.work_side as f32 / side
        } else if side < s.min_side as f32 {
            s.min_side as f32 / side
        } else {
            1.0
        };
        let mut faces = self.detect_at(frame, factor);
        if faces.is_empty() && factor < 1.0 {
            // A face too small to see at the working scale: look at full size so the quality
            // gate can say "come closer" instead of "no face".
            faces = self.detect_at(frame, 1.0);
        }
        Ok(faces)
    }
}

/// Clears the upper halves of the AVX registers before `rustface`'s SSE code runs.
///
/// tract's x86_64 matrix kernels return without `vzeroupper`, so after an embedding the CPU
/// charges every legacy-SSE instruction a state-transition penalty: measured, it doubled the
/// detection time (card photo 36.6 → 16.3 ms, live frame 17.0 → 8.2 ms with this call;
/// docs/benchmarks.md). Other architectures have no such penalty.
fn clear_avx_upper_state() {
    #[cfg(target_arch = "x86_64")]
    {
        #[target_feature(enable = "avx")]
        fn zero_upper() {
            std::arch::x86_64::_mm256_zeroupper();
        }
        if std::is_x86_feature_detected!("avx") {
            // SAFETY: the CPU has AVX (checked just above), which is all `zero_upper` needs.
            unsafe { zero_upper() }
        }
    }
}
