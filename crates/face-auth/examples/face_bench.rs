//! Times one face verification (issue 5, point 9) and prints scores for comparing builds.
//!
//! ```text
//! face_bench [MODEL_DIR] [--runs N] [--warmup N]     per-step and end-to-end timings
//! face_bench [MODEL_DIR] --scores                    scores of a fixed set of pairs
//! ```
//!
//! The model folder is `MODEL_DIR` or, when it is not given, `$HALLKIT_FACE_MODELS`; it must
//! hold the files `scripts/face-models` fetches, including `test-images/`.
//!
//! **Timing mode.** One verification is what a kiosk does per citizen: a 640×480 live frame
//! (`obama2.jpg` scaled to fit and centred on grey, as a camera would frame it) against a
//! 102×126 card photo (simulated from `obama.jpg` the way `kiosk face calibrate` does: GA 461
//! framing, heavy JPEG). Both pictures are decoded before timing starts, as a camera and the
//! card reader hand over decoded pictures. After the warm-up runs, `Verifier::verify` runs N
//! times on this one thread and the `timings_ms` it reports are summarised per step (detect,
//! landmarks, align, quality, embed: each summed over the card and the live frame) and end to
//! end, as p50/p90/max. A second pass runs `Verifier::analyse` on each picture alone to show
//! where the time goes per picture.
//!
//! On x86_64 the figures include a cost of the pipeline as it stands: tract 0.23.9's assembly
//! matrix kernels return without `vzeroupper`, so the detector's SSE code that runs after an
//! embedding pays the AVX–SSE transition penalty (measured here: 16 ms → 37 ms for the card
//! photo's detection, 8 ms → 17 ms for the live frame's). aarch64 has no such penalty.
//!
//! **Scores mode** (`--scores`) prints the score of each pair of a fixed set (the package test
//! photos against each other, cards simulated from them against the other photos, and the
//! timing mode's pair) with 6 decimals, one pair per line, so that the output of two builds
//! (e.g. x86_64, and aarch64 under qemu-user) can be compared with `diff`. Lines starting with
//! `#` describe the build and are not scores.
//!
//! Nothing is written to disk; pictures live only in memory.

use std::io::Write;
use std::path::PathBuf;
use std::process::ExitCode;
use std::time::Instant;

use face_auth::calibrate::card_photo::{CardPhotoOptions, DEFAULT_JPEG_QUALITY, simulate_card_photo};
use face_auth::frame::Frame;
use face_auth::models::ModelDir;
use face_auth::verify::{FrameKind, Timings, Verifier, VerifyConfig};

const USAGE: &str = "\
face_bench: times one face verification (640x480 live frame + 102x126 card photo) on one thread

usage:
  face_bench [MODEL_DIR] [--runs N] [--warmup N]   per-step and end-to-end timings (p50/p90/max)
  face_bench [MODEL_DIR] --scores                  scores of a fixed set of pairs, 6 decimals
  face_bench --help

MODEL_DIR   folder filled by scripts/face-models (models + test-images/);
            defaults to $HALLKIT_FACE_MODELS
--runs N    timed verifications (default 50)
--warmup N  untimed verifications first (default 5)
--scores    print scores instead of timings, for comparing builds (e.g. x86_64 vs aarch64)

Build in release: cargo run --release -p face-auth --example face_bench -- [ARGS]";

const DEFAULT_RUNS: usize = 50;
const DEFAULT_WARMUP: usize = 5;

/// The camera frame size of a kiosk.
const CAMERA_WIDTH: u32 = 640;
const CAMERA_HEIGHT: u32 = 480;
/// The grey the camera frame's empty area is filled with.
const BACKGROUND: u8 = 120;

/// The photos of the scores mode, from the `face-recognition` package.
const PHOTOS: [&str; 4] = ["obama.jpg", "obama2.jpg", "obama3.jpg", "biden.jpg"];

enum Mode {
    Timings { runs: usize, warmup: usize },
    Scores,
}

struct Args {
    models: PathBuf,
    mode: Mode,
}

/// `Ok(None)`: help was asked for.
fn parse_args() -> Result<Option<Args>, String> {
    let mut models = None;
    let (mut runs, mut warmup, mut scores) = (DEFAULT_RUNS, DEFAULT_WARMUP, false);
    let mut args = std::env::args_os().skip(1);
    let count = |flag: &str, value: Option<std::ffi::OsString>| -> Result<usize, String> {
        let value = value.ok_or(format!("{flag} needs a number"))?;
        let text = value.to_string_lossy();
        text.parse::<usize>().map_err(|_| format!("{flag} wants a whole number, not {text:?}"))
    };
    while let Some(arg) = args.next() {
        match arg.to_str() {
            Some("-h" | "--help") => return Ok(None),
            Some("--runs") => runs = count("--runs", args.next())?,
            Some("--warmup") => warmup = count("--warmup", args.next())?,
            Some("--scores") => scores = true,
            Some(flag) if flag.starts_with('-') => return Err(format!("unknown option {flag}")),
            _ if models.is_some() => return Err(format!("only one model folder, please (got a second: {})", arg.to_string_lossy())),
            _ => models = Some(PathBuf::from(arg)),
        }
    }
    if runs == 0 {
        return Err("--runs must be at least 1".into());
    }
    let models = match models.or_else(|| std::env::var_os("HALLKIT_FACE_MODELS").map(PathBuf::from)) {
        Some(dir) => dir,
        None => return Err("no model folder: give MODEL_DIR or set HALLKIT_FACE_MODELS (fill one with scripts/face-models DIR)".into()),
    };
    let mode = if scores { Mode::Scores } else { Mode::Timings { runs, warmup } };
    Ok(Some(Args { models, mode }))
}

fn main() -> ExitCode {
    let args = match parse_args() {
        Ok(Some(args)) => args,
        Ok(None) => {
            println!("{USAGE}");
            return ExitCode::SUCCESS;
        }
        Err(e) => {
            eprintln!("face_bench: {e}\n\n{USAGE}");
            return ExitCode::from(2);
        }
    };
    match run(&args) {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("face_bench: {e}");
            ExitCode::FAILURE
        }
    }
}

/// `println!` that reports a closed or failing stdout (e.g. piped into `head`) as an error
/// instead of panicking.
macro_rules! say {
    ($($arg:tt)*) => {
        writeln!(std::io::stdout(), $($arg)*).map_err(|e| format!("cannot write the output: {e}"))?
    };
}

fn run(args: &Args) -> Result<(), String> {
    let started = Instant::now();
    let verifier = Verifier::load(&ModelDir::new(&args.models), VerifyConfig::default()).map_err(|e| e.to_string())?;
    let load_ms = ms(started);
    let photos = Photos { dir: args.models.join("test-images") };
    match args.mode {
        Mode::Timings { runs, warmup } => timings(&verifier, &photos, runs, warmup, load_ms),
        Mode::Scores => scores(&verifier, &photos),
    }
}

struct Photos {
    dir: PathBuf,
}

impl Photos {
    fn open(&self, name: &str) -> Result<Frame, String> {
        let path = self.dir.join(name);
        Frame::open(&path).map_err(|e| format!("test photo {}: {e} (scripts/face-models puts the test photos in MODEL_DIR/test-images)", path.display()))
    }

    /// The photo as a 640×480 camera would frame it (only for photos whose face is large in the
    /// picture, like obama2.jpg: the face must keep 36 px between the eyes).
    fn camera_frame(&self, name: &str) -> Result<Frame, String> {
        // Scaled to fit and centred on grey, as the tests' `as_camera_frame`.
        Ok(self.open(name)?.fitted(CAMERA_WIDTH, CAMERA_HEIGHT, BACKGROUND))
    }

    /// The photo as an ID card would hold it (landmarks from the pipeline itself).
    fn card(&self, verifier: &Verifier, name: &str) -> Result<Frame, String> {
        let photo = self.open(name)?;
        let analysis = verifier.analyse(&photo, FrameKind::Live, false, &mut Timings::default()).map_err(|e| format!("{name}: {e}"))?;
        let marks = analysis.landmarks.ok_or(format!("{name}: no face found, so no card photo can be simulated from it"))?;
        simulate_card_photo(&photo, &marks, &CardPhotoOptions::default()).map_err(|e| format!("card photo from {name}: {e}"))
    }
}

fn ms(since: Instant) -> f64 {
    since.elapsed().as_secs_f64() * 1000.0
}

/// A step's name and how to read its time from `Timings`.
type Step = (&'static str, fn(&Timings) -> f64);

/// The steps `Timings` reports.
const STEPS: [Step; 5] = [("detect", |t| t.detect), ("landmarks", |t| t.landmarks), ("align", |t| t.align), ("quality", |t| t.quality), ("embed", |t| t.embed)];

fn timings(verifier: &Verifier, photos: &Photos, runs: usize, warmup: usize, load_ms: f64) -> Result<(), String> {
    let live = photos.camera_frame("obama2.jpg")?;
    let card = photos.card(verifier, "obama.jpg")?;
    let live = std::slice::from_ref(&live);

    let verify = || verifier.verify(&card, live).map_err(|e| format!("verification failed: {e}"));
    let first = verify()?;
    let score = match first.score {
        Some(s) => s,
        None => {
            let reasons = |r: &face_auth::quality::QualityReport| r.reasons.iter().map(ToString::to_string).collect::<Vec<_>>().join("; ");
            return Err(format!("no score: card [{}], live [{}]", reasons(&first.quality.card), reasons(&first.quality.live[0])));
        }
    };
    for _ in 0..warmup {
        verify()?;
    }
    let mut all = Vec::with_capacity(runs);
    let wall = Instant::now();
    for _ in 0..runs {
        let v = verify()?;
        if v.score != Some(score) {
            return Err(format!("the score changed between runs ({:?} after {score}): the pipeline is not deterministic", v.score));
        }
        all.push(v.timings_ms);
    }
    let wall_ms = ms(wall);

    // Each picture alone, so the per-step figures can be split between card and live frame.
    let mut per_frame = [Vec::with_capacity(runs), Vec::with_capacity(runs)];
    for _ in 0..runs {
        for (times, (frame, kind)) in per_frame.iter_mut().zip([(&card, FrameKind::Card), (&live[0], FrameKind::Live)]) {
            let mut t = Timings::default();
            let start = Instant::now();
            verifier.analyse(frame, kind, false, &mut t).map_err(|e| format!("analysis failed: {e}"))?;
            t.total = ms(start);
            times.push(t);
        }
    }

    say!("face verification benchmark ({} build, {})", if cfg!(debug_assertions) { "DEBUG: not a benchmark" } else { "release" }, std::env::consts::ARCH);
    say!("cpu: {}", cpu_model().unwrap_or_else(|| "unknown".into()));
    say!(
        "live frame: obama2.jpg fitted to {}x{} on grey; card: obama.jpg simulated at {}x{} (GA 461 framing, JPEG q{DEFAULT_JPEG_QUALITY})",
        live[0].width(),
        live[0].height(),
        card.width(),
        card.height()
    );
    say!("models loaded (sha256 checks + tract optimisation) in {load_ms:.0} ms");
    say!("{runs} timed runs after {warmup} warm-up; score {score:.6} (threshold {}, match: {})", first.threshold, first.matched);
    say!();
    say!("{:<24} {:>8} {:>8} {:>8} {:>8}", "step (ms)", "p50", "p90", "max", "min");
    for (name, get) in STEPS {
        print_row(name, &all, get)?;
    }
    print_row("other (gray, pose, ...)", &all, |t| t.total - STEPS.iter().map(|(_, get)| get(t)).sum::<f64>())?;
    print_row("end to end", &all, |t| t.total)?;
    say!();
    say!("per picture, p50 ms      {:>8} {:>8}", "card", "live");
    let total: Step = ("total", |t| t.total);
    for (name, get) in STEPS.iter().copied().chain([total]) {
        say!("{:<24} {:>8.2} {:>8.2}", name, percentile(&per_frame[0], 0.5, get), percentile(&per_frame[1], 0.5, get));
    }
    say!();
    say!("mean over the timed runs: {:.1} ms per verification ({:.1} verifications/s)", wall_ms / runs as f64, runs as f64 * 1000.0 / wall_ms);
    match threads() {
        Some(n) => say!("threads in this process: {n}"),
        None => say!("threads in this process: unknown (no /proc/self/status)"),
    }
    if let Ok(load) = std::fs::read_to_string("/proc/loadavg") {
        say!("load average: {}", load.split_whitespace().take(3).collect::<Vec<_>>().join(" "));
    }
    Ok(())
}

fn print_row(name: &str, all: &[Timings], get: fn(&Timings) -> f64) -> Result<(), String> {
    let max = all.iter().map(get).fold(f64::MIN, f64::max);
    let min = all.iter().map(get).fold(f64::MAX, f64::min);
    say!("{:<24} {:>8.2} {:>8.2} {:>8.2} {:>8.2}", name, percentile(all, 0.5, get), percentile(all, 0.9, get), max, min);
    Ok(())
}

/// Nearest-rank percentile (`all` is never empty: runs ≥ 1).
fn percentile(all: &[Timings], p: f64, get: fn(&Timings) -> f64) -> f64 {
    let mut values: Vec<f64> = all.iter().map(get).collect();
    values.sort_by(f64::total_cmp);
    let rank = ((p * values.len() as f64).ceil() as usize).clamp(1, values.len());
    values[rank - 1]
}

fn cpu_model() -> Option<String> {
    let info = std::fs::read_to_string("/proc/cpuinfo").ok()?;
    let line = info.lines().find(|l| l.starts_with("model name"))?;
    Some(line.split_once(':')?.1.trim().to_string())
}

fn threads() -> Option<usize> {
    let status = std::fs::read_to_string("/proc/self/status").ok()?;
    status.lines().find_map(|l| l.strip_prefix("Threads:")).and_then(|n| n.trim().parse().ok())
}

fn scores(verifier: &Verifier, photos: &Photos) -> Result<(), String> {
    say!("# face_bench --scores: {} build, {}", if cfg!(debug_assertions) { "debug" } else { "release" }, std::env::consts::ARCH);
    say!("# card side ~ live side: cosine score (6 decimals), decision");
    let mut pairs: Vec<(String, Frame, String, Frame)> = Vec::new();
    // The photos as they are, against each other (the tall ones are group shots: fitted to
    // 640×480 their faces would fail the size gate, so the live side is the whole photo)...
    for (i, a) in PHOTOS.iter().enumerate() {
        for b in &PHOTOS[i + 1..] {
            pairs.push((format!("photo {a}"), photos.open(a)?, b.to_string(), photos.open(b)?));
        }
    }
    // ...a simulated card of each against every other photo...
    for a in PHOTOS {
        let card = photos.card(verifier, a)?;
        for b in PHOTOS.iter().filter(|b| **b != a) {
            pairs.push((format!("card of {a}"), card.clone(), b.to_string(), photos.open(b)?));
        }
    }
    // ...and the timing mode's pair.
    pairs.push(("card of obama.jpg".into(), photos.card(verifier, "obama.jpg")?, "obama2.jpg in 640x480".into(), photos.camera_frame("obama2.jpg")?));
    for (card_name, card, live_name, live) in &pairs {
        let v = verifier.verify(card, std::slice::from_ref(live)).map_err(|e| format!("{card_name} ~ {live_name}: {e}"))?;
        let label = format!("{card_name} ~ {live_name}");
        match v.score {
            Some(s) => say!("{label:<42} {s:.6} {}", if v.matched { "match" } else { "no match" }),
            None => {
                let reasons: Vec<String> = v.quality.card.reasons.iter().chain(&v.quality.live[0].reasons).map(ToString::to_string).collect();
                say!("{label:<42} none ({})", reasons.join("; "));
            }
        }
    }
    Ok(())
}
