//! The document model: what a ticket says, as blocks, independent of paper width. [`Document::render`] lays
//! a document out for a [`PrinterProfile`] and encodes it to ESC/POS.

use serde::{Deserialize, Serialize};

use super::RenderError;
use super::command::{Align, CharSize, Cut, QrErrorCorrection, QrModel};
use super::layout::{Layout, LayoutItem, Line, QrSymbol, Run, RunStyle};
use super::paper::PrinterProfile;
use super::text::{Replacement, make_safe, unprintable_reason, wrap};

/// How a text block looks.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default, Serialize, Deserialize)]
#[serde(default)]
pub struct TextStyle {
    /// Alignment.
    pub align: Align,
    /// Magnification (1–8 each way).
    pub size: CharSize,
    /// Bold.
    pub bold: bool,
}

impl TextStyle {
    /// Centred, ×1, not bold.
    pub fn centered() -> TextStyle {
        TextStyle { align: Align::Center, ..TextStyle::default() }
    }

    /// The same style at `width`×`height` (clamped to 1–8).
    pub fn sized(self, width: u8, height: u8) -> TextStyle {
        TextStyle { size: CharSize { width: width.clamp(1, 8), height: height.clamp(1, 8) }, ..self }
    }

    /// The same style in bold.
    pub fn bold(self) -> TextStyle {
        TextStyle { bold: true, ..self }
    }
}

/// A QR block.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct QrBlock {
    /// The text to encode, sent as UTF-8 (a URL is plain ASCII).
    pub payload: String,
    /// Module size in dots, 1–16.
    pub module_size: u8,
    /// Error correction level.
    pub error_correction: QrErrorCorrection,
    /// Alignment.
    pub align: Align,
}

/// One block of a document.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum Block {
    /// Text, wrapped to the paper; `\n` starts a new line.
    Text {
        /// The text.
        text: String,
        /// Its style.
        style: TextStyle,
    },
    /// A separator line of `-` across the paper.
    Rule,
    /// A QR symbol.
    Qr(QrBlock),
    /// Feed `n` lines.
    Feed(u8),
    /// Cut.
    Cut(Cut),
}

/// A ticket as blocks, top to bottom.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Document {
    /// The blocks.
    pub blocks: Vec<Block>,
}

/// A replaced character and the block it was in.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BlockReplacement {
    /// Index of the block in [`Document::blocks`].
    pub block: usize,
    /// What was replaced.
    pub replacement: Replacement,
}

/// A rendered document.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Rendered {
    /// The ESC/POS bytes to send.
    pub bytes: Vec<u8>,
    /// What the bytes print, line by line.
    pub layout: Layout,
    /// Every character that was replaced because the printer cannot print it. Callers should log
    /// these (and may refuse to print when there are any).
    pub replacements: Vec<BlockReplacement>,
}

impl Document {
    /// Lays the document out for `profile`: wraps text to the paper width (divided by the width
    /// multiplier), replaces unprintable characters and checks QR blocks.
    ///
    /// # Errors
    /// [`RenderError`] when a size or QR parameter is outside what printers accept, a QR payload
    /// is empty or too long, or the profile's replacement character is itself unprintable.
    pub fn layout(&self, profile: &PrinterProfile) -> Result<(Layout, Vec<BlockReplacement>), RenderError> {
        if let Some(reason) =
            unprintable_reason(profile.replacement, profile.charset).or_else(|| (profile.replacement == '\n').then_some(super::text::ReplaceReason::Control))
        {
            return Err(RenderError::UnprintableReplacement { replacement: profile.replacement, reason });
        }
        let columns = profile.paper.columns();
        let mut items = Vec::new();
        let mut replacements = Vec::new();
        for (index, block) in self.blocks.iter().enumerate() {
            match block {
                Block::Text { text, style } => {
                    if !style.size.is_valid() {
                        return Err(RenderError::SizeOutOfRange { block: index, width: style.size.width, height: style.size.height });
                    }
                    let safe = make_safe(text, profile.charset, profile.replacement);
                    replacements.extend(safe.replacements.into_iter().map(|replacement| BlockReplacement { block: index, replacement }));
                    let per_line = columns / usize::from(style.size.width);
                    let run_style = RunStyle { size: style.size, bold: style.bold };
                    for paragraph in safe.text.split('\n') {
                        for line in wrap(paragraph, per_line) {
                            let runs = if line.is_empty() { Vec::new() } else { vec![Run { style: run_style, text: line }] };
                            items.push(LayoutItem::Line(Line { align: style.align, runs }));
                        }
                    }
                }
                Block::Rule => {
                    items.push(LayoutItem::Line(Line { align: Align::Left, runs: vec![Run { style: RunStyle::default(), text: "-".repeat(columns) }] }))
                }
                Block::Qr(qr) => {
                    if !(1..=16).contains(&qr.module_size) {
                        return Err(RenderError::QrModuleSizeOutOfRange { block: index, module_size: qr.module_size });
                    }
                    let payload = qr.payload.as_bytes().to_vec();
                    if payload.is_empty() {
                        return Err(RenderError::EmptyQrPayload { block: index });
                    }
                    let capacity = qr.error_correction.capacity();
                    if payload.len() > capacity {
                        return Err(RenderError::QrPayloadTooLong { block: index, len: payload.len(), capacity });
                    }
                    items.push(LayoutItem::Qr(QrSymbol {
                        align: qr.align,
                        model: QrModel::Model2,
                        module_size: qr.module_size,
                        error_correction: qr.error_correction,
                        payload,
                    }));
                }
                Block::Feed(n) => items.push(LayoutItem::Feed(*n)),
                Block::Cut(cut) => items.push(LayoutItem::Cut(*cut)),
            }
        }
        Ok((Layout { items }, replacements))
    }

    /// Lays out ([`Document::layout`]) and encodes to ESC/POS ([`Layout::to_escpos`]).
    ///
    /// # Errors
    /// As [`Document::layout`].
    pub fn render(&self, profile: &PrinterProfile) -> Result<Rendered, RenderError> {
        let (layout, replacements) = self.layout(profile)?;
        Ok(Rendered { bytes: layout.to_escpos(), layout, replacements })
    }
}
