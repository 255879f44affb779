//! What is announced: a [`Call`] (ticket number and window) put into a per-language [`Template`].

use std::collections::BTreeMap;
use std::fmt;
use std::str::FromStr;

use serde::{Deserialize, Serialize};

use super::reading::{self, Script};
use super::{Language, TemplateError, VoiceError};

/// A ticket number as printed: `A012` (from a lease) or `A-3-017` (a kiosk's offline fallback:
/// prefix, kiosk device number, counter). See `hall_protocol::number::TicketNumber`; this crate keeps
/// its own small check so that it does not depend on the protocol crate.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct TicketText(String);

impl TicketText {
    /// The text, e.g. `A012`.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl fmt::Display for TicketText {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

fn all_digits(s: &str) -> bool {
    !s.is_empty() && s.bytes().all(|b| b.is_ascii_digit())
}

impl FromStr for TicketText {
    type Err = VoiceError;
    fn from_str(s: &str) -> Result<Self, VoiceError> {
        let bad = || VoiceError::BadTicket(s.to_owned());
        let mut chars = s.chars();
        chars.next().filter(|c| c.is_ascii_uppercase()).ok_or_else(bad)?;
        let rest = chars.as_str();
        let ok = match rest.strip_prefix('-') {
            Some(rest) => rest.split_once('-').is_some_and(|(d, n)| all_digits(d) && all_digits(n)),
            None => all_digits(rest),
        };
        if ok { Ok(TicketText(s.to_owned())) } else { Err(bad()) }
    }
}

impl TryFrom<String> for TicketText {
    type Error = VoiceError;
    fn try_from(s: String) -> Result<Self, VoiceError> {
        s.parse()
    }
}

impl From<TicketText> for String {
    fn from(t: TicketText) -> String {
        t.0
    }
}

/// One call: "ticket A012, please go to window 3".
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct Call {
    /// The ticket called.
    pub ticket: TicketText,
    /// The window number the citizen should go to.
    pub window: u32,
}

impl Call {
    /// A call from a ticket text such as `A012` and a window number.
    pub fn new(ticket: &str, window: u32) -> Result<Call, VoiceError> {
        Ok(Call { ticket: ticket.parse()?, window })
    }
}

/// Something the announcer says: a call, or a prompt (the kiosk's spoken guidance in elderly mode,
/// e.g. "请将身份证放在读卡区"). Prompts go through the same queue, so they never talk over a call.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
#[non_exhaustive]
pub enum Announcement {
    /// A call, spoken `repeat` times through the templates.
    Call(Call),
    /// Free text, spoken once in the language it is written in.
    Prompt(String),
}

impl From<Call> for Announcement {
    fn from(call: Call) -> Self {
        Announcement::Call(call)
    }
}

impl Announcement {
    /// A short name for logs and file names: the ticket number, or `prompt`.
    pub fn label(&self) -> String {
        match self {
            Announcement::Call(c) => c.ticket.to_string(),
            Announcement::Prompt(_) => "prompt".to_owned(),
        }
    }

    /// The call, if this is one.
    pub fn call(&self) -> Option<&Call> {
        match self {
            Announcement::Call(c) => Some(c),
            Announcement::Prompt(_) => None,
        }
    }
}

/// One piece of a parsed template.
#[derive(Debug, Clone, PartialEq, Eq)]
enum Piece {
    Literal(String),
    Ticket,
    Window,
}

/// An announcement template such as `请{ticket}号到{window}号窗口办理`.
///
/// Placeholders: `{ticket}` (required; read digit by digit) and `{window}` (read as a number).
/// There is no escape for literal braces: announcements have no use for them, and a stray brace is
/// far more likely a typo, so it is an error.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Template {
    source: String,
    pieces: Vec<Piece>,
}

impl Template {
    /// The default Chinese template.
    pub const ZH: &'static str = "请{ticket}号到{window}号窗口办理";
    /// The default English template.
    pub const EN: &'static str = "Number {ticket}, please go to window {window}.";

    /// Parses a template.
    pub fn parse(source: &str) -> Result<Template, TemplateError> {
        let mut pieces = Vec::new();
        let mut literal = String::new();
        let mut chars = source.char_indices().enumerate();
        while let Some((index, (_, c))) = chars.next() {
            match c {
                '{' => {
                    let mut name = String::new();
                    let mut closed = false;
                    for (_, (_, c)) in chars.by_ref() {
                        if c == '}' {
                            closed = true;
                            break;
                        }
                        if c == '{' {
                            break;
                        }
                        name.push(c);
                    }
                    if !closed {
                        return Err(TemplateError::UnbalancedBrace { template: source.to_owned(), at: index });
                    }
                    let piece = match name.trim() {
                        "ticket" => Piece::Ticket,
                        "window" => Piece::Window,
                        other => {
                            return Err(TemplateError::UnknownPlaceholder { template: source.to_owned(), name: other.to_owned() });
                        }
                    };
                    if !literal.is_empty() {
                        pieces.push(Piece::Literal(std::mem::take(&mut literal)));
                    }
                    pieces.push(piece);
                }
                '}' => return Err(TemplateError::UnbalancedBrace { template: source.to_owned(), at: index }),
                c => literal.push(c),
            }
        }
        if !literal.is_empty() {
            pieces.push(Piece::Literal(literal));
        }
        if !pieces.contains(&Piece::Ticket) {
            return Err(TemplateError::NoTicket { template: source.to_owned() });
        }
        Ok(Template { source: source.to_owned(), pieces })
    }

    /// The template as written.
    pub fn source(&self) -> &str {
        &self.source
    }

    /// The announcement as text, for boards and logs: `请A012号到3号窗口办理`.
    pub fn text(&self, call: &Call) -> String {
        self.pieces
            .iter()
            .map(|p| match p {
                Piece::Literal(s) => s.clone(),
                Piece::Ticket => call.ticket.to_string(),
                Piece::Window => call.window.to_string(),
            })
            .collect()
    }

    /// The announcement as spoken units in `language`: literals read as text, the ticket digit by
    /// digit, the window as a number.
    pub fn script(&self, call: &Call, language: Language) -> Script {
        let mut script = Script::new(language);
        for piece in &self.pieces {
            match piece {
                Piece::Literal(s) => script.extend(reading::read_text(s, language)),
                Piece::Ticket => script.extend(reading::read_ticket(call.ticket.as_str(), language)),
                Piece::Window => script.extend(reading::read_number(call.window, language)),
            }
        }
        script.tidy_pauses();
        script
    }
}

impl Serialize for Template {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(&self.source)
    }
}

impl<'de> Deserialize<'de> for Template {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let s = String::deserialize(d)?;
        Template::parse(&s).map_err(serde::de::Error::custom)
    }
}

/// The templates per language, and the languages each announcement is made in, in order.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct Templates {
    /// Languages spoken, in order, in each round of an announcement (default: Chinese only).
    pub languages: Vec<Language>,
    /// One template per language.
    pub by_language: BTreeMap<Language, Template>,
}

impl Default for Templates {
    fn default() -> Self {
        let mut by_language = BTreeMap::new();
        // The defaults are constants known to parse; a failure would be a bug caught by the tests.
        if let Ok(t) = Template::parse(Template::ZH) {
            by_language.insert(Language::Zh, t);
        }
        if let Ok(t) = Template::parse(Template::EN) {
            by_language.insert(Language::En, t);
        }
        Templates { languages: vec![Language::Zh], by_language }
    }
}

impl Templates {
    /// The template for a language.
    pub fn get(&self, language: Language) -> Result<&Template, TemplateError> {
        self.by_language.get(&language).ok_or(TemplateError::MissingLanguage(language))
    }

    /// Checks every spoken language has a template (call when loading configuration).
    pub fn check(&self) -> Result<(), TemplateError> {
        for &l in &self.languages {
            self.get(l)?;
        }
        Ok(())
    }
}
