//! Calibration plots: the ROC curve and the genuine/impostor score histograms, as PNG.
//!
//! Drawn with `plotters` into an RGB buffer and encoded with `image`. Text needs a font file,
//! given by path (TrueType/OpenType, or one face of a `.ttc` collection by index), e.g. Debian's
//! `fonts-wqy-microhei` at `/usr/share/fonts/truetype/wqy/wqy-microhei.ttc`. The plots hold
//! scores only, no face data.

use std::path::{Path, PathBuf};
use std::sync::Mutex;

use image::ImageEncoder;
use plotters::coord::Shift;
use plotters::coord::combinators::IntoLogRange;
use plotters::prelude::*;
use plotters::style::{FontStyle, RelativeSize};
use thiserror::Error;

use super::stats::{CalibrationReport, ClassSummary, Scores, StatsError, ThresholdBasis, roc_curve};

/// Debian's WenQuanYi Micro Hei (package `fonts-wqy-microhei`): Latin and Chinese.
pub const DEBIAN_WQY_MICROHEI: &str = "/usr/share/fonts/truetype/wqy/wqy-microhei.ttc";

/// A font file, and which face of it for a collection (`.ttc`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FontSpec {
    /// The `.ttf`, `.otf` or `.ttc` file.
    pub path: PathBuf,
    /// The face in a collection (0 for the first; must be 0 for a single font).
    pub index: u32,
}

impl FontSpec {
    /// The first face of a font file.
    pub fn new(path: impl Into<PathBuf>) -> Self {
        Self { path: path.into(), index: 0 }
    }
}

/// How plots are drawn.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PlotStyle {
    /// The font for all text.
    pub font: FontSpec,
    /// Width in pixels.
    pub width: u32,
    /// Height in pixels.
    pub height: u32,
}

impl PlotStyle {
    /// 1000×700 plots in `font`.
    pub fn new(font: FontSpec) -> Self {
        Self { font, width: 1000, height: 700 }
    }
}

/// The smallest plot side that leaves room for the axes, labels and the side panel.
pub const MIN_SIDE: u32 = 600;
/// The largest plot side.
pub const MAX_SIDE: u32 = 8000;

/// Why a plot could not be drawn or written.
#[derive(Debug, Error)]
#[non_exhaustive]
pub enum PlotError {
    /// The font file does not exist.
    #[error("font file {path} not found: give the path of a TrueType/OpenType font (Debian: install fonts-wqy-microhei for {DEBIAN_WQY_MICROHEI})")]
    FontMissing {
        /// The path given.
        path: PathBuf,
    },
    /// The font file could not be read.
    #[error("cannot read font file {path}: {source}")]
    FontRead {
        /// The path given.
        path: PathBuf,
        /// Why.
        source: std::io::Error,
    },
    /// The font file is not a usable font.
    #[error("{path} is not a TrueType/OpenType font or collection that can be read")]
    FontInvalid {
        /// The path given.
        path: PathBuf,
    },
    /// The font face index is not in the file.
    #[error("{path} holds {count} font face(s); face {index} does not exist (the first is 0)")]
    FontIndex {
        /// The path given.
        path: PathBuf,
        /// The face asked for.
        index: u32,
        /// The faces in the file.
        count: u32,
    },
    /// The plot size is out of range.
    #[error("a plot of {width}×{height} is out of range: each side must be {MIN_SIDE}–{MAX_SIDE} pixels")]
    Size {
        /// Width asked for.
        width: u32,
        /// Height asked for.
        height: u32,
    },
    /// The scores cannot be plotted.
    #[error(transparent)]
    Stats(#[from] StatsError),
    /// Drawing failed.
    #[error("drawing the plot failed: {0}")]
    Draw(String),
    /// PNG encoding failed.
    #[error("encoding the plot as PNG failed: {0}")]
    Encode(String),
    /// The PNG file could not be written.
    #[error("cannot write plot {path}: {source}")]
    Write {
        /// The file.
        path: PathBuf,
        /// Why.
        source: std::io::Error,
    },
}

fn draw_err<E: std::fmt::Debug>(e: E) -> PlotError {
    PlotError::Draw(format!("{e:?}"))
}

/// Fonts registered with plotters so far: (file, face) → family name. plotters keeps fonts in
/// a process-wide table and wants `'static` bytes, so each file is read and leaked once.
static FONTS: Mutex<Vec<(PathBuf, u32, String)>> = Mutex::new(Vec::new());

/// Registers the font with plotters (once per file and face) and gives its family name.
fn font_family(font: &FontSpec) -> Result<String, PlotError> {
    let mut fonts = FONTS.lock().unwrap_or_else(|e| e.into_inner());
    if let Some((_, _, name)) = fonts.iter().find(|(p, i, _)| *p == font.path && *i == font.index) {
        return Ok(name.clone());
    }
    let bytes = std::fs::read(&font.path).map_err(|source| match source.kind() {
        std::io::ErrorKind::NotFound => PlotError::FontMissing { path: font.path.clone() },
        _ => PlotError::FontRead { path: font.path.clone(), source },
    })?;
    let bytes = select_face(bytes, font)?;
    let name = format!("hallkit-calibrate-font-{}", fonts.len());
    let leaked: &'static [u8] = Box::leak(bytes.into_boxed_slice());
    plotters::style::register_font(&name, FontStyle::Normal, leaked).map_err(|_| PlotError::FontInvalid { path: font.path.clone() })?;
    fonts.push((font.path.clone(), font.index, name.clone()));
    Ok(name)
}

/// plotters reads the first face of a collection only: for another face, point the
/// collection's first entry at it (table offsets in a collection are from the file's start,
/// so the face reads the same from there).
fn select_face(mut bytes: Vec<u8>, font: &FontSpec) -> Result<Vec<u8>, PlotError> {
    let u32_at = |b: &[u8], at: usize| b.get(at..at + 4).map(|s| u32::from_be_bytes([s[0], s[1], s[2], s[3]]));
    if bytes.get(..4) != Some(b"ttcf".as_slice()) {
        return if font.index == 0 { Ok(bytes) } else { Err(PlotError::FontIndex { path: font.path.clone(), index: font.index, count: 1 }) };
    }
    let invalid = || PlotError::FontInvalid { path: font.path.clone() };
    let count = u32_at(&bytes, 8).ok_or_else(invalid)?;
    if font.index >= count {
        return Err(PlotError::FontIndex { path: font.path.clone(), index: font.index, count });
    }
    let offset = u32_at(&bytes, 12 + 4 * font.index as usize).ok_or_else(invalid)?;
    bytes[12..16].copy_from_slice(&offset.to_be_bytes());
    Ok(bytes)
}

/// Draws into an RGB buffer and encodes it as PNG.
fn render(style: &PlotStyle, draw: impl FnOnce(&DrawingArea<BitMapBackend<'_>, Shift>, &str) -> Result<(), PlotError>) -> Result<Vec<u8>, PlotError> {
    let (w, h) = (style.width, style.height);
    if !(MIN_SIDE..=MAX_SIDE).contains(&w) || !(MIN_SIDE..=MAX_SIDE).contains(&h) {
        return Err(PlotError::Size { width: w, height: h });
    }
    let family = font_family(&style.font)?;
    let mut buf = vec![255u8; w as usize * h as usize * 3];
    {
        let backend = BitMapBackend::with_buffer_and_format(&mut buf, (w, h)).map_err(draw_err)?;
        let area = backend.into_drawing_area();
        area.fill(&WHITE).map_err(draw_err)?;
        draw(&area, &family)?;
        area.present().map_err(draw_err)?;
    }
    let mut png = Vec::new();
    image::codecs::png::PngEncoder::new(&mut png).write_image(&buf, w, h, image::ExtendedColorType::Rgb8).map_err(|e| PlotError::Encode(e.to_string()))?;
    Ok(png)
}

const GENUINE_COLOR: RGBColor = RGBColor(0, 140, 70);
const IMPOSTOR_COLOR: RGBColor = RGBColor(40, 90, 200);
const THRESHOLD_COLOR: RGBColor = RGBColor(210, 30, 30);
const TARGET_COLOR: RGBColor = RGBColor(120, 120, 120);
const SHADE_COLOR: RGBColor = RGBColor(225, 225, 225);

/// The share of the width the chart takes; the rest is a panel with the key and the numbers,
/// so no text ever lies over the data.
const CHART_SHARE: f64 = 0.66;

/// A line of the side panel, with the mark it explains.
enum Key {
    /// A heading, no mark.
    Heading,
    /// Indented text under a heading.
    Detail,
    /// A solid line.
    Line(RGBColor),
    /// A dashed line.
    Dashed(RGBColor),
    /// A ring.
    Ring(RGBColor),
    /// A filled bar.
    Bar(RGBColor),
}

/// Draws the side panel: one line of text per entry, with its mark on the left.
fn draw_panel(area: &DrawingArea<BitMapBackend<'_>, Shift>, family: &str, lines: &[(Key, String)]) -> Result<(), PlotError> {
    let (x0, y0, step) = (12, 70, 27);
    for (i, (key, text)) in lines.iter().enumerate() {
        let y = y0 + step * i as i32;
        let mid = y + 9;
        match key {
            Key::Heading | Key::Detail => {}
            Key::Line(c) => area.draw(&PathElement::new([(x0, mid), (x0 + 26, mid)], c.stroke_width(3))).map_err(draw_err)?,
            Key::Dashed(c) => {
                for dx in [0, 10, 20] {
                    area.draw(&PathElement::new([(x0 + dx, mid), (x0 + dx + 6, mid)], c.stroke_width(2))).map_err(draw_err)?;
                }
            }
            Key::Ring(c) => area.draw(&Circle::new((x0 + 13, mid), 7, c.stroke_width(3))).map_err(draw_err)?,
            Key::Bar(c) => area.draw(&Rectangle::new([(x0 + 2, mid - 7), (x0 + 24, mid + 7)], c.mix(0.45).filled())).map_err(draw_err)?,
        }
        let indent = match key {
            Key::Heading => 0,
            Key::Detail => 48,
            _ => 36,
        };
        let style = if matches!(key, Key::Heading) { (family, 19.0).into_font().style(FontStyle::Bold) } else { (family, 17.0).into_font() };
        area.draw(&Text::new(text.clone(), (x0 + indent, y), style)).map_err(draw_err)?;
    }
    Ok(())
}

/// The ROC curve as a PNG: TAR against FAR on a log axis, the FAR targets (dashed) and the
/// suggested threshold (red ring) marked, the numbers in a side panel. FARs below one
/// impostor pair (1/N) cannot be measured; that region is shaded, and the best point with no
/// false accept is drawn at its left edge.
pub fn render_roc(scores: &Scores, report: &CalibrationReport, style: &PlotStyle) -> Result<Vec<u8>, PlotError> {
    let mut roc = roc_curve(scores)?;
    // Of the points with no false accept, only the best says anything (the others are higher
    // thresholds that reject more genuine pairs for nothing).
    let best_at_zero = roc.iter().filter(|p| p.far == 0.0).map(|p| p.tar).fold(0.0, f64::max);
    roc.retain(|p| p.far > 0.0 || p.tar == best_at_zero);
    roc.dedup_by(|b, a| a.far == 0.0 && b.far == 0.0);
    let n_imp = report.impostor.count;
    let floor = 1.0 / n_imp as f64;
    // A decade below both the smallest target and 1/N, so both are visible.
    let x_min = 10f64.powf((floor.min(1e-4)).log10().floor() - 1.0);
    let clip = |far: f64| far.max(x_min);
    let min_tar = roc.iter().map(|p| p.tar).fold(1.0, f64::min);
    let y_min = ((min_tar * 10.0).floor() / 10.0).clamp(0.0, 0.9);
    // Headroom above 100% so a curve along the top stays visible.
    let y_max = 1.0 + (1.0 - y_min) * 0.03;
    let fine = 1.0 - y_min < 0.25;
    let far_text = |far: f64| {
        let accepted = (far * n_imp as f64).round() as usize;
        if accepted == 0 { format!("FAR 0 ({n_imp} impostor pairs)") } else { format!("FAR {far:.1e} ({accepted} of {n_imp})") }
    };

    let s = &report.suggested;
    let mut panel = vec![
        (Key::Heading, "ROC".to_string()),
        (Key::Line(IMPOSTOR_COLOR), "TAR against FAR".to_string()),
        (Key::Heading, "Suggested threshold".to_string()),
        (Key::Ring(THRESHOLD_COLOR), format!("{:.4}", s.threshold)),
        (Key::Detail, format!("TAR {:.2}%", s.tar * 100.0)),
        (Key::Detail, far_text(s.far)),
        (Key::Detail, basis_short(s.basis).to_string()),
        (Key::Heading, "TAR at FAR".to_string()),
    ];
    for t in &report.tar_at_far {
        let text = match (t.tar, t.threshold) {
            (Some(tar), Some(th)) => format!("{:.0e}: {:.2}% at {:.4}", t.far_target, tar * 100.0, th),
            _ => format!("{:.0e}: needs {} impostor pairs", t.far_target, t.min_impostors),
        };
        panel.push((Key::Dashed(TARGET_COLOR), text));
    }
    panel.push((Key::Heading, "Equal error rate".to_string()));
    panel.push((Key::Detail, format!("{:.2}% at {:.4}", report.eer.rate * 100.0, report.eer.threshold)));
    if floor > x_min {
        panel.push((Key::Bar(SHADE_COLOR), format!("FAR < 1/{n_imp}: not measurable")));
    }

    render(style, |area, family| {
        let font = |size: f64| (family, size).into_font();
        let title = format!("ROC: {} genuine, {} impostor pairs", report.genuine.count, report.impostor.count);
        let area = area.margin(12, 0, 0, 0).titled(&title, font(26.0)).map_err(draw_err)?;
        let (left, right) = area.split_horizontally(RelativeSize::Width(CHART_SHARE));
        let mut chart = ChartBuilder::on(&left)
            .margin(15)
            .x_label_area_size(55)
            .y_label_area_size(80)
            .build_cartesian_2d((x_min..1.0f64).log_scale(), y_min..y_max)
            .map_err(draw_err)?;
        chart
            .configure_mesh()
            .x_desc("FAR (false accept rate, log scale)")
            .y_desc("TAR (true accept rate)")
            .label_style(font(17.0))
            .axis_desc_style(font(19.0))
            .x_label_formatter(&|v| if *v >= 0.99 { "1".to_string() } else { format!("{v:.0e}") })
            .y_label_formatter(&|v| if fine { format!("{:.1}%", v * 100.0) } else { format!("{:.0}%", v * 100.0) })
            .light_line_style(RGBColor(235, 235, 235))
            .draw()
            .map_err(draw_err)?;
        // Below one impostor pair there is no measurement.
        if floor > x_min {
            chart.draw_series([Rectangle::new([(x_min, y_min), (floor, y_max)], SHADE_COLOR.mix(0.6).filled())]).map_err(draw_err)?;
        }
        for t in &report.tar_at_far {
            let x = t.far_target;
            chart.draw_series(DashedLineSeries::new([(x, y_min), (x, y_max)], 6, 4, TARGET_COLOR.stroke_width(1))).map_err(draw_err)?;
        }
        chart.draw_series(LineSeries::new(roc.iter().map(|p| (clip(p.far), p.tar)), IMPOSTOR_COLOR.stroke_width(3))).map_err(draw_err)?;
        chart.draw_series([Circle::new((clip(s.far), s.tar), 8, THRESHOLD_COLOR.stroke_width(3))]).map_err(draw_err)?;
        draw_panel(&right, family, &panel)
    })
}

/// The rule behind the suggestion, in a few words.
fn basis_short(basis: ThresholdBasis) -> &'static str {
    match basis {
        ThresholdBasis::Far1e3 => "rule: at FAR 1e-3",
        ThresholdBasis::SeparationMidpoint => "rule: midpoint of the gap",
        ThresholdBasis::Eer => "rule: equal error rate",
    }
}

/// The number of histogram bins.
const BINS: usize = 50;

/// The genuine and impostor score histograms as a PNG, each as a share of its own class (their
/// counts differ by orders of magnitude), with the suggested threshold marked.
pub fn render_histograms(scores: &Scores, report: &CalibrationReport, style: &PlotStyle) -> Result<Vec<u8>, PlotError> {
    // Validates the scores (finite, both classes present) the same way the report did.
    roc_curve(scores)?;
    let lo = report.genuine.min.min(report.impostor.min) as f64;
    let hi = report.genuine.max.max(report.impostor.max) as f64;
    let pad = ((hi - lo) * 0.05).max(0.02);
    let (x0, x1) = (lo - pad, hi + pad);
    let width = (x1 - x0) / BINS as f64;
    let shares = |values: &[f32]| {
        let mut bins = vec![0usize; BINS];
        for &v in values {
            let i = (((v as f64 - x0) / width).floor().max(0.0) as usize).min(BINS - 1);
            bins[i] += 1;
        }
        bins.into_iter().map(|c| c as f64 * 100.0 / values.len() as f64).collect::<Vec<f64>>()
    };
    let (genuine, impostor) = (shares(&scores.genuine), shares(&scores.impostor));
    let y_max = genuine.iter().chain(&impostor).fold(0.0f64, |a, &b| a.max(b)) * 1.08;
    let s = &report.suggested;
    let threshold = s.threshold as f64;
    let summary = |name: &str, c: &ClassSummary| format!("{name}: mean {:.3}, {:.3} to {:.3}", c.mean, c.min, c.max);
    let panel = vec![
        (Key::Heading, "Pairs".to_string()),
        (Key::Bar(GENUINE_COLOR), format!("genuine (same person): {}", report.genuine.count)),
        (Key::Bar(IMPOSTOR_COLOR), format!("impostor: {}", report.impostor.count)),
        (Key::Detail, "bars: share of each class per bin".to_string()),
        (Key::Heading, "Scores".to_string()),
        (Key::Detail, summary("genuine", &report.genuine)),
        (Key::Detail, summary("impostor", &report.impostor)),
        (Key::Heading, "Suggested threshold".to_string()),
        (Key::Line(THRESHOLD_COLOR), format!("{:.4}", s.threshold)),
        (Key::Detail, format!("TAR {:.2}%, FAR {:.2e}", s.tar * 100.0, s.far)),
        (Key::Detail, basis_short(s.basis).to_string()),
    ];

    render(style, |area, family| {
        let font = |size: f64| (family, size).into_font();
        let area = area.margin(12, 0, 0, 0).titled("Score distributions", font(26.0)).map_err(draw_err)?;
        let (left, right) = area.split_horizontally(RelativeSize::Width(CHART_SHARE));
        let mut chart =
            ChartBuilder::on(&left).margin(15).x_label_area_size(55).y_label_area_size(80).build_cartesian_2d(x0..x1, 0.0..y_max).map_err(draw_err)?;
        chart
            .configure_mesh()
            .x_desc("similarity score")
            .y_desc("share of the class's pairs per bin")
            .label_style(font(17.0))
            .axis_desc_style(font(19.0))
            .x_label_formatter(&|v| format!("{v:.2}"))
            .y_label_formatter(&|v| format!("{v:.0}%"))
            .light_line_style(RGBColor(235, 235, 235))
            .draw()
            .map_err(draw_err)?;
        for (bins, color) in [(&impostor, IMPOSTOR_COLOR), (&genuine, GENUINE_COLOR)] {
            let bars = || {
                bins.iter().enumerate().filter(|(_, s)| **s > 0.0).map(move |(i, &s)| {
                    let left = x0 + i as f64 * width;
                    [(left, 0.0), (left + width, s)]
                })
            };
            chart.draw_series(bars().map(|r| Rectangle::new(r, color.mix(0.45).filled()))).map_err(draw_err)?;
            // Outlines keep overlapping bars readable.
            chart.draw_series(bars().map(|r| Rectangle::new(r, color.stroke_width(1)))).map_err(draw_err)?;
        }
        chart.draw_series(LineSeries::new([(threshold, 0.0), (threshold, y_max)], THRESHOLD_COLOR.stroke_width(3))).map_err(draw_err)?;
        draw_panel(&right, family, &panel)
    })
}

/// Writes a PNG made by [`render_roc`] or [`render_histograms`] to a file.
pub fn write_png(png: &[u8], path: &Path) -> Result<(), PlotError> {
    std::fs::write(path, png).map_err(|source| PlotError::Write { path: path.to_path_buf(), source })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn font() -> Option<FontSpec> {
        let path = Path::new(DEBIAN_WQY_MICROHEI);
        if path.exists() {
            Some(FontSpec::new(path))
        } else {
            eprintln!("skipped: {DEBIAN_WQY_MICROHEI} is not installed (apt install fonts-wqy-microhei)");
            None
        }
    }

    /// Deterministic scores: impostors around 0.1, genuine around 0.75, overlapping a little.
    fn sample_scores(n_gen: usize, n_imp: usize) -> Scores {
        sample_scores_at(0.75, n_gen, n_imp)
    }

    fn sample_scores_at(genuine_centre: f32, n_gen: usize, n_imp: usize) -> Scores {
        let wave = |i: usize, n: usize| ((i as f32 * 12.9898).sin() * 43758.545).fract() * 0.5 + (i as f32 / n as f32 - 0.5) * 0.3;
        Scores {
            genuine: (0..n_gen).map(|i| (genuine_centre + wave(i, n_gen) * 0.4).clamp(-1.0, 1.0)).collect(),
            impostor: (0..n_imp).map(|i| (0.1 + wave(i + 7, n_imp) * 0.35).clamp(-1.0, 1.0)).collect(),
        }
    }

    fn decode(png: &[u8]) -> image::RgbImage {
        image::load_from_memory_with_format(png, image::ImageFormat::Png).expect("a valid PNG").to_rgb8()
    }

    #[test]
    fn roc_and_histograms_are_pngs_of_the_asked_size_with_the_threshold_drawn() {
        let Some(font) = font() else { return };
        let scores = sample_scores(300, 3000);
        let report = CalibrationReport::from_scores(&scores).unwrap();
        let style = PlotStyle { font, width: 1200, height: 750 };
        for png in [render_roc(&scores, &report, &style).unwrap(), render_histograms(&scores, &report, &style).unwrap()] {
            let img = decode(&png);
            assert_eq!(img.dimensions(), (1200, 750));
            // The threshold's red and both classes' colours are on the plot.
            let has = |want: [u8; 3]| img.pixels().any(|p| p.0 == want);
            assert!(has([210, 30, 30]), "no threshold mark");
            assert!(has([40, 90, 200]), "no impostor/ROC colour");
        }
        let hist = decode(&render_histograms(&scores, &report, &style).unwrap());
        assert!(hist.pixels().any(|p| p.0 == [0, 140, 70]), "no genuine bars");

        // Writing goes where asked.
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("roc.png");
        write_png(&render_roc(&scores, &report, &style).unwrap(), &path).unwrap();
        assert_eq!(decode(&std::fs::read(&path).unwrap()).dimensions(), (1200, 750));
        if let Ok(out) = std::env::var("HALLKIT_CALIBRATE_PLOTS") {
            // For looking at the plots by eye.
            write_png(&render_roc(&scores, &report, &style).unwrap(), &Path::new(&out).join("roc.png")).unwrap();
            write_png(&render_histograms(&scores, &report, &style).unwrap(), &Path::new(&out).join("hist.png")).unwrap();
            let few = sample_scores(12, 40);
            let few_report = CalibrationReport::from_scores(&few).unwrap();
            write_png(&render_roc(&few, &few_report, &style).unwrap(), &Path::new(&out).join("roc-few.png")).unwrap();
            write_png(&render_histograms(&few, &few_report, &style).unwrap(), &Path::new(&out).join("hist-few.png")).unwrap();
            let overlap = sample_scores_at(0.45, 500, 20000);
            let overlap_report = CalibrationReport::from_scores(&overlap).unwrap();
            write_png(&render_roc(&overlap, &overlap_report, &style).unwrap(), &Path::new(&out).join("roc-overlap.png")).unwrap();
            write_png(&render_histograms(&overlap, &overlap_report, &style).unwrap(), &Path::new(&out).join("hist-overlap.png")).unwrap();
        }
    }

    #[test]
    fn font_problems_are_typed_errors() {
        let scores = sample_scores(10, 20);
        let report = CalibrationReport::from_scores(&scores).unwrap();
        let missing = PlotStyle::new(FontSpec::new("/nonexistent/font.ttf"));
        let err = render_roc(&scores, &report, &missing).unwrap_err();
        assert!(matches!(err, PlotError::FontMissing { .. }), "{err}");
        assert!(err.to_string().contains("/nonexistent/font.ttf"));

        let dir = tempfile::tempdir().unwrap();
        let junk = dir.path().join("junk.ttf");
        std::fs::write(&junk, b"this is not a font").unwrap();
        assert!(matches!(render_histograms(&scores, &report, &PlotStyle::new(FontSpec::new(&junk))), Err(PlotError::FontInvalid { .. })));
        assert!(matches!(render_histograms(&scores, &report, &PlotStyle::new(FontSpec { path: junk, index: 1 })), Err(PlotError::FontIndex { count: 1, .. })));

        let Some(font) = font() else { return };
        // wqy-microhei.ttc holds two faces (Micro Hei and Micro Hei Mono).
        let second = PlotStyle::new(FontSpec { index: 1, ..font.clone() });
        assert_eq!(decode(&render_roc(&scores, &report, &second).unwrap()).dimensions(), (1000, 700));
        let ninth = PlotStyle::new(FontSpec { index: 9, ..font.clone() });
        assert!(matches!(render_roc(&scores, &report, &ninth), Err(PlotError::FontIndex { index: 9, count: 2, .. })));
        let tiny = PlotStyle { font, width: 10, height: 10 };
        assert!(matches!(render_roc(&scores, &report, &tiny), Err(PlotError::Size { .. })));
    }

    #[test]
    fn bad_scores_are_stats_errors() {
        let scores = sample_scores(10, 20);
        let report = CalibrationReport::from_scores(&scores).unwrap();
        let style = PlotStyle::new(FontSpec::new(DEBIAN_WQY_MICROHEI));
        let empty = Scores { genuine: vec![], impostor: vec![0.1] };
        assert!(matches!(render_roc(&empty, &report, &style), Err(PlotError::Stats(_))));
        assert!(matches!(render_histograms(&empty, &report, &style), Err(PlotError::Stats(_))));
    }
}
