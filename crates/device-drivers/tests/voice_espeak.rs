//! espeak-ng, the default voice pack script, fallback and `kiosk doctor voice`.
//!
//! These run the real espeak-ng (Debian `espeak-ng`, installed on CI by the test command); without
//! it they fail with a message that says so.

use std::path::{Path, PathBuf};
use std::process::Command;

use device_drivers::voice::reading::read_text;
use device_drivers::voice::{
    Audio, Call, ClipPack, DoctorSpeech, DoctorVoiceOptions, EngineChoice, EngineUsed, Espeak, EspeakConfig, Language, Template, VoiceConfig, VoiceError,
    VoiceOutput, doctor_voice,
};

fn espeak() -> Espeak {
    assert!(Command::new("espeak-ng").arg("--version").output().is_ok(), "these tests need espeak-ng: apt-get install espeak-ng");
    Espeak::default()
}

/// Share of samples louder than about −30 dBFS.
fn loud_share(audio: &Audio) -> f64 {
    let loud = audio.samples.iter().filter(|s| s.unsigned_abs() > 1000).count();
    loud as f64 / audio.samples.len().max(1) as f64
}

fn script_zh(ticket: &str, window: u32) -> device_drivers::voice::Script {
    Template::parse(Template::ZH).unwrap().script(&Call::new(ticket, window).unwrap(), Language::Zh)
}

#[test]
fn espeak_speaks_a_chinese_call_from_pinyin() {
    let audio = espeak().render(&script_zh("A012", 3)).unwrap();
    assert_eq!(audio.sample_rate, 22050);
    // 13 syllables at 140 words a minute: well over two seconds of speech, not silence.
    assert!(audio.duration().as_secs_f64() > 2.0, "{:?}", audio.duration());
    assert!(audio.peak() > 5000, "peak {}", audio.peak());
    assert!(loud_share(&audio) > 0.2, "mostly silent: {}", loud_share(&audio));
}

#[test]
fn espeak_speaks_english_and_a_longer_call_takes_longer() {
    let e = espeak();
    let t = Template::parse(Template::EN).unwrap();
    let short = e.render(&t.script(&Call::new("A1", 1).unwrap(), Language::En)).unwrap();
    let long = e.render(&t.script(&Call::new("A-12-345", 1234).unwrap(), Language::En)).unwrap();
    assert!(short.peak() > 5000);
    assert!(long.samples.len() > short.samples.len() + short.sample_rate as usize);
}

#[test]
fn espeak_with_a_missing_voice_or_program_is_a_typed_error() {
    let e = espeak();
    assert!(matches!(e.speak("ni3 hao3", "nosuchvoice"), Err(VoiceError::EspeakFailed { .. })));
    let missing = Espeak::new(EspeakConfig { program: "/nonexistent/espeak-ng".into(), ..EspeakConfig::default() });
    let err = missing.render(&script_zh("A001", 1)).unwrap_err();
    assert!(matches!(err, VoiceError::EspeakMissing { .. }));
    assert!(err.to_string().contains("apt-get install espeak-ng"), "{err}");
}

#[test]
fn text_starting_with_a_dash_is_spoken_not_taken_as_an_option() {
    let audio = espeak().speak("-v en --help", "en").unwrap();
    assert!(audio.peak() > 1000);
}

fn repo_root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../..")
}

/// Runs scripts/voice-pack into a fresh directory and opens the pack.
fn build_default_pack() -> (tempfile::TempDir, ClipPack) {
    espeak();
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("voice/zh-default");
    let status = Command::new("bash").arg(repo_root().join("scripts/voice-pack")).arg(&out).status().expect("run scripts/voice-pack");
    assert!(status.success(), "scripts/voice-pack failed");
    let pack = ClipPack::open(&out).unwrap();
    (dir, pack)
}

#[test]
fn the_default_pack_script_builds_a_pack_that_says_every_call() {
    let (_dir, pack) = build_default_pack();
    assert_eq!(pack.manifest().language, Language::Zh);
    assert_eq!(pack.len(), 10 + 26 + 10 + 2);
    // The runs of words around the numbers come from the two phrase clips.
    let plan: Vec<String> = pack.plan(&script_zh("A012", 3)).into_iter().flatten().collect();
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
            "words/hao4_chuang1_kou3_ban4_li3.wav",
        ]
    );
    // Every prefix, both ticket forms, and windows from 1 to 9999 need only clips the script made.
    for prefix in 'A'..='Z' {
        for ticket in [format!("{prefix}012"), format!("{prefix}-3-017")] {
            assert_eq!(pack.missing(&script_zh(&ticket, 1)), Vec::<String>::new(), "{ticket}");
        }
    }
    for window in 1..10_000 {
        assert!(pack.missing(&script_zh("A001", window)).is_empty(), "window {window}");
    }
    let audio = pack.render(&script_zh("A012", 12)).unwrap();
    assert_eq!(audio.sample_rate, pack.manifest().sample_rate);
    assert!(audio.peak() > 5000);
    // Trimmed clips: 10 clips with short gaps, not 10 padded espeak-ng utterances.
    let secs = audio.duration().as_secs_f64();
    assert!(secs > 1.5 && secs < 6.0, "{secs} s");
}

#[test]
fn without_a_pack_the_speaker_falls_back_to_espeak_and_says_why() {
    espeak();
    let dir = tempfile::tempdir().unwrap();
    let config = VoiceConfig { packs: vec![dir.path().join("no-pack")], ..VoiceConfig::default() };
    assert_eq!(config.engine, EngineChoice::ClipsOrEspeak);
    let speaker = device_drivers::voice::Speaker::new(&config).unwrap();
    let rendered = speaker.render_call(&Call::new("A012", 3).unwrap()).unwrap();
    let seg = &rendered.segments[0];
    assert_eq!(seg.engine, EngineUsed::Espeak);
    assert_eq!(seg.spoken, "qing3 A ling2 yi1 er4 hao4 dao4 san1 hao4 chuang1 kou3 ban4 li3");
    assert!(seg.fallback.as_deref().unwrap_or("").contains("no-pack"), "{:?}", seg.fallback);
    assert!(rendered.audio.peak() > 5000);

    // With clips only, the same configuration is refused at start-up.
    let strict = VoiceConfig { engine: EngineChoice::Clips, ..config };
    assert!(matches!(device_drivers::voice::Speaker::new(&strict), Err(VoiceError::Pack(_))));
}

#[test]
fn a_bilingual_call_joins_clips_and_espeak_at_one_rate() {
    let (dir, _) = build_default_pack();
    let mut config = VoiceConfig { packs: vec![dir.path().join("voice/zh-default")], ..VoiceConfig::default() };
    config.templates.languages = vec![Language::Zh, Language::En];
    let speaker = device_drivers::voice::Speaker::new(&config).unwrap();
    let r = speaker.render_call(&Call::new("B007", 2).unwrap()).unwrap();
    let engines: Vec<EngineUsed> = r.segments.iter().map(|s| s.engine).collect();
    // Chinese from the pack; the pack has no English, so English falls back to espeak-ng.
    assert_eq!(engines, [EngineUsed::Clips, EngineUsed::Espeak]);
    assert_eq!(
        r.segments[0].spoken,
        "words/qing3.wav letters/B.wav digits/0.wav digits/0.wav digits/7.wav words/hao4_dao4.wav digits/2.wav words/hao4_chuang1_kou3_ban4_li3.wav"
    );
    assert_eq!(r.segments[1].text, "Number B007, please go to window 2.");
    assert!(r.segments[1].fallback.is_some());
    assert_eq!(r.audio.sample_rate, 22050);
}

#[test]
fn doctor_voice_writes_a_wav_and_reports_the_engine() {
    espeak();
    let dir = tempfile::tempdir().unwrap();
    let wav = dir.path().join("out.wav");
    let config = VoiceConfig { engine: EngineChoice::Espeak, ..VoiceConfig::default() };
    let report = doctor_voice(&DoctorVoiceOptions {
        speech: DoctorSpeech::Text("请A012号到3号窗口办理".into()),
        output: VoiceOutput::Wav(wav.clone()),
        config: config.clone(),
    })
    .unwrap();
    assert_eq!(report.engine, EngineUsed::Espeak);
    assert_eq!(report.segments[0].spoken, "qing3 A ling2 yi1 er4 hao4 dao4 san1 hao4 chuang1 kou3 ban4 li3");
    let reader = hound::WavReader::open(&wav).unwrap();
    assert_eq!(reader.spec().sample_rate, report.sample_rate);
    let ms = u64::from(reader.len()) * 1000 / u64::from(report.sample_rate);
    assert_eq!(ms, report.duration_ms);
    assert!(report.peak > 5000);
    let text = report.to_text();
    assert!(text.contains("espeak-ng") && text.contains("out.wav"), "{text}");

    // A call goes through the template; English text is read in English.
    let report = doctor_voice(&DoctorVoiceOptions {
        speech: DoctorSpeech::Call(Call::new("A-3-017", 12).unwrap()),
        output: VoiceOutput::Wav(wav.clone()),
        config: config.clone(),
    })
    .unwrap();
    assert_eq!(report.segments[0].text, "请A-3-017号到12号窗口办理");
    let report =
        doctor_voice(&DoctorVoiceOptions { speech: DoctorSpeech::Text("Speaker test, window 5".into()), output: VoiceOutput::Wav(wav), config }).unwrap();
    assert_eq!(report.segments[0].language, Language::En);
    assert_eq!(report.segments[0].spoken, "speaker test, window five");
}

#[test]
fn doctor_voice_refuses_nothing_to_say_and_missing_sound_output() {
    let config = VoiceConfig { engine: EngineChoice::Espeak, ..VoiceConfig::default() };
    let err = doctor_voice(&DoctorVoiceOptions {
        speech: DoctorSpeech::Text("😀 ！".into()),
        output: VoiceOutput::Wav(std::env::temp_dir().join("never-written.wav")),
        config: config.clone(),
    })
    .unwrap_err();
    assert!(matches!(err, VoiceError::NothingToSay(_)));
    #[cfg(not(feature = "audio-alsa"))]
    assert!(matches!(
        doctor_voice(&DoctorVoiceOptions { speech: DoctorSpeech::Text("测试".into()), output: VoiceOutput::SoundCard, config }),
        Err(VoiceError::NoSoundOutput)
    ));
    // Free text keeps what cannot be said visible.
    assert_eq!(read_text("测试😀", Language::Zh).skipped, ['😀']);
}

#[test]
fn an_espeak_that_hangs_is_stopped_at_its_time_limit() {
    use std::os::unix::fs::PermissionsExt;
    let dir = tempfile::tempdir().unwrap();
    let fake = dir.path().join("espeak-ng");
    // Reads its input, then never answers.
    std::fs::write(&fake, "#!/bin/sh\ncat >/dev/null\nexec sleep 600\n").unwrap();
    std::fs::set_permissions(&fake, std::fs::Permissions::from_mode(0o755)).unwrap();
    let e = Espeak::new(EspeakConfig { program: fake, timeout_ms: 300, ..EspeakConfig::default() });
    assert!(matches!(e.render(&script_zh("A001", 1)), Err(VoiceError::EspeakTimeout { .. })));
}
