//! A simulated ID-card reader that speaks GA/T 467 on the far end of a serial port or pty, so
//! that tests (and a technician's `kiosk sim idcard --pty`) drive the production session.
//!
//! [`SimReader`] is the reader's logic, sans-IO: a command in, the bytes to send back (and how
//! slowly) out. [`Simulator::spawn_pty`] / [`Simulator::spawn_on`] run it on a thread over a
//! port, and the returned [`SimHandle`] places and removes cards and injects [`Fault`]s while
//! it runs.

use std::io;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex, MutexGuard};
use std::thread::{self, JoinHandle};
use std::time::Duration;

use serial2::SerialPort;
use tracing::{debug, warn};

use super::card::{Card, TextEncodeError};
use super::frame::{Command, FrameDecoder, FrameError, Response};
use super::image_file::encode_bmp;
use super::photo::RgbImage;
use super::read::{CardRead, CardSerial};
use super::status::Status;

/// A card the simulator can place on its reader.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SimCard {
    /// Its serial, as *select card* reports it.
    pub serial: CardSerial,
    /// Text and photo.
    pub card: Card,
    /// The fingerprint block sent for 30 10 (empty: the card holds none).
    pub fingerprint: Vec<u8>,
    /// The appended address (empty: none, and 30 03 answers "no content").
    pub appended_address: String,
    /// The photo as an image, when the card file gives one.
    pub photo_image: Option<RgbImage>,
    /// When set, this reader decodes photos itself: reads answer with this BMP in place of the
    /// 1024 bytes of WLT, as many newer readers do (see [`SimCard::decoding_photo`]).
    pub photo_bmp: Option<Vec<u8>>,
    /// The text block, encoded once.
    text: Vec<u8>,
}

impl SimCard {
    /// A card with this serial, no fingerprint and no appended address. Fails when a field does
    /// not fit its place in the text block.
    pub fn new(card: Card, serial: CardSerial) -> Result<Self, TextEncodeError> {
        let text = card.encode_text()?;
        Ok(Self { serial, card, fingerprint: Vec::new(), appended_address: String::new(), photo_image: None, photo_bmp: None, text })
    }

    /// As read by a reader that decodes photos: reads return the photo image as a BMP instead of
    /// WLT. Needs the card's [`photo_image`](Self::photo_image); without one this gives `None`
    /// (a simulator cannot make up a decoded photo).
    pub fn decoding_photo(mut self) -> Option<Self> {
        self.photo_bmp = Some(encode_bmp(self.photo_image.as_ref()?));
        Some(self)
    }

    /// The photo block a read answers with: the BMP when this reader decodes photos, else WLT.
    fn photo_block(&self) -> Vec<u8> {
        self.photo_bmp.clone().unwrap_or_else(|| self.card.photo.0.clone())
    }

    /// With a fingerprint block.
    pub fn with_fingerprint(mut self, fingerprint: Vec<u8>) -> Self {
        self.fingerprint = fingerprint;
        self
    }

    /// With an appended address.
    pub fn with_appended_address(mut self, address: impl Into<String>) -> Self {
        self.appended_address = address.into();
        self
    }
}

/// A misbehaviour of the simulated reader, injected on demand.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum Fault {
    /// Each answer's checksum byte is wrong. Affects any answer.
    BadChecksum,
    /// Each answer is cut after half its bytes. Affects any answer.
    TruncatedFrame,
    /// Each answer is sent one byte at a time with this pause between bytes.
    SlowBytes(Duration),
    /// Each command is answered with this status and no data (e.g. [`Status::SamSelfTestFailed`]).
    SamError(Status),
    /// The card leaves the field during the next read: half of the read answer is sent, then the
    /// card is gone (later reads answer `41`, later finds `80`). Affects read commands only.
    CardRemovedMidRead,
    /// *Find card* answers "no card" even with a card on the reader. Affects find only.
    NoCard,
}

/// A fault name that [`Fault::from_str`](std::str::FromStr) does not know.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("unknown fault {0:?}: use bad-checksum, truncated-frame, slow-bytes:<microseconds>, sam-error:<SW3 in hex>, card-removed-mid-read or no-card")]
pub struct UnknownFault(pub String);

/// Parses the names a CLI takes: `bad-checksum`, `truncated-frame`, `slow-bytes:<µs between
/// bytes>`, `sam-error:<SW3 hex>` (e.g. `sam-error:60`), `card-removed-mid-read`, `no-card`.
impl std::str::FromStr for Fault {
    type Err = UnknownFault;

    fn from_str(s: &str) -> Result<Self, UnknownFault> {
        let unknown = || UnknownFault(s.to_owned());
        let (name, arg) = s.split_once(':').map_or((s, None), |(n, a)| (n, Some(a)));
        match (name, arg) {
            ("bad-checksum", None) => Ok(Self::BadChecksum),
            ("truncated-frame", None) => Ok(Self::TruncatedFrame),
            ("card-removed-mid-read", None) => Ok(Self::CardRemovedMidRead),
            ("no-card", None) => Ok(Self::NoCard),
            ("slow-bytes", Some(us)) => us.parse().map(|us| Self::SlowBytes(Duration::from_micros(us))).map_err(|_| unknown()),
            ("sam-error", Some(hex)) => u8::from_str_radix(hex, 16).map(|b| Self::SamError(Status::from_sw3(b))).map_err(|_| unknown()),
            _ => Err(unknown()),
        }
    }
}

impl Fault {
    fn applies_to(self, command: Command) -> bool {
        match self {
            Self::CardRemovedMidRead => matches!(command, Command::ReadText | Command::ReadTextWithFingerprint),
            Self::NoCard => command == Command::FindCard,
            _ => true,
        }
    }
}

/// An injected fault and how many more answers it affects (`None`: until cleared).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct Injected {
    fault: Fault,
    remaining: Option<u32>,
}

/// What to send back for one command.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Reply {
    /// The bytes.
    pub bytes: Vec<u8>,
    /// Pause between two bytes (zero: send at once).
    pub byte_delay: Duration,
}

/// The simulated reader's logic: which card lies on it and which faults are active.
#[derive(Debug, Clone, Default)]
pub struct SimReader {
    cards: Vec<SimCard>,
    on_reader: Option<usize>,
    faults: Vec<Injected>,
    commands: u64,
}

/// The SAM ID the simulator reports for 12 FF (16 bytes, fixed).
pub const SIM_SAM_ID: [u8; 16] = *b"HALLKIT-SIM-SAM1";

impl SimReader {
    /// A reader loaded with `cards`, the first of them (if any) on the reader.
    pub fn new(cards: Vec<SimCard>) -> Self {
        let on_reader = (!cards.is_empty()).then_some(0);
        Self { cards, on_reader, faults: Vec::new(), commands: 0 }
    }

    /// The cards loaded.
    pub fn cards(&self) -> &[SimCard] {
        &self.cards
    }

    /// Puts card `index` on the reader; `false` (and no change) if there is no such card.
    pub fn place_card(&mut self, index: usize) -> bool {
        let ok = index < self.cards.len();
        if ok {
            self.on_reader = Some(index);
        }
        ok
    }

    /// Takes the card off the reader.
    pub fn remove_card(&mut self) {
        self.on_reader = None;
    }

    /// The index of the card on the reader.
    pub fn card_on_reader(&self) -> Option<usize> {
        self.on_reader
    }

    /// Activates `fault` for the next `times` answers it affects, or until cleared when `None`.
    pub fn inject(&mut self, fault: Fault, times: Option<u32>) {
        self.faults.push(Injected { fault, remaining: times });
    }

    /// Deactivates every fault.
    pub fn clear_faults(&mut self) {
        self.faults.clear();
    }

    /// Commands answered so far.
    pub fn commands_answered(&self) -> u64 {
        self.commands
    }

    /// The faults that apply to `command`, each consumed once.
    fn take_faults(&mut self, command: Command) -> Vec<Fault> {
        let mut active = Vec::new();
        for f in &mut self.faults {
            if f.fault.applies_to(command) && f.remaining != Some(0) {
                active.push(f.fault);
                if let Some(n) = &mut f.remaining {
                    *n -= 1;
                }
            }
        }
        self.faults.retain(|f| f.remaining != Some(0));
        active
    }

    /// The answer to a frame from the host: a command, or a frame the SAM could not accept.
    pub fn answer_frame(&mut self, frame: Result<Command, FrameError>) -> Reply {
        match frame {
            Ok(command) => self.answer(command),
            Err(FrameError::UnknownCommand { .. }) => plain(Response::new(Status::CommandError, Vec::new())),
            Err(FrameError::BadLength { .. } | FrameError::Oversized { .. }) => plain(Response::new(Status::LengthError, Vec::new())),
            Err(_) => plain(Response::new(Status::ChecksumError, Vec::new())),
        }
    }

    /// The answer to `command`, with the active faults applied.
    pub fn answer(&mut self, command: Command) -> Reply {
        self.commands += 1;
        let faults = self.take_faults(command);
        let mut response = self.respond(command);
        let mut byte_delay = Duration::ZERO;
        let mut cut = false;
        let mut corrupt = false;
        for fault in faults {
            match fault {
                Fault::SamError(status) => response = Response::new(status, Vec::new()),
                Fault::NoCard => response = Response::new(Status::NoCard, Vec::new()),
                Fault::CardRemovedMidRead => {
                    self.on_reader = None;
                    cut = true;
                }
                Fault::TruncatedFrame => cut = true,
                Fault::BadChecksum => corrupt = true,
                Fault::SlowBytes(d) => byte_delay = d,
            }
        }
        // Responses are at most a few KiB (the decoder's limit): encoding cannot fail.
        let mut bytes = response.encode().unwrap_or_default();
        if corrupt && let Some(last) = bytes.last_mut() {
            *last ^= 0xFF;
        }
        if cut {
            bytes.truncate(bytes.len() / 2);
        }
        Reply { bytes, byte_delay }
    }

    /// What a healthy reader answers.
    fn respond(&self, command: Command) -> Response {
        let card = self.on_reader.and_then(|i| self.cards.get(i));
        let ok = |data| Response::new(Status::Ok, data);
        match (command, card) {
            (Command::ResetSam | Command::SamStatus | Command::SetMaxRfFrame(_), _) => ok(Vec::new()),
            (Command::ReadSamId, _) => ok(SIM_SAM_ID.to_vec()),
            (Command::FindCard, Some(_)) => Response::new(Status::CardFound, vec![0; 4]),
            (Command::FindCard, None) => Response::new(Status::NoCard, Vec::new()),
            (Command::SelectCard | Command::ReadCardSerial, Some(c)) => ok(c.serial.0.to_vec()),
            (Command::SelectCard, None) => Response::new(Status::SelectFailed, Vec::new()),
            (Command::ReadText, Some(c)) => ok(CardRead { text: c.text.clone(), photo: c.photo_block(), fingerprint: None }.encode()),
            (Command::ReadTextWithFingerprint, Some(c)) => {
                ok(CardRead { text: c.text.clone(), photo: c.photo_block(), fingerprint: Some(c.fingerprint.clone()) }.encode())
            }
            (Command::ReadAppendedAddress, Some(c)) if c.appended_address.is_empty() => Response::new(Status::NoContent, Vec::new()),
            (Command::ReadAppendedAddress, Some(c)) => ok(c.appended_address.encode_utf16().flat_map(u16::to_le_bytes).collect()),
            // Card commands with no card in the field: the SAM fails to read.
            (Command::ReadText | Command::ReadTextWithFingerprint | Command::ReadAppendedAddress | Command::ReadCardSerial, None) => {
                Response::new(Status::ReadFailed, Vec::new())
            }
        }
    }
}

fn plain(response: Response) -> Reply {
    Reply { bytes: response.encode().unwrap_or_default(), byte_delay: Duration::ZERO }
}

/// Starts simulators on ports.
#[derive(Debug)]
pub struct Simulator;

impl Simulator {
    /// Starts a simulator on a new pseudo-terminal pair and returns the path of the end a driver
    /// opens (e.g. `/dev/pts/3`) and the handle. `faults` are active until cleared. The path is
    /// found through `/proc/self/fd`, so this needs Linux.
    pub fn spawn_pty(cards: Vec<SimCard>, faults: Vec<Fault>) -> io::Result<(PathBuf, SimHandle)> {
        let (ours, theirs) = SerialPort::pair()?;
        let path = pty_path(&theirs)?;
        let mut handle = Self::spawn_on(ours, cards, faults)?;
        // Keep the driver's end open too: while no process has it open, the kernel reports a
        // hang-up on ours, and a driver opening the path later would find a dead link.
        handle.keep_open = Some(theirs);
        Ok((path, handle))
    }

    /// Starts a simulator on the serial port at `path` (raw 8N1 at `baud`), e.g. one end of a
    /// null-modem cable or a `socat` pty. `faults` are active until cleared.
    pub fn spawn_on_path(path: &Path, baud: u32, cards: Vec<SimCard>, faults: Vec<Fault>) -> io::Result<SimHandle> {
        let port = SerialPort::open(path, |mut s: serial2::Settings| {
            s.set_raw();
            s.set_baud_rate(baud)?;
            Ok(s)
        })?;
        Self::spawn_on(port, cards, faults)
    }

    /// Starts a simulator answering on `port` (a real serial port for `--port PATH`, or one end
    /// of a pair). `faults` are active until cleared.
    pub fn spawn_on(mut port: SerialPort, cards: Vec<SimCard>, faults: Vec<Fault>) -> io::Result<SimHandle> {
        let mut reader = SimReader::new(cards);
        for f in faults {
            reader.inject(f, None);
        }
        // A short read timeout so the thread notices a stop request quickly.
        port.set_read_timeout(Duration::from_millis(20))?;
        let reader = Arc::new(Mutex::new(reader));
        let stop = Arc::new(AtomicBool::new(false));
        let thread = {
            let (reader, stop) = (Arc::clone(&reader), Arc::clone(&stop));
            thread::Builder::new().name("idcard-sim".into()).spawn(move || serve(&port, &reader, &stop))?
        };
        Ok(SimHandle { reader, stop, thread: Some(thread), keep_open: None })
    }
}

/// The path of a pty's end, from the process's own file descriptor table.
fn pty_path(port: &SerialPort) -> io::Result<PathBuf> {
    use std::os::unix::io::AsRawFd;
    std::fs::read_link(format!("/proc/self/fd/{}", port.as_raw_fd()))
}

/// The simulator thread: read commands, answer them, until told to stop.
fn serve(port: &SerialPort, reader: &Mutex<SimReader>, stop: &AtomicBool) -> io::Result<()> {
    let mut decoder = FrameDecoder::new();
    let mut buf = [0u8; 256];
    while !stop.load(Ordering::Relaxed) {
        match port.read(&mut buf) {
            Ok(n) => decoder.push(&buf[..n]),
            Err(e) if e.kind() == io::ErrorKind::TimedOut || e.kind() == io::ErrorKind::WouldBlock => continue,
            Err(e) => {
                // The driver's end closing makes a pty report EIO until it is opened again.
                debug!(error = %e, "simulator port read failed; retrying");
                thread::sleep(Duration::from_millis(20));
                continue;
            }
        }
        while let Some(frame) = decoder.next_frame() {
            let reply = lock(reader).answer_frame(frame.and_then(|f| Command::from_frame(&f)));
            if let Err(e) = send(port, &reply, stop) {
                warn!(error = %e, "simulator could not answer");
            }
        }
    }
    Ok(())
}

fn send(port: &SerialPort, reply: &Reply, stop: &AtomicBool) -> io::Result<()> {
    if reply.byte_delay.is_zero() {
        return port.write_all(&reply.bytes);
    }
    for b in &reply.bytes {
        if stop.load(Ordering::Relaxed) {
            break;
        }
        port.write_all(std::slice::from_ref(b))?;
        thread::sleep(reply.byte_delay);
    }
    Ok(())
}

/// A poisoned lock only means a test thread panicked while holding it; the state is still usable.
fn lock(reader: &Mutex<SimReader>) -> MutexGuard<'_, SimReader> {
    reader.lock().unwrap_or_else(std::sync::PoisonError::into_inner)
}

/// Controls a running simulator; dropping it stops the simulator.
#[derive(Debug)]
pub struct SimHandle {
    reader: Arc<Mutex<SimReader>>,
    stop: Arc<AtomicBool>,
    thread: Option<JoinHandle<io::Result<()>>>,
    keep_open: Option<SerialPort>,
}

impl SimHandle {
    /// Runs `f` on the simulated reader's state (place cards, inject faults, read counters).
    pub fn with_reader<R>(&self, f: impl FnOnce(&mut SimReader) -> R) -> R {
        f(&mut lock(&self.reader))
    }

    /// Puts card `index` on the reader; `false` if there is no such card.
    pub fn place_card(&self, index: usize) -> bool {
        self.with_reader(|r| r.place_card(index))
    }

    /// Takes the card off the reader.
    pub fn remove_card(&self) {
        self.with_reader(SimReader::remove_card);
    }

    /// Activates `fault` for the next `times` answers it affects, or until cleared when `None`.
    pub fn inject(&self, fault: Fault, times: Option<u32>) {
        self.with_reader(|r| r.inject(fault, times));
    }

    /// Deactivates every fault.
    pub fn clear_faults(&self) {
        self.with_reader(SimReader::clear_faults);
    }

    /// Stops the simulator and waits for its thread.
    pub fn stop(mut self) -> io::Result<()> {
        self.shutdown()
    }

    fn shutdown(&mut self) -> io::Result<()> {
        self.stop.store(true, Ordering::Relaxed);
        match self.thread.take().map(JoinHandle::join) {
            Some(Ok(result)) => result,
            Some(Err(_)) => Err(io::Error::other("the simulator thread panicked")),
            None => Ok(()),
        }
    }
}

impl Drop for SimHandle {
    fn drop(&mut self) {
        let _ = self.shutdown();
    }
}
