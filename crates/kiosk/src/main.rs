//! `kiosk`: the hallkit device runtime. Run `kiosk --help`.

use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use anyhow::{Context, Result};
use clap::{Parser, Subcommand};
use hall_protocol::{ChangeBody, CounterAction, DeviceRole, Priority, ServiceCode};
use kiosk::agent::{Progress, SyncAgent};
use kiosk::client::CentralClient;
use kiosk::clock::{SharedClock, system_clock};
use kiosk::config::Config;
use kiosk::{counter, demo, desk, peripherals, printing};
use offline_store::Store;

/// Exit code when central could not be reached and the work stayed queued.
const EXIT_OFFLINE: u8 = 3;

#[derive(Parser)]
#[command(
    name = "kiosk",
    version,
    about = "hallkit device runtime for government service halls: kiosk, board and counter roles",
    long_about = "hallkit device runtime for government service halls (政务服务大厅).\n\n\
One binary, three roles, named in the device's config file: `kiosk` (self-service terminal that \
issues tickets), `board` (hall display that shows and announces calls) and `counter` (window \
terminal that calls tickets). Every device keeps a local SQLite store and keeps working when central \
is unreachable; its sync agent catches up when the link returns.\n\n\
Start here: `kiosk demo` runs a whole simulated hall on this machine, no hardware needed.",
    after_help = "Examples:\n  kiosk demo --seed 7\n  kiosk ticket --config examples/kiosk.toml --service household\n  kiosk counter --config examples/counter.toml call\n  kiosk status --config examples/kiosk.toml --json\n  kiosk sim printer --tcp 127.0.0.1:9100 &  kiosk doctor printer --tcp 127.0.0.1:9100 --test-ticket\n\nConfig format: docs/config.md. Logs go to stderr; set RUST_LOG=debug for more."
)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Run the device: sync agent, and for boards the live call display.
    Run {
        /// Device config file (TOML).
        #[arg(long, short)]
        config: PathBuf,
    },
    /// Run a whole simulated hall in one process: central, kiosks, counters, a board, citizens.
    Demo(demo::DemoArgs),
    /// Issue a ticket, as the touchscreen does; prints one JSON object per ticket on stdout.
    ///
    /// Exits 0 once the ticket is durable in the local store, whether or not central is reachable.
    Ticket {
        /// Device config file (TOML).
        #[arg(long, short)]
        config: PathBuf,
        /// Service code, e.g. `household` (see `kiosk status` for the list).
        #[arg(long)]
        service: ServiceCode,
        /// Priority class: normal, elderly, disabled or appointment.
        #[arg(long, default_value = "normal")]
        priority: Priority,
        /// Issue this many tickets, one JSON line each (for load and crash tests).
        #[arg(long, default_value_t = 1)]
        count: u64,
        /// Do not try to push the ticket to central afterwards.
        #[arg(long)]
        no_push: bool,
    },
    /// Check in an appointment (预约签到): issues an appointment-priority ticket.
    Checkin {
        /// Device config file (TOML).
        #[arg(long, short)]
        config: PathBuf,
        /// Booking code.
        #[arg(long)]
        appointment: String,
        /// Service booked.
        #[arg(long)]
        service: ServiceCode,
    },
    /// Print again the tickets that were committed but not printed (after a crash or a printer
    /// fault), with their original numbers.
    Reprint {
        /// Device config file (TOML).
        #[arg(long, short)]
        config: PathBuf,
        /// Only tickets issued within this many minutes (older citizens have gone).
        #[arg(long, default_value_t = 10)]
        max_age_min: i64,
    },
    /// Push the outbox and pull the change feed once, with progress; exit 0 when the outbox is empty.
    Sync {
        /// Device config file (TOML).
        #[arg(long, short)]
        config: PathBuf,
    },
    /// Show outbox depth, last acknowledged event, leases left per queue and whether central answers.
    Status {
        /// Device config file (TOML).
        #[arg(long, short)]
        config: PathBuf,
        /// Print one JSON object instead of text.
        #[arg(long)]
        json: bool,
    },
    /// Run a peripheral simulator that speaks the device's real bytes (for tests and training).
    Sim {
        #[command(subcommand)]
        device: SimCmd,
    },
    /// Check a peripheral through the production driver and say in words what is wrong. With no
    /// device named, check every peripheral the device's config names and print a table (exit 1
    /// if one is failing).
    #[command(args_conflicts_with_subcommands = true)]
    Doctor {
        #[command(subcommand)]
        device: Option<DoctorCmd>,
        /// The device's config (default /etc/hallkit/device.toml), for the check of all peripherals.
        #[arg(long)]
        config: Option<PathBuf>,
        /// Print the table as JSON.
        #[arg(long)]
        json: bool,
    },
    /// Face verification (人证核验) from the command line: compare a card photo with camera
    /// frames, or calibrate the threshold on labelled pairs.
    Face {
        #[command(subcommand)]
        cmd: FaceCmd,
    },
    /// Counter actions at this device's window.
    Counter {
        /// Device config file (TOML).
        #[arg(long, short)]
        config: PathBuf,
        #[command(subcommand)]
        action: CounterCmd,
    },
}

#[derive(Subcommand)]
enum SimCmd {
    /// An ESC/POS ticket printer on TCP (like port 9100) or a pseudo-terminal; prints each ticket
    /// it receives as text, and with --dump keeps each as a text file and a picture of the paper.
    Printer(peripherals::PrinterSimArgs),
    /// A GA/T 467 ID-card reader on a pseudo-terminal or serial port, loaded with card files, with
    /// faults on demand.
    Idcard(peripherals::IdcardSimArgs),
    /// An LED window panel (Modbus-RTU over RS-485) on a pseudo-terminal or TCP; draws what it shows.
    Led(peripherals::LedSimArgs),
    /// A serial counter keypad on a pseudo-terminal; presses the keys typed on its standard input.
    Keypad(peripherals::KeypadSimArgs),
}

#[derive(Subcommand)]
enum FaceCmd {
    /// Compare an ID-card photo with live frames: prints the decision, score, threshold, the
    /// quality of each picture, liveness (with --prompts) and per-step timings. Exits 0 on a
    /// match, 2 when not matched, 1 on an error (unreadable picture, missing models).
    Verify(kiosk::face::verify::VerifyArgs),
    /// Score labelled pairs (same person or not) and report the genuine and impostor score
    /// distributions, TAR at FAR 1e-2/1e-3/1e-4 and a suggested threshold, with the ROC curve
    /// and histograms as PNG.
    Calibrate(kiosk::face::calibrate::CalibrateArgs),
}

#[derive(Subcommand)]
enum DoctorCmd {
    /// Ask a ticket printer for its status (paper, cover) and optionally print a test ticket; exits
    /// non-zero with what to do when it cannot print or does not answer.
    Printer(peripherals::PrinterDoctorArgs),
    /// Wait for an ID card on a reader, read it and print its fields (ID number and address
    /// masked unless --show-pii); exits non-zero when the reader does not answer or reports an error.
    Idcard(peripherals::IdcardDoctorArgs),
    /// Check an LED window panel: read its status, show a text, report in words.
    Led(peripherals::LedDoctorArgs),
    /// Speak a text or a call once (voice pack or espeak-ng) to the sound card or a WAV file, and
    /// report which engine spoke; exits non-zero when nothing could speak it.
    Voice(peripherals::VoiceDoctorArgs),
    /// Show each key pressed on a serial counter keypad and the action it is mapped to.
    Keypad(peripherals::KeypadDoctorArgs),
    /// List the GPIO chips (and with --chip, their lines) for wiring buttons and lamps.
    Gpio(peripherals::GpioDoctorArgs),
    /// List the USB devices (VID:PID, class, maker), to find a USB printer or ID-card reader.
    Usb(peripherals::UsbDoctorArgs),
}

#[derive(Subcommand, Clone)]
enum CounterCmd {
    /// Call the next ticket (finishing the current one first).
    Call,
    /// Announce the current ticket again.
    Recall,
    /// The called citizen did not come (过号).
    Skip,
    /// Service of the current ticket is done.
    Finish,
    /// Stop calling at this window.
    Pause,
    /// Resume calling.
    Resume,
    /// Move the current ticket to another service's queue.
    Transfer {
        /// Target service code.
        service: ServiceCode,
    },
}

impl From<CounterCmd> for CounterAction {
    fn from(c: CounterCmd) -> Self {
        match c {
            CounterCmd::Call => Self::CallNext,
            CounterCmd::Recall => Self::Recall,
            CounterCmd::Skip => Self::Skip,
            CounterCmd::Finish => Self::Finish,
            CounterCmd::Pause => Self::Pause,
            CounterCmd::Resume => Self::Resume,
            CounterCmd::Transfer { service } => Self::Transfer { to: service },
        }
    }
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    // The demo prints its own progress; its devices' routine warnings (a kiosk offline, a fallback
    // number) would drown it, so it logs errors only unless RUST_LOG says otherwise.
    let default_filter = if matches!(cli.command, Command::Demo(_)) { "error" } else { "warn,kiosk=info" };
    tracing_subscriber::fmt()
        .with_env_filter(tracing_subscriber::EnvFilter::try_from_default_env().unwrap_or_else(|_| default_filter.into()))
        .with_writer(std::io::stderr)
        .init();
    let rt = match tokio::runtime::Builder::new_multi_thread().worker_threads(2).enable_all().build() {
        Ok(rt) => rt,
        Err(e) => {
            eprintln!("error: cannot start the async runtime: {e}");
            return ExitCode::FAILURE;
        }
    };
    match rt.block_on(dispatch(cli.command)) {
        Ok(code) => code,
        Err(e) => {
            eprintln!("error: {e:#}");
            ExitCode::FAILURE
        }
    }
}

struct Device {
    config: Arc<Config>,
    store: Arc<Mutex<Store>>,
    agent: SyncAgent,
    clock: SharedClock,
}

fn open_device(path: &Path) -> Result<Device> {
    let config = Arc::new(Config::load(path)?);
    let store =
        Store::open(&config.store.path, config.device.id.clone()).with_context(|| format!("opening the device store {}", config.store.path.display()))?;
    let store = Arc::new(Mutex::new(store));
    let client = CentralClient::new(&config.central.url, config.device.id.clone(), config.request_timeout())?;
    let clock = system_clock();
    let agent = SyncAgent::new(store.clone(), client, config.clone(), clock.clone());
    Ok(Device { config, store, agent, clock })
}

fn lock(store: &Arc<Mutex<Store>>) -> std::sync::MutexGuard<'_, Store> {
    store.lock().unwrap_or_else(|p| p.into_inner())
}

/// Prints a committed ticket when the kiosk has a printer, and returns the receipt JSON with the
/// print result (`printed`, `print_error`, `print_warnings`). The ticket is durable either way.
fn print_after_commit(d: &Device, receipt: &desk::Receipt) -> Result<serde_json::Value> {
    let mut value = serde_json::to_value(receipt)?;
    if d.config.printer.is_some() {
        let report = printing::try_print(&mut lock(&d.store), &d.config, &printing::PrintJob::from(receipt));
        value["printed"] = report.printed.into();
        if let Some(e) = report.error {
            value["print_error"] = e.into();
        }
        if !report.warnings.is_empty() {
            value["print_warnings"] = report.warnings.into();
        }
    }
    Ok(value)
}

/// Tries to push the outbox for at most two seconds; what is not pushed is synced later.
async fn push_briefly(d: &Device) {
    let mut report = Default::default();
    match tokio::time::timeout(Duration::from_secs(2), d.agent.push(&mut report, &mut |_| {})).await {
        Ok(Ok(())) => {}
        Ok(Err(e)) => tracing::info!(error = %e, "kept locally; it will be synced later"),
        Err(_) => tracing::info!("central is slow; kept locally, it will be synced later"),
    }
}

async fn dispatch(command: Command) -> Result<ExitCode> {
    match command {
        Command::Demo(args) => {
            demo::run(args).await?;
            Ok(ExitCode::SUCCESS)
        }
        Command::Run { config } => run(&config).await,
        Command::Ticket { config, service, priority, count, no_push } => {
            let d = open_device(&config)?;
            let mut out = std::io::stdout().lock();
            for _ in 0..count {
                let receipt = desk::issue_ticket(&mut lock(&d.store), &d.config, &service, priority, d.clock.now())?;
                // One line per durable ticket, flushed at once: a crash test counts these lines.
                serde_json::to_writer(&mut out, &print_after_commit(&d, &receipt)?)?;
                out.write_all(b"\n")?;
                out.flush()?;
            }
            if !no_push {
                push_briefly(&d).await;
            }
            Ok(ExitCode::SUCCESS)
        }
        Command::Checkin { config, appointment, service } => {
            let d = open_device(&config)?;
            let receipt = desk::check_in(&mut lock(&d.store), &d.config, &appointment, &service, d.clock.now())?;
            println!("{}", serde_json::to_string(&print_after_commit(&d, &receipt)?)?);
            push_briefly(&d).await;
            Ok(ExitCode::SUCCESS)
        }
        Command::Sync { config } => sync(&config).await,
        Command::Reprint { config, max_age_min } => {
            let d = open_device(&config)?;
            if d.config.printer.is_none() {
                anyhow::bail!("{} has no [printer] section", config.display());
            }
            let done = printing::reprint_recent(&mut lock(&d.store), &d.config, d.clock.now(), chrono::Duration::minutes(max_age_min))?;
            let mut failed = false;
            for (id, report) in &done {
                failed |= !report.printed;
                println!(
                    "{id}: {}",
                    if report.printed { "reprinted".to_owned() } else { format!("NOT printed: {}", report.error.clone().unwrap_or_default()) }
                );
            }
            if done.is_empty() {
                println!("nothing to reprint");
            }
            Ok(if failed { ExitCode::FAILURE } else { ExitCode::SUCCESS })
        }
        // Drivers and simulators block on their device: keep them off the async workers.
        Command::Sim { device: SimCmd::Printer(args) } => {
            tokio::task::spawn_blocking(move || peripherals::sim_printer(&args)).await??;
            Ok(ExitCode::SUCCESS)
        }
        Command::Sim { device: SimCmd::Idcard(args) } => {
            tokio::task::spawn_blocking(move || peripherals::sim_idcard(&args)).await??;
            Ok(ExitCode::SUCCESS)
        }
        Command::Sim { device: SimCmd::Led(args) } => {
            tokio::task::spawn_blocking(move || peripherals::sim_led(&args)).await??;
            Ok(ExitCode::SUCCESS)
        }
        Command::Sim { device: SimCmd::Keypad(args) } => {
            tokio::task::spawn_blocking(move || peripherals::sim_keypad(&args)).await??;
            Ok(ExitCode::SUCCESS)
        }
        Command::Doctor { device: Some(DoctorCmd::Keypad(args)), .. } => {
            tokio::task::spawn_blocking(move || peripherals::doctor_keypad(&args)).await??;
            Ok(ExitCode::SUCCESS)
        }
        Command::Doctor { device: Some(DoctorCmd::Usb(args)), .. } => {
            tokio::task::spawn_blocking(move || peripherals::doctor_usb(&args)).await??;
            Ok(ExitCode::SUCCESS)
        }
        Command::Doctor { device: Some(DoctorCmd::Gpio(args)), .. } => {
            tokio::task::spawn_blocking(move || peripherals::doctor_gpio(&args)).await??;
            Ok(ExitCode::SUCCESS)
        }
        Command::Doctor { device: Some(DoctorCmd::Voice(args)), .. } => {
            tokio::task::spawn_blocking(move || peripherals::doctor_voice_cmd(&args)).await??;
            Ok(ExitCode::SUCCESS)
        }
        Command::Doctor { device: Some(DoctorCmd::Led(args)), .. } => {
            tokio::task::spawn_blocking(move || peripherals::doctor_led(&args)).await??;
            Ok(ExitCode::SUCCESS)
        }
        Command::Doctor { device: Some(DoctorCmd::Idcard(args)), .. } => {
            tokio::task::spawn_blocking(move || peripherals::doctor_idcard(&args)).await??;
            Ok(ExitCode::SUCCESS)
        }
        Command::Doctor { device: Some(DoctorCmd::Printer(args)), .. } => {
            tokio::task::spawn_blocking(move || peripherals::doctor_printer(&args)).await??;
            Ok(ExitCode::SUCCESS)
        }
        Command::Doctor { device: None, config, json } => {
            let all_ok = tokio::task::spawn_blocking(move || peripherals::doctor_all(config.as_ref(), json)).await??;
            Ok(if all_ok { ExitCode::SUCCESS } else { ExitCode::FAILURE })
        }
        Command::Status { config, json } => status(&config, json).await,
        Command::Face { cmd: FaceCmd::Verify(args) } => tokio::task::spawn_blocking(move || kiosk::face::verify::run(&args)).await?,
        Command::Face { cmd: FaceCmd::Calibrate(args) } => tokio::task::spawn_blocking(move || kiosk::face::calibrate::run(&args)).await?,
        Command::Counter { config, action } => {
            let d = open_device(&config)?;
            if d.config.device.role != DeviceRole::Counter {
                anyhow::bail!("{} is a {} device; counter actions need role = \"counter\"", config.display(), d.config.device.role.as_str());
            }
            match counter::act(&d.store, &d.agent, &d.config, &d.clock, action.into()).await {
                Ok((seq, outcome)) => {
                    println!("{}", counter::describe(&outcome));
                    tracing::debug!(seq, "counter action applied");
                    Ok(match outcome {
                        hall_protocol::EventOutcome::Rejected { .. } => ExitCode::FAILURE,
                        _ => ExitCode::SUCCESS,
                    })
                }
                Err(e @ counter::CounterError::Queued { .. }) => {
                    eprintln!("{e}");
                    Ok(ExitCode::from(EXIT_OFFLINE))
                }
                Err(e) => Err(e.into()),
            }
        }
    }
}

async fn sync(path: &Path) -> Result<ExitCode> {
    let d = open_device(path)?;
    let mut progress = |p: Progress| match p {
        Progress::Pushed { acked, total } => eprintln!("pushed {acked}/{total} events"),
        Progress::Pulled { changes, cursor } => eprintln!("pulled {changes} changes (feed cursor {cursor})"),
        Progress::Leased { service, start, end } => eprintln!("leased numbers {start}-{end} for {service}"),
        _ => {}
    };
    match d.agent.sync_once_with(&mut progress).await {
        Ok(report) => {
            let depth = lock(&d.store).outbox_depth()?;
            eprintln!(
                "sync done: {} events acknowledged (up to #{}), {} changes, {} leases; outbox depth {depth}",
                report.pushed, report.acked_to, report.changes, report.leases
            );
            Ok(if depth == 0 { ExitCode::SUCCESS } else { ExitCode::FAILURE })
        }
        Err(e) if e.is_transient() => {
            eprintln!("sync incomplete: {e}");
            Ok(ExitCode::from(EXIT_OFFLINE))
        }
        Err(e) => Err(e.into()),
    }
}

async fn status(path: &Path, json: bool) -> Result<ExitCode> {
    let d = open_device(path)?;
    let reachable = d.agent.client().health().await;
    let (depth, acked, last, cursor, leases) = {
        let s = lock(&d.store);
        let day = desk::business_day(&d.config, d.clock.now());
        let mut leases = Vec::new();
        for svc in s.services(&d.config.device.hall)? {
            let st = s.lease_status(&d.config.device.hall, &svc.code, day)?;
            leases.push(serde_json::json!({"service": svc.code, "prefix": svc.prefix.to_string(), "left": st.left, "block": st.last_block_size}));
        }
        (s.outbox_depth()?, s.last_acked_seq()?, s.last_seq()?, s.feed_cursor()?, leases)
    };
    let printer = match d.config.printer {
        Some(_) => printing::PrinterHealth::load(&lock(&d.store))?,
        None => None,
    };
    let value = serde_json::json!({
        "device": d.config.device.id,
        "role": d.config.device.role,
        "hall": d.config.device.hall,
        "outbox_depth": depth,
        "last_seq": last,
        "last_acked_seq": acked,
        "feed_cursor": cursor,
        "leases": leases,
        "central": d.config.central.url,
        "central_reachable": reachable.is_ok(),
        "printer": printer,
    });
    if json {
        println!("{value}");
    } else {
        println!("device        {} ({}, hall {})", d.config.device.id, d.config.device.role.as_str(), d.config.device.hall);
        println!("outbox        {depth} waiting; last event #{last}, acknowledged up to #{acked}");
        println!("feed cursor   {cursor}");
        match &reachable {
            Ok(h) => println!("central       {} reachable (version {})", d.config.central.url, h.version),
            Err(e) => println!("central       {} UNREACHABLE: {e}", d.config.central.url),
        }
        if let Some(p) = &printer {
            let when = p.at.with_timezone(&d.config.hall_offset()).format("%H:%M");
            println!(
                "printer       {} at the last ticket ({when}){}",
                p.state,
                if p.detail.is_empty() { String::new() } else { format!(": {}", p.detail.join("; ")) }
            );
        }
        for l in &leases {
            println!(
                "lease         {} ({}): {} numbers left of block {}",
                l["service"].as_str().unwrap_or("?"),
                l["prefix"].as_str().unwrap_or("?"),
                l["left"],
                l["block"]
            );
        }
    }
    Ok(ExitCode::SUCCESS)
}

async fn run(path: &Path) -> Result<ExitCode> {
    let d = open_device(path)?;
    tracing::info!(device = %d.config.device.id, role = d.config.device.role.as_str(), central = %d.config.central.url, "device running");
    if d.config.printer.is_some() {
        // Tickets committed just before a crash were never printed: print them now, same numbers.
        let (store, config, now) = (d.store.clone(), d.config.clone(), d.clock.now());
        let done = tokio::task::spawn_blocking(move || printing::reprint_recent(&mut lock(&store), &config, now, chrono::Duration::minutes(10))).await??;
        for (id, report) in done {
            tracing::info!(ticket = %id, printed = report.printed, error = report.error.as_deref().unwrap_or(""), "reprint after restart");
        }
    }
    let shutdown = async {
        let _ = tokio::signal::ctrl_c().await;
    };
    let sync = d.agent.run(std::future::pending::<()>());
    let follow = d.agent.follow_stream(std::future::pending::<()>());
    let mut changes = d.agent.subscribe();
    // A board with [voice] announces each call; opening it checks the templates and voice packs.
    let announcer = match (&d.config.voice, d.config.device.role) {
        (Some(voice), DeviceRole::Board) => Some(kiosk::announce::CallAnnouncer::open(voice, &d.config.speaker.clone().unwrap_or_default())?),
        _ => None,
    };
    let clock = d.clock.clone();
    let role = d.config.device.role;
    let window = d.config.device.window;
    // A counter's LED panel follows the feed: calls to its window, pauses.
    let panel = match (&d.config.led, window) {
        (Some(led), Some(_)) => Some(kiosk::window_devices::PanelWorker::spawn(led.clone())?),
        _ => None,
    };
    // A counter's keypad: presses go to `counter_keypad`; its GPIO lamps follow the feed below.
    let (presses, lamps) = match keypad_source(&d.config) {
        Some(source) => {
            let (presses, lamps) = kiosk::window_devices::spawn_keypad(source)?;
            (Some(presses), Some(lamps))
        }
        None => (None, None),
    };
    let show = async move {
        // The text board: one line per call. The Slint board replaces this with the UI work.
        loop {
            match changes.recv().await {
                Ok(change) => {
                    if role == DeviceRole::Board
                        && let ChangeBody::Called(call) = &change.body
                    {
                        println!("{}", ui::call_text_zh(&call.number.to_string(), call.window));
                    }
                    if let Some(announcer) = &announcer
                        && let Err(e) = announcer.hear(&change, clock.now())
                    {
                        tracing::warn!(error = %e, "could not announce a call");
                    }
                    if let (Some(panel), Some(window)) = (&panel, window)
                        && let Some((text, effect)) = kiosk::window_devices::panel_text(&change, window)
                    {
                        panel.show(text, effect);
                    }
                    if let (Some(lamps), Some(window)) = (&lamps, window)
                        && let Some(signal) = kiosk::window_devices::lamp_signal(&change, window)
                    {
                        // The keypad thread gone means the device is stopping; nothing to light.
                        let _ = lamps.send(signal);
                    }
                }
                Err(tokio::sync::broadcast::error::RecvError::Lagged(n)) => tracing::warn!(missed = n, "display fell behind"),
                Err(tokio::sync::broadcast::error::RecvError::Closed) => return,
            }
        }
    };
    let keys = counter_keypad(&d, presses);
    tokio::select! {
        _ = shutdown => tracing::info!("stopping"),
        _ = sync => {}
        _ = follow => {}
        _ = show => {}
        _ = keys => {}
    }
    Ok(ExitCode::SUCCESS)
}

/// The keypad source a counter's config names, if any.
fn keypad_source(config: &kiosk::config::Config) -> Option<kiosk::window_devices::KeypadSource> {
    use kiosk::window_devices::KeypadSource;
    match (&config.keypad, &config.buttons) {
        (Some(serial), _) => Some(KeypadSource::Serial(serial.clone())),
        (None, Some(gpio)) => Some(KeypadSource::Gpio(gpio.clone())),
        (None, None) => None,
    }
}

/// A counter's keypad: each press becomes a counter action (or a rating of the ticket served),
/// recorded and pushed like `kiosk counter`. Runs until the device stops; pending forever
/// without a keypad.
async fn counter_keypad(d: &Device, presses: Option<tokio::sync::mpsc::UnboundedReceiver<device_drivers::keypad::KeypadAction>>) {
    use kiosk::window_devices::{Intent, intent};
    let (Some(window), Some(mut presses)) = (d.config.device.window, presses) else {
        return std::future::pending().await;
    };
    while let Some(action) = presses.recv().await {
        let state = lock(&d.store).window_state(&d.config.device.hall, window).ok().flatten();
        match intent(&action, state.as_ref()) {
            Ok(Intent::Counter(action)) => match counter::act(&d.store, &d.agent, &d.config, &d.clock, action).await {
                Ok((_, outcome)) => tracing::info!(outcome = %counter::describe(&outcome), "keypad"),
                Err(e) => tracing::warn!(error = %e, "keypad action not done now"),
            },
            Ok(Intent::Rate { ticket, level }) => {
                let recorded = lock(&d.store).record_evaluation(&ticket, level, "", d.clock.now());
                match recorded {
                    Ok(_) => {
                        tracing::info!(%ticket, level = level.label_zh(), "rated at the counter");
                        let mut report = kiosk::agent::SyncReport::default();
                        if let Err(e) = d.agent.push(&mut report, &mut |_| {}).await {
                            tracing::info!(error = %e, "rating kept for the next sync");
                        }
                    }
                    Err(e) => tracing::warn!(error = %e, "could not record the rating"),
                }
            }
            Err(why) => tracing::info!(%action, why, "key ignored"),
        }
    }
}
