//! `kiosk face verify --card IMG --live IMG[,IMG...]`.

use std::fmt::Write as _;
use std::path::PathBuf;
use std::process::ExitCode;

use anyhow::{Context, Result};
use face_auth::camera::{FrameSource, ImageFiles, ImageFilesOptions, TimedFrame};
use face_auth::frame::Frame;
use face_auth::liveness::{Challenge, ChallengeConfig, Prompt};
use face_auth::quality::QualityReport;
use face_auth::verify::{DEFAULT_THRESHOLD, Verification, Verifier, VerifyConfig};

/// Arguments of `kiosk face verify`.
#[derive(Debug, clap::Args)]
pub struct VerifyArgs {
    /// The ID-card photo (JPEG, PNG or BMP; the 102×126 photo a reader returns, or any photo).
    #[arg(long, value_name = "IMG")]
    pub card: PathBuf,
    /// Live camera frames, comma-separated, in order (a folder stands for its pictures, by name).
    #[arg(long, value_name = "IMG[,IMG...]")]
    pub live: String,
    /// Judge liveness: the live frames answer these prompts, in order (turn_left, turn_right,
    /// look_up, look_down). Without it, liveness is not checked.
    #[arg(long, value_delimiter = ',', value_name = "PROMPT,...")]
    pub prompts: Vec<Prompt>,
    /// Frames per second of the live frames, for the liveness timeouts.
    #[arg(long, default_value_t = 10.0)]
    pub fps: f32,
    /// Yaw a turn prompt must reach, degrees (liveness).
    #[arg(long, default_value_t = ChallengeConfig::default().yaw_target)]
    pub yaw_target: f32,
    /// Match threshold on the cosine similarity.
    #[arg(long, default_value_t = DEFAULT_THRESHOLD)]
    pub threshold: f32,
    /// Folder of the face models (fetched by scripts/face-models).
    #[arg(long, env = "HALLKIT_FACE_MODELS", value_name = "DIR")]
    pub models: Option<PathBuf>,
    /// Print one JSON object (keys: match, score, threshold, quality, liveness, timings_ms, ...).
    #[arg(long)]
    pub json: bool,
}

/// Runs it: exit 0 on a match, 2 when not matched (no usable face, a score below the threshold,
/// or liveness failed); errors (unreadable picture, missing models) are returned.
pub fn run(args: &VerifyArgs) -> Result<ExitCode> {
    if !(0.0..=1.0).contains(&args.threshold) {
        anyhow::bail!("--threshold must be between 0 and 1 (got {})", args.threshold);
    }
    if !(args.fps > 0.0 && args.fps <= 240.0) {
        anyhow::bail!("--fps must be between 0 and 240 (got {})", args.fps);
    }
    let card = Frame::open(&args.card).with_context(|| "reading the card photo")?;
    let mut source = ImageFiles::from_list(&args.live, ImageFilesOptions { fps: args.fps, ..ImageFilesOptions::default() })?;
    let names: Vec<String> = source.paths().iter().map(|p| p.display().to_string()).collect();
    let mut live: Vec<TimedFrame> = Vec::new();
    while let Some(frame) = source.next_frame()? {
        live.push(frame);
    }
    let config = VerifyConfig { threshold: args.threshold, ..VerifyConfig::default() };
    let verifier = Verifier::load(&super::model_dir(args.models.clone()), config)?;
    let result = if args.prompts.is_empty() {
        let frames: Vec<Frame> = live.into_iter().map(|t| t.frame).collect();
        verifier.verify(&card, &frames)?
    } else {
        let challenge_config = ChallengeConfig { yaw_target: args.yaw_target, ..ChallengeConfig::default() };
        let mut challenge = Challenge::with_prompts(challenge_config, args.prompts.clone())?;
        verifier.verify_sequence(&card, &live, &mut challenge)?
    };
    if args.json {
        println!("{}", serde_json::to_string_pretty(&result)?);
    } else {
        print!("{}", render(&result, &names, !args.prompts.is_empty()));
    }
    Ok(if result.matched { ExitCode::SUCCESS } else { ExitCode::from(2) })
}

fn quality_line(q: &QualityReport) -> String {
    let mut s = String::new();
    if q.passed {
        s.push_str("ok");
    } else {
        let reasons: Vec<String> = q.reasons.iter().map(|r| format!("{r} ({})", r.zh())).collect();
        let _ = write!(s, "refused: {}", reasons.join("; "));
    }
    let mut facts = vec![format!("{} face{}", q.faces, if q.faces == 1 { "" } else { "s" })];
    if let Some(d) = q.eye_distance {
        facts.push(format!("{d:.0} px between the eyes"));
    }
    if let Some(p) = q.pose {
        facts.push(format!("yaw {:+.0}°, pitch {:+.0}°, roll {:+.0}°", p.yaw, p.pitch, p.roll));
    }
    facts.push(format!("brightness {:.0}", q.brightness));
    if let Some(sh) = q.sharpness {
        facts.push(format!("sharpness {sh:.0}"));
    }
    let _ = write!(s, " — {}", facts.join(", "));
    s
}

/// The text report.
pub fn render(r: &Verification, names: &[String], liveness_asked: bool) -> String {
    let mut out = String::new();
    let verdict = if r.matched { "MATCH (same person)" } else { "NO MATCH" };
    let _ = writeln!(out, "result: {verdict}");
    match r.score {
        Some(s) => {
            let _ = writeln!(out, "score: {s:.3} (threshold {:.3}; the faces {})", r.threshold, if r.face_match { "match" } else { "do not match" });
        }
        None => {
            let _ = writeln!(out, "score: none (no usable face on one side; see below)");
        }
    }
    let _ = writeln!(out, "card photo: {}", quality_line(&r.quality.card));
    for (i, q) in r.quality.live.iter().enumerate() {
        let name = names.get(i).map_or(String::new(), |n| format!(" {n}"));
        let chosen = if r.live_frame == Some(i) { "  [matched on this frame]" } else { "" };
        let _ = writeln!(out, "live {}{name}: {}{chosen}", i + 1, quality_line(q));
    }
    match &r.liveness {
        Some(v) if v.passed => {
            let _ = writeln!(out, "liveness: passed ({} of {} prompts followed over {} frames)", v.prompts_met, v.prompts.len(), v.frames);
        }
        Some(v) => {
            let why = v.failure.map_or_else(|| "not finished".to_string(), |f| format!("{f} ({})", f.zh()));
            let _ = writeln!(out, "liveness: FAILED — {why} ({} of {} prompts followed)", v.prompts_met, v.prompts.len());
        }
        None if !liveness_asked => {
            let _ = writeln!(out, "liveness: not checked (give --prompts to judge the live frames as answers to prompts)");
        }
        None => {}
    }
    let t = &r.timings_ms;
    let _ = writeln!(
        out,
        "timings: detect {:.1} ms, landmarks {:.1}, align {:.1}, quality {:.1}, embed {:.1}, liveness {:.1}; total {:.1} ms",
        t.detect, t.landmarks, t.align, t.quality, t.embed, t.liveness, t.total
    );
    out
}
