//! Text to dots, sans-IO: [`render_text`] lays a call such as "请A012号到3号窗口" out for a panel
//! in the WenQuanYi 16-dot GB2312 font (`u8g2_font_wqy16_t_gb2312`) and returns the content
//! bitmap to upload, which is the panel's width when the text fits and wider when it must scroll.
//!
//! Layout by panel height:
//! - **16 to 31 dots:** one line of 16-dot characters, centred vertically. `\n` counts as a space.
//! - **32 dots:** in this order of preference:
//!   1. text with a `\n`: two lines of 16-dot characters, one per part (later `\n`s are spaces);
//!   2. one line at double size (every dot 2×2, so 32 dots high), when it fits the width: a
//!      ticket number such as "A012" reads from across the hall;
//!   3. two lines of 16-dot characters, split where the two halves are closest in width but
//!      never inside a run of letters and digits, when both fit;
//!   4. otherwise one double-size line, which scrolls.
//!
//! Lines that fit are centred; content that does not fit is left-aligned and its width rounded
//! up to whole bytes, and the panel scrolls it (see [`Effect`](super::Effect)).
//!
//! A character the font lacks is drawn as a crossed box (☒) the width of a Chinese character and
//! reported in [`RenderedText::missing`]: a wrong or missing character on a call must be seen
//! and logged, never silently dropped.

use embedded_graphics::pixelcolor::BinaryColor;
use embedded_graphics::prelude::Point;
use serde::{Deserialize, Serialize};
use u8g2_fonts::types::{FontColor, VerticalPosition};
use u8g2_fonts::{FontRenderer, fonts};

use super::bitmap::{Bitmap, Geometry};

/// Height of one line of text in dots.
pub const LINE_HEIGHT: u16 = 16;

/// The widest content a panel is asked to hold, in dots; longer text is cut (and the cut
/// reported). 2048 dots hold about 120 Chinese characters at 16 dots, 60 at double size.
pub const MAX_CONTENT_WIDTH: u16 = 2048;

/// Width of the replacement box (and of a Chinese character) in dots.
const BOX_WIDTH: u16 = 16;

/// The font, loaded once per call (a `const fn`, so this costs nothing).
fn font() -> FontRenderer {
    FontRenderer::new::<fonts::u8g2_font_wqy16_t_gb2312>()
}

/// A character that could not be shown as itself.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct MissingGlyph {
    /// The character.
    pub ch: char,
    /// Its position in the text, counted in characters.
    pub index: usize,
}

/// How the text was laid out.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
#[non_exhaustive]
pub enum TextLayout {
    /// One line of 16-dot characters.
    SingleLine,
    /// Two lines of 16-dot characters (32-dot panels).
    TwoLines,
    /// One line at double size (32-dot panels).
    DoubleSize,
}

/// Text laid out for a panel.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RenderedText {
    /// The content: the panel's height, and its width or wider (then it scrolls).
    pub content: Bitmap,
    /// Characters replaced by a crossed box.
    pub missing: Vec<MissingGlyph>,
    /// Whether the text was cut at [`MAX_CONTENT_WIDTH`].
    pub truncated: bool,
    /// The layout chosen.
    pub layout: TextLayout,
}

impl RenderedText {
    /// Whether the content is wider than the panel, so that it must scroll.
    pub fn scrolls(&self, geometry: Geometry) -> bool {
        self.content.width() > geometry.width()
    }
}

/// One line drawn at natural width (16 dots high), with what it could not draw.
struct Line {
    bitmap: Bitmap,
    /// Dots actually used (the bitmap is rounded up to whole bytes).
    width: u16,
    missing: Vec<MissingGlyph>,
    truncated: bool,
}

/// The horizontal advance of `ch` in the font, or `None` when the font lacks it.
fn advance(font: &FontRenderer, ch: char) -> Option<u16> {
    let dims = font.get_rendered_dimensions(ch, Point::zero(), VerticalPosition::Top).ok()?;
    u16::try_from(dims.advance.x).ok()
}

/// Whether `ch` should be drawn from the font; control characters and characters the font lacks
/// become boxes.
fn drawable(font: &FontRenderer, ch: char) -> Option<u16> {
    if ch.is_control() { None } else { advance(font, ch) }
}

/// Width in dots of `chars` in the font (boxes for missing characters).
fn measure(font: &FontRenderer, chars: &[(usize, char)]) -> u32 {
    chars.iter().map(|&(_, ch)| u32::from(drawable(font, ch).unwrap_or(BOX_WIDTH))).sum()
}

/// Draws `chars` on one 16-dot line, at most `max_width` dots wide.
fn draw_line(font: &FontRenderer, chars: &[(usize, char)], max_width: u16) -> Line {
    let natural = measure(font, chars).min(u32::from(max_width));
    // At least one byte, so an empty line is still a valid bitmap.
    let mut bitmap = Bitmap::dark_at_least(u16::try_from(natural).unwrap_or(max_width), LINE_HEIGHT);
    let mut missing = Vec::new();
    let mut x: u16 = 0;
    let mut truncated = false;
    for &(index, ch) in chars {
        let width = drawable(font, ch);
        let step = width.unwrap_or(BOX_WIDTH);
        if u32::from(x) + u32::from(step) > u32::from(max_width) {
            truncated = true;
            break;
        }
        match width {
            Some(_) => {
                // The glyph exists (checked above), so drawing can only fail on the bitmap,
                // which is infallible.
                let _ = font.render(ch, Point::new(i32::from(x), 0), VerticalPosition::Top, FontColor::Transparent(BinaryColor::On), &mut bitmap);
            }
            None => {
                draw_box(&mut bitmap, x);
                missing.push(MissingGlyph { ch, index });
            }
        }
        x += step;
    }
    Line { bitmap, width: x, missing, truncated }
}

/// The replacement for a missing character: a 14×14 box with both diagonals in a 16×16 cell.
/// A plain hollow box would read as 口 ("mouth", as in 窗口): the cross makes it unmistakable.
fn draw_box(bitmap: &mut Bitmap, x: u16) {
    for i in 1..15 {
        bitmap.set(x + i, 1, true);
        bitmap.set(x + i, 14, true);
        bitmap.set(x + 1, i, true);
        bitmap.set(x + 14, i, true);
        bitmap.set(x + i, i, true);
        bitmap.set(x + 15 - i, i, true);
    }
}

/// Every dot of `line` as a 2×2 block.
fn double(line: &Line) -> Line {
    let src = &line.bitmap;
    let mut bitmap = Bitmap::dark_at_least(src.width() * 2, src.height() * 2);
    for y in 0..src.height() {
        for x in 0..src.width() {
            if src.get(x, y) {
                for (dx, dy) in [(0, 0), (1, 0), (0, 1), (1, 1)] {
                    bitmap.set(2 * x + dx, 2 * y + dy, true);
                }
            }
        }
    }
    Line { bitmap, width: line.width * 2, missing: line.missing.clone(), truncated: line.truncated }
}

/// Places `lines` (each 16 or 32 dots high) one under the other on content of the panel's
/// height: centred when all fit the panel, else left-aligned on content wide enough for the
/// widest, rounded up to bytes.
fn compose(geometry: Geometry, lines: &[Line], layout: TextLayout) -> RenderedText {
    let widest = lines.iter().map(|l| l.width).max().unwrap_or(0);
    let fits = widest <= geometry.width();
    let width = if fits { geometry.width() } else { widest.div_ceil(8) * 8 };
    let mut content = Bitmap::dark_at_least(width, geometry.height());
    let total_height: u16 = lines.iter().map(|l| l.bitmap.height()).sum();
    let mut y = i32::from(geometry.height().saturating_sub(total_height) / 2);
    for line in lines {
        let x = if fits { i32::from((geometry.width() - line.width) / 2) } else { 0 };
        content.blit(&line.bitmap, x, y);
        y += i32::from(line.bitmap.height());
    }
    let mut missing: Vec<MissingGlyph> = lines.iter().flat_map(|l| l.missing.iter().copied()).collect();
    missing.sort_by_key(|m| m.index);
    RenderedText { content, missing, truncated: lines.iter().any(|l| l.truncated), layout }
}

/// Where a two-line split may fall: not between two ASCII letters or digits ("A012" stays whole).
fn may_break_before(chars: &[(usize, char)], i: usize) -> bool {
    let word = |c: char| c.is_ascii_alphanumeric();
    !(word(chars[i - 1].1) && word(chars[i].1))
}

/// Strips spaces at both ends of a line part.
fn trim(chars: &[(usize, char)]) -> &[(usize, char)] {
    let start = chars.iter().position(|&(_, c)| c != ' ').unwrap_or(chars.len());
    let end = chars.iter().rposition(|&(_, c)| c != ' ').map_or(start, |e| e + 1);
    &chars[start..end]
}

/// The split of `chars` into two lines whose wider one is narrowest, if both fit `width`.
fn balanced_split(font: &FontRenderer, chars: &[(usize, char)], width: u16) -> Option<usize> {
    (1..chars.len())
        .filter(|&i| may_break_before(chars, i))
        .map(|i| (i, measure(font, trim(&chars[..i])).max(measure(font, trim(&chars[i..])))))
        .filter(|&(_, w)| w <= u32::from(width))
        .min_by_key(|&(_, w)| w)
        .map(|(i, _)| i)
}

/// Lays `text` out for a panel of `geometry` (see the module documentation for the rules).
pub fn render_text(text: &str, geometry: Geometry) -> RenderedText {
    let font = font();
    let chars: Vec<(usize, char)> = text.chars().enumerate().collect();
    let as_space = |chars: &[(usize, char)]| -> Vec<(usize, char)> { chars.iter().map(|&(i, c)| (i, if c == '\n' { ' ' } else { c })).collect() };
    if geometry.height() < 2 * LINE_HEIGHT {
        let line = draw_line(&font, trim(&as_space(&chars)), MAX_CONTENT_WIDTH);
        return compose(geometry, &[line], TextLayout::SingleLine);
    }
    if let Some(newline) = chars.iter().position(|&(_, c)| c == '\n') {
        let first = draw_line(&font, trim(&chars[..newline]), MAX_CONTENT_WIDTH);
        let second = draw_line(&font, trim(&as_space(&chars[newline + 1..])), MAX_CONTENT_WIDTH);
        return compose(geometry, &[first, second], TextLayout::TwoLines);
    }
    let chars = trim(&chars);
    let natural = measure(&font, chars);
    if 2 * natural <= u32::from(geometry.width()) {
        let line = double(&draw_line(&font, chars, MAX_CONTENT_WIDTH / 2));
        return compose(geometry, &[line], TextLayout::DoubleSize);
    }
    if let Some(split) = balanced_split(&font, chars, geometry.width()) {
        let first = draw_line(&font, trim(&chars[..split]), geometry.width());
        let second = draw_line(&font, trim(&chars[split..]), geometry.width());
        return compose(geometry, &[first, second], TextLayout::TwoLines);
    }
    let line = double(&draw_line(&font, chars, MAX_CONTENT_WIDTH / 2));
    compose(geometry, &[line], TextLayout::DoubleSize)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The text drawn alone at the left of a 16-dot line, for comparisons.
    fn alone(text: &str) -> Line {
        let chars: Vec<(usize, char)> = text.chars().enumerate().collect();
        draw_line(&font(), &chars, MAX_CONTENT_WIDTH)
    }

    /// Whether `needle` appears in `hay` with its top-left corner at (`x`, `y`).
    fn appears_at(hay: &Bitmap, needle: &Line, x: u16, y: u16) -> bool {
        (0..needle.bitmap.height()).all(|ny| (0..needle.width).all(|nx| hay.get(x + nx, y + ny) == needle.bitmap.get(nx, ny)))
    }

    #[test]
    fn a_short_call_is_centred_on_a_16_dot_panel() {
        let r = render_text("A012 → 3号窗口", Geometry::WINDOW_128X16);
        assert!(r.missing.is_empty(), "{:?}", r.missing);
        assert!(!r.truncated);
        assert_eq!(r.layout, TextLayout::SingleLine);
        assert_eq!((r.content.width(), r.content.height()), (128, 16));
        assert!(!r.scrolls(Geometry::WINDOW_128X16));
        let line = alone("A012 → 3号窗口");
        let x = (128 - line.width) / 2;
        assert!(appears_at(&r.content, &line, x, 0), "{:?}", r.content);
        let (first, last) = r.content.lit_columns().expect("something is lit");
        // Centred: the margins differ by at most the glyphs' own side bearings.
        assert!(first.abs_diff(127 - last) <= 3, "{first}..{last}");
    }

    #[test]
    fn a_long_call_is_wider_than_the_panel_and_left_aligned() {
        let text = "请A012号到3号窗口办理户籍业务";
        let r = render_text(text, Geometry::WINDOW_64X16);
        let line = alone(text);
        assert!(r.scrolls(Geometry::WINDOW_64X16));
        assert_eq!(r.content.width(), line.width.div_ceil(8) * 8);
        assert_eq!(r.content.height(), 16);
        assert!(appears_at(&r.content, &line, 0, 0));
    }

    #[test]
    fn a_missing_character_becomes_a_visible_box_and_is_reported() {
        // U+20BB7 (𠮷) and an emoji are not in GB2312.
        let r = render_text("A𠮷B😀", Geometry::WINDOW_64X16);
        assert_eq!(r.missing, vec![MissingGlyph { ch: '𠮷', index: 1 }, MissingGlyph { ch: '😀', index: 3 }]);
        // The box takes a full cell: the text is as wide as "A" + 16 + "B" + 16, not "AB".
        let a = alone("A").width;
        let b = alone("B").width;
        let boxed = alone("A𠮷B😀");
        assert_eq!(boxed.width, a + 16 + b + 16);
        // Its outline is lit: top edge and both sides of the cell after "A".
        for i in 1..15 {
            assert!(boxed.bitmap.get(a + i, 1) && boxed.bitmap.get(a + i, 14), "top/bottom at {i}");
            assert!(boxed.bitmap.get(a + 1, i) && boxed.bitmap.get(a + 14, i), "sides at {i}");
        }
        // Crossed, so that it cannot be taken for 口.
        for i in 1..15 {
            assert!(boxed.bitmap.get(a + i, i) && boxed.bitmap.get(a + 15 - i, i), "diagonals at {i}");
        }
        let mouth = alone("口");
        let cell =
            |line: &Line, x0: u16| -> Vec<bool> { (0..16).flat_map(|y| (0..16).map(move |x| (x, y))).map(|(x, y)| line.bitmap.get(x0 + x, y)).collect() };
        assert_ne!(cell(&boxed, a), cell(&mouth, 0));
        // Control characters are boxes too, not silently dropped.
        let r = render_text("A\u{7}", Geometry::WINDOW_64X16);
        assert_eq!(r.missing, vec![MissingGlyph { ch: '\u{7}', index: 1 }]);
    }

    #[test]
    fn a_short_text_on_a_32_dot_panel_is_double_size() {
        let r = render_text("A012", Geometry::STRIP_256X32);
        assert_eq!(r.layout, TextLayout::DoubleSize);
        let line = alone("A012");
        let big = double(&line);
        let x = (256 - big.width) / 2;
        assert!(appears_at(&r.content, &big, x, 0), "{:?}", r.content);
        assert_eq!(r.content.lit(), 4 * line.bitmap.lit());
    }

    #[test]
    fn a_call_on_a_32_dot_panel_splits_into_two_lines_keeping_the_number_whole() {
        let r = render_text("请A012号到3号窗口", Geometry::STRIP_256X32);
        assert_eq!(r.layout, TextLayout::TwoLines);
        // "请A012号" / "到3号窗口" are the most even split that keeps "A012" whole.
        let top = alone("请A012号");
        let bottom = alone("到3号窗口");
        assert!(appears_at(&r.content, &top, (256 - top.width) / 2, 0), "{:?}", r.content);
        assert!(appears_at(&r.content, &bottom, (256 - bottom.width) / 2, 16), "{:?}", r.content);
    }

    #[test]
    fn a_newline_chooses_the_two_lines_on_a_32_dot_panel_and_is_a_space_on_16() {
        let r = render_text("A012\n3号窗口", Geometry::STRIP_256X32);
        assert_eq!(r.layout, TextLayout::TwoLines);
        let top = alone("A012");
        assert!(appears_at(&r.content, &top, (256 - top.width) / 2, 0));
        let r16 = render_text("A012\n3号窗口", Geometry::WINDOW_128X16);
        assert_eq!(r16, render_text("A012 3号窗口", Geometry::WINDOW_128X16));
    }

    #[test]
    fn text_too_long_for_two_lines_scrolls_at_double_size() {
        let text = "请A012号到3号窗口办理不动产登记业务，请携带身份证原件和户口簿以及相关材料";
        let r = render_text(text, Geometry::STRIP_256X32);
        assert_eq!(r.layout, TextLayout::DoubleSize);
        assert!(r.scrolls(Geometry::STRIP_256X32));
        assert_eq!(r.content.width(), (alone(text).width * 2).div_ceil(8) * 8);
    }

    #[test]
    fn text_past_the_content_limit_is_cut_and_says_so() {
        let text = "窗".repeat(200);
        let r = render_text(&text, Geometry::WINDOW_128X16);
        assert!(r.truncated);
        assert_eq!(r.content.width(), MAX_CONTENT_WIDTH);
        assert!(r.missing.is_empty());
    }

    proptest::proptest! {
        #![proptest_config(proptest::prelude::ProptestConfig::with_cases(64))]
        /// Any text, on any panel size, gives content the panel's height, a whole number of bytes
        /// wide, within the buffer, with every replaced character reported at its position.
        #[test]
        fn any_text_gives_valid_content(text in "[A-Z0-9 号窗口请到\n→😀\u{7}]{0,40}", width in 8u16..=32, tall in proptest::prelude::any::<bool>()) {
            let g = Geometry::new(width * 8, if tall { 32 } else { 16 }).expect("valid");
            let r = render_text(&text, g);
            proptest::prop_assert_eq!(r.content.height(), g.height());
            proptest::prop_assert!(r.content.width() >= g.width() && r.content.width() <= MAX_CONTENT_WIDTH);
            proptest::prop_assert_eq!(r.content.width() % 8, 0);
            let chars: Vec<char> = text.chars().collect();
            for m in &r.missing {
                proptest::prop_assert_eq!(chars[m.index], m.ch);
            }
            let expected_missing = chars.iter().filter(|&&c| c == '😀' || c == '\u{7}').count();
            proptest::prop_assert_eq!(r.missing.len(), expected_missing);
        }
    }

    #[test]
    fn empty_text_is_a_dark_panel() {
        for g in [Geometry::WINDOW_64X16, Geometry::STRIP_256X32] {
            let r = render_text("", g);
            assert!(r.content.is_dark());
            assert_eq!((r.content.width(), r.content.height()), (g.width(), g.height()));
        }
    }
}
