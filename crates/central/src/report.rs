//! Day reports and snapshots: tickets, calls and evaluations of a day, the day's statistics, and a
//! hall's queues as they are now.

use std::collections::{BTreeMap, BTreeSet};

use chrono::{DateTime, NaiveDate, Utc};
use hall_protocol::stats::{DayStats, ServiceStats, Summary, WindowStats};
use hall_protocol::{HallId, ServiceCode, TicketId, WindowNo};

use crate::central::Central;
use crate::error::CentralError;
use crate::records::{Call, CallEnd, Evaluation, QueueSnapshot, ServiceQueue, Ticket, TicketState, WaitingTicket, WindowSnapshot};
use crate::store::StoreRead;

impl Central {
    /// A day's tickets (all halls when `hall` is `None`), by issue time.
    pub fn tickets(&self, day: NaiveDate, hall: Option<&HallId>) -> Result<Vec<Ticket>, CentralError> {
        self.read(|tx| Ok(tx.tickets(day, hall)?))
    }

    /// A day's calls, by call time.
    pub fn calls(&self, day: NaiveDate, hall: Option<&HallId>) -> Result<Vec<Call>, CentralError> {
        self.read(|tx| Ok(tx.calls(day, hall)?))
    }

    /// A day's evaluations.
    pub fn evaluations(&self, day: NaiveDate, hall: Option<&HallId>) -> Result<Vec<Evaluation>, CentralError> {
        self.read(|tx| Ok(tx.evaluations(day, hall)?))
    }

    /// A hall's statistics for a day. `hall` may be omitted when central has exactly one hall.
    pub fn stats(&self, day: NaiveDate, hall: Option<&HallId>) -> Result<DayStats, CentralError> {
        self.read(|tx| day_stats(tx, day, hall))
    }

    /// A hall's queues (waiting tickets in call order) and windows as they are now.
    pub fn queue(&self, hall: &HallId) -> Result<QueueSnapshot, CentralError> {
        let known = self.read(|tx| Ok(tx.hall(hall)?.is_some()))?;
        if !known {
            return Err(CentralError::UnknownHall(hall.clone()));
        }
        self.with_engine(hall, |engine| {
            let Some(engine) = engine else {
                return QueueSnapshot { hall: hall.clone(), services: Vec::new(), windows: Vec::new() };
            };
            let services = engine
                .services()
                .into_iter()
                .map(|service| {
                    let waiting = engine
                        .queue(&service)
                        .into_iter()
                        .filter_map(|id| engine.ticket(&id))
                        .map(|t| WaitingTicket { ticket_id: t.id, number: t.number, priority: t.priority })
                        .collect();
                    ServiceQueue { service, waiting }
                })
                .collect();
            let windows = engine
                .windows()
                .into_iter()
                .map(|v| WindowSnapshot {
                    window: v.no,
                    state: v.state,
                    number: v.current.as_ref().and_then(|id| engine.ticket(id)).map(|t| t.number),
                    current: v.current,
                    called_at: v.called_at,
                    profile: v.profile,
                })
                .collect();
            QueueSnapshot { hall: hall.clone(), services, windows }
        })
    }
}

/// Seconds from `a` to `b`, never negative (clocks of kiosks and central may disagree a little).
fn secs(a: DateTime<Utc>, b: DateTime<Utc>) -> f64 {
    (b.signed_duration_since(a).num_milliseconds().max(0) as f64) / 1000.0
}

/// Which hall a stats request is about.
fn stats_hall(tx: &dyn StoreRead, hall: Option<&HallId>) -> Result<HallId, CentralError> {
    match hall {
        Some(h) => {
            if tx.hall(h)?.is_none() {
                return Err(CentralError::UnknownHall(h.clone()));
            }
            Ok(h.clone())
        }
        None => {
            let halls = tx.catalogue(None)?.halls;
            match halls.as_slice() {
                [only] => Ok(only.id.clone()),
                [] => Err(CentralError::NotFound("central has no halls yet; load a catalogue first".to_owned())),
                _ => Err(CentralError::Invalid("central has several halls; name one with hall=".to_owned())),
            }
        }
    }
}

/// Computes a hall's day statistics from its stored tickets, calls and evaluations.
///
/// - `issued`: tickets issued for the service, plus tickets transferred into it.
/// - `served` / `no_show`: calls in the service that ended served / dropped as a no-show.
/// - `waiting`: tickets still waiting in the service.
/// - `expired`: tickets of the service never called because their day closed (or they arrived
///   after it had): counted by the service they were in at the close, and not as no-shows.
/// - `wait`: issue → first call, counted once per ticket, for the service it was first called for.
/// - `service_time`: call → finish, per served call.
///
/// Per window: `served` and `service_time` the same way; `wait` is issue → the ticket's first call
/// at that window.
pub fn day_stats(tx: &dyn StoreRead, day: NaiveDate, hall: Option<&HallId>) -> Result<DayStats, CentralError> {
    let hall = stats_hall(tx, hall)?;
    let catalogue = tx.catalogue(Some(&hall))?;
    let tickets = tx.tickets(day, Some(&hall))?;
    let calls = tx.calls(day, Some(&hall))?;
    let evaluations = tx.evaluations(day, Some(&hall))?;
    Ok(compute(
        hall,
        day,
        &catalogue.services.iter().map(|s| s.code.clone()).collect::<Vec<_>>(),
        &catalogue.windows.iter().map(|w| w.no).collect::<Vec<_>>(),
        &tickets,
        &calls,
        &evaluations,
    ))
}

#[derive(Default)]
struct Tally {
    issued: u64,
    served: u64,
    no_show: u64,
    waiting: u64,
    expired: u64,
    wait: Vec<f64>,
    service_time: Vec<f64>,
}

fn compute(
    hall: HallId,
    day: NaiveDate,
    service_order: &[ServiceCode],
    window_order: &[WindowNo],
    tickets: &[Ticket],
    calls: &[Call],
    evaluations: &[Evaluation],
) -> DayStats {
    let mut services: BTreeMap<ServiceCode, Tally> = service_order.iter().map(|s| (s.clone(), Tally::default())).collect();
    let mut windows: BTreeMap<WindowNo, Tally> = window_order.iter().map(|w| (*w, Tally::default())).collect();
    let issued_at: BTreeMap<&TicketId, DateTime<Utc>> = tickets.iter().map(|t| (&t.ticket_id, t.issued_at)).collect();
    for t in tickets {
        services.entry(t.issued_service.clone()).or_default().issued += 1;
        match t.state {
            TicketState::Waiting => services.entry(t.service.clone()).or_default().waiting += 1,
            TicketState::Expired => services.entry(t.service.clone()).or_default().expired += 1,
            _ => {}
        }
    }
    // Calls come in call order, so the first seen per ticket is its first call.
    let mut first_call: BTreeSet<&TicketId> = BTreeSet::new();
    let mut first_at_window: BTreeSet<(&TicketId, WindowNo)> = BTreeSet::new();
    for c in calls {
        let issued = issued_at.get(&c.ticket_id).copied();
        if let Some(issued) = issued {
            if first_call.insert(&c.ticket_id) {
                services.entry(c.service.clone()).or_default().wait.push(secs(issued, c.called_at));
            }
            if first_at_window.insert((&c.ticket_id, c.window)) {
                windows.entry(c.window).or_default().wait.push(secs(issued, c.called_at));
            }
        }
        match c.outcome {
            Some(CallEnd::Served) => {
                let time = c.ended_at.map(|end| secs(c.called_at, end));
                let s = services.entry(c.service.clone()).or_default();
                s.served += 1;
                s.service_time.extend(time);
                let w = windows.entry(c.window).or_default();
                w.served += 1;
                w.service_time.extend(time);
            }
            Some(CallEnd::NoShow) => services.entry(c.service.clone()).or_default().no_show += 1,
            Some(CallEnd::Transferred) => {
                if let Some(to) = &c.transferred_to {
                    services.entry(to.clone()).or_default().issued += 1;
                }
            }
            // An expired ticket is counted once, from its state above.
            Some(CallEnd::Skipped | CallEnd::Expired) | None => {}
        }
    }
    // Catalogue order first (by prefix), then any service only the tickets know.
    let mut order: Vec<ServiceCode> = service_order.to_vec();
    order.extend(services.keys().filter(|s| !service_order.contains(s)).cloned().collect::<Vec<_>>());
    let services = order
        .into_iter()
        .filter_map(|code| {
            let t = services.remove(&code)?;
            Some(ServiceStats {
                service: code,
                issued: t.issued,
                served: t.served,
                no_show: t.no_show,
                waiting: t.waiting,
                expired: t.expired,
                wait: Summary::of(&t.wait),
                service_time: Summary::of(&t.service_time),
            })
        })
        .collect();
    let windows = windows
        .into_iter()
        .map(|(window, t)| WindowStats { window, served: t.served, wait: Summary::of(&t.wait), service_time: Summary::of(&t.service_time) })
        .collect();
    let mut counts = [0u64; 5];
    for e in evaluations {
        counts[usize::from(e.level.score()).clamp(1, 5) - 1] += 1;
    }
    DayStats { hall, day, services, windows, evaluations: counts }
}
