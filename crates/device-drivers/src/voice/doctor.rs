//! `kiosk doctor voice --text TEXT [--wav OUT]`: speak something once and say how it went.

use std::path::PathBuf;

use serde::Serialize;

use super::VoiceError;
use super::speaker::{EngineUsed, Segment, Speaker, VoiceConfig};
use super::template::Call;

/// What to say.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum DoctorSpeech {
    /// Free text, in the language it is written in (Chinese if it has hanzi).
    Text(String),
    /// A call, through the configured templates and languages.
    Call(Call),
}

/// Where to send it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum VoiceOutput {
    /// Write a WAV file.
    Wav(PathBuf),
    /// Play on the sound card (needs a build with feature `audio-alsa`).
    SoundCard,
}

/// Options for [`doctor_voice`].
#[derive(Debug, Clone)]
pub struct DoctorVoiceOptions {
    /// What to say.
    pub speech: DoctorSpeech,
    /// Where.
    pub output: VoiceOutput,
    /// The device's voice configuration.
    pub config: VoiceConfig,
}

/// What [`doctor_voice`] did.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct DoctorVoiceReport {
    /// The engine of the first language (the whole story is in `segments`).
    pub engine: EngineUsed,
    /// Per language: engine, text, what the engine was given, fallback reason.
    pub segments: Vec<Segment>,
    /// Length of the audio in milliseconds.
    pub duration_ms: u64,
    /// Sample rate of the audio.
    pub sample_rate: u32,
    /// Peak sample value (0 means silence: something is wrong with the voice).
    pub peak: u16,
    /// Where the audio went: the WAV path, or "sound card".
    pub output: String,
}

impl DoctorVoiceReport {
    /// The report in words, for the terminal.
    pub fn to_text(&self) -> String {
        let mut out = String::new();
        for s in &self.segments {
            out.push_str(&format!("{} [{}]: {}\n", s.language.code(), engine_name(s.engine), s.text));
            out.push_str(&format!("  spoken as: {}\n", s.spoken));
            if let Some(reason) = &s.fallback {
                out.push_str(&format!("  clips not used: {reason}\n"));
            }
            if !s.skipped.is_empty() {
                out.push_str(&format!("  could not say: {}\n", s.skipped.iter().collect::<String>()));
            }
        }
        out.push_str(&format!("duration {:.2} s at {} Hz, peak {} → {}\n", self.duration_ms as f64 / 1000.0, self.sample_rate, self.peak, self.output));
        if self.peak == 0 {
            out.push_str("WARNING: the audio is silent; check the voice pack or espeak-ng voice\n");
        }
        out
    }
}

fn engine_name(e: EngineUsed) -> &'static str {
    match e {
        EngineUsed::Clips => "voice pack",
        EngineUsed::Espeak => "espeak-ng",
    }
}

/// Renders `options.speech` with the configured engine (and fallback) and writes or plays it.
pub fn doctor_voice(options: &DoctorVoiceOptions) -> Result<DoctorVoiceReport, VoiceError> {
    // Refuse an impossible output before doing any work.
    #[cfg(not(feature = "audio-alsa"))]
    if options.output == VoiceOutput::SoundCard {
        return Err(VoiceError::NoSoundOutput);
    }
    let speaker = Speaker::new(&options.config)?;
    let rendered = match &options.speech {
        DoctorSpeech::Text(text) => speaker.render_text(text)?,
        DoctorSpeech::Call(call) => speaker.render_call(call)?,
    };
    let output = match &options.output {
        VoiceOutput::Wav(path) => {
            rendered.audio.write_wav(path)?;
            path.display().to_string()
        }
        VoiceOutput::SoundCard => {
            #[cfg(feature = "audio-alsa")]
            {
                super::output::AudioSink::play(&mut super::output::AlsaSink, &rendered.audio, "doctor")?;
            }
            "sound card".to_owned()
        }
    };
    let engine = rendered.segments.first().map_or(EngineUsed::Espeak, |s| s.engine);
    Ok(DoctorVoiceReport {
        engine,
        duration_ms: rendered.audio.duration().as_millis() as u64,
        sample_rate: rendered.audio.sample_rate,
        peak: rendered.audio.peak(),
        segments: rendered.segments,
        output,
    })
}
