//! The verification pipeline: for the card photo and each live frame, detect → landmarks →
//! quality gates → align → embed; then the cosine similarity of the card face and the best live
//! face, decided against the threshold.
//!
//! What leaves this module is a [`Verification`]: the decision, the score, the quality reasons
//! and the timings. Frames, crops and embeddings stay inside and are wiped when dropped.

use std::time::Instant;

use serde::Serialize;

use crate::align::align;
use crate::camera::{TimedFrame, mean_abs_difference};
use crate::liveness::{Liveness, LivenessFrame, LivenessVerdict, Observation};
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
/// leaves the crate. `match` is the whole decision: the faces match and, when a liveness check
/// ran, it passed.
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
    /// The face comparison alone: score ≥ threshold with usable faces on both sides.
    pub face_match: bool,
    /// The liveness report, when a liveness check ran over the live frames (null otherwise).
    pub liveness: Option<LivenessVerdict>,
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

    /// Compares the card photo with live frames (no liveness check): the most frontal live
    /// frame that passes the gates is matched.
    pub fn verify(&self, card: &Frame, live: &[Frame]) -> Result<Verification, FaceError> {
        self.run(card, live.iter().enumerate().map(|(i, f)| (std::time::Duration::from_millis(100 * i as u64), f)), None)
    }

    /// Compares the card photo with a camera sequence while `liveness` judges the same
    /// sequence: the card is matched against a face from the very frames that proved liveness
    /// (the challenge also holds every face to the first one's identity).
    pub fn verify_sequence(&self, card: &Frame, live: &[TimedFrame], liveness: &mut dyn Liveness) -> Result<Verification, FaceError> {
        self.run(card, live.iter().map(|t| (t.at, &t.frame)), Some(liveness))
    }

    fn run<'a>(&self, card: &Frame, live: impl Iterator<Item = (std::time::Duration, &'a Frame)>, mut liveness: Option<&mut dyn Liveness>) -> Result<Verification, FaceError> {
        let start = Instant::now();
        let mut t = Timings::default();
        let card_analysis = self.analyse(card, FrameKind::Card, false, &mut t)?;
        let mut live_reports = Vec::new();
        let mut best: Option<(usize, f32, Embedding)> = None;
        let mut previous: Option<&Frame> = None;
        for (i, (at, frame)) in live.enumerate() {
            // The liveness check needs every single face's embedding to hold identity, even on
            // frames turned too far to match on.
            let a = self.analyse(frame, FrameKind::Live, liveness.is_some(), &mut t)?;
            if let Some(judge) = liveness.as_deref_mut() {
                let began = Instant::now();
                let change = previous.and_then(|p| mean_abs_difference(p, frame));
                let observation = match (a.quality.faces, a.pose, &a.embedding) {
                    (1, Some(pose), Some(e)) => Observation::one_face(at, pose, e.clone(), change),
                    (faces, _, _) => Observation::no_single_face(at, faces, change),
                };
                let face = if a.quality.faces == 1 { a.face.as_ref() } else { None };
                judge.observe_frame(&LivenessFrame { observation: &observation, rgb: frame, aux: None, face })?;
                t.liveness += ms(began);
            }
            previous = Some(frame);
            if let (true, Some(e), Some(p)) = (a.quality.passed, a.embedding, a.pose) {
                let off_axis = p.yaw.abs() + p.pitch.abs();
                if best.as_ref().is_none_or(|(_, o, _)| off_axis < *o) {
                    best = Some((i, off_axis, e));
                }
            }
            live_reports.push(a.quality);
        }
        let verdict = liveness.map(|judge| judge.finish());
        let score = match (&card_analysis.embedding, &best) {
            (Some(c), Some((_, _, l))) => Some(c.cosine(l)),
            _ => None,
        };
        t.total = ms(start);
        let threshold = self.config.threshold;
        let face_match = score.is_some_and(|s| s >= threshold);
        Ok(Verification {
            matched: face_match && verdict.as_ref().is_none_or(|v| v.passed),
            score,
            threshold,
            quality: QualitySummary { card: card_analysis.quality, live: live_reports },
            face_match,
            liveness: verdict,
            live_frame: best.map(|(i, _, _)| i),
            timings_ms: t,
        })
    }
}
