//! The serial keypad byte protocols, sans-IO: the decoder and the keypad side's encoder.

use serde::{Deserialize, Serialize};

use super::key::{KeyName, MAX_KEY_LEN, is_key_byte};

/// Start of an `stx` frame.
pub const STX: u8 = 0x02;
/// End of an `stx` frame's key, before the checksum.
pub const ETX: u8 = 0x03;
const CR: u8 = b'\r';
const LF: u8 = b'\n';

/// How a keypad frames its key presses. [`KeyDecoder`] turns a byte stream (in any chunks)
/// into key names, ignoring and counting garbage; [`encode_key`] is the keypad's side, used by
/// the simulator.
///
/// Three framings are supported (chosen per keypad in its configuration):
///
/// | framing | a press of key `K` | other bytes |
/// | --- | --- | --- |
/// | `plain` | the one byte `K` (`0x21`–`0x7E`), optionally followed by CR and/or LF | CR, LF, space and NUL are ignored; anything else is garbage |
/// | `lines` | `K` (1–8 bytes `0x21`–`0x7E`) then CR, LF or CR LF | spaces and NUL are ignored; a line with any other byte, or longer than 8, is garbage as a whole |
/// | `stx` | `02` `K` (1–8 bytes) `03` `BCC`, where `BCC` is the XOR of the bytes of `K` | anything outside a frame, and any frame with a bad BCC or a bad byte, is garbage |
///
/// `plain` is what most cheap counter keypads (呼叫器) and USB-serial "key boxes" send;
/// `lines` suits keypads with named keys (`F1`, `CALL`); `stx` suits a keypad whose firmware
/// you write (a microcontroller on RS-485), where the checksum catches line noise.
///
/// In `lines`, a line with a bad byte is dropped whole rather than shortened: `F<noise>1`
/// must not become the key `1`, which could be another action.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Framing {
    /// One byte per press.
    #[default]
    Plain,
    /// One line per press.
    Lines,
    /// `STX key ETX BCC`.
    Stx,
}

/// What a keypad sends after each key in the `plain` and `lines` framings.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum LineEnding {
    /// Nothing (not allowed with `lines`).
    None,
    /// CR.
    Cr,
    /// LF.
    Lf,
    /// CR LF.
    #[default]
    CrLf,
}

impl LineEnding {
    fn bytes(self) -> &'static [u8] {
        match self {
            LineEnding::None => b"",
            LineEnding::Cr => b"\r",
            LineEnding::Lf => b"\n",
            LineEnding::CrLf => b"\r\n",
        }
    }
}

/// A key that a framing cannot carry.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum EncodeError {
    /// `plain` carries one character per key.
    #[error("key {0:?} has more than one character, which the plain framing cannot send; use the lines or stx framing")]
    KeyTooLong(KeyName),
    /// `lines` needs a line ending.
    #[error("the lines framing needs a line ending (cr, lf or cr_lf)")]
    NoLineEnding,
}

/// The XOR checksum of an `stx` frame's key.
pub fn bcc(key: &[u8]) -> u8 {
    key.iter().fold(0, |acc, b| acc ^ b)
}

/// The bytes a keypad using `framing` sends for one press of `key`. `ending` is used by `plain`
/// (optional) and `lines` (required), and ignored by `stx`.
///
/// # Errors
/// [`EncodeError`] when the framing cannot carry the key.
pub fn encode_key(framing: Framing, key: &KeyName, ending: LineEnding) -> Result<Vec<u8>, EncodeError> {
    let mut out = Vec::with_capacity(MAX_KEY_LEN + 3);
    match framing {
        Framing::Plain => {
            if !key.is_single() {
                return Err(EncodeError::KeyTooLong(key.clone()));
            }
            out.extend_from_slice(key.as_bytes());
            out.extend_from_slice(ending.bytes());
        }
        Framing::Lines => {
            if ending == LineEnding::None {
                return Err(EncodeError::NoLineEnding);
            }
            out.extend_from_slice(key.as_bytes());
            out.extend_from_slice(ending.bytes());
        }
        Framing::Stx => {
            out.push(STX);
            out.extend_from_slice(key.as_bytes());
            out.push(ETX);
            out.push(bcc(key.as_bytes()));
        }
    }
    Ok(out)
}

/// What a decoder has seen so far.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
pub struct DecoderStats {
    /// Keys decoded.
    pub keys: u64,
    /// Bytes thrown away as garbage (not separators or padding).
    pub garbage_bytes: u64,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum State {
    /// Between keys.
    Idle,
    /// Collecting a key (`lines`: a line; `stx`: a frame after its STX).
    Key,
    /// `lines`: the current line is bad; skip to its end.
    BadLine,
    /// `stx`: waiting for the checksum.
    Bcc,
}

/// The incremental decoder. Bytes go in with [`push`](Self::push) in chunks of any size; the
/// result does not depend on how the stream was cut. It never fails: bytes that make no key are
/// counted in [`stats`](Self::stats).
#[derive(Debug, Clone)]
pub struct KeyDecoder {
    framing: Framing,
    state: State,
    key: Vec<u8>,
    stats: DecoderStats,
}

impl KeyDecoder {
    /// A decoder for `framing`.
    pub fn new(framing: Framing) -> Self {
        Self { framing, state: State::Idle, key: Vec::with_capacity(MAX_KEY_LEN), stats: DecoderStats::default() }
    }

    /// The framing.
    pub fn framing(&self) -> Framing {
        self.framing
    }

    /// Counts so far.
    pub fn stats(&self) -> DecoderStats {
        self.stats
    }

    /// Forgets a partly received key (after the port was reopened), keeping the counts.
    pub fn reset(&mut self) {
        self.state = State::Idle;
        self.key.clear();
    }

    /// Decodes a chunk and returns the keys it completed, in order.
    pub fn push(&mut self, bytes: &[u8]) -> Vec<KeyName> {
        bytes.iter().filter_map(|&b| self.feed(b)).collect()
    }

    /// Decodes one byte.
    pub fn feed(&mut self, byte: u8) -> Option<KeyName> {
        let key = match self.framing {
            Framing::Plain => self.plain(byte),
            Framing::Lines => self.lines(byte),
            Framing::Stx => self.stx(byte),
        };
        if key.is_some() {
            self.stats.keys += 1;
        }
        key
    }

    fn garbage(&mut self, bytes: usize) {
        self.stats.garbage_bytes = self.stats.garbage_bytes.saturating_add(bytes as u64);
    }

    fn plain(&mut self, byte: u8) -> Option<KeyName> {
        match byte {
            b if is_key_byte(b) => KeyName::from_key_bytes(&[b]),
            CR | LF | b' ' | 0 => None,
            _ => {
                self.garbage(1);
                None
            }
        }
    }

    fn lines(&mut self, byte: u8) -> Option<KeyName> {
        match (self.state, byte) {
            (_, CR | LF) => {
                let done = (self.state == State::Key).then(|| KeyName::from_key_bytes(&self.key)).flatten();
                self.reset();
                done
            }
            (_, b' ' | 0) => None,
            (State::BadLine, _) => {
                self.garbage(1);
                None
            }
            (_, b) if is_key_byte(b) && self.key.len() < MAX_KEY_LEN => {
                self.key.push(b);
                self.state = State::Key;
                None
            }
            // Too long, or a byte that is not part of any key: the line is bad.
            _ => {
                self.garbage(self.key.len() + 1);
                self.key.clear();
                self.state = State::BadLine;
                None
            }
        }
    }

    fn stx(&mut self, byte: u8) -> Option<KeyName> {
        match (self.state, byte) {
            (State::Idle | State::BadLine, STX) => {
                self.key.clear();
                self.state = State::Key;
                None
            }
            (State::Idle | State::BadLine, _) => {
                self.garbage(1);
                None
            }
            (State::Key, STX) => {
                // A new frame began before this one ended: drop this one, start the new one.
                self.garbage(1 + self.key.len());
                self.key.clear();
                None
            }
            (State::Key, ETX) if !self.key.is_empty() => {
                self.state = State::Bcc;
                None
            }
            (State::Key, b) if is_key_byte(b) && self.key.len() < MAX_KEY_LEN => {
                self.key.push(b);
                None
            }
            (State::Key, _) => {
                self.garbage(1 + self.key.len() + 1);
                self.reset();
                None
            }
            (State::Bcc, b) => {
                if b == bcc(&self.key) {
                    let key = KeyName::from_key_bytes(&self.key);
                    self.reset();
                    return key;
                }
                // STX, key, ETX are garbage; a wrong checksum that is an STX may be the start
                // of the next frame (the previous one lost its checksum byte).
                self.garbage(1 + self.key.len() + 1);
                self.reset();
                if b == STX {
                    self.state = State::Key;
                } else {
                    self.garbage(1);
                }
                None
            }
        }
    }
}
