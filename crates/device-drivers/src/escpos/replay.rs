//! Folds parsed [`Event`]s into a [`Layout`], the way a printer would put them on paper: the
//! printer simulator uses it for its text dump (and later its PNG), and the round-trip tests
//! compare it with the layout the renderer meant.
//!
//! Printer behaviour followed:
//! - `ESC a` only takes effect at the start of a line (as on Epson printers); mid-line it is
//!   ignored.
//! - Text that would run past the paper's columns wraps to a new line, counting magnified widths.
//! - `LF` prints the line; `ESC d`, a QR print and a cut print any pending text first.
//! - `ESC @` resets modes and discards unprinted text, as the printer clears its buffer.
//! - `HT` advances to the next tab stop (every 8 characters, the default); past the last stop on
//!   the line it is ignored.
//! - `CR`, code tables, Chinese mode and status requests do not change the layout.
//! - QR module size and error correction start at the ESC/POS defaults (3 dots, level L).

use super::command::{Align, Command, QrErrorCorrection, QrModel};
use super::layout::{Layout, LayoutItem, Line, QrSymbol, Run, RunStyle};
use super::paper::PaperWidth;
use super::parser::Event;
use super::text::char_columns;

/// The replay state. See the module docs.
#[derive(Debug, Clone)]
pub struct Replay {
    columns: usize,
    align: Align,
    style: RunStyle,
    qr_model: QrModel,
    qr_module_size: u8,
    qr_error_correction: QrErrorCorrection,
    qr_data: Vec<u8>,
    line: Vec<Run>,
    line_align: Align,
    line_columns: usize,
    items: Vec<LayoutItem>,
    unknown: Vec<Event>,
}

impl Replay {
    /// A printer with `paper` loaded, just switched on.
    pub fn new(paper: PaperWidth) -> Replay {
        Replay {
            columns: paper.columns(),
            align: Align::Left,
            style: RunStyle::default(),
            qr_model: QrModel::Model2,
            qr_module_size: 3,
            qr_error_correction: QrErrorCorrection::L,
            qr_data: Vec::new(),
            line: Vec::new(),
            line_align: Align::Left,
            line_columns: 0,
            items: Vec::new(),
            unknown: Vec::new(),
        }
    }

    fn end_line(&mut self) {
        let align = if self.line.is_empty() { self.align } else { self.line_align };
        self.items.push(LayoutItem::Line(Line { align, runs: std::mem::take(&mut self.line) }));
        self.line_columns = 0;
    }

    fn flush_pending(&mut self) {
        if !self.line.is_empty() {
            self.end_line();
        }
    }

    fn put_char(&mut self, c: char) {
        let width = char_columns(c) * usize::from(self.style.size.width.max(1));
        if !self.line.is_empty() && self.line_columns + width > self.columns {
            self.end_line();
        }
        if self.line.is_empty() {
            self.line_align = self.align;
        }
        match self.line.last_mut() {
            Some(run) if run.style == self.style => run.text.push(c),
            _ => self.line.push(Run { style: self.style, text: c.to_string() }),
        }
        self.line_columns += width;
    }

    /// Applies one event.
    pub fn apply(&mut self, event: &Event) {
        match event {
            Event::Text(text) => text.chars().for_each(|c| self.put_char(c)),
            Event::Command(command) => self.apply_command(command),
            Event::Unknown(_) | Event::Skipped(_) | Event::Truncated(_) => self.unknown.push(event.clone()),
        }
    }

    fn apply_command(&mut self, command: &Command) {
        match command {
            Command::Initialize => {
                let paper_columns = self.columns;
                let items = std::mem::take(&mut self.items);
                let unknown = std::mem::take(&mut self.unknown);
                *self = Replay { columns: paper_columns, items, unknown, ..Replay::new(PaperWidth::Mm58) };
            }
            Command::LineFeed => self.end_line(),
            Command::Tab => {
                // Tab stops every 8 characters of the current width; a tab past the last stop on
                // the line is ignored, as printers do.
                let unit = usize::from(self.style.size.width.max(1));
                let stop = 8 * unit;
                let next = (self.line_columns / stop + 1) * stop;
                if next <= self.columns {
                    for _ in 0..(next - self.line_columns).div_ceil(unit) {
                        self.put_char(' ');
                    }
                }
            }
            Command::Align(a) => {
                if self.line.is_empty() {
                    self.align = *a;
                }
            }
            Command::Size(size) => self.style.size = *size,
            Command::Bold(on) => self.style.bold = *on,
            Command::Feed(n) => {
                self.flush_pending();
                self.items.push(LayoutItem::Feed(*n));
            }
            Command::QrModel(m) => self.qr_model = *m,
            Command::QrModuleSize(n) => self.qr_module_size = *n,
            Command::QrErrorCorrection(ec) => self.qr_error_correction = *ec,
            Command::QrStore(data) => self.qr_data.clone_from(data),
            Command::QrPrint => {
                self.flush_pending();
                self.items.push(LayoutItem::Qr(QrSymbol {
                    align: self.align,
                    model: self.qr_model,
                    module_size: self.qr_module_size,
                    error_correction: self.qr_error_correction,
                    payload: self.qr_data.clone(),
                }));
            }
            Command::Cut(cut) => {
                self.flush_pending();
                self.items.push(LayoutItem::Cut(*cut));
            }
            // No effect on the layout (see the module docs).
            Command::CarriageReturn | Command::ChineseMode(_) | Command::ChineseQuadruple(_) | Command::CodeTable(_) | Command::StatusRequest(_) => {}
        }
    }

    /// Applies events in order.
    pub fn apply_all<'a>(&mut self, events: impl IntoIterator<Item = &'a Event>) {
        events.into_iter().for_each(|e| self.apply(e));
    }

    /// What has been printed so far (the pending, not yet fed line is not included).
    pub fn layout(&self) -> Layout {
        Layout { items: self.items.clone() }
    }

    /// Takes what has been printed so far out of the replay (the pending line stays), e.g. each
    /// ticket as its cut arrives; modes and the stored QR payload are kept, as on the printer.
    pub fn take_printed(&mut self) -> Layout {
        Layout { items: std::mem::take(&mut self.items) }
    }

    /// Events that were not understood, in order, for the simulator to log.
    pub fn unknown(&self) -> &[Event] {
        &self.unknown
    }

    /// Ends the replay: a pending line (text without its `LF`) is added as a last line, so a dump
    /// shows it, although a real printer would still hold it in its buffer.
    pub fn finish(mut self) -> Layout {
        self.flush_pending();
        Layout { items: self.items }
    }
}

/// Parses and replays a whole byte stream.
pub fn replay_bytes(bytes: &[u8], paper: PaperWidth) -> Layout {
    let mut replay = Replay::new(paper);
    replay.apply_all(&super::parser::parse(bytes));
    replay.finish()
}
