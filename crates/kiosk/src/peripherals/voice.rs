//! `kiosk doctor voice`: speak a text or a call once, through the device's voice configuration,
//! to a WAV file or the sound card, and say which engine spoke and how it went.

use std::path::PathBuf;

use anyhow::{Context, Result, bail};
use device_drivers::Error as _;
use device_drivers::voice::{Call, DoctorSpeech, DoctorVoiceOptions, VoiceConfig, VoiceOutput, doctor_voice};

/// `kiosk doctor voice`
#[derive(Debug, Clone, clap::Args)]
#[command(group(clap::ArgGroup::new("what").required(true).args(["text", "call"])))]
pub struct VoiceDoctorArgs {
    /// Free text to say, e.g. "请A012号到3号窗口办理".
    #[arg(long)]
    pub text: Option<String>,
    /// A call to announce through the templates, TICKET:WINDOW, e.g. A012:3.
    #[arg(long)]
    pub call: Option<String>,
    /// Write the audio to this WAV file instead of playing it.
    #[arg(long)]
    pub wav: Option<PathBuf>,
    /// The device's config file: its [voice] section (engine, packs, templates) is used.
    #[arg(long)]
    pub config: Option<PathBuf>,
    /// Print the report as one JSON object.
    #[arg(long)]
    pub json: bool,
}

/// Speaks once; exits non-zero with the reason when no engine could speak or the output failed.
pub fn doctor_voice_cmd(args: &VoiceDoctorArgs) -> Result<()> {
    let config = match &args.config {
        Some(path) => crate::config::Config::load(path)?.voice.unwrap_or_default(),
        None => VoiceConfig::default(),
    };
    let speech = match (&args.text, &args.call) {
        (Some(text), _) => DoctorSpeech::Text(text.clone()),
        (None, Some(call)) => {
            let (ticket, window) = call.split_once(':').with_context(|| format!("--call {call:?}: give TICKET:WINDOW, e.g. A012:3"))?;
            let window: u32 = window.parse().with_context(|| format!("--call {call:?}: the window is not a number"))?;
            DoctorSpeech::Call(Call::new(ticket, window).map_err(|e| anyhow::anyhow!("--call {call:?}: {e}"))?)
        }
        (None, None) => bail!("give --text TEXT or --call TICKET:WINDOW"),
    };
    let output = match &args.wav {
        Some(path) => VoiceOutput::Wav(path.clone()),
        None => VoiceOutput::SoundCard,
    };
    let report = doctor_voice(&DoctorVoiceOptions { speech, output, config }).map_err(|e| anyhow::anyhow!("{e} ({:?})", e.kind()))?;
    if args.json {
        println!("{}", serde_json::to_string(&report)?);
    } else {
        print!("{}", report.to_text());
    }
    Ok(())
}
