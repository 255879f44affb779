//! The queue engine: one per hall, sans-IO. Tickets and counter actions go in, with the clock passed
//! in by the caller; [`EngineEvent`]s come out for central to store and push. No I/O, no async, no
//! SQL, no hidden clock or randomness: the same inputs always give the same outputs, so central can
//! rebuild an engine after a restart by replaying what it stored, and tests can drive it directly.
//!
//! The rules (call order, skip re-queue, transfer, pause) are in `docs/queue-rules.md`; in short:
//! call-next takes the first service of the window's profile that has anyone waiting; within a
//! service, priority tickets go before ordinary ones, and each class is in issue order
//! ([`IssueKey`](hall_protocol::IssueKey): hybrid logical clock, then device), never in number order.
//!
//! Central serialises actions per hall (one engine behind one lock), and the engine keeps every
//! ticket in exactly one place — a queue, one window, or done — so a ticket is never current at two
//! windows.
//!
//! An engine holds one business day. [`QueueEngine::close_day`] ends it: tickets still waiting or
//! current at a window expire (they are never called), windows become idle and open, and the
//! engine forgets the day's tickets, keeping only its services and window profiles. So memory and
//! start-up replay are bounded by one day, not by the hall's whole history.

mod error;
mod event;
mod queue;
mod ticket;
mod window;

#[cfg(test)]
mod model_tests;
#[cfg(test)]
mod tests;

use std::collections::{BTreeMap, BTreeSet};

use chrono::{DateTime, NaiveDate, Utc};
use hall_protocol::{CounterAction, HallId, ServiceCode, TicketId, Window, WindowNo};
use serde::Serialize;

pub use error::EngineError;
pub use event::{EngineEvent, outcome};
pub use ticket::{NewTicket, TicketStatus, TicketView};
pub use window::WindowView;

use queue::{Entry, Place, ServiceQueue};
use ticket::TicketRecord;
use window::{CurrentCall, WindowRecord};

/// Tunable rules of one hall's engine.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, serde::Deserialize)]
#[serde(default)]
pub struct EngineConfig {
    /// A skipped ticket is put back behind this many waiting tickets of its class (behind all of
    /// them if fewer are waiting). Default 3.
    pub requeue_after: usize,
    /// A ticket skipped this many times before is dropped as a no-show on its next skip instead
    /// of being put back. Default 1: the first skip re-queues, the second drops. 0 drops at once.
    pub max_skips: u32,
}

impl Default for EngineConfig {
    fn default() -> Self {
        Self { requeue_after: 3, max_skips: 1 }
    }
}

/// How many of the current business day's tickets are where.
/// `waiting + serving + finished + no_show == enqueued` always.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize)]
pub struct TicketCounts {
    /// Tickets queued since the day began.
    pub enqueued: usize,
    /// Waiting in a queue.
    pub waiting: usize,
    /// Current at a window.
    pub serving: usize,
    /// Finished.
    pub finished: usize,
    /// Dropped as no-shows.
    pub no_show: usize,
}

/// One hall's queues and windows for one business day. See the [module docs](self).
///
/// Two engines compare equal when everything they would answer or do next is the same (central's
/// restart and rollback tests rely on that).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct QueueEngine {
    hall: HallId,
    config: EngineConfig,
    /// The business day the queues belong to; `None` until the first [`QueueEngine::close_day`].
    day: Option<NaiveDate>,
    queues: BTreeMap<ServiceCode, ServiceQueue>,
    windows: BTreeMap<WindowNo, WindowRecord>,
    tickets: BTreeMap<TicketId, TicketRecord>,
    /// Next pin for a re-queued ticket; strictly increasing so later pins sort later.
    next_pin: u64,
    finished: usize,
    no_show: usize,
}

/// Collects what one input changed, so the trailing `QueueLength` and `WindowState` events come
/// out once per service or window, in a deterministic order.
#[derive(Default)]
struct Changes {
    events: Vec<EngineEvent>,
    services: BTreeSet<ServiceCode>,
    windows: BTreeSet<WindowNo>,
}

impl QueueEngine {
    /// An engine for `hall` with no services, windows or tickets.
    pub fn new(hall: HallId, config: EngineConfig) -> Self {
        Self { hall, config, day: None, queues: BTreeMap::new(), windows: BTreeMap::new(), tickets: BTreeMap::new(), next_pin: 1, finished: 0, no_show: 0 }
    }

    /// The hall this engine runs.
    pub fn hall(&self) -> &HallId {
        &self.hall
    }

    /// The rules in force.
    pub fn config(&self) -> EngineConfig {
        self.config
    }

    /// The business day the queues belong to, or `None` if no day was started yet.
    pub fn day(&self) -> Option<NaiveDate> {
        self.day
    }

    /// Adds a service (idempotent). Services are never removed during a day: tickets may wait for
    /// them.
    pub fn upsert_service(&mut self, code: ServiceCode) {
        self.queues.entry(code).or_default();
    }

    /// Known services, by code.
    pub fn services(&self) -> Vec<ServiceCode> {
        self.queues.keys().cloned().collect()
    }

    /// Adds a window or changes its profile. The profile may only name known services, each once.
    /// A window that exists keeps its paused state and current ticket.
    pub fn upsert_window(&mut self, window: &Window) -> Result<(), EngineError> {
        if window.hall != self.hall {
            return Err(EngineError::WrongHall { expected: self.hall.clone(), got: window.hall.clone(), window: window.no });
        }
        let mut seen = BTreeSet::new();
        for service in &window.profile {
            if !self.queues.contains_key(service) {
                return Err(EngineError::UnknownService(service.clone()));
            }
            if !seen.insert(service) {
                return Err(EngineError::DuplicateProfileService { window: window.no, service: service.clone() });
            }
        }
        let record = self.windows.entry(window.no).or_insert_with(|| WindowRecord { profile: Vec::new(), paused: false, current: None });
        record.profile = window.profile.clone();
        Ok(())
    }

    /// Queues a newly issued ticket in its service at its issue key.
    pub fn enqueue(&mut self, t: NewTicket) -> Result<Vec<EngineEvent>, EngineError> {
        if self.tickets.contains_key(&t.id) {
            return Err(EngineError::DuplicateTicket(t.id));
        }
        if !self.queues.contains_key(&t.service) {
            return Err(EngineError::UnknownService(t.service));
        }
        let id = t.id.clone();
        let service = t.service.clone();
        let record = TicketRecord::new(t);
        let place = record.place.clone();
        let class = record.class();
        self.tickets.insert(id.clone(), record);
        let mut changes = Changes::default();
        self.push_waiting(&service, class, place, &id, &mut changes);
        changes.events.push(EngineEvent::Queued { ticket: id, service });
        Ok(self.close(changes))
    }

    /// Applies a counter action at a window at time `now`. A refused action changes nothing.
    pub fn act(&mut self, window: WindowNo, action: &CounterAction, now: DateTime<Utc>) -> Result<Vec<EngineEvent>, EngineError> {
        let record = self.windows.get(&window).ok_or(EngineError::UnknownWindow(window))?;
        let mut changes = Changes::default();
        match action {
            CounterAction::CallNext => {
                if record.paused {
                    return Err(EngineError::WindowPaused(window));
                }
                if record.current.is_some() {
                    self.finish_current(window, now, &mut changes);
                }
                self.call_next(window, now, &mut changes);
            }
            CounterAction::Recall => self.recall(window, now, &mut changes)?,
            CounterAction::Skip => self.skip(window, &mut changes)?,
            CounterAction::Finish => {
                if record.current.is_none() {
                    return Err(EngineError::NoCurrentTicket(window));
                }
                self.finish_current(window, now, &mut changes);
            }
            CounterAction::Pause => self.set_paused(window, true, &mut changes),
            CounterAction::Resume => self.set_paused(window, false, &mut changes),
            CounterAction::Transfer { to } => self.transfer(window, to, &mut changes)?,
            other => return Err(EngineError::UnsupportedAction(format!("{other:?}"))),
        }
        Ok(self.close(changes))
    }

    /// Ends the current business day and starts `next_day`, which must be later than the current
    /// day (any day when none was started yet).
    ///
    /// Every ticket current at a window and then every waiting ticket (by service code, in call
    /// order) yields an [`EngineEvent::Expired`]: nobody will call it. Windows become idle and
    /// open (paused windows are resumed: the next day starts with every window open), and the
    /// usual `QueueLength` / `WindowState` events follow. The engine then forgets the day's
    /// tickets: afterwards it equals a new engine given the same services and window profiles and
    /// this `close_day`, which is what lets central replay its log from the last closed day only.
    pub fn close_day(&mut self, next_day: NaiveDate) -> Result<Vec<EngineEvent>, EngineError> {
        if let Some(current) = self.day
            && next_day <= current
        {
            return Err(EngineError::DayNotLater { current, next: next_day });
        }
        let mut changes = Changes::default();
        let windows: Vec<WindowNo> = self.windows.keys().copied().collect();
        for no in windows {
            let Some(w) = self.windows.get_mut(&no) else { continue };
            if w.paused {
                w.paused = false;
                changes.windows.insert(no);
            }
            if let Some(current) = w.current.take() {
                changes.windows.insert(no);
                changes.events.push(EngineEvent::Expired { ticket: current.ticket, window: Some(no) });
            }
        }
        for (service, queue) in &mut self.queues {
            if queue.len() > 0 {
                changes.services.insert(service.clone());
            }
            while let Some(entry) = queue.pop_next() {
                changes.events.push(EngineEvent::Expired { ticket: entry.ticket, window: None });
            }
        }
        let expired = changes.events.len();
        self.tickets.clear();
        self.next_pin = 1;
        self.finished = 0;
        self.no_show = 0;
        self.day = Some(next_day);
        tracing::debug!(hall = %self.hall, %next_day, expired, "business day closed");
        Ok(self.close(changes))
    }

    /// Tickets waiting for a service (0 for an unknown service).
    pub fn waiting(&self, service: &ServiceCode) -> usize {
        self.queues.get(service).map_or(0, ServiceQueue::len)
    }

    /// The tickets waiting for a service, in the order they would be called.
    pub fn queue(&self, service: &ServiceCode) -> Vec<TicketId> {
        self.queues.get(service).map(|q| q.iter().map(|e| e.ticket.clone()).collect()).unwrap_or_default()
    }

    /// How many tickets wait ahead of this one in its queue, or `None` if it is not waiting.
    /// O(queue length): meant for a kiosk's "people ahead of you" answer, not for hot loops.
    pub fn position(&self, id: &TicketId) -> Option<usize> {
        let t = self.tickets.get(id)?;
        if t.status != TicketStatus::Waiting {
            return None;
        }
        self.queues.get(&t.service)?.iter().position(|e| &e.ticket == id)
    }

    /// One window's state.
    pub fn window(&self, no: WindowNo) -> Option<WindowView> {
        self.windows.get(&no).map(|w| w.view(no))
    }

    /// All windows, by number.
    pub fn windows(&self) -> Vec<WindowView> {
        self.windows.iter().map(|(no, w)| w.view(*no)).collect()
    }

    /// One ticket's state.
    pub fn ticket(&self, id: &TicketId) -> Option<TicketView> {
        self.tickets.get(id).map(|t| t.view(id))
    }

    /// How many tickets are where.
    pub fn counts(&self) -> TicketCounts {
        TicketCounts {
            enqueued: self.tickets.len(),
            waiting: self.queues.values().map(ServiceQueue::len).sum(),
            serving: self.windows.values().filter(|w| w.current.is_some()).count(),
            finished: self.finished,
            no_show: self.no_show,
        }
    }

    // ----- the actions -----

    fn push_waiting(&mut self, service: &ServiceCode, class: queue::Class, place: Place, id: &TicketId, changes: &mut Changes) {
        if let Some(q) = self.queues.get_mut(service) {
            q.insert(class, Entry { place, ticket: id.clone() });
            changes.services.insert(service.clone());
        }
    }

    /// Takes the current ticket off the window, leaving it idle (or paused).
    fn take_current(&mut self, window: WindowNo, changes: &mut Changes) -> Option<CurrentCall> {
        let current = self.windows.get_mut(&window)?.current.take()?;
        changes.windows.insert(window);
        Some(current)
    }

    fn finish_current(&mut self, window: WindowNo, now: DateTime<Utc>, changes: &mut Changes) {
        let Some(current) = self.take_current(window, changes) else { return };
        if let Some(t) = self.tickets.get_mut(&current.ticket) {
            t.status = TicketStatus::Finished;
        }
        self.finished += 1;
        // A wall clock stepped back must not record a negative service time.
        let finished_at = now.max(current.called_at);
        changes.events.push(EngineEvent::Finished { ticket: current.ticket, window, called_at: current.called_at, finished_at });
    }

    fn call_next(&mut self, window: WindowNo, now: DateTime<Utc>, changes: &mut Changes) {
        let Some(record) = self.windows.get(&window) else { return };
        let found = record.profile.iter().find_map(|s| {
            let q = self.queues.get(s)?;
            (q.len() > 0).then(|| s.clone())
        });
        let Some(service) = found else {
            tracing::debug!(window, "call next: nobody waiting for this window's services");
            return;
        };
        let Some(entry) = self.queues.get_mut(&service).and_then(ServiceQueue::pop_next) else { return };
        changes.services.insert(service.clone());
        let Some(t) = self.tickets.get_mut(&entry.ticket) else { return };
        t.status = TicketStatus::Called { window };
        changes.events.push(EngineEvent::Called { ticket: entry.ticket.clone(), number: t.number, service, window, recall: 0, at: now });
        if let Some(w) = self.windows.get_mut(&window) {
            w.current = Some(CurrentCall { ticket: entry.ticket, called_at: now, recalls: 0 });
            changes.windows.insert(window);
        }
    }

    fn recall(&mut self, window: WindowNo, now: DateTime<Utc>, changes: &mut Changes) -> Result<(), EngineError> {
        let current = self.windows.get_mut(&window).and_then(|w| w.current.as_mut()).ok_or(EngineError::NoCurrentTicket(window))?;
        let t = self.tickets.get(&current.ticket).ok_or(EngineError::NoCurrentTicket(window))?;
        current.recalls = current.recalls.saturating_add(1);
        changes.events.push(EngineEvent::Called {
            ticket: current.ticket.clone(),
            number: t.number,
            service: t.service.clone(),
            window,
            recall: current.recalls,
            at: now,
        });
        Ok(())
    }

    fn skip(&mut self, window: WindowNo, changes: &mut Changes) -> Result<(), EngineError> {
        let current = self.take_current(window, changes).ok_or(EngineError::NoCurrentTicket(window))?;
        let Some(t) = self.tickets.get_mut(&current.ticket) else { return Ok(()) };
        let requeued = t.skips < self.config.max_skips;
        t.skips = t.skips.saturating_add(1);
        if requeued {
            let class = t.class();
            let service = t.service.clone();
            let pin = self.next_pin;
            self.next_pin += 1;
            let place = match self.queues.get(&service) {
                Some(q) => q.requeue_place(class, &t.key, self.config.requeue_after, pin),
                None => Place::at_issue(&t.key),
            };
            t.status = TicketStatus::Waiting;
            t.place = place.clone();
            self.push_waiting(&service, class, place, &current.ticket, changes);
        } else {
            t.status = TicketStatus::NoShow;
            self.no_show += 1;
            tracing::debug!(window, ticket = %current.ticket, "skipped too often: dropped as a no-show");
        }
        changes.events.push(EngineEvent::Skipped { ticket: current.ticket, window, requeued });
        Ok(())
    }

    fn transfer(&mut self, window: WindowNo, to: &ServiceCode, changes: &mut Changes) -> Result<(), EngineError> {
        // Validate everything before changing anything: a refused action changes nothing.
        let ticket = self.windows.get(&window).and_then(|w| w.current.as_ref()).map(|c| c.ticket.clone()).ok_or(EngineError::NoCurrentTicket(window))?;
        if !self.queues.contains_key(to) {
            return Err(EngineError::UnknownService(to.clone()));
        }
        let t = self.tickets.get(&ticket).ok_or(EngineError::NoCurrentTicket(window))?;
        if &t.service == to {
            return Err(EngineError::TransferToSameService { ticket, service: to.clone() });
        }
        self.take_current(window, changes);
        let Some(t) = self.tickets.get_mut(&ticket) else { return Ok(()) };
        let from = std::mem::replace(&mut t.service, to.clone());
        // The original issue key, not a pinned skip place: a transfer is not a skip.
        let place = Place::at_issue(&t.key);
        let class = t.class();
        t.status = TicketStatus::Waiting;
        t.place = place.clone();
        self.push_waiting(to, class, place, &ticket, changes);
        changes.events.push(EngineEvent::Transferred { ticket, from, to: to.clone() });
        Ok(())
    }

    fn set_paused(&mut self, window: WindowNo, paused: bool, changes: &mut Changes) {
        let Some(w) = self.windows.get_mut(&window) else { return };
        if w.paused != paused {
            w.paused = paused;
            changes.windows.insert(window);
        }
    }

    /// Appends the trailing `QueueLength` and `WindowState` events.
    fn close(&self, changes: Changes) -> Vec<EngineEvent> {
        let Changes { mut events, services, windows } = changes;
        for service in services {
            let waiting = u32::try_from(self.waiting(&service)).unwrap_or(u32::MAX);
            events.push(EngineEvent::QueueLength { service, waiting });
        }
        for no in windows {
            if let Some(w) = self.windows.get(&no) {
                events.push(EngineEvent::WindowState { window: no, state: w.status(), current: w.current_ticket() });
            }
        }
        events
    }
}
