//! Choosing the engine: clips from a voice pack, espeak-ng, or clips with espeak-ng as fallback.

use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};

use super::audio::Audio;
use super::espeak::{Espeak, EspeakConfig};
use super::pack::ClipPack;
use super::queue::QueueConfig;
use super::reading::{self, Script};
use super::template::{Announcement, Call, Templates};
use super::{Language, PackError, VoiceError};

/// Which engine speaks.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
#[non_exhaustive]
pub enum EngineChoice {
    /// Only recorded clips; a missing pack or clip is an error.
    #[serde(rename = "clips")]
    Clips,
    /// Only espeak-ng.
    #[serde(rename = "espeak")]
    Espeak,
    /// Clips when the pack has every clip an announcement needs, espeak-ng otherwise (the default:
    /// a hall with a recorded pack sounds natural, and one without still speaks).
    #[default]
    #[serde(rename = "clips-or-espeak")]
    ClipsOrEspeak,
}

/// The data directory hallkit keeps voice packs under: `$HALLKIT_DATA_DIR`, else
/// `/var/lib/hallkit`.
pub fn data_dir() -> PathBuf {
    std::env::var_os("HALLKIT_DATA_DIR").map_or_else(|| PathBuf::from("/var/lib/hallkit"), PathBuf::from)
}

/// Where `scripts/voice-pack` puts the default Chinese pack: `<data dir>/voice/zh-default`.
pub fn default_pack_dir() -> PathBuf {
    data_dir().join("voice").join("zh-default")
}

/// Voice configuration (the `[voice]` section of a device's config).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct VoiceConfig {
    /// Which engine speaks.
    pub engine: EngineChoice,
    /// Voice-pack directories, one per language at most (each `pack.toml` says its language).
    /// Default: the default Chinese pack, [`default_pack_dir`].
    pub packs: Vec<PathBuf>,
    /// espeak-ng settings.
    pub espeak: EspeakConfig,
    /// Templates and the languages spoken.
    pub templates: Templates,
    /// Queue behaviour: repeats, merging window, gaps.
    pub queue: QueueConfig,
    /// Silence between the languages of one round, in milliseconds.
    pub language_gap_ms: u32,
}

impl Default for VoiceConfig {
    fn default() -> Self {
        VoiceConfig {
            engine: EngineChoice::default(),
            packs: vec![default_pack_dir()],
            espeak: EspeakConfig::default(),
            templates: Templates::default(),
            queue: QueueConfig::default(),
            language_gap_ms: 400,
        }
    }
}

/// The engine that rendered a piece of speech.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
#[non_exhaustive]
pub enum EngineUsed {
    /// Clips from a voice pack.
    Clips,
    /// espeak-ng.
    Espeak,
}

/// One language's part of a rendering.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Segment {
    /// The language.
    pub language: Language,
    /// The engine that spoke it.
    pub engine: EngineUsed,
    /// What was said, as text (the template filled in, or the free text).
    pub text: String,
    /// What the engine was given: espeak-ng's input, or the clip names joined by spaces.
    pub spoken: String,
    /// Why the clips were not used, when espeak-ng stood in for them.
    pub fallback: Option<String>,
    /// Characters that could not be spoken.
    pub skipped: Vec<char>,
}

/// A rendered announcement: one round of every configured language.
#[derive(Debug, Clone, PartialEq)]
pub struct Rendered {
    /// The audio of one round.
    pub audio: Audio,
    /// Per-language details.
    pub segments: Vec<Segment>,
}

/// Renders calls and text to audio with the configured engine(s).
#[derive(Debug, Clone)]
pub struct Speaker {
    choice: EngineChoice,
    packs: Vec<ClipPack>,
    /// Why configured packs could not be opened (reported as the fallback reason).
    pack_problems: Vec<String>,
    espeak: Espeak,
    templates: Templates,
    language_gap_ms: u32,
}

impl Speaker {
    /// Builds a speaker from configuration, opening the packs. With [`EngineChoice::Clips`] a pack
    /// that cannot be opened is an error; with [`EngineChoice::ClipsOrEspeak`] it is logged and
    /// espeak-ng speaks instead; with [`EngineChoice::Espeak`] packs are not opened.
    pub fn new(config: &VoiceConfig) -> Result<Speaker, VoiceError> {
        config.templates.check()?;
        let mut packs = Vec::new();
        let mut pack_problems = Vec::new();
        if config.engine != EngineChoice::Espeak {
            for dir in &config.packs {
                match ClipPack::open(dir) {
                    Ok(pack) => packs.push(pack),
                    Err(e) if config.engine == EngineChoice::ClipsOrEspeak => {
                        tracing::warn!(pack = %dir.display(), error = %e, "voice pack unusable; espeak-ng will speak instead");
                        pack_problems.push(e.to_string());
                    }
                    Err(e) => return Err(e.into()),
                }
            }
        }
        Ok(Speaker {
            choice: config.engine,
            packs,
            pack_problems,
            espeak: Espeak::new(config.espeak.clone()),
            templates: config.templates.clone(),
            language_gap_ms: config.language_gap_ms,
        })
    }

    /// Builds a speaker from already opened parts (tests, tools).
    pub fn from_parts(choice: EngineChoice, packs: Vec<ClipPack>, espeak: Espeak, templates: Templates) -> Speaker {
        Speaker { choice, packs, pack_problems: Vec::new(), espeak, templates, language_gap_ms: 400 }
    }

    /// The templates in use.
    pub fn templates(&self) -> &Templates {
        &self.templates
    }

    fn pack_for(&self, language: Language) -> Option<&ClipPack> {
        self.packs.iter().find(|p| p.manifest().language == language)
    }

    /// Renders one script with the configured engine, falling back from clips to espeak-ng when
    /// allowed. Returns the audio, the engine and the fallback reason.
    pub fn render_script(&self, script: &Script) -> Result<(Audio, EngineUsed, Option<String>), VoiceError> {
        if script.is_silent() {
            return Err(VoiceError::NothingToSay(script.espeak_text()));
        }
        let clips = |pack: &ClipPack| pack.render(script).map(|a| (a, EngineUsed::Clips, None));
        match self.choice {
            EngineChoice::Espeak => Ok((self.espeak.render(script)?, EngineUsed::Espeak, None)),
            EngineChoice::Clips => {
                let pack = self.pack_for(script.language).ok_or_else(|| self.no_pack(script.language))?;
                Ok(clips(pack)?)
            }
            EngineChoice::ClipsOrEspeak => {
                let reason = match self.pack_for(script.language) {
                    Some(pack) => match clips(pack) {
                        Ok(done) => return Ok(done),
                        Err(e) => e.to_string(),
                    },
                    None => self.no_pack(script.language).to_string(),
                };
                tracing::info!(language = script.language.code(), reason = %reason, "voice: speaking with espeak-ng instead of clips");
                Ok((self.espeak.render(script)?, EngineUsed::Espeak, Some(reason)))
            }
        }
    }

    fn no_pack(&self, language: Language) -> VoiceError {
        let detail = if self.pack_problems.is_empty() {
            format!("no voice pack for language {:?} is configured", language.code())
        } else {
            self.pack_problems.join("; ")
        };
        VoiceError::Pack(PackError::NoPackForLanguage { language: language.code(), detail })
    }

    fn join(&self, parts: Vec<(Audio, Segment)>) -> Rendered {
        let mut audio = Audio::new(parts.first().map_or(0, |(a, _)| a.sample_rate));
        let mut segments = Vec::new();
        for (i, (a, seg)) in parts.into_iter().enumerate() {
            if i > 0 {
                audio.push_silence(self.language_gap_ms);
            }
            audio.append(&a);
            segments.push(seg);
        }
        Rendered { audio, segments }
    }

    fn segment(&self, script: &Script, text: String) -> Result<(Audio, Segment), VoiceError> {
        let (audio, engine, fallback) = self.render_script(script)?;
        let spoken = match engine {
            EngineUsed::Clips => self
                .pack_for(script.language)
                .map(|pack| pack.plan(script).into_iter().map(|c| c.unwrap_or_else(|| ",".into())).collect::<Vec<_>>().join(" "))
                .unwrap_or_default(),
            EngineUsed::Espeak => script.espeak_text(),
        };
        Ok((audio, Segment { language: script.language, engine, text, spoken, fallback, skipped: script.skipped.clone() }))
    }

    /// Renders one round of a call: each configured language in turn.
    pub fn render_call(&self, call: &Call) -> Result<Rendered, VoiceError> {
        let mut parts = Vec::new();
        for &language in &self.templates.languages {
            let template = self.templates.get(language)?;
            parts.push(self.segment(&template.script(call, language), template.text(call))?);
        }
        Ok(self.join(parts))
    }

    /// Renders an announcement: a call through the templates, a prompt as free text.
    pub fn render(&self, announcement: &Announcement) -> Result<Rendered, VoiceError> {
        match announcement {
            Announcement::Call(call) => self.render_call(call),
            Announcement::Prompt(text) => self.render_text(text),
        }
    }

    /// Renders free text in the language it is written in.
    pub fn render_text(&self, text: &str) -> Result<Rendered, VoiceError> {
        let language = Language::of_text(text);
        let mut script = reading::read_text(text, language);
        script.tidy_pauses();
        if script.is_silent() {
            return Err(VoiceError::NothingToSay(text.to_owned()));
        }
        Ok(self.join(vec![self.segment(&script, text.to_owned())?]))
    }

    /// The pack directories in use.
    pub fn pack_dirs(&self) -> Vec<&Path> {
        self.packs.iter().map(|p| p.dir()).collect()
    }
}
