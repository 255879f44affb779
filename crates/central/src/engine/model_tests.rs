//! Property tests: the engine against a plain reference model of docs/queue-rules.md.
//!
//! The model keeps every ticket in one `Vec` and, whenever it needs a queue, filters and sorts the
//! whole list by the rules. It is slow and obviously right; the engine is indexed and must agree
//! with it after every step of random days: random services, profiles, priorities, issue keys
//! (from several devices, arriving out of order), duplicate ids, unknown windows and services, a
//! wall clock that sometimes steps back, and business days that close (or fail to: not later).

use std::collections::{BTreeMap, BTreeSet};

use chrono::{DateTime, NaiveDate, TimeZone, Utc};
use hall_protocol::feed::WindowStatus;
use hall_protocol::{CounterAction, DeviceId, HallId, Hlc, IssueKey, Priority, ServiceCode, TicketId, TicketNumber, Window, WindowNo};
use proptest::prelude::*;
use proptest::test_runner::TestCaseError;

use super::*;

const SERVICES: [&str; 3] = ["a", "b", "c"];
/// Known to nobody: enqueues and transfers to it must be refused.
const UNKNOWN_SERVICE: &str = "zz";
const DEVICES: [&str; 3] = ["kiosk-1", "kiosk-2", "kiosk-3"];
const WINDOWS: WindowNo = 4;

fn svc(s: &str) -> ServiceCode {
    ServiceCode::new(s).unwrap()
}

fn at(ms: i64) -> DateTime<Utc> {
    Utc.timestamp_millis_opt(1_800_000_000_000 + ms).unwrap()
}

// ----- the reference model -----

#[derive(Debug, Clone, PartialEq, Eq)]
enum Where {
    Waiting,
    At(WindowNo),
    Finished,
    NoShow,
}

#[derive(Debug, Clone)]
struct ModelTicket {
    id: TicketId,
    number: TicketNumber,
    service: ServiceCode,
    priority: Priority,
    key: IssueKey,
    at: Where,
    skips: u32,
    /// Sorts the ticket within its class: `(issue key, 0)` normally, `(anchor's key, pin)` after a
    /// skip.
    place: (IssueKey, u64),
}

#[derive(Debug, Clone)]
struct ModelWindow {
    no: WindowNo,
    profile: Vec<ServiceCode>,
    paused: bool,
    /// Ticket, called at, recalls.
    current: Option<(TicketId, DateTime<Utc>, u32)>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Refusal {
    UnknownWindow,
    UnknownService,
    Duplicate,
    NoCurrent,
    Paused,
    SameService,
    DayNotLater,
}

fn refusal_of(e: &EngineError) -> Option<Refusal> {
    Some(match e {
        EngineError::UnknownWindow(_) => Refusal::UnknownWindow,
        EngineError::UnknownService(_) => Refusal::UnknownService,
        EngineError::DuplicateTicket(_) => Refusal::Duplicate,
        EngineError::NoCurrentTicket(_) => Refusal::NoCurrent,
        EngineError::WindowPaused(_) => Refusal::Paused,
        EngineError::TransferToSameService { .. } => Refusal::SameService,
        EngineError::DayNotLater { .. } => Refusal::DayNotLater,
        _ => return None,
    })
}

struct Model {
    config: EngineConfig,
    day: Option<NaiveDate>,
    services: Vec<ServiceCode>,
    windows: Vec<ModelWindow>,
    tickets: Vec<ModelTicket>,
    next_pin: u64,
}

impl Model {
    /// Waiting tickets of a service in call order: priority first, then by place, then by id.
    fn queue(&self, service: &ServiceCode) -> Vec<&ModelTicket> {
        let mut q: Vec<&ModelTicket> = self.tickets.iter().filter(|t| t.at == Where::Waiting && &t.service == service).collect();
        q.sort_by(|x, y| (x.priority == Priority::Normal, &x.place, &x.id).cmp(&(y.priority == Priority::Normal, &y.place, &y.id)));
        q
    }

    fn ticket_mut(&mut self, id: &TicketId) -> &mut ModelTicket {
        self.tickets.iter_mut().find(|t| &t.id == id).unwrap()
    }

    fn enqueue(&mut self, t: &NewTicket) -> Result<Vec<EngineEvent>, Refusal> {
        if self.tickets.iter().any(|m| m.id == t.id) {
            return Err(Refusal::Duplicate);
        }
        if !self.services.contains(&t.service) {
            return Err(Refusal::UnknownService);
        }
        self.tickets.push(ModelTicket {
            id: t.id.clone(),
            number: t.number,
            service: t.service.clone(),
            priority: t.priority,
            key: t.key.clone(),
            at: Where::Waiting,
            skips: 0,
            place: (t.key.clone(), 0),
        });
        Ok(vec![EngineEvent::Queued { ticket: t.id.clone(), service: t.service.clone() }])
    }

    /// Closes the day: tickets at windows (by window) and then waiting ones (by service, in call
    /// order) expire, every window is idle and open, and the day's tickets are forgotten.
    fn close_day(&mut self, next: NaiveDate) -> Result<Vec<EngineEvent>, Refusal> {
        if self.day.is_some_and(|d| next <= d) {
            return Err(Refusal::DayNotLater);
        }
        let mut events = Vec::new();
        for w in &mut self.windows {
            w.paused = false;
            if let Some((id, _, _)) = w.current.take() {
                events.push(EngineEvent::Expired { ticket: id, window: Some(w.no) });
            }
        }
        for s in &self.services {
            events.extend(self.queue(s).into_iter().map(|t| EngineEvent::Expired { ticket: t.id.clone(), window: None }));
        }
        self.tickets.clear();
        self.day = Some(next);
        Ok(events)
    }

    /// Applies an action; returns the ticket events (not the trailing length/state ones).
    fn act(&mut self, no: WindowNo, action: &CounterAction, now: DateTime<Utc>) -> Result<Vec<EngineEvent>, Refusal> {
        let w = self.windows.iter().position(|w| w.no == no).ok_or(Refusal::UnknownWindow)?;
        let mut events = Vec::new();
        match action {
            CounterAction::CallNext => {
                if self.windows[w].paused {
                    return Err(Refusal::Paused);
                }
                if let Some((id, called_at, _)) = self.windows[w].current.take() {
                    self.ticket_mut(&id).at = Where::Finished;
                    events.push(EngineEvent::Finished { ticket: id, window: no, called_at, finished_at: now.max(called_at) });
                }
                let profile = self.windows[w].profile.clone();
                let next = profile.iter().find_map(|s| self.queue(s).first().map(|t| t.id.clone()));
                if let Some(id) = next {
                    let t = self.ticket_mut(&id);
                    t.at = Where::At(no);
                    let (number, service) = (t.number, t.service.clone());
                    self.windows[w].current = Some((id.clone(), now, 0));
                    events.push(EngineEvent::Called { ticket: id, number, service, window: no, recall: 0, at: now });
                }
            }
            CounterAction::Recall => {
                let (id, _, recalls) = self.windows[w].current.as_mut().ok_or(Refusal::NoCurrent)?;
                *recalls += 1;
                let (id, recall) = (id.clone(), *recalls);
                let t = self.ticket_mut(&id);
                events.push(EngineEvent::Called { ticket: id, number: t.number, service: t.service.clone(), window: no, recall, at: now });
            }
            CounterAction::Skip => {
                let (id, _, _) = self.windows[w].current.take().ok_or(Refusal::NoCurrent)?;
                let t = self.tickets.iter().find(|t| t.id == id).unwrap().clone();
                let requeued = t.skips < self.config.max_skips;
                let place = if requeued {
                    let is_normal = t.priority == Priority::Normal;
                    let class: Vec<_> = self.queue(&t.service).into_iter().filter(|o| (o.priority == Priority::Normal) == is_normal).collect();
                    let behind = self.config.requeue_after.min(class.len());
                    let own = (t.key.clone(), 0);
                    let key = if behind > 0 && class[behind - 1].place > own { class[behind - 1].place.0.clone() } else { t.key.clone() };
                    self.next_pin += 1;
                    Some((key, self.next_pin))
                } else {
                    None
                };
                let m = self.ticket_mut(&id);
                m.skips += 1;
                match place {
                    Some(place) => {
                        m.place = place;
                        m.at = Where::Waiting;
                    }
                    None => m.at = Where::NoShow,
                }
                events.push(EngineEvent::Skipped { ticket: id, window: no, requeued });
            }
            CounterAction::Finish => {
                let (id, called_at, _) = self.windows[w].current.take().ok_or(Refusal::NoCurrent)?;
                self.ticket_mut(&id).at = Where::Finished;
                events.push(EngineEvent::Finished { ticket: id, window: no, called_at, finished_at: now.max(called_at) });
            }
            CounterAction::Pause => self.windows[w].paused = true,
            CounterAction::Resume => self.windows[w].paused = false,
            CounterAction::Transfer { to } => {
                let (id, _, _) = self.windows[w].current.clone().ok_or(Refusal::NoCurrent)?;
                if !self.services.contains(to) {
                    return Err(Refusal::UnknownService);
                }
                let t = self.ticket_mut(&id);
                if &t.service == to {
                    return Err(Refusal::SameService);
                }
                let from = std::mem::replace(&mut t.service, to.clone());
                t.place = (t.key.clone(), 0);
                t.at = Where::Waiting;
                self.windows[w].current = None;
                events.push(EngineEvent::Transferred { ticket: id, from, to: to.clone() });
            }
            other => panic!("the model does not know {other:?}"),
        }
        Ok(events)
    }
}

// ----- comparing the two -----

fn is_trailing(e: &EngineEvent) -> bool {
    matches!(e, EngineEvent::QueueLength { .. } | EngineEvent::WindowState { .. })
}

/// What boards see: waiting counts per service, and state and ticket per window.
type Snapshot = (BTreeMap<ServiceCode, usize>, BTreeMap<WindowNo, (WindowStatus, Option<TicketId>)>);

fn snapshot(e: &QueueEngine) -> Snapshot {
    let queues = SERVICES.iter().map(|s| (svc(s), e.waiting(&svc(s)))).collect();
    let windows = e.windows().into_iter().map(|w| (w.no, (w.state, w.current))).collect();
    (queues, windows)
}

fn compare(e: &QueueEngine, m: &Model) -> Result<(), TestCaseError> {
    for s in &m.services {
        let expected: Vec<TicketId> = m.queue(s).into_iter().map(|t| t.id.clone()).collect();
        prop_assert_eq!(e.queue(s), expected.clone(), "call order of {}", s);
        prop_assert_eq!(e.waiting(s), expected.len());
    }
    let mut holders = BTreeSet::new();
    for w in &m.windows {
        let v = e.window(w.no).unwrap();
        prop_assert_eq!(v.current.as_ref(), w.current.as_ref().map(|c| &c.0), "ticket at window {}", w.no);
        prop_assert_eq!(v.called_at, w.current.as_ref().map(|c| c.1));
        prop_assert_eq!(v.recalls, w.current.as_ref().map_or(0, |c| c.2));
        prop_assert_eq!(v.paused, w.paused);
        let state = if w.paused {
            WindowStatus::Paused
        } else if w.current.is_some() {
            WindowStatus::Serving
        } else {
            WindowStatus::Idle
        };
        prop_assert_eq!(v.state, state);
        if let Some(t) = v.current {
            prop_assert!(holders.insert(t.clone()), "{} is current at two windows", t);
        }
    }
    for t in &m.tickets {
        let v = e.ticket(&t.id).unwrap();
        let status = match t.at {
            Where::Waiting => TicketStatus::Waiting,
            Where::At(window) => TicketStatus::Called { window },
            Where::Finished => TicketStatus::Finished,
            Where::NoShow => TicketStatus::NoShow,
        };
        prop_assert_eq!(v.status, status, "status of {}", t.id);
        prop_assert_eq!(&v.service, &t.service);
        prop_assert_eq!(v.skips, t.skips);
    }
    prop_assert_eq!(e.day(), m.day);
    let c = e.counts();
    prop_assert_eq!(c.enqueued, m.tickets.len());
    prop_assert_eq!(c.waiting + c.serving + c.finished + c.no_show, c.enqueued, "counts add up: {:?}", c);
    prop_assert_eq!(c.finished, m.tickets.iter().filter(|t| t.at == Where::Finished).count());
    prop_assert_eq!(c.no_show, m.tickets.iter().filter(|t| t.at == Where::NoShow).count());
    prop_assert_eq!(c.serving, holders.len());
    Ok(())
}

// ----- random days -----

#[derive(Debug, Clone)]
enum Step {
    Enqueue {
        device: usize,
        /// Reuse the device's first sequence number instead of a fresh one.
        duplicate: bool,
        /// Index into SERVICES, or SERVICES.len() for an unknown service.
        service: usize,
        priority: usize,
        wall_ms: u64,
        logical: u32,
    },
    Act {
        /// 1..=WINDOWS, or WINDOWS + 1 for an unknown window.
        window: WindowNo,
        action: usize,
        /// Transfer target: index into SERVICES, or SERVICES.len() for an unknown service.
        to: usize,
    },
    /// Close the day for the day `days` after the current one (0: the same day, refused once a
    /// day is open).
    CloseDay { days: u64 },
}

fn step() -> impl Strategy<Value = Step> {
    let enqueue =
        (0..DEVICES.len(), prop::bool::weighted(0.03), prop_oneof![30 => 0..SERVICES.len(), 1 => Just(SERVICES.len())], 0..4usize, 0u64..400, 0u32..2)
            .prop_map(|(device, duplicate, service, priority, wall_ms, logical)| Step::Enqueue { device, duplicate, service, priority, wall_ms, logical });
    let act = (prop_oneof![30 => 1..=WINDOWS, 1 => Just(WINDOWS + 1)], 0..7usize, 0..=SERVICES.len()).prop_map(|(window, action, to)| Step::Act {
        window,
        action,
        to,
    });
    let close = (0u64..3).prop_map(|days| Step::CloseDay { days });
    prop_oneof![40 => enqueue, 60 => act, 1 => close]
}

fn profile() -> impl Strategy<Value = Vec<ServiceCode>> {
    (Just(SERVICES.to_vec()).prop_shuffle(), 0..=SERVICES.len()).prop_map(|(order, n)| order[..n].iter().map(|s| svc(s)).collect())
}

fn service_at(i: usize) -> ServiceCode {
    svc(SERVICES.get(i).copied().unwrap_or(UNKNOWN_SERVICE))
}

fn run_day(config: EngineConfig, profiles: Vec<Vec<ServiceCode>>, steps: Vec<(Step, i64)>) -> Result<(), TestCaseError> {
    let hall = HallId::new("xuhui").unwrap();
    let mut engine = QueueEngine::new(hall.clone(), config);
    let mut model = Model { config, day: None, services: SERVICES.iter().map(|s| svc(s)).collect(), windows: Vec::new(), tickets: Vec::new(), next_pin: 0 };
    for s in SERVICES {
        engine.upsert_service(svc(s));
    }
    for (i, profile) in profiles.into_iter().enumerate() {
        let no = i as WindowNo + 1;
        engine.upsert_window(&Window { hall: hall.clone(), no, name: format!("{no}号窗口"), profile: profile.clone() }).unwrap();
        model.windows.push(ModelWindow { no, profile, paused: false, current: None });
    }
    let mut next_seq = [1u64; DEVICES.len()];
    // Each device's first ticket of the day, for duplicates (central never enqueues a ticket of a
    // closed day again, so neither does this test).
    let mut first_seq_today: [Option<u64>; DEVICES.len()] = [None; DEVICES.len()];
    // First calls of each ticket, and how many times it was legitimately put back in a queue.
    let mut first_calls: BTreeMap<TicketId, u32> = BTreeMap::new();
    let mut returns: BTreeMap<TicketId, u32> = BTreeMap::new();
    // Tickets of closed days: never called again.
    let mut expired: BTreeSet<TicketId> = BTreeSet::new();
    let mut clock = 0i64;

    for (step, jitter) in steps {
        // Time mostly moves on, but sometimes steps back a little (an NTP correction).
        clock += 1_000;
        let now = at(clock + jitter);
        let before = snapshot(&engine);
        let queues_before: BTreeMap<ServiceCode, Vec<TicketId>> = model.services.iter().map(|s| (s.clone(), engine.queue(s))).collect();
        let (got, expected) = match &step {
            Step::Enqueue { device, duplicate, service, priority, wall_ms, logical } => {
                let seq = match (*duplicate, first_seq_today[*device]) {
                    (true, Some(seq)) => seq,
                    _ => {
                        let seq = next_seq[*device];
                        next_seq[*device] += 1;
                        first_seq_today[*device].get_or_insert(seq);
                        seq
                    }
                };
                let device_id = DeviceId::new(DEVICES[*device]).unwrap();
                let t = NewTicket {
                    id: TicketId::new(device_id.clone(), seq),
                    number: TicketNumber::Leased { prefix: 'A', n: model.tickets.len() as u32 + 1 },
                    service: service_at(*service),
                    priority: [Priority::Normal, Priority::Elderly, Priority::Disabled, Priority::Appointment][*priority],
                    key: IssueKey { hlc: Hlc::new(*wall_ms, *logical), device: device_id },
                    issued_at: now,
                };
                (engine.enqueue(t.clone()), model.enqueue(&t))
            }
            Step::Act { window, action, to } => {
                let action = match action {
                    0 | 1 => CounterAction::CallNext,
                    2 => CounterAction::Recall,
                    3 => CounterAction::Skip,
                    4 => CounterAction::Finish,
                    5 => {
                        if *to == 0 {
                            CounterAction::Resume
                        } else {
                            CounterAction::Pause
                        }
                    }
                    _ => CounterAction::Transfer { to: service_at(*to) },
                };
                (engine.act(*window, &action, now), model.act(*window, &action, now))
            }
            Step::CloseDay { days } => {
                let base = NaiveDate::from_ymd_opt(2026, 11, 24).unwrap();
                let next = model.day.unwrap_or(base) + chrono::Days::new(*days);
                (engine.close_day(next), model.close_day(next))
            }
        };
        match (&got, &expected) {
            (Err(e), Err(r)) => {
                prop_assert_eq!(refusal_of(e), Some(*r), "{:?}", step);
                prop_assert_eq!(snapshot(&engine), before, "a refused input changed something");
            }
            (Ok(events), Ok(ticket_events)) => {
                let got_ticket_events: Vec<_> = events.iter().filter(|e| !is_trailing(e)).cloned().collect();
                prop_assert_eq!(&got_ticket_events, ticket_events, "{:?}", step);
                // Trailing events: exactly one per service whose waiting count changed and per
                // window whose state or ticket changed, each with the new value, in that order.
                let after = snapshot(&engine);
                let trailing: Vec<_> = events.iter().skip_while(|e| !is_trailing(e)).cloned().collect();
                prop_assert!(trailing.iter().all(is_trailing), "length/state events come last: {:?}", events);
                let mut expected_trailing = Vec::new();
                for (s, n) in &after.0 {
                    if before.0.get(s) != Some(n) {
                        expected_trailing.push(EngineEvent::QueueLength { service: s.clone(), waiting: *n as u32 });
                    }
                }
                for (no, (state, current)) in &after.1 {
                    if before.1.get(no) != Some(&(*state, current.clone())) {
                        expected_trailing.push(EngineEvent::WindowState { window: *no, state: *state, current: current.clone() });
                    }
                }
                prop_assert_eq!(trailing, expected_trailing, "{:?}", step);
                if let Step::CloseDay { .. } = step {
                    first_seq_today = [None; DEVICES.len()];
                    first_calls.clear();
                    returns.clear();
                    // A closed engine is a new engine with the same services, profiles and day:
                    // central replays its log from the last close on that basis.
                    let mut fresh = QueueEngine::new(hall.clone(), config);
                    fresh.close_day(engine.day().unwrap()).unwrap();
                    for s in engine.services() {
                        fresh.upsert_service(s);
                    }
                    for w in engine.windows() {
                        fresh.upsert_window(&Window { hall: hall.clone(), no: w.no, name: String::new(), profile: w.profile }).unwrap();
                    }
                    prop_assert!(fresh == engine, "a closed engine differs from a new one with its services and windows");
                }
                for e in events {
                    match e {
                        EngineEvent::Expired { ticket, .. } => {
                            prop_assert!(expired.insert(ticket.clone()), "{} expired twice", ticket);
                        }
                        EngineEvent::Called { ticket, .. } if expired.contains(ticket) => {
                            prop_assert!(false, "{} was called after its day closed", ticket);
                        }
                        EngineEvent::Called { ticket, service, window, recall: 0, .. } => {
                            // Called only from the head of the first non-empty queue of the profile.
                            let profile = &model.windows.iter().find(|w| w.no == *window).unwrap().profile;
                            let first = profile.iter().find(|s| !queues_before[*s].is_empty());
                            prop_assert_eq!(first, Some(service));
                            prop_assert_eq!(queues_before[service].first(), Some(ticket));
                            let calls = first_calls.entry(ticket.clone()).or_default();
                            *calls += 1;
                            prop_assert!(*calls <= 1 + returns.get(ticket).copied().unwrap_or(0), "{} called again without being put back", ticket);
                            // Priorities respected: an ordinary ticket is called only when no
                            // priority ticket waits for that service.
                            let called = engine.ticket(ticket).unwrap();
                            if !called.priority.is_priority() {
                                let waiting_priority = queues_before[service].iter().any(|t| engine.ticket(t).unwrap().priority.is_priority());
                                prop_assert!(!waiting_priority, "{} called ahead of a priority ticket", ticket);
                            }
                        }
                        EngineEvent::Skipped { ticket, requeued: true, .. } | EngineEvent::Transferred { ticket, .. } => {
                            *returns.entry(ticket.clone()).or_default() += 1;
                        }
                        _ => {}
                    }
                }
            }
            _ => prop_assert!(false, "engine {:?} but model {:?} for {:?}", got, expected, step),
        }
        compare(&engine, &model)?;
    }
    // Whatever happened, finished and no-show tickets are out of every queue and window.
    for t in model.tickets.iter().filter(|t| matches!(t.at, Where::Finished | Where::NoShow)) {
        prop_assert!(engine.position(&t.id).is_none());
        prop_assert!(engine.windows().iter().all(|w| w.current.as_ref() != Some(&t.id)));
    }
    Ok(())
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 256, ..ProptestConfig::default() })]

    #[test]
    fn engine_agrees_with_the_reference_model(
        requeue_after in 0usize..5,
        max_skips in 0u32..3,
        profiles in prop::collection::vec(profile(), WINDOWS as usize),
        steps in prop::collection::vec((step(), -1_500i64..500), 1..200),
    ) {
        run_day(EngineConfig { requeue_after, max_skips }, profiles, steps)?;
    }
}

/// Transfers keep issue order: however tickets move between services, each queue stays sorted by
/// (class, issue key) as long as nobody was skipped.
#[test]
fn transfers_keep_issue_order() {
    let config = ProptestConfig { cases: 128, ..ProptestConfig::default() };
    let strategy = (
        prop::collection::vec(profile(), WINDOWS as usize),
        prop::collection::vec(step().prop_filter("no skips", |s| !matches!(s, Step::Act { action: 3, .. })), 1..150),
    );
    proptest::test_runner::TestRunner::new(config)
        .run(&strategy, |(profiles, steps)| {
            let hall = HallId::new("xuhui").unwrap();
            let mut e = QueueEngine::new(hall.clone(), EngineConfig::default());
            for s in SERVICES {
                e.upsert_service(svc(s));
            }
            for (i, profile) in profiles.into_iter().enumerate() {
                e.upsert_window(&Window { hall: hall.clone(), no: i as WindowNo + 1, name: String::new(), profile }).unwrap();
            }
            let mut seq = 0;
            for (i, step) in steps.into_iter().enumerate() {
                let now = at(i as i64 * 1_000);
                match step {
                    Step::Enqueue { device, service, priority, wall_ms, logical, .. } => {
                        seq += 1;
                        let device_id = DeviceId::new(DEVICES[device]).unwrap();
                        let _ = e.enqueue(NewTicket {
                            id: TicketId::new(device_id.clone(), seq),
                            number: TicketNumber::Leased { prefix: 'A', n: seq as u32 },
                            service: service_at(service),
                            priority: [Priority::Normal, Priority::Elderly, Priority::Disabled, Priority::Appointment][priority],
                            key: IssueKey { hlc: Hlc::new(wall_ms, logical), device: device_id },
                            issued_at: now,
                        });
                    }
                    Step::CloseDay { .. } => {}
                    Step::Act { window, action, to } => {
                        let action = match action {
                            0..=3 => CounterAction::CallNext,
                            4 => CounterAction::Finish,
                            _ => CounterAction::Transfer { to: service_at(to) },
                        };
                        let _ = e.act(window, &action, now);
                    }
                }
                for s in SERVICES {
                    let keys: Vec<_> = e
                        .queue(&svc(s))
                        .iter()
                        .map(|id| {
                            let t = e.ticket(id).unwrap();
                            (!t.priority.is_priority(), t.key, t.id)
                        })
                        .collect();
                    prop_assert!(keys.windows(2).all(|w| w[0] < w[1]), "queue {} out of issue order: {:?}", s, keys);
                }
            }
            Ok(())
        })
        .unwrap();
}
