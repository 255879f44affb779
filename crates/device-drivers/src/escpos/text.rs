//! Text for the printer: GB18030 encoding with visible, counted replacement of what the printer
//! cannot print, column widths, and line wrapping.
//!
//! # What gets replaced
//! `encoding_rs`'s GB18030 encoder covers all of Unicode (a Rust `&str` cannot hold unpaired
//! surrogates, so those never reach this module), yet some characters must still not reach paper:
//! - control characters (C0, DEL, C1): their bytes are ESC/POS commands or are ignored, so they
//!   would silently vanish or, worse, change the printer's state;
//! - invisible format characters (zero-width spaces and joiners, bidi controls, the BOM, soft
//!   hyphen) and noncharacters: a printer shows them as blank or garbage;
//! - private-use characters: GB18030 maps them to user-defined areas that printers leave blank;
//! - with [`Charset::GbkOnly`], every character that GB18030 writes as four bytes (CJK extension
//!   B and later, most emoji, rare symbols): GBK printers print those bytes as two wrong characters;
//! - anything the encoder refuses (U+E5E5, per the WHATWG encoding standard).
//!
//! Each is replaced by the configured replacement character (default `?`) and reported as a
//! [`Replacement`]: never dropped silently. A line break (`\n`, or `\r\n`) is not replaced: text
//! blocks split on it.
//!
//! # Widths
//! The printer's font is what decides widths, not Unicode's East Asian Width table: a character
//! sent as one byte (ASCII) takes one column (12 dots in font A), one sent as two or four bytes is
//! drawn from the Chinese font and takes two (24 dots). [`char_columns`] follows that rule, so the
//! wrapping here matches the paper.

use serde::{Deserialize, Serialize};

/// Which character set the printer's Chinese font covers.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
#[non_exhaustive]
pub enum Charset {
    /// Full GB18030 (one-, two- and four-byte sequences).
    #[default]
    Gb18030,
    /// GBK only: four-byte GB18030 sequences are replaced.
    GbkOnly,
}

/// Why a character was replaced.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum ReplaceReason {
    /// A control character (C0 other than a line break, DEL, C1).
    Control,
    /// An invisible format character or a noncharacter.
    Invisible,
    /// A private-use character.
    PrivateUse,
    /// Needs a four-byte GB18030 sequence, and the printer is GBK only.
    NotInGbk,
    /// The GB18030 encoder has no bytes for it.
    Unmappable,
}

/// One replaced character.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct Replacement {
    /// The character that could not be printed.
    pub original: char,
    /// Its index (in characters) in the text it came from.
    pub position: usize,
    /// Why.
    pub reason: ReplaceReason,
}

/// Text made safe for a printer.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SafeText {
    /// The text with every unprintable character replaced; line breaks kept as `\n`.
    pub text: String,
    /// What was replaced, in order.
    pub replacements: Vec<Replacement>,
}

/// The GB18030 bytes of one character, or `None` when the encoder refuses it.
pub fn gb18030_bytes(c: char) -> Option<Vec<u8>> {
    let mut encoder = encoding_rs::GB18030.new_encoder();
    let mut tmp = [0u8; 4];
    let s = c.encode_utf8(&mut tmp);
    let mut out = [0u8; 8];
    let (result, _read, written) = encoder.encode_from_utf8_without_replacement(s, &mut out, true);
    match result {
        encoding_rs::EncoderResult::InputEmpty => Some(out[..written].to_vec()),
        _ => None,
    }
}

fn is_invisible(c: char) -> bool {
    matches!(c,
        '\u{00AD}'                      // soft hyphen
        | '\u{034F}'                    // combining grapheme joiner
        | '\u{061C}'                    // Arabic letter mark
        | '\u{115F}' | '\u{1160}'       // Hangul fillers
        | '\u{180E}'                    // Mongolian vowel separator
        | '\u{200B}'..='\u{200F}'       // zero-width space/joiners, LRM, RLM
        | '\u{2028}'..='\u{202E}'       // line/paragraph separators, bidi embeddings
        | '\u{2060}'..='\u{206F}'       // word joiner, invisible operators, bidi isolates
        | '\u{FE00}'..='\u{FE0F}'       // variation selectors
        | '\u{FEFF}'                    // BOM
        | '\u{FFF0}'..='\u{FFFB}'       // specials, interlinear annotation
        | '\u{E0000}'..='\u{E0FFF}'     // tags, variation selectors supplement
    ) || (u32::from(c) & 0xFFFE) == 0xFFFE
        || ('\u{FDD0}'..='\u{FDEF}').contains(&c)
}

fn is_private_use(c: char) -> bool {
    matches!(c, '\u{E000}'..='\u{F8FF}' | '\u{F0000}'..='\u{FFFFD}' | '\u{100000}'..='\u{10FFFD}')
}

/// Why `c` cannot be printed with `charset`, or `None` when it can. `\n` counts as printable (it is
/// a line break, handled by the caller).
pub fn unprintable_reason(c: char, charset: Charset) -> Option<ReplaceReason> {
    if c == '\n' {
        return None;
    }
    if c.is_control() {
        return Some(ReplaceReason::Control);
    }
    if is_invisible(c) {
        return Some(ReplaceReason::Invisible);
    }
    if is_private_use(c) {
        return Some(ReplaceReason::PrivateUse);
    }
    match gb18030_bytes(c) {
        None => Some(ReplaceReason::Unmappable),
        Some(b) if b.len() == 4 && charset == Charset::GbkOnly => Some(ReplaceReason::NotInGbk),
        Some(_) => None,
    }
}

/// Replaces what the printer cannot print with `replacement` and reports each one. `\r\n` and a
/// lone `\r` become `\n`, since both are line breaks to whoever wrote the text.
///
/// `replacement` must itself be printable ([`unprintable_reason`] is `None`); the renderer checks
/// this before calling.
pub fn make_safe(text: &str, charset: Charset, replacement: char) -> SafeText {
    let mut out = String::with_capacity(text.len());
    let mut replacements = Vec::new();
    let mut chars = text.chars().enumerate().peekable();
    while let Some((position, c)) = chars.next() {
        if c == '\r' {
            if chars.peek().map(|(_, n)| *n) == Some('\n') {
                chars.next();
            }
            out.push('\n');
            continue;
        }
        match unprintable_reason(c, charset) {
            None => out.push(c),
            Some(reason) => {
                out.push(replacement);
                replacements.push(Replacement { original: c, position, reason });
            }
        }
    }
    SafeText { text: out, replacements }
}

/// GB18030 bytes of text already made safe by [`make_safe`]. A character that is still
/// unencodable (only possible for text that skipped [`make_safe`]) becomes `?`, so the byte stream
/// never carries a control byte the printer would take as a command.
pub fn encode_safe(text: &str) -> Vec<u8> {
    let mut out = Vec::with_capacity(text.len() * 2);
    for c in text.chars() {
        match gb18030_bytes(c) {
            Some(b) if !c.is_control() => out.extend_from_slice(&b),
            _ => out.push(b'?'),
        }
    }
    out
}

/// Columns one character takes at ×1 width: 1 for ASCII (one byte), 2 for everything drawn from
/// the Chinese font (two or four bytes). Control characters take none.
pub fn char_columns(c: char) -> usize {
    if c.is_control() {
        0
    } else if c.is_ascii() {
        1
    } else {
        2
    }
}

/// Columns a string takes at ×1 width.
pub fn text_columns(s: &str) -> usize {
    s.chars().map(char_columns).sum()
}

/// Splits one paragraph (no `\n`) into lines of at most `columns` columns (at ×1 width; divide
/// the paper's columns by the width multiplier first).
///
/// CJK text breaks between any two characters; a run of ASCII letters breaks at its last space
/// when it would be split, unless the word alone is longer than a line. The space at a break is
/// dropped. An empty paragraph gives one empty line. A character wider than `columns` still gets
/// a line of its own, so nothing is lost.
pub fn wrap(paragraph: &str, columns: usize) -> Vec<String> {
    let columns = columns.max(1);
    let mut lines = Vec::new();
    let mut line: Vec<char> = Vec::new();
    let mut width = 0usize;
    for c in paragraph.chars() {
        let w = char_columns(c);
        if width + w <= columns || line.is_empty() {
            line.push(c);
            width += w;
            continue;
        }
        // The line is full. A space that would start the next line is simply the break.
        if c == ' ' {
            lines.push(line.drain(..).collect());
            width = 0;
            continue;
        }
        // Do not split an ASCII word if the line has an earlier space to break at.
        let mut carry: Vec<char> = Vec::new();
        if c.is_ascii_graphic() && line.last().is_some_and(|l| l.is_ascii_graphic()) {
            if let Some(space) = line.iter().rposition(|&l| l == ' ' || !l.is_ascii()) {
                let tail_is_word = line[space + 1..].iter().all(|l| l.is_ascii_graphic());
                if tail_is_word {
                    carry = line.split_off(space + 1);
                    if line.last() == Some(&' ') {
                        line.pop();
                    }
                }
            }
        }
        let done: String = line.drain(..).collect();
        lines.push(done.trim_end_matches(' ').to_string());
        line = carry;
        line.push(c);
        width = line.iter().map(|&l| char_columns(l)).sum();
    }
    lines.push(line.into_iter().collect());
    lines
}
