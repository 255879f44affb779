//! The board's voice: each call in the feed becomes an announcement ("请A012号到3号窗口办理"),
//! spoken one at a time through the device's voice configuration ([`VoiceConfig`]).
//!
//! Calls that arrive late are not announced: after a network outage the feed delivers the calls
//! made meanwhile, and announcing a ticket called ten minutes ago would send a citizen to a window
//! that is serving someone else. A recall is announced again (the queue merges a recall that
//! arrives while the first call is still waiting or being spoken).

use std::path::PathBuf;
use std::sync::Arc;

use anyhow::{Context, Result};
use chrono::{DateTime, Utc};
use device_drivers::voice::{Announcer, AudioSink, Call, Pushed, Speaker, SystemClock, VoiceConfig, WavSink};
use hall_protocol::feed::{Change, ChangeBody};
use serde::Deserialize;

/// `[speaker]`: where the board's announcements go.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SpeakerSection {
    /// `sound-card` (needs a build with feature `audio-alsa`) or `wav` (files in `wav_dir`).
    #[serde(default = "default_output")]
    pub output: String,
    /// Folder for `output = "wav"`; relative to the config file.
    #[serde(default)]
    pub wav_dir: Option<PathBuf>,
    /// Calls older than this many seconds when they reach the board are shown but not announced.
    #[serde(default = "default_max_age_s")]
    pub max_age_s: u32,
}

fn default_output() -> String {
    "sound-card".into()
}
fn default_max_age_s() -> u32 {
    60
}

impl Default for SpeakerSection {
    fn default() -> Self {
        Self { output: default_output(), wav_dir: None, max_age_s: default_max_age_s() }
    }
}

impl SpeakerSection {
    /// Checks the section; the message names the key to fix.
    pub fn validate(&self) -> Result<(), String> {
        match (self.output.as_str(), &self.wav_dir) {
            ("wav", Some(_)) | ("sound-card", None) => {}
            ("wav", None) => return Err("[speaker] output = \"wav\" needs `wav_dir = \"...\"`".into()),
            ("sound-card", Some(_)) => return Err("[speaker] wav_dir is only used with output = \"wav\"".into()),
            (other, _) => return Err(format!("[speaker] output must be \"sound-card\" or \"wav\", got {other:?}")),
        }
        if self.max_age_s == 0 || self.max_age_s > 3600 {
            return Err("[speaker] max_age_s must be between 1 and 3600".into());
        }
        Ok(())
    }
}

/// What became of a change.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Heard {
    /// Not a call.
    NotACall,
    /// A call too old to announce.
    TooOld,
    /// Queued or merged.
    Announced(Pushed),
}

/// Announces calls from the feed.
pub struct CallAnnouncer {
    announcer: Announcer,
    max_age: chrono::Duration,
}

impl CallAnnouncer {
    /// Opens the voice (templates checked, packs opened) and its output.
    pub fn open(voice: &VoiceConfig, speaker: &SpeakerSection) -> Result<Self> {
        let engine = Speaker::new(voice).context("the [voice] configuration")?;
        let sink: Box<dyn AudioSink> = match (speaker.output.as_str(), &speaker.wav_dir) {
            ("wav", Some(dir)) => {
                std::fs::create_dir_all(dir).with_context(|| format!("creating {}", dir.display()))?;
                Box::new(WavSink::new(dir))
            }
            _ => sound_card()?,
        };
        let announcer = Announcer::spawn(engine, sink, voice.queue.clone(), Arc::new(SystemClock));
        Ok(Self { announcer, max_age: chrono::Duration::seconds(i64::from(speaker.max_age_s)) })
    }

    /// Announces `change` if it is a call made no longer than `max_age_s` before `now`.
    pub fn hear(&self, change: &Change, now: DateTime<Utc>) -> Result<Heard> {
        let ChangeBody::Called(call) = &change.body else { return Ok(Heard::NotACall) };
        if now - call.at > self.max_age {
            tracing::info!(ticket = %call.number, window = call.window, "call too old to announce");
            return Ok(Heard::TooOld);
        }
        let spoken = Call::new(&call.number.to_string(), u32::from(call.window)).map_err(|e| anyhow::anyhow!("ticket {}: {e}", call.number))?;
        Ok(Heard::Announced(self.announcer.announce(spoken)?))
    }

    /// Waits until everything queued has been spoken (or `timeout` passes); true if idle.
    pub fn wait_idle(&self, timeout: std::time::Duration) -> bool {
        self.announcer.wait_idle(timeout)
    }
}

#[cfg(feature = "audio-alsa")]
fn sound_card() -> Result<Box<dyn AudioSink>> {
    Ok(Box::new(device_drivers::voice::AlsaSink))
}

#[cfg(not(feature = "audio-alsa"))]
fn sound_card() -> Result<Box<dyn AudioSink>> {
    anyhow::bail!("[speaker] output = \"sound-card\" needs a kiosk built with feature audio-alsa; use output = \"wav\" or rebuild")
}
