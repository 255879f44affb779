//! Paper widths and the printer profile a ticket is rendered for.

use serde::{Deserialize, Serialize};

use super::text::Charset;

/// Roll width. Column counts are for font A (12×24 dots) at ×1.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default, Serialize, Deserialize)]
#[non_exhaustive]
pub enum PaperWidth {
    /// 58 mm roll: 384 dots, 32 columns.
    #[serde(rename = "58mm")]
    Mm58,
    /// 80 mm roll: 576 dots, 48 columns.
    #[default]
    #[serde(rename = "80mm")]
    Mm80,
}

impl PaperWidth {
    /// Printable columns of font A at ×1 (a Chinese character takes two).
    pub fn columns(self) -> usize {
        match self {
            PaperWidth::Mm58 => 32,
            PaperWidth::Mm80 => 48,
        }
    }

    /// Printable dots across.
    pub fn dots(self) -> u32 {
        match self {
            PaperWidth::Mm58 => 384,
            PaperWidth::Mm80 => 576,
        }
    }
}

/// What the renderer needs to know about the printer.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default)]
pub struct PrinterProfile {
    /// Roll width.
    pub paper: PaperWidth,
    /// Character set of the printer's Chinese font.
    pub charset: Charset,
    /// Printed in place of a character the printer cannot print. Must itself be printable with
    /// `charset` (e.g. `?` or `□`).
    pub replacement: char,
}

impl Default for PrinterProfile {
    fn default() -> Self {
        PrinterProfile { paper: PaperWidth::Mm80, charset: Charset::Gb18030, replacement: '?' }
    }
}
