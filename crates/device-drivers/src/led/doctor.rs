//! The technician's check, `kiosk doctor led --port PATH --text TEXT`: open the port, read the
//! panel's identity and status, show the text, and report in words.

use std::path::PathBuf;
use std::time::Duration;

use serde::{Deserialize, Serialize};

use super::driver::{DEFAULT_BAUD, DriverConfig, LedError, ModbusPanel};
use super::effect::Effect;
use super::modbus::SlaveAddress;
use super::registers::PanelStatus;
use super::{Shown, WindowPanel};
use crate::transport::SerialTransport;

/// What `kiosk doctor led` takes.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct DoctorOptions {
    /// The RS-485 adapter, e.g. `/dev/ttyUSB0`.
    pub port: PathBuf,
    /// Baud rate (8N1).
    pub baud: u32,
    /// The panel's address.
    pub slave: SlaveAddress,
    /// The text to show, e.g. "请A012号到3号窗口".
    pub text: String,
    /// How long the panel may take to answer.
    pub response_timeout: Duration,
}

impl DoctorOptions {
    /// Slave 1 at 9600 baud on `port`, showing `text`, 500 ms to answer.
    pub fn new(port: impl Into<PathBuf>, text: impl Into<String>) -> DoctorOptions {
        DoctorOptions { port: port.into(), baud: DEFAULT_BAUD, slave: SlaveAddress::DEFAULT, text: text.into(), response_timeout: Duration::from_millis(500) }
    }
}

/// What the check found.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct DoctorReport {
    /// The port checked.
    pub port: PathBuf,
    /// The panel's address.
    pub slave: SlaveAddress,
    /// Its identity and status, read before showing the text.
    pub status: PanelStatus,
    /// The text shown.
    pub text: String,
    /// How it was shown.
    pub shown: Shown,
    /// Things a technician should fix (empty: all well).
    pub problems: Vec<String>,
}

impl DoctorReport {
    /// Whether nothing needs fixing.
    pub fn healthy(&self) -> bool {
        self.problems.is_empty()
    }

    /// The report in words, one finding a line.
    pub fn describe(&self) -> String {
        let mut lines = vec![
            format!("LED panel at {} (slave {}): {}", self.port.display(), self.slave, self.status.describe()),
            format!(
                "showed \"{}\" ({:?}, {} dots wide{})",
                self.text,
                self.shown.layout,
                self.shown.content_width,
                if self.shown.scrolls { ", scrolling" } else { "" }
            ),
        ];
        lines.extend(self.problems.iter().map(|p| format!("problem: {p}")));
        if self.healthy() {
            lines.push("all well".into());
        }
        lines.join("\n")
    }
}

/// Opens `options.port`, reads the panel's status, shows the text as a new call, and reports.
///
/// # Errors
/// [`LedError::Transport`] when the port cannot be opened; [`LedError::NoAnswer`] when the panel
/// is silent; [`LedError::Exception`] when it refuses; [`LedError::Identity`] when the slave is
/// not a panel of this register map.
pub fn doctor(options: &DoctorOptions) -> Result<DoctorReport, LedError> {
    let transport = SerialTransport::open(&options.port, options.baud, Duration::from_secs(2))?;
    let config = DriverConfig { slave: options.slave, baud: options.baud, response_timeout: options.response_timeout, ..DriverConfig::default() };
    let mut panel = ModbusPanel::connect(transport, config)?;
    let status = panel.status()?;
    let shown = panel.show(&options.text, Effect::CALL)?;
    let mut problems = Vec::new();
    if status.led_fault {
        problems.push("the panel reports failed LEDs or a module not answering; have it serviced".to_owned());
    }
    if !shown.missing.is_empty() {
        let chars: String = shown.missing.iter().map(|m| m.ch).collect();
        problems.push(format!("the panel font lacks {chars:?}; they show as boxes: change the text or template"));
    }
    if shown.truncated {
        problems.push("the text is too long for the panel and was cut".to_owned());
    }
    Ok(DoctorReport { port: options.port.clone(), slave: options.slave, status, text: options.text.clone(), shown, problems })
}
