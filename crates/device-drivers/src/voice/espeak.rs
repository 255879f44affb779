//! espeak-ng as a child process.
//!
//! Chinese is handed over as tone-numbered pinyin (`qing3 A ling2 yi1 er4 hao4 …`) and spoken with
//! the `cmn-latn-pinyin` voice: Debian's `cmn` voice reads hanzi through a dictionary that misreads
//! many of them, while the pinyin voice turns every syllable into Mandarin phonemes. English goes to
//! the `en` voice. Text goes in on stdin (never on the command line, so text that starts with `-`
//! cannot become an option) and the WAV comes back on stdout; the child is killed if it overruns
//! its time limit.

use std::io::{Read, Write};
use std::path::PathBuf;
use std::process::{Command, Stdio};
use std::thread;
use std::time::{Duration, Instant};

use serde::{Deserialize, Serialize};

use super::audio::{Audio, read_streamed_wav};
use super::reading::Script;
use super::{Language, VoiceError};

/// How espeak-ng is run.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct EspeakConfig {
    /// The program (default `espeak-ng`, found on `PATH`).
    pub program: PathBuf,
    /// Voice for Chinese (default `cmn-latn-pinyin`).
    pub zh_voice: String,
    /// Voice for English (default `en`).
    pub en_voice: String,
    /// Words per minute (default 140: halls speak slowly so that everyone understands).
    pub speed_wpm: u32,
    /// Extra pause between words, in units of 10 ms (espeak-ng `-g`; default 1).
    pub word_gap: u32,
    /// Time limit for one rendering, in milliseconds (default 10000).
    pub timeout_ms: u64,
}

impl Default for EspeakConfig {
    fn default() -> Self {
        EspeakConfig {
            program: PathBuf::from("espeak-ng"),
            zh_voice: "cmn-latn-pinyin".to_owned(),
            en_voice: "en".to_owned(),
            speed_wpm: 140,
            word_gap: 1,
            timeout_ms: 10_000,
        }
    }
}

/// The espeak-ng engine.
#[derive(Debug, Clone, Default)]
pub struct Espeak {
    config: EspeakConfig,
}

impl Espeak {
    /// An engine with this configuration (nothing is run yet).
    pub fn new(config: EspeakConfig) -> Espeak {
        Espeak { config }
    }

    /// The configuration.
    pub fn config(&self) -> &EspeakConfig {
        &self.config
    }

    /// The voice used for a language.
    pub fn voice(&self, language: Language) -> &str {
        match language {
            Language::Zh => &self.config.zh_voice,
            _ => &self.config.en_voice,
        }
    }

    /// Speaks a script (see [`Script::espeak_text`]).
    pub fn render(&self, script: &Script) -> Result<Audio, VoiceError> {
        let text = script.espeak_text();
        if script.is_silent() {
            return Err(VoiceError::NothingToSay(text));
        }
        self.speak(&text, self.voice(script.language))
    }

    /// Speaks text exactly as given with a voice (used by `scripts/voice-pack`-like tools and for
    /// checks; announcements go through [`Espeak::render`]).
    pub fn speak(&self, text: &str, voice: &str) -> Result<Audio, VoiceError> {
        let program = &self.config.program;
        let mut child = Command::new(program)
            .arg("-v")
            .arg(voice)
            .arg("-s")
            .arg(self.config.speed_wpm.clamp(80, 450).to_string())
            .arg("-g")
            .arg(self.config.word_gap.to_string())
            .arg("--stdout")
            .arg("--stdin")
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .map_err(|source| VoiceError::EspeakMissing { program: program.clone(), source })?;

        let mut stdout = child.stdout.take();
        let mut stderr = child.stderr.take();
        // Read both pipes on threads so that a chatty child never blocks on a full pipe.
        let out_reader = thread::spawn(move || {
            let mut buf = Vec::new();
            if let Some(s) = stdout.as_mut() {
                let _ = s.read_to_end(&mut buf);
            }
            buf
        });
        let err_reader = thread::spawn(move || {
            let mut buf = Vec::new();
            if let Some(s) = stderr.as_mut() {
                let _ = s.read_to_end(&mut buf);
            }
            buf
        });
        if let Some(mut stdin) = child.stdin.take() {
            // A write error means the child already exited; its status says why.
            let _ = stdin.write_all(text.as_bytes());
            let _ = stdin.write_all(b"\n");
        }

        let limit = Duration::from_millis(self.config.timeout_ms);
        let deadline = Instant::now() + limit;
        let status = loop {
            match child.try_wait() {
                Ok(Some(status)) => break status,
                Ok(None) if Instant::now() >= deadline => {
                    let _ = child.kill();
                    let _ = child.wait();
                    return Err(VoiceError::EspeakTimeout { seconds: limit.as_secs().max(1) });
                }
                Ok(None) => thread::sleep(Duration::from_millis(10)),
                Err(e) => {
                    return Err(VoiceError::EspeakFailed { status: e.to_string(), voice: voice.to_owned(), stderr: String::new() });
                }
            }
        };
        let wav = out_reader.join().unwrap_or_default();
        let err = err_reader.join().unwrap_or_default();
        let stderr = String::from_utf8_lossy(&err).trim().to_owned();
        if !status.success() {
            return Err(VoiceError::EspeakFailed { status: status.to_string(), voice: voice.to_owned(), stderr });
        }
        if wav.is_empty() {
            // espeak-ng exits 0 with no output when the voice does not exist.
            return Err(VoiceError::EspeakFailed { status: "no audio".to_owned(), voice: voice.to_owned(), stderr });
        }
        let (_, audio) = read_streamed_wav(wav).map_err(VoiceError::EspeakOutput)?;
        Ok(audio)
    }
}
