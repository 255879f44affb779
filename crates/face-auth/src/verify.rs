//! The verification pipeline: for the card photo and each live frame, detect → landmarks →
//! quality gates → align → embed; then the cosine similarity of the card face and the best live
//! face, decided against the threshold.
//!
//! What leaves this module is a [`Verification`]: the decision, the score, the quality reasons
//! and the timings. Frames, crops and embeddings stay inside and are wiped when dropped.

use std::time::Instant;

use serde::Serialize;

use crate::align::align;
use crate::detect::{Detector, SeetaDetector};
use crate::embed::{Embedder, Embedding, MobileFaceNet};
use crate::error::FaceError;
use crate::frame::Frame;
use crate::geometry::{FaceBox, Landmarks5};
use crate::landmark::{Landmarker, OnetLandmarker};
use crate::models::ModelDir;
use crate::pose::Pose;
use crate::quality::{self, FaceMeasures, QualityConfig, QualityReport};

/// The default match threshold on the cosine similarity of MobileFaceNet embeddings, chosen with
/// `kiosk face calibrate` on simulated card photos (docs/face.md has the figures).
pub const DEFAULT_THRESHOLD: f32 = 0.5;

/// How verification decides.
#[derive(Debug, Clone, PartialEq, Serialize, serde::Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct VerifyConfig {
    /// Match when the score is at least this.
    pub threshold: f32,
    /// Gates for live frames.
    pub live_quality: QualityConfig,
    /// Gates for the card photo.
    pub card_quality: QualityConfig,
}

impl Default for VerifyConfig {
    fn default() -> Self {
        Self { threshold: DEFAULT_THRESHOLD, live_quality: QualityConfig::default(), card_quality: QualityConfig::card() }
    }
}

/// Milliseconds spent in each step (summed over the frames of one verification).
#[derive(Debug, Clone, Copy, PartialEq, Default, Serialize)]
pub struct Timings {
    /// Face detection.
    pub detect: f64,
    /// Landmarks.
    pub landmarks: f64,
    /// Alignment.
    pub align: f64,
    /// Quality gates.
    pub quality: f64,
    /// Embeddings.
    pub embed: f64,
    /// Liveness judgement.
    pub liveness: f64,
    /// Everything, end to end.
    pub total: f64,
}

fn ms(since: Instant) -> f64 {
    since.elapsed().as_secs_f64() * 1000.0
}

/// Which gates a frame goes through.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FrameKind {
    /// The ID-card photo.
    Card,
    /// A camera frame.
    Live,
}

/// What the pipeline saw in one frame. The embedding is present only when the quality gates
/// passed (a face that fails them is never matched).
#[derive(Debug)]
pub struct FrameAnalysis {
    /// The quality report.
    pub quality: QualityReport,
    /// The face matched on (the largest), if any.
    pub face: Option<FaceBox>,
    /// Its landmarks.
    pub landmarks: Option<Landmarks5>,
    /// Its pose.
    pub pose: Option<Pose>,
    /// Its embedding, when the gates passed.
    pub embedding: Option<Embedding>,
}

/// The outcome of comparing a card photo with live frames: the only face-derived data that
/// leaves the crate.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Verification {
    /// Judged the same person (score ≥ threshold, card and a live frame passed their gates).
    #[serde(rename = "match")]
    pub matched: bool,
    /// Cosine similarity of the card face and the chosen live face; None when either had no
    /// usable face.
    pub score: Option<f32>,
    /// The threshold used.
    pub threshold: f32,
    /// Quality of the card photo and of each live frame.
    pub quality: QualitySummary,
    /// Which live frame was matched (index into the frames given).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub live_frame: Option<usize>,
    /// Time per step.
    pub timings_ms: Timings,
}

/// Quality reports of one verification.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct QualitySummary {
    /// The card photo's.
    pub card: QualityReport,
    /// Each live frame's, in order.
    pub live: Vec<QualityReport>,
}

/// The face pipeline with its three models.
pub struct Verifier {
    detector: Box<dyn Detector>,
    landmarker: Box<dyn Landmarker>,
    embedder: Box<dyn Embedder>,
    config: VerifyConfig,
}

impl Verifier {
    /// The default pipeline (SeetaFace, O-Net, MobileFaceNet) from a model folder.
    pub fn load(models: &ModelDir, config: VerifyConfig) -> Result<Self, FaceError> {
        Ok(Self::with_parts(Box::new(SeetaDetector::load(models)?), Box::new(OnetLandmarker::load(models)?), Box::new(MobileFaceNet::load(models)?), config))
    }

    /// A pipeline from any detector, landmarker and embedder (e.g. licensed models).
    pub fn with_parts(detector: Box<dyn Detector>, landmarker: Box<dyn Landmarker>, embedder: Box<dyn Embedder>, config: VerifyConfig) -> Self {
        Self { detector, landmarker, embedder, config }
    }

    /// The settings.
    pub fn config(&self) -> &VerifyConfig {
        &self.config
    }

    /// Detects, measures and (when the gates pass, or `always_embed`) embeds the largest face.
    pub fn analyse(&self, frame: &Frame, kind: FrameKind, always_embed: bool, t: &mut Timings) -> Result<FrameAnalysis, FaceError> {
        let gates = match kind {
            FrameKind::Card => &self.config.card_quality,
            FrameKind::Live => &self.config.live_quality,
        };
        let start = Instant::now();
        let faces = self.detector.detect(frame)?;
        t.detect += ms(start);
        let gray = frame.gray();
        // The largest face is the one at the counter; others are people behind.
        let Some(face) = faces.iter().copied().max_by(|a, b| (a.width * a.height).total_cmp(&(b.width * b.height))) else {
            let start = Instant::now();
            let report = quality::judge(gates, &gray, 0, None);
            t.quality += ms(start);
            return Ok(FrameAnalysis { quality: report, face: None, landmarks: None, pose: None, embedding: None });
        };
        let start = Instant::now();
        let landmarks = self.landmarker.landmarks(frame, &face)?;
        t.landmarks += ms(start);
        let start = Instant::now();
        let aligned = align(frame, &landmarks);
        t.align += ms(start);
        let start = Instant::now();
        let pose = Pose::from_landmarks(&landmarks);
        let sharpness = aligned.as_ref().map_or(0.0, quality::sharpness);
        let report = quality::judge(gates, &gray, faces.len(), Some(FaceMeasures { face: &face, landmarks: &landmarks, pose, sharpness }));
        t.quality += ms(start);
        let embedding = match aligned {
            Some(crop) if report.passed || always_embed => {
                let start = Instant::now();
                let e = self.embedder.embed(&crop)?;
                t.embed += ms(start);
                Some(e)
            }
            _ => None,
        };
        Ok(FrameAnalysis { quality: report, face: Some(face), landmarks: Some(landmarks), pose, embedding })
    }

    /// Compares the card photo with the live frames: the most frontal live frame that passes the
    /// gates is matched.
    pub fn verify(&self, card: &Frame, live: &[Frame]) -> Result<Verification, FaceError> {
        let start = Instant::now();
        let mut t = Timings::default();
        let card_analysis = self.analyse(card, FrameKind::Card, false, &mut t)?;
        let mut live_reports = Vec::with_capacity(live.len());
        let mut best: Option<(usize, f32, Embedding)> = None;
        for (i, frame) in live.iter().enumerate() {
            let a = self.analyse(frame, FrameKind::Live, false, &mut t)?;
            if let (Some(e), Some(p)) = (a.embedding, a.pose) {
                let off_axis = p.yaw.abs() + p.pitch.abs();
                if best.as_ref().is_none_or(|(_, o, _)| off_axis < *o) {
                    best = Some((i, off_axis, e));
                }
            }
            live_reports.push(a.quality);
        }
        let score = match (&card_analysis.embedding, &best) {
            (Some(c), Some((_, _, l))) => Some(c.cosine(l)),
            _ => None,
        };
        t.total = ms(start);
        let threshold = self.config.threshold;
        Ok(Verification {
            matched: score.is_some_and(|s| s >= threshold),
            score,
            threshold,
            quality: QualitySummary { card: card_analysis.quality, live: live_reports },
            live_frame: best.map(|(i, _, _)| i),
            timings_ms: t,
        })
    }
}
