//! Voice packs: clips the test writes itself, joined into announcements.

use std::path::Path;

use device_drivers::voice::audio::read_streamed_wav;
use device_drivers::voice::reading::read_text;
use device_drivers::voice::{
    Call, ClipPack, EngineChoice, EngineUsed, Espeak, EspeakConfig, Language, PackError, PackManifest, Speaker, Template, Templates, VoiceError,
};
use proptest::prelude::*;

fn spec(rate: u32, channels: u16) -> hound::WavSpec {
    hound::WavSpec { channels, sample_rate: rate, bits_per_sample: 16, sample_format: hound::SampleFormat::Int }
}

/// Writes a clip of `frames` frames: a loud square wave with a value unique to the clip (`mark`),
/// so the joined audio shows which clip went where.
fn write_clip(dir: &Path, clip: &str, spec: hound::WavSpec, frames: usize, mark: i16) {
    let path = dir.join(clip);
    std::fs::create_dir_all(path.parent().unwrap()).unwrap();
    let mut w = hound::WavWriter::create(&path, spec).unwrap();
    for _ in 0..frames {
        for _ in 0..spec.channels {
            w.write_sample(mark).unwrap();
        }
    }
    w.finalize().unwrap();
}

fn write_manifest(dir: &Path, text: &str) {
    std::fs::write(dir.join("pack.toml"), text).unwrap();
}

/// The clips for the default Chinese template, each of a different length: (clip, frames, mark).
fn zh_clips() -> Vec<(String, usize, i16)> {
    let mut clips = Vec::new();
    for d in 0..10 {
        clips.push((format!("digits/{d}.wav"), 100 + d * 7, 1000 + d as i16));
    }
    clips.push(("letters/A.wav".into(), 333, 2000));
    for (i, w) in ["qing3", "hao4", "dao4", "chuang1", "kou3", "ban4", "li3", "shi2"].iter().enumerate() {
        clips.push((format!("words/{w}.wav"), 200 + i * 11, 3000 + i as i16));
    }
    clips
}

fn write_zh_pack(dir: &Path, manifest: &str) {
    write_manifest(dir, manifest);
    for (clip, frames, mark) in zh_clips() {
        write_clip(dir, &clip, spec(16000, 1), frames, mark);
    }
}

fn frames_of(clip: &str) -> usize {
    zh_clips().into_iter().find(|(c, _, _)| c == clip).map(|(_, f, _)| f).unwrap()
}

#[test]
fn joined_clips_have_exactly_the_parts_plus_the_gaps() {
    let dir = tempfile::tempdir().unwrap();
    write_zh_pack(dir.path(), "language = \"zh\"\nsample_rate = 16000\ngap_ms = 25\n");
    let pack = ClipPack::open(dir.path()).unwrap();
    assert_eq!(pack.len(), 19);
    let script = Template::parse(Template::ZH).unwrap().script(&Call::new("A012", 12).unwrap(), Language::Zh);
    let audio = pack.render(&script).unwrap();

    let parts: Vec<String> = script.units.iter().filter_map(|u| u.clip()).collect();
    assert_eq!(parts.len(), 14);
    let gap = 16000 * 25 / 1000;
    let expected: usize = parts.iter().map(|c| frames_of(c)).sum::<usize>() + gap * (parts.len() - 1);
    assert_eq!(audio.samples.len(), expected);
    assert_eq!(audio.sample_rate, 16000);

    // The clips are in order, separated by silence: walk the audio and read back the marks.
    let mut marks = Vec::new();
    let mut i = 0;
    while i < audio.samples.len() {
        let s = audio.samples[i];
        if s == 0 {
            i += 1;
            continue;
        }
        let run = audio.samples[i..].iter().take_while(|&&x| x == s).count();
        marks.push((s, run));
        i += run;
    }
    let want: Vec<(i16, usize)> = parts.iter().map(|c| zh_clips().into_iter().find(|(n, _, _)| n == c).map(|(_, f, m)| (m, f)).unwrap()).collect();
    // Adjacent equal clips (none here) would merge into one run; this call has none.
    assert_eq!(marks, want);
}

#[test]
fn pauses_become_pause_ms_of_silence_instead_of_the_gap() {
    let dir = tempfile::tempdir().unwrap();
    write_zh_pack(dir.path(), "language = \"zh\"\nsample_rate = 16000\ngap_ms = 10\npause_ms = 100\n");
    let pack = ClipPack::open(dir.path()).unwrap();
    // A-3-017: A, pause, 3, pause, 0 1 7.
    let script = device_drivers::voice::read_ticket("A-3-017", Language::Zh);
    let audio = pack.render(&script).unwrap();
    let clips = ["letters/A.wav", "digits/3.wav", "digits/0.wav", "digits/1.wav", "digits/7.wav"];
    let sum: usize = clips.iter().map(|c| frames_of(c)).sum();
    // Two pauses (1600 each); gaps only between 0-1 and 1-7 (160 each).
    assert_eq!(audio.samples.len(), sum + 2 * 1600 + 2 * 160);
}

#[test]
fn a_clip_of_another_format_is_a_typed_error() {
    for (bad_spec, what) in [(spec(22050, 1), "22050 Hz"), (spec(16000, 2), "2 channel")] {
        let dir = tempfile::tempdir().unwrap();
        write_zh_pack(dir.path(), "language = \"zh\"\nsample_rate = 16000\n");
        write_clip(dir.path(), "words/hao4.wav", bad_spec, 50, 7);
        match ClipPack::open(dir.path()) {
            Err(PackError::FormatMismatch { path, expected, found }) => {
                assert!(path.ends_with("words/hao4.wav"));
                assert!(expected.starts_with("16000 Hz, 1 channel"), "{expected}");
                assert!(found.contains(what), "{found}");
            }
            other => panic!("expected FormatMismatch, got {other:?}"),
        }
    }
    // 8-bit clips cannot be joined with 16-bit ones either.
    let dir = tempfile::tempdir().unwrap();
    write_zh_pack(dir.path(), "language = \"zh\"\nsample_rate = 16000\n");
    let path = dir.path().join("digits/5.wav");
    let mut w = hound::WavWriter::create(&path, hound::WavSpec { bits_per_sample: 8, ..spec(16000, 1) }).unwrap();
    w.write_sample(5i8).unwrap();
    w.finalize().unwrap();
    assert!(matches!(ClipPack::open(dir.path()), Err(PackError::BadClip { .. })));
}

#[test]
fn a_stereo_pack_is_mixed_to_mono() {
    let dir = tempfile::tempdir().unwrap();
    write_manifest(dir.path(), "language = \"zh\"\nsample_rate = 8000\nchannels = 2\n");
    write_clip(dir.path(), "digits/1.wav", spec(8000, 2), 40, 900);
    let pack = ClipPack::open(dir.path()).unwrap();
    let audio = pack.render(&device_drivers::voice::read_number(1, Language::Zh)).unwrap();
    assert_eq!(audio.samples, vec![900; 40]);
}

#[test]
fn a_missing_clip_or_a_pack_of_another_language_is_reported_by_name() {
    let dir = tempfile::tempdir().unwrap();
    write_zh_pack(dir.path(), "language = \"zh\"\nsample_rate = 16000\n");
    let pack = ClipPack::open(dir.path()).unwrap();
    let script = Template::parse(Template::ZH).unwrap().script(&Call::new("B012", 3).unwrap(), Language::Zh);
    assert_eq!(pack.missing(&script), ["letters/B.wav"]);
    assert!(matches!(pack.render(&script), Err(PackError::MissingClip { clip, .. }) if clip == "letters/B.wav"));

    let english = read_text("one", Language::En);
    assert_eq!(pack.missing(&english), ["words/one.wav"]);
}

#[test]
fn trimming_removes_quiet_edges_of_tts_made_clips() {
    let dir = tempfile::tempdir().unwrap();
    write_manifest(dir.path(), "language = \"zh\"\nsample_rate = 1000\ntrim_silence = true\n");
    let path = dir.path().join("digits/1.wav");
    std::fs::create_dir_all(path.parent().unwrap()).unwrap();
    let mut w = hound::WavWriter::create(&path, spec(1000, 1)).unwrap();
    // 200 ms of near-silence, 100 ms of sound, 300 ms of near-silence.
    for i in 0..600 {
        w.write_sample(if (200..300).contains(&i) { 5000i16 } else { 20 }).unwrap();
    }
    w.finalize().unwrap();
    let pack = ClipPack::open(dir.path()).unwrap();
    let audio = pack.render(&device_drivers::voice::read_number(1, Language::Zh)).unwrap();
    // 100 ms of sound plus 15 ms kept at each edge.
    assert_eq!(audio.samples.len(), 130);
}

#[test]
fn manifests_are_checked_and_agree_with_real_toml() {
    let text = "# made by hand\nname = \"Hall #2 voice\" # a comment\nlanguage = \"zh\"\nsample_rate = 22_050\nchannels = 1\nbits = 16\ngap_ms = 40\npause_ms = 200\ntrim_silence = true\n";
    let m = PackManifest::parse(text, Path::new("pack.toml"), "dir").unwrap();
    assert_eq!(m.name, "Hall #2 voice");
    assert_eq!((m.sample_rate, m.gap_ms, m.pause_ms, m.trim_silence), (22050, 40, 200, true));
    // The same text read by the toml crate gives the same values, and our own output round-trips.
    let t: toml::Table = toml::from_str(text).unwrap();
    assert_eq!(t["sample_rate"].as_integer(), Some(22050));
    assert_eq!(t["name"].as_str(), Some("Hall #2 voice"));
    let again = PackManifest::parse(&m.to_toml(), Path::new("pack.toml"), "x").unwrap();
    assert_eq!(again, m);
    toml::from_str::<toml::Table>(&m.to_toml()).unwrap();

    let bad = |text: &str| match PackManifest::parse(text, Path::new("p/pack.toml"), "d") {
        Err(PackError::Manifest { line, reason, .. }) => (line, reason),
        other => panic!("expected a manifest error for {text:?}, got {other:?}"),
    };
    assert_eq!(bad("language = \"zh\"\n").0, 0);
    assert!(bad("language = \"zh\"\n").1.contains("sample_rate"));
    assert_eq!(bad("language = \"fr\"\nsample_rate = 1").0, 1);
    assert_eq!(bad("language = \"zh\"\nsample_rat = 16000").0, 2);
    assert_eq!(bad("language = \"zh\"\nsample_rate = \"fast\"").0, 2);
    assert!(bad("language = \"zh\"\nsample_rate = 8000\nbits = 24").1.contains("16-bit"));
    assert_eq!(bad("[pack]\nlanguage = \"zh\"").0, 1);
}

#[test]
fn a_missing_pack_says_how_to_build_one() {
    let dir = tempfile::tempdir().unwrap();
    let err = ClipPack::open(&dir.path().join("nowhere")).unwrap_err();
    assert!(matches!(err, PackError::Missing { .. }));
    assert!(err.to_string().contains("scripts/voice-pack"), "{err}");
}

#[test]
fn clips_engine_without_fallback_fails_on_a_missing_clip() {
    let dir = tempfile::tempdir().unwrap();
    write_zh_pack(dir.path(), "language = \"zh\"\nsample_rate = 16000\n");
    let pack = ClipPack::open(dir.path()).unwrap();
    // Point espeak-ng at a program that does not exist, to prove it is not used.
    let espeak = Espeak::new(EspeakConfig { program: "/nonexistent/espeak-ng".into(), ..EspeakConfig::default() });
    let speaker = Speaker::from_parts(EngineChoice::Clips, vec![pack.clone()], espeak.clone(), Templates::default());
    let ok = speaker.render_call(&Call::new("A001", 2).unwrap()).unwrap();
    assert_eq!(ok.segments[0].engine, EngineUsed::Clips);
    assert!(matches!(speaker.render_call(&Call::new("Z001", 2).unwrap()), Err(VoiceError::Pack(PackError::MissingClip { .. }))));
    // With fallback, the missing clip sends it to espeak-ng (which here cannot be started).
    let speaker = Speaker::from_parts(EngineChoice::ClipsOrEspeak, vec![pack], espeak, Templates::default());
    assert!(matches!(speaker.render_call(&Call::new("Z001", 2).unwrap()), Err(VoiceError::EspeakMissing { .. })));
    assert_eq!(speaker.render_call(&Call::new("A001", 2).unwrap()).unwrap().segments[0].engine, EngineUsed::Clips);
}

#[test]
fn phrase_clips_say_runs_of_words_longest_first() {
    let dir = tempfile::tempdir().unwrap();
    write_zh_pack(dir.path(), "language = \"zh\"\nsample_rate = 16000\ngap_ms = 10\n");
    write_clip(dir.path(), "words/chuang1_kou3.wav", spec(16000, 1), 500, 4000);
    write_clip(dir.path(), "words/chuang1_kou3_ban4_li3.wav", spec(16000, 1), 700, 4001);
    write_clip(dir.path(), "words/hao4_dao4.wav", spec(16000, 1), 300, 4002);
    let pack = ClipPack::open(dir.path()).unwrap();
    let script = Template::parse(Template::ZH).unwrap().script(&Call::new("A012", 3).unwrap(), Language::Zh);
    let plan: Vec<String> = pack.plan(&script).into_iter().flatten().collect();
    assert_eq!(
        plan,
        [
            "words/qing3.wav",
            "letters/A.wav",
            "digits/0.wav",
            "digits/1.wav",
            "digits/2.wav",
            "words/hao4_dao4.wav",
            "digits/3.wav",
            "words/hao4.wav",
            "words/chuang1_kou3_ban4_li3.wav",
        ]
    );
    let audio = pack.render(&script).unwrap();
    let frames = |c: &str| match c {
        "words/chuang1_kou3_ban4_li3.wav" => 700,
        "words/hao4_dao4.wav" => 300,
        c => frames_of(c),
    };
    let expected: usize = plan.iter().map(|c| frames(c)).sum::<usize>() + 160 * (plan.len() - 1);
    assert_eq!(audio.samples.len(), expected);

    // A phrase clip makes its single words unnecessary: a pack with only phrases can say it.
    std::fs::remove_file(dir.path().join("words/kou3.wav")).unwrap();
    let pack = ClipPack::open(dir.path()).unwrap();
    assert!(pack.missing(&script).is_empty());
    // "窗口" on its own uses the two-word phrase; "口" on its own now lacks its clip.
    assert_eq!(pack.plan(&read_text("窗口", Language::Zh)), [Some("words/chuang1_kou3.wav".to_string())]);
    assert_eq!(pack.missing(&read_text("口", Language::Zh)), ["words/kou3.wav"]);
}

/// A WAV as espeak-ng writes it to a pipe: both length fields set to 0x7ffff000.
fn streamed_wav(samples: &[i16]) -> Vec<u8> {
    let mut cursor = std::io::Cursor::new(Vec::new());
    let mut w = hound::WavWriter::new(&mut cursor, spec(22050, 1)).unwrap();
    for &s in samples {
        w.write_sample(s).unwrap();
    }
    w.finalize().unwrap();
    let mut bytes = cursor.into_inner();
    let bogus = 0x7fff_f000u32.to_le_bytes();
    bytes[4..8].copy_from_slice(&bogus);
    let data = bytes.windows(4).position(|w| w == b"data").unwrap();
    bytes[data + 4..data + 8].copy_from_slice(&bogus);
    bytes
}

#[test]
fn a_wav_streamed_to_a_pipe_is_read_to_its_real_end() {
    let samples: Vec<i16> = (0..1000).map(|i| (i * 7 % 2000 - 1000) as i16).collect();
    let (format, audio) = read_streamed_wav(streamed_wav(&samples)).unwrap();
    assert_eq!(format.sample_rate, 22050);
    assert_eq!(audio.samples, samples);
    // A stream cut in the middle of a sample keeps the whole samples before it.
    let mut cut = streamed_wav(&samples);
    cut.pop();
    assert_eq!(read_streamed_wav(cut).unwrap().1.samples, samples[..999]);
}

proptest! {
    #[test]
    fn reading_a_streamed_wav_never_panics(bytes in proptest::collection::vec(any::<u8>(), 0..200), keep in 0usize..80) {
        let _ = read_streamed_wav(bytes.clone());
        // Also a real header followed by garbage.
        let mut wav = streamed_wav(&[1, 2, 3]);
        wav.truncate(keep.min(wav.len()));
        wav.extend(bytes);
        let _ = read_streamed_wav(wav);
    }

    #[test]
    fn parsing_a_manifest_never_panics(text in "[a-z_= \"#0-9\n]{0,80}") {
        let _ = PackManifest::parse(&text, Path::new("pack.toml"), "d");
    }
}
