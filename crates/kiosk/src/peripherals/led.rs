//! `kiosk sim led` and `kiosk doctor led`: an LED window panel simulator (Modbus-RTU on a pty or
//! TCP) and the panel self-test.

use std::io::Write;
use std::path::PathBuf;
use std::time::Duration;

use anyhow::{Context, Result, bail};
use device_drivers::Error as _;
use device_drivers::led::sim::{Fault, PanelSim, SimOptions};
use device_drivers::led::{DoctorOptions, Geometry, SlaveAddress};

/// A panel size on the command line, `WIDTHxHEIGHT`.
fn parse_geometry(s: &str) -> Result<Geometry, String> {
    let (w, h) = s.split_once(['x', 'X', '×']).ok_or_else(|| format!("{s:?}: give WIDTHxHEIGHT, e.g. 128x16"))?;
    let w: u16 = w.trim().parse().map_err(|_| format!("{s:?}: the width is not a number"))?;
    let h: u16 = h.trim().parse().map_err(|_| format!("{s:?}: the height is not a number"))?;
    Geometry::new(w, h).map_err(|e| e.to_string())
}

fn parse_slave(s: &str) -> Result<SlaveAddress, String> {
    let n: u8 = s.parse().map_err(|_| format!("{s:?}: a Modbus address is 1 to 247"))?;
    SlaveAddress::try_from(n).map_err(|e| e.to_string())
}

/// `kiosk sim led`: an LED window panel on a pseudo-terminal (or TCP, as behind an RS-485 gateway).
#[derive(Debug, Clone, clap::Args)]
#[command(group(clap::ArgGroup::new("endpoint").required(true).args(["tcp", "pty"])))]
pub struct LedSimArgs {
    /// Open a pseudo-terminal and act as the panel on it (its path is printed).
    #[arg(long)]
    pub pty: bool,
    /// Listen on this TCP address instead (Modbus-RTU frames over TCP, as an RS-485 gateway passes them).
    #[arg(long)]
    pub tcp: Option<String>,
    /// Panel size in dots, WIDTHxHEIGHT: width 64–256 in steps of 8, height 16–32.
    #[arg(long, default_value = "128x16", value_parser = parse_geometry)]
    pub size: Geometry,
    /// The panel's Modbus address (1–247).
    #[arg(long, default_value = "1", value_parser = parse_slave)]
    pub slave: SlaveAddress,
    /// Draw each thing shown as a PNG in this folder (led-0001.png, ...).
    #[arg(long)]
    pub snapshots: Option<PathBuf>,
    /// Faults to inject: no-answer, bad-crc, exception:CODE (e.g. exception:04).
    #[arg(long = "fault")]
    pub faults: Vec<Fault>,
    /// Stop after this many seconds (default: run until Ctrl-C).
    #[arg(long)]
    pub seconds: Option<u64>,
}

/// Runs the panel simulator. Prints `listening on ENDPOINT` first, then a line per show.
pub fn sim_led(args: &LedSimArgs) -> Result<()> {
    let options = SimOptions { geometry: args.size, slave: args.slave, snapshot_dir: args.snapshots.clone() };
    let sim = match &args.tcp {
        Some(addr) => PanelSim::tcp(addr.as_str(), &options).with_context(|| format!("listening on {addr}"))?,
        None => PanelSim::pty(&options).context("opening a pseudo-terminal")?,
    };
    for fault in &args.faults {
        sim.inject(*fault, None);
    }
    let mut out = std::io::stdout().lock();
    match (sim.pty_path(), sim.tcp_address()) {
        (Some(path), _) => writeln!(out, "listening on {}", path.display())?,
        (None, Some(addr)) => writeln!(out, "listening on tcp://{addr}")?,
        (None, None) => bail!("the simulator has no endpoint"),
    }
    out.flush()?;
    let deadline = args.seconds.map(|s| std::time::Instant::now() + Duration::from_secs(s));
    let mut shows = 0u16;
    while deadline.is_none_or(|d| std::time::Instant::now() < d) {
        if let Some(scene) = sim.wait_for_show(shows.saturating_add(1), Duration::from_millis(200)) {
            shows = sim.panel().show_count();
            let lit = scene.content.lit();
            writeln!(out, "show {shows}: {} dots wide, {lit} dots lit, {} blinks", scene.content.width(), scene.effect.blink_times)?;
            out.flush()?;
        }
    }
    sim.stop();
    Ok(())
}

/// `kiosk doctor led`: reads a panel's status and shows a text on it.
#[derive(Debug, Clone, clap::Args)]
pub struct LedDoctorArgs {
    /// The RS-485 adapter the panel is on, e.g. /dev/ttyUSB0 or /dev/hallkit/led.
    #[arg(long)]
    pub port: PathBuf,
    /// The text to show, e.g. "请A012号到3号窗口".
    #[arg(long)]
    pub text: String,
    /// Serial speed (8N1).
    #[arg(long, default_value_t = device_drivers::led::driver::DEFAULT_BAUD)]
    pub baud: u32,
    /// The panel's Modbus address (1–247).
    #[arg(long, default_value = "1", value_parser = parse_slave)]
    pub slave: SlaveAddress,
    /// Seconds the panel may take to answer.
    #[arg(long, default_value_t = 0.5)]
    pub timeout: f64,
    /// Print the report as one JSON object.
    #[arg(long)]
    pub json: bool,
}

/// Runs the panel self-test; exits non-zero with the reason when the panel has a problem.
pub fn doctor_led(args: &LedDoctorArgs) -> Result<()> {
    if !(args.timeout > 0.0 && args.timeout < 60.0) {
        bail!("--timeout must be between 0 and 60 seconds");
    }
    let options = DoctorOptions {
        port: args.port.clone(),
        baud: args.baud,
        slave: args.slave,
        text: args.text.clone(),
        response_timeout: Duration::from_secs_f64(args.timeout),
    };
    let report = device_drivers::led::doctor(&options).map_err(|e| anyhow::anyhow!("{e} ({:?})", e.kind()))?;
    if args.json {
        println!("{}", serde_json::to_string(&report)?);
    } else {
        println!("{}", report.describe());
    }
    if !report.healthy() {
        bail!("the panel needs attention: {}", report.problems.join("; "));
    }
    Ok(())
}
