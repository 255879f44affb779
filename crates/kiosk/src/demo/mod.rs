//! `kiosk demo`: a whole hall simulated in one process, on the embedded defaults, with no hardware.
//!
//! It starts the real central service on loopback, gives every simulated device (kiosks, counters,
//! a board) its own SQLite store and sync agent, and drives them through a compressed business day
//! of citizens drawn from the seed. Everything travels the production path: kiosks issue tickets
//! through [`crate::desk`] and print them on ESC/POS printer simulators through the real driver
//! ([`crate::printing`]; one printer runs out of paper for a while and its tickets are reprinted),
//! counters act through [`crate::counter`], the board follows the push stream, and one kiosk's
//! link to central is cut for a while through a real TCP forwarder.
//!
//! Time is virtual and advances in fixed steps; within a step the devices act one after another,
//! so a seed gives the same day every time (only the pacing follows the wall clock).

mod citizens;
mod link;

use std::collections::HashMap;
use std::path::PathBuf;
use std::sync::atomic::{AtomicI64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration as StdDuration;

use anyhow::{Context, Result, bail};
use chrono::{DateTime, Duration, NaiveTime, TimeZone, Utc};
use hall_protocol::{Catalogue, ChangeBody, CounterAction, Device, DeviceId, DeviceRole, EventOutcome, HallId, ServiceCode, TicketId, Window};
use offline_store::Store;
use rand::SeedableRng;
use rand_chacha::ChaCha8Rng;

use crate::agent::SyncAgent;
use crate::client::CentralClient;
use crate::clock::{Clock, SharedClock};
use crate::config::Config;
use device_drivers::escpos::sim::{PrinterSim, SimConfig};
use device_drivers::escpos::{PaperWidth, PrinterCondition};

pub use citizens::{Visit, plan_day};
pub use link::Link;

/// The hall the demo simulates: the same file as `examples/central-catalogue.toml`.
const CATALOGUE: &str = include_str!("../../../../examples/central-catalogue.toml");

/// Options of `kiosk demo`.
#[derive(Debug, Clone, clap::Args)]
pub struct DemoArgs {
    /// Seed for citizens' arrivals, services, no-shows, transfers and ratings: the same seed gives
    /// the same day.
    #[arg(long, default_value_t = 1)]
    pub seed: u64,
    /// Number of kiosks (at least 2: one of them loses its link).
    #[arg(long, default_value_t = 2, value_parser = clap::value_parser!(u32).range(2..=20))]
    pub kiosks: u32,
    /// Number of counters (one window each).
    #[arg(long, default_value_t = 3, value_parser = clap::value_parser!(u32).range(1..=40))]
    pub counters: u32,
    /// Opening hours to simulate, from 09:00.
    #[arg(long, default_value_t = 8.0)]
    pub hours: f64,
    /// Expected citizens over the day (appointments come on top).
    #[arg(long, default_value_t = 150)]
    pub citizens: u32,
    /// Simulated seconds per real second; 0 runs as fast as the machine can.
    #[arg(long, default_value_t = 900.0)]
    pub speed: f64,
    /// Do not cut kiosk-2's link to central.
    #[arg(long)]
    pub no_partition: bool,
    /// Keep the databases in this folder (default: a temporary folder, removed afterwards), and
    /// every printed ticket as a text dump and a picture of the paper (printer-kiosk-N/).
    #[arg(long)]
    pub dir: Option<PathBuf>,
    /// Only print the summary.
    #[arg(long)]
    pub quiet: bool,
    /// Print the summary as JSON on stdout.
    #[arg(long)]
    pub json: bool,
}

/// Virtual time shared by every simulated device and central.
#[derive(Debug)]
pub struct SimClock {
    ms: AtomicI64,
}

impl SimClock {
    /// A clock standing at `t`.
    pub fn new(t: DateTime<Utc>) -> Arc<Self> {
        Arc::new(Self { ms: AtomicI64::new(t.timestamp_millis()) })
    }
    /// Moves the clock to `t`.
    pub fn set(&self, t: DateTime<Utc>) {
        self.ms.store(t.timestamp_millis(), Ordering::SeqCst);
    }
}

impl Clock for SimClock {
    fn now(&self) -> DateTime<Utc> {
        Utc.timestamp_millis_opt(self.ms.load(Ordering::SeqCst)).single().unwrap_or_default()
    }
}

/// A simulated device: its config, store and agent.
struct SimDevice {
    config: Arc<Config>,
    store: Arc<Mutex<Store>>,
    agent: SyncAgent,
}

impl SimDevice {
    #[allow(clippy::too_many_arguments)]
    fn open(
        dir: &std::path::Path,
        id: &str,
        role: DeviceRole,
        hall: &HallId,
        window: Option<u16>,
        url: &str,
        printer: Option<std::net::SocketAddr>,
        clock: SharedClock,
    ) -> Result<Self> {
        let window_line = window.map(|w| format!("window = {w}\n")).unwrap_or_default();
        let printer = printer.map(|a| format!("\n[printer]\ntcp = \"{a}\"\npaper = \"58mm\"\ntimeout_ms = 1000\n")).unwrap_or_default();
        let text = format!(
            "[device]\nid = \"{id}\"\nrole = \"{}\"\nhall = \"{hall}\"\n{window_line}\n[central]\nurl = \"{url}\"\ntimeout_ms = 2000\n\n[store]\npath = \"{}\"\n\n[leases]\nblock = 6\n{printer}",
            role.as_str(),
            dir.join(format!("{id}.db")).display()
        );
        let config = Arc::new(Config::parse(&text)?);
        let store = Arc::new(Mutex::new(Store::open(&config.store.path, config.device.id.clone())?));
        let client = CentralClient::new(url, config.device.id.clone(), config.request_timeout())?;
        let agent = SyncAgent::new(store.clone(), client, config.clone(), clock);
        Ok(Self { config, store, agent })
    }

    fn store(&self) -> std::sync::MutexGuard<'_, Store> {
        self.store.lock().unwrap_or_else(|p| p.into_inner())
    }
}

/// What a counter is doing.
#[derive(Debug, Clone)]
enum Desk {
    Idle,
    /// Called a citizen who has not come yet.
    Waiting {
        ticket: TicketId,
        since: DateTime<Utc>,
        recalled: bool,
    },
    Serving {
        ticket: TicketId,
        until: DateTime<Utc>,
    },
    Paused {
        until: DateTime<Utc>,
    },
}

/// Runs the demo.
pub async fn run(args: DemoArgs) -> Result<()> {
    if !(0.5..=14.0).contains(&args.hours) {
        bail!("--hours must be between 0.5 and 14 (a hall's opening hours), got {}", args.hours);
    }
    if !(args.speed >= 0.0 && args.speed.is_finite()) {
        bail!("--speed must be 0 (as fast as possible) or a positive number of simulated seconds per second");
    }
    if args.citizens > 20_000 {
        bail!("--citizens must be at most 20000 for one hall's day");
    }
    let tmp;
    let dir = match &args.dir {
        Some(d) => {
            std::fs::create_dir_all(d).with_context(|| format!("creating {}", d.display()))?;
            d.clone()
        }
        None => {
            tmp = tempdir()?;
            tmp.0.clone()
        }
    };
    let mut catalogue: Catalogue = toml::from_str(CATALOGUE).context("the built-in demo catalogue is invalid")?;
    let hall = catalogue.halls.first().context("the demo catalogue has no hall")?.id.clone();
    let services: Vec<ServiceCode> = catalogue.services.iter().filter(|s| s.hall == hall).map(|s| s.code.clone()).collect();
    if services.is_empty() {
        bail!("the demo catalogue has no services");
    }
    // Devices and windows for the sizes asked for. Window profiles rotate through the services so
    // every service has windows and windows differ in what they prefer.
    catalogue.windows = (0..args.counters)
        .map(|i| {
            let mut profile = services.clone();
            profile.rotate_left(i as usize % services.len());
            Window { hall: hall.clone(), no: (i + 1) as u16, name: format!("{}号窗口", i + 1), profile }
        })
        .collect();
    let mut devices = Vec::new();
    for i in 1..=args.kiosks {
        devices.push(Device {
            id: DeviceId::new(format!("kiosk-{i}"))?,
            hall: hall.clone(),
            role: DeviceRole::Kiosk,
            window: None,
            device_no: 0,
            revoked: false,
        });
    }
    for i in 1..=args.counters {
        devices.push(Device {
            id: DeviceId::new(format!("counter-{i}"))?,
            hall: hall.clone(),
            role: DeviceRole::Counter,
            window: Some(i as u16),
            device_no: 0,
            revoked: false,
        });
    }
    devices.push(Device { id: DeviceId::new("board-1")?, hall: hall.clone(), role: DeviceRole::Board, window: None, device_no: 0, revoked: false });
    catalogue.devices = devices;

    // The business day: today in the hall's time zone (+08:00), 09:00 to 09:00 + hours.
    let offset = chrono::FixedOffset::east_opt(8 * 3600).context("offset")?;
    let today = Utc::now().with_timezone(&offset).date_naive();
    let open =
        offset.from_local_datetime(&today.and_time(NaiveTime::from_hms_opt(9, 0, 0).context("time")?)).single().context("opening time")?.with_timezone(&Utc);
    let close = open + Duration::seconds((args.hours * 3600.0) as i64);
    let sim = SimClock::new(open - Duration::minutes(30));
    let clock: SharedClock = sim.clone();

    // Central, in process, on loopback, on the same virtual clock.
    let central = central_on(&dir, clock.clone(), &catalogue).await?;
    let url = format!("http://{}", central.addr);

    // Appointments booked for today.
    let mut rng = ChaCha8Rng::seed_from_u64(args.seed);
    let appointments = book_appointments(&central, &hall, &services, today, args.citizens / 20)?;

    // Devices. kiosk-2 talks to central through a link the demo can cut.
    let link = Link::start(central.addr).await?;
    let mut kiosks = Vec::new();
    let mut printers = Vec::new();
    for i in 1..=args.kiosks {
        let via = if i == 2 { format!("http://{}", link.addr()) } else { url.clone() };
        // Each kiosk has its ticket printer: the ESC/POS simulator on loopback, driven by the real driver.
        // With --dir, what each printer prints is kept: ticket-0001.txt and ticket-0001.png.
        let dump_dir = args.dir.as_ref().map(|_| dir.join(format!("printer-kiosk-{i}")));
        let printer =
            PrinterSim::tcp("127.0.0.1:0", &SimConfig { paper: PaperWidth::Mm58, dump_dir, ..Default::default() }).context("starting a printer simulator")?;
        kiosks.push(SimDevice::open(&dir, &format!("kiosk-{i}"), DeviceRole::Kiosk, &hall, None, &via, printer.tcp_address(), clock.clone())?);
        printers.push(printer);
    }
    let mut counters = Vec::new();
    for i in 1..=args.counters {
        counters.push(SimDevice::open(&dir, &format!("counter-{i}"), DeviceRole::Counter, &hall, Some(i as u16), &url, None, clock.clone())?);
    }
    let board = SimDevice::open(&dir, "board-1", DeviceRole::Board, &hall, None, &url, None, clock.clone())?;
    for d in kiosks.iter().chain(counters.iter()).chain(std::iter::once(&board)) {
        d.agent.sync_once().await.with_context(|| format!("first sync of {}", d.config.device.id))?;
    }

    // The board follows the push stream and keeps what it shows.
    let board_seen = Arc::new(Mutex::new(BoardView::default()));
    let (stop_tx, stop_rx) = tokio::sync::watch::channel(false);
    let board_task = {
        let agent = board.agent.clone();
        let mut stop = stop_rx.clone();
        tokio::spawn(async move {
            agent
                .follow_stream(async move {
                    let _ = stop.wait_for(|s| *s).await;
                })
                .await
        })
    };
    let board_view = {
        let mut changes = board.agent.subscribe();
        let seen = board_seen.clone();
        tokio::spawn(async move {
            while let Ok(c) = changes.recv().await {
                if let ChangeBody::Called(call) = &c.body {
                    let mut v = seen.lock().unwrap_or_else(|p| p.into_inner());
                    v.calls += 1;
                    v.last = ui::call_text_zh(&call.number.to_string(), call.window);
                }
            }
        })
    };

    let visits = plan_day(&mut rng, open, close, args.citizens, args.kiosks as usize, &services, &appointments);
    // kiosk-2 loses its link for about 15% of the day, from a fifth of the way in (10:30–11:45 on
    // an 8-hour day), during the morning rush.
    let span = close - open;
    let (cut_at, heal_at) = (open + span * 19 / 100, open + span * 34 / 100);
    let paper_out_at = open + span * 55 / 100;
    let step = Duration::seconds(20);
    let mut t = open;
    let mut next_visit = 0;
    let mut plans: HashMap<TicketId, Visit> = HashMap::new();
    let mut times_called: HashMap<TicketId, u32> = HashMap::new();
    let mut transferred: HashMap<TicketId, bool> = HashMap::new();
    let mut desks: Vec<Desk> = vec![Desk::Idle; counters.len()];
    let mut tally = Tally::default();
    let mut offline_tickets: Vec<TicketId> = Vec::new();
    let mut next_report = open;
    let real_start = std::time::Instant::now();
    let lunch = (open + Duration::hours(3), Duration::minutes(30));
    if !args.quiet {
        eprintln!(
            "hallkit demo: {} kiosks, {} counters, 1 board, central at {url}; {:.1} h day at {}, seed {}; data in {}",
            args.kiosks,
            args.counters,
            args.hours,
            if args.speed > 0.0 { format!("{:.0}x speed", args.speed) } else { "full speed".into() },
            args.seed,
            dir.display()
        );
    }

    loop {
        sim.set(t);
        // The partition.
        if !args.no_partition {
            let down = t >= cut_at && t < heal_at;
            if down == link.is_up() {
                link.set_up(!down);
                if !args.quiet {
                    eprintln!("[{}] kiosk-2 {} its link to central", local(t), if down { "LOST" } else { "regained" });
                }
            }
        }
        // kiosk-1's printer runs out of paper after lunch; a technician changes the roll 20 minutes later.
        let paper_out = t >= paper_out_at && t < paper_out_at + Duration::minutes(20);
        if paper_out != (printers[0].condition() == PrinterCondition::PaperEnd) {
            printers[0].set_condition(if paper_out { PrinterCondition::PaperEnd } else { PrinterCondition::Normal });
            if !args.quiet {
                eprintln!("[{}] kiosk-1's printer {}", local(t), if paper_out { "is OUT OF PAPER" } else { "has a new roll: reprinting" });
            }
            if !paper_out {
                let done = crate::printing::reprint_recent(&mut kiosks[0].store(), &kiosks[0].config, t, Duration::minutes(30))?;
                tally.reprinted += done.iter().filter(|(_, r)| r.printed).count() as u64;
            }
        }
        // Citizens arriving at kiosks.
        while next_visit < visits.len() && visits[next_visit].arrives <= t {
            let v = &visits[next_visit];
            next_visit += 1;
            let k = &kiosks[v.kiosk];
            let receipt = {
                let mut s = k.store();
                match &v.appointment {
                    Some(code) => crate::desk::check_in(&mut s, &k.config, code, &v.service, t),
                    None => crate::desk::issue_ticket(&mut s, &k.config, &v.service, v.priority, t),
                }
            }
            .with_context(|| format!("issuing a ticket at {}", k.config.device.id))?;
            tally.issued += 1;
            if matches!(receipt.number, hall_protocol::TicketNumber::Fallback { .. }) {
                tally.fallback += 1;
            }
            if !link.is_up() && v.kiosk == 1 {
                offline_tickets.push(receipt.ticket_id.clone());
            }
            // Print after commit. While kiosk-1 is out of paper the citizen keeps the number on
            // screen; the ticket is printed when the roll is changed.
            let report = crate::printing::try_print(&mut k.store(), &k.config, &crate::printing::PrintJob::from(&receipt));
            if report.printed {
                tally.printed += 1;
            } else {
                tally.not_printed += 1;
            }
            plans.insert(receipt.ticket_id, v.clone());
        }
        // Kiosks sync (kiosk-2 fails quietly while its link is down: it is working offline).
        for k in &kiosks {
            if let Err(e) = k.agent.sync_once().await {
                if e.is_transient() {
                    tally.sync_failures += 1;
                } else {
                    bail!("{} cannot sync: {e}", k.config.device.id);
                }
            }
        }
        // Counters.
        for (i, c) in counters.iter().enumerate() {
            let next = step_counter(c, &desks[i], t, i, lunch, &plans, &mut times_called, &mut transferred, &mut tally, &clock).await?;
            desks[i] = next;
        }
        board.agent.sync_once().await.ok();

        if !args.quiet && t >= next_report {
            next_report = t + Duration::minutes(30);
            let waiting = central.waiting(&hall);
            let k2 = kiosks[1].store().outbox_depth().unwrap_or(0);
            let busy = desks.iter().filter(|d| matches!(d, Desk::Serving { .. } | Desk::Waiting { .. })).count();
            let last = board_seen.lock().unwrap_or_else(|p| p.into_inner()).last.clone();
            eprintln!(
                "[{}] issued {:>4}  waiting {:>3}  served {:>4}  windows busy {busy}/{}  kiosk-2 {}  board: {last}",
                local(t),
                tally.issued,
                waiting,
                tally.finished,
                counters.len(),
                if link.is_up() { format!("online (outbox {k2})") } else { format!("OFFLINE (outbox {k2})") }
            );
        }

        let all_idle = desks.iter().all(|d| matches!(d, Desk::Idle | Desk::Paused { .. }));
        if t >= close && next_visit >= visits.len() && all_idle && central.waiting(&hall) == 0 {
            break;
        }
        if t >= close + Duration::hours(3) {
            tracing::warn!("the hall is closing with citizens still waiting");
            break;
        }
        t += step;
        if args.speed > 0.0 {
            let due = StdDuration::from_secs_f64((t - open).num_milliseconds() as f64 / 1000.0 / args.speed);
            if let Some(wait) = due.checked_sub(real_start.elapsed()) {
                tokio::time::sleep(wait).await;
            }
        }
    }

    // Closing: final sync of every device, then the board catches up.
    link.set_up(true);
    for d in kiosks.iter().chain(counters.iter()) {
        d.agent.sync_once().await.with_context(|| format!("final sync of {}", d.config.device.id))?;
    }
    let calls_at_central = central.calls_today(&hall, today)?;
    for _ in 0..50 {
        if board_seen.lock().unwrap_or_else(|p| p.into_inner()).calls >= calls_at_central {
            break;
        }
        tokio::time::sleep(StdDuration::from_millis(100)).await;
    }
    let _ = stop_tx.send(true);
    let _ = board_task.await;
    board_view.abort();

    let board_calls = board_seen.lock().unwrap_or_else(|p| p.into_inner()).calls;
    let printed_at_printers: u64 = printers.iter().map(|p| p.tickets().len() as u64).sum();
    let seen =
        summary::Seen { printed_at_printers, kiosks: &kiosks, offline: (!args.no_partition).then_some(&offline_tickets[..]), tally: &tally, board_calls };
    let summary = summary::build(&central, &hall, today, seen)?;
    if args.json {
        println!("{}", serde_json::to_string_pretty(&summary.json)?);
    } else {
        print!("{}", summary.text);
    }
    central.stop().await;
    if !summary.ok {
        bail!("the demo found a broken invariant (see the checks above)");
    }
    Ok(())
}

mod hall;
mod summary;

use hall::{BoardView, Tally, book_appointments, central_on, local, tempdir};

#[allow(clippy::too_many_arguments)]
async fn step_counter(
    c: &SimDevice,
    desk: &Desk,
    t: DateTime<Utc>,
    index: usize,
    lunch: (DateTime<Utc>, Duration),
    plans: &HashMap<TicketId, Visit>,
    times_called: &mut HashMap<TicketId, u32>,
    transferred: &mut HashMap<TicketId, bool>,
    tally: &mut Tally,
    clock: &SharedClock,
) -> Result<Desk> {
    let act = |action: CounterAction| async move { crate::counter::act(&c.store, &c.agent, &c.config, clock, action).await };
    Ok(match desk.clone() {
        Desk::Paused { until } if t >= until => {
            act(CounterAction::Resume).await?;
            Desk::Idle
        }
        Desk::Paused { until } => Desk::Paused { until },
        // Window 2 takes a lunch break.
        Desk::Idle if index == 1 && t >= lunch.0 && t < lunch.0 + lunch.1 => {
            act(CounterAction::Pause).await?;
            tally.pauses += 1;
            Desk::Paused { until: lunch.0 + lunch.1 }
        }
        Desk::Idle => match act(CounterAction::CallNext).await?.1 {
            EventOutcome::Called { ticket_id, .. } => {
                tally.calls += 1;
                let n = times_called.entry(ticket_id.clone()).or_insert(0);
                *n += 1;
                let plan = plans.get(&ticket_id);
                let misses = plan.map_or(0, |p| p.missed_calls);
                if *n <= misses {
                    Desk::Waiting { ticket: ticket_id, since: t, recalled: false }
                } else {
                    let second = transferred.get(&ticket_id).copied().unwrap_or(false);
                    let d = plan.map_or(Duration::minutes(5), |p| if second { p.second_service_time } else { p.service_time });
                    Desk::Serving { ticket: ticket_id, until: t + d }
                }
            }
            _ => Desk::Idle,
        },
        Desk::Waiting { ticket, since, recalled } => {
            if !recalled && t - since >= Duration::seconds(60) {
                act(CounterAction::Recall).await?;
                tally.recalls += 1;
                Desk::Waiting { ticket, since, recalled: true }
            } else if t - since >= Duration::seconds(150) {
                act(CounterAction::Skip).await?;
                tally.skips += 1;
                Desk::Idle
            } else {
                Desk::Waiting { ticket, since, recalled }
            }
        }
        Desk::Serving { ticket, until } if t >= until => {
            let plan = plans.get(&ticket);
            let already = transferred.get(&ticket).copied().unwrap_or(false);
            match plan.and_then(|p| p.transfer_to.clone()) {
                Some(to) if !already => {
                    act(CounterAction::Transfer { to }).await?;
                    transferred.insert(ticket, true);
                    tally.transfers += 1;
                }
                _ => {
                    act(CounterAction::Finish).await?;
                    tally.finished += 1;
                    if let Some(level) = plan.and_then(|p| p.rating) {
                        c.store().record_evaluation(&ticket, level, "", t)?;
                        tally.ratings += 1;
                    }
                }
            }
            Desk::Idle
        }
        serving @ Desk::Serving { .. } => serving,
    })
}
