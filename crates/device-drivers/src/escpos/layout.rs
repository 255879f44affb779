//! A ticket as the printer lays it out: printed lines (with alignment and styled runs), QR
//! symbols, feeds and cuts. The renderer produces a [`Layout`] from a document and encodes it to
//! ESC/POS; the parser's [`Replay`](super::replay::Replay) folds received bytes back into a
//! `Layout`. A round trip is therefore a plain equality, and a text dump (or later a PNG) can be
//! drawn from either side.

use std::fmt::Write as _;

use super::command::{Align, CharSize, Command, Cut, QrErrorCorrection, QrModel};
use super::paper::PaperWidth;
use super::text::{char_columns, encode_safe};

/// The style of a run of text.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
pub struct RunStyle {
    /// Magnification.
    pub size: CharSize,
    /// Emphasis (`ESC E`).
    pub bold: bool,
}

/// Text printed in one style.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Run {
    /// The style.
    pub style: RunStyle,
    /// The characters (already safe for the printer).
    pub text: String,
}

impl Run {
    /// Columns this run takes on paper, magnification included.
    pub fn columns(&self) -> usize {
        self.text.chars().map(char_columns).sum::<usize>() * usize::from(self.style.size.width.max(1))
    }
}

/// One printed line.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Line {
    /// Alignment in effect when the line started.
    pub align: Align,
    /// The runs, left to right; none for an empty line.
    pub runs: Vec<Run>,
}

impl Line {
    /// The line's text without styles.
    pub fn text(&self) -> String {
        self.runs.iter().map(|r| r.text.as_str()).collect()
    }

    /// Columns the line takes on paper.
    pub fn columns(&self) -> usize {
        self.runs.iter().map(Run::columns).sum()
    }

    /// The tallest height multiplier on the line (1 for an empty line).
    pub fn height(&self) -> u8 {
        self.runs.iter().map(|r| r.style.size.height).max().unwrap_or(1)
    }
}

/// A printed QR symbol.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct QrSymbol {
    /// Alignment it was printed with.
    pub align: Align,
    /// Symbol model.
    pub model: QrModel,
    /// Module size in dots.
    pub module_size: u8,
    /// Error correction level.
    pub error_correction: QrErrorCorrection,
    /// The encoded bytes (hallkit sends UTF-8 text).
    pub payload: Vec<u8>,
}

/// One element of a layout.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum LayoutItem {
    /// A printed line.
    Line(Line),
    /// A QR symbol.
    Qr(QrSymbol),
    /// `n` lines fed without printing (`ESC d n`).
    Feed(u8),
    /// The paper was cut: a ticket ends here.
    Cut(Cut),
}

/// A laid-out ticket (or several, separated by [`LayoutItem::Cut`]).
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Layout {
    /// The items, top to bottom.
    pub items: Vec<LayoutItem>,
}

/// Printer modes the encoder tracks so it only sends a command when something changes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct Modes {
    align: Align,
    style: RunStyle,
}

impl Layout {
    /// The ESC/POS bytes that print this layout: `ESC @` and `FS &` (Chinese mode) first, then each
    /// item, sending alignment, size and bold only when they change. Text is GB18030
    /// ([`encode_safe`]); every line ends with `LF`.
    ///
    /// Layouts from [`Document::layout`](super::document::Document::layout) hold only printable
    /// text, with replacements already reported. In a layout built by hand, a character that
    /// cannot be encoded or is a control character is sent as `?` (visible, but not reported):
    /// run such text through [`make_safe`](super::text::make_safe) first to get the report.
    pub fn to_escpos(&self) -> Vec<u8> {
        let mut out = Vec::new();
        Command::Initialize.encode(&mut out);
        Command::ChineseMode(true).encode(&mut out);
        let mut modes = Modes { align: Align::Left, style: RunStyle::default() };
        for item in &self.items {
            match item {
                LayoutItem::Line(line) => {
                    set_align(&mut out, &mut modes, line.align);
                    for run in &line.runs {
                        set_style(&mut out, &mut modes, run.style);
                        out.extend_from_slice(&encode_safe(&run.text));
                    }
                    Command::LineFeed.encode(&mut out);
                }
                LayoutItem::Qr(qr) => {
                    set_align(&mut out, &mut modes, qr.align);
                    // Model, size and level are sent with every symbol: printers differ on whether
                    // `ESC @` resets them, so relying on remembered values is not safe.
                    Command::QrModel(qr.model).encode(&mut out);
                    Command::QrModuleSize(qr.module_size).encode(&mut out);
                    Command::QrErrorCorrection(qr.error_correction).encode(&mut out);
                    Command::QrStore(qr.payload.clone()).encode(&mut out);
                    Command::QrPrint.encode(&mut out);
                }
                LayoutItem::Feed(n) => Command::Feed(*n).encode(&mut out),
                LayoutItem::Cut(cut) => Command::Cut(*cut).encode(&mut out),
            }
        }
        out
    }

    /// Splits at cuts: one layout per ticket, each ending with its cut (the last one may have
    /// none, if the bytes ended before a cut).
    pub fn tickets(&self) -> Vec<Layout> {
        let mut tickets = Vec::new();
        let mut current = Layout::default();
        for item in &self.items {
            let is_cut = matches!(item, LayoutItem::Cut(_));
            current.items.push(item.clone());
            if is_cut {
                tickets.push(std::mem::take(&mut current));
            }
        }
        if !current.items.is_empty() {
            tickets.push(current);
        }
        tickets
    }

    /// The printed lines' texts, top to bottom (QR symbols, feeds and cuts left out).
    pub fn line_texts(&self) -> Vec<String> {
        self.items
            .iter()
            .filter_map(|i| match i {
                LayoutItem::Line(l) => Some(l.text()),
                _ => None,
            })
            .collect()
    }

    /// The QR payloads, top to bottom.
    pub fn qr_payloads(&self) -> Vec<&[u8]> {
        self.items
            .iter()
            .filter_map(|i| match i {
                LayoutItem::Qr(q) => Some(q.payload.as_slice()),
                _ => None,
            })
            .collect()
    }

    /// A text dump for tests and people: one row per printed line, `|` then the line placed as
    /// the printer would (alignment within the paper's columns, counting magnified width), then a
    /// tag with the largest size and `B` for bold. QR symbols, feeds and cuts get a row each.
    ///
    /// ```text
    /// |     徐汇区行政服务中心              1x2 B
    /// |            A012                     4x4 B
    /// |[QR model2 6 M] https://example.org/t/A012
    /// |~~ feed 4 ~~
    /// |-------- cut (partial) --------
    /// ```
    /// Magnified characters are shown once, so a ×4 number looks small here but is placed where
    /// its full width puts it.
    pub fn to_text(&self, paper: PaperWidth) -> String {
        let columns = paper.columns();
        let mut out = String::new();
        for item in &self.items {
            match item {
                LayoutItem::Line(line) => {
                    let used = line.columns();
                    let free = columns.saturating_sub(used);
                    let left = match line.align {
                        Align::Left => 0,
                        Align::Center => free / 2,
                        Align::Right => free,
                    };
                    let text = line.text();
                    let shown = text.chars().map(char_columns).sum::<usize>();
                    let pad_right = columns.saturating_sub(left + shown);
                    let width = line.runs.iter().map(|r| r.style.size.width).max().unwrap_or(1);
                    let bold = line.runs.iter().any(|r| r.style.bold);
                    let _ =
                        writeln!(out, "|{}{}{}  {}x{}{}", " ".repeat(left), text, " ".repeat(pad_right), width, line.height(), if bold { " B" } else { "" });
                }
                LayoutItem::Qr(qr) => {
                    let model = match qr.model {
                        QrModel::Model1 => "model1",
                        QrModel::Model2 => "model2",
                        QrModel::Micro => "micro",
                    };
                    let _ = writeln!(out, "|[QR {model} {} {:?}] {}", qr.module_size, qr.error_correction, String::from_utf8_lossy(&qr.payload));
                }
                LayoutItem::Feed(n) => {
                    let _ = writeln!(out, "|~~ feed {n} ~~");
                }
                LayoutItem::Cut(cut) => {
                    let kind = match cut {
                        Cut::Full | Cut::FeedFull { .. } => "full",
                        Cut::Partial | Cut::FeedPartial { .. } => "partial",
                    };
                    let _ = writeln!(out, "|-------- cut ({kind}) --------");
                }
            }
        }
        out
    }
}

fn set_align(out: &mut Vec<u8>, modes: &mut Modes, align: Align) {
    if modes.align != align {
        Command::Align(align).encode(out);
        modes.align = align;
    }
}

fn set_style(out: &mut Vec<u8>, modes: &mut Modes, style: RunStyle) {
    if modes.style.size != style.size {
        Command::Size(style.size).encode(out);
    }
    if modes.style.bold != style.bold {
        Command::Bold(style.bold).encode(out);
    }
    modes.style = style;
}
