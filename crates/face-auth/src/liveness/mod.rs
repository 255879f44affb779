//! Liveness: is a live person in front of the camera, rather than a picture of one?
//!
//! With one RGB camera, liveness is a challenge–response check ([`Challenge`]): the kiosk asks
//! for a few random head movements ("turn your head to your left", 请向左转头; "look up", 请抬头),
//! judges each from the pose of the face across frames, and holds the face's identity from the
//! first frame to the last. A binocular IR/depth camera plugs in through [`DepthLiveness`] and
//! [`DepthSequence`] instead. Both are a [`Liveness`] and end in a [`LivenessVerdict`], which the
//! CLI prints as JSON under `liveness`.
//!
//! # What the RGB challenge stops
//! - A printed photo, or a photo on a phone, held still in front of the camera: its pose cannot
//!   follow random prompts, so it times out ([`LivenessFailure::TimedOut`]).
//! - A still image fed in again and again (a file, a virtual camera): identical frames fail as
//!   [`LivenessFailure::StaticImage`] within a few frames.
//! - A different person stepping in mid-sequence, or swapping a photo for a face: every face must
//!   stay close to the first frontal one ([`LivenessFailure::IdentityChanged`]), and at most a
//!   few frames may lack exactly one face ([`LivenessFailure::FaceLost`]).
//! - A looped video of a head turning every way, mostly: the prompts are random, the head must
//!   come back to frontal between them, and a clear move the wrong way fails
//!   ([`LivenessFailure::TurnedWrongWay`]). Each prompt is then a coin toss for the loop (its
//!   next move on that axis must be the asked one), so with two prompts it passes about one
//!   time in four: a deterrent, not a barrier.
//!
//! # What it does not stop
//! - A video of the person turning on cue, played on a phone held up to the camera by someone
//!   who picks the clip that matches each prompt; likewise a photo bent along the nose and
//!   tilted on cue may pass a turn.
//! - A good 3-D mask worn by someone who follows the prompts.
//! - A deepfake driven live, whether shown on a screen or injected as the camera's feed.
//!
//! An RGB camera alone cannot tell these from a face. The answer is an IR or depth camera
//! through [`DepthLiveness`] (a screen shows no face in near-infrared, a photo has no depth),
//! together with staff at the counter watching the kiosk: a passed challenge means "not a still
//! picture", not "certainly a live person".
//!
//! # Using it
//! The caller owns the camera, the clock and the face pipeline; this module only judges. For
//! each frame, build an [`Observation`] (time since the start, the face count, and for one face
//! its [`Pose`](crate::pose::Pose) and [`Embedding`](crate::embed::Embedding), plus the frame's
//! change from the previous one by `crate::camera::mean_abs_difference`), give it to [`Challenge::observe`], and show what
//! the returned [`LivenessState`] asks for. Pose signs are the person's for an unmirrored
//! camera: unmirror the landmarks of a mirrored preview before computing the pose. Match the ID
//! card against a face from the same sequence, or liveness says nothing about the card holder.
//!
//! Nothing here reads a clock, a camera or a file, and nothing logs face data: only failure
//! codes and frame counts.

mod challenge;
mod config;
mod depth;
mod failure;
mod observation;
mod prompt;
mod verdict;

pub use challenge::Challenge;
pub use config::{ChallengeConfig, LivenessConfigError, MAX_PROMPTS};
pub use depth::{AuxFrame, AuxFrameError, AuxKind, DepthConfig, DepthLiveness, DepthSequence, DepthVerdict};
pub use failure::LivenessFailure;
pub use observation::{Observation, ObservedFace};
pub use prompt::{Prompt, UnknownPrompt};
pub use verdict::{ChallengeState, LivenessMethod, LivenessState, LivenessVerdict};

use crate::error::FaceError;
use crate::frame::Frame;
use crate::geometry::FaceBox;

/// One frame as a [`Liveness`] check sees it: what the pipeline found, and the pictures for
/// checks that look at pixels themselves.
#[derive(Debug, Clone, Copy)]
pub struct LivenessFrame<'a> {
    /// The face count, pose, embedding and frame change.
    pub observation: &'a Observation,
    /// The RGB camera frame.
    pub rgb: &'a Frame,
    /// The IR or depth picture taken with it, on a binocular camera.
    pub aux: Option<&'a AuxFrame>,
    /// The face's box in `rgb`, when there was exactly one face.
    pub face: Option<&'a FaceBox>,
}

/// Judges, frame by frame, whether a live person is in front of the camera. Implement it to plug
/// in another method; [`Challenge`] (RGB prompts) and [`DepthSequence`] (an IR/depth judge) are
/// the two here.
pub trait Liveness: Send {
    /// Where the check stands: what the kiosk should show now.
    fn state(&self) -> LivenessState;

    /// Judges one frame. Once passed or failed, further frames change nothing. An error means
    /// this frame could not be judged (a model failed); the check itself goes on.
    fn observe_frame(&mut self, frame: &LivenessFrame<'_>) -> Result<LivenessState, FaceError>;

    /// The report so far (final once passed or failed).
    fn verdict(&self) -> LivenessVerdict;

    /// Ends the check: one still running fails as [`LivenessFailure::Unfinished`]. Returns the
    /// final report.
    fn finish(&mut self) -> LivenessVerdict;
}

#[cfg(test)]
mod tests {
    use std::sync::Arc;
    use std::time::Duration;

    use super::*;
    use crate::embed::Embedding;
    use crate::pose::Pose;

    /// A judge that calls every face live: enough to drive the trait object.
    struct AlwaysLive;

    impl DepthLiveness for AlwaysLive {
        fn judge(&self, _: &Frame, _: &AuxFrame, _: &FaceBox) -> Result<DepthVerdict, FaceError> {
            Ok(DepthVerdict { live: true, score: 1.0 })
        }
    }

    #[test]
    fn both_methods_run_behind_the_trait() {
        let rgb = Frame::from_rgb(4, 4, vec![0; 48]).unwrap();
        let aux = AuxFrame::from_u8(AuxKind::Infrared, 4, 4, vec![0; 16]).unwrap();
        let face = FaceBox { x: 0.0, y: 0.0, width: 4.0, height: 4.0, score: 1.0 };
        let embedding = Embedding::new(vec![1.0, 0.5]).unwrap();
        let mut checks: Vec<Box<dyn Liveness>> = vec![
            Box::new(Challenge::with_prompts(ChallengeConfig::default(), vec![Prompt::TurnRight]).unwrap()),
            Box::new(DepthSequence::new(Arc::new(AlwaysLive), DepthConfig::default()).unwrap()),
        ];
        for check in &mut checks {
            for (i, yaw) in [0.0, -12.0, -24.0].into_iter().enumerate() {
                let obs = Observation::one_face(Duration::from_millis(i as u64 * 100), Pose { yaw, pitch: 0.0, roll: 0.0 }, embedding.clone(), Some(3.0));
                check.observe_frame(&LivenessFrame { observation: &obs, rgb: &rgb, aux: Some(&aux), face: Some(&face) }).unwrap();
            }
            assert_eq!(check.state(), LivenessState::Passed);
            let v = check.finish();
            assert!(v.passed && v.frames == 3, "{v:?}");
        }
        let json = serde_json::to_value(checks[0].verdict()).unwrap();
        assert_eq!(json, serde_json::json!({"method": "challenge", "passed": true, "prompts": ["turn_right"], "prompts_met": 1, "failure": null, "frames": 3}));
    }
}
