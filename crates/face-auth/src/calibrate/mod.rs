//! Calibration: scores labelled picture pairs with the verification pipeline and measures where
//! the threshold should be (the library under `kiosk face calibrate`).
//!
//! - [`pairs`]: the pairs, from a CSV file or a folder of people.
//! - [`card_photo`]: simulated ID-card photos (GA 461 framing, 102×126, heavy JPEG), because
//!   the card side of a real verification is tiny and compressed; calibrate on those.
//! - [`stats`]: genuine/impostor distributions, TAR at FAR 1e-2/1e-3/1e-4, EER and a suggested
//!   threshold, with a text rendering.
//! - [`plot`]: the ROC curve and score histograms as PNG.
//!
//! [`calibrate`] ties them together over a [`PairScorer`], which the pipeline implements.
//! Pictures are read one pair at a time and held only in memory (a small cache avoids
//! decoding a picture again for each pair it is in); nothing about a face is written out,
//! only scores and file paths.

pub mod card_photo;
pub mod pairs;
pub mod plot;
pub mod stats;

use std::collections::VecDeque;
use std::fmt;
use std::path::{Path, PathBuf};
use std::rc::Rc;

use serde::Serialize;
use thiserror::Error;

use crate::error::FaceError;
use crate::frame::Frame;
use crate::geometry::Landmarks5;
use card_photo::{CardLayout, CardPhotoOptions, simulate_card_photo};
pub use card_photo::{CardPhotoError, DEFAULT_JPEG_QUALITY};
pub use pairs::{Pair, PairsError};
pub use plot::{FontSpec, PlotError, PlotStyle};
pub use stats::{CalibrationReport, Scores, StatsError};

/// What calibration needs from the verification pipeline.
pub trait PairScorer {
    /// The five landmarks of the one face to use in `frame` (the largest or best one), or
    /// `None` when there is no usable face. Used to make a simulated card photo.
    fn landmarks(&mut self, frame: &Frame) -> Result<Option<Landmarks5>, FaceError>;

    /// The similarity score of the face on `card` and the face in `live` (higher: more
    /// alike), or `None` when either has no usable face.
    fn score(&mut self, card: &Frame, live: &Frame) -> Result<Option<f32>, FaceError>;
}

/// How a calibration runs.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct CalibrationOptions {
    /// Turn each pair's first picture into a simulated ID-card photo before scoring it
    /// against the second ([`card_photo`]).
    pub simulate_card: bool,
    /// JPEG quality of the simulated card photo, 1–100.
    pub jpeg_quality: u8,
    /// Desaturation of the simulated card photo, 0–1.
    pub desaturation: f32,
}

impl Default for CalibrationOptions {
    fn default() -> Self {
        let card = CardPhotoOptions::default();
        Self { simulate_card: true, jpeg_quality: card.jpeg_quality, desaturation: card.desaturation }
    }
}

/// Why a pair was left out of the scores.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
#[non_exhaustive]
pub enum SkipReason {
    /// A picture could not be read or decoded.
    Unreadable {
        /// The picture.
        path: PathBuf,
        /// Why.
        reason: String,
    },
    /// No usable face in the picture the card photo was to be made from.
    NoFaceForCard {
        /// The picture.
        path: PathBuf,
    },
    /// The card photo could not be made from the face found.
    CardSimulation {
        /// The picture.
        path: PathBuf,
        /// Why.
        reason: String,
    },
    /// The scorer found no usable face on one side of the pair.
    NoFace,
}

impl fmt::Display for SkipReason {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            SkipReason::Unreadable { path, reason } => write!(f, "cannot read {}: {reason}", path.display()),
            SkipReason::NoFaceForCard { path } => write!(f, "no usable face in {} to make the card photo from", path.display()),
            SkipReason::CardSimulation { path, reason } => write!(f, "cannot make a card photo from {}: {reason}", path.display()),
            SkipReason::NoFace => f.write_str("no usable face on one side"),
        }
    }
}

/// A pair that was not scored, and why.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct SkippedPair {
    /// The pair.
    pub pair: Pair,
    /// Why.
    pub reason: SkipReason,
}

/// The outcome of a calibration.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Calibration {
    /// Every score, by class.
    pub scores: Scores,
    /// What the scores say.
    pub report: CalibrationReport,
    /// The pairs left out.
    pub skipped: Vec<SkippedPair>,
    /// Whether the first pictures were turned into simulated card photos.
    pub simulated_card: bool,
}

impl fmt::Display for Calibration {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.simulated_card {
            writeln!(f, "Card side: simulated ID-card photos (102×126, heavy JPEG) made from each pair's first picture")?;
        } else {
            writeln!(f, "Card side: each pair's first picture as it is")?;
        }
        writeln!(f, "{}", self.report)?;
        if self.skipped.is_empty() {
            return write!(f, "No pairs skipped");
        }
        write!(f, "Skipped {} pair(s):", self.skipped.len())?;
        for s in &self.skipped {
            write!(f, "\n  {} | {} ({}): {}", s.pair.a.display(), s.pair.b.display(), if s.pair.same { "same" } else { "different" }, s.reason)?;
        }
        Ok(())
    }
}

/// Why a calibration could not run or finish.
#[derive(Debug, Error)]
#[non_exhaustive]
pub enum CalibrateError {
    /// No pairs were given.
    #[error("no pairs to calibrate on")]
    NoPairs,
    /// The pairs are all of one class.
    #[error("calibration needs both same-person and different-person pairs; got {genuine} same-person and {impostor} different-person")]
    OneClass {
        /// Same-person pairs given.
        genuine: usize,
        /// Different-person pairs given.
        impostor: usize,
    },
    /// The options are out of range.
    #[error("calibration options: {0}")]
    Options(String),
    /// The scorer failed (a model error, not a missing face): calibration stops.
    #[error(transparent)]
    Face(#[from] FaceError),
    /// The scorer returned a score that is not a number.
    #[error("the scorer gave {value} for {} and {}: scores must be finite", a.display(), b.display())]
    ScoreNotFinite {
        /// The pair's first picture.
        a: PathBuf,
        /// The pair's second picture.
        b: PathBuf,
        /// The score.
        value: f32,
    },
    /// Too few pairs were scored to compute the statistics.
    #[error("{source} ({skipped} pair(s) were skipped)")]
    Stats {
        /// What is missing.
        source: StatsError,
        /// How many pairs were skipped.
        skipped: usize,
    },
}

/// How many bytes of decoded pictures are kept for reuse across pairs.
const PICTURE_CACHE_BYTES: usize = 128 << 20;
/// How many bytes of simulated card photos (about 38 KB each) are kept for reuse.
const CARD_CACHE_BYTES: usize = 16 << 20;

/// Scores every pair and computes the report.
///
/// A pair whose pictures cannot be read, or where no usable face is found, is skipped with its
/// reason; a scorer error (a broken model) stops the calibration. `progress(done, total)` is
/// called after each pair.
pub fn calibrate(
    pairs: &[Pair],
    scorer: &mut dyn PairScorer,
    options: &CalibrationOptions,
    progress: &mut dyn FnMut(usize, usize),
) -> Result<Calibration, CalibrateError> {
    if pairs.is_empty() {
        return Err(CalibrateError::NoPairs);
    }
    let genuine = pairs.iter().filter(|p| p.same).count();
    if genuine == 0 || genuine == pairs.len() {
        return Err(CalibrateError::OneClass { genuine, impostor: pairs.len() - genuine });
    }
    let card_options = CardPhotoOptions { layout: CardLayout::GA461, jpeg_quality: options.jpeg_quality, desaturation: options.desaturation };
    if !(1..=100).contains(&options.jpeg_quality) {
        return Err(CalibrateError::Options(format!("JPEG quality {} is not between 1 and 100", options.jpeg_quality)));
    }
    if !(0.0..=1.0).contains(&options.desaturation) {
        return Err(CalibrateError::Options(format!("desaturation {} is not between 0 and 1", options.desaturation)));
    }
    tracing::info!(pairs = pairs.len(), genuine, simulate_card = options.simulate_card, "calibration started");

    let mut pictures: Lru<Result<Rc<Frame>, String>> = Lru::new(PICTURE_CACHE_BYTES);
    let mut cards: Lru<Result<Rc<Frame>, SkipReason>> = Lru::new(CARD_CACHE_BYTES);
    let mut scores = Scores::default();
    let mut skipped = Vec::new();
    for (done, pair) in pairs.iter().enumerate() {
        let outcome = score_pair(pair, scorer, options.simulate_card.then_some(&card_options), &mut pictures, &mut cards)?;
        match outcome {
            Ok(score) if !score.is_finite() => return Err(CalibrateError::ScoreNotFinite { a: pair.a.clone(), b: pair.b.clone(), value: score }),
            Ok(score) if pair.same => scores.genuine.push(score),
            Ok(score) => scores.impostor.push(score),
            Err(reason) => {
                tracing::debug!(a = %pair.a.display(), b = %pair.b.display(), %reason, "pair skipped");
                skipped.push(SkippedPair { pair: pair.clone(), reason });
            }
        }
        progress(done + 1, pairs.len());
    }
    tracing::info!(genuine = scores.genuine.len(), impostor = scores.impostor.len(), skipped = skipped.len(), "calibration scored");
    let report = CalibrationReport::from_scores(&scores).map_err(|source| CalibrateError::Stats { source, skipped: skipped.len() })?;
    Ok(Calibration { scores, report, skipped, simulated_card: options.simulate_card })
}

/// One pair's score, or why it is skipped; `Err` outside for a scorer failure.
fn score_pair(
    pair: &Pair,
    scorer: &mut dyn PairScorer,
    card_options: Option<&CardPhotoOptions>,
    pictures: &mut Lru<Result<Rc<Frame>, String>>,
    cards: &mut Lru<Result<Rc<Frame>, SkipReason>>,
) -> Result<Result<f32, SkipReason>, FaceError> {
    let card = match card_options {
        Some(options) => card_photo(&pair.a, scorer, options, pictures, cards)?,
        None => picture(&pair.a, pictures),
    };
    let card = match card {
        Ok(card) => card,
        Err(reason) => return Ok(Err(reason)),
    };
    let live = match picture(&pair.b, pictures) {
        Ok(frame) => frame,
        Err(reason) => return Ok(Err(reason)),
    };
    Ok(scorer.score(&card, &live)?.ok_or(SkipReason::NoFace))
}

/// A decoded picture, from the cache when it was read for an earlier pair.
fn picture(path: &Path, pictures: &mut Lru<Result<Rc<Frame>, String>>) -> Result<Rc<Frame>, SkipReason> {
    let entry = match pictures.get(path) {
        Some(entry) => entry,
        None => {
            let entry = Frame::open(path).map(Rc::new).map_err(|e| e.to_string());
            let weight = entry.as_ref().map_or(0, |f| f.rgb().len());
            pictures.insert(path, entry.clone(), weight);
            entry
        }
    };
    entry.map_err(|reason| SkipReason::Unreadable { path: path.to_path_buf(), reason })
}

/// The simulated card photo made from a picture, from the cache when made for an earlier
/// pair (finding the landmarks is the slow part).
fn card_photo(
    path: &Path,
    scorer: &mut dyn PairScorer,
    options: &CardPhotoOptions,
    pictures: &mut Lru<Result<Rc<Frame>, String>>,
    cards: &mut Lru<Result<Rc<Frame>, SkipReason>>,
) -> Result<Result<Rc<Frame>, SkipReason>, FaceError> {
    if let Some(entry) = cards.get(path) {
        return Ok(entry);
    }
    let entry = match picture(path, pictures) {
        // An unreadable picture is cached as such in `pictures` already.
        Err(reason) => return Ok(Err(reason)),
        Ok(photo) => match scorer.landmarks(&photo)? {
            None => Err(SkipReason::NoFaceForCard { path: path.to_path_buf() }),
            Some(marks) => simulate_card_photo(&photo, &marks, options)
                .map(Rc::new)
                .map_err(|e| SkipReason::CardSimulation { path: path.to_path_buf(), reason: e.to_string() }),
        },
    };
    let weight = entry.as_ref().map_or(0, |f| f.rgb().len());
    cards.insert(path, entry.clone(), weight);
    Ok(entry)
}

/// A least-recently-used cache by path with a byte budget. The entry just inserted always
/// stays, however large. Frames held here are wiped when the last reference goes.
struct Lru<V> {
    budget: usize,
    used: usize,
    entries: VecDeque<(PathBuf, V, usize)>,
}

impl<V: Clone> Lru<V> {
    fn new(budget: usize) -> Self {
        Self { budget, used: 0, entries: VecDeque::new() }
    }

    fn get(&mut self, key: &Path) -> Option<V> {
        let i = self.entries.iter().position(|(k, _, _)| k == key)?;
        let entry = self.entries.remove(i)?;
        let value = entry.1.clone();
        self.entries.push_back(entry);
        Some(value)
    }

    fn insert(&mut self, key: &Path, value: V, weight: usize) {
        // Small entries (errors) still count, so the list stays bounded.
        let weight = weight.max(1024);
        self.entries.push_back((key.to_path_buf(), value, weight));
        self.used += weight;
        while self.used > self.budget && self.entries.len() > 1 {
            if let Some((_, _, w)) = self.entries.pop_front() {
                self.used -= w;
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::geometry::Point;

    /// A stand-in for the pipeline: a picture's "face" is its colour (black: no face), and the
    /// score is how alike the colours in the middle of the two pictures are.
    #[derive(Default)]
    struct ColourScorer {
        landmark_calls: usize,
        card_sizes: Vec<(u32, u32)>,
        fail: bool,
        nan: bool,
    }

    fn middle_colour(f: &Frame) -> [f32; 3] {
        let (cx, cy) = (f.width() / 2, f.height() * 2 / 3);
        let mut sum = [0.0f32; 3];
        for y in cy - 5..cy + 5 {
            for x in cx - 5..cx + 5 {
                for (s, c) in sum.iter_mut().zip(f.pixel(x, y)) {
                    *s += c as f32 / 100.0;
                }
            }
        }
        sum
    }

    impl PairScorer for ColourScorer {
        fn landmarks(&mut self, frame: &Frame) -> Result<Option<Landmarks5>, FaceError> {
            self.landmark_calls += 1;
            if frame.pixel(0, 0) == [0, 0, 0] {
                return Ok(None);
            }
            let (l, r) = (Point::new(80.0, 100.0), Point::new(120.0, 100.0));
            Ok(Some(Landmarks5([l, r, Point::new(100.0, 125.0), Point::new(85.0, 145.0), Point::new(115.0, 145.0)])))
        }

        fn score(&mut self, card: &Frame, live: &Frame) -> Result<Option<f32>, FaceError> {
            if self.fail {
                return Err(FaceError::Inference { step: "embedding", reason: "test failure".into() });
            }
            self.card_sizes.push((card.width(), card.height()));
            if live.pixel(0, 0) == [0, 0, 0] || card.pixel(card.width() / 2, card.height() * 2 / 3) == [0, 0, 0] {
                return Ok(None);
            }
            if self.nan {
                return Ok(Some(f32::NAN));
            }
            let (a, b) = (middle_colour(card), middle_colour(live));
            let diff: f32 = a.iter().zip(b).map(|(x, y)| (x - y).abs()).sum::<f32>() / (3.0 * 255.0);
            Ok(Some(1.0 - diff))
        }
    }

    struct Set {
        dir: tempfile::TempDir,
    }

    impl Set {
        fn new() -> Self {
            let dir = tempfile::tempdir().unwrap();
            let save = |name: &str, colour: [u8; 3]| {
                let rgb: Vec<u8> = (0..200 * 240).flat_map(|_| colour).collect();
                image::RgbImage::from_raw(200, 240, rgb).unwrap().save(dir.path().join(name)).unwrap();
            };
            save("ann1.png", [200, 40, 40]);
            save("ann2.png", [205, 45, 40]);
            save("bob1.png", [40, 40, 200]);
            save("bob2.png", [45, 40, 205]);
            save("cy.png", [0, 0, 0]);
            std::fs::write(dir.path().join("broken.jpg"), b"\xff\xd8 not a picture").unwrap();
            Self { dir }
        }

        fn pair(&self, a: &str, b: &str, same: bool) -> Pair {
            Pair { a: self.dir.path().join(a), b: self.dir.path().join(b), same }
        }
    }

    #[test]
    fn scores_by_class_and_skips_with_reasons() {
        let set = Set::new();
        let pairs = [
            set.pair("ann1.png", "ann2.png", true),
            set.pair("bob1.png", "bob2.png", true),
            set.pair("ann1.png", "bob1.png", false),
            set.pair("bob2.png", "ann2.png", false),
            set.pair("cy.png", "ann1.png", false),
            set.pair("ann1.png", "broken.jpg", true),
            set.pair("ann2.png", "cy.png", false),
        ];
        let mut scorer = ColourScorer::default();
        let mut calls = Vec::new();
        let cal = calibrate(&pairs, &mut scorer, &CalibrationOptions::default(), &mut |d, t| calls.push((d, t))).unwrap();

        assert_eq!(calls, (1..=7).map(|d| (d, 7)).collect::<Vec<_>>());
        assert_eq!((cal.scores.genuine.len(), cal.scores.impostor.len()), (2, 2));
        assert!(cal.scores.genuine.iter().all(|&s| s > 0.9), "{:?}", cal.scores);
        assert!(cal.scores.impostor.iter().all(|&s| s < 0.8), "{:?}", cal.scores);
        assert!(cal.report.separated);
        let reasons: Vec<&SkipReason> = cal.skipped.iter().map(|s| &s.reason).collect();
        assert!(matches!(reasons[0], SkipReason::NoFaceForCard { path } if path.ends_with("cy.png")));
        assert!(matches!(reasons[1], SkipReason::Unreadable { path, .. } if path.ends_with("broken.jpg")));
        assert_eq!(reasons[2], &SkipReason::NoFace);
        assert_eq!(cal.skipped[1].pair, pairs[5]);
        // Card photos were made, once per first picture (ann1 is first in three pairs).
        assert!(cal.simulated_card);
        assert!(scorer.card_sizes.iter().all(|&s| s == (102, 126)), "{:?}", scorer.card_sizes);
        assert_eq!(scorer.landmark_calls, 5);
        let text = cal.to_string();
        assert!(text.contains("Skipped 3 pair(s)") && text.contains("broken.jpg"), "{text}");
        let json = serde_json::to_string(&cal).unwrap();
        assert!(json.contains("\"kind\":\"no_face_for_card\"") && json.contains("\"suggested\""), "{json}");
    }

    #[test]
    fn without_card_simulation_the_pictures_are_scored_as_they_are() {
        let set = Set::new();
        let pairs = [set.pair("ann1.png", "ann2.png", true), set.pair("ann1.png", "bob1.png", false), set.pair("cy.png", "ann1.png", false)];
        let mut scorer = ColourScorer::default();
        let options = CalibrationOptions { simulate_card: false, ..Default::default() };
        let cal = calibrate(&pairs, &mut scorer, &options, &mut |_, _| {}).unwrap();
        assert_eq!(scorer.landmark_calls, 0);
        assert!(scorer.card_sizes.iter().all(|&s| s == (200, 240)));
        assert_eq!(cal.skipped.len(), 1);
        assert_eq!(cal.skipped[0].reason, SkipReason::NoFace);
        assert!(!cal.simulated_card);
    }

    #[test]
    fn errors() {
        let set = Set::new();
        let mut scorer = ColourScorer::default();
        let run = |pairs: &[Pair], scorer: &mut ColourScorer, options: CalibrationOptions| calibrate(pairs, scorer, &options, &mut |_, _| {});
        let good = [set.pair("ann1.png", "ann2.png", true), set.pair("ann1.png", "bob1.png", false)];
        assert!(matches!(run(&[], &mut scorer, Default::default()), Err(CalibrateError::NoPairs)));
        assert!(matches!(run(&good[..1], &mut scorer, Default::default()), Err(CalibrateError::OneClass { genuine: 1, impostor: 0 })));
        let q0 = CalibrationOptions { jpeg_quality: 0, ..Default::default() };
        assert!(matches!(run(&good, &mut scorer, q0), Err(CalibrateError::Options(_))));
        let d = CalibrationOptions { desaturation: -0.5, ..Default::default() };
        assert!(matches!(run(&good, &mut scorer, d), Err(CalibrateError::Options(_))));

        let mut failing = ColourScorer { fail: true, ..Default::default() };
        assert!(matches!(run(&good, &mut failing, Default::default()), Err(CalibrateError::Face(FaceError::Inference { .. }))));
        let mut nan = ColourScorer { nan: true, ..Default::default() };
        let err = run(&good, &mut nan, Default::default()).unwrap_err();
        assert!(matches!(err, CalibrateError::ScoreNotFinite { .. }), "{err}");
        assert!(err.to_string().contains("ann1.png"));

        // Every genuine pair skipped: the statistics cannot be computed, and the error says so.
        let no_genuine = [set.pair("cy.png", "ann2.png", true), set.pair("ann1.png", "bob1.png", false)];
        let err = run(&no_genuine, &mut scorer, Default::default()).unwrap_err();
        assert!(matches!(err, CalibrateError::Stats { source: StatsError::Empty(stats::PairClass::Genuine), skipped: 1 }), "{err}");
    }

    #[test]
    fn lru_keeps_recent_entries_within_budget() {
        let mut lru: Lru<u32> = Lru::new(3000);
        lru.insert(Path::new("a"), 1, 1000);
        lru.insert(Path::new("b"), 2, 1000);
        assert_eq!(lru.get(Path::new("a")), Some(1));
        lru.insert(Path::new("c"), 3, 1500);
        // b was the least recently used.
        assert_eq!(lru.get(Path::new("b")), None);
        assert_eq!((lru.get(Path::new("a")), lru.get(Path::new("c"))), (Some(1), Some(3)));
        // An entry over the whole budget stays on its own.
        lru.insert(Path::new("big"), 4, 10_000);
        assert_eq!(lru.entries.len(), 1);
        assert_eq!(lru.get(Path::new("big")), Some(4));
    }

    /// The real pipeline (detector, O-Net, alignment, MobileFaceNet) on the package test photos,
    /// with simulated card photos: same-person pairs score above different-person pairs.
    #[test]
    fn real_faces_with_simulated_cards_separate() {
        use crate::align::align;
        use crate::detect::{Detector, SeetaDetector};
        use crate::embed::{Embedder, MobileFaceNet};
        use crate::landmark::{Landmarker, OnetLandmarker};

        let Some(dir) = std::env::var_os("HALLKIT_FACE_MODELS") else {
            eprintln!("skipped: set HALLKIT_FACE_MODELS to the face model folder to run this test");
            return;
        };
        struct Pipeline {
            detector: SeetaDetector,
            landmarker: OnetLandmarker,
            embedder: MobileFaceNet,
        }
        impl PairScorer for Pipeline {
            fn landmarks(&mut self, frame: &Frame) -> Result<Option<Landmarks5>, FaceError> {
                let faces = self.detector.detect(frame)?;
                let Some(face) = faces.iter().max_by(|a, b| (a.width * a.height).total_cmp(&(b.width * b.height))) else { return Ok(None) };
                Ok(Some(self.landmarker.landmarks(frame, face)?))
            }
            fn score(&mut self, card: &Frame, live: &Frame) -> Result<Option<f32>, FaceError> {
                let (Some(a), Some(b)) = (self.landmarks(card)?, self.landmarks(live)?) else { return Ok(None) };
                let (Some(a), Some(b)) = (align(card, &a), align(live, &b)) else { return Ok(None) };
                Ok(Some(self.embedder.embed(&a)?.cosine(&self.embedder.embed(&b)?)))
            }
        }
        let models = crate::models::ModelDir::new(std::path::PathBuf::from(&dir));
        let mut pipeline = Pipeline {
            detector: SeetaDetector::load(&models).unwrap(),
            landmarker: OnetLandmarker::load(&models).unwrap(),
            embedder: MobileFaceNet::load(&models).unwrap(),
        };
        let images = std::path::PathBuf::from(&dir).join("test-images");
        let people = tempfile::tempdir().unwrap();
        for (person, files) in [("obama", &["obama.jpg", "obama2.jpg", "obama3.jpg"][..]), ("biden", &["biden.jpg"][..])] {
            std::fs::create_dir(people.path().join(person)).unwrap();
            for f in files {
                std::fs::copy(images.join(f), people.path().join(person).join(f)).unwrap();
            }
        }
        let pairs = pairs::from_dir(people.path(), 100).unwrap();
        assert_eq!(pairs.len(), 6);
        // Both directions, so each photo is a card once.
        let pairs: Vec<Pair> = pairs.iter().cloned().chain(pairs.iter().map(|p| Pair { a: p.b.clone(), b: p.a.clone(), same: p.same })).collect();
        let cal = calibrate(&pairs, &mut pipeline, &CalibrationOptions::default(), &mut |_, _| {}).unwrap();
        eprintln!("{cal}");
        assert!(cal.skipped.is_empty(), "{:?}", cal.skipped);
        assert_eq!((cal.scores.genuine.len(), cal.scores.impostor.len()), (6, 6));
        assert!(cal.report.separated, "{}", cal.report);
        assert_eq!(cal.report.suggested.basis, stats::ThresholdBasis::SeparationMidpoint);
    }
}
