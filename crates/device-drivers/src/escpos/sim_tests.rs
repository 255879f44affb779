//! The production driver against the simulator, over real TCP on 127.0.0.1 and over a pty.

use std::io::{Read as _, Write as _};
use std::net::TcpListener;
use std::time::Duration;

use chrono::NaiveDate;

use super::sim::{Fault, PrinterSim, SimConfig};
use super::status::Problem;
use super::*;
use crate::transport::{SerialTransport, TcpTransport, Transport, TransportError};
use crate::{Error as _, ErrorKind};

const WAIT: Duration = Duration::from_secs(5);

fn ticket() -> Ticket {
    let issued_at = NaiveDate::from_ymd_opt(2026, 11, 25).and_then(|d| d.and_hms_opt(9, 30, 5)).expect("a valid date");
    Ticket { qr: Some("https://hall.example.gov.cn/t/A012?r=1".into()), ..Ticket::sample(issued_at) }
}

fn profile(paper: PaperWidth) -> PrinterProfile {
    PrinterProfile { paper, ..PrinterProfile::default() }
}

fn sim_config(paper: PaperWidth, condition: PrinterCondition) -> SimConfig {
    SimConfig { paper, condition, dump_dir: None, font_path: None }
}

fn tcp_printer(sim: &PrinterSim, answer_timeout: Duration) -> EscposPrinter<TcpTransport> {
    let addr = sim.tcp_address().expect("a TCP simulator");
    let transport = TcpTransport::connect(addr.to_string(), WAIT, WAIT).expect("connects to the simulator");
    EscposPrinter::new(transport, DriverConfig { answer_timeout })
}

fn pty_printer(sim: &PrinterSim, answer_timeout: Duration) -> EscposPrinter<SerialTransport> {
    let path = sim.pty_path().expect("a pty simulator");
    let transport = SerialTransport::open(path, 115_200, WAIT).expect("opens the simulator's pty");
    EscposPrinter::new(transport, DriverConfig { answer_timeout })
}

/// A transport's name, its simulator and a driver talking to it.
type Rig = (&'static str, PrinterSim, EscposPrinter<Box<dyn Transport>>);

/// Both transports, boxed, each with its simulator.
fn both(paper: PaperWidth, condition: PrinterCondition, answer_timeout: Duration) -> Vec<Rig> {
    let tcp = PrinterSim::tcp("127.0.0.1:0", &sim_config(paper, condition)).expect("binds");
    let pty = PrinterSim::pty(&sim_config(paper, condition)).expect("opens a pty");
    let tcp_driver = EscposPrinter::new(Box::new(tcp_printer(&tcp, answer_timeout).into_transport()) as Box<dyn Transport>, DriverConfig { answer_timeout });
    let pty_driver = EscposPrinter::new(Box::new(pty_printer(&pty, answer_timeout).into_transport()) as Box<dyn Transport>, DriverConfig { answer_timeout });
    vec![("tcp", tcp, tcp_driver), ("pty", pty, pty_driver)]
}

#[test]
fn what_the_simulator_parsed_is_what_was_printed() {
    for paper in [PaperWidth::Mm58, PaperWidth::Mm80] {
        for (name, sim, mut printer) in both(paper, PrinterCondition::Normal, WAIT) {
            let template = TicketTemplate::default();
            let rendered = template.render(&ticket(), &profile(paper)).expect("renders");
            let outcome = printer.print_ticket(&ticket(), &template, &profile(paper)).expect("prints");
            assert!(outcome.warnings.is_empty(), "{name} {paper:?}: {:?}", outcome.warnings);
            assert!(!outcome.paper_low());
            // The driver read the answers to status requests sent after the ticket, so the
            // simulator has processed the whole ticket already.
            let tickets = sim.tickets();
            assert_eq!(tickets.len(), 1, "{name} {paper:?}");
            let got = &tickets[0];
            assert_eq!(got.layout, rendered.layout, "{name} {paper:?}");
            let lines = got.layout.line_texts();
            for expected in ["徐汇区行政服务中心", "户籍办理", "A012", "您前面还有 3 人", "取号时间：2026-11-25 09:30:05", "请留意叫号"]
            {
                assert!(lines.iter().any(|l| l == expected), "{name} {paper:?}: {expected} missing from {lines:?}");
            }
            assert!(lines.contains(&"-".repeat(paper.columns())), "{name} {paper:?}: the rule spans the paper");
            assert_eq!(got.layout.qr_payloads(), vec![b"https://hall.example.gov.cn/t/A012?r=1".as_slice()]);
            assert_eq!(got.layout.items.last(), Some(&LayoutItem::Cut(Cut::Partial)));
            assert_eq!(got.text, rendered.layout.to_text(paper));
            assert_eq!(got.condition, PrinterCondition::Normal);
            assert!(sim.pending().items.is_empty());
            assert_eq!(sim.unknown_commands(), 0);
            assert_eq!(sim.bytes_received(), rendered.bytes.len() + 2 * 3 * 3, "{name}: the ticket plus two rounds of DLE EOT 1/2/4");
        }
    }
}

#[test]
fn tickets_are_split_at_cuts_and_dumped_to_the_folder() {
    let dir = tempfile::tempdir().expect("a temporary folder");
    let dumps = dir.path().join("tickets");
    let config = SimConfig { dump_dir: Some(dumps.clone()), ..sim_config(PaperWidth::Mm58, PrinterCondition::Normal) };
    let sim = PrinterSim::tcp("127.0.0.1:0", &config).expect("binds");
    let mut printer = tcp_printer(&sim, WAIT);
    let profile = profile(PaperWidth::Mm58);
    let first = ticket();
    let second = Ticket { number: "B007".into(), ahead: None, qr: None, ..ticket() };
    printer.print_ticket(&first, &TicketTemplate::default(), &profile).expect("prints the first");
    printer.print_ticket(&second, &TicketTemplate::default(), &profile).expect("prints the second");
    let tickets = sim.tickets();
    assert_eq!(tickets.iter().map(|t| t.number).collect::<Vec<_>>(), vec![1, 2]);
    assert!(tickets[0].layout.line_texts().contains(&"A012".to_string()));
    assert!(tickets[1].layout.line_texts().contains(&"B007".to_string()));
    assert!(tickets[1].layout.qr_payloads().is_empty());
    for t in &tickets {
        let path = t.dump_path.as_ref().expect("a dump was written");
        assert_eq!(path, &dumps.join(format!("ticket-{:04}.txt", t.number)));
        assert_eq!(std::fs::read_to_string(path).expect("the dump is readable"), t.text);
        let picture = t.picture_path.as_ref().expect("a picture was written");
        assert_eq!(picture, &dumps.join(format!("ticket-{:04}.png", t.number)));
        let font = TicketFont::open_default().expect("the ticket font is installed");
        let expected = TicketPicture::draw(&t.layout, &PictureOptions::new(PaperWidth::Mm58), &font).to_png().expect("encodes");
        assert_eq!(std::fs::read(picture).expect("the picture is readable"), expected, "the picture is the ticket as printed");
    }
    assert_eq!(sim.wait_for_ticket(2, WAIT).map(|t| t.number), Some(2));
    assert_eq!(sim.wait_for_ticket(3, Duration::from_millis(50)), None);
}

#[test]
fn paper_near_end_prints_with_a_warning() {
    for (name, sim, mut printer) in both(PaperWidth::Mm80, PrinterCondition::PaperNearEnd, WAIT) {
        let outcome = printer.print_ticket(&ticket(), &TicketTemplate::default(), &profile(PaperWidth::Mm80)).expect("prints");
        assert_eq!(outcome.warnings, vec![Problem::PaperNearEnd], "{name}");
        assert!(outcome.paper_low(), "{name}");
        assert!(outcome.after.describe().starts_with("ready, but: paper nearly used up"), "{name}: {}", outcome.after.describe());
        assert_eq!(sim.tickets().len(), 1, "{name}");
    }
}

#[test]
fn paper_end_and_cover_open_refuse_and_nothing_is_printed() {
    for (condition, problem) in [(PrinterCondition::PaperEnd, Problem::PaperEnd), (PrinterCondition::CoverOpen, Problem::CoverOpen)] {
        for (name, sim, mut printer) in both(PaperWidth::Mm58, condition, WAIT) {
            let err = printer.print_ticket(&ticket(), &TicketTemplate::default(), &profile(PaperWidth::Mm58)).expect_err("refuses");
            match &err {
                PrinterError::NotReady { problems } => {
                    assert!(problems.contains(&problem), "{name}: {problems:?}");
                    assert!(problems.contains(&Problem::Offline), "{name}: {problems:?}");
                }
                other => panic!("{name}: expected NotReady, got {other:?}"),
            }
            assert_eq!(err.kind(), ErrorKind::NeedsAttention);
            assert!(err.to_string().contains("was not sent"), "{err}");
            assert!(sim.tickets().is_empty(), "{name}");
            assert!(sim.pending().items.is_empty(), "{name}");
            assert_eq!(sim.bytes_received(), 9, "{name}: only DLE EOT 1, 2 and 4 were sent");
            let status = printer.status().expect("answers");
            assert!(!status.verdict.can_print);
            assert!(status.describe().starts_with("cannot print"), "{}", status.describe());
        }
    }
}

#[test]
fn the_condition_can_change_while_the_simulator_runs() {
    let sim = PrinterSim::tcp("127.0.0.1:0", &sim_config(PaperWidth::Mm80, PrinterCondition::Normal)).expect("binds");
    let mut printer = tcp_printer(&sim, WAIT);
    let profile = profile(PaperWidth::Mm80);
    printer.print_ticket(&ticket(), &TicketTemplate::default(), &profile).expect("prints");
    sim.set_condition(PrinterCondition::CoverOpen);
    assert_eq!(sim.condition(), PrinterCondition::CoverOpen);
    let err = printer.print_ticket(&ticket(), &TicketTemplate::default(), &profile).expect_err("refuses with the cover open");
    assert!(matches!(err, PrinterError::NotReady { ref problems } if problems.contains(&Problem::CoverOpen)), "{err:?}");
    sim.set_condition(PrinterCondition::Normal);
    printer.print_ticket(&ticket(), &TicketTemplate::default(), &profile).expect("prints again once closed");
    assert_eq!(sim.tickets().len(), 2);
    assert_eq!(printer.status().expect("answers").describe(), "ready");
}

#[test]
fn a_printer_that_never_answers_times_out_and_gets_nothing() {
    for (name, sim, mut printer) in both(PaperWidth::Mm80, PrinterCondition::Normal, Duration::from_millis(200)) {
        sim.set_fault(Fault::NoAnswer);
        let err = printer.print_ticket(&ticket(), &TicketTemplate::default(), &profile(PaperWidth::Mm80)).expect_err("no answer");
        assert!(matches!(err, PrinterError::NoAnswer { .. }), "{name}: {err:?}");
        assert_eq!(err.kind(), ErrorKind::Timeout);
        assert!(sim.tickets().is_empty(), "{name}");
        assert!(sim.pending().items.is_empty(), "{name}");
        sim.set_fault(Fault::None);
        assert!(printer.status().expect("answers again").verdict.can_print, "{name}");
        // The first attempt gave up after DLE EOT 1; the second asked 1, 2 and 4.
        assert_eq!(sim.status_requests(), 1 + 3, "{name}");
    }
}

#[test]
fn a_connection_dropped_mid_ticket_is_a_typed_error_and_no_ticket() {
    let sim = PrinterSim::tcp("127.0.0.1:0", &sim_config(PaperWidth::Mm80, PrinterCondition::Normal)).expect("binds");
    // The status round before printing is 9 bytes; the connection drops 60 bytes into the ticket.
    sim.set_fault(Fault::DropAfter(9 + 60));
    let mut printer = tcp_printer(&sim, WAIT);
    let err = printer.print_ticket(&ticket(), &TicketTemplate::default(), &profile(PaperWidth::Mm80)).expect_err("the connection drops");
    assert!(matches!(err, PrinterError::Interrupted { .. }), "{err:?}");
    assert_eq!(err.kind(), ErrorKind::Disconnected);
    assert!(err.to_string().contains("print it again"), "{err}");
    assert!(sim.tickets().is_empty());
    assert!(!sim.pending().line_texts().is_empty(), "the simulator received part of the ticket");
    assert_eq!(sim.bytes_received(), 69);
}

#[test]
fn a_printer_that_is_not_there_is_disconnected() {
    let listener = TcpListener::bind("127.0.0.1:0").expect("binds");
    let addr = listener.local_addr().expect("has an address");
    drop(listener);
    let err = TcpTransport::connect(addr.to_string(), WAIT, WAIT).expect_err("nothing listens");
    assert!(matches!(err, TransportError::Connect { .. }), "{err:?}");
    assert_eq!(err.kind(), ErrorKind::Disconnected);
    let err = SerialTransport::open("/dev/hallkit-no-such-port", 9600, WAIT).expect_err("no such port");
    assert_eq!(err.kind(), ErrorKind::Disconnected);
}

#[test]
fn a_byte_that_is_not_a_status_answer_is_a_protocol_error() {
    let listener = TcpListener::bind("127.0.0.1:0").expect("binds");
    let addr = listener.local_addr().expect("has an address");
    let fake = std::thread::spawn(move || {
        let (mut stream, _) = listener.accept().expect("accepts");
        let mut request = [0u8; 3];
        stream.read_exact(&mut request).expect("reads DLE EOT 1");
        stream.write_all(&[0xFF]).expect("answers nonsense");
        request
    });
    let sim_less = TcpTransport::connect(addr.to_string(), WAIT, WAIT).expect("connects");
    let mut printer = EscposPrinter::new(sim_less, DriverConfig { answer_timeout: WAIT });
    let err = printer.status().expect_err("refuses the byte");
    assert!(matches!(err, PrinterError::BadStatus(StatusError::NotAStatusByte { byte: 0xFF, .. })), "{err:?}");
    assert_eq!(err.kind(), ErrorKind::Protocol);
    assert_eq!(fake.join().expect("the fake printer ran"), [0x10, 0x04, 0x01]);
}

#[test]
fn a_printer_that_stops_answering_after_the_ticket_is_unconfirmed() {
    for (name, sim, mut printer) in both(PaperWidth::Mm80, PrinterCondition::Normal, Duration::from_millis(200)) {
        // DLE EOT 1, 2 and 4 before the ticket are answered; nothing after it.
        sim.set_fault(Fault::StopAnsweringAfter(3));
        let err = printer.print_ticket(&ticket(), &TicketTemplate::default(), &profile(PaperWidth::Mm80)).expect_err("not confirmed");
        match &err {
            PrinterError::Unconfirmed { source } => assert!(matches!(**source, PrinterError::NoAnswer { .. }), "{name}: {source:?}"),
            other => panic!("{name}: expected Unconfirmed, got {other:?}"),
        }
        assert_eq!(err.kind(), ErrorKind::Timeout);
        assert!(err.to_string().contains("did not confirm"), "{err}");
        // The printer did receive it: that is why the error says to check before printing again.
        // (Waited for: the driver gave up without an answer, so the simulator may still be busy.)
        assert_eq!(sim.wait_for_ticket(1, WAIT).map(|t| t.number), Some(1), "{name}");
        assert_eq!(sim.tickets().len(), 1, "{name}");
    }
}

#[test]
fn paper_running_out_during_a_ticket_is_reported_not_printed() {
    for (name, sim, mut printer) in both(PaperWidth::Mm58, PrinterCondition::Normal, WAIT) {
        sim.set_condition_after_next_cut(PrinterCondition::PaperEnd);
        let err = printer.print_ticket(&ticket(), &TicketTemplate::default(), &profile(PaperWidth::Mm58)).expect_err("paper ran out");
        assert!(matches!(err, PrinterError::StoppedAfterSending { ref problems } if problems.contains(&Problem::PaperEnd)), "{name}: {err:?}");
        assert_eq!(err.kind(), ErrorKind::NeedsAttention);
        assert_eq!(sim.condition(), PrinterCondition::PaperEnd);
        assert_eq!(sim.tickets().len(), 1, "{name}");
        assert_eq!(sim.tickets()[0].condition, PrinterCondition::Normal, "{name}: it was cut before the roll ran out");
        // The next ticket is refused before anything is sent.
        let received = sim.bytes_received();
        let err = printer.print_ticket(&ticket(), &TicketTemplate::default(), &profile(PaperWidth::Mm58)).expect_err("refused");
        assert!(matches!(err, PrinterError::NotReady { .. }), "{name}: {err:?}");
        assert_eq!(sim.bytes_received(), received + 9, "{name}");
    }
}

#[test]
fn conditions_parse_from_the_words_a_cli_uses() {
    for condition in [PrinterCondition::Normal, PrinterCondition::PaperNearEnd, PrinterCondition::PaperEnd, PrinterCondition::CoverOpen] {
        assert_eq!(condition.to_string().parse::<PrinterCondition>(), Ok(condition));
    }
    assert_eq!("paper-near-end".parse::<PrinterCondition>(), Ok(PrinterCondition::PaperNearEnd));
    let err = "jammed".parse::<PrinterCondition>().expect_err("unknown");
    assert!(err.to_string().contains("normal, paper-near-end, paper-end, cover-open"), "{err}");
}

#[test]
fn the_simulators_picture_of_the_sample_ticket_is_the_golden_one() {
    // The same ticket as tests/ticket_picture.rs draws from the replayed bytes: here it goes
    // through the production driver and TCP, and the simulator writes the picture.
    let dir = tempfile::tempdir().expect("a temporary folder");
    let config = SimConfig { dump_dir: Some(dir.path().to_path_buf()), ..sim_config(PaperWidth::Mm80, PrinterCondition::Normal) };
    let sim = PrinterSim::tcp("127.0.0.1:0", &config).expect("binds");
    let mut printer = tcp_printer(&sim, WAIT);
    let issued_at = NaiveDate::from_ymd_opt(2026, 11, 25).and_then(|d| d.and_hms_opt(9, 30, 5)).expect("a valid date");
    printer.print_ticket(&Ticket::sample(issued_at), &TicketTemplate::default(), &profile(PaperWidth::Mm80)).expect("prints");
    let tickets = sim.tickets();
    let path = tickets[0].picture_path.as_ref().expect("a picture was written");
    let golden = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/golden/ticket-default-80mm.png");
    let expected = std::fs::read(&golden).expect("the golden picture exists (tests/ticket_picture.rs makes it)");
    assert!(std::fs::read(path).expect("readable") == expected, "{} differs from {}", path.display(), golden.display());
}

#[test]
fn without_the_font_the_simulator_keeps_writing_text_dumps() {
    let dir = tempfile::tempdir().expect("a temporary folder");
    let config = SimConfig {
        dump_dir: Some(dir.path().to_path_buf()),
        font_path: Some(dir.path().join("no-such-font.ttc")),
        ..sim_config(PaperWidth::Mm58, PrinterCondition::Normal)
    };
    for sim in [PrinterSim::tcp("127.0.0.1:0", &config).expect("starts without the font"), PrinterSim::pty(&config).expect("starts without the font")] {
        let transport: Box<dyn Transport> = match sim.tcp_address() {
            Some(_) => Box::new(tcp_printer(&sim, WAIT).into_transport()),
            None => Box::new(pty_printer(&sim, WAIT).into_transport()),
        };
        let mut printer = EscposPrinter::new(transport, DriverConfig { answer_timeout: WAIT });
        for _ in 0..2 {
            printer.print_ticket(&ticket(), &TicketTemplate::default(), &profile(PaperWidth::Mm58)).expect("prints");
        }
        let tickets = sim.tickets();
        assert_eq!(tickets.len(), 2);
        for t in &tickets {
            assert!(t.dump_path.as_ref().is_some_and(|p| p.exists()), "the text dump is still written");
            assert_eq!(t.picture_path, None);
        }
    }
    let pngs = std::fs::read_dir(dir.path()).expect("lists").filter_map(Result::ok).filter(|e| e.path().extension().is_some_and(|x| x == "png")).count();
    assert_eq!(pngs, 0);
}
