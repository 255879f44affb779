//! The queue ticket and its template: which fields go where, in what style. A template is plain
//! data (serde), so a hall can change its ticket in configuration; [`TicketTemplate::default`] is
//! a typical government-hall ticket in Chinese.
//!
//! Template text may hold placeholders: `{hall}`, `{number}`, `{service}`, `{ahead}`, `{time}`
//! (formatted with [`TicketTemplate::time_format`], chrono `strftime` syntax) and `{qr}`; `{{` and
//! `}}` stand for literal braces. An item whose placeholder has no value on the ticket (`{ahead}`
//! when the count is unknown, `{qr}` without a link) is left out, rather than printed half-empty.

use std::fmt::Write as _;

use chrono::NaiveDateTime;
use chrono::format::{Item, StrftimeItems};
use serde::{Deserialize, Serialize};

use super::command::{Align, Cut, QrErrorCorrection};
use super::document::{Block, Document, QrBlock, TextStyle};
use super::paper::PrinterProfile;
use super::{RenderError, Rendered};

/// What a queue ticket says.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Ticket {
    /// The hall's name, e.g. 徐汇区行政服务中心.
    pub hall: String,
    /// The display number, e.g. A012.
    pub number: String,
    /// The service, e.g. 户籍办理.
    pub service: String,
    /// People waiting ahead, when known.
    pub ahead: Option<u32>,
    /// When the ticket was issued, in the hall's local time.
    pub issued_at: NaiveDateTime,
    /// A link for the QR code (progress, rating), if any.
    pub qr: Option<String>,
    /// Footer notes, one or more lines each.
    pub notes: Vec<String>,
}

impl Ticket {
    /// The technician's test ticket (`kiosk doctor printer --test-ticket`): Chinese text in every
    /// size the default template uses, a large number, a QR code and the footer notes.
    pub fn sample(issued_at: NaiveDateTime) -> Ticket {
        Ticket {
            hall: "徐汇区行政服务中心".into(),
            number: "A012".into(),
            service: "户籍办理".into(),
            ahead: Some(3),
            issued_at,
            qr: Some("https://example.org/hallkit/ticket/A012".into()),
            notes: vec!["请留意叫号".into(), "过号请重新取号".into()],
        }
    }
}

/// One element of a template.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
#[non_exhaustive]
pub enum TemplateItem {
    /// Text with placeholders.
    Text {
        /// The text.
        text: String,
        /// Its style.
        #[serde(default)]
        style: TextStyle,
    },
    /// The ticket's footer notes, each a text block in `style`.
    Notes {
        /// Style of every note.
        #[serde(default)]
        style: TextStyle,
    },
    /// The ticket's QR link (left out with its caption when the ticket has none).
    Qr {
        /// Module size in dots, 1–16.
        module_size: u8,
        /// Error correction level.
        #[serde(default)]
        error_correction: QrErrorCorrection,
        /// Alignment.
        #[serde(default)]
        align: Align,
        /// Text printed under the symbol, e.g. 扫码查看排队进度.
        #[serde(default)]
        caption: Option<String>,
        /// The caption's style.
        #[serde(default)]
        caption_style: TextStyle,
    },
    /// A separator line.
    Rule,
    /// Feed lines.
    Feed {
        /// How many.
        lines: u8,
    },
    /// Cut.
    Cut {
        /// How.
        cut: Cut,
    },
}

/// Where each field of a [`Ticket`] goes.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct TicketTemplate {
    /// chrono `strftime` format for `{time}`.
    pub time_format: String,
    /// The items, top to bottom.
    pub items: Vec<TemplateItem>,
}

impl Default for TicketTemplate {
    /// 徐汇区行政服务中心 / 户籍办理 / **A012** (×4) / 您前面还有 3 人 / time / QR / notes / cut.
    fn default() -> Self {
        let center = TextStyle::centered();
        TicketTemplate {
            time_format: "%Y-%m-%d %H:%M:%S".to_string(),
            items: vec![
                TemplateItem::Text { text: "{hall}".into(), style: center.sized(1, 2).bold() },
                TemplateItem::Rule,
                TemplateItem::Text { text: "{service}".into(), style: center.sized(2, 2) },
                TemplateItem::Feed { lines: 1 },
                TemplateItem::Text { text: "{number}".into(), style: center.sized(4, 4).bold() },
                TemplateItem::Feed { lines: 1 },
                TemplateItem::Text { text: "您前面还有 {ahead} 人".into(), style: center },
                TemplateItem::Text { text: "取号时间：{time}".into(), style: center },
                TemplateItem::Qr {
                    module_size: 6,
                    error_correction: QrErrorCorrection::M,
                    align: Align::Center,
                    caption: Some("扫码查看排队进度".into()),
                    caption_style: center,
                },
                TemplateItem::Rule,
                TemplateItem::Notes { style: center },
                TemplateItem::Feed { lines: 4 },
                TemplateItem::Cut { cut: Cut::Partial },
            ],
        }
    }
}

/// A piece of template text.
#[derive(Debug, Clone, PartialEq, Eq)]
enum Piece {
    Literal(String),
    Field(Field),
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Field {
    Hall,
    Number,
    Service,
    Ahead,
    Time,
    Qr,
}

fn parse_placeholders(text: &str) -> Result<Vec<Piece>, RenderError> {
    let mut pieces = Vec::new();
    let mut literal = String::new();
    let mut chars = text.chars().peekable();
    while let Some(c) = chars.next() {
        match c {
            '{' if chars.peek() == Some(&'{') => {
                chars.next();
                literal.push('{');
            }
            '}' if chars.peek() == Some(&'}') => {
                chars.next();
                literal.push('}');
            }
            '{' => {
                let mut name = String::new();
                let mut closed = false;
                for n in chars.by_ref() {
                    if n == '}' {
                        closed = true;
                        break;
                    }
                    name.push(n);
                }
                if !closed {
                    return Err(RenderError::BadPlaceholder { text: text.to_string(), name });
                }
                let field = match name.as_str() {
                    "hall" => Field::Hall,
                    "number" => Field::Number,
                    "service" => Field::Service,
                    "ahead" => Field::Ahead,
                    "time" => Field::Time,
                    "qr" => Field::Qr,
                    _ => return Err(RenderError::BadPlaceholder { text: text.to_string(), name }),
                };
                pieces.push(Piece::Literal(std::mem::take(&mut literal)));
                pieces.push(Piece::Field(field));
            }
            '}' => return Err(RenderError::BadPlaceholder { text: text.to_string(), name: "}".into() }),
            c => literal.push(c),
        }
    }
    pieces.push(Piece::Literal(literal));
    Ok(pieces)
}

fn checked_time_format(format: &str) -> Result<Vec<Item<'_>>, RenderError> {
    let items: Vec<Item<'_>> = StrftimeItems::new(format).collect();
    if items.iter().any(|i| matches!(i, Item::Error)) {
        return Err(RenderError::BadTimeFormat { format: format.to_string() });
    }
    Ok(items)
}

impl TicketTemplate {
    /// Checks every placeholder and the time format, so a bad template is refused when the
    /// configuration is loaded rather than when a citizen is waiting for a ticket.
    ///
    /// # Errors
    /// [`RenderError::BadPlaceholder`] or [`RenderError::BadTimeFormat`].
    pub fn validate(&self) -> Result<(), RenderError> {
        checked_time_format(&self.time_format)?;
        for item in &self.items {
            match item {
                TemplateItem::Text { text, .. } => {
                    parse_placeholders(text)?;
                }
                TemplateItem::Qr { caption: Some(text), .. } => {
                    parse_placeholders(text)?;
                }
                _ => {}
            }
        }
        Ok(())
    }

    /// Fills the template with a ticket's fields.
    ///
    /// # Errors
    /// As [`TicketTemplate::validate`].
    pub fn document(&self, ticket: &Ticket) -> Result<Document, RenderError> {
        let time_items = checked_time_format(&self.time_format)?;
        let mut time = String::new();
        write!(time, "{}", ticket.issued_at.format_with_items(time_items.iter()))
            .map_err(|_| RenderError::BadTimeFormat { format: self.time_format.clone() })?;
        let fill = |text: &str| -> Result<Option<String>, RenderError> {
            let mut out = String::new();
            for piece in parse_placeholders(text)? {
                match piece {
                    Piece::Literal(s) => out.push_str(&s),
                    Piece::Field(Field::Hall) => out.push_str(&ticket.hall),
                    Piece::Field(Field::Number) => out.push_str(&ticket.number),
                    Piece::Field(Field::Service) => out.push_str(&ticket.service),
                    Piece::Field(Field::Time) => out.push_str(&time),
                    Piece::Field(Field::Ahead) => match ticket.ahead {
                        Some(n) => out.push_str(&n.to_string()),
                        None => return Ok(None),
                    },
                    Piece::Field(Field::Qr) => match &ticket.qr {
                        Some(q) => out.push_str(q),
                        None => return Ok(None),
                    },
                }
            }
            Ok(Some(out))
        };
        let mut blocks = Vec::new();
        for item in &self.items {
            match item {
                TemplateItem::Text { text, style } => {
                    if let Some(text) = fill(text)? {
                        blocks.push(Block::Text { text, style: *style });
                    }
                }
                TemplateItem::Notes { style } => {
                    blocks.extend(ticket.notes.iter().map(|n| Block::Text { text: n.clone(), style: *style }));
                }
                TemplateItem::Qr { module_size, error_correction, align, caption, caption_style } => {
                    let Some(payload) = &ticket.qr else { continue };
                    // A QR symbol needs a quiet zone of 4 modules on each side, and printers add
                    // none: feed clear of the text above and below, or phones fail to read it.
                    let quiet = quiet_zone_lines(*module_size);
                    blocks.push(Block::Feed(quiet));
                    blocks.push(Block::Qr(QrBlock { payload: payload.clone(), module_size: *module_size, error_correction: *error_correction, align: *align }));
                    blocks.push(Block::Feed(quiet));
                    if let Some(caption) = caption
                        && let Some(text) = fill(caption)?
                    {
                        blocks.push(Block::Text { text, style: *caption_style });
                    }
                }
                TemplateItem::Rule => blocks.push(Block::Rule),
                TemplateItem::Feed { lines } => blocks.push(Block::Feed(*lines)),
                TemplateItem::Cut { cut } => blocks.push(Block::Cut(*cut)),
            }
        }
        Ok(Document { blocks })
    }

    /// Fills the template and renders it for `profile`.
    ///
    /// # Errors
    /// As [`TicketTemplate::document`] and [`Document::render`].
    pub fn render(&self, ticket: &Ticket, profile: &PrinterProfile) -> Result<Rendered, RenderError> {
        self.document(ticket)?.render(profile)
    }
}

/// Lines to feed for a QR quiet zone of 4 modules: a line is at least 24 dots high.
fn quiet_zone_lines(module_size: u8) -> u8 {
    (4 * u16::from(module_size)).div_ceil(24).clamp(1, 255) as u8
}
