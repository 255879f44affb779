//! `central`: the hallkit central service. See `central --help` and docs/central.md.

use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::time::Duration;

use anyhow::{Context, bail};
use central::export::{self, Format};
use central::store::{CentralStore, SqliteStore};
use central::{Central, CentralConfig};
use chrono::{FixedOffset, NaiveDate, NaiveTime};
use clap::{Parser, Subcommand, ValueEnum};
use hall_protocol::HallId;

/// The hallkit central service: owns the queues of a government service hall, takes event batches
/// from kiosks and counters, leases ticket numbers, and pushes calls to boards.
///
/// Start it with `central serve`; load the hall's services, windows and devices from a TOML
/// catalogue (see examples/central-catalogue.toml) with `--catalogue` or `central catalogue load`;
/// read a day's figures with `central export`. The HTTP API is described at /openapi.json.
///
/// Each hall's queues last one business day: at the rollover (`--rollover`, hall time
/// `--utc-offset`) tickets still waiting expire instead of being called the next morning.
#[derive(Debug, Parser)]
#[command(name = "central", version, about, long_about)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Debug, Subcommand)]
enum Command {
    /// Serve the HTTP API until SIGINT or SIGTERM.
    ///
    /// Example: central serve --db /var/lib/hallkit/central.db --listen 0.0.0.0:7700 --catalogue hall.toml
    ///
    /// At each hall's rollover, tickets still waiting or still at a window expire; boards see the
    /// queues empty within a minute of it.
    Serve {
        /// The SQLite database file (created if missing).
        #[arg(long, default_value = "./central.db", env = "CENTRAL_DB")]
        db: PathBuf,
        /// Address to listen on. Keep it on the hall LAN: admin endpoints have no authentication yet.
        #[arg(long, default_value = "127.0.0.1:7700", env = "CENTRAL_LISTEN")]
        listen: SocketAddr,
        /// A catalogue TOML file to load (upsert) before serving.
        #[arg(long)]
        catalogue: Option<PathBuf>,
        /// Call, recall, skip and transfer events older than this many seconds when they arrive are
        /// rejected (calling someone minutes after staff pressed the button is wrong).
        #[arg(long, default_value_t = 120)]
        call_max_age: u64,
        /// Most numbers granted in one lease.
        #[arg(long, default_value_t = 100)]
        max_lease: u32,
        /// File with the key (at least 16 bytes) for the digest of citizens' ID numbers. Without
        /// it, a random key kept inside the database is used.
        #[arg(long, env = "CENTRAL_ID_KEY_FILE")]
        id_key_file: Option<PathBuf>,
        /// The halls' offset from UTC, for business days (e.g. +08:00). Must match the devices'
        /// `[business_day] utc_offset`.
        #[arg(long, default_value = "+08:00", value_parser = parse_offset, allow_hyphen_values = true)]
        utc_offset: FixedOffset,
        /// Local time (HH:MM) at which a hall's business day ends: tickets still waiting then
        /// expire, and moments before it belong to the previous date. Must match the devices'
        /// `[business_day] rollover`.
        #[arg(long, default_value = "04:00", value_parser = parse_rollover)]
        rollover: NaiveTime,
    },
    /// Manage the catalogue (halls, services, windows, devices).
    Catalogue {
        #[command(subcommand)]
        command: CatalogueCommand,
    },
    /// Print a day's tickets, calls or statistics to stdout.
    ///
    /// Safe to run next to a serving central: it only reads.
    /// Example: central export stats --date 2026-11-24 --format csv --db central.db
    Export {
        /// What to export.
        what: ExportWhat,
        /// Business day, YYYY-MM-DD.
        #[arg(long)]
        date: NaiveDate,
        /// Hall id (needed for stats when central has several halls).
        #[arg(long)]
        hall: Option<HallId>,
        /// Output format.
        #[arg(long, value_enum, default_value_t = FormatArg::Json)]
        format: FormatArg,
        /// The SQLite database file.
        #[arg(long, default_value = "./central.db", env = "CENTRAL_DB")]
        db: PathBuf,
    },
}

#[derive(Debug, Subcommand)]
enum CatalogueCommand {
    /// Upsert a catalogue TOML file into the database. Stop `central serve` first, or use its
    /// `PUT /v1/admin/catalogue`: the running service keeps its queues in memory.
    Load {
        /// The catalogue file (format: examples/central-catalogue.toml).
        file: PathBuf,
        /// The SQLite database file.
        #[arg(long, default_value = "./central.db", env = "CENTRAL_DB")]
        db: PathBuf,
    },
}

#[derive(Debug, Clone, Copy, ValueEnum)]
enum ExportWhat {
    /// Every ticket issued that day.
    Tickets,
    /// Every call to a window that day.
    Calls,
    /// Waiting and service times per service and per window.
    Stats,
}

#[derive(Debug, Clone, Copy, ValueEnum)]
enum FormatArg {
    /// JSON.
    Json,
    /// CSV with a header row.
    Csv,
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    tracing_subscriber::fmt()
        .with_env_filter(tracing_subscriber::EnvFilter::try_from_default_env().unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("info")))
        .with_writer(std::io::stderr)
        .init();
    match run(cli) {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("error: {e:#}");
            ExitCode::FAILURE
        }
    }
}

fn load_catalogue(central: &Central, file: &Path) -> anyhow::Result<()> {
    let text = std::fs::read_to_string(file).with_context(|| format!("cannot read the catalogue file {}", file.display()))?;
    let catalogue = central::parse_catalogue_toml(&text).with_context(|| format!("in {}", file.display()))?;
    let report = central.load_catalogue(&catalogue).with_context(|| format!("cannot load {}", file.display()))?;
    tracing::info!(
        file = %file.display(),
        halls = report.halls,
        services = report.services,
        windows = report.windows,
        devices = report.devices,
        unchanged = report.unchanged,
        "catalogue loaded"
    );
    Ok(())
}

fn run(cli: Cli) -> anyhow::Result<()> {
    match cli.command {
        Command::Serve { db, listen, catalogue, call_max_age, max_lease, id_key_file, utc_offset, rollover } => {
            let mut config = CentralConfig { call_max_age: Duration::from_secs(call_max_age), max_lease, utc_offset, rollover, ..CentralConfig::default() };
            if let Some(path) = id_key_file {
                let key = std::fs::read(&path).with_context(|| format!("cannot read the ID digest key file {}", path.display()))?;
                if key.len() < 16 {
                    bail!("the ID digest key in {} is {} bytes; use at least 16 random bytes", path.display(), key.len());
                }
                config.id_digest_key = Some(key);
            }
            let central = Central::open(&db, config).with_context(|| format!("cannot open {}", db.display()))?;
            if let Some(file) = catalogue {
                load_catalogue(&central, &file)?;
            }
            let runtime = tokio::runtime::Builder::new_multi_thread().enable_all().build().context("cannot start the async runtime")?;
            runtime.block_on(async move {
                let listener = tokio::net::TcpListener::bind(listen).await.with_context(|| format!("cannot listen on {listen}"))?;
                tracing::info!(%listen, db = %db.display(), "central serving; stop with Ctrl-C or SIGTERM");
                central::serve(listener, central, shutdown_signal()).await.context("server failed")?;
                tracing::info!("central stopped");
                Ok(())
            })
        }
        Command::Catalogue { command: CatalogueCommand::Load { file, db } } => {
            let central = Central::open(&db, CentralConfig::default()).with_context(|| format!("cannot open {}", db.display()))?;
            load_catalogue(&central, &file)
        }
        Command::Export { what, date, hall, format, db } => {
            if !db.exists() {
                bail!("no database at {}; give the path of central's database with --db", db.display());
            }
            let mut store = SqliteStore::open_read_only(&db).with_context(|| format!("cannot open {}", db.display()))?;
            let tx = store.read()?;
            let format = match format {
                FormatArg::Json => Format::Json,
                FormatArg::Csv => Format::Csv,
            };
            let mut out = std::io::stdout().lock();
            match what {
                ExportWhat::Tickets => export::tickets(&mut out, &tx.tickets(date, hall.as_ref())?, format)?,
                ExportWhat::Calls => export::calls(&mut out, &tx.calls(date, hall.as_ref())?, format)?,
                ExportWhat::Stats => export::stats(&mut out, &central::day_stats(&*tx, date, hall.as_ref())?, format)?,
            }
            Ok(())
        }
    }
}

fn parse_offset(s: &str) -> Result<FixedOffset, String> {
    s.parse().map_err(|_| format!("{s:?} is not a UTC offset; write it like +08:00"))
}

fn parse_rollover(s: &str) -> Result<NaiveTime, String> {
    NaiveTime::parse_from_str(s, "%H:%M").map_err(|_| format!("{s:?} is not a time of day; write it like 04:00"))
}

/// Resolves on SIGINT (Ctrl-C) or SIGTERM.
async fn shutdown_signal() {
    let ctrl_c = async {
        if let Err(e) = tokio::signal::ctrl_c().await {
            tracing::error!(error = %e, "cannot listen for Ctrl-C");
            std::future::pending::<()>().await;
        }
    };
    #[cfg(unix)]
    let term = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut s) => {
                s.recv().await;
            }
            Err(e) => {
                tracing::error!(error = %e, "cannot listen for SIGTERM");
                std::future::pending::<()>().await;
            }
        }
    };
    #[cfg(not(unix))]
    let term = std::future::pending::<()>();
    tokio::select! {
        () = ctrl_c => tracing::info!("SIGINT: shutting down"),
        () = term => tracing::info!("SIGTERM: shutting down"),
    }
}
