//! Where a liveness check stands after each frame, and the report it ends with.

use serde::Serialize;

use super::failure::LivenessFailure;
use super::prompt::Prompt;

/// Where a liveness check stands: what the kiosk should show now.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum LivenessState {
    /// Waiting for the person to look straight at the camera (at the start, between prompts,
    /// and while an IR/depth check gathers frames). Show "please face the camera" (请正对摄像头).
    WaitingForFrontal,
    /// Waiting for the person to follow this prompt: show or speak it.
    Prompting(Prompt),
    /// The check passed; later frames change nothing.
    Passed,
    /// The check failed; later frames change nothing. Start a new check to retry.
    Failed(LivenessFailure),
}

/// The RGB challenge names its states this way; the same type serves every [`Liveness`](super::Liveness).
pub type ChallengeState = LivenessState;

impl LivenessState {
    /// Whether the check is over (passed or failed).
    pub fn is_finished(&self) -> bool {
        matches!(self, LivenessState::Passed | LivenessState::Failed(_))
    }
}

/// How liveness was judged.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
#[non_exhaustive]
pub enum LivenessMethod {
    /// Challenge–response prompts on one RGB camera.
    Challenge,
    /// An IR or depth camera beside the RGB one.
    Depth,
}

/// The report of a liveness check, for the CLI's JSON (`liveness`) and the kiosk's log. It holds
/// no face data.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct LivenessVerdict {
    /// How liveness was judged.
    pub method: LivenessMethod,
    /// Whether the person was judged live. False while the check is still running.
    pub passed: bool,
    /// The prompts shown so far, in order (empty for an IR/depth check).
    pub prompts: Vec<Prompt>,
    /// How many of them were followed.
    pub prompts_met: usize,
    /// Why the check failed; `None` when it passed or is still running.
    pub failure: Option<LivenessFailure>,
    /// How many frames the check judged.
    pub frames: usize,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn serialises_for_the_cli() {
        let v = LivenessVerdict {
            method: LivenessMethod::Challenge,
            passed: false,
            prompts: vec![Prompt::TurnRight, Prompt::LookDown],
            prompts_met: 1,
            failure: Some(LivenessFailure::TimedOut(Prompt::LookDown)),
            frames: 17,
        };
        let json = serde_json::to_value(&v).unwrap();
        assert_eq!(json["method"], "challenge");
        assert_eq!(json["passed"], false);
        assert_eq!(json["prompts"], serde_json::json!(["turn_right", "look_down"]));
        assert_eq!(json["prompts_met"], 1);
        assert_eq!(json["failure"]["code"], "timed_out");
        assert_eq!(json["failure"]["prompt"], "look_down");
        assert_eq!(json["frames"], 17);
        assert!(!LivenessState::Prompting(Prompt::LookUp).is_finished());
        assert!(LivenessState::Failed(LivenessFailure::FaceLost).is_finished());
    }
}
