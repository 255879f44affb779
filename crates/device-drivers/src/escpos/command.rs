//! The ESC/POS commands hallkit speaks, as values: the encoder writes them and the parser reads them
//! back, so both sides share one definition of every byte sequence (see
//! `shared/reference/escpos.md` for the table they follow).

use serde::{Deserialize, Serialize};

/// `ESC` (0x1B).
pub const ESC: u8 = 0x1B;
/// `GS` (0x1D).
pub const GS: u8 = 0x1D;
/// `FS` (0x1C).
pub const FS: u8 = 0x1C;
/// `DLE` (0x10).
pub const DLE: u8 = 0x10;
/// `EOT` (0x04).
pub const EOT: u8 = 0x04;
/// `LF` (0x0A): print the line buffer and feed one line.
pub const LF: u8 = 0x0A;
/// `CR` (0x0D).
pub const CR: u8 = 0x0D;
/// `HT` (0x09).
pub const HT: u8 = 0x09;

/// The largest QR payload a printer can be asked to store: byte mode, version 40, error correction L.
/// Higher correction levels hold less ([`QrErrorCorrection::capacity`]).
pub const QR_MAX_PAYLOAD: usize = 2953;

/// Horizontal alignment (`ESC a n`). It applies to text and to QR symbols.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
#[non_exhaustive]
pub enum Align {
    /// `n = 0`.
    #[default]
    Left,
    /// `n = 1`.
    Center,
    /// `n = 2`.
    Right,
}

impl Align {
    fn byte(self) -> u8 {
        match self {
            Align::Left => 0,
            Align::Center => 1,
            Align::Right => 2,
        }
    }

    /// Reads `n` of `ESC a n`; printers accept both 0–2 and ASCII '0'–'2'.
    pub fn from_byte(n: u8) -> Option<Align> {
        match n {
            0 | b'0' => Some(Align::Left),
            1 | b'1' => Some(Align::Center),
            2 | b'2' => Some(Align::Right),
            _ => None,
        }
    }
}

/// Character magnification (`GS ! n`): width and height multipliers, each 1–8.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct CharSize {
    /// Width multiplier, 1–8.
    pub width: u8,
    /// Height multiplier, 1–8.
    pub height: u8,
}

impl Default for CharSize {
    fn default() -> Self {
        CharSize::NORMAL
    }
}

impl CharSize {
    /// ×1 in both directions: the size after `ESC @`.
    pub const NORMAL: CharSize = CharSize { width: 1, height: 1 };

    /// A size, or `None` when a multiplier is outside 1–8 (the printer cannot do it).
    pub fn new(width: u8, height: u8) -> Option<CharSize> {
        ((1..=8).contains(&width) && (1..=8).contains(&height)).then_some(CharSize { width, height })
    }

    /// Whether both multipliers are in 1–8 (a size built from its public fields may not be).
    pub fn is_valid(self) -> bool {
        CharSize::new(self.width, self.height).is_some()
    }

    /// `n` of `GS ! n`: width − 1 in the high nibble, height − 1 in the low one. Out-of-range
    /// multipliers are clamped to 1–8 so that the byte is always one the printer understands.
    pub fn byte(self) -> u8 {
        let w = self.width.clamp(1, 8) - 1;
        let h = self.height.clamp(1, 8) - 1;
        (w << 4) | h
    }

    /// Reads `n` of `GS ! n`; `None` for nibbles above 7, which no printer defines.
    pub fn from_byte(n: u8) -> Option<CharSize> {
        CharSize::new((n >> 4) + 1, (n & 0x0F) + 1)
    }
}

/// QR symbol model (`GS ( k … 31 41 n1 n2`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
#[non_exhaustive]
pub enum QrModel {
    /// Model 1 (`n1 = 49`).
    Model1,
    /// Model 2 (`n1 = 50`), what phones read; the only one hallkit emits.
    #[default]
    Model2,
    /// Micro QR (`n1 = 51`).
    Micro,
}

impl QrModel {
    fn byte(self) -> u8 {
        match self {
            QrModel::Model1 => 49,
            QrModel::Model2 => 50,
            QrModel::Micro => 51,
        }
    }

    fn from_byte(n: u8) -> Option<QrModel> {
        match n {
            49 => Some(QrModel::Model1),
            50 => Some(QrModel::Model2),
            51 => Some(QrModel::Micro),
            _ => None,
        }
    }
}

/// QR error-correction level (`GS ( k … 31 45 n`, n = 48–51).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default, Serialize, Deserialize)]
#[non_exhaustive]
pub enum QrErrorCorrection {
    /// About 7 % of the symbol can be restored.
    L,
    /// About 15 %: the default, good for paper that gets folded.
    #[default]
    M,
    /// About 25 %.
    Q,
    /// About 30 %.
    H,
}

impl QrErrorCorrection {
    fn byte(self) -> u8 {
        match self {
            QrErrorCorrection::L => 48,
            QrErrorCorrection::M => 49,
            QrErrorCorrection::Q => 50,
            QrErrorCorrection::H => 51,
        }
    }

    fn from_byte(n: u8) -> Option<QrErrorCorrection> {
        match n {
            48 => Some(QrErrorCorrection::L),
            49 => Some(QrErrorCorrection::M),
            50 => Some(QrErrorCorrection::Q),
            51 => Some(QrErrorCorrection::H),
            _ => None,
        }
    }

    /// The most bytes a model-2 symbol (version 40, byte mode) holds at this level.
    pub fn capacity(self) -> usize {
        match self {
            QrErrorCorrection::L => QR_MAX_PAYLOAD,
            QrErrorCorrection::M => 2331,
            QrErrorCorrection::Q => 1663,
            QrErrorCorrection::H => 1273,
        }
    }
}

/// How the paper is cut (`GS V`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case", tag = "kind")]
#[non_exhaustive]
pub enum Cut {
    /// `GS V 0`: cut through.
    Full,
    /// `GS V 1`: leave a tab so the ticket does not fall (what kiosks use).
    Partial,
    /// `GS V 65 n`: feed to the cutter plus `n` motion units, then cut through.
    FeedFull {
        /// Extra feed in vertical motion units.
        units: u8,
    },
    /// `GS V 66 n`: feed to the cutter plus `n` motion units, then cut partially.
    FeedPartial {
        /// Extra feed in vertical motion units.
        units: u8,
    },
}

/// Which real-time status `DLE EOT n` asks for.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
#[non_exhaustive]
pub enum StatusRequest {
    /// `n = 1`: printer status (online/offline).
    Printer,
    /// `n = 2`: offline cause (cover open, stopped at paper end, error).
    OfflineCause,
    /// `n = 3`: error cause (cutter, unrecoverable, auto-recoverable).
    ErrorCause,
    /// `n = 4`: roll paper sensor (near end, end).
    PaperSensor,
}

impl StatusRequest {
    /// All four requests, in the order a driver asks them.
    pub const ALL: [StatusRequest; 4] = [StatusRequest::Printer, StatusRequest::OfflineCause, StatusRequest::ErrorCause, StatusRequest::PaperSensor];

    /// `n` of `DLE EOT n`.
    pub fn byte(self) -> u8 {
        match self {
            StatusRequest::Printer => 1,
            StatusRequest::OfflineCause => 2,
            StatusRequest::ErrorCause => 3,
            StatusRequest::PaperSensor => 4,
        }
    }

    /// Reads `n` of `DLE EOT n`.
    pub fn from_byte(n: u8) -> Option<StatusRequest> {
        match n {
            1 => Some(StatusRequest::Printer),
            2 => Some(StatusRequest::OfflineCause),
            3 => Some(StatusRequest::ErrorCause),
            4 => Some(StatusRequest::PaperSensor),
            _ => None,
        }
    }

    /// The three bytes to send.
    pub fn bytes(self) -> [u8; 3] {
        [DLE, EOT, self.byte()]
    }
}

/// One ESC/POS command. Text is not a command: it travels as GB18030 bytes between commands
/// (see [`super::parser::Event::Text`]).
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum Command {
    /// `ESC @`: reset modes and clear the line buffer.
    Initialize,
    /// `LF`: print the line buffer and feed one line.
    LineFeed,
    /// `CR`: ignored by most printers (auto line feed off), reported so a dump can show it.
    CarriageReturn,
    /// `HT`: move to the next tab stop.
    Tab,
    /// `ESC a n`.
    Align(Align),
    /// `GS ! n`.
    Size(CharSize),
    /// `ESC E n` (only bit 0 of `n` counts).
    Bold(bool),
    /// `FS &` (on) / `FS .` (off): bytes ≥ 0x81 start double-byte (GB18030) characters.
    ChineseMode(bool),
    /// `FS W n`: Chinese characters at quadruple size (only bit 0 of `n` counts).
    ChineseQuadruple(bool),
    /// `ESC t n`: the single-byte code table used outside Chinese mode.
    CodeTable(u8),
    /// `ESC d n`: print and feed `n` lines.
    Feed(u8),
    /// `GS ( k 04 00 31 41 n1 n2`.
    QrModel(QrModel),
    /// `GS ( k 03 00 31 43 n`: module size in dots (1–16).
    QrModuleSize(u8),
    /// `GS ( k 03 00 31 45 n`.
    QrErrorCorrection(QrErrorCorrection),
    /// `GS ( k pL pH 31 50 30 d…`: store the payload.
    QrStore(Vec<u8>),
    /// `GS ( k 03 00 31 51 30`: print the stored symbol.
    QrPrint,
    /// `GS V …`.
    Cut(Cut),
    /// `DLE EOT n`: the printer answers one status byte at once.
    StatusRequest(StatusRequest),
}

/// Appends `GS ( k pL pH 31 <body>`.
fn qr_function(out: &mut Vec<u8>, body: &[u8]) {
    // The length counts cn (0x31) plus the body; callers keep it under 64 KiB (QR_MAX_PAYLOAD).
    let len = body.len() + 1;
    let len = u16::try_from(len).unwrap_or(u16::MAX);
    out.extend_from_slice(&[GS, b'(', b'k']);
    out.extend_from_slice(&len.to_le_bytes());
    out.push(0x31);
    out.extend_from_slice(body);
}

impl Command {
    /// Appends this command's bytes to `out`.
    ///
    /// A `QrStore` payload longer than [`QR_MAX_PAYLOAD`] is cut to that length here; the
    /// document renderer refuses such payloads with an error before it gets this far.
    pub fn encode(&self, out: &mut Vec<u8>) {
        match self {
            Command::Initialize => out.extend_from_slice(&[ESC, b'@']),
            Command::LineFeed => out.push(LF),
            Command::CarriageReturn => out.push(CR),
            Command::Tab => out.push(HT),
            Command::Align(a) => out.extend_from_slice(&[ESC, b'a', a.byte()]),
            Command::Size(s) => out.extend_from_slice(&[GS, b'!', s.byte()]),
            Command::Bold(on) => out.extend_from_slice(&[ESC, b'E', u8::from(*on)]),
            Command::ChineseMode(true) => out.extend_from_slice(&[FS, b'&']),
            Command::ChineseMode(false) => out.extend_from_slice(&[FS, b'.']),
            Command::ChineseQuadruple(on) => out.extend_from_slice(&[FS, b'W', u8::from(*on)]),
            Command::CodeTable(n) => out.extend_from_slice(&[ESC, b't', *n]),
            Command::Feed(n) => out.extend_from_slice(&[ESC, b'd', *n]),
            Command::QrModel(m) => qr_function(out, &[0x41, m.byte(), 0]),
            Command::QrModuleSize(n) => qr_function(out, &[0x43, *n]),
            Command::QrErrorCorrection(ec) => qr_function(out, &[0x45, ec.byte()]),
            Command::QrStore(data) => {
                let data = &data[..data.len().min(QR_MAX_PAYLOAD)];
                let mut body = Vec::with_capacity(data.len() + 2);
                body.extend_from_slice(&[0x50, 0x30]);
                body.extend_from_slice(data);
                qr_function(out, &body);
            }
            Command::QrPrint => qr_function(out, &[0x51, 0x30]),
            Command::Cut(Cut::Full) => out.extend_from_slice(&[GS, b'V', 0]),
            Command::Cut(Cut::Partial) => out.extend_from_slice(&[GS, b'V', 1]),
            Command::Cut(Cut::FeedFull { units }) => out.extend_from_slice(&[GS, b'V', 65, *units]),
            Command::Cut(Cut::FeedPartial { units }) => out.extend_from_slice(&[GS, b'V', 66, *units]),
            Command::StatusRequest(r) => out.extend_from_slice(&r.bytes()),
        }
    }

    /// This command's bytes.
    pub fn to_bytes(&self) -> Vec<u8> {
        let mut out = Vec::new();
        self.encode(&mut out);
        out
    }
}

/// Decodes the body of a `GS ( k` QR function (`cn` = 0x31): `fn` followed by its parameters.
/// `None` when the function or its parameters are not ones this module knows.
pub(crate) fn decode_qr_function(body: &[u8]) -> Option<Command> {
    match body {
        [0x41, n1, _n2] => QrModel::from_byte(*n1).map(Command::QrModel),
        [0x43, n] if (1..=16).contains(n) => Some(Command::QrModuleSize(*n)),
        [0x45, n] => QrErrorCorrection::from_byte(*n).map(Command::QrErrorCorrection),
        [0x50, 0x30, data @ ..] => Some(Command::QrStore(data.to_vec())),
        [0x51, 0x30] => Some(Command::QrPrint),
        _ => None,
    }
}
