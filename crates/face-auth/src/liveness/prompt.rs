//! What the person is asked to do: turn the head or nod, in the person's own directions.

use std::fmt;
use std::str::FromStr;

use serde::{Deserialize, Serialize};

use crate::pose::Pose;

/// One challenge prompt. Directions are the person's own (their left, not the picture's left),
/// matching the signs of [`Pose`] for an unmirrored camera.
///
/// Serialised as its [`code`](Prompt::code), e.g. `"turn_left"`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Prompt {
    /// Turn the head to the person's left (yaw > 0).
    TurnLeft,
    /// Turn the head to the person's right (yaw < 0).
    TurnRight,
    /// Look up (pitch > 0).
    LookUp,
    /// Look down (pitch < 0).
    LookDown,
}

/// Which pose angle a prompt moves.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Axis {
    Yaw,
    Pitch,
}

impl Prompt {
    /// Every prompt, turns first.
    pub const ALL: [Prompt; 4] = [Prompt::TurnLeft, Prompt::TurnRight, Prompt::LookUp, Prompt::LookDown];

    /// A stable snake_case code for JSON and for the UI to key its own texts on.
    pub fn code(self) -> &'static str {
        match self {
            Prompt::TurnLeft => "turn_left",
            Prompt::TurnRight => "turn_right",
            Prompt::LookUp => "look_up",
            Prompt::LookDown => "look_down",
        }
    }

    /// The prompt in Chinese, as the kiosk shows or speaks it.
    pub fn zh(self) -> &'static str {
        match self {
            Prompt::TurnLeft => "请向左转头",
            Prompt::TurnRight => "请向右转头",
            Prompt::LookUp => "请抬头",
            Prompt::LookDown => "请低头",
        }
    }

    /// The action alone, without "please", for use inside a longer Chinese sentence.
    pub(crate) fn zh_action(self) -> &'static str {
        match self {
            Prompt::TurnLeft => "向左转头",
            Prompt::TurnRight => "向右转头",
            Prompt::LookUp => "抬头",
            Prompt::LookDown => "低头",
        }
    }

    /// Whether the prompt turns the head (yaw) rather than nods it (pitch).
    pub fn is_turn(self) -> bool {
        self.axis() == Axis::Yaw
    }

    pub(crate) fn axis(self) -> Axis {
        match self {
            Prompt::TurnLeft | Prompt::TurnRight => Axis::Yaw,
            Prompt::LookUp | Prompt::LookDown => Axis::Pitch,
        }
    }

    /// +1 when the prompt asks for a positive angle, −1 for a negative one.
    fn sign(self) -> f32 {
        match self {
            Prompt::TurnLeft | Prompt::LookUp => 1.0,
            Prompt::TurnRight | Prompt::LookDown => -1.0,
        }
    }

    /// How far the pose has gone in the asked direction, in degrees (negative: the other way;
    /// NaN when the pose is not finite, which then meets no target).
    pub(crate) fn progress(self, pose: &Pose) -> f32 {
        let angle = match self.axis() {
            Axis::Yaw => pose.yaw,
            Axis::Pitch => pose.pitch,
        };
        angle * self.sign()
    }
}

impl fmt::Display for Prompt {
    /// The prompt in English, addressed to the person.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Prompt::TurnLeft => "Turn your head to your left",
            Prompt::TurnRight => "Turn your head to your right",
            Prompt::LookUp => "Look up",
            Prompt::LookDown => "Look down",
        })
    }
}

/// A code that names no prompt.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("unknown liveness prompt {0:?}: use turn_left, turn_right, look_up or look_down")]
pub struct UnknownPrompt(pub String);

impl FromStr for Prompt {
    type Err = UnknownPrompt;

    /// Parses a [`code`](Prompt::code), e.g. for a scripted demo's `--prompts turn_left,look_up`.
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Prompt::ALL.into_iter().find(|p| p.code() == s.trim()).ok_or_else(|| UnknownPrompt(s.to_string()))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn serialises_as_its_code_and_parses_back() {
        for p in Prompt::ALL {
            assert_eq!(serde_json::to_string(&p).unwrap(), format!("\"{}\"", p.code()));
            assert_eq!(serde_json::from_str::<Prompt>(&format!("\"{}\"", p.code())).unwrap(), p);
            assert_eq!(p.code().parse::<Prompt>().unwrap(), p);
            assert!(p.zh().ends_with(p.zh_action()));
        }
        assert!("turn_around".parse::<Prompt>().is_err());
        assert_eq!(Prompt::TurnLeft.to_string(), "Turn your head to your left");
        assert_eq!(Prompt::TurnLeft.zh(), "请向左转头");
    }

    #[test]
    fn progress_follows_the_pose_signs() {
        // pose.rs: yaw > 0 is the person's left, pitch > 0 is up.
        let left = Pose { yaw: 25.0, pitch: 0.0, roll: 0.0 };
        let down = Pose { yaw: 0.0, pitch: -14.0, roll: 0.0 };
        assert_eq!(Prompt::TurnLeft.progress(&left), 25.0);
        assert_eq!(Prompt::TurnRight.progress(&left), -25.0);
        assert_eq!(Prompt::LookDown.progress(&down), 14.0);
        assert_eq!(Prompt::LookUp.progress(&down), -14.0);
        assert!(Prompt::TurnLeft.is_turn() && !Prompt::LookUp.is_turn());
    }
}
