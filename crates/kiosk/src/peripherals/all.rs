//! `kiosk doctor --config FILE` (no device named): a self-test of every peripheral the device's
//! config names, one row each, for a technician standing at the device.
//!
//! Each check only asks — status, SAM state, panel registers, a rendering of a short text — and
//! never prints a ticket, reads a card or changes what a panel shows, so it can run while the hall
//! is open.

use std::path::{Path, PathBuf};
use std::time::Duration;

use anyhow::{Context, Result};
use device_drivers::Error as _;
use device_drivers::escpos::{DriverConfig, EscposPrinter, TicketPrinter};
use device_drivers::idcard::photo::PhotoDecoder;
use device_drivers::idcard::{CardReader, ReaderSession};
use serde::Serialize;

use crate::config::Config;
use crate::printing::PrinterLink;

/// Where the device's config is when none is given (the packaged location).
pub const DEFAULT_CONFIG: &str = "/etc/hallkit/device.toml";

/// How a peripheral is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Health {
    /// Works.
    Ok,
    /// Works, but needs a person soon (paper low, falls back to another engine).
    Warning,
    /// Does not work.
    Failing,
}

/// One row of the table.
#[derive(Debug, Clone, Serialize)]
pub struct Finding {
    /// `printer`, `idcard`, `led`, `voice`, `keypad`, `buttons`.
    pub device: &'static str,
    /// Where it is (port, address, VID:PID).
    pub at: String,
    /// Its health.
    pub health: Health,
    /// What was found, in words.
    pub detail: String,
}

/// Checks every peripheral in `config`.
pub fn check_all(config: &Config) -> Vec<Finding> {
    let mut found = Vec::new();
    if let Some(p) = &config.printer {
        let at = p.tcp.clone().or_else(|| p.port.as_ref().map(|x| x.display().to_string())).or_else(|| p.usb.clone()).unwrap_or_default();
        let timeout = Duration::from_millis(p.timeout_ms);
        let (health, detail) = match PrinterLink::of(p).map_err(|e| e.to_string()).and_then(|link| link.open(timeout).map_err(|e| e.to_string())) {
            Err(e) => (Health::Failing, e),
            Ok(transport) => match EscposPrinter::new(transport, DriverConfig { answer_timeout: timeout }).status() {
                Ok(s) if !s.verdict.can_print => (Health::Failing, s.describe()),
                Ok(s) if !s.verdict.problems.is_empty() => (Health::Warning, s.describe()),
                Ok(s) => (Health::Ok, s.describe()),
                Err(e) => (Health::Failing, format!("{e} ({:?})", e.kind())),
            },
        };
        found.push(Finding { device: "printer", at, health, detail });
    }
    if let Some(r) = &config.idcard {
        let at = r.port.as_ref().map(|x| x.display().to_string()).or_else(|| r.usb.clone()).unwrap_or_default();
        let (health, detail) = check_reader(r);
        found.push(Finding { device: "idcard", at, health, detail });
    }
    if let Some(l) = &config.led {
        let (health, detail) = check_panel(l);
        found.push(Finding { device: "led", at: format!("{} (slave {})", l.port.display(), l.slave), health, detail });
    }
    if let Some(v) = &config.voice {
        let out = config.speaker.clone().unwrap_or_default();
        let (health, detail) = check_voice(v, &out);
        found.push(Finding { device: "voice", at: out.output.clone(), health, detail });
    }
    if let Some(k) = &config.keypad {
        let (health, detail) = match device_drivers::keypad::SerialKeypad::open(k) {
            Ok(_) => (Health::Ok, "port open; press a key with `kiosk doctor keypad` to see its action".to_owned()),
            Err(e) => (Health::Failing, format!("{e} ({:?})", e.kind())),
        };
        found.push(Finding { device: "keypad", at: k.port.display().to_string(), health, detail });
    }
    if let Some(b) = &config.buttons {
        let (health, detail) = match device_drivers::keypad::GpioKeypad::open(b) {
            Ok(_) => (Health::Ok, format!("{} buttons and {} lamps requested", b.panel.buttons.len(), b.panel.lamps.len())),
            Err(e) => (Health::Failing, format!("{e} ({:?})", e.kind())),
        };
        found.push(Finding { device: "buttons", at: "GPIO".to_owned(), health, detail });
    }
    found
}

fn check_reader(r: &crate::config::IdcardSection) -> (Health, String) {
    let transport = r.link().and_then(|link| link.open()).map_err(|e| format!("{e:#}"));
    let mut session = match transport {
        Ok(t) => ReaderSession::with_config(t, r.session_config()),
        Err(e) => return (Health::Failing, e),
    };
    if let Err(e) = session.reset().and_then(|()| session.sam_status()) {
        return (Health::Failing, format!("{e} ({:?})", e.kind()));
    }
    match PhotoDecoder::open(&r.photo_source()) {
        Ok(_) if r.photo == "none" => (Health::Ok, "reader and SAM ready; photos not decoded (face checks fall back to a staffed window)".to_owned()),
        Ok(_) => (Health::Ok, format!("reader and SAM ready; photos decoded by the {}", if r.photo == "reader" { "reader" } else { "vendor library" })),
        Err(e) => (Health::Failing, format!("reader and SAM ready, but the photo decoder: {e}")),
    }
}

fn check_panel(l: &crate::window_devices::LedSection) -> (Health, String) {
    let panel = l.connect();
    match panel.and_then(|mut p| p.status().map_err(|e| e.to_string())) {
        Ok(status) if status.led_fault => (Health::Failing, status.describe()),
        Ok(status) => (Health::Ok, status.describe()),
        Err(e) => (Health::Failing, e),
    }
}

fn check_voice(v: &device_drivers::voice::VoiceConfig, out: &crate::announce::SpeakerSection) -> (Health, String) {
    let speaker = match device_drivers::voice::Speaker::new(v) {
        Ok(s) => s,
        Err(e) => return (Health::Failing, e.to_string()),
    };
    let rendered = match speaker.render_text("自检") {
        Ok(r) => r,
        Err(e) => return (Health::Failing, format!("cannot speak: {e}")),
    };
    let fallback = rendered.segments.iter().find_map(|s| s.fallback.clone());
    let output = match (out.output.as_str(), &out.wav_dir) {
        ("wav", Some(dir)) => check_dir(dir),
        _ if cfg!(feature = "audio-alsa") => Ok("sound card".to_owned()),
        _ => Err("output = \"sound-card\" needs a kiosk built with feature audio-alsa".to_owned()),
    };
    match (output, fallback) {
        (Err(e), _) => (Health::Failing, e),
        (Ok(to), Some(why)) => (Health::Warning, format!("speaks with espeak-ng instead of the voice pack ({why}); to {to}")),
        (Ok(to), None) => (Health::Ok, format!("speaks ({:?}); to {to}", rendered.segments.first().map(|s| s.engine))),
    }
}

fn check_dir(dir: &Path) -> Result<String, String> {
    std::fs::create_dir_all(dir).map_err(|e| format!("cannot use {}: {e}", dir.display()))?;
    Ok(format!("WAV files in {}", dir.display()))
}

/// Runs the checks for the config at `path` (default [`DEFAULT_CONFIG`]) and prints the table or
/// JSON. Returns whether everything works (warnings included).
pub fn doctor_all(path: Option<&PathBuf>, json: bool) -> Result<bool> {
    let path = path.cloned().unwrap_or_else(|| PathBuf::from(DEFAULT_CONFIG));
    let config = Config::load(&path).with_context(|| format!("give the device's config with --config (looked at {})", path.display()))?;
    let found = check_all(&config);
    if json {
        println!("{}", serde_json::to_string(&found)?);
    } else if found.is_empty() {
        println!("{} configures no peripherals", path.display());
    } else {
        println!("{:<8} {:<8} {:<28} detail", "device", "health", "at");
        for f in &found {
            let health = match f.health {
                Health::Ok => "ok",
                Health::Warning => "WARNING",
                Health::Failing => "FAILING",
            };
            println!("{:<8} {:<8} {:<28} {}", f.device, health, f.at, f.detail);
        }
    }
    Ok(found.iter().all(|f| f.health != Health::Failing))
}
