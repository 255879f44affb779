//! The demo's hall: central running in process on loopback, its appointments, and the tallies the
//! simulation keeps.

use std::collections::HashMap;
use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use anyhow::{Context, Result};
use chrono::{DateTime, NaiveDate, Utc};
use hall_protocol::stats::DayStats;
use hall_protocol::{Catalogue, HallId, ServiceCode};

use crate::clock::SharedClock;

/// What the board shows.
#[derive(Debug, Default)]
pub struct BoardView {
    /// Calls and recalls received on the push stream.
    pub calls: u64,
    /// The newest call's text.
    pub last: String,
}

/// What the simulated staff and citizens did.
#[derive(Debug, Default)]
pub struct Tally {
    pub issued: u64,
    pub fallback: u64,
    pub calls: u64,
    pub recalls: u64,
    pub skips: u64,
    pub transfers: u64,
    pub finished: u64,
    pub ratings: u64,
    pub pauses: u64,
    pub sync_failures: u64,
    pub printed: u64,
    pub not_printed: u64,
    pub reprinted: u64,
}

/// Central, in process.
pub struct DemoCentral {
    pub addr: SocketAddr,
    central: Arc<central::Central>,
    stop: Option<tokio::sync::oneshot::Sender<()>>,
    task: Option<tokio::task::JoinHandle<std::io::Result<()>>>,
}

/// Starts central on a loopback port with `catalogue`, on `clock`.
pub async fn central_on(dir: &Path, clock: SharedClock, catalogue: &Catalogue) -> Result<DemoCentral> {
    let config = central::CentralConfig { clock, ..Default::default() };
    let central = central::Central::open(&dir.join("central.db"), config).context("opening central's database")?;
    central.load_catalogue(catalogue).context("loading the demo catalogue into central")?;
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.context("binding central to loopback")?;
    let addr = listener.local_addr()?;
    let (tx, rx) = tokio::sync::oneshot::channel();
    let task = tokio::spawn(central::serve(listener, central.clone(), async move {
        let _ = rx.await;
    }));
    Ok(DemoCentral { addr, central, stop: Some(tx), task: Some(task) })
}

impl DemoCentral {
    /// Tickets waiting in the hall, all services.
    pub fn waiting(&self, hall: &HallId) -> usize {
        self.central.queue(hall).map(|q| q.services.iter().map(|s| s.waiting.len()).sum()).unwrap_or(0)
    }

    /// Calls made today (first calls and recalls), as central recorded them.
    pub fn calls_today(&self, hall: &HallId, day: NaiveDate) -> Result<u64> {
        Ok(self.central.calls(day, Some(hall))?.iter().map(|c| 1 + u64::from(c.recalls)).sum())
    }

    /// The day's statistics.
    pub fn stats(&self, hall: &HallId, day: NaiveDate) -> Result<DayStats> {
        Ok(self.central.stats(day, Some(hall))?)
    }

    /// The day's tickets.
    pub fn tickets(&self, hall: &HallId, day: NaiveDate) -> Result<Vec<central::records::Ticket>> {
        Ok(self.central.tickets(day, Some(hall))?)
    }

    /// Service names by code.
    pub fn service_names(&self, hall: &HallId) -> Result<HashMap<ServiceCode, String>> {
        Ok(self.central.catalogue(Some(hall))?.services.into_iter().map(|s| (s.code, s.name)).collect())
    }

    /// Books an appointment.
    pub fn book(&self, appointment: &central::records::NewAppointment) -> Result<String> {
        Ok(self.central.add_appointment(appointment)?.id)
    }

    /// Stops the server.
    pub async fn stop(mut self) {
        if let Some(tx) = self.stop.take() {
            let _ = tx.send(());
        }
        if let Some(task) = self.task.take() {
            let _ = task.await;
        }
    }
}

/// Books `n` appointments spread over today's services; returns (booking code, service).
pub fn book_appointments(central: &DemoCentral, hall: &HallId, services: &[ServiceCode], day: NaiveDate, n: u32) -> Result<Vec<(String, ServiceCode)>> {
    let mut out = Vec::new();
    for i in 0..n {
        let service = services[i as usize % services.len()].clone();
        let slot = format!("{:02}:{:02}", 9 + (i * 7 / n.max(1)), (i * 37) % 60 / 15 * 15);
        // Made-up but valid-looking citizens: the demo never uses real people's data.
        let appt = central::records::NewAppointment {
            id: format!("YY{}-{:04}", day.format("%Y%m%d"), i + 1),
            hall: hall.clone(),
            service: service.clone(),
            day,
            slot,
            name: format!("测试{}", i + 1),
            id_number: demo_id_number(i),
        };
        out.push((central.book(&appt)?, service));
    }
    Ok(out)
}

/// A syntactically valid GB 11643 number for test person `i` (region 310104, born 1980).
fn demo_id_number(i: u32) -> String {
    let body = format!("310104198001{:02}{:03}", 1 + i % 28, 100 + i % 900);
    let weights = [7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2];
    let sum: u32 = body.bytes().zip(weights).map(|(b, w)| u32::from(b - b'0') * w).sum();
    let check = b"10X98765432"[(sum % 11) as usize] as char;
    format!("{body}{check}")
}

/// Hall-local clock time for progress lines.
pub fn local(t: DateTime<Utc>) -> String {
    t.with_timezone(&chrono::FixedOffset::east_opt(8 * 3600).expect("valid offset")).format("%H:%M").to_string()
}

/// A temporary folder removed on drop.
pub struct TempDir(pub PathBuf);

impl Drop for TempDir {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

/// Makes a temporary folder for the demo's databases.
pub fn tempdir() -> Result<TempDir> {
    let base = std::env::temp_dir().join(format!("hallkit-demo-{}", std::process::id()));
    std::fs::create_dir_all(&base).with_context(|| format!("creating {}", base.display()))?;
    Ok(TempDir(base))
}

#[cfg(test)]
mod tests {
    #[test]
    fn demo_id_numbers_carry_a_valid_check_digit() {
        // 11010519491231002X is the standard's published example; check the same algorithm.
        for i in 0..50 {
            let n = super::demo_id_number(i);
            assert_eq!(n.len(), 18);
        }
        let weights = [7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2];
        let body = "11010519491231002";
        let sum: u32 = body.bytes().zip(weights).map(|(b, w)| u32::from(b - b'0') * w).sum();
        assert_eq!(b"10X98765432"[(sum % 11) as usize] as char, 'X');
    }
}
