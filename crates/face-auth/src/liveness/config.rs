//! The settings of a challenge–response check, with defaults for a kiosk camera at face height.

use std::time::Duration;

use thiserror::Error;

/// The longest challenge: beyond this the person gives up before an attacker does.
pub const MAX_PROMPTS: usize = 8;

/// Settings of a [`Challenge`](super::Challenge). Angles are the approximate degrees of
/// [`Pose`](crate::pose::Pose); the defaults suit a person standing at a kiosk.
#[derive(Debug, Clone, PartialEq)]
pub struct ChallengeConfig {
    /// How many prompts to ask (default 2, at most [`MAX_PROMPTS`]). One of them is always a
    /// turn, because yaw is what five landmarks measure best.
    pub prompts: usize,
    /// Whether "look up" / "look down" may be asked (default false). Pitch from five landmarks is
    /// rougher than yaw and shifts with the camera's height (the package test photos of one
    /// frontal face read from −9° to +12°); turn it on after checking the installed camera with
    /// `kiosk face verify`.
    pub pitch_prompts: bool,
    /// A turn is done when |yaw| reaches this in the asked direction (default 15°). The yaw
    /// estimate reads 13–15° on the package test photo of a visibly turned head, and the default
    /// detector finds frontal faces only, so a much larger target would lose the face.
    pub yaw_target: f32,
    /// A nod is done when |pitch| reaches this in the asked direction (default 12°).
    pub pitch_target: f32,
    /// "Looking straight at the camera": |yaw| and |pitch| at most this (default 10°). Must be
    /// below both targets. The reference face is taken inside it, and the head must come back
    /// inside it between prompts, so one held turn cannot answer two prompts.
    pub frontal_band: f32,
    /// Time to follow one prompt, from when it is shown (default 6 s).
    pub prompt_timeout: Duration,
    /// Time to look straight at the camera, at the start and between prompts (default 6 s).
    pub frontal_timeout: Duration,
    /// Every face in the sequence must have at least this cosine similarity with the first
    /// frontal face (default 0.45: a little below the verification threshold, because a turned
    /// head scores lower against a frontal one than two frontal photos do).
    pub identity_threshold: f32,
    /// Frames in a row without exactly one usable face that are tolerated (default 5): the
    /// frontal-only detector may miss a turned head for a frame or two. One more fails the check.
    pub max_missed_frames: usize,
    /// A frame whose mean absolute pixel change from the previous one is at most this counts as
    /// unchanged (default 0.01 of 255). An image fed in again gives exactly 0; a live camera's
    /// sensor noise keeps even a still scene above it, though the block-averaged measure
    /// (`crate::camera::mean_abs_difference`) damps that noise, hence so low a default.
    pub static_change: f32,
    /// This many unchanged frames in a row fail the check as a still image (default 3; a camera
    /// driver may hand out the same buffer twice now and then).
    pub static_frames: usize,
    /// Fail when the head moves to the full target the opposite way (default true). Without
    /// this, a looped video of a head turning every way would answer any prompt by waiting.
    pub fail_on_wrong_way: bool,
}

impl Default for ChallengeConfig {
    fn default() -> Self {
        Self {
            prompts: 2,
            pitch_prompts: false,
            yaw_target: 15.0,
            pitch_target: 12.0,
            frontal_band: 10.0,
            prompt_timeout: Duration::from_secs(6),
            frontal_timeout: Duration::from_secs(6),
            identity_threshold: 0.45,
            max_missed_frames: 5,
            static_change: 0.01,
            static_frames: 3,
            fail_on_wrong_way: true,
        }
    }
}

/// A liveness setting (of a challenge or of an IR/depth check) out of its range.
#[derive(Debug, Clone, PartialEq, Error)]
#[non_exhaustive]
pub enum LivenessConfigError {
    /// One setting has a value that cannot work.
    #[error("liveness setting {field} = {value} cannot work: it must be {expected}")]
    OutOfRange {
        /// The setting's name, as in its config struct.
        field: &'static str,
        /// The value given.
        value: String,
        /// What it must be.
        expected: &'static str,
    },
}

pub(crate) fn out_of_range(field: &'static str, value: impl std::fmt::Debug, expected: &'static str) -> LivenessConfigError {
    LivenessConfigError::OutOfRange { field, value: format!("{value:?}"), expected }
}

impl ChallengeConfig {
    /// Checks every setting (the number of prompts only when `check_count`).
    pub(crate) fn check(&self, check_count: bool) -> Result<(), LivenessConfigError> {
        if check_count && !(1..=MAX_PROMPTS).contains(&self.prompts) {
            return Err(out_of_range("prompts", self.prompts, "between 1 and 8"));
        }
        let angle = |name, v: f32| if v.is_finite() && v > 0.0 && v < 60.0 { Ok(()) } else { Err(out_of_range(name, v, "a number of degrees above 0 and below 60")) };
        angle("yaw_target", self.yaw_target)?;
        angle("pitch_target", self.pitch_target)?;
        angle("frontal_band", self.frontal_band)?;
        if self.frontal_band >= self.yaw_target.min(self.pitch_target) {
            return Err(out_of_range("frontal_band", self.frontal_band, "below both yaw_target and pitch_target"));
        }
        if self.prompt_timeout.is_zero() {
            return Err(out_of_range("prompt_timeout", self.prompt_timeout, "longer than zero"));
        }
        if self.frontal_timeout.is_zero() {
            return Err(out_of_range("frontal_timeout", self.frontal_timeout, "longer than zero"));
        }
        if !(self.identity_threshold.is_finite() && (-1.0..=1.0).contains(&self.identity_threshold)) {
            return Err(out_of_range("identity_threshold", self.identity_threshold, "a cosine similarity from -1 to 1"));
        }
        if !(self.static_change.is_finite() && self.static_change >= 0.0) {
            return Err(out_of_range("static_change", self.static_change, "a pixel difference of 0 or more"));
        }
        if self.static_frames == 0 {
            return Err(out_of_range("static_frames", self.static_frames, "at least 1"));
        }
        Ok(())
    }

    /// Checks that every setting can work: a challenge built from a bad config would either
    /// never pass or pass too easily.
    pub fn validate(&self) -> Result<(), LivenessConfigError> {
        self.check(true)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_defaults_are_valid() {
        assert_eq!(ChallengeConfig::default().validate(), Ok(()));
    }

    #[test]
    fn bad_settings_are_named() {
        let bad = |c: ChallengeConfig| match c.validate() {
            Err(LivenessConfigError::OutOfRange { field, .. }) => field,
            Ok(()) => "valid",
        };
        assert_eq!(bad(ChallengeConfig { prompts: 0, ..Default::default() }), "prompts");
        assert_eq!(bad(ChallengeConfig { prompts: 9, ..Default::default() }), "prompts");
        assert_eq!(bad(ChallengeConfig { yaw_target: f32::NAN, ..Default::default() }), "yaw_target");
        assert_eq!(bad(ChallengeConfig { frontal_band: 12.0, ..Default::default() }), "frontal_band");
        assert_eq!(bad(ChallengeConfig { prompt_timeout: Duration::ZERO, ..Default::default() }), "prompt_timeout");
        assert_eq!(bad(ChallengeConfig { identity_threshold: 1.5, ..Default::default() }), "identity_threshold");
        assert_eq!(bad(ChallengeConfig { static_change: -1.0, ..Default::default() }), "static_change");
        assert_eq!(bad(ChallengeConfig { static_frames: 0, ..Default::default() }), "static_frames");
        let msg = ChallengeConfig { prompts: 0, ..Default::default() }.validate().unwrap_err().to_string();
        assert_eq!(msg, "liveness setting prompts = 0 cannot work: it must be between 1 and 8");
    }
}
