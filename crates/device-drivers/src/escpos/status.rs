//! Real-time status: the one-byte answers to `DLE EOT n`, decoded into typed states, and the
//! verdict a driver acts on ("can print", "paper low").
//!
//! # Bits relied on
//! Every answer has the Epson-documented fixed bits: **bit 1 and bit 4 set, bit 0 and bit 7
//! clear** (`0b0xx1_xx10`). A byte without them is not a status answer (it may be a stray XON,
//! an Automatic Status Back block, or line noise) and is refused with
//! [`StatusError::NotAStatusByte`] rather than guessed at. The other bits, per the ESC/POS
//! reference for the TM series, which Chinese GB18030 printers follow:
//!
//! | request | bit 2 | bit 3 | bit 5 | bit 6 |
//! | --- | --- | --- | --- | --- |
//! | `n = 1` printer | drawer pin 3 high | **offline** | waiting for online recovery | feed button pressed |
//! | `n = 2` offline cause | **cover open** | paper fed by the button | **stopped: paper end** | **error** |
//! | `n = 3` error cause | (reserved) | autocutter error | unrecoverable error | auto-recoverable error |
//! | `n = 4` paper sensor | **near end** | **near end** | **paper end** | **paper end** |
//!
//! For `n = 4` the manual defines bit pairs (2–3 and 5–6) that printers set together; either bit
//! of a pair is taken to mean the condition, because reporting paper low or paper end too early
//! costs a technician a look, while missing it costs a citizen a ticket.

use super::StatusError;
use super::command::StatusRequest;

const FIXED_SET: u8 = 0b0001_0010;
const FIXED_CLEAR: u8 = 0b1000_0001;

const BIT2: u8 = 1 << 2;
const BIT3: u8 = 1 << 3;
const BIT5: u8 = 1 << 5;
const BIT6: u8 = 1 << 6;

/// `DLE EOT 1`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
pub struct PrinterState {
    /// Bit 3: the printer is offline (cover open, paper end, error, or feeding).
    pub offline: bool,
    /// Bit 2: cash-drawer connector pin 3 is high.
    pub drawer_pin_high: bool,
    /// Bit 5: waiting for online recovery.
    pub waiting_for_recovery: bool,
    /// Bit 6: the paper feed button is pressed.
    pub feed_button_pressed: bool,
}

/// `DLE EOT 2`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
pub struct OfflineCause {
    /// Bit 2: the cover is open.
    pub cover_open: bool,
    /// Bit 3: paper is being fed with the feed button.
    pub feeding_by_button: bool,
    /// Bit 5: printing stopped because the paper ran out.
    pub paper_end_stop: bool,
    /// Bit 6: an error occurred (ask `DLE EOT 3` which).
    pub error: bool,
}

/// `DLE EOT 3`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
pub struct ErrorCause {
    /// Bit 3: the autocutter jammed or failed.
    pub cutter_error: bool,
    /// Bit 5: an error that needs the power cycled or a repair.
    pub unrecoverable: bool,
    /// Bit 6: an error that clears by itself (e.g. print head too hot).
    pub auto_recoverable: bool,
}

/// `DLE EOT 4`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
pub struct PaperSensor {
    /// Bits 2–3: the roll is nearly used up.
    pub near_end: bool,
    /// Bits 5–6: no paper.
    pub end: bool,
}

/// A decoded status answer.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum Status {
    /// Answer to `DLE EOT 1`.
    Printer(PrinterState),
    /// Answer to `DLE EOT 2`.
    OfflineCause(OfflineCause),
    /// Answer to `DLE EOT 3`.
    ErrorCause(ErrorCause),
    /// Answer to `DLE EOT 4`.
    PaperSensor(PaperSensor),
}

fn bit(byte: u8, mask: u8) -> bool {
    byte & mask != 0
}

/// Decodes the answer `byte` to the request `request`.
///
/// # Errors
/// [`StatusError::NotAStatusByte`] when the fixed bits are wrong (see the module docs).
pub fn decode(request: StatusRequest, byte: u8) -> Result<Status, StatusError> {
    if byte & FIXED_SET != FIXED_SET || byte & FIXED_CLEAR != 0 {
        return Err(StatusError::NotAStatusByte { request, byte });
    }
    Ok(match request {
        StatusRequest::Printer => Status::Printer(PrinterState {
            offline: bit(byte, BIT3),
            drawer_pin_high: bit(byte, BIT2),
            waiting_for_recovery: bit(byte, BIT5),
            feed_button_pressed: bit(byte, BIT6),
        }),
        StatusRequest::OfflineCause => Status::OfflineCause(OfflineCause {
            cover_open: bit(byte, BIT2),
            feeding_by_button: bit(byte, BIT3),
            paper_end_stop: bit(byte, BIT5),
            error: bit(byte, BIT6),
        }),
        StatusRequest::ErrorCause => {
            Status::ErrorCause(ErrorCause { cutter_error: bit(byte, BIT3), unrecoverable: bit(byte, BIT5), auto_recoverable: bit(byte, BIT6) })
        }
        StatusRequest::PaperSensor => Status::PaperSensor(PaperSensor { near_end: bit(byte, BIT2 | BIT3), end: bit(byte, BIT5 | BIT6) }),
    })
}

fn set(on: bool, mask: u8) -> u8 {
    if on { mask } else { 0 }
}

impl Status {
    /// The request this answers.
    pub fn request(&self) -> StatusRequest {
        match self {
            Status::Printer(_) => StatusRequest::Printer,
            Status::OfflineCause(_) => StatusRequest::OfflineCause,
            Status::ErrorCause(_) => StatusRequest::ErrorCause,
            Status::PaperSensor(_) => StatusRequest::PaperSensor,
        }
    }

    /// The byte a printer in this state answers (what the simulator sends). Paper-sensor pairs
    /// are sent with both bits set, as printers do.
    pub fn to_byte(&self) -> u8 {
        FIXED_SET
            | match self {
                Status::Printer(s) => {
                    set(s.drawer_pin_high, BIT2) | set(s.offline, BIT3) | set(s.waiting_for_recovery, BIT5) | set(s.feed_button_pressed, BIT6)
                }
                Status::OfflineCause(s) => set(s.cover_open, BIT2) | set(s.feeding_by_button, BIT3) | set(s.paper_end_stop, BIT5) | set(s.error, BIT6),
                Status::ErrorCause(s) => set(s.cutter_error, BIT3) | set(s.unrecoverable, BIT5) | set(s.auto_recoverable, BIT6),
                Status::PaperSensor(s) => set(s.near_end, BIT2 | BIT3) | set(s.end, BIT5 | BIT6),
            }
    }
}

/// The answers gathered from one round of status requests; a request not answered (timeout) is
/// `None`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
pub struct StatusReport {
    /// Answer to `DLE EOT 1`.
    pub printer: Option<PrinterState>,
    /// Answer to `DLE EOT 2`.
    pub offline_cause: Option<OfflineCause>,
    /// Answer to `DLE EOT 3`.
    pub error_cause: Option<ErrorCause>,
    /// Answer to `DLE EOT 4`.
    pub paper: Option<PaperSensor>,
}

/// Something that stops printing or needs a person.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum Problem {
    /// The printer did not answer `DLE EOT 1`: its state is unknown.
    NoAnswer,
    /// The printer says it is offline (cause unknown or listed separately).
    Offline,
    /// The cover is open.
    CoverOpen,
    /// No paper.
    PaperEnd,
    /// The paper roll is nearly used up (printing still works).
    PaperNearEnd,
    /// The autocutter failed.
    CutterError,
    /// An error that needs a power cycle or repair.
    UnrecoverableError,
    /// An error that should clear by itself (e.g. head too hot).
    RecoverableError,
    /// `DLE EOT 2` reported an error and `DLE EOT 3` did not say which.
    Error,
}

impl std::fmt::Display for Problem {
    /// The problem in words, with what a person should do about it.
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(match self {
            Problem::NoAnswer => "no answer to the status request (check power and cable)",
            Problem::Offline => "offline (check the printer's panel)",
            Problem::CoverOpen => "cover open (close the cover)",
            Problem::PaperEnd => "out of paper (load a new roll)",
            Problem::PaperNearEnd => "paper nearly used up (have a new roll ready)",
            Problem::CutterError => "cutter error (clear the jam, then switch the printer off and on)",
            Problem::UnrecoverableError => "unrecoverable error (switch the printer off and on; call service if it stays)",
            Problem::RecoverableError => "temporary error such as a hot print head (wait a moment)",
            Problem::Error => "error of unknown cause (check the printer's panel)",
        })
    }
}

impl Problem {
    /// Whether this problem stops printing.
    pub fn blocks_printing(self) -> bool {
        !matches!(self, Problem::PaperNearEnd)
    }
}

/// What a driver does with a [`StatusReport`].
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Verdict {
    /// The printer answered, is online and reports nothing that stops printing.
    pub can_print: bool,
    /// The paper is near its end or out: tell the device's health now, before tickets fail.
    pub paper_low: bool,
    /// Everything found, in this order: `NoAnswer` or `Offline`, cover, paper, errors.
    pub problems: Vec<Problem>,
}

impl StatusReport {
    /// Records one decoded answer.
    pub fn record(&mut self, status: Status) {
        match status {
            Status::Printer(s) => self.printer = Some(s),
            Status::OfflineCause(s) => self.offline_cause = Some(s),
            Status::ErrorCause(s) => self.error_cause = Some(s),
            Status::PaperSensor(s) => self.paper = Some(s),
        }
    }

    /// Decides whether a ticket can be printed and whether paper is low.
    ///
    /// Printing needs an answer to `DLE EOT 1` saying online, and no blocking condition in any
    /// other answer received (cover open, paper end, any error). Unanswered optional requests
    /// (2–4) do not block: many printers answer only `DLE EOT 1` while busy. `paper_low` is set by
    /// near end or end from `DLE EOT 4`, or by a paper-end stop from `DLE EOT 2`.
    pub fn verdict(&self) -> Verdict {
        let mut problems = Vec::new();
        match self.printer {
            None => problems.push(Problem::NoAnswer),
            Some(p) if p.offline => problems.push(Problem::Offline),
            Some(_) => {}
        }
        if let Some(c) = self.offline_cause {
            if c.cover_open {
                problems.push(Problem::CoverOpen);
            }
            if c.paper_end_stop {
                problems.push(Problem::PaperEnd);
            }
        }
        if let Some(p) = self.paper {
            if p.end && !problems.contains(&Problem::PaperEnd) {
                problems.push(Problem::PaperEnd);
            }
            if p.near_end && !p.end {
                problems.push(Problem::PaperNearEnd);
            }
        }
        if let Some(e) = self.error_cause {
            if e.cutter_error {
                problems.push(Problem::CutterError);
            }
            if e.unrecoverable {
                problems.push(Problem::UnrecoverableError);
            }
            if e.auto_recoverable {
                problems.push(Problem::RecoverableError);
            }
        }
        let cause_says_error = self.offline_cause.is_some_and(|c| c.error);
        let has_error_detail = problems.iter().any(|p| matches!(p, Problem::CutterError | Problem::UnrecoverableError | Problem::RecoverableError));
        if cause_says_error && !has_error_detail {
            problems.push(Problem::Error);
        }
        let can_print = !problems.iter().any(|p| p.blocks_printing());
        let paper_low = problems.iter().any(|p| matches!(p, Problem::PaperEnd | Problem::PaperNearEnd));
        Verdict { can_print, paper_low, problems }
    }
}

/// The states the printer simulator can be put in, and what a real printer in each state answers
/// to `DLE EOT n`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "kebab-case")]
#[non_exhaustive]
pub enum PrinterCondition {
    /// Online, paper loaded, cover closed.
    #[default]
    Normal,
    /// Still printing, but the near-end sensor sees the roll's core.
    PaperNearEnd,
    /// Out of paper: offline, stopped at paper end.
    PaperEnd,
    /// Cover open: offline.
    CoverOpen,
}

impl PrinterCondition {
    /// The decoded answer to `request`.
    pub fn status(self, request: StatusRequest) -> Status {
        let offline = matches!(self, PrinterCondition::PaperEnd | PrinterCondition::CoverOpen);
        match request {
            StatusRequest::Printer => Status::Printer(PrinterState { offline, ..PrinterState::default() }),
            StatusRequest::OfflineCause => Status::OfflineCause(OfflineCause {
                cover_open: self == PrinterCondition::CoverOpen,
                paper_end_stop: self == PrinterCondition::PaperEnd,
                ..OfflineCause::default()
            }),
            StatusRequest::ErrorCause => Status::ErrorCause(ErrorCause::default()),
            StatusRequest::PaperSensor => Status::PaperSensor(PaperSensor {
                // An empty roll has passed the near-end mark too.
                near_end: matches!(self, PrinterCondition::PaperNearEnd | PrinterCondition::PaperEnd),
                end: self == PrinterCondition::PaperEnd,
            }),
        }
    }

    /// The byte to answer `request` with.
    pub fn answer(self, request: StatusRequest) -> u8 {
        self.status(request).to_byte()
    }
}

impl PrinterCondition {
    /// Every condition, in the order a CLI lists them.
    pub const ALL: [PrinterCondition; 4] = [PrinterCondition::Normal, PrinterCondition::PaperNearEnd, PrinterCondition::PaperEnd, PrinterCondition::CoverOpen];

    /// The condition's name, as in configuration and on the command line (`paper-near-end`).
    pub fn name(self) -> &'static str {
        match self {
            PrinterCondition::Normal => "normal",
            PrinterCondition::PaperNearEnd => "paper-near-end",
            PrinterCondition::PaperEnd => "paper-end",
            PrinterCondition::CoverOpen => "cover-open",
        }
    }
}

impl std::fmt::Display for PrinterCondition {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.name())
    }
}

/// A condition name that is not one of [`PrinterCondition::ALL`].
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{0:?} is not a printer condition; use one of normal, paper-near-end, paper-end, cover-open")]
pub struct UnknownCondition(pub String);

impl std::str::FromStr for PrinterCondition {
    type Err = UnknownCondition;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        PrinterCondition::ALL.into_iter().find(|c| c.name() == s).ok_or_else(|| UnknownCondition(s.to_string()))
    }
}
