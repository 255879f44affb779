//! Voice calling: "请A012号到3号窗口办理", spoken once at a time, from clips or espeak-ng.
//!
//! How a call at a counter becomes sound in the hall:
//!
//! ```text
//! Call { ticket: A012, window: 3 }
//!   ──CallQueue (sans-IO: FIFO, repeat, recall merging, gap; clock injected)──> Utterance
//!   ──Template (per language) + reading rules──> Script [请 A 零 一 二 号 到 三 号 窗 口 办 理]
//!   ──Speaker: clips from a voice pack, or espeak-ng on tone-numbered pinyin, with fallback──> Audio
//!   ──AudioSink: a WAV file (hound) or the sound card (rodio, feature `audio-alsa`)
//! ```
//!
//! - [`template`]: [`Call`] and [`Announcement`] (a call, or a kiosk prompt); [`Template`]
//!   (`请{ticket}号到{window}号窗口办理`) and per-language [`Templates`]; a bad template is a
//!   [`TemplateError`].
//! - [`reading`]: how halls read things aloud: tickets digit by digit (`A012` → A 零 一 二; the offline
//!   form `A-3-017` → A, 三, 零 一 七 with short pauses at the dashes), windows as numbers (12 → 十二,
//!   "twelve"), and hanzi as tone-numbered pinyin (`pinyin` crate). The result is a [`Script`] of
//!   [`Spoken`] units, which both engines understand.
//! - [`audio`]: [`Audio`], mono 16-bit PCM; WAV reading and writing (`hound`); resampling.
//! - [`pack`]: [`ClipPack`], a voice-pack directory of WAV clips (layout below) concatenated into an
//!   announcement, with a checked common format and an optional gap.
//! - [`espeak`]: [`Espeak`], espeak-ng as a child process (`cmn-latn-pinyin` voice for Chinese,
//!   because Debian's `cmn` voice misreads hanzi; `en` for English).
//! - [`speaker`]: [`Speaker`], engine choice by configuration ([`EngineChoice`]) with fallback from
//!   clips to espeak-ng, logged with `tracing`.
//! - [`queue`]: [`CallQueue`], the sans-IO announcement queue, and the [`Clock`] it is driven by.
//! - [`announcer`]: [`Announcer`], a worker thread around the queue that renders and plays one
//!   announcement at a time on an [`AudioSink`].
//! - [`output`]: sinks: [`WavSink`] (one WAV file per announcement), `AlsaSink` (feature
//!   `audio-alsa`).
//! - [`doctor`]: [`doctor_voice`] for `kiosk doctor voice --text TEXT [--wav OUT]`.
//!
//! # Voice-pack layout
//!
//! ```text
//! <pack>/pack.toml         language = "zh", sample_rate = 22050, channels = 1, bits = 16,
//!                          gap_ms = 40, pause_ms = 200, trim_silence = true, name = "..."
//! <pack>/digits/0.wav … 9.wav     零 … 九 ("zero" … "nine" in an English pack)
//! <pack>/letters/A.wav … Z.wav    the letter names
//! <pack>/words/<key>.wav          Chinese: one file per tone-numbered pinyin syllable
//!                                 (qing3, hao4, dao4, chuang1, kou3, ban4, li3, shi2, bai3, qian1 …);
//!                                 English: one file per lower-case word (number, please, go, to,
//!                                 window, ten … nineteen, twenty … ninety, hundred)
//! <pack>/words/<k1>_<k2>….wav     optional phrase clips, e.g. chuang1_kou3_ban4_li3.wav (窗口办理):
//!                                 a run of words is said with the longest phrase clip there is
//! ```
//!
//! Every clip must have the format `pack.toml` declares (sample rate, channels, 16-bit integer
//! samples); a clip that differs is a [`PackError::FormatMismatch`]. `scripts/voice-pack` builds the
//! default Chinese pack from espeak-ng. See docs/voice.md.

pub mod announcer;
pub mod audio;
pub mod doctor;
pub mod espeak;
pub mod output;
pub mod pack;
pub mod queue;
pub mod reading;
pub mod speaker;
pub mod template;

use std::path::PathBuf;

use serde::{Deserialize, Serialize};

pub use announcer::{Announcer, AnnouncerStats};
pub use audio::{Audio, WavFormat};
pub use doctor::{DoctorSpeech, DoctorVoiceOptions, DoctorVoiceReport, VoiceOutput, doctor_voice};
pub use espeak::{Espeak, EspeakConfig};
#[cfg(feature = "audio-alsa")]
pub use output::AlsaSink;
pub use output::{AudioSink, WavSink};
pub use pack::{ClipPack, PackManifest};
pub use queue::{CallQueue, Clock, ManualClock, Pushed, QueueConfig, SystemClock, Utterance};
pub use reading::{Script, Spoken, read_number, read_ticket};
pub use speaker::{EngineChoice, EngineUsed, Rendered, Segment, Speaker, VoiceConfig, data_dir, default_pack_dir};
pub use template::{Announcement, Call, Template, Templates, TicketText};

use crate::ErrorKind;

/// A language announcements are made in.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
#[non_exhaustive]
pub enum Language {
    /// Mandarin Chinese (read as tone-numbered pinyin by espeak-ng).
    Zh,
    /// English.
    En,
}

impl Language {
    /// The code used in configuration and pack manifests: `zh`, `en`.
    pub fn code(self) -> &'static str {
        match self {
            Language::Zh => "zh",
            Language::En => "en",
        }
    }

    /// Parses `zh` / `en` (also `cmn`, `zh-CN`, `en-GB` …).
    pub fn from_code(code: &str) -> Option<Language> {
        let lower = code.to_ascii_lowercase();
        let main = lower.split(['-', '_']).next().unwrap_or("");
        match main {
            "zh" | "cmn" => Some(Language::Zh),
            "en" => Some(Language::En),
            _ => None,
        }
    }

    /// Guesses the language of free text: Chinese if it holds any hanzi.
    pub fn of_text(text: &str) -> Language {
        if text.chars().any(reading::is_hanzi) { Language::Zh } else { Language::En }
    }
}

/// A bad announcement template. These are configuration mistakes: fix the template text.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum TemplateError {
    /// `{name}` is not a placeholder this module knows.
    #[error("template {template:?}: unknown placeholder {{{name}}}; use {{ticket}} and {{window}}")]
    UnknownPlaceholder {
        /// The template.
        template: String,
        /// The name inside the braces.
        name: String,
    },
    /// A `{` without its `}`, or a `}` without its `{`.
    #[error("template {template:?}: unbalanced brace at character {at}; placeholders look like {{ticket}}")]
    UnbalancedBrace {
        /// The template.
        template: String,
        /// Character index of the brace.
        at: usize,
    },
    /// The template never says the ticket number, so nobody would know who is called.
    #[error("template {template:?} has no {{ticket}} placeholder; an announcement must say the ticket number")]
    NoTicket {
        /// The template.
        template: String,
    },
    /// No template is configured for a language announcements are made in.
    #[error("no announcement template for language {0:?}; add one under [voice.templates]")]
    MissingLanguage(Language),
}

impl crate::Error for TemplateError {
    fn kind(&self) -> ErrorKind {
        ErrorKind::Other
    }
}

/// A voice-pack problem. The pack is built by `scripts/voice-pack` or recorded by the hall; the
/// message says which file to fix.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum PackError {
    /// The pack directory or its `pack.toml` is not there.
    #[error("cannot read the voice pack file {path}: {source}; build the pack with scripts/voice-pack [DIR]")]
    Missing {
        /// The file that could not be read.
        path: PathBuf,
        /// Why.
        #[source]
        source: std::io::Error,
    },
    /// No usable pack for a language is configured.
    #[error("no usable {language} voice pack: {detail}")]
    NoPackForLanguage {
        /// The language code.
        language: &'static str,
        /// The configured packs' problems, or that none is configured.
        detail: String,
    },
    /// `pack.toml` has a line that is not `key = value`, or a value of the wrong type.
    #[error("{path}, line {line}: {reason}")]
    Manifest {
        /// The manifest.
        path: PathBuf,
        /// 1-based line number (0 when a key is missing altogether).
        line: usize,
        /// What is wrong.
        reason: String,
    },
    /// A clip the announcement needs is not in the pack.
    #[error("voice pack {pack} has no clip {clip}; record it or rebuild the pack with scripts/voice-pack")]
    MissingClip {
        /// The pack directory.
        pack: PathBuf,
        /// The clip path inside the pack, e.g. `words/qing3.wav`.
        clip: String,
    },
    /// A clip is not a readable WAV file.
    #[error("voice clip {path} is not a readable WAV file: {reason}; re-record or re-export it as 16-bit PCM WAV")]
    BadClip {
        /// The clip.
        path: PathBuf,
        /// What the WAV reader said.
        reason: String,
    },
    /// A clip's format differs from the pack's (clips of different formats cannot be joined).
    #[error("voice clip {path} is {found} but the pack is {expected}; convert it (e.g. sox in.wav -r RATE -c CH -b 16 out.wav)")]
    FormatMismatch {
        /// The clip.
        path: PathBuf,
        /// The pack's format, e.g. "22050 Hz, 1 channel(s), 16-bit integer".
        expected: String,
        /// The clip's format.
        found: String,
    },
}

impl crate::Error for PackError {
    fn kind(&self) -> ErrorKind {
        match self {
            PackError::Missing { .. } | PackError::NoPackForLanguage { .. } | PackError::MissingClip { .. } => ErrorKind::NeedsAttention,
            _ => ErrorKind::Other,
        }
    }
}

/// Why an announcement could not be rendered or played.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum VoiceError {
    /// The announcement template is wrong.
    #[error(transparent)]
    Template(#[from] TemplateError),
    /// The voice pack is missing, incomplete or inconsistent.
    #[error(transparent)]
    Pack(#[from] PackError),
    /// A ticket number that is not `A012` or `A-3-017`.
    #[error("not a ticket number: {0:?} (expected e.g. A012 or A-3-017)")]
    BadTicket(String),
    /// espeak-ng could not be started.
    #[error("could not run {program}: {source}; install it with `apt-get install espeak-ng` or set voice.espeak.program")]
    EspeakMissing {
        /// The program path.
        program: PathBuf,
        /// Why.
        #[source]
        source: std::io::Error,
    },
    /// espeak-ng ran but failed.
    #[error("espeak-ng failed ({status}): {stderr}; check that the voice {voice:?} is installed (`espeak-ng --voices=cmn`)")]
    EspeakFailed {
        /// Exit status.
        status: String,
        /// The voice asked for.
        voice: String,
        /// What it printed on stderr.
        stderr: String,
    },
    /// espeak-ng did not finish in time and was stopped.
    #[error("espeak-ng did not finish within {seconds} s and was stopped; the machine may be overloaded")]
    EspeakTimeout {
        /// The limit.
        seconds: u64,
    },
    /// espeak-ng's output was not a 16-bit WAV.
    #[error("espeak-ng produced unreadable audio: {0}")]
    EspeakOutput(String),
    /// Nothing could be spoken: the text has no sayable characters.
    #[error("nothing to say in {0:?}")]
    NothingToSay(String),
    /// Writing a WAV file failed.
    #[error("could not write {path}: {reason}; check the directory exists and is writable")]
    WriteWav {
        /// The file.
        path: PathBuf,
        /// Why.
        reason: String,
    },
    /// The sound card could not be opened or played on.
    #[error("could not play on the sound card: {0}; check `aplay -l` lists a card and this user is in group audio")]
    SoundCard(String),
    /// No output was chosen and this build cannot play sound.
    #[error("this build has no sound-card output (feature audio-alsa); pass --wav FILE to write the announcement to a file")]
    NoSoundOutput,
    /// The queue already holds as many announcements as it may.
    #[error("the announcement queue is full ({0} waiting); the hall is calling faster than it can speak, or the speaker is stuck")]
    QueueFull(usize),
    /// The announcer's worker has stopped.
    #[error("the announcer has stopped; restart the device service")]
    Stopped,
}

impl crate::Error for VoiceError {
    fn kind(&self) -> ErrorKind {
        match self {
            VoiceError::Pack(e) => e.kind(),
            VoiceError::EspeakTimeout { .. } => ErrorKind::Timeout,
            VoiceError::EspeakMissing { .. } | VoiceError::SoundCard(_) | VoiceError::NoSoundOutput => ErrorKind::NeedsAttention,
            VoiceError::Stopped => ErrorKind::Disconnected,
            _ => ErrorKind::Other,
        }
    }
}
