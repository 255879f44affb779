//! Voice packs: directories of WAV clips joined into announcements (see the layout in the
//! [module docs](super)).
//!
//! The pack is read once, when opened: every clip under `digits/`, `letters/` and `words/` is
//! decoded and checked against the format in `pack.toml`, so a clip recorded at the wrong rate is
//! found at start-up, not in the middle of a call.
//!
//! `pack.toml` is flat TOML (no tables), read with the `toml` crate; unknown keys are refused:
//!
//! | key            | type    | default   | meaning                                             |
//! |----------------|---------|-----------|-----------------------------------------------------|
//! | `language`     | string  | required  | `zh` or `en`                                        |
//! | `sample_rate`  | integer | required  | Hz, of every clip                                   |
//! | `channels`     | integer | 1         | of every clip (mixed to mono when played)           |
//! | `bits`         | integer | 16        | must be 16 (integer PCM)                            |
//! | `gap_ms`       | integer | 0         | silence between two clips                           |
//! | `pause_ms`     | integer | 250       | silence for a pause (punctuation, ticket dashes)    |
//! | `trim_silence` | boolean | false     | trim quiet edges of each clip when loading (TTS-made clips) |
//! | `name`         | string  | dir name  | shown by `kiosk doctor voice`                       |

use std::collections::HashMap;
use std::fs;
use std::path::{Path, PathBuf};

use super::audio::{Audio, WavFormat, read_wav};
use super::reading::{Script, Spoken};
use super::{Language, PackError};

/// Samples quieter than this (about −40 dBFS) count as silence when trimming clip edges.
const TRIM_THRESHOLD: u16 = 330;
/// Quiet edge kept when trimming, so soft onsets are not clipped.
const TRIM_KEEP_MS: u32 = 15;

/// A voice pack's `pack.toml`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PackManifest {
    /// Shown in reports.
    pub name: String,
    /// The language of its words and digits.
    pub language: Language,
    /// Sample rate of every clip.
    pub sample_rate: u32,
    /// Channels of every clip.
    pub channels: u16,
    /// Bits per sample (16).
    pub bits: u16,
    /// Silence between clips, in milliseconds.
    pub gap_ms: u32,
    /// Silence for a pause, in milliseconds.
    pub pause_ms: u32,
    /// Trim quiet clip edges when loading.
    pub trim_silence: bool,
}

/// `pack.toml` as written; checked into a [`PackManifest`].
#[derive(serde::Deserialize)]
#[serde(deny_unknown_fields)]
struct RawManifest {
    name: Option<String>,
    language: String,
    sample_rate: u32,
    #[serde(default = "one")]
    channels: u16,
    #[serde(default = "sixteen")]
    bits: u16,
    #[serde(default)]
    gap_ms: u32,
    #[serde(default = "default_pause_ms")]
    pause_ms: u32,
    #[serde(default)]
    trim_silence: bool,
}

fn one() -> u16 {
    1
}
fn sixteen() -> u16 {
    16
}
fn default_pause_ms() -> u32 {
    250
}

/// The 1-based line of a byte offset.
fn line_of(text: &str, offset: usize) -> usize {
    text.get(..offset).map_or(0, |before| before.matches('\n').count() + 1)
}

impl PackManifest {
    /// Parses `pack.toml` text; `path` is only used in error messages, `default_name` when the
    /// manifest has no `name`.
    pub fn parse(text: &str, path: &Path, default_name: &str) -> Result<PackManifest, PackError> {
        let err = |line: usize, reason: String| PackError::Manifest { path: path.to_owned(), line, reason };
        let raw: RawManifest = toml::from_str(text).map_err(|e| {
            // A key missing altogether has no line; everything else points at its line.
            let line = if e.message().starts_with("missing field") { 0 } else { e.span().map_or(0, |s| line_of(text, s.start)) };
            err(line, e.message().to_owned())
        })?;
        let language = Language::from_code(&raw.language)
            .ok_or_else(|| err(line_of(text, text.find("language").unwrap_or(0)), format!("language {:?}: use \"zh\" or \"en\"", raw.language)))?;
        if raw.sample_rate == 0 || raw.sample_rate > 384_000 || raw.channels == 0 || raw.channels > 8 {
            return Err(err(0, "sample_rate (1–384000) and channels (1–8) are out of range".into()));
        }
        if raw.bits != 16 {
            return Err(err(0, format!("bits = {}: only 16-bit PCM clips are supported", raw.bits)));
        }
        if raw.gap_ms > 10_000 || raw.pause_ms > 10_000 {
            return Err(err(0, "gap_ms and pause_ms must be at most 10000".into()));
        }
        Ok(PackManifest {
            name: raw.name.unwrap_or_else(|| default_name.to_owned()),
            language,
            sample_rate: raw.sample_rate,
            channels: raw.channels,
            bits: raw.bits,
            gap_ms: raw.gap_ms,
            pause_ms: raw.pause_ms,
            trim_silence: raw.trim_silence,
        })
    }

    /// The manifest as `pack.toml` text.
    pub fn to_toml(&self) -> String {
        format!(
            "name = \"{}\"\nlanguage = \"{}\"\nsample_rate = {}\nchannels = {}\nbits = {}\ngap_ms = {}\npause_ms = {}\ntrim_silence = {}\n",
            self.name.replace(['"', '\\'], ""),
            self.language.code(),
            self.sample_rate,
            self.channels,
            self.bits,
            self.gap_ms,
            self.pause_ms,
            self.trim_silence
        )
    }

    fn format(&self) -> WavFormat {
        WavFormat { sample_rate: self.sample_rate, channels: self.channels, bits: self.bits, float: false }
    }
}

/// An opened voice pack: the manifest and every clip, decoded and checked.
#[derive(Debug, Clone)]
pub struct ClipPack {
    dir: PathBuf,
    manifest: PackManifest,
    clips: HashMap<String, Audio>,
}

/// Longest phrase clip looked for, in words.
const MAX_PHRASE: usize = 8;

/// The folders clips are read from.
const CLIP_DIRS: [&str; 3] = ["digits", "letters", "words"];

impl ClipPack {
    /// Opens the pack in `dir`: reads `pack.toml` and every `*.wav` under `digits/`, `letters/` and
    /// `words/`, and checks each has the manifest's format.
    pub fn open(dir: &Path) -> Result<ClipPack, PackError> {
        let manifest_path = dir.join("pack.toml");
        let text = fs::read_to_string(&manifest_path).map_err(|source| PackError::Missing { path: manifest_path.clone(), source })?;
        let default_name = dir.file_name().map(|n| n.to_string_lossy().into_owned()).unwrap_or_default();
        let manifest = PackManifest::parse(&text, &manifest_path, &default_name)?;
        let expected = manifest.format();
        let mut clips = HashMap::new();
        for sub in CLIP_DIRS {
            let folder = dir.join(sub);
            let entries = match fs::read_dir(&folder) {
                Ok(e) => e,
                // A pack may lack a folder (e.g. no letters); a call needing it reports the clip.
                Err(e) if e.kind() == std::io::ErrorKind::NotFound => continue,
                Err(source) => return Err(PackError::Missing { path: folder, source }),
            };
            for entry in entries {
                let entry = entry.map_err(|source| PackError::Missing { path: folder.clone(), source })?;
                let path = entry.path();
                let Some(file) = path.file_name().and_then(|n| n.to_str()) else {
                    tracing::warn!(path = %path.display(), "voice pack: skipping a file whose name is not UTF-8");
                    continue;
                };
                if !file.ends_with(".wav") {
                    continue;
                }
                let bytes = fs::read(&path).map_err(|source| PackError::Missing { path: path.clone(), source })?;
                let (format, mut audio) = read_wav(std::io::Cursor::new(bytes)).map_err(|reason| PackError::BadClip { path: path.clone(), reason })?;
                if format != expected {
                    return Err(PackError::FormatMismatch { path, expected: expected.to_string(), found: format.to_string() });
                }
                if manifest.trim_silence {
                    audio.trim_silence(TRIM_THRESHOLD, TRIM_KEEP_MS);
                }
                clips.insert(format!("{sub}/{file}"), audio);
            }
        }
        tracing::debug!(pack = %dir.display(), clips = clips.len(), "voice pack opened");
        Ok(ClipPack { dir: dir.to_owned(), manifest, clips })
    }

    /// The pack's manifest.
    pub fn manifest(&self) -> &PackManifest {
        &self.manifest
    }

    /// The pack's directory.
    pub fn dir(&self) -> &Path {
        &self.dir
    }

    /// The number of clips loaded.
    pub fn len(&self) -> usize {
        self.clips.len()
    }

    /// True if the pack holds no clips.
    pub fn is_empty(&self) -> bool {
        self.clips.is_empty()
    }

    /// The clips (by name, `None` for a pause) this pack would play for `script`: a run of words
    /// is said with the longest phrase clips the pack holds (`words/chuang1_kou3.wav` for 窗口),
    /// else word by word.
    pub fn plan(&self, script: &Script) -> Vec<Option<String>> {
        let mut plan = Vec::with_capacity(script.units.len());
        let units = &script.units;
        let mut i = 0;
        while i < units.len() {
            if let Spoken::Word(_) = &units[i] {
                // Longest phrase first; a run of one word is the word's own clip.
                let run = units[i..].iter().take(MAX_PHRASE).take_while(|u| matches!(u, Spoken::Word(_))).count();
                let phrase = (2..=run).rev().find_map(|n| {
                    let key =
                        units[i..i + n].iter().filter_map(|u| if let Spoken::Word(w) = u { Some(w.as_str()) } else { None }).collect::<Vec<_>>().join("_");
                    let name = format!("words/{key}.wav");
                    self.clips.contains_key(&name).then_some((n, name))
                });
                if let Some((n, name)) = phrase {
                    plan.push(Some(name));
                    i += n;
                    continue;
                }
            }
            plan.push(units[i].clip());
            i += 1;
        }
        plan
    }

    /// The clips `script` needs that the pack lacks, without repeats (empty: the pack can say
    /// it). A script in another language than the pack's lacks everything.
    pub fn missing(&self, script: &Script) -> Vec<String> {
        if script.language != self.manifest.language {
            return script.clips();
        }
        let mut missing: Vec<String> = Vec::new();
        for name in self.plan(script).into_iter().flatten() {
            if !self.clips.contains_key(&name) && !missing.contains(&name) {
                missing.push(name);
            }
        }
        missing
    }

    /// Joins the clips for `script` (see [`ClipPack::plan`]): each clip, `gap_ms` of silence
    /// between two clips, and `pause_ms` of silence for each pause (instead of the gap).
    pub fn render(&self, script: &Script) -> Result<Audio, PackError> {
        if let Some(clip) = self.missing(script).into_iter().next() {
            return Err(PackError::MissingClip { pack: self.dir.clone(), clip });
        }
        let mut audio = Audio::new(self.manifest.sample_rate);
        let mut previous_was_clip = false;
        for step in self.plan(script) {
            match step {
                Some(name) => {
                    let clip = self.clips.get(&name).ok_or_else(|| PackError::MissingClip { pack: self.dir.clone(), clip: name.clone() })?;
                    if previous_was_clip {
                        audio.push_silence(self.manifest.gap_ms);
                    }
                    audio.samples.extend_from_slice(&clip.samples);
                    previous_was_clip = true;
                }
                None => {
                    audio.push_silence(self.manifest.pause_ms);
                    previous_was_clip = false;
                }
            }
        }
        Ok(audio)
    }
}
