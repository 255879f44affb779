//! Score statistics: genuine and impostor distributions, TAR at fixed FARs, the equal error
//! rate and a suggested threshold, with a text rendering for people.
//!
//! Conventions: a higher score means more alike, and a pair is accepted when
//! `score >= threshold` (as [`Decision::from_score`](crate::Decision::from_score) does).
//! FAR(t) is the share of impostor scores `>= t`, TAR(t) the share of genuine scores `>= t`,
//! FRR(t) = 1 − TAR(t).
//!
//! A FAR of `f` can only be measured with at least `1/f` impostor pairs: with fewer, one false
//! accept is already more than `f`. The report says so (`measurable: false`) instead of
//! extrapolating.

use std::fmt;

use serde::Serialize;
use thiserror::Error;

/// The false accept rates the report gives the TAR at.
pub const FAR_TARGETS: [f64; 3] = [1e-2, 1e-3, 1e-4];

/// The FAR the suggested threshold is taken at when there are enough impostor pairs.
pub const SUGGESTED_FAR: f64 = 1e-3;

/// The scores of the genuine (same person) and impostor (different people) pairs.
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
pub struct Scores {
    /// Scores of same-person pairs.
    pub genuine: Vec<f32>,
    /// Scores of different-person pairs.
    pub impostor: Vec<f32>,
}

/// Genuine or impostor.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum PairClass {
    /// Same person.
    Genuine,
    /// Different people.
    Impostor,
}

impl fmt::Display for PairClass {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            PairClass::Genuine => "genuine",
            PairClass::Impostor => "impostor",
        })
    }
}

/// Why the statistics cannot be computed.
#[derive(Debug, Error)]
#[non_exhaustive]
pub enum StatsError {
    /// One class has no scores (every such pair was skipped, or none was given).
    #[error("there are no {0} scores: calibration needs both same-person and different-person pairs with usable faces")]
    Empty(PairClass),
    /// A score is NaN or infinite (a scorer bug).
    #[error("{class} score #{index} is {value}: the scorer must return finite similarity scores")]
    NotFinite {
        /// Which class.
        class: PairClass,
        /// Its position in that class's list.
        index: usize,
        /// The value.
        value: f32,
    },
}

/// Count, mean, spread and range of one class's scores.
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct ClassSummary {
    /// Number of scores.
    pub count: usize,
    /// Mean.
    pub mean: f64,
    /// Population standard deviation.
    pub std_dev: f64,
    /// Lowest score.
    pub min: f32,
    /// Highest score.
    pub max: f32,
}

/// The TAR at one target FAR.
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct TarAtFar {
    /// The target false accept rate.
    pub far_target: f64,
    /// Whether there are enough impostor pairs to measure this FAR (at least `min_impostors`).
    pub measurable: bool,
    /// The impostor pairs needed to measure it: `1 / far_target`.
    pub min_impostors: usize,
    /// The impostor pairs there are.
    pub impostors: usize,
    /// The lowest threshold whose observed FAR is at most the target; `None` when not measurable.
    pub threshold: Option<f32>,
    /// The TAR at that threshold; `None` when not measurable.
    pub tar: Option<f64>,
    /// The FAR observed at that threshold (at most the target); `None` when not measurable.
    pub far: Option<f64>,
}

/// The equal error rate: where FAR and FRR cross.
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct Eer {
    /// (FAR + FRR) / 2 at `threshold`.
    pub rate: f64,
    /// The score threshold where |FAR − FRR| is smallest.
    pub threshold: f32,
    /// FAR there.
    pub far: f64,
    /// FRR there.
    pub frr: f64,
}

/// Which rule gave the suggested threshold.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum ThresholdBasis {
    /// The threshold at FAR 1e-3 ([`SUGGESTED_FAR`]), which the data could measure.
    Far1e3,
    /// Halfway between the highest impostor and the lowest genuine score (the classes
    /// separate, but there are too few impostor pairs to measure FAR 1e-3).
    SeparationMidpoint,
    /// The equal-error threshold (the classes overlap and FAR 1e-3 is not measurable).
    Eer,
}

impl fmt::Display for ThresholdBasis {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            ThresholdBasis::Far1e3 => "the threshold at FAR 1e-3",
            ThresholdBasis::SeparationMidpoint => {
                "halfway between the highest impostor and the lowest genuine score (too few impostor pairs to measure FAR 1e-3)"
            }
            ThresholdBasis::Eer => "the equal-error threshold (the classes overlap and there are too few impostor pairs to measure FAR 1e-3)",
        })
    }
}

/// The threshold the report suggests, and what it gives on these scores.
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct SuggestedThreshold {
    /// The threshold (accept when `score >= threshold`).
    pub threshold: f32,
    /// The rule that chose it.
    pub basis: ThresholdBasis,
    /// TAR at it on these scores.
    pub tar: f64,
    /// FAR at it on these scores.
    pub far: f64,
}

/// Everything a calibration measured about the scores.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct CalibrationReport {
    /// Same-person scores.
    pub genuine: ClassSummary,
    /// Different-person scores.
    pub impostor: ClassSummary,
    /// Whether every genuine score is above every impostor score.
    pub separated: bool,
    /// TAR at each of [`FAR_TARGETS`].
    pub tar_at_far: Vec<TarAtFar>,
    /// The equal error rate.
    pub eer: Eer,
    /// The suggested threshold.
    pub suggested: SuggestedThreshold,
}

/// One point of the ROC curve.
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct RocPoint {
    /// The threshold.
    pub threshold: f32,
    /// FAR at it.
    pub far: f64,
    /// TAR at it.
    pub tar: f64,
}

/// Both classes sorted ascending, checked non-empty and finite.
struct Sorted {
    genuine: Vec<f32>,
    impostor: Vec<f32>,
}

impl Sorted {
    fn new(scores: &Scores) -> Result<Self, StatsError> {
        let check = |values: &[f32], class: PairClass| -> Result<Vec<f32>, StatsError> {
            if values.is_empty() {
                return Err(StatsError::Empty(class));
            }
            if let Some((index, &value)) = values.iter().enumerate().find(|(_, v)| !v.is_finite()) {
                return Err(StatsError::NotFinite { class, index, value });
            }
            let mut sorted = values.to_vec();
            sorted.sort_by(f32::total_cmp);
            Ok(sorted)
        };
        Ok(Self { genuine: check(&scores.genuine, PairClass::Genuine)?, impostor: check(&scores.impostor, PairClass::Impostor)? })
    }

    /// FAR at `t`: impostor scores `>= t` over all impostors.
    fn far(&self, t: f32) -> f64 {
        at_or_above(&self.impostor, t) as f64 / self.impostor.len() as f64
    }

    /// TAR at `t`: genuine scores `>= t` over all genuine.
    fn tar(&self, t: f32) -> f64 {
        at_or_above(&self.genuine, t) as f64 / self.genuine.len() as f64
    }

    fn summary(values: &[f32]) -> ClassSummary {
        let n = values.len() as f64;
        let mean = values.iter().map(|&v| v as f64).sum::<f64>() / n;
        let var = values.iter().map(|&v| (v as f64 - mean).powi(2)).sum::<f64>() / n;
        ClassSummary { count: values.len(), mean, std_dev: var.sqrt(), min: values[0], max: values[values.len() - 1] }
    }

    fn tar_at_far(&self, far_target: f64) -> TarAtFar {
        let n = self.impostor.len();
        // 1/f rounded with a little slack so that 1/1e-3 is 1000, not 1001 from float error.
        let min_impostors = (1.0 / far_target - 1e-6).ceil().max(1.0) as usize;
        let measurable = n >= min_impostors;
        let (threshold, tar, far) = if measurable {
            // At most k false accepts; the (k+1)-th highest impostor score must be rejected,
            // so the threshold is the next float above it (ties at that score go too).
            let k = (far_target * n as f64 + 1e-9).floor() as usize;
            let t = next_up(self.impostor[n - 1 - k]);
            (Some(t), Some(self.tar(t)), Some(self.far(t)))
        } else {
            (None, None, None)
        };
        TarAtFar { far_target, measurable, min_impostors, impostors: n, threshold, tar, far }
    }

    /// The candidate threshold (each distinct score, and just above the highest) where
    /// |FAR − FRR| is smallest; ties go to the lower threshold.
    fn eer(&self) -> Eer {
        let highest = self.genuine[self.genuine.len() - 1].max(self.impostor[self.impostor.len() - 1]);
        let mut candidates: Vec<f32> = self.genuine.iter().chain(&self.impostor).copied().chain([next_up(highest)]).collect();
        candidates.sort_by(f32::total_cmp);
        candidates.dedup();
        let mut best: Option<Eer> = None;
        for t in candidates {
            let (far, frr) = (self.far(t), 1.0 - self.tar(t));
            if best.is_none_or(|b| (far - frr).abs() < (b.far - b.frr).abs()) {
                best = Some(Eer { rate: (far + frr) / 2.0, threshold: t, far, frr });
            }
        }
        // The candidate list is never empty (it holds the step above `highest`), so `best` is set.
        best.unwrap_or(Eer { rate: 0.5, threshold: highest, far: 0.0, frr: 1.0 })
    }
}

/// The smallest `f32` above `x` (`f32::next_up`, which is newer than the workspace's MSRV).
fn next_up(x: f32) -> f32 {
    if x.is_nan() || x == f32::INFINITY {
        return x;
    }
    if x == 0.0 {
        // +0 and −0 alike: the smallest positive subnormal.
        return f32::from_bits(1);
    }
    let bits = x.to_bits();
    f32::from_bits(if x > 0.0 { bits + 1 } else { bits - 1 })
}

fn at_or_above(sorted: &[f32], t: f32) -> usize {
    sorted.len() - sorted.partition_point(|&v| v < t)
}

impl CalibrationReport {
    /// Computes the report.
    ///
    /// The suggested threshold is, in order of preference:
    /// 1. the threshold at FAR 1e-3 when there are at least 1000 impostor pairs;
    /// 2. else, when every genuine score is above every impostor score, the midpoint between
    ///    the highest impostor and the lowest genuine score;
    /// 3. else the equal-error threshold.
    pub fn from_scores(scores: &Scores) -> Result<Self, StatsError> {
        let s = Sorted::new(scores)?;
        let genuine = Sorted::summary(&s.genuine);
        let impostor = Sorted::summary(&s.impostor);
        let separated = impostor.max < genuine.min;
        let tar_at_far: Vec<TarAtFar> = FAR_TARGETS.iter().map(|&f| s.tar_at_far(f)).collect();
        let eer = s.eer();
        let at_suggested_far = s.tar_at_far(SUGGESTED_FAR);
        let (threshold, basis) = match at_suggested_far.threshold {
            Some(t) => (t, ThresholdBasis::Far1e3),
            None if separated => (impostor.max + (genuine.min - impostor.max) / 2.0, ThresholdBasis::SeparationMidpoint),
            None => (eer.threshold, ThresholdBasis::Eer),
        };
        let suggested = SuggestedThreshold { threshold, basis, tar: s.tar(threshold), far: s.far(threshold) };
        Ok(Self { genuine, impostor, separated, tar_at_far, eer, suggested })
    }
}

/// The ROC curve: (FAR, TAR) at every distinct score and just above the highest, from the
/// highest threshold (FAR 0) to the lowest (FAR 1, TAR 1).
pub fn roc_curve(scores: &Scores) -> Result<Vec<RocPoint>, StatsError> {
    let s = Sorted::new(scores)?;
    let highest = s.genuine[s.genuine.len() - 1].max(s.impostor[s.impostor.len() - 1]);
    let mut thresholds: Vec<f32> = s.genuine.iter().chain(&s.impostor).copied().chain([next_up(highest)]).collect();
    thresholds.sort_by(|a, b| b.total_cmp(a));
    thresholds.dedup();
    Ok(thresholds.into_iter().map(|t| RocPoint { threshold: t, far: s.far(t), tar: s.tar(t) }).collect())
}

impl fmt::Display for CalibrationReport {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        writeln!(f, "Scores (higher = more alike; accepted when score >= threshold)")?;
        for (name, c) in [("genuine ", &self.genuine), ("impostor", &self.impostor)] {
            writeln!(f, "  {name} pairs: {:>7}   mean {:.4}  sd {:.4}  min {:.4}  max {:.4}", c.count, c.mean, c.std_dev, c.min, c.max)?;
        }
        if self.separated {
            writeln!(f, "  every genuine score is above every impostor score")?;
        } else {
            writeln!(f, "  the classes overlap: some impostor scores reach genuine ones")?;
        }
        writeln!(f, "TAR at fixed FAR")?;
        for r in &self.tar_at_far {
            match (r.threshold, r.tar, r.far) {
                (Some(t), Some(tar), Some(far)) => {
                    writeln!(f, "  FAR {:<6.0e} TAR {:>7.3}%  threshold {:.4}  (observed FAR {:.2e})", r.far_target, tar * 100.0, t, far)?
                }
                _ => writeln!(f, "  FAR {:<6.0e} not measurable: needs at least {} impostor pairs, have {}", r.far_target, r.min_impostors, r.impostors)?,
            }
        }
        let e = &self.eer;
        writeln!(f, "EER {:.3}% at threshold {:.4} (FAR {:.3}%, FRR {:.3}%)", e.rate * 100.0, e.threshold, e.far * 100.0, e.frr * 100.0)?;
        let s = &self.suggested;
        writeln!(f, "Suggested threshold {:.4}: {}", s.threshold, s.basis)?;
        write!(f, "  on these pairs: TAR {:.3}%, FAR {:.3}%", s.tar * 100.0, s.far * 100.0)?;
        if s.basis != ThresholdBasis::Far1e3 {
            write!(f, "\n  score more impostor pairs (at least 1000) before trusting it for FAR 1e-3")?;
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn scores(genuine: &[f32], impostor: &[f32]) -> Scores {
        Scores { genuine: genuine.to_vec(), impostor: impostor.to_vec() }
    }

    fn close(a: f64, b: f64) -> bool {
        (a - b).abs() < 1e-9
    }

    #[test]
    fn small_overlapping_set_by_hand() {
        // Impostors 0.1 0.2 0.3 0.4 0.6, genuine 0.35 0.5 0.7 0.8 0.9.
        // t = 0.5: FAR 1/5 (0.6), FRR 1/5 (0.35): the crossing, EER 20%.
        let s = scores(&[0.9, 0.35, 0.7, 0.5, 0.8], &[0.4, 0.1, 0.6, 0.3, 0.2]);
        let r = CalibrationReport::from_scores(&s).unwrap();
        assert_eq!((r.genuine.count, r.impostor.count), (5, 5));
        assert!((r.genuine.mean - 0.65).abs() < 1e-6 && (r.impostor.mean - 0.32).abs() < 1e-6, "{:?} {:?}", r.genuine, r.impostor);
        assert_eq!((r.genuine.min, r.genuine.max, r.impostor.min, r.impostor.max), (0.35, 0.9, 0.1, 0.6));
        assert!(!r.separated);
        assert_eq!(r.eer.threshold, 0.5);
        assert!(close(r.eer.rate, 0.2) && close(r.eer.far, 0.2) && close(r.eer.frr, 0.2));
        // 5 impostors measure no FAR target: all three say so and give no numbers.
        for t in &r.tar_at_far {
            assert!(!t.measurable && t.threshold.is_none() && t.tar.is_none());
            assert_eq!(t.impostors, 5);
        }
        assert_eq!(r.tar_at_far.iter().map(|t| t.min_impostors).collect::<Vec<_>>(), [100, 1000, 10000]);
        // Overlapping and FAR 1e-3 unmeasurable: the EER threshold.
        assert_eq!(r.suggested.basis, ThresholdBasis::Eer);
        assert_eq!(r.suggested.threshold, 0.5);
        assert!(close(r.suggested.tar, 0.8) && close(r.suggested.far, 0.2));
        let text = r.to_string();
        assert!(text.contains("not measurable: needs at least 1000 impostor pairs, have 5"), "{text}");
        assert!(text.contains("EER 20.000%"), "{text}");
    }

    #[test]
    fn separated_classes_get_the_midpoint() {
        let s = scores(&[0.8, 0.7, 0.9], &[0.1, 0.3, 0.2, 0.3]);
        let r = CalibrationReport::from_scores(&s).unwrap();
        assert!(r.separated);
        assert_eq!(r.suggested.basis, ThresholdBasis::SeparationMidpoint);
        assert!((r.suggested.threshold - 0.5).abs() < 1e-6);
        assert!(close(r.suggested.tar, 1.0) && close(r.suggested.far, 0.0));
        assert!(close(r.eer.rate, 0.0));
        // The lowest threshold with FAR = FRR = 0 is the lowest genuine score.
        assert_eq!(r.eer.threshold, 0.7);
        assert!(serde_json::to_string(&r).unwrap().contains("\"basis\":\"separation_midpoint\""));
    }

    #[test]
    fn tar_at_far_with_enough_impostors() {
        // 1000 impostors at 0.000, 0.001, …, 0.999; 100 genuine at 0.9505, 0.9515, …, 1.0495
        // (halfway between, so no genuine score sits on a cut).
        let impostor: Vec<f32> = (0..1000).map(|i| i as f32 / 1000.0).collect();
        let genuine: Vec<f32> = (0..100).map(|i| 0.9505 + i as f32 / 1000.0).collect();
        let r = CalibrationReport::from_scores(&scores(&genuine, &impostor)).unwrap();
        let [f2, f3, f4] = [r.tar_at_far[0], r.tar_at_far[1], r.tar_at_far[2]];
        // FAR 1e-2: 10 false accepts allowed (0.990 … 0.999), so 0.989 must be rejected.
        assert!(f2.measurable);
        assert_eq!(f2.threshold, Some(next_up(989.0f32 / 1000.0)));
        assert!(close(f2.far.unwrap(), 0.01));
        // Genuine scores above 0.989: 0.9895 … 1.0495 → 61 of 100.
        assert!(close(f2.tar.unwrap(), 0.61), "{f2:?}");
        // FAR 1e-3: one false accept allowed (0.999).
        assert!(f3.measurable);
        assert_eq!(f3.threshold, Some(next_up(998.0f32 / 1000.0)));
        assert!(close(f3.far.unwrap(), 0.001));
        // Genuine scores above 0.998: 0.9985 … 1.0495 → 52 of 100.
        assert!(close(f3.tar.unwrap(), 0.52), "{f3:?}");
        // FAR 1e-4 needs 10 000 impostors.
        assert!(!f4.measurable && f4.threshold.is_none());
        assert_eq!((f4.min_impostors, f4.impostors), (10000, 1000));
        // FAR 1e-3 is measurable, so it is the suggestion.
        assert_eq!(r.suggested.basis, ThresholdBasis::Far1e3);
        assert_eq!(Some(r.suggested.threshold), f3.threshold);
        assert!(r.to_string().contains("FAR 1e-4   not measurable"), "{r}");
    }

    #[test]
    fn ties_at_the_cut_are_all_rejected() {
        // 100 impostors: 98 at 0.1 and two at 0.5. FAR 1e-2 allows one false accept, but both
        // 0.5 scores are equal, so the threshold must reject both.
        let mut impostor = vec![0.1f32; 98];
        impostor.extend([0.5, 0.5]);
        let r = CalibrationReport::from_scores(&scores(&[0.5, 0.6], &impostor)).unwrap();
        let f2 = r.tar_at_far[0];
        assert_eq!(f2.threshold, Some(next_up(0.5)));
        assert!(close(f2.far.unwrap(), 0.0));
        assert!(close(f2.tar.unwrap(), 0.5));
    }

    #[test]
    fn next_up_is_the_next_float() {
        for x in [0.5f32, -0.5, 1e-30, -1e-30, 0.312, 1.0, -1.0] {
            let up = next_up(x);
            assert!(up > x, "{x} -> {up}");
            assert_eq!(up.to_bits().abs_diff(x.to_bits()), 1, "{x} -> {up}");
        }
        assert!(next_up(0.0) > 0.0 && next_up(-0.0) > 0.0);
        assert_eq!(next_up(f32::INFINITY), f32::INFINITY);
    }

    #[test]
    fn empty_and_nan_are_errors() {
        assert!(matches!(CalibrationReport::from_scores(&scores(&[], &[0.1])), Err(StatsError::Empty(PairClass::Genuine))));
        assert!(matches!(CalibrationReport::from_scores(&scores(&[0.9], &[])), Err(StatsError::Empty(PairClass::Impostor))));
        let err = CalibrationReport::from_scores(&scores(&[0.9, 0.8], &[0.1, f32::NAN])).unwrap_err();
        assert!(matches!(err, StatsError::NotFinite { class: PairClass::Impostor, index: 1, .. }));
        assert!(err.to_string().contains("impostor score #1 is NaN"), "{err}");
        assert!(matches!(roc_curve(&scores(&[f32::INFINITY], &[0.1])), Err(StatsError::NotFinite { class: PairClass::Genuine, index: 0, .. })));
    }

    #[test]
    fn roc_runs_from_nothing_accepted_to_everything() {
        let roc = roc_curve(&scores(&[0.9, 0.35, 0.7], &[0.4, 0.1])).unwrap();
        let first = roc[0];
        let last = roc[roc.len() - 1];
        assert_eq!((first.far, first.tar), (0.0, 0.0));
        assert_eq!((last.far, last.tar), (1.0, 1.0));
        assert_eq!(roc.len(), 6);
        for w in roc.windows(2) {
            assert!(w[0].threshold > w[1].threshold && w[0].far <= w[1].far && w[0].tar <= w[1].tar);
        }
        // At 0.4: impostor 0.4 accepted (1/2), genuine 0.7 and 0.9 (2/3).
        let at = roc.iter().find(|p| p.threshold == 0.4).unwrap();
        assert!(close(at.far, 0.5) && close(at.tar, 2.0 / 3.0));
    }
}
