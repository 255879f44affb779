//! An incremental, sans-IO ESC/POS parser for the printer simulator: feed it bytes in any
//! chunks, get [`Event`]s out. It never fails and never panics: bytes it does not understand come
//! out as [`Event::Unknown`], so a simulator can log them and carry on like a printer would.
//!
//! The result does not depend on how the input is chunked: a text run is only emitted when a
//! non-text byte ends it (or at [`Parser::finish`], or when it reaches [`MAX_TEXT_RUN`] bytes), and
//! a command only when its last byte has arrived.
//!
//! # What is understood
//! Everything [`Layout::to_escpos`](super::layout::Layout::to_escpos) emits is decoded into a
//! [`Command`]: `ESC @`, `ESC a`, `ESC E`, `ESC d`, `ESC t`, `GS !`, `FS &`, `FS .`, `FS W`,
//! `GS V` (0/1/48/49/65/66), the QR functions of `GS ( k` (model, module size, error correction,
//! store, print), `DLE EOT 1–4`, `LF`, `CR` and `HT`. Other common commands are measured (so their
//! parameters are not mistaken for text) and reported as [`Event::Unknown`] with their bytes:
//! the rest of `ESC`, `GS ( x` functions with a `pL pH` length, bit images (`ESC *`, `GS v 0`,
//! `GS *`, `GS 8 L`), barcodes (`GS k`), tab stops (`ESC D`), `FS` and `DLE` commands. An
//! unrecognised `ESC x`, `GS x` or `FS x` is taken to be two bytes long.
//!
//! Real-time commands (`DLE EOT`) are recognised between commands and inside text, not inside
//! another command's parameters (some printers do that too; hallkit's driver never sends them
//! there).
//!
//! Text is every byte 0x20–0x7E and 0x80–0xFF, decoded as GB18030 (malformed sequences become
//! U+FFFD). It is decoded as GB18030 even outside Chinese mode: hallkit's printers are GB18030
//! printers, and the code table in use outside Chinese mode is not something a dump can show
//! faithfully anyway.

use std::mem;

use super::command::{Align, CharSize, Command, Cut, DLE, EOT, ESC, FS, GS, StatusRequest, decode_qr_function};
use super::command::{CR, HT, LF};

/// A text run is emitted once it reaches this many bytes, even without a terminating byte, so
/// memory stays bounded on a stream of text without line feeds.
pub const MAX_TEXT_RUN: usize = 4096;

/// The longest command kept in memory. Longer ones (large raster images) are reported by their
/// header ([`Event::Unknown`]) followed by [`Event::Skipped`] for the data.
pub const MAX_COMMAND: usize = 1 << 20;

/// What the parser found.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum Event {
    /// A command this module understands.
    Command(Command),
    /// Printable text, decoded from GB18030.
    Text(String),
    /// A command or control byte this module does not interpret, with its raw bytes.
    Unknown(Vec<u8>),
    /// Data bytes of an over-long command, not kept (see [`MAX_COMMAND`]).
    Skipped(usize),
    /// The stream ended in the middle of a command; its bytes so far.
    Truncated(Vec<u8>),
}

/// How long the command in the buffer is.
enum Need {
    More,
    Total(usize),
}

fn is_text(b: u8) -> bool {
    (0x20..=0x7E).contains(&b) || b >= 0x80
}

fn le16(lo: u8, hi: u8) -> usize {
    usize::from(lo) | (usize::from(hi) << 8)
}

/// Works out a command's total length from the bytes seen so far (the first is ESC, GS, FS or DLE).
fn measure(buf: &[u8]) -> Need {
    let at = |i: usize| buf.get(i).copied();
    let Some(second) = at(1) else { return Need::More };
    let fixed = |n: usize| Need::Total(n);
    // Waits until `i` bytes are present, then returns `f` of them.
    macro_rules! after {
        ($i:expr, $f:expr) => {
            if buf.len() < $i { Need::More } else { $f }
        };
    }
    // A parameter list ended by NUL, at most `max` bytes in all.
    let until_nul = |start: usize, max: usize| {
        if buf.len() > start && (buf.last() == Some(&0) || buf.len() >= max) { Need::Total(buf.len()) } else { Need::More }
    };
    match buf[0] {
        ESC => match second {
            b'@' | b'2' | b'<' | b'L' | b'S' | b'i' | b'm' => fixed(2),
            b'a' | b'E' | b'd' | b't' | b'!' | b'-' | b'3' | b'J' | b'G' | b'M' | b' ' | b'{' | b'V' | b'R' | b'e' | b'T' | b'=' | b'%' | b'U' | b'r'
            | b'?' | b'K' | b'u' | b'v' => fixed(3),
            b'$' | b'\\' | b'c' => fixed(4),
            b'p' => fixed(5),
            b'W' => fixed(10),
            b'D' => until_nul(2, 35),
            b'*' => after!(5, {
                let dots = le16(buf[3], buf[4]);
                let per_column = if buf[2] >= 32 { 3 } else { 1 };
                Need::Total(5 + dots * per_column)
            }),
            _ => fixed(2),
        },
        GS => match second {
            b'!' | b'B' | b'H' | b'h' | b'w' | b'f' | b'a' | b'r' | b'I' | b'b' | b'T' | b'/' | b'E' => fixed(3),
            b'L' | b'W' | b'$' | b'\\' | b'P' => fixed(4),
            b'V' => after!(
                3,
                match buf[2] {
                    65 | 66 | 97 | 98 | 103 | 104 => Need::Total(4),
                    _ => Need::Total(3),
                }
            ),
            b'(' => after!(5, Need::Total(5 + le16(buf[3], buf[4]))),
            b'*' => after!(4, Need::Total(4 + usize::from(buf[2]) * usize::from(buf[3]) * 8)),
            b'k' => after!(3, if buf[2] <= 6 { until_nul(3, 3 + 256) } else { after!(4, Need::Total(4 + usize::from(buf[3]))) }),
            b'v' => after!(8, Need::Total(8 + le16(buf[4], buf[5]) * le16(buf[6], buf[7]))),
            b'8' => after!(3, {
                if buf[2] == b'L' {
                    after!(7, {
                        let len = usize::from(buf[3]) | (usize::from(buf[4]) << 8) | (usize::from(buf[5]) << 16) | (usize::from(buf[6]) << 24);
                        Need::Total(7usize.saturating_add(len))
                    })
                } else {
                    Need::Total(3)
                }
            }),
            _ => fixed(2),
        },
        FS => match second {
            b'&' | b'.' => fixed(2),
            b'W' | b'!' | b'-' | b'C' => fixed(3),
            b'S' | b'p' => fixed(4),
            b'2' => fixed(75),
            _ => fixed(2),
        },
        DLE => match second {
            EOT | 0x05 => fixed(3),
            0x14 => after!(
                3,
                match buf[2] {
                    1 | 2 => Need::Total(5),
                    7 => Need::Total(4),
                    8 => Need::Total(10),
                    _ => Need::Total(3),
                }
            ),
            _ => fixed(2),
        },
        _ => fixed(1),
    }
}

/// Turns a complete command's bytes into an event.
fn decode(cmd: Vec<u8>) -> Event {
    let command = match cmd.as_slice() {
        [ESC, b'@'] => Some(Command::Initialize),
        [ESC, b'a', n] => Align::from_byte(*n).map(Command::Align),
        [ESC, b'E', n] => Some(Command::Bold(n & 1 == 1)),
        [ESC, b'd', n] => Some(Command::Feed(*n)),
        [ESC, b't', n] => Some(Command::CodeTable(*n)),
        [GS, b'!', n] => CharSize::from_byte(*n).map(Command::Size),
        [FS, b'&'] => Some(Command::ChineseMode(true)),
        [FS, b'.'] => Some(Command::ChineseMode(false)),
        [FS, b'W', n] => Some(Command::ChineseQuadruple(n & 1 == 1)),
        [GS, b'V', 0 | 48] => Some(Command::Cut(Cut::Full)),
        [GS, b'V', 1 | 49] => Some(Command::Cut(Cut::Partial)),
        [GS, b'V', 65, n] => Some(Command::Cut(Cut::FeedFull { units: *n })),
        [GS, b'V', 66, n] => Some(Command::Cut(Cut::FeedPartial { units: *n })),
        [GS, b'(', b'k', _, _, 0x31, body @ ..] => decode_qr_function(body),
        [DLE, EOT, n] => StatusRequest::from_byte(*n).map(Command::StatusRequest),
        _ => None,
    };
    match command {
        Some(c) => Event::Command(c),
        None => Event::Unknown(cmd),
    }
}

/// Length of the first `n` bytes of `text` that end on a GB18030 character boundary.
fn complete_prefix(text: &[u8]) -> usize {
    let mut i = 0;
    while i < text.len() {
        let b = text[i];
        let len = if b < 0x81 || b == 0xFF {
            1
        } else if text.get(i + 1).is_some_and(|n| (0x30..=0x39).contains(n)) {
            4
        } else {
            2
        };
        if i + len > text.len() {
            break;
        }
        i += len;
    }
    i
}

/// The parser. See the module docs.
#[derive(Debug, Default, Clone)]
pub struct Parser {
    text: Vec<u8>,
    cmd: Vec<u8>,
    need: Option<usize>,
    skip: usize,
    skipped: usize,
}

impl Parser {
    /// A parser at the start of a stream.
    pub fn new() -> Parser {
        Parser::default()
    }

    fn flush_text(&mut self, events: &mut Vec<Event>) {
        if !self.text.is_empty() {
            let bytes = mem::take(&mut self.text);
            let (text, _had_errors) = encoding_rs::GB18030.decode_without_bom_handling(&bytes);
            events.push(Event::Text(text.into_owned()));
        }
    }

    fn complete_command(&mut self, events: &mut Vec<Event>) {
        self.need = None;
        events.push(decode(mem::take(&mut self.cmd)));
    }

    /// Feeds bytes; returns the events they complete.
    pub fn push(&mut self, input: &[u8]) -> Vec<Event> {
        let mut events = Vec::new();
        let mut i = 0;
        while i < input.len() {
            if self.skip > 0 {
                let n = self.skip.min(input.len() - i);
                self.skip -= n;
                self.skipped += n;
                i += n;
                if self.skip == 0 {
                    events.push(Event::Skipped(mem::take(&mut self.skipped)));
                }
                continue;
            }
            if !self.cmd.is_empty() {
                match self.need {
                    Some(total) => {
                        let n = (total - self.cmd.len()).min(input.len() - i);
                        self.cmd.extend_from_slice(&input[i..i + n]);
                        i += n;
                    }
                    None => {
                        self.cmd.push(input[i]);
                        i += 1;
                        if let Need::Total(total) = measure(&self.cmd) {
                            if total > MAX_COMMAND {
                                self.need = None;
                                self.skip = total - self.cmd.len();
                                events.push(Event::Unknown(mem::take(&mut self.cmd)));
                                continue;
                            }
                            self.need = Some(total);
                        }
                    }
                }
                if self.need == Some(self.cmd.len()) {
                    self.complete_command(&mut events);
                }
                continue;
            }
            let b = input[i];
            i += 1;
            if is_text(b) {
                self.text.push(b);
                if self.text.len() >= MAX_TEXT_RUN {
                    let cut = complete_prefix(&self.text);
                    let rest = self.text.split_off(cut);
                    self.flush_text(&mut events);
                    self.text = rest;
                }
                continue;
            }
            self.flush_text(&mut events);
            match b {
                LF => events.push(Event::Command(Command::LineFeed)),
                CR => events.push(Event::Command(Command::CarriageReturn)),
                HT => events.push(Event::Command(Command::Tab)),
                ESC | GS | FS | DLE => {
                    self.cmd.push(b);
                    self.need = None;
                }
                other => events.push(Event::Unknown(vec![other])),
            }
        }
        events
    }

    /// Ends the stream: emits pending text, and a [`Event::Truncated`] command or
    /// [`Event::Skipped`] data if the stream stopped inside one. The parser is then reset.
    pub fn finish(&mut self) -> Vec<Event> {
        let mut events = Vec::new();
        self.flush_text(&mut events);
        if !self.cmd.is_empty() {
            events.push(Event::Truncated(mem::take(&mut self.cmd)));
        }
        if self.skipped > 0 {
            events.push(Event::Skipped(self.skipped));
        }
        *self = Parser::default();
        events
    }
}

/// Parses a whole stream at once.
pub fn parse(bytes: &[u8]) -> Vec<Event> {
    let mut parser = Parser::new();
    let mut events = parser.push(bytes);
    events.extend(parser.finish());
    events
}
