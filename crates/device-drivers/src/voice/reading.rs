//! How a hall reads things aloud, as a [`Script`] of [`Spoken`] units that both engines speak.
//!
//! - Ticket numbers digit by digit: `A012` → A 零 一 二 ("A zero one two"). The offline fallback
//!   `A-3-017` → A, 三, 零 一 七: the dashes become short pauses so the device number does not run
//!   into the counter.
//! - Window numbers as numbers: 3 → 三, 12 → 十二, 20 → 二十, 105 → 一百零五 (English: "three",
//!   "twelve", "one hundred five"). From 10000 on, digit by digit (no hall has that many windows).
//! - Hanzi as tone-numbered pinyin from the `pinyin` crate (`请` → `qing3`), one unit per syllable;
//!   the crate's most common reading is used, which is right for announcement words (号 hao4).
//! - Latin letters inside Chinese text as letter names; English words as lower-case words; runs of
//!   digits in free text as numbers; ticket-shaped tokens (`B007`) as tickets; punctuation as pauses.
//!
//! Characters that cannot be spoken (emoji, symbols, hanzi without a reading) are left out of the
//! units and listed in [`Script::skipped`], so a caller can report them instead of losing them
//! silently.

use pinyin::ToPinyin;
use serde::Serialize;

use super::Language;

/// One spoken unit: what a clip is recorded for, and what espeak-ng is given.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "lowercase")]
#[non_exhaustive]
pub enum Spoken {
    /// A digit 0–9, read as 零…九 or "zero"…"nine". Clip `digits/N.wav`.
    Digit(u8),
    /// A letter A–Z, read by its name. Clip `letters/A.wav`.
    Letter(char),
    /// A word: a tone-numbered pinyin syllable (`qing3`) or a lower-case English word (`window`).
    /// Clip `words/KEY.wav`.
    Word(String),
    /// A short pause (punctuation, the dashes of a fallback ticket number). No clip: silence.
    Pause,
}

/// Pinyin of 零 … 九.
const ZH_DIGITS: [&str; 10] = ["ling2", "yi1", "er4", "san1", "si4", "wu3", "liu4", "qi1", "ba1", "jiu3"];
/// English names of 0 … 9.
const EN_DIGITS: [&str; 10] = ["zero", "one", "two", "three", "four", "five", "six", "seven", "eight", "nine"];
const EN_TEENS: [&str; 10] = ["ten", "eleven", "twelve", "thirteen", "fourteen", "fifteen", "sixteen", "seventeen", "eighteen", "nineteen"];
const EN_TENS: [&str; 10] = ["", "", "twenty", "thirty", "forty", "fifty", "sixty", "seventy", "eighty", "ninety"];
/// espeak-ng phoneme mnemonics for English letter names: given bare, espeak reads `A` as the
/// article "a" (/ə/) in a sentence, which a citizen would not recognise as the ticket prefix.
const EN_LETTERS: [&str; 26] = [
    "eI",
    "bi:",
    "si:",
    "di:",
    "i:",
    "Ef",
    "dZi:",
    "eItS",
    "aI",
    "dZeI",
    "keI",
    "El",
    "Em",
    "En",
    "oU",
    "pi:",
    "kju:",
    "A@",
    "Es",
    "ti:",
    "ju:",
    "vi:",
    "d'Vb@Lju:",
    "Eks",
    "waI",
    "zEd",
];

impl Spoken {
    /// The clip for this unit inside a voice pack (`digits/3.wav`), or `None` for a pause.
    pub fn clip(&self) -> Option<String> {
        match self {
            Spoken::Digit(d) => Some(format!("digits/{d}.wav")),
            Spoken::Letter(c) => Some(format!("letters/{c}.wav")),
            Spoken::Word(w) => Some(format!("words/{w}.wav")),
            Spoken::Pause => None,
        }
    }

    /// What espeak-ng is given for this unit in `language`.
    fn espeak(&self, language: Language) -> String {
        match (self, language) {
            (Spoken::Digit(d), Language::Zh) => ZH_DIGITS[usize::from(*d % 10)].to_owned(),
            (Spoken::Digit(d), _) => EN_DIGITS[usize::from(*d % 10)].to_owned(),
            // The cmn-latn-pinyin voice reads a lone capital by its (Chinese-accented) name: A → ei4.
            (Spoken::Letter(c), Language::Zh) => c.to_string(),
            (Spoken::Letter(c), _) => {
                let i = (*c as usize).wrapping_sub('A' as usize);
                EN_LETTERS.get(i).map_or_else(|| c.to_string(), |p| format!("[[{p}]]"))
            }
            (Spoken::Word(w), _) => w.clone(),
            (Spoken::Pause, _) => ",".to_owned(),
        }
    }
}

/// An announcement (or any text) as spoken units in one language.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Script {
    /// The language the units are in.
    pub language: Language,
    /// The units, in order.
    pub units: Vec<Spoken>,
    /// Characters of the input that could not be spoken and were left out.
    pub skipped: Vec<char>,
}

impl Script {
    /// An empty script.
    pub fn new(language: Language) -> Script {
        Script { language, units: Vec::new(), skipped: Vec::new() }
    }

    /// Appends another script's units (and skipped characters).
    pub fn extend(&mut self, other: Script) {
        self.units.extend(other.units);
        self.skipped.extend(other.skipped);
    }

    /// Collapses runs of pauses into one and drops pauses at the start and end, which say nothing.
    pub fn tidy_pauses(&mut self) {
        let mut units = Vec::with_capacity(self.units.len());
        for u in self.units.drain(..) {
            if u == Spoken::Pause && matches!(units.last(), None | Some(Spoken::Pause)) {
                continue;
            }
            units.push(u);
        }
        if units.last() == Some(&Spoken::Pause) {
            units.pop();
        }
        self.units = units;
    }

    /// True if there is nothing to say (no units other than pauses).
    pub fn is_silent(&self) -> bool {
        self.units.iter().all(|u| *u == Spoken::Pause)
    }

    /// The text handed to espeak-ng: for Chinese, tone-numbered pinyin for the `cmn-latn-pinyin`
    /// voice (`qing3 A ling2 yi1 er4 hao4 …`); for English, words with letter names as phonemes.
    /// Pauses become commas.
    pub fn espeak_text(&self) -> String {
        let mut out = String::new();
        for unit in &self.units {
            let piece = unit.espeak(self.language);
            if !out.is_empty() && piece != "," {
                out.push(' ');
            }
            out.push_str(&piece);
        }
        out
    }

    /// The clips a voice pack needs for this script, in order of first use, without repeats.
    pub fn clips(&self) -> Vec<String> {
        let mut seen = Vec::new();
        for clip in self.units.iter().filter_map(Spoken::clip) {
            if !seen.contains(&clip) {
                seen.push(clip);
            }
        }
        seen
    }
}

/// True for a CJK unified ideograph (the characters the pinyin crate knows).
pub fn is_hanzi(c: char) -> bool {
    matches!(c, '\u{3400}'..='\u{4DBF}' | '\u{4E00}'..='\u{9FFF}' | '\u{F900}'..='\u{FAFF}' | '\u{20000}'..='\u{2FA1F}')
}

fn is_pause(c: char) -> bool {
    matches!(c, ',' | '.' | ';' | ':' | '!' | '?' | '，' | '。' | '、' | '；' | '：' | '！' | '？' | '…' | '-' | '—')
}

fn digit(b: u8) -> Spoken {
    Spoken::Digit(b - b'0')
}

/// A ticket number digit by digit: `A012` → A 0 1 2; `A-3-017` → A, 3, 0 1 7 (pauses at dashes).
/// Anything else in the text is read as free text.
pub fn read_ticket(ticket: &str, language: Language) -> Script {
    let mut script = Script::new(language);
    for c in ticket.chars() {
        match c {
            'A'..='Z' => script.units.push(Spoken::Letter(c)),
            'a'..='z' => script.units.push(Spoken::Letter(c.to_ascii_uppercase())),
            '0'..='9' => script.units.push(digit(c as u8)),
            '-' => script.units.push(Spoken::Pause),
            other => script.skipped.push(other),
        }
    }
    script
}

/// A number as a number: 12 → 十二 / "twelve". From 10000 on, digit by digit.
pub fn read_number(n: u32, language: Language) -> Script {
    let mut script = Script::new(language);
    script.units = match language {
        Language::Zh => zh_number(n),
        _ => en_number(n),
    };
    script
}

fn digits_of(n: u32) -> Vec<Spoken> {
    n.to_string().bytes().map(digit).collect()
}

fn word(w: &str) -> Spoken {
    Spoken::Word(w.to_owned())
}

fn zh_number(n: u32) -> Vec<Spoken> {
    if n >= 10_000 {
        return digits_of(n);
    }
    if n < 10 {
        return vec![Spoken::Digit(n as u8)];
    }
    const UNITS: [&str; 4] = ["qian1", "bai3", "shi2", ""];
    let ds = [n / 1000, n / 100 % 10, n / 10 % 10, n % 10];
    let mut out = Vec::new();
    let mut zero_pending = false;
    for (i, &d) in ds.iter().enumerate() {
        if d == 0 {
            // One 零 for a run of zeros between non-zero digits (一百零五), none at the end (二十).
            zero_pending = !out.is_empty();
            continue;
        }
        if zero_pending {
            out.push(Spoken::Digit(0));
            zero_pending = false;
        }
        // 10–19 are 十, 十一 …, not 一十一.
        let leading_ten = i == 2 && out.is_empty() && d == 1;
        if !leading_ten {
            out.push(Spoken::Digit(d as u8));
        }
        if !UNITS[i].is_empty() {
            out.push(word(UNITS[i]));
        }
    }
    out
}

fn en_below_hundred(n: u32, out: &mut Vec<Spoken>) {
    match n {
        0..=9 => out.push(Spoken::Digit(n as u8)),
        10..=19 => out.push(word(EN_TEENS[(n - 10) as usize])),
        _ => {
            out.push(word(EN_TENS[(n / 10) as usize]));
            if n % 10 != 0 {
                out.push(Spoken::Digit((n % 10) as u8));
            }
        }
    }
}

fn en_number(n: u32) -> Vec<Spoken> {
    if n >= 10_000 {
        return digits_of(n);
    }
    let mut out = Vec::new();
    if n >= 1000 {
        out.push(Spoken::Digit((n / 1000) as u8));
        out.push(word("thousand"));
    }
    if n / 100 % 10 != 0 {
        out.push(Spoken::Digit((n / 100 % 10) as u8));
        out.push(word("hundred"));
    }
    if n % 100 != 0 || out.is_empty() {
        en_below_hundred(n % 100, &mut out);
    }
    out
}

/// True for `A012`-like or `A-3-017`-like tokens.
fn looks_like_ticket(token: &str) -> bool {
    let b = token.as_bytes();
    if b.len() < 2 || !b[0].is_ascii_uppercase() {
        return false;
    }
    let rest = &token[1..];
    match rest.strip_prefix('-') {
        Some(r) => r.split_once('-').is_some_and(|(d, n)| !d.is_empty() && !n.is_empty() && (d.bytes().chain(n.bytes())).all(|c| c.is_ascii_digit())),
        None => rest.len() >= 3 && rest.bytes().all(|c| c.is_ascii_digit()),
    }
}

/// Reads an ASCII token (letters, digits and inner dashes) that is not a ticket.
fn read_ascii_token(token: &str, language: Language, out: &mut Script) {
    // Split into runs of letters and runs of digits ("3B" → 3, B); dashes are pauses.
    let bytes = token.as_bytes();
    let mut i = 0;
    while i < bytes.len() {
        let start = i;
        let kind = |b: u8| {
            if b.is_ascii_digit() {
                0
            } else if b.is_ascii_alphabetic() {
                1
            } else {
                2
            }
        };
        let k = kind(bytes[i]);
        while i < bytes.len() && kind(bytes[i]) == k {
            i += 1;
        }
        let run = &token[start..i];
        match k {
            0 => match run.parse::<u32>() {
                // Leading zeros ("007") are read digit by digit, as people do.
                Ok(n) if !run.starts_with('0') || run.len() == 1 => out.extend(read_number(n, language)),
                _ => out.units.extend(run.bytes().map(digit)),
            },
            1 => {
                let spell = language == Language::Zh || (run.len() <= 3 && run.bytes().all(|b| b.is_ascii_uppercase()));
                if spell {
                    out.units.extend(run.chars().map(|c| Spoken::Letter(c.to_ascii_uppercase())));
                } else {
                    out.units.push(Spoken::Word(run.to_ascii_lowercase()));
                }
            }
            _ => out.units.push(Spoken::Pause),
        }
    }
}

/// Free text (a template's literal parts, or `kiosk doctor voice --text`) as spoken units.
///
/// Pauses at the ends are kept, because a literal may sit between placeholders
/// (`", please go to window "`); call [`Script::tidy_pauses`] on the finished script.
pub fn read_text(text: &str, language: Language) -> Script {
    let mut script = Script::new(language);
    let mut token = String::new();
    let flush = |token: &mut String, script: &mut Script| {
        // Dashes at the ends of a token are punctuation, not part of it.
        let trimmed = token.trim_matches('-');
        if trimmed.len() != token.len() {
            script.units.push(Spoken::Pause);
        }
        if !trimmed.is_empty() {
            if looks_like_ticket(trimmed) {
                script.extend(read_ticket(trimmed, language));
            } else {
                read_ascii_token(trimmed, language, script);
            }
        }
        token.clear();
    };
    for c in text.chars() {
        if c.is_ascii_alphanumeric() || (c == '-' && !token.is_empty()) {
            token.push(c);
            continue;
        }
        flush(&mut token, &mut script);
        if c.is_whitespace() {
            continue;
        }
        if is_pause(c) {
            script.units.push(Spoken::Pause);
            continue;
        }
        if language == Language::Zh && is_hanzi(c) {
            if let Some(p) = c.to_pinyin() {
                script.units.push(Spoken::Word(p.with_tone_num_end().to_owned()));
                continue;
            }
        }
        script.skipped.push(c);
    }
    flush(&mut token, &mut script);
    script
}
