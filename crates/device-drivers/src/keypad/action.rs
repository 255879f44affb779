//! What a key press asks for. The keypad has its own action type (this crate does not know the
//! hall protocol); the counter maps it to `hall_protocol::CounterAction` or, for `rate`, to an
//! evaluation.

use std::fmt;
use std::str::FromStr;

use serde::{Deserialize, Serialize};

/// The longest service code a transfer key may name (the hall protocol's limit).
pub const MAX_SERVICE_CODE: usize = 32;

/// An action bound to a key. Written in key maps as a short string: `call_next`, `recall`,
/// `skip`, `finish`, `pause`, `resume`, `pause_resume`, `transfer:<service code>` (e.g.
/// `transfer:tax`), `rate:<1-5>`.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
#[non_exhaustive]
pub enum KeypadAction {
    /// Call the next ticket (叫号).
    CallNext,
    /// Announce the current ticket again (重呼).
    Recall,
    /// The called citizen did not come (过号).
    Skip,
    /// Service of the current ticket is done (办结).
    Finish,
    /// Stop calling at this window (暂停).
    Pause,
    /// Resume calling (恢复).
    Resume,
    /// One key for both: pause when calling, resume when paused. The keypad does not know
    /// which; the counter does.
    PauseResume,
    /// Move the current ticket to another service's queue (转移).
    Transfer {
        /// The target service's code: 1 to 32 of `a-z 0-9 - _`, as the hall protocol requires.
        to: String,
    },
    /// A citizen's rating on an evaluator keypad (评价器), 1 (非常不满意) to 5 (非常满意).
    Rate {
        /// The score, 1 to 5 when parsed (the hall's `EvaluationLevel::from_score`).
        score: u8,
    },
}

/// A text that is not an action.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("unknown keypad action {text:?}: {reason}; use call_next, recall, skip, finish, pause, resume, pause_resume, transfer:<service code> or rate:<1-5>")]
pub struct UnknownAction {
    /// The text.
    pub text: String,
    /// What is wrong with it.
    pub reason: &'static str,
}

impl FromStr for KeypadAction {
    type Err = UnknownAction;

    fn from_str(text: &str) -> Result<Self, UnknownAction> {
        let unknown = |reason| UnknownAction { text: text.to_owned(), reason };
        let (name, argument) = match text.split_once(':') {
            Some((name, argument)) => (name, Some(argument)),
            None => (text, None),
        };
        let simple = |action| if argument.is_none() { Ok(action) } else { Err(unknown("this action takes no argument")) };
        match name {
            "call_next" => simple(Self::CallNext),
            "recall" => simple(Self::Recall),
            "skip" => simple(Self::Skip),
            "finish" => simple(Self::Finish),
            "pause" => simple(Self::Pause),
            "resume" => simple(Self::Resume),
            "pause_resume" => simple(Self::PauseResume),
            "transfer" => {
                let to = argument.ok_or_else(|| unknown("transfer needs a service code, e.g. transfer:tax"))?;
                if to.is_empty() || to.len() > MAX_SERVICE_CODE {
                    return Err(unknown("a service code has 1 to 32 characters"));
                }
                if !to.bytes().all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-' || b == b'_') {
                    return Err(unknown("a service code uses only a-z, 0-9, - and _"));
                }
                Ok(Self::Transfer { to: to.to_owned() })
            }
            "rate" => {
                let score = argument.ok_or_else(|| unknown("rate needs a score, e.g. rate:5"))?;
                match score.parse::<u8>() {
                    Ok(score @ 1..=5) => Ok(Self::Rate { score }),
                    _ => Err(unknown("a rating is 1 to 5")),
                }
            }
            _ => Err(unknown("no such action")),
        }
    }
}

impl fmt::Display for KeypadAction {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::CallNext => f.write_str("call_next"),
            Self::Recall => f.write_str("recall"),
            Self::Skip => f.write_str("skip"),
            Self::Finish => f.write_str("finish"),
            Self::Pause => f.write_str("pause"),
            Self::Resume => f.write_str("resume"),
            Self::PauseResume => f.write_str("pause_resume"),
            Self::Transfer { to } => write!(f, "transfer:{to}"),
            Self::Rate { score } => write!(f, "rate:{score}"),
        }
    }
}

impl TryFrom<String> for KeypadAction {
    type Error = UnknownAction;

    fn try_from(text: String) -> Result<Self, UnknownAction> {
        text.parse()
    }
}

impl From<KeypadAction> for String {
    fn from(action: KeypadAction) -> String {
        action.to_string()
    }
}
