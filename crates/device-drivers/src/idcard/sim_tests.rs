//! The production session against the simulator over a real pseudo-terminal: every card type,
//! every fault with its documented result and the recovery after it, polling events, and a
//! reader that vanishes and comes back.

use std::io;
use std::path::PathBuf;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Duration;

use chrono::NaiveDate;

use super::*;
use crate::Error as _;
use crate::ErrorKind;
use crate::transport::{DEFAULT_BAUD, SerialConfig, SerialTransport, Transport, TransportError};

fn day(y: i32, m: u32, d: u32) -> NaiveDate {
    NaiveDate::from_ymd_opt(y, m, d).unwrap()
}

fn with_check(first17: &str) -> String {
    format!("{first17}{}", gb11643_check_char(first17).unwrap())
}

fn photo(seed: u8) -> WltPhoto {
    WltPhoto((0..1024u32).map(|i| (i * 7 % 251) as u8 ^ seed).collect())
}

/// One card of each type, with distinct serials.
fn cards() -> Vec<SimCard> {
    let resident = Card {
        name: "张三".into(),
        sex: Sex::Female,
        birth_date: day(1949, 12, 31),
        id_number: IdNumber::parse_citizen("11010519491231002X").unwrap(),
        valid_from: day(2015, 1, 1),
        valid_until: ValidUntil::LongTerm,
        details: CardDetails::ResidentId {
            ethnicity: Ethnicity::parse("01").unwrap(),
            address: "北京市朝阳区某某路1号".into(),
            authority: "北京市公安局朝阳分局".into(),
        },
        photo: photo(1),
    };
    let permit = Card {
        name: "陈大文".into(),
        sex: Sex::Female,
        birth_date: day(1990, 3, 7),
        id_number: IdNumber::parse_permit(&with_check("81000019900307002")).unwrap(),
        valid_from: day(2020, 5, 1),
        valid_until: ValidUntil::Date(day(2025, 5, 1)),
        details: CardDetails::ResidencePermit {
            address: "广东省深圳市福田区".into(),
            authority: "深圳市公安局".into(),
            pass_number: "H12345678".into(),
            issue_count: "01".into(),
        },
        photo: photo(2),
    };
    let foreign_2017 = Card {
        name: "史密斯".into(),
        sex: Sex::Male,
        birth_date: day(1985, 7, 15),
        id_number: IdNumber::parse_foreign_2017("CAN318507150012").unwrap(),
        valid_from: day(2017, 6, 1),
        valid_until: ValidUntil::Date(day(2027, 6, 1)),
        details: CardDetails::ForeignPermanent2017 {
            english_name: "SMITH, JOHN".into(),
            nationality: "CAN".into(),
            card_version: "17".into(),
            authority_code: "3100".into(),
        },
        photo: photo(3),
    };
    let foreign_2023 = Card {
        name: "史安娜".into(),
        sex: Sex::Female,
        birth_date: day(1988, 2, 29),
        id_number: IdNumber::parse_foreign_2023(&with_check("93112419880229002")).unwrap(),
        valid_from: day(2023, 12, 1),
        valid_until: ValidUntil::Date(day(2033, 12, 1)),
        details: CardDetails::ForeignPermanent2023 {
            english_name: "SMITH, ANNA MARIA".into(),
            nationality: "124".into(),
            renewal_count: "00".into(),
            previous_card_link: String::new(),
        },
        photo: photo(4),
    };
    [resident, permit, foreign_2017, foreign_2023]
        .into_iter()
        .enumerate()
        .map(|(i, card)| SimCard::new(card, CardSerial([0x10 + i as u8, 2, 3, 4, 5, 6, 7, 8])).unwrap())
        .collect()
}

/// Short timeouts so lost answers cost little test time.
fn test_config() -> SessionConfig {
    SessionConfig { idle_timeout: Duration::from_millis(150), max_response_time: Duration::from_secs(3), retries: 2, ..SessionConfig::default() }
}

fn start() -> (ReaderSession<SerialTransport>, SimHandle) {
    let (path, sim) = Simulator::spawn_pty(cards(), Vec::new()).unwrap();
    let transport = SerialTransport::from_config(SerialConfig::new(path)).unwrap();
    (ReaderSession::with_config(transport, test_config()), sim)
}

fn read(session: &mut ReaderSession<SerialTransport>) -> Result<Option<CardReading>, SessionError> {
    session.read_card(ReadOptions::default())
}

/// Asserts that a plain read returns card `index`.
fn assert_reads(session: &mut ReaderSession<SerialTransport>, index: usize) {
    let want = &cards()[index];
    let got = read(session).unwrap().expect("a card");
    assert_eq!(got.card, want.card);
    assert_eq!(got.serial, want.serial);
    assert_eq!(got.fingerprint, None);
    assert_eq!(got.appended_address, None);
}

#[test]
fn every_card_type_reads_through_the_pty() {
    let (mut session, sim) = start();
    session.reset().unwrap();
    session.sam_status().unwrap();
    for (i, want) in cards().iter().enumerate() {
        assert!(sim.place_card(i));
        let got = read(&mut session).unwrap().expect("a card");
        assert_eq!(got.card.card_type(), want.card.card_type());
        assert_eq!(got.card, want.card);
        assert_eq!(session.card_serial().unwrap(), Some(want.serial));
    }
    assert!(!sim.place_card(4), "there is no fifth card");
    assert_eq!(session.stats(), SessionStats::default(), "nothing to recover from");
}

#[test]
fn fingerprint_and_appended_address_are_read_when_asked() {
    let mut cards = cards();
    cards[0] = cards[0].clone().with_fingerprint(vec![0x5A; 1024]).with_appended_address("北京市海淀区某某街2号");
    let (path, _sim) = Simulator::spawn_pty(cards, Vec::new()).unwrap();
    let mut session = ReaderSession::with_config(SerialTransport::from_config(SerialConfig::new(path)).unwrap(), test_config());
    let got = session.read_card(ReadOptions { fingerprint: true, appended_address: true }).unwrap().unwrap();
    assert_eq!(got.fingerprint.as_deref(), Some(&[0x5A; 1024][..]));
    assert_eq!(got.appended_address.as_deref(), Some("北京市海淀区某某街2号"));
    assert_eq!(got.card.id_number.unmasked(), "11010519491231002X");
    // A card without either: an empty fingerprint block and "no content" for the address.
    let (path, _sim) = Simulator::spawn_pty(self::cards(), Vec::new()).unwrap();
    let mut session = ReaderSession::with_config(SerialTransport::from_config(SerialConfig::new(path)).unwrap(), test_config());
    let got = session.read_card(ReadOptions { fingerprint: true, appended_address: true }).unwrap().unwrap();
    assert_eq!(got.fingerprint.as_deref(), Some(&[][..]));
    assert_eq!(got.appended_address.as_deref(), Some(""));
}

#[test]
fn no_card_is_a_normal_answer() {
    let (mut session, sim) = start();
    sim.remove_card();
    assert!(read(&mut session).unwrap().is_none());
    assert_eq!(session.card_serial().unwrap(), None);
    sim.place_card(1);
    sim.inject(Fault::NoCard, Some(1));
    assert!(read(&mut session).unwrap().is_none(), "the fault hides the card once");
    assert_reads(&mut session, 1);
}

#[test]
fn one_bad_checksum_is_resent_and_repeated_ones_are_a_typed_error() {
    let (mut session, sim) = start();
    sim.inject(Fault::BadChecksum, Some(1));
    assert_reads(&mut session, 0);
    assert_eq!(session.stats().bad_frames, 1);

    sim.inject(Fault::BadChecksum, None);
    let err = read(&mut session).unwrap_err();
    assert!(matches!(err, SessionError::RepeatedChecksumErrors { command: Command::FindCard, attempts: 3 }), "{err:?}");
    assert_eq!(err.kind(), ErrorKind::Protocol);
    sim.clear_faults();
    assert_reads(&mut session, 0);
}

#[test]
fn a_truncated_answer_times_out_and_is_resent() {
    let (mut session, sim) = start();
    sim.inject(Fault::TruncatedFrame, Some(1));
    assert_reads(&mut session, 0);
    assert_eq!(session.stats().timeouts, 1);

    sim.inject(Fault::TruncatedFrame, None);
    let err = read(&mut session).unwrap_err();
    assert!(matches!(err, SessionError::NoAnswer { command: Command::FindCard, attempts: 3 }), "{err:?}");
    assert_eq!(err.kind(), ErrorKind::Timeout);
    sim.clear_faults();
    assert_reads(&mut session, 0);
}

#[test]
fn slow_bytes_still_make_a_read() {
    let (mut session, sim) = start();
    // Each gap is far below the idle timeout, though the whole read takes much longer than it.
    sim.inject(Fault::SlowBytes(Duration::from_micros(200)), Some(3));
    assert_reads(&mut session, 0);
    assert_eq!(session.stats(), SessionStats::default());
    assert_reads(&mut session, 0);
}

#[test]
fn a_sam_error_is_reported_with_its_meaning_then_reads_resume() {
    let (mut session, sim) = start();
    sim.inject(Fault::SamError(Status::SamSelfTestFailed), Some(1));
    let err = read(&mut session).unwrap_err();
    assert!(matches!(err, SessionError::Sam { status: Status::SamSelfTestFailed }), "{err:?}");
    assert_eq!(err.kind(), ErrorKind::NeedsAttention);
    assert!(err.to_string().contains("self-test failed"), "{err}");
    assert_reads(&mut session, 0);
    // A SAM that refuses our frame as corrupted (link class) is simply asked again.
    sim.inject(Fault::SamError(Status::ChecksumError), Some(1));
    assert_reads(&mut session, 0);
}

#[test]
fn a_card_removed_mid_read_is_a_card_error_and_the_next_card_reads() {
    let (mut session, sim) = start();
    sim.inject(Fault::CardRemovedMidRead, Some(1));
    let err = read(&mut session).unwrap_err();
    assert!(matches!(err, SessionError::Card { status: Status::ReadFailed }), "{err:?}");
    assert!(err.to_string().contains("place the card"), "{err}");
    assert_eq!(sim.with_reader(|r| r.card_on_reader()), None, "the fault took the card away");
    assert!(read(&mut session).unwrap().is_none());
    sim.place_card(2);
    assert_reads(&mut session, 2);
}

#[test]
fn a_silent_port_is_no_answer() {
    let (ours, _theirs) = serial2::SerialPort::pair().unwrap();
    let mut session = ReaderSession::with_config(SerialTransport::from_port(ours, Duration::from_secs(1)).unwrap(), test_config());
    let err = session.sam_status().unwrap_err();
    assert!(matches!(err, SessionError::NoAnswer { command: Command::SamStatus, attempts: 3 }), "{err:?}");
    assert!(err.to_string().contains("did not answer"));
}

#[test]
fn polling_reports_present_and_removed_in_order() {
    let (session, sim) = start();
    let mut poller = Poller::new(session, PollConfig { removed_after: 2, ..PollConfig::default() });
    let serial = |i: usize| cards()[i].serial;

    let Some(CardEvent::Present(first)) = poller.poll_once() else { panic!("card 0 should be reported present") };
    assert_eq!(first.serial, serial(0));
    assert!(poller.poll_once().is_none(), "the same card stays present");
    // One poll without it is not yet a removal (SAMs miss a still card now and then).
    sim.inject(Fault::NoCard, Some(1));
    assert!(poller.poll_once().is_none());
    assert!(poller.poll_once().is_none(), "seen again: the miss count restarts");
    sim.remove_card();
    assert!(poller.poll_once().is_none());
    assert!(matches!(poller.poll_once(), Some(CardEvent::Removed { serial: s }) if s == serial(0)));
    assert!(poller.poll_once().is_none());

    sim.place_card(1);
    assert!(matches!(poller.poll_once(), Some(CardEvent::Present(r)) if r.serial == serial(1)));
    // Swapped without a gap: the old card leaves before the new one arrives.
    sim.place_card(3);
    assert!(matches!(poller.poll_once(), Some(CardEvent::Removed { serial: s }) if s == serial(1)));
    assert!(matches!(poller.poll_once(), Some(CardEvent::Present(r)) if r.serial == serial(3) && r.card == cards()[3].card));
    assert_eq!(poller.present(), Some(serial(3)));

    // Errors are events, and polling goes on.
    sim.inject(Fault::SamError(Status::SamNotAuthorised), Some(1));
    assert!(matches!(poller.poll_once(), Some(CardEvent::Error(SessionError::Sam { status: Status::SamNotAuthorised }))));
    assert!(poller.poll_once().is_none());
}

/// A serial transport that the test can unplug: while unplugged every operation fails like a
/// vanished USB-serial device, and reopening fails until it is plugged back.
struct Unpluggable {
    inner: SerialTransport,
    plugged: Arc<AtomicBool>,
}

impl Unpluggable {
    fn check(&self) -> Result<(), TransportError> {
        if self.plugged.load(Ordering::SeqCst) { Ok(()) } else { Err(TransportError::Disconnected { reason: "unplugged".into() }) }
    }
}

impl Transport for Unpluggable {
    fn write_all(&mut self, bytes: &[u8]) -> Result<(), TransportError> {
        self.check()?;
        self.inner.write_all(bytes)
    }

    fn read(&mut self, buf: &mut [u8], timeout: Duration) -> Result<usize, TransportError> {
        self.check()?;
        self.inner.read(buf, timeout)
    }

    fn discard_input(&mut self) -> Result<(), TransportError> {
        self.check()?;
        self.inner.discard_input()
    }

    fn reopen(&mut self) -> Result<(), TransportError> {
        if !self.plugged.load(Ordering::SeqCst) {
            // As opening a vanished USB-serial device's path fails.
            let path = self.inner.path().map_or_else(PathBuf::new, PathBuf::from);
            return Err(TransportError::Open { path, source: io::Error::new(io::ErrorKind::NotFound, "unplugged") });
        }
        self.inner.reopen()
    }
}

#[test]
fn a_reader_that_vanishes_and_returns_is_reopened() {
    let (path, sim) = Simulator::spawn_pty(cards(), Vec::new()).unwrap();
    let plugged = Arc::new(AtomicBool::new(true));
    let transport = Unpluggable { inner: SerialTransport::from_config(SerialConfig::new(&path)).unwrap(), plugged: Arc::clone(&plugged) };
    let mut session = ReaderSession::with_config(transport, test_config());
    assert!(session.read_card(ReadOptions::default()).unwrap().is_some());

    plugged.store(false, Ordering::SeqCst);
    let err = session.read_card(ReadOptions::default()).unwrap_err();
    assert!(matches!(err, SessionError::Transport(TransportError::Open { .. })), "{err:?}");
    assert_eq!(err.kind(), ErrorKind::Disconnected);
    assert!(session.read_card(ReadOptions::default()).is_err(), "still gone");

    plugged.store(true, Ordering::SeqCst);
    sim.place_card(3);
    let got = session.read_card(ReadOptions::default()).unwrap().unwrap();
    assert_eq!(got.card, cards()[3].card);
    assert_eq!(session.stats().reopens, 1, "the port was opened again by its path");
}

#[test]
fn the_simulator_answers_bad_host_frames_as_a_sam_does() {
    let mut reader = SimReader::new(cards());
    let mut decoder = FrameDecoder::new();
    let mut answer = |frame| {
        decoder.push(&reader.answer_frame(frame).bytes);
        decoder.next_response().unwrap().unwrap().status
    };
    assert_eq!(answer(Err(FrameError::BadChecksum { computed: 1, received: 2 })), Status::ChecksumError);
    assert_eq!(answer(Err(FrameError::UnknownCommand { cmd: 0x30, para: 0x02 })), Status::CommandError);
    assert_eq!(answer(Ok(Command::ReadSamId)), Status::Ok);
    assert_eq!(reader.commands_answered(), 1, "only well-formed commands count");
}

#[test]
fn fault_names_parse_for_the_cli() {
    let parse = |s: &str| s.parse::<Fault>();
    assert_eq!(parse("bad-checksum"), Ok(Fault::BadChecksum));
    assert_eq!(parse("truncated-frame"), Ok(Fault::TruncatedFrame));
    assert_eq!(parse("slow-bytes:250"), Ok(Fault::SlowBytes(Duration::from_micros(250))));
    assert_eq!(parse("sam-error:60"), Ok(Fault::SamError(Status::SamSelfTestFailed)));
    assert_eq!(parse("card-removed-mid-read"), Ok(Fault::CardRemovedMidRead));
    assert_eq!(parse("no-card"), Ok(Fault::NoCard));
    for bad in ["", "slow-bytes", "slow-bytes:x", "sam-error:zz", "no-card:1", "unplug"] {
        assert_eq!(parse(bad), Err(sim::UnknownFault(bad.to_owned())), "{bad}");
    }
}

#[test]
fn a_simulator_on_a_path_answers_a_driver_on_the_other_end() {
    // The CLI's `--port PATH` form: the simulator opens a path, the driver the other end.
    let (driver_end, sim_end) = serial2::SerialPort::pair().unwrap();
    let sim_path = std::fs::read_link(format!("/proc/self/fd/{}", std::os::unix::io::AsRawFd::as_raw_fd(&sim_end))).unwrap();
    let sim = Simulator::spawn_on_path(&sim_path, DEFAULT_BAUD, cards(), vec![Fault::NoCard]).unwrap();
    let mut session = ReaderSession::with_config(SerialTransport::from_port(driver_end, Duration::from_secs(1)).unwrap(), test_config());
    assert!(read(&mut session).unwrap().is_none(), "the fault given at start hides the card");
    sim.clear_faults();
    assert_reads(&mut session, 0);
    drop(sim_end);
}

#[test]
fn a_reader_that_decodes_photos_returns_the_bmp_and_the_decoder_gives_the_image_back() {
    use super::photo::{DecodedBy, PHOTO_HEIGHT, PHOTO_WIDTH, Photo, PhotoDecoder, PhotoSource, RgbImage};
    let pixels = (0..PHOTO_HEIGHT).flat_map(|y| (0..PHOTO_WIDTH).flat_map(move |x| [x as u8, y as u8, 200])).collect();
    let image = RgbImage::new(PHOTO_WIDTH, PHOTO_HEIGHT, pixels).unwrap();
    let mut card = cards().remove(0);
    assert!(card.clone().decoding_photo().is_none(), "no image, no decoded photo: the simulator invents none");
    card.photo_image = Some(image.clone());
    let card = card.decoding_photo().unwrap();
    let (path, _sim) = Simulator::spawn_pty(vec![card], Vec::new()).unwrap();
    let transport = || SerialTransport::from_config(SerialConfig::new(&path)).unwrap();
    // A session set up for WLT readers refuses the large frame rather than waiting on noise...
    let mut wlt_session = ReaderSession::with_config(transport(), test_config());
    assert!(read(&mut wlt_session).is_err());
    drop(wlt_session);
    // ...and one set up for a photo reader reads it.
    let config = SessionConfig { idle_timeout: Duration::from_millis(150), ..SessionConfig::for_photo_reader() };
    let mut session = ReaderSession::with_config(transport(), config);
    let got = read(&mut session).unwrap().expect("a card");
    assert_eq!(got.card.photo.0.len(), super::photo::PHOTO_BMP_LEN, "a BMP in place of the 1024 bytes of WLT");
    let decoder = PhotoDecoder::open(&PhotoSource::ReaderDecodes).unwrap();
    assert_eq!(decoder.decode(&got.card.photo.0).unwrap(), Photo::Decoded { image, by: DecodedBy::Reader });
    // The same read, taken as WLT by a kiosk configured without a decoder, says so.
    let none = PhotoDecoder::open(&PhotoSource::NoDecoder).unwrap();
    assert!(matches!(none.decode(&got.card.photo.0).unwrap(), Photo::Undecoded { .. }));
}
