//! Benchmark: **a queue ticket from fields to paper**. Rendering the default ticket to ESC/POS
//! bytes; "printing" it through the production driver (`EscposPrinter`, status before and after)
//! to the printer simulator on a pty at 115200 baud and over TCP; and drawing the ticket picture
//! the simulator writes (parse → replay → picture → PNG). Prints figures; asserts nothing about
//! time.
//!
//!     cargo bench -p device-drivers --bench ticket_print [-- PRINTS]
//!
//! A pty moves bytes at memory speed whatever baud rate is set, so the measured time of a print
//! is the software's own cost; a real serial printer adds the wire time of the bytes, computed
//! here for 115200 baud 8N1 (10 bits a byte). The picture needs Debian's fonts-wqy-microhei; its
//! part is skipped with a note when the font is missing.

use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use chrono::NaiveDate;
use device_drivers::escpos::sim::{PrinterSim, SimConfig};
use device_drivers::escpos::{
    DriverConfig, EscposPrinter, PaperWidth, PictureOptions, PrinterProfile, Ticket, TicketFont, TicketPicture, TicketPrinter, TicketTemplate, replay_bytes,
};
use device_drivers::transport::{SerialTransport, TcpTransport, Transport, TransportError};

const BAUD: f64 = 115_200.0;

/// Records when the last large write (the ticket, not a 3-byte status request) finished, and
/// counts the bytes both ways.
struct Timed<T> {
    inner: T,
    last_ticket_byte: Arc<Mutex<Option<Instant>>>,
    written: usize,
    read: usize,
}

impl<T: Transport> Transport for Timed<T> {
    fn write_all(&mut self, bytes: &[u8]) -> Result<(), TransportError> {
        self.inner.write_all(bytes)?;
        self.written += bytes.len();
        if bytes.len() > 3 {
            *self.last_ticket_byte.lock().unwrap_or_else(|e| e.into_inner()) = Some(Instant::now());
        }
        Ok(())
    }
    fn read(&mut self, buf: &mut [u8], timeout: Duration) -> Result<usize, TransportError> {
        let n = self.inner.read(buf, timeout)?;
        self.read += n;
        Ok(n)
    }
    fn discard_input(&mut self) -> Result<(), TransportError> {
        self.inner.discard_input()
    }
}

fn percentile(sorted: &[f64], p: f64) -> f64 {
    sorted[((p * sorted.len() as f64).ceil() as usize).clamp(1, sorted.len()) - 1]
}

fn summary(mut times: Vec<f64>) -> String {
    times.sort_by(f64::total_cmp);
    format!(
        "p50 {:.3} ms, p90 {:.3} ms, p99 {:.3} ms, max {:.3} ms",
        percentile(&times, 0.5),
        percentile(&times, 0.9),
        percentile(&times, 0.99),
        times[times.len() - 1]
    )
}

fn ticket() -> Ticket {
    let issued_at = NaiveDate::from_ymd_opt(2026, 11, 25).and_then(|d| d.and_hms_opt(9, 30, 5)).expect("a valid date");
    Ticket::sample(issued_at)
}

/// Prints `prints` tickets through the driver on `transport`; reports time to the last ticket
/// byte written, the whole print (status rounds included), and the bytes on the wire.
/// `serial`: whether a real link would be a 115200-baud serial line (then its wire time is shown).
fn print_many<T: Transport>(name: &str, serial: bool, transport: T, sim: &PrinterSim, prints: usize, paper: PaperWidth) {
    let stamp = Arc::new(Mutex::new(None));
    let timed = Timed { inner: transport, last_ticket_byte: stamp.clone(), written: 0, read: 0 };
    let mut printer = EscposPrinter::new(timed, DriverConfig::default());
    let template = TicketTemplate::default();
    let profile = PrinterProfile { paper, ..PrinterProfile::default() };
    let ticket = ticket();
    printer.print_ticket(&ticket, &template, &profile).expect("warm-up print");
    let warmup = printer.into_transport();
    let (written_before, read_before) = (warmup.written, warmup.read);
    let mut printer = EscposPrinter::new(warmup, DriverConfig::default());
    let mut to_last_byte = Vec::with_capacity(prints);
    let mut whole = Vec::with_capacity(prints);
    let t_all = Instant::now();
    for _ in 0..prints {
        let t0 = Instant::now();
        printer.print_ticket(&ticket, &template, &profile).expect("prints");
        let end = Instant::now();
        let last = stamp.lock().unwrap_or_else(|e| e.into_inner()).take().expect("the ticket was written");
        to_last_byte.push((last - t0).as_secs_f64() * 1000.0);
        whole.push((end - t0).as_secs_f64() * 1000.0);
    }
    let secs = t_all.elapsed().as_secs_f64();
    let transport = printer.into_transport();
    let sent = (transport.written - written_before) as f64 / prints as f64;
    let answered = (transport.read - read_before) as f64 / prints as f64;
    let ticket_bytes = template.render(&ticket, &profile).expect("renders").bytes.len();
    assert_eq!(sim.tickets().len(), prints + 1, "every ticket reached the simulator");
    println!("print via EscposPrinter -> simulator on {name}, {paper:?}, {prints} prints ({:.0} tickets/s):", prints as f64 / secs);
    println!("  bytes per print: {ticket_bytes} ticket + {:.0} of status requests sent, {answered:.0} answers", sent - ticket_bytes as f64);
    if serial {
        println!(
            "  wire time on a real 115200 8N1 line (not included below): ticket {:.1} ms, whole exchange {:.1} ms",
            ticket_bytes as f64 * 10.0 / BAUD * 1000.0,
            (sent + answered) * 10.0 / BAUD * 1000.0
        );
    }
    println!("  to the last ticket byte written: {}", summary(to_last_byte));
    println!("  whole print (status before and after): {}", summary(whole));
}

fn main() {
    let prints: usize = std::env::args().skip(1).find(|a| !a.starts_with('-')).and_then(|a| a.parse().ok()).unwrap_or(300);
    let template = TicketTemplate::default();
    let ticket = ticket();

    // 1. Fields -> ESC/POS bytes.
    for paper in [PaperWidth::Mm58, PaperWidth::Mm80] {
        let profile = PrinterProfile { paper, ..PrinterProfile::default() };
        let n = 20_000;
        let t0 = Instant::now();
        let mut bytes = 0;
        for _ in 0..n {
            bytes = std::hint::black_box(template.render(std::hint::black_box(&ticket), &profile).expect("renders")).bytes.len();
        }
        let per = t0.elapsed().as_secs_f64() / n as f64;
        println!("render default ticket to ESC/POS ({paper:?}, {bytes} bytes): {:.2} µs per ticket = {:.0} tickets/s ({n} tickets)", per * 1e6, 1.0 / per);
    }

    // 2. Through the production driver to the simulator: pty at 115200 baud, and TCP.
    let paper = PaperWidth::Mm80;
    let config = SimConfig { paper, ..SimConfig::default() };
    let pty = PrinterSim::pty(&config).expect("simulator on a pty");
    let serial = SerialTransport::open(pty.pty_path().expect("a pty"), 115_200, Duration::from_secs(2)).expect("opens the pty");
    print_many("a pty at 115200 baud", true, serial, &pty, prints, paper);
    let tcp = PrinterSim::tcp("127.0.0.1:0", &config).expect("simulator on TCP");
    let address = tcp.tcp_address().expect("TCP").to_string();
    let stream = TcpTransport::connect(address, Duration::from_secs(2), Duration::from_secs(2)).expect("connects");
    print_many("TCP (127.0.0.1)", false, stream, &tcp, prints, paper);

    // 3. The simulator's picture: bytes -> parser -> replay -> picture -> PNG.
    let t0 = Instant::now();
    let font = match TicketFont::open_default() {
        Ok(font) => font,
        Err(e) => {
            println!("ticket picture: skipped ({e})");
            return;
        }
    };
    println!("ticket picture: font loaded in {:.0} ms (once per simulator)", t0.elapsed().as_secs_f64() * 1000.0);
    for paper in [PaperWidth::Mm58, PaperWidth::Mm80] {
        let profile = PrinterProfile { paper, ..PrinterProfile::default() };
        let bytes = template.render(&ticket, &profile).expect("renders").bytes;
        let options = PictureOptions::new(paper);
        let n = 200;
        let (mut draw, mut encode, mut png_len) = (Duration::ZERO, Duration::ZERO, 0);
        let t_all = Instant::now();
        for _ in 0..n {
            let t0 = Instant::now();
            let layout = replay_bytes(&bytes, paper);
            let picture = TicketPicture::draw(&layout, &options, &font);
            let t1 = Instant::now();
            png_len = std::hint::black_box(picture.to_png().expect("encodes")).len();
            draw += t1 - t0;
            encode += t1.elapsed();
        }
        let per = t_all.elapsed().as_secs_f64() / n as f64;
        println!(
            "ticket picture ({paper:?}, {png_len}-byte PNG): {:.2} ms per ticket = {:.0} tickets/s (parse+replay+draw {:.2} ms, PNG {:.2} ms; {n} tickets)",
            per * 1000.0,
            1.0 / per,
            draw.as_secs_f64() * 1000.0 / n as f64,
            encode.as_secs_f64() * 1000.0 / n as f64
        );
    }
}
