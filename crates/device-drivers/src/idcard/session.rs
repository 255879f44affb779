//! The reader session: commands sent over a [`Transport`], answers decoded with the sans-IO codec,
//! with timeouts, retries and recovery, behind the [`CardReader`] trait.
//!
//! One exchange ([`ReaderSession::transact`]) sends a command and waits for one response frame.
//! It resends the command when the answer is lost (timeout, a truncated frame), corrupted (bad
//! checksum) or refused by the SAM as corrupted (SW3 `10`/`11`), up to
//! [`SessionConfig::retries`] times. After an I/O error it reopens the transport and resends, so
//! a reader unplugged and plugged back (same path) is picked up again without a restart.

use std::fmt;
use std::time::{Duration, Instant};

use thiserror::Error;
use tracing::{debug, warn};

use super::card::{Card, CardError};
use super::frame::{Command, FrameDecoder, FrameError, Response};
use super::read::{CardRead, CardSerial, decode_appended_address};
use super::status::{Status, StatusClass};
use crate::transport::{Operation, Transport, TransportError};

/// An ID-card reader, whatever its transport.
///
/// "No card on the reader" is a normal answer (`Ok(None)`), not an error.
pub trait CardReader {
    /// The reader's error type.
    type Error: crate::Error;

    /// Resets the SAM and checks its status (self-test).
    fn reset(&mut self) -> Result<(), Self::Error>;

    /// Asks the SAM for its status; `Ok(())` when it is ready.
    fn sam_status(&mut self) -> Result<(), Self::Error>;

    /// Finds and selects the card on the reader and returns its serial, without reading it.
    fn card_serial(&mut self) -> Result<Option<CardSerial>, Self::Error>;

    /// Finds, selects and reads the card on the reader.
    fn read_card(&mut self, options: ReadOptions) -> Result<Option<CardReading>, Self::Error>;
}

/// What to read besides text and photo.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct ReadOptions {
    /// Read with fingerprints (30 10 instead of 30 01).
    pub fingerprint: bool,
    /// Also read the appended address (30 03).
    pub appended_address: bool,
}

/// A card read from the reader.
///
/// `Debug` shows the card masked (see [`Card`]) and the fingerprint as a size.
#[derive(Clone, PartialEq, Eq)]
pub struct CardReading {
    /// The card's serial, from *select card*.
    pub serial: CardSerial,
    /// The decoded card.
    pub card: Card,
    /// The fingerprint block, when asked for (empty when the card holds none).
    pub fingerprint: Option<Vec<u8>>,
    /// The appended address, when asked for: `Some("")` if the card has none.
    pub appended_address: Option<String>,
}

impl fmt::Debug for CardReading {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("CardReading")
            .field("serial", &self.serial)
            .field("card", &self.card)
            .field("fingerprint_len", &self.fingerprint.as_ref().map(Vec::len))
            .field("appended_address_len", &self.appended_address.as_ref().map(|a| a.chars().count()))
            .finish()
    }
}

/// Timeouts and retries of a session.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct SessionConfig {
    /// How long the reader may stay silent, waiting for the first byte of an answer or between
    /// two of its bytes, before the exchange is given up. Measured per gap rather than for the
    /// whole answer so that a slow link still delivers a 2 KiB read.
    pub idle_timeout: Duration,
    /// The most one answer may take in all, however steadily its bytes trickle in.
    pub max_response_time: Duration,
    /// How many times a command is resent after a lost or corrupted answer.
    pub retries: u32,
    /// The largest frame accepted ([`DEFAULT_MAX_LEN`](super::frame::DEFAULT_MAX_LEN) for readers
    /// that send WLT; [`PHOTO_READER_MAX_LEN`] for readers that decode the photo and send the BMP).
    pub max_frame_len: u16,
}

impl Default for SessionConfig {
    /// 500 ms idle, 5 s per answer (a 30 10 read is 2,311 bytes, about 200 ms at 115200 baud,
    /// plus the SAM's own time to read the card), 2 retries.
    fn default() -> Self {
        Self { idle_timeout: Duration::from_millis(500), max_response_time: Duration::from_secs(5), retries: 2, max_frame_len: super::frame::DEFAULT_MAX_LEN }
    }
}

/// The largest frame of a reader that decodes photos itself: a 30 10 read then carries the
/// 38,862-byte BMP in place of the 1024 bytes of WLT (text 256 + fingerprint 1024 + lengths).
pub const PHOTO_READER_MAX_LEN: u16 = 40 * 1024;

impl SessionConfig {
    /// For a reader that returns the decoded BMP: larger frames, and time for them (about 3.4 s
    /// at 115200 baud; such readers are usually on USB, which is much faster).
    pub fn for_photo_reader() -> Self {
        Self { max_response_time: Duration::from_secs(10), max_frame_len: PHOTO_READER_MAX_LEN, ..Self::default() }
    }
}

/// Why a reader exchange failed.
#[derive(Debug, Error)]
#[non_exhaustive]
pub enum SessionError {
    /// Nothing (or only part of a frame) came back.
    #[error("the ID-card reader did not answer {command:?} after {attempts} attempts: check that it is powered and connected, and the port and baud rate")]
    NoAnswer {
        /// The command sent.
        command: Command,
        /// Attempts made.
        attempts: u32,
    },
    /// Every answer was corrupted.
    #[error("every answer to {command:?} had a bad checksum ({attempts} attempts): check the cable, the baud rate and that no other program uses the port")]
    RepeatedChecksumErrors {
        /// The command sent.
        command: Command,
        /// Attempts made.
        attempts: u32,
    },
    /// The SAM reported a fault of its own: a technician must look at the reader.
    #[error("the reader's SAM reported a fault: {status}")]
    Sam {
        /// The status, with its meaning.
        status: Status,
    },
    /// The card could not be read (moved away mid-read, unreadable, rejected): place it again.
    #[error("the card could not be read ({status}); ask the citizen to place the card on the reader again")]
    Card {
        /// The status, with its meaning.
        status: Status,
    },
    /// The reader answered, but not with what the protocol allows here.
    #[error("the reader answered {command:?} with {status}, which GA/T 467 does not allow there")]
    UnexpectedStatus {
        /// The command sent.
        command: Command,
        /// What came back.
        status: Status,
    },
    /// The answer's data is not a card.
    #[error(transparent)]
    Data(#[from] CardError),
    /// The reader's bytes were not frames.
    #[error(transparent)]
    Frame(#[from] FrameError),
    /// The port failed and could not be reopened.
    #[error("the ID-card reader's port failed ({0}); it is reopened on the next attempt: check that the reader is plugged in")]
    Transport(#[from] TransportError),
}

impl crate::Error for SessionError {
    fn kind(&self) -> crate::ErrorKind {
        use crate::ErrorKind;
        match self {
            Self::NoAnswer { .. } => ErrorKind::Timeout,
            Self::RepeatedChecksumErrors { .. } | Self::UnexpectedStatus { .. } | Self::Data(_) | Self::Frame(_) => ErrorKind::Protocol,
            Self::Sam { .. } => ErrorKind::NeedsAttention,
            Self::Card { .. } => ErrorKind::Other,
            // Whatever the transport said, it still failed after a reopen: the reader is away.
            Self::Transport(_) => ErrorKind::Disconnected,
        }
    }
}

/// Counters of what the session recovered from, for health reports and the technician tool.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct SessionStats {
    /// Answers that did not come (in full) before the timeout.
    pub timeouts: u64,
    /// Answers with a bad frame (checksum, length).
    pub bad_frames: u64,
    /// Times the transport was reopened after an I/O error.
    pub reopens: u64,
}

/// A GA/T 467 reader session over a transport.
#[derive(Debug)]
pub struct ReaderSession<T> {
    transport: T,
    decoder: FrameDecoder,
    config: SessionConfig,
    stats: SessionStats,
    /// Set after an I/O error: the next exchange reopens the transport first.
    broken: bool,
}

/// How one attempt of an exchange ended, when it did not return a response.
enum Lost {
    Timeout,
    BadFrame,
}

impl<T: Transport> ReaderSession<T> {
    /// A session with the default [`SessionConfig`].
    pub fn new(transport: T) -> Self {
        Self::with_config(transport, SessionConfig::default())
    }

    /// A session with its own timeouts and retries.
    pub fn with_config(transport: T, config: SessionConfig) -> Self {
        Self { transport, decoder: FrameDecoder::with_max_len(config.max_frame_len), config, stats: SessionStats::default(), broken: false }
    }

    /// The configuration.
    pub fn config(&self) -> &SessionConfig {
        &self.config
    }

    /// What the session recovered from so far.
    pub fn stats(&self) -> SessionStats {
        self.stats
    }

    /// The transport.
    pub fn transport_mut(&mut self) -> &mut T {
        &mut self.transport
    }

    /// Sends `command` and returns the reader's response, whatever its status, resending after a
    /// lost or corrupted answer and reopening the transport after an I/O error.
    pub fn transact(&mut self, command: Command) -> Result<Response, SessionError> {
        let attempts = self.config.retries + 1;
        let mut bad_frames = 0;
        let mut reopened = false;
        let mut attempt = 0;
        while attempt < attempts {
            attempt += 1;
            match self.attempt(command) {
                Ok(Ok(response)) if response.status.class() == StatusClass::Link => {
                    // The SAM got our frame corrupted: send it again.
                    debug!(?command, status = %response.status, "reader refused the frame; resending");
                    bad_frames += 1;
                }
                Ok(Ok(response)) => return Ok(response),
                Ok(Err(Lost::Timeout)) => self.stats.timeouts += 1,
                Ok(Err(Lost::BadFrame)) => {
                    self.stats.bad_frames += 1;
                    bad_frames += 1;
                }
                Err(e) => {
                    warn!(?command, error = %e, "reader I/O failed");
                    self.broken = true;
                    // One reopen per exchange; the failed attempt does not count against retries
                    // the first time, since the device may just have come back.
                    if reopened {
                        return Err(e.into());
                    }
                    reopened = true;
                    attempt -= 1;
                }
            }
        }
        if bad_frames == attempts { Err(SessionError::RepeatedChecksumErrors { command, attempts }) } else { Err(SessionError::NoAnswer { command, attempts }) }
    }

    /// One send-and-wait. `Err` only for transport failures; a reader that stays quiet is
    /// `Ok(Err(Lost::Timeout))`.
    fn attempt(&mut self, command: Command) -> Result<Result<Response, Lost>, TransportError> {
        if self.broken {
            self.transport.reopen()?;
            self.stats.reopens += 1;
            self.broken = false;
            debug!("reader port reopened");
        }
        // A late answer to an earlier, abandoned attempt must not be taken for this one.
        self.transport.discard_input()?;
        self.decoder.clear();
        self.transport.write_all(&command.encode())?;
        let started = Instant::now();
        let mut buf = [0u8; 512];
        loop {
            match self.decoder.next_response() {
                Some(Ok(response)) => return Ok(Ok(response)),
                Some(Err(e)) => {
                    debug!(?command, error = %e, "bad frame from reader");
                    self.decoder.clear();
                    return Ok(Err(Lost::BadFrame));
                }
                None => {}
            }
            let left = self.config.max_response_time.saturating_sub(started.elapsed());
            if left.is_zero() {
                self.decoder.clear();
                return Ok(Err(Lost::Timeout));
            }
            match self.transport.read(&mut buf, self.config.idle_timeout.min(left)) {
                Ok(n) => self.decoder.push(&buf[..n]),
                // A quiet reader is a lost answer, not a broken link: resend rather than reopen.
                Err(TransportError::Timeout { operation: Operation::Read, .. }) => {
                    debug!(?command, buffered = self.decoder.buffered(), "reader timed out");
                    self.decoder.clear();
                    return Ok(Err(Lost::Timeout));
                }
                Err(e) => return Err(e),
            }
        }
    }

    /// Sends `command` and sorts the status: `Ok` for success, and errors for SAM and card
    /// faults. "No card" / "select failed" come back as `Ok(None)`.
    fn command(&mut self, command: Command) -> Result<Option<Response>, SessionError> {
        let response = self.transact(command)?;
        match response.status.class() {
            StatusClass::Success => Ok(Some(response)),
            StatusClass::NoCard => Ok(None),
            StatusClass::Card if response.status == Status::SelectFailed => Ok(None),
            StatusClass::Card => Err(SessionError::Card { status: response.status }),
            StatusClass::Sam => Err(SessionError::Sam { status: response.status }),
            // `transact` resends on link statuses and gives up with an error.
            _ => Err(SessionError::UnexpectedStatus { command, status: response.status }),
        }
    }

    /// Find and select: the serial of the card on the reader, or `None`.
    fn find_and_select(&mut self) -> Result<Option<CardSerial>, SessionError> {
        if self.command(Command::FindCard)?.is_none() {
            return Ok(None);
        }
        match self.command(Command::SelectCard)? {
            Some(r) => Ok(Some(CardSerial::from_data(&r.data)?)),
            None => Ok(None),
        }
    }
}

impl<T: Transport> CardReader for ReaderSession<T> {
    type Error = SessionError;

    fn reset(&mut self) -> Result<(), SessionError> {
        self.command(Command::ResetSam)?;
        self.sam_status()
    }

    fn sam_status(&mut self) -> Result<(), SessionError> {
        match self.command(Command::SamStatus)? {
            Some(_) => Ok(()),
            None => Err(SessionError::UnexpectedStatus { command: Command::SamStatus, status: Status::NoCard }),
        }
    }

    fn card_serial(&mut self) -> Result<Option<CardSerial>, SessionError> {
        self.find_and_select()
    }

    fn read_card(&mut self, options: ReadOptions) -> Result<Option<CardReading>, SessionError> {
        let Some(serial) = self.find_and_select()? else {
            return Ok(None);
        };
        let read_command = if options.fingerprint { Command::ReadTextWithFingerprint } else { Command::ReadText };
        let Some(response) = self.command(read_command)? else {
            // Gone between select and read.
            return Ok(None);
        };
        let read = if options.fingerprint { CardRead::parse_with_fingerprint(&response.data)? } else { CardRead::parse(&response.data)? };
        let card = read.decode_card()?;
        let appended_address = if options.appended_address {
            match self.command(Command::ReadAppendedAddress)? {
                Some(r) if r.status == Status::NoContent => Some(String::new()),
                Some(r) => Some(decode_appended_address(&r.data)?),
                None => return Ok(None),
            }
        } else {
            None
        };
        Ok(Some(CardReading { serial, card, fingerprint: read.fingerprint, appended_address }))
    }
}
