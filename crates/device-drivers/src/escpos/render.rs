//! Ticket pictures: a [`Layout`] (what the driver sends, or what the simulator's replay read back)
//! drawn dot for dot as a thermal printer would print it, as a 1-bit picture the width of the
//! paper, saved as PNG. The printer simulator writes one next to each text dump, and the golden
//! tests compare them byte for byte.
//!
//! # How the printer is imitated
//! - **Dots**: 8 dots per millimetre (203 dpi): 384 dots across 58 mm paper, 576 across 80 mm.
//!   One picture pixel is one dot; black is ink.
//! - **Font A cells**: a character sent as one byte (ASCII) fills a 12×24-dot cell, one drawn from
//!   the Chinese font (two or four GB18030 bytes) a 24×24 cell, exactly the widths the wrapping in
//!   [`super::text`] counts. Glyphs come from a real TrueType CJK font through `fontdue` (by
//!   default Debian's `fonts-wqy-microhei`, [`DEFAULT_FONT_PATH`]), drawn once at cell size and
//!   thresholded to 1 bit, the way a printer's bitmap font is fixed at 24 dots.
//! - **Character size** (`GS !`): the 24-dot cell is magnified by whole dots, each dot becoming a
//!   `width`×`height` block, as the print head does; so a ×4 number is 48×96 dots per character.
//! - **Bold** (`ESC E`): each dot of the cell is also printed one dot to its right (double
//!   strike), before magnification.
//! - **Alignment** (`ESC a`): the line's printed width is placed left, centred or right across
//!   the paper's dots.
//! - **Line spacing**: a line's glyphs stand on the line's bottom edge (characters of different
//!   heights share the baseline), and the paper then moves by the larger of the line spacing
//!   ([`PictureOptions::line_spacing`], by default [`DEFAULT_LINE_SPACING`] dots) and the line's
//!   height, so a ×2 line feeds 48 dots. An empty line and each line of `ESC d n` feed one line
//!   spacing.
//! - **Characters the font lacks** (and U+FFFD from malformed bytes, if the font lacks it) are
//!   drawn as a hollow box in their cell: never a blank. Characters the printer cannot print were
//!   already replaced by the renderer ([`super::text::make_safe`]), so they arrive here as the
//!   replacement character (`?` by default) and print as that.
//! - **QR symbols** (`GS ( k`): encoded with the `qrcode` crate at the symbol's error-correction
//!   level (smallest version that holds the payload, as printers choose), each module a
//!   `module_size`-dot square, aligned like text. Like the printer, no quiet zone is added: the
//!   paper above and below is whatever the ticket feeds there. A symbol wider than the paper, or
//!   whose payload cannot be encoded, is not printed (printers skip it too); a warning is logged.
//!   Model 1 and Micro QR are drawn as Model 2 (hallkit only sends Model 2).
//! - **Cuts** (`GS V`): a dashed line across the paper between two inward-pointing notches, in a
//!   [`CUT_MARK_HEIGHT`]-dot band, where the ticket would be cut; the next ticket, if any,
//!   continues below.
//! - **Underline** is not drawn: [`Layout`] does not carry it (hallkit never sends `ESC -`).
//!
//! The same layout, options and font give the same picture and the same PNG bytes (no time
//! stamps, fixed compression settings). A picture is at most [`MAX_PICTURE_HEIGHT`] dots long.

use std::io;
use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};

use super::command::{Align, QrErrorCorrection};
use super::layout::{Layout, LayoutItem, Line, QrSymbol, RunStyle};
use super::paper::PaperWidth;
use super::text::char_columns;
use crate::ErrorKind;

/// Where Debian's `fonts-wqy-microhei` puts its font (a TrueType collection; face 0 is
/// WenQuanYi Micro Hei).
pub const DEFAULT_FONT_PATH: &str = "/usr/share/fonts/truetype/wqy/wqy-microhei.ttc";

/// The Debian package that provides [`DEFAULT_FONT_PATH`].
pub const FONT_PACKAGE: &str = "fonts-wqy-microhei";

/// Print resolution: dots per millimetre (203 dpi).
pub const DOTS_PER_MM: u32 = 8;

/// Font A cell height in dots (the width is 12 for half-width characters, 24 for Chinese).
pub const CELL_HEIGHT: u32 = 24;

/// Font A half-width cell width in dots.
pub const HALF_CELL_WIDTH: u32 = 12;

/// Default line spacing in dots: 3.75 mm, the `ESC 2` default of common 203 dpi ticket printers
/// (Epson documents "about 1/6 inch").
pub const DEFAULT_LINE_SPACING: u32 = 30;

/// Height of the band a cut is drawn in, in dots (the dashed line sits in its middle).
pub const CUT_MARK_HEIGHT: u32 = 12;

/// The longest picture drawn, in dots: 2 m of paper (about 9 MB of dots at 80 mm). A stream that
/// feeds more without a cut (a runaway or hostile sender) is cut off there
/// ([`TicketPicture::is_truncated`]), so the simulator's memory stays bounded.
pub const MAX_PICTURE_HEIGHT: u32 = 2000 * DOTS_PER_MM;

/// Ink coverage (0–255) from which a dot is printed. A little under half, so that the thin
/// strokes of a 24-dot Chinese glyph do not break up.
const INK_THRESHOLD: u8 = 112;

/// Why a ticket picture could not be made or saved.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum PictureError {
    /// The font file does not exist.
    #[error(
        "the ticket font {} is missing: install the Debian package {FONT_PACKAGE} (apt install {FONT_PACKAGE}), or configure the path of another TrueType font with Chinese characters", .path.display()
    )]
    FontMissing {
        /// The path looked at.
        path: PathBuf,
    },
    /// The font file exists but could not be read.
    #[error("could not read the ticket font {}: {source}; check the file's permissions", .path.display())]
    FontUnreadable {
        /// The path.
        path: PathBuf,
        /// What failed.
        #[source]
        source: io::Error,
    },
    /// The file is not a font `fontdue` can use (or the collection has no such face).
    #[error("{} is not a usable TrueType font ({reason}); reinstall {FONT_PACKAGE} or configure another font", .path.display())]
    FontInvalid {
        /// The path.
        path: PathBuf,
        /// What the font parser said.
        reason: String,
    },
    /// The font has no Chinese characters, so tickets would print as boxes.
    #[error("the font {} has no Chinese characters (no glyph for 号); configure a CJK font such as the one in {FONT_PACKAGE}", .path.display())]
    NotCjk {
        /// The path.
        path: PathBuf,
    },
    /// PNG encoding failed.
    #[error("could not encode the ticket picture as PNG: {reason}")]
    Encode {
        /// What the encoder said.
        reason: String,
    },
    /// The PNG could not be written.
    #[error("could not write the ticket picture {}: {source}; check the folder exists and is writable", .path.display())]
    Write {
        /// The path.
        path: PathBuf,
        /// What failed.
        #[source]
        source: io::Error,
    },
}

impl crate::Error for PictureError {
    fn kind(&self) -> ErrorKind {
        ErrorKind::Other
    }
}

/// The font a ticket picture is drawn with, loaded once and shared by every picture.
pub struct TicketFont {
    font: fontdue::Font,
    path: PathBuf,
    /// Baseline, in dots from the top of a 24-dot cell.
    baseline: i32,
}

impl std::fmt::Debug for TicketFont {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("TicketFont").field("path", &self.path).field("baseline", &self.baseline).finish_non_exhaustive()
    }
}

impl TicketFont {
    /// Loads [`DEFAULT_FONT_PATH`].
    ///
    /// # Errors
    /// As [`TicketFont::open`]; [`PictureError::FontMissing`] names the package to install.
    pub fn open_default() -> Result<TicketFont, PictureError> {
        TicketFont::open(DEFAULT_FONT_PATH)
    }

    /// Loads the first face of a TrueType or OpenType font (or collection) at `path`.
    ///
    /// # Errors
    /// [`PictureError::FontMissing`] when there is no such file, [`PictureError::FontUnreadable`],
    /// [`PictureError::FontInvalid`] for a file that is not a font, and [`PictureError::NotCjk`]
    /// for a font without Chinese characters.
    pub fn open(path: impl AsRef<Path>) -> Result<TicketFont, PictureError> {
        TicketFont::open_face(path, 0)
    }

    /// Loads face `collection_index` of a font collection (`.ttc`) at `path`.
    ///
    /// # Errors
    /// As [`TicketFont::open`].
    pub fn open_face(path: impl AsRef<Path>, collection_index: u32) -> Result<TicketFont, PictureError> {
        let path = path.as_ref().to_path_buf();
        let bytes = match std::fs::read(&path) {
            Ok(bytes) => bytes,
            Err(e) if e.kind() == io::ErrorKind::NotFound => return Err(PictureError::FontMissing { path }),
            Err(source) => return Err(PictureError::FontUnreadable { path, source }),
        };
        // Glyphs are drawn at 24 px; telling fontdue so keeps its outlines tuned for that size.
        let settings = fontdue::FontSettings { collection_index, scale: CELL_HEIGHT as f32, load_substitutions: false };
        let font = fontdue::Font::from_bytes(bytes, settings).map_err(|reason| PictureError::FontInvalid { path: path.clone(), reason: reason.to_string() })?;
        if !font.has_glyph('号') {
            return Err(PictureError::NotCjk { path });
        }
        // Put the baseline where the font's ascent and descent, scaled into 24 dots, put it.
        let baseline = match font.horizontal_line_metrics(CELL_HEIGHT as f32) {
            Some(m) if m.ascent > 0.0 && m.ascent - m.descent > 0.0 => (CELL_HEIGHT as f32 * m.ascent / (m.ascent - m.descent)).round() as i32,
            _ => 20,
        };
        Ok(TicketFont { font, path, baseline })
    }

    /// Where the font was loaded from.
    pub fn path(&self) -> &Path {
        &self.path
    }

    /// Whether the font draws `c` (otherwise it prints as a hollow box).
    pub fn has_glyph(&self, c: char) -> bool {
        self.font.has_glyph(c)
    }

    /// The 24-dot-high cell of `c` at ×1, `None` for a character that takes no columns.
    fn cell(&self, c: char, bold: bool) -> Option<Cell> {
        let columns = char_columns(c) as u32;
        if columns == 0 {
            return None;
        }
        let width = HALF_CELL_WIDTH * columns;
        let mut cell = Cell { width, ink: vec![false; (width * CELL_HEIGHT) as usize] };
        if c == ' ' || c == '\u{3000}' {
            return Some(cell);
        }
        if self.font.has_glyph(c) {
            let (m, coverage) = self.font.rasterize(c, CELL_HEIGHT as f32);
            // Centre the glyph's advance in its cell, so a proportional face prints like the
            // printer's fixed-pitch font.
            let left = ((width as f32 - m.advance_width) / 2.0).floor() as i32 + m.xmin;
            let top = self.baseline - m.ymin - m.height as i32;
            for gy in 0..m.height {
                for gx in 0..m.width {
                    if coverage[gy * m.width + gx] >= INK_THRESHOLD {
                        cell.set(left + gx as i32, top + gy as i32);
                    }
                }
            }
        } else {
            cell.draw_box();
        }
        if bold {
            cell.embolden();
        }
        Some(cell)
    }
}

/// One character cell at ×1.
struct Cell {
    width: u32,
    ink: Vec<bool>,
}

impl Cell {
    fn set(&mut self, x: i32, y: i32) {
        if (0..self.width as i32).contains(&x) && (0..CELL_HEIGHT as i32).contains(&y) {
            self.ink[(y as u32 * self.width + x as u32) as usize] = true;
        }
    }

    fn get(&self, x: u32, y: u32) -> bool {
        self.ink[(y * self.width + x) as usize]
    }

    /// The "tofu" a character without a glyph prints as: a hollow box inside the cell.
    fn draw_box(&mut self) {
        let (x0, x1, y0, y1) = (1, self.width as i32 - 2, 3, CELL_HEIGHT as i32 - 3);
        for x in x0..=x1 {
            self.set(x, y0);
            self.set(x, y1);
        }
        for y in y0..=y1 {
            self.set(x0, y);
            self.set(x1, y);
        }
    }

    /// Double strike: every dot again one dot to the right.
    fn embolden(&mut self) {
        for y in 0..CELL_HEIGHT {
            for x in (1..self.width).rev() {
                if self.get(x - 1, y) {
                    self.ink[(y * self.width + x) as usize] = true;
                }
            }
        }
    }
}

/// How a picture is drawn.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default)]
pub struct PictureOptions {
    /// The paper: the picture is its width in dots.
    pub paper: PaperWidth,
    /// Line spacing in dots (`ESC 3 n` on the printer).
    pub line_spacing: u32,
}

impl Default for PictureOptions {
    fn default() -> Self {
        PictureOptions::new(PaperWidth::default())
    }
}

impl PictureOptions {
    /// `paper` with the default line spacing.
    pub fn new(paper: PaperWidth) -> PictureOptions {
        PictureOptions { paper, line_spacing: DEFAULT_LINE_SPACING }
    }
}

/// A printed ticket as dots: 1 bit each, the paper's width across.
#[derive(Clone, PartialEq, Eq)]
pub struct TicketPicture {
    width: u32,
    height: u32,
    /// Row-major, `true` for ink.
    ink: Vec<bool>,
    /// The layout ran past [`MAX_PICTURE_HEIGHT`].
    truncated: bool,
}

impl std::fmt::Debug for TicketPicture {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("TicketPicture").field("width", &self.width).field("height", &self.height).field("inked", &self.inked_dots()).finish()
    }
}

impl TicketPicture {
    /// Draws `layout` as the printer would print it (see the module docs).
    pub fn draw(layout: &Layout, options: &PictureOptions, font: &TicketFont) -> TicketPicture {
        let mut pen = Pen { picture: TicketPicture { width: options.paper.dots(), height: 0, ink: Vec::new(), truncated: false }, y: 0, font, options };
        for item in &layout.items {
            match item {
                LayoutItem::Line(line) => pen.line(line),
                LayoutItem::Qr(qr) => pen.qr(qr),
                LayoutItem::Feed(n) => pen.advance(u32::from(*n).saturating_mul(options.line_spacing)),
                LayoutItem::Cut(_) => pen.cut(),
            }
        }
        let mut picture = pen.picture;
        // Feeds at the end are paper too; a picture is never empty (PNG needs one row).
        picture.grow(pen.y.max(1));
        picture
    }

    /// Width in dots (the paper's).
    pub fn width(&self) -> u32 {
        self.width
    }

    /// Height in dots.
    pub fn height(&self) -> u32 {
        self.height
    }

    /// Whether the dot at (`x`, `y`) is printed; `false` outside the picture.
    pub fn is_inked(&self, x: u32, y: u32) -> bool {
        x < self.width && y < self.height && self.ink[(y * self.width + x) as usize]
    }

    /// Whether the layout was longer than [`MAX_PICTURE_HEIGHT`] and the rest was left out.
    pub fn is_truncated(&self) -> bool {
        self.truncated
    }

    /// How many dots are printed.
    pub fn inked_dots(&self) -> usize {
        self.ink.iter().filter(|&&i| i).count()
    }

    /// The picture as a 1-bit greyscale PNG (black ink on white, 8 dots/mm recorded so viewers
    /// can show it at paper size).
    ///
    /// # Errors
    /// [`PictureError::Encode`] if the encoder fails (it does not for a valid picture).
    pub fn to_png(&self) -> Result<Vec<u8>, PictureError> {
        let encode_error = |e: png::EncodingError| PictureError::Encode { reason: e.to_string() };
        let row_bytes = self.width.div_ceil(8) as usize;
        let mut data = vec![0u8; row_bytes * self.height as usize];
        for (ink, row) in self.ink.chunks(self.width as usize).zip(data.chunks_mut(row_bytes)) {
            for (x, &inked) in ink.iter().enumerate() {
                // In 1-bit greyscale, 1 is white: set the bit where there is no ink.
                if !inked {
                    row[x / 8] |= 0x80 >> (x % 8);
                }
            }
        }
        let mut out = Vec::new();
        let mut encoder = png::Encoder::new(&mut out, self.width, self.height);
        encoder.set_color(png::ColorType::Grayscale);
        encoder.set_depth(png::BitDepth::One);
        encoder.set_compression(png::Compression::Balanced);
        encoder.set_pixel_dims(Some(png::PixelDimensions { xppu: DOTS_PER_MM * 1000, yppu: DOTS_PER_MM * 1000, unit: png::Unit::Meter }));
        let mut writer = encoder.write_header().map_err(encode_error)?;
        writer.write_image_data(&data).map_err(encode_error)?;
        writer.finish().map_err(encode_error)?;
        Ok(out)
    }

    /// Writes [`TicketPicture::to_png`] to `path`.
    ///
    /// # Errors
    /// [`PictureError::Write`] when the file cannot be written, or as [`TicketPicture::to_png`].
    pub fn save_png(&self, path: impl AsRef<Path>) -> Result<(), PictureError> {
        let path = path.as_ref();
        let png = self.to_png()?;
        std::fs::write(path, png).map_err(|source| PictureError::Write { path: path.to_path_buf(), source })
    }

    /// Makes the picture at least `height` rows tall (at most [`MAX_PICTURE_HEIGHT`]).
    fn grow(&mut self, height: u32) {
        if height > MAX_PICTURE_HEIGHT {
            self.truncated = true;
        }
        let height = height.min(MAX_PICTURE_HEIGHT);
        if height > self.height {
            self.ink.resize((self.width * height) as usize, false);
            self.height = height;
        }
    }

    /// Inks a `w`×`h` block at (`x`, `y`), clipped at the paper's edge and end.
    fn fill(&mut self, x: u32, y: u32, w: u32, h: u32) {
        let x1 = x.saturating_add(w).min(self.width);
        let y1 = y.saturating_add(h);
        if x >= x1 {
            return;
        }
        self.grow(y1);
        for row in y..y1.min(self.height) {
            let start = (row * self.width) as usize;
            self.ink[start + x as usize..start + x1 as usize].fill(true);
        }
    }
}

/// Drawing state: the picture so far and the paper position.
struct Pen<'a> {
    picture: TicketPicture,
    /// The top of the next line, in dots.
    y: u32,
    font: &'a TicketFont,
    options: &'a PictureOptions,
}

impl Pen<'_> {
    /// Moves the paper on (saturating: past [`MAX_PICTURE_HEIGHT`] nothing is drawn anyway).
    fn advance(&mut self, dots: u32) {
        self.y = self.y.saturating_add(dots);
    }

    fn left_for(&self, align: Align, width: u32) -> u32 {
        let free = self.picture.width.saturating_sub(width);
        match align {
            Align::Left => 0,
            Align::Center => free / 2,
            Align::Right => free,
        }
    }

    fn line(&mut self, line: &Line) {
        let height = CELL_HEIGHT * u32::from(line.height().max(1));
        let width: u32 = line.runs.iter().map(|r| r.columns() as u32 * HALF_CELL_WIDTH).sum();
        let mut x = self.left_for(line.align, width);
        let bottom = self.y.saturating_add(height);
        for run in &line.runs {
            let RunStyle { size, bold } = run.style;
            let (mw, mh) = (u32::from(size.width.max(1)), u32::from(size.height.max(1)));
            let top = bottom - CELL_HEIGHT * mh;
            for c in run.text.chars() {
                let Some(cell) = self.font.cell(c, bold) else { continue };
                for cy in 0..CELL_HEIGHT {
                    for cx in 0..cell.width {
                        if cell.get(cx, cy) {
                            self.picture.fill(x.saturating_add(cx * mw), top + cy * mh, mw, mh);
                        }
                    }
                }
                x = x.saturating_add(cell.width * mw);
            }
        }
        self.advance(height.max(self.options.line_spacing));
    }

    fn qr(&mut self, qr: &QrSymbol) {
        let level = match qr.error_correction {
            QrErrorCorrection::L => qrcode::EcLevel::L,
            QrErrorCorrection::M => qrcode::EcLevel::M,
            QrErrorCorrection::Q => qrcode::EcLevel::Q,
            QrErrorCorrection::H => qrcode::EcLevel::H,
        };
        let code = match qrcode::QrCode::with_error_correction_level(&qr.payload, level) {
            Ok(code) => code,
            Err(error) => {
                tracing::warn!(%error, len = qr.payload.len(), "the QR payload cannot be encoded; the printer prints no symbol");
                return;
            }
        };
        let modules = code.width() as u32;
        let module = u32::from(qr.module_size.max(1));
        let size = modules * module;
        if size > self.picture.width {
            tracing::warn!(size, paper = self.picture.width, "the QR symbol is wider than the paper; the printer prints no symbol");
            return;
        }
        let left = self.left_for(qr.align, size);
        let colors = code.to_colors();
        for my in 0..modules {
            for mx in 0..modules {
                if colors[(my * modules + mx) as usize] == qrcode::Color::Dark {
                    self.picture.fill(left + mx * module, self.y.saturating_add(my * module), module, module);
                }
            }
        }
        self.advance(size);
        self.picture.grow(self.y);
    }

    /// The cut mark: a dashed line across the paper with a solid notch at each edge, so it is not
    /// mistaken for a printed rule of `-`.
    fn cut(&mut self) {
        let middle = self.y.saturating_add(CUT_MARK_HEIGHT / 2);
        let width = self.picture.width;
        let mut x = 10;
        while x + 10 < width {
            self.picture.fill(x, middle - 1, 10, 2);
            x += 16;
        }
        // Triangles pointing inward, 10 dots tall.
        for dy in 0..5u32 {
            let len = 10 - 2 * dy;
            for y in [middle - 1 - dy, middle.saturating_add(dy)] {
                self.picture.fill(0, y, len, 1);
                self.picture.fill(width - len, y, len, 1);
            }
        }
        self.advance(CUT_MARK_HEIGHT);
        self.picture.grow(self.y);
    }
}
