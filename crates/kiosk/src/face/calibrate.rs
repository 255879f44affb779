//! `kiosk face calibrate --pairs CSV|DIR`: score distributions, TAR at FAR, a suggested
//! threshold, and the ROC curve and histograms as PNG.

use std::path::PathBuf;
use std::process::ExitCode;

use anyhow::{Context, Result};
use face_auth::calibrate::{self, CalibrationOptions, FontSpec, PairScorer, PlotStyle, plot};
use face_auth::error::FaceError;
use face_auth::frame::Frame;
use face_auth::geometry::Landmarks5;
use face_auth::verify::{FrameKind, Timings, Verifier, VerifyConfig};

/// Arguments of `kiosk face calibrate`.
#[derive(Debug, clap::Args)]
pub struct CalibrateArgs {
    /// Labelled pairs: a CSV file of `a,b,same` lines (same: 1/0, true/false, same/different;
    /// paths relative to the file), or a folder with one sub-folder of pictures per person.
    #[arg(long, value_name = "CSV|DIR")]
    pub pairs: PathBuf,
    /// Where to write report.json, roc.png and histograms.png.
    #[arg(long, default_value = "face-calibration", value_name = "DIR")]
    pub out: PathBuf,
    /// Score each pair's first picture as it is, instead of as a simulated ID-card photo
    /// (102×126, cropped to the card layout, heavy JPEG), which is what the kiosk compares.
    #[arg(long)]
    pub no_card_simulation: bool,
    /// JPEG quality of the simulated card photos (1–100).
    #[arg(long, default_value_t = calibrate::DEFAULT_JPEG_QUALITY)]
    pub jpeg_quality: u8,
    /// With a folder: at most this many different-person pairs (spread evenly).
    #[arg(long, default_value_t = 5000)]
    pub max_impostors: usize,
    /// Font for the plots' text (a .ttf/.otf/.ttc file).
    #[arg(long, default_value = plot::DEBIAN_WQY_MICROHEI)]
    pub font: PathBuf,
    /// Folder of the face models (fetched by scripts/face-models).
    #[arg(long, env = "HALLKIT_FACE_MODELS", value_name = "DIR")]
    pub models: Option<PathBuf>,
    /// Print the report as JSON instead of text.
    #[arg(long)]
    pub json: bool,
}

/// The face pipeline as a pair scorer: both sides must pass their quality gates, as at a kiosk
/// (the first picture is the card side, the second the live side).
struct PipelineScorer<'a>(&'a Verifier);

impl PairScorer for PipelineScorer<'_> {
    fn landmarks(&mut self, frame: &Frame) -> Result<Option<Landmarks5>, FaceError> {
        let a = self.0.analyse(frame, FrameKind::Live, false, &mut Timings::default())?;
        Ok(a.landmarks)
    }

    fn score(&mut self, card: &Frame, live: &Frame) -> Result<Option<f32>, FaceError> {
        Ok(self.0.verify(card, std::slice::from_ref(live))?.score)
    }
}

/// Runs it: exit 0 when the report was written.
pub fn run(args: &CalibrateArgs) -> Result<ExitCode> {
    let pairs = if args.pairs.is_dir() {
        calibrate::pairs::from_dir(&args.pairs, args.max_impostors)?
    } else {
        calibrate::pairs::load_csv(&args.pairs)?
    };
    let genuine = pairs.iter().filter(|p| p.same).count();
    eprintln!("{} pairs ({genuine} same person, {} different people)", pairs.len(), pairs.len() - genuine);
    let style = PlotStyle::new(FontSpec::new(&args.font));
    if !args.font.is_file() {
        anyhow::bail!("font {} not found: install fonts-wqy-microhei (scripts/system-packages) or give --font", args.font.display());
    }
    let verifier = Verifier::load(&super::model_dir(args.models.clone()), VerifyConfig::default())?;
    let options = CalibrationOptions { simulate_card: !args.no_card_simulation, jpeg_quality: args.jpeg_quality, ..CalibrationOptions::default() };
    let mut scorer = PipelineScorer(&verifier);
    let mut last_shown = std::time::Instant::now();
    let mut progress = |done: usize, total: usize| {
        if done == total || last_shown.elapsed().as_millis() >= 500 {
            eprintln!("scored {done}/{total} pairs");
            last_shown = std::time::Instant::now();
        }
    };
    let result = calibrate::calibrate(&pairs, &mut scorer, &options, &mut progress)?;
    std::fs::create_dir_all(&args.out).with_context(|| format!("creating {}", args.out.display()))?;
    let write = |name: &str, bytes: &[u8]| -> Result<PathBuf> {
        let path = args.out.join(name);
        std::fs::write(&path, bytes).with_context(|| format!("writing {}", path.display()))?;
        Ok(path)
    };
    let report = write("report.json", serde_json::to_string_pretty(&result)?.as_bytes())?;
    let roc = write("roc.png", &plot::render_roc(&result.scores, &result.report, &style)?)?;
    let hist = write("histograms.png", &plot::render_histograms(&result.scores, &result.report, &style)?)?;
    if args.json {
        println!("{}", serde_json::to_string_pretty(&result)?);
    } else {
        let text = result.to_string();
        println!("{}", text.trim_end());
        println!("wrote {}, {} and {}", report.display(), roc.display(), hist.display());
    }
    Ok(ExitCode::SUCCESS)
}
