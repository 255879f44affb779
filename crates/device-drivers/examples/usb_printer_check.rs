//! Prints a test ticket to a USB printer through [`UsbTransport`] and checks what the printer
//! says back. Run by `scripts/usb-vm-test` inside a VM whose "printer" is Linux's USB printer
//! gadget (dummy_hcd + configfs), where a reader on the gadget side captures the bytes; it also
//! works on a real printer (it prints one ticket).
//!
//! ```text
//! usb_printer_check VID:PID [--expect-device-id TEXT] [--sent FILE] [--ack TEXT] [--replug UDC_FILE=UDC_NAME]
//! ```
//!
//! Steps, each printed as `step: ok ...` or `step: FAIL ...`:
//! 1. start libusb (explicit context) and list the devices;
//! 2. open the printer by VID:PID (printer class interface, kernel driver detached if attached);
//! 3. `GET_DEVICE_ID` (compared with `--expect-device-id`), `GET_PORT_STATUS` (must be ready);
//! 4. a read with nothing sent back must be "nothing yet" (a timeout), not an error;
//! 5. render the sample ticket with `device_drivers::escpos`, save the bytes to `--sent`, write
//!    them;
//! 6. wait for `--ack` on the bulk IN endpoint (the gadget side sends it once the bytes it
//!    captured match `--sent`);
//! 7. with `--replug`, unplug the gadget (write "" to the UDC file), check that a read and a
//!    write fail as disconnected and that a reopen fails while it is away, plug it back, reopen by
//!    re-enumerating, and write the ticket again (saved to `--sent` again); the ack is awaited
//!    once more.
//!
//! Exit status 0 when every step passed.

use std::process::ExitCode;
use std::time::{Duration, Instant};

use chrono::NaiveDate;
use device_drivers::Error as _;
use device_drivers::escpos::{PrinterProfile, Ticket, TicketTemplate};
use device_drivers::transport::usb::{self, UsbConfig, UsbTransport};
use device_drivers::transport::{Transport, TransportError};

struct Args {
    id: usb::VidPid,
    expect_device_id: Option<String>,
    sent: Option<String>,
    ack: Option<String>,
    replug: Option<(String, String)>,
}

fn parse_args() -> Result<Args, String> {
    let mut args = std::env::args().skip(1);
    let id = args.next().ok_or("usage: usb_printer_check VID:PID [--expect-device-id TEXT] [--sent FILE] [--ack TEXT] [--replug UDC_FILE=UDC_NAME]")?;
    let id = usb::parse_vid_pid(&id).map_err(|e| e.to_string())?;
    let mut parsed = Args { id, expect_device_id: None, sent: None, ack: None, replug: None };
    while let Some(flag) = args.next() {
        let value = args.next().ok_or(format!("{flag} needs a value"))?;
        match flag.as_str() {
            "--expect-device-id" => parsed.expect_device_id = Some(value),
            "--sent" => parsed.sent = Some(value),
            "--ack" => parsed.ack = Some(value),
            "--replug" => {
                let (file, name) = value.split_once('=').ok_or("--replug wants UDC_FILE=UDC_NAME")?;
                parsed.replug = Some((file.to_string(), name.to_string()));
            }
            other => return Err(format!("unknown option {other}")),
        }
    }
    Ok(parsed)
}

/// Reads until `ack` has arrived (or 15 s passed).
fn wait_for_ack(transport: &mut UsbTransport, ack: &str) -> Result<(), String> {
    let deadline = Instant::now() + Duration::from_secs(15);
    let mut got = Vec::new();
    let mut buf = [0u8; 64];
    while Instant::now() < deadline {
        match transport.read(&mut buf, Duration::from_millis(500)) {
            Ok(n) => {
                got.extend_from_slice(&buf[..n]);
                if got.windows(ack.len()).any(|w| w == ack.as_bytes()) {
                    return Ok(());
                }
            }
            Err(TransportError::Timeout { .. }) => {}
            Err(e) => return Err(format!("reading the ack failed: {e}")),
        }
    }
    Err(format!("no ack {ack:?} within 15 s; received {:?}", String::from_utf8_lossy(&got)))
}

fn run(args: &Args) -> Result<(), String> {
    let context = usb::new_context().map_err(|e| format!("context: FAIL {e}"))?;
    println!("context: ok");
    let devices = usb::list_devices(&context).map_err(|e| format!("list: FAIL {e}"))?;
    for d in &devices {
        println!("list: {}", d.describe());
    }

    let config = UsbConfig::printer(args.id);
    let mut transport = UsbTransport::open(&context, config).map_err(|e| format!("open: FAIL {e}"))?;
    let endpoints = transport.endpoints().ok_or("open: FAIL no endpoints")?;
    println!(
        "open: ok {} interface {} out 0x{:02x} in {:?} ({:?}); kernel driver detached: {}",
        transport.device().map(usb::UsbDeviceInfo::describe).unwrap_or_default(),
        endpoints.interface,
        endpoints.out_endpoint,
        endpoints.in_endpoint.map(|e| format!("0x{e:02x}")),
        endpoints.reason,
        transport.detached_kernel_driver()
    );

    let id = transport.device_id().map_err(|e| format!("device-id: FAIL {e}"))?;
    // Compared field by field: a trailing separator is not part of any field (and Linux's gadget
    // printer in 6.1 sends the ID two bytes short, see docs/usb.md).
    match &args.expect_device_id {
        Some(expected) if id.fields != usb::DeviceId::parse(expected).fields => {
            return Err(format!("device-id: FAIL got {:?}, expected {expected:?}", id.raw));
        }
        _ => println!("device-id: ok {:?} (manufacturer {:?}, model {:?}, commands {:?})", id.raw, id.manufacturer(), id.model(), id.command_set()),
    }
    let status = transport.port_status().map_err(|e| format!("port-status: FAIL {e}"))?;
    if !status.ready() {
        return Err(format!("port-status: FAIL {}", status.describe()));
    }
    println!("port-status: ok {}", status.describe());

    let mut buf = [0u8; 16];
    match transport.read(&mut buf, Duration::from_millis(200)) {
        Err(TransportError::Timeout { .. }) => println!("quiet-read: ok nothing yet (timeout)"),
        Ok(n) => return Err(format!("quiet-read: FAIL unexpected {n} bytes")),
        Err(e) => return Err(format!("quiet-read: FAIL {e} (kind {:?})", e.kind())),
    }

    let issued = NaiveDate::from_ymd_opt(2026, 11, 25).and_then(|d| d.and_hms_opt(9, 30, 0)).ok_or("a fixed date")?;
    let rendered = TicketTemplate::default().render(&Ticket::sample(issued), &PrinterProfile::default()).map_err(|e| format!("render: FAIL {e}"))?;
    if let Some(path) = &args.sent {
        std::fs::write(path, &rendered.bytes).map_err(|e| format!("render: FAIL cannot save {path}: {e}"))?;
    }
    println!("render: ok {} bytes", rendered.bytes.len());
    transport.write_all(&rendered.bytes).map_err(|e| format!("write: FAIL {e}"))?;
    println!("write: ok {} bytes", rendered.bytes.len());
    if let Some(ack) = &args.ack {
        wait_for_ack(&mut transport, ack).map_err(|e| format!("ack: FAIL {e}"))?;
        println!("ack: ok the gadget side received the bytes intact");
    }

    if let Some((udc_file, udc_name)) = &args.replug {
        std::fs::write(udc_file, "\n").map_err(|e| format!("unplug: FAIL cannot write {udc_file}: {e}"))?;
        // The host notices the unplug asynchronously: poll with reads (which send no bytes that
        // could reach the printer) until a read says so, then check that a write says so too.
        let deadline = Instant::now() + Duration::from_secs(5);
        let mut buf = [0u8; 16];
        let err = loop {
            match transport.read(&mut buf, Duration::from_millis(100)) {
                Err(TransportError::Timeout { .. }) if Instant::now() < deadline => {}
                Err(e) => break e,
                Ok(n) => return Err(format!("unplug: FAIL read {n} bytes from an unplugged printer")),
            }
        };
        println!("unplug: ok read failed: {err} (kind {:?})", err.kind());
        if !matches!(err, TransportError::Disconnected { .. }) {
            return Err(format!("unplug: FAIL expected Disconnected, got {err:?}"));
        }
        let err = match transport.write_all(b"\x1b@") {
            Ok(()) => return Err("unplug: FAIL a write to the unplugged printer succeeded".into()),
            Err(e) => e,
        };
        if !matches!(err, TransportError::Disconnected { .. }) {
            return Err(format!("unplug: FAIL a write after the unplug gave {err:?}, expected Disconnected"));
        }
        println!("unplug: ok write failed too: {err}");
        match transport.reopen() {
            Err(e) => println!("reopen-absent: ok {e}"),
            Ok(()) => return Err("reopen-absent: FAIL reopened a device that is unplugged".into()),
        }
        std::fs::write(udc_file, udc_name).map_err(|e| format!("replug: FAIL cannot write {udc_file}: {e}"))?;
        let deadline = Instant::now() + Duration::from_secs(10);
        loop {
            match transport.reopen() {
                Ok(()) => break,
                Err(e) if Instant::now() > deadline => return Err(format!("reopen: FAIL {e}")),
                Err(_) => std::thread::sleep(Duration::from_millis(100)),
            }
        }
        println!("reopen: ok {}", transport.device().map(usb::UsbDeviceInfo::describe).unwrap_or_default());
        if let Some(path) = &args.sent {
            std::fs::write(path, &rendered.bytes).map_err(|e| format!("write-again: FAIL cannot save {path}: {e}"))?;
        }
        transport.write_all(&rendered.bytes).map_err(|e| format!("write-again: FAIL {e}"))?;
        println!("write-again: ok {} bytes", rendered.bytes.len());
        if let Some(ack) = &args.ack {
            wait_for_ack(&mut transport, ack).map_err(|e| format!("ack-again: FAIL {e}"))?;
            println!("ack-again: ok");
        }
    }
    drop(transport);
    println!("close: ok");
    Ok(())
}

fn main() -> ExitCode {
    let args = match parse_args() {
        Ok(a) => a,
        Err(e) => {
            eprintln!("{e}");
            return ExitCode::from(2);
        }
    };
    match run(&args) {
        Ok(()) => {
            println!("usb_printer_check: all steps passed");
            ExitCode::SUCCESS
        }
        Err(e) => {
            println!("{e}");
            ExitCode::FAILURE
        }
    }
}
