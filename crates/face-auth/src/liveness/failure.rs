//! Why a liveness check failed, in words the kiosk can show.

use std::fmt;

use serde::ser::{Serialize, SerializeMap, Serializer};

use super::prompt::Prompt;

/// Why a liveness check failed. Each reason has a stable [`code`](LivenessFailure::code), an
/// English text (`Display`) and a Chinese one ([`zh`](LivenessFailure::zh)).
///
/// Serialised as `{"code": ..., "prompt": ... (when there is one), "message": <English>}`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum LivenessFailure {
    /// The prompt was not followed before its time ran out.
    TimedOut(Prompt),
    /// The person did not look straight at the camera in time (at the start, or between prompts).
    NotFacingCamera,
    /// A face too unlike the first one appeared during the sequence.
    IdentityChanged,
    /// Too many frames in a row had no face, or more than one.
    FaceLost,
    /// The picture did not change between frames: a still image fed in again and again.
    StaticImage,
    /// The head moved clearly the opposite way to the prompt.
    TurnedWrongWay(Prompt),
    /// The IR or depth camera judged the face not live.
    NotLive,
    /// The frames ended before the check was complete.
    Unfinished,
}

impl LivenessFailure {
    /// A stable snake_case code for JSON and for the UI to key its own texts on.
    pub fn code(&self) -> &'static str {
        match self {
            LivenessFailure::TimedOut(_) => "timed_out",
            LivenessFailure::NotFacingCamera => "not_facing_camera",
            LivenessFailure::IdentityChanged => "identity_changed",
            LivenessFailure::FaceLost => "face_lost",
            LivenessFailure::StaticImage => "static_image",
            LivenessFailure::TurnedWrongWay(_) => "turned_wrong_way",
            LivenessFailure::NotLive => "not_live",
            LivenessFailure::Unfinished => "unfinished",
        }
    }

    /// The prompt the failure is about, if any.
    pub fn prompt(&self) -> Option<Prompt> {
        match self {
            LivenessFailure::TimedOut(p) | LivenessFailure::TurnedWrongWay(p) => Some(*p),
            _ => None,
        }
    }

    /// The reason in Chinese, telling the person what to do.
    pub fn zh(&self) -> String {
        match self {
            LivenessFailure::TimedOut(p) => format!("未在规定时间内完成动作（{}），请重试", p.zh_action()),
            LivenessFailure::NotFacingCamera => "未在规定时间内正对摄像头，请正对摄像头后重试".into(),
            LivenessFailure::IdentityChanged => "检测过程中人脸发生变化，请由本人完成全部动作".into(),
            LivenessFailure::FaceLost => "未能持续检测到人脸，请保持镜头前只有本人一人".into(),
            LivenessFailure::StaticImage => "画面静止不变，疑似照片，请本人在镜头前完成动作".into(),
            LivenessFailure::TurnedWrongWay(p) => format!("动作方向不对，应为：{}，请重试", p.zh_action()),
            LivenessFailure::NotLive => "未检测到真人，请本人正对摄像头后重试".into(),
            LivenessFailure::Unfinished => "活体检测未完成，请重试".into(),
        }
    }
}

impl fmt::Display for LivenessFailure {
    /// The reason in English, telling the person what to do.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            LivenessFailure::TimedOut(p) => write!(f, "the prompt \"{p}\" was not followed in time; please try again"),
            LivenessFailure::NotFacingCamera => f.write_str("did not look straight at the camera in time; please face the camera and try again"),
            LivenessFailure::IdentityChanged => f.write_str("a different face appeared during the check; the same person must follow every prompt"),
            LivenessFailure::FaceLost => f.write_str("the face was lost; keep exactly one face, your own, in view"),
            LivenessFailure::StaticImage => f.write_str("the picture did not change between frames, as with a photo; please follow the prompts in person"),
            LivenessFailure::TurnedWrongWay(p) => write!(f, "moved the wrong way when asked: \"{p}\"; please try again"),
            LivenessFailure::NotLive => f.write_str("the IR/depth camera did not see a live face; please face the camera in person and try again"),
            LivenessFailure::Unfinished => f.write_str("the frames ended before the liveness check was complete; please try again"),
        }
    }
}

impl Serialize for LivenessFailure {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        let prompt = self.prompt();
        let mut map = serializer.serialize_map(Some(if prompt.is_some() { 3 } else { 2 }))?;
        map.serialize_entry("code", self.code())?;
        if let Some(p) = prompt {
            map.serialize_entry("prompt", &p)?;
        }
        map.serialize_entry("message", &self.to_string())?;
        map.end()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn serialises_code_prompt_and_message() {
        let v = serde_json::to_value(LivenessFailure::TimedOut(Prompt::LookUp)).unwrap();
        assert_eq!(v["code"], "timed_out");
        assert_eq!(v["prompt"], "look_up");
        assert_eq!(v["message"], "the prompt \"Look up\" was not followed in time; please try again");
        let v = serde_json::to_value(LivenessFailure::StaticImage).unwrap();
        assert_eq!(v["code"], "static_image");
        assert!(v.get("prompt").is_none());
    }

    #[test]
    fn texts_name_the_prompt() {
        let f = LivenessFailure::TurnedWrongWay(Prompt::TurnRight);
        assert_eq!(f.prompt(), Some(Prompt::TurnRight));
        assert!(f.zh().contains("向右转头"), "{}", f.zh());
        assert!(f.to_string().contains("Turn your head to your right"));
        assert_eq!(LivenessFailure::FaceLost.prompt(), None);
    }
}
