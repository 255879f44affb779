//! Rendered speech: mono 16-bit PCM at one sample rate, and WAV files (`hound`).

use std::io::{Read, Seek};
use std::path::Path;
use std::time::Duration;

use super::VoiceError;

/// Mono 16-bit PCM audio. Every engine renders to this; sinks play or write it.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Audio {
    /// Samples per second.
    pub sample_rate: u32,
    /// The samples, one per frame (mono).
    pub samples: Vec<i16>,
}

impl Audio {
    /// Empty audio at a sample rate.
    pub fn new(sample_rate: u32) -> Audio {
        Audio { sample_rate, samples: Vec::new() }
    }

    /// How long it plays.
    pub fn duration(&self) -> Duration {
        if self.sample_rate == 0 {
            return Duration::ZERO;
        }
        Duration::from_secs_f64(self.samples.len() as f64 / f64::from(self.sample_rate))
    }

    /// The number of samples in `ms` milliseconds at this sample rate.
    pub fn samples_for(&self, ms: u32) -> usize {
        (u64::from(self.sample_rate) * u64::from(ms) / 1000) as usize
    }

    /// Appends `ms` milliseconds of silence.
    pub fn push_silence(&mut self, ms: u32) {
        let n = self.samples_for(ms);
        self.samples.resize(self.samples.len() + n, 0);
    }

    /// Appends other audio, resampled to this rate if it differs (announcements in two languages
    /// may come from two engines).
    pub fn append(&mut self, other: &Audio) {
        if self.sample_rate == 0 {
            self.sample_rate = other.sample_rate;
        }
        if other.sample_rate == self.sample_rate {
            self.samples.extend_from_slice(&other.samples);
        } else {
            self.samples.extend(other.resampled(self.sample_rate).samples);
        }
    }

    /// The largest absolute sample value (0 for silence).
    pub fn peak(&self) -> u16 {
        self.samples.iter().map(|s| s.unsigned_abs()).max().unwrap_or(0)
    }

    /// Drops leading and trailing samples quieter than `threshold`, keeping `keep_ms` of the quiet
    /// edge so that consonants are not clipped. Used for clips made by TTS, which pad with silence.
    pub fn trim_silence(&mut self, threshold: u16, keep_ms: u32) {
        let keep = self.samples_for(keep_ms);
        let loud = |s: &i16| s.unsigned_abs() > threshold;
        let Some(first) = self.samples.iter().position(loud) else {
            self.samples.clear();
            return;
        };
        let last = self.samples.iter().rposition(loud).unwrap_or(first);
        let start = first.saturating_sub(keep);
        let end = (last + 1 + keep).min(self.samples.len());
        self.samples = self.samples[start..end].to_vec();
    }

    /// Linear-interpolation resampling: plenty for speech, and free of dependencies.
    pub fn resampled(&self, rate: u32) -> Audio {
        if rate == self.sample_rate || self.samples.is_empty() || self.sample_rate == 0 || rate == 0 {
            return Audio { sample_rate: rate, samples: self.samples.clone() };
        }
        let out_len = (self.samples.len() as u64 * u64::from(rate) / u64::from(self.sample_rate)) as usize;
        let step = f64::from(self.sample_rate) / f64::from(rate);
        let last = self.samples.len() - 1;
        let samples = (0..out_len)
            .map(|i| {
                let pos = i as f64 * step;
                let j = (pos as usize).min(last);
                let frac = pos - j as f64;
                let a = f64::from(self.samples[j]);
                let b = f64::from(self.samples[(j + 1).min(last)]);
                (a + (b - a) * frac).round() as i16
            })
            .collect();
        Audio { sample_rate: rate, samples }
    }

    /// Writes a mono 16-bit WAV file.
    pub fn write_wav(&self, path: &Path) -> Result<(), VoiceError> {
        let err = |e: hound::Error| VoiceError::WriteWav { path: path.to_owned(), reason: e.to_string() };
        let spec = hound::WavSpec { channels: 1, sample_rate: self.sample_rate, bits_per_sample: 16, sample_format: hound::SampleFormat::Int };
        let mut writer = hound::WavWriter::create(path, spec).map_err(err)?;
        let mut w16 = writer.get_i16_writer(self.samples.len() as u32);
        for &s in &self.samples {
            w16.write_sample(s);
        }
        w16.flush().map_err(err)?;
        writer.finalize().map_err(err)
    }
}

/// The format of a WAV file, for checking that clips can be joined.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct WavFormat {
    /// Samples per second.
    pub sample_rate: u32,
    /// Channels (interleaved).
    pub channels: u16,
    /// Bits per sample.
    pub bits: u16,
    /// True for floating-point samples.
    pub float: bool,
}

impl std::fmt::Display for WavFormat {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let kind = if self.float { "float" } else { "integer" };
        write!(f, "{} Hz, {} channel(s), {}-bit {kind}", self.sample_rate, self.channels, self.bits)
    }
}

impl From<hound::WavSpec> for WavFormat {
    fn from(s: hound::WavSpec) -> Self {
        WavFormat { sample_rate: s.sample_rate, channels: s.channels, bits: s.bits_per_sample, float: s.sample_format == hound::SampleFormat::Float }
    }
}

/// Reads WAV data as 16-bit integer samples, mixing interleaved channels down to mono.
pub fn read_wav<R: Read + Seek>(reader: R) -> Result<(WavFormat, Audio), String> {
    let mut wav = hound::WavReader::new(reader).map_err(|e| e.to_string())?;
    let format = WavFormat::from(wav.spec());
    if format.float || format.bits != 16 {
        return Err(format!("{format}: only 16-bit integer PCM is supported"));
    }
    if format.channels == 0 {
        return Err("0 channels".to_owned());
    }
    let interleaved = wav.samples::<i16>().collect::<Result<Vec<i16>, _>>().map_err(|e| e.to_string())?;
    let ch = usize::from(format.channels);
    let samples = interleaved.chunks_exact(ch).map(|frame| (frame.iter().map(|&s| i32::from(s)).sum::<i32>() / ch as i32) as i16).collect();
    Ok((format, Audio { sample_rate: format.sample_rate, samples }))
}

/// Reads a WAV that was streamed to a pipe. A program writing WAV to a pipe cannot seek back to
/// fill in the lengths, so espeak-ng puts `0x7ffff000` there; the lengths are set to what
/// actually arrived before reading.
pub fn read_streamed_wav(mut bytes: Vec<u8>) -> Result<(WavFormat, Audio), String> {
    fix_lengths(&mut bytes);
    read_wav(std::io::Cursor::new(bytes))
}

fn le32(b: &[u8], at: usize) -> Option<u32> {
    b.get(at..at + 4).map(|s| u32::from_le_bytes([s[0], s[1], s[2], s[3]]))
}

fn fix_lengths(bytes: &mut [u8]) {
    if bytes.len() < 12 || &bytes[0..4] != b"RIFF" || &bytes[8..12] != b"WAVE" {
        return; // Not a WAV; the reader will say so.
    }
    let total = bytes.len();
    let riff = u32::try_from(total - 8).unwrap_or(u32::MAX);
    bytes[4..8].copy_from_slice(&riff.to_le_bytes());
    let mut pos = 12;
    while let Some(size) = le32(bytes, pos + 4) {
        let body = pos + 8;
        if &bytes[pos..pos + 4] == b"data" {
            let available = total.saturating_sub(body);
            // Whole 16-bit samples only (the reader checks the format itself).
            let len = (size as usize).min(available) & !1;
            let len = u32::try_from(len).unwrap_or(u32::MAX);
            bytes[pos + 4..pos + 8].copy_from_slice(&len.to_le_bytes());
            return;
        }
        // Chunks are padded to an even length.
        pos = body + size as usize + (size as usize & 1);
    }
}
