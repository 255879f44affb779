//! Where announcements go: WAV files, or the sound card (feature `audio-alsa`).

use std::path::{Path, PathBuf};

use super::VoiceError;
use super::audio::Audio;

/// Plays audio to the end before returning. The [`Announcer`](super::Announcer) calls it from one
/// worker thread, one utterance at a time.
pub trait AudioSink: Send {
    /// Plays (or writes) `audio`; `label` names it (e.g. the ticket number) for files and logs.
    fn play(&mut self, audio: &Audio, label: &str) -> Result<(), VoiceError>;
}

/// A boxed sink is a sink, so the output can be chosen by configuration at run time.
impl<S: AudioSink + ?Sized> AudioSink for Box<S> {
    fn play(&mut self, audio: &Audio, label: &str) -> Result<(), VoiceError> {
        (**self).play(audio, label)
    }
}

/// Writes each utterance to its own WAV file in a directory: `0001-A012.wav`, `0002-A012.wav` …
/// For boards without a sound card, demos and tests.
#[derive(Debug, Clone)]
pub struct WavSink {
    dir: PathBuf,
    count: u64,
    written: Vec<PathBuf>,
}

impl WavSink {
    /// Writes into `dir`, which must exist.
    pub fn new(dir: &Path) -> WavSink {
        WavSink { dir: dir.to_owned(), count: 0, written: Vec::new() }
    }

    /// The files written so far, in order.
    pub fn written(&self) -> &[PathBuf] {
        &self.written
    }
}

impl AudioSink for WavSink {
    fn play(&mut self, audio: &Audio, label: &str) -> Result<(), VoiceError> {
        self.count += 1;
        // Keep the label to characters that are safe in any file name.
        let safe: String = label.chars().filter(|c| c.is_ascii_alphanumeric() || *c == '-').take(32).collect();
        let name = format!("{:04}-{}.wav", self.count, if safe.is_empty() { "speech" } else { &safe });
        let path = self.dir.join(&name);
        // Written under a hidden name and renamed when complete, so whoever watches the folder
        // (a player, a test) never opens half a file.
        let partial = self.dir.join(format!(".{name}.part"));
        audio.write_wav(&partial)?;
        std::fs::rename(&partial, &path).map_err(|e| VoiceError::WriteWav { path: path.clone(), reason: e.to_string() })?;
        self.written.push(path);
        Ok(())
    }
}

/// Plays on the default sound card through rodio (cpal, ALSA). The device is opened for each
/// utterance, so a USB speaker that was unplugged and plugged back in works again on the next call.
#[cfg(feature = "audio-alsa")]
#[derive(Debug, Clone, Copy, Default)]
pub struct AlsaSink;

#[cfg(feature = "audio-alsa")]
impl AudioSink for AlsaSink {
    fn play(&mut self, audio: &Audio, label: &str) -> Result<(), VoiceError> {
        use std::num::NonZero;
        if audio.samples.is_empty() {
            return Ok(());
        }
        let rate = NonZero::new(audio.sample_rate).ok_or_else(|| VoiceError::SoundCard("sample rate 0".into()))?;
        let mut device = rodio::DeviceSinkBuilder::open_default_sink().map_err(|e| VoiceError::SoundCard(e.to_string()))?;
        // rodio logs to stderr when the stream is dropped unless told not to.
        device.log_on_drop(false);
        let player = rodio::Player::connect_new(device.mixer());
        let samples: Vec<f32> = audio.samples.iter().map(|&s| f32::from(s) / 32768.0).collect();
        player.append(rodio::buffer::SamplesBuffer::new(NonZero::<u16>::MIN, rate, samples));
        tracing::debug!(label, seconds = audio.duration().as_secs_f32(), "playing on the sound card");
        player.sleep_until_end();
        Ok(())
    }
}
