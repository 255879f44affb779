//! `kiosk sim keypad`, `kiosk doctor keypad` and `kiosk doctor gpio`: a counter keypad simulator
//! that presses the keys typed on its standard input, the keypad self-test (press keys, see their
//! actions), and the GPIO inventory a technician wires buttons and lamps from.

use std::io::{BufRead, Write};
use std::path::PathBuf;
use std::time::{Duration, Instant};

use anyhow::{Context, Result, bail};
use device_drivers::Error as _;
use device_drivers::keypad::{Framing, KeyMap, KeyMapConfig, Keypad, LineEnding, SerialKeypad, SerialKeypadConfig, SimKeypadOptions};

/// Framing on the command line.
#[derive(Debug, Clone, Copy, clap::ValueEnum)]
pub enum FramingArg {
    /// One byte per key.
    Plain,
    /// A key name per line (CR LF).
    Lines,
    /// STX key ETX BCC frames.
    Stx,
}

impl From<FramingArg> for Framing {
    fn from(f: FramingArg) -> Self {
        match f {
            FramingArg::Plain => Framing::Plain,
            FramingArg::Lines => Framing::Lines,
            FramingArg::Stx => Framing::Stx,
        }
    }
}

/// `kiosk sim keypad`: a serial counter keypad on a pseudo-terminal.
#[derive(Debug, Clone, clap::Args)]
pub struct KeypadSimArgs {
    /// Open a pseudo-terminal and act as the keypad on it (its path is printed).
    #[arg(long, required = true)]
    pub pty: bool,
    /// How the keypad frames its keys.
    #[arg(long, value_enum, default_value = "plain")]
    pub framing: FramingArg,
}

/// Runs the keypad simulator: prints `listening on PATH`, then presses the keys of each line read
/// from standard input (`1`, `12`, or `F1 F2` with the lines/stx framings) until end of input.
pub fn sim_keypad(args: &KeypadSimArgs) -> Result<()> {
    use device_drivers::keypad::KeypadSimulator;
    let framing: Framing = args.framing.into();
    let line_ending = if framing == Framing::Plain { LineEnding::None } else { LineEnding::default() };
    let (path, mut sim) =
        KeypadSimulator::spawn_pty(SimKeypadOptions { framing, line_ending, ..SimKeypadOptions::default() }).context("opening a pseudo-terminal")?;
    let mut out = std::io::stdout().lock();
    writeln!(out, "listening on {}", path.display())?;
    out.flush()?;
    for line in std::io::stdin().lock().lines() {
        let line = line?;
        if line.trim().is_empty() {
            continue;
        }
        match sim.press_str(&line) {
            Ok(presses) => writeln!(out, "pressed {}", presses.len())?,
            Err(e) => writeln!(out, "error: {e}")?,
        }
        out.flush()?;
    }
    // Let the last bytes drain before the pty closes.
    std::thread::sleep(Duration::from_millis(300));
    Ok(())
}

/// `kiosk doctor keypad`: shows each key pressed and what it does.
#[derive(Debug, Clone, clap::Args)]
pub struct KeypadDoctorArgs {
    /// The keypad's serial port, e.g. /dev/ttyUSB1 or /dev/hallkit/keypad.
    #[arg(long)]
    pub port: PathBuf,
    /// Serial speed.
    #[arg(long, default_value_t = device_drivers::keypad::DEFAULT_KEYPAD_BAUD)]
    pub baud: u32,
    /// How the keypad frames its keys.
    #[arg(long, value_enum, default_value = "plain")]
    pub framing: FramingArg,
    /// The key map: `counter` (1 call, 2 recall, 3 skip, 4 finish, 5 pause/resume) or `evaluator`
    /// (1–5 rate).
    #[arg(long, default_value = "counter", value_parser = ["counter", "evaluator"])]
    pub keys: String,
    /// Stop after this many presses.
    #[arg(long, default_value_t = 5)]
    pub presses: usize,
    /// Seconds to wait for the presses.
    #[arg(long, default_value_t = 30.0)]
    pub timeout: f64,
}

/// Prints `KEY → ACTION` for each press; fails when no key is pressed in time or the port fails.
pub fn doctor_keypad(args: &KeypadDoctorArgs) -> Result<()> {
    if !(args.timeout > 0.0 && args.timeout < 3600.0) {
        bail!("--timeout must be between 0 and 3600 seconds");
    }
    let preset = if args.keys == "evaluator" { KeyMap::evaluator_default() } else { KeyMap::counter_default() };
    let keymap = KeyMapConfig { framing: args.framing.into(), ..preset.to_config() };
    let config = SerialKeypadConfig { port: args.port.clone(), baud: args.baud, keymap };
    let mut keypad = SerialKeypad::open(&config).map_err(|e| anyhow::anyhow!("{e} ({:?})", e.kind()))?;
    eprintln!("keypad open on {}: press keys (waiting {} s for {} presses)", args.port.display(), args.timeout, args.presses);
    let deadline = Instant::now() + Duration::from_secs_f64(args.timeout);
    let mut seen = 0;
    while seen < args.presses {
        let left = deadline.saturating_duration_since(Instant::now());
        if left.is_zero() {
            break;
        }
        match keypad.next_press(left.min(Duration::from_millis(500))) {
            Ok(Some(press)) => {
                seen += 1;
                println!("{} → {}", press.key, press.action);
            }
            Ok(None) => {}
            Err(e) => bail!("the keypad failed: {e} ({:?})", e.kind()),
        }
    }
    let stats = keypad.stats();
    if seen == 0 {
        bail!(
            "no key press arrived in {} s (bytes that were not keys: {}); check the cable, the speed and --framing",
            args.timeout,
            stats.decoder.garbage_bytes
        );
    }
    Ok(())
}

/// `kiosk doctor gpio`: lists GPIO chips and, with --chip, their lines.
#[derive(Debug, Clone, clap::Args)]
pub struct GpioDoctorArgs {
    /// List this chip's lines (name, consumer, direction).
    #[arg(long)]
    pub chip: Option<PathBuf>,
    /// Print JSON.
    #[arg(long)]
    pub json: bool,
}

/// Prints the GPIO inventory; fails when the machine has no GPIO chip or the chip cannot be read.
pub fn doctor_gpio(args: &GpioDoctorArgs) -> Result<()> {
    use device_drivers::gpio::{chips, lines};
    match &args.chip {
        None => {
            let found = chips();
            if args.json {
                println!("{}", serde_json::to_string(&found)?);
            } else {
                for c in &found {
                    println!("{}  {} ({} lines)", c.path.display(), c.label, c.lines);
                }
            }
            if found.is_empty() {
                bail!("no GPIO chip on this machine (/dev/gpiochip*): buttons and lamps need a board with GPIO, or use a serial keypad");
            }
        }
        Some(chip) => {
            let found = lines(chip).map_err(|e| anyhow::anyhow!("{e} ({:?})", e.kind()))?;
            if args.json {
                println!("{}", serde_json::to_string(&found)?);
            } else {
                for l in &found {
                    println!("{:>4}  {:<20} {}", l.offset, l.name.as_deref().unwrap_or("-"), l.consumer.as_deref().unwrap_or("free"));
                }
            }
        }
    }
    Ok(())
}

/// `kiosk doctor usb`: lists the USB devices, for finding a printer's or reader's VID:PID.
#[derive(Debug, Clone, clap::Args)]
pub struct UsbDoctorArgs {
    /// Print JSON.
    #[arg(long)]
    pub json: bool,
}

/// Prints one line per USB device; fails when the machine has no USB.
pub fn doctor_usb(args: &UsbDoctorArgs) -> Result<()> {
    use device_drivers::transport::usb::{list_devices, new_context};
    let context = new_context().map_err(|e| anyhow::anyhow!("{e}"))?;
    let devices = list_devices(&context).map_err(|e| anyhow::anyhow!("{e}"))?;
    if args.json {
        println!("{}", serde_json::to_string(&devices)?);
    } else {
        for d in &devices {
            println!("{}", d.describe());
        }
    }
    Ok(())
}
