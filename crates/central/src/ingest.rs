//! Applying device event batches (`POST /v1/events`): each `(device_id, device_seq)` once, in
//! order, the whole batch in one transaction, with the outcome of each event stored so a replayed
//! event gets the same answer.

use std::collections::BTreeMap;

use chrono::{DateTime, Utc};
use hall_protocol::api::{EventResult, MAX_BATCH_EVENTS, PushAck, PushBatch};
use hall_protocol::{
    ChangeBody, CounterAction, Device, DeviceEvent, DeviceId, DeviceRole, EventBody, EventOutcome, HallId, ServiceCode, TicketId, TicketIssued, TicketNumber,
    WindowNo,
};

use crate::central::{Central, MAX_CLOCK_AHEAD, Writing};
use crate::engine::{self, EngineEvent, NewTicket};
use crate::engine_log::EngineInput;
use crate::error::CentralError;
use crate::records::{Call, CallEnd, Evaluation, Ticket, TicketState};
use crate::store::{StoreError, StoreRead};

/// Looks up a device that may talk to central: registered and not revoked.
pub(crate) fn active_device(tx: &dyn StoreRead, id: &DeviceId) -> Result<Device, CentralError> {
    match tx.device(id)? {
        None => Err(CentralError::UnknownDevice(id.clone())),
        Some(d) if d.revoked => Err(CentralError::DeviceRevoked(id.clone())),
        Some(d) => Ok(d),
    }
}

/// Checks that the caller named in the `x-hallkit-device` header is the device the body speaks for.
pub(crate) fn check_caller(caller: Option<&DeviceId>, claimed: &DeviceId) -> Result<(), CentralError> {
    match caller {
        None => Err(CentralError::DeviceMismatch(format!("send the header {}: {claimed} to say which device is calling", hall_protocol::api::DEVICE_HEADER))),
        Some(c) if c != claimed => Err(CentralError::DeviceMismatch(format!(
            "the {} header names {c}, but the body is from {claimed}; a device may only send its own data",
            hall_protocol::api::DEVICE_HEADER
        ))),
        Some(_) => Ok(()),
    }
}

fn rejected(reason: impl Into<String>) -> EventOutcome {
    EventOutcome::Rejected { reason: reason.into() }
}

/// Checks a batch's shape before touching storage.
fn check_batch(batch: &PushBatch) -> Result<(), CentralError> {
    if batch.events.len() > MAX_BATCH_EVENTS {
        return Err(CentralError::BatchTooLarge { max: MAX_BATCH_EVENTS, got: batch.events.len() });
    }
    let mut prev: Option<u64> = None;
    for e in &batch.events {
        if e.device_id != batch.device_id {
            return Err(CentralError::DeviceMismatch(format!(
                "event {} is from device {}, but the batch is from {}; push each device's events in its own batch",
                e.device_seq, e.device_id, batch.device_id
            )));
        }
        if e.device_seq == 0 || i64::try_from(e.device_seq).is_err() {
            return Err(CentralError::BatchOutOfOrder(format!("device_seq {} is out of range (1 to 2^63-1)", e.device_seq)));
        }
        if let Some(p) = prev
            && e.device_seq != p + 1
        {
            return Err(CentralError::BatchOutOfOrder(format!("device_seq {} follows {p}", e.device_seq)));
        }
        prev = Some(e.device_seq);
    }
    Ok(())
}

/// Collects queue lengths so a batch feeds one `queue_length` change per queue, not one per ticket.
#[derive(Default)]
pub(crate) struct QueueLengths(BTreeMap<(HallId, ServiceCode), u32>);

impl QueueLengths {
    /// Feeds one `queue_length` change per queue collected, with its last value.
    pub(crate) fn feed(self, w: &mut Writing<'_>) -> Result<(), CentralError> {
        for ((hall, service), waiting) in self.0 {
            w.feed(None, ChangeBody::QueueLength { hall, service, waiting })?;
        }
        Ok(())
    }
}

impl Central {
    /// Applies a batch of events from one device (`POST /v1/events`). `caller` is the device named
    /// by the request's `x-hallkit-device` header. Events at or below the device's high-water mark
    /// are not applied again: their stored outcome is returned with `duplicate: true`.
    pub fn push(&self, caller: Option<&DeviceId>, batch: &PushBatch) -> Result<PushAck, CentralError> {
        check_caller(caller, &batch.device_id)?;
        check_batch(batch)?;
        let server_hlc = self.hlc_observe(batch.events.iter().map(|e| e.hlc));
        let (high_water, results) = self.write(|w| {
            let device = active_device(&*w.tx, &batch.device_id)?;
            let hw = w.tx.high_water(&device.id)?;
            let mut results = Vec::with_capacity(batch.events.len());
            let (old, new): (Vec<&DeviceEvent>, Vec<&DeviceEvent>) = batch.events.iter().partition(|e| e.device_seq <= hw);
            if let (Some(first), Some(last)) = (old.first(), old.last()) {
                let stored: BTreeMap<u64, EventOutcome> = w.tx.outcomes(&device.id, first.device_seq, last.device_seq)?.into_iter().collect();
                for e in &old {
                    let outcome = stored
                        .get(&e.device_seq)
                        .cloned()
                        .unwrap_or_else(|| rejected(format!("event {} was applied before, but its outcome is no longer kept", e.device_seq)));
                    results.push(EventResult { device_seq: e.device_seq, duplicate: true, outcome });
                }
            }
            let Some(first_new) = new.first() else { return Ok((hw, results)) };
            if first_new.device_seq != hw + 1 {
                return Err(CentralError::SequenceGap { device: device.id.clone(), expected: hw + 1, got: first_new.device_seq });
            }
            let mut lengths = QueueLengths::default();
            for e in &new {
                let outcome = self.apply_event(w, &device, e, &mut lengths)?;
                if let EventOutcome::Rejected { reason } = &outcome {
                    tracing::info!(device = %device.id, seq = e.device_seq, kind = e.body.kind(), %reason, "event rejected");
                }
                let json = serde_json::to_string(e).map_err(|err| StoreError::Corrupt(format!("event {}: {err}", e.device_seq)))?;
                w.tx.record_event(&device.id, e.device_seq, e.body.kind(), &json, &outcome, w.now)?;
                results.push(EventResult { device_seq: e.device_seq, duplicate: false, outcome });
            }
            lengths.feed(w)?;
            let last = new.last().map_or(hw, |e| e.device_seq);
            w.tx.set_high_water(&device.id, last)?;
            Central::persist_hlc(w, server_hlc)?;
            Ok((last, results))
        })?;
        Ok(PushAck { high_water, results, server_hlc })
    }

    /// Applies one new event. `Ok(Rejected)` for anything wrong with the event itself; `Err` only
    /// when storage fails (the whole batch is then rolled back and may be retried).
    fn apply_event(&self, w: &mut Writing<'_>, device: &Device, e: &DeviceEvent, lengths: &mut QueueLengths) -> Result<EventOutcome, CentralError> {
        match &e.body {
            EventBody::TicketIssued(t) => self.ticket_issued(w, device, e, t, lengths),
            EventBody::CounterAction { hall, window, action } => self.counter_action(w, device, e.at, hall, *window, action, lengths),
            EventBody::Evaluation { ticket_id, level, comment } => {
                if !matches!(device.role, DeviceRole::Counter | DeviceRole::Kiosk) {
                    return Ok(rejected(format!("device {} is a {}; only counters and kiosks take evaluations", device.id, device.role.as_str())));
                }
                let Some(ticket) = w.tx.ticket(ticket_id)? else {
                    return Ok(rejected(format!("ticket {ticket_id} is unknown here; an evaluation must name a ticket central has received")));
                };
                if ticket.hall != device.hall {
                    return Ok(rejected(format!("ticket {ticket_id} belongs to hall {}, not to this device's hall {}", ticket.hall, device.hall)));
                }
                let evaluation = Evaluation {
                    ticket_id: ticket_id.clone(),
                    hall: ticket.hall,
                    business_day: ticket.business_day,
                    window: w.tx.last_window(ticket_id)?,
                    level: *level,
                    comment: comment.clone(),
                    device_id: device.id.clone(),
                    at: e.at,
                };
                if !w.tx.insert_evaluation(&evaluation)? {
                    return Ok(rejected(format!("ticket {ticket_id} has already been rated; each service is rated once")));
                }
                Ok(EventOutcome::Applied)
            }
            EventBody::AppointmentCheckedIn { appointment_id, ticket_id } => {
                if device.role != DeviceRole::Kiosk {
                    return Ok(rejected(format!("device {} is a {}; only kiosks check in appointments", device.id, device.role.as_str())));
                }
                let Some(appointment) = w.tx.appointment(appointment_id)? else {
                    return Ok(rejected(format!("appointment {appointment_id} is unknown; check the booking code")));
                };
                if appointment.hall != device.hall {
                    return Ok(rejected(format!("appointment {appointment_id} is for hall {}, not {}", appointment.hall, device.hall)));
                }
                match appointment.ticket {
                    Some(existing) if &existing == ticket_id => Ok(EventOutcome::Applied),
                    Some(existing) => Ok(rejected(format!("appointment {appointment_id} was already checked in with ticket {existing}"))),
                    None => {
                        w.tx.check_in(appointment_id, ticket_id, e.at)?;
                        Ok(EventOutcome::Applied)
                    }
                }
            }
            other => Ok(rejected(format!("event kind {} is not supported by this central; update central", other.kind()))),
        }
    }

    fn ticket_issued(
        &self,
        w: &mut Writing<'_>,
        device: &Device,
        e: &DeviceEvent,
        t: &TicketIssued,
        lengths: &mut QueueLengths,
    ) -> Result<EventOutcome, CentralError> {
        if device.role != DeviceRole::Kiosk {
            return Ok(rejected(format!("device {} is a {}; only kiosks issue tickets", device.id, device.role.as_str())));
        }
        let expected = TicketId::new(e.device_id.clone(), e.device_seq);
        if t.ticket_id != expected {
            return Ok(rejected(format!("a ticket's id must be its issuing event's DEVICE/SEQ ({expected}), not {}", t.ticket_id)));
        }
        if t.hall != device.hall {
            return Ok(rejected(format!("device {} stands in hall {}, not {}", device.id, device.hall, t.hall)));
        }
        let Some(service) = w.tx.service(&t.hall, &t.service)? else {
            return Ok(rejected(format!("service {} is not in hall {}'s catalogue", t.service, t.hall)));
        };
        if t.number.prefix() != service.prefix {
            return Ok(rejected(format!("number {} does not carry service {}'s prefix {}", t.number, service.code, service.prefix)));
        }
        match (t.number, t.lease_id) {
            (TicketNumber::Leased { n, .. }, Some(lease_id)) => {
                let lease = w.tx.lease(lease_id)?;
                let fits = lease.as_ref().is_some_and(|l| {
                    l.device_id == device.id && l.hall == t.hall && l.service == t.service && l.business_day == t.business_day && (l.start..=l.end).contains(&n)
                });
                if !fits {
                    return Ok(rejected(format!(
                        "number {} is not in lease {lease_id} of device {} for {} on {}; numbers must come from the device's own lease",
                        t.number, device.id, t.service, t.business_day
                    )));
                }
            }
            (TicketNumber::Leased { .. }, None) => {
                return Ok(rejected(format!("number {} names no lease; a leased number must carry its lease_id", t.number)));
            }
            (TicketNumber::Fallback { device_no, .. }, _) if device_no != device.device_no => {
                return Ok(rejected(format!(
                    "fallback number {} carries device number {device_no}, but device {} has number {}",
                    t.number, device.id, device.device_no
                )));
            }
            _ => {}
        }
        // A kiosk clock a little ahead may open the next day early; one far ahead must not close
        // the hall's day for everybody.
        let latest = self.business_day(w.now + MAX_CLOCK_AHEAD);
        if t.business_day > latest {
            return Ok(rejected(format!(
                "ticket {} is for business day {}, but central's clock is on {}; correct the kiosk's clock",
                t.ticket_id,
                t.business_day,
                self.business_day(w.now)
            )));
        }
        w.open_day(self, &t.hall, self.business_day(w.now), lengths)?;
        let hall_day = w.engine_day(&t.hall);
        // Yesterday's ticket synced late (the kiosk was offline over the rollover): recorded, so
        // the citizen's ticket and its number exist, but never queued: that day's queue is gone.
        let late = hall_day.is_some_and(|day| t.business_day < day);
        let ticket = Ticket {
            ticket_id: t.ticket_id.clone(),
            hall: t.hall.clone(),
            service: t.service.clone(),
            issued_service: t.service.clone(),
            number: t.number,
            priority: t.priority,
            business_day: t.business_day,
            issued_hlc: t.issued_hlc,
            issued_at: t.issued_at,
            lease_id: t.lease_id,
            state: if late { TicketState::Expired } else { TicketState::Waiting },
        };
        if !w.tx.insert_ticket(&ticket)? {
            return Ok(rejected(format!(
                "number {} of {} on {} was already issued; a number is issued once per queue per day",
                t.number, t.service, t.business_day
            )));
        }
        if late {
            tracing::info!(
                ticket = %t.ticket_id, number = %t.number, ticket_day = %t.business_day, hall_day = ?hall_day,
                "ticket arrived after its business day closed: stored as expired, not queued"
            );
            return Ok(EventOutcome::Applied);
        }
        // A kiosk whose clock is (slightly) ahead is already in the next day: so is the hall.
        w.open_day(self, &t.hall, t.business_day, lengths)?;
        let new = NewTicket::from_issued(t);
        match w.engine_input(&t.hall, EngineInput::enqueue(&new))? {
            Ok(events) => {
                self.engine_events(w, &t.hall, events, lengths)?;
                Ok(EventOutcome::Applied)
            }
            Err(err) => {
                w.tx.delete_ticket(&t.ticket_id)?;
                Ok(rejected(err.to_string()))
            }
        }
    }

    #[allow(clippy::too_many_arguments)]
    fn counter_action(
        &self,
        w: &mut Writing<'_>,
        device: &Device,
        at: DateTime<Utc>,
        hall: &HallId,
        window: WindowNo,
        action: &CounterAction,
        lengths: &mut QueueLengths,
    ) -> Result<EventOutcome, CentralError> {
        if device.role != DeviceRole::Counter {
            return Ok(rejected(format!("device {} is a {}; only counter terminals act at windows", device.id, device.role.as_str())));
        }
        if &device.hall != hall || device.window != Some(window) {
            let own = device.window.map_or_else(|| "no window".to_owned(), |n| format!("window {n}"));
            return Ok(rejected(format!("counter {} serves {own} of hall {}, not window {window} of hall {hall}", device.id, device.hall)));
        }
        // Calling someone long after staff pressed the button sends them to a window that has
        // moved on; finishing, pausing and resuming late is harmless and always applies.
        let is_call = matches!(action, CounterAction::CallNext | CounterAction::Recall | CounterAction::Skip | CounterAction::Transfer { .. });
        let late = w.now.signed_duration_since(at);
        if is_call && late.to_std().is_ok_and(|late| late > self.config.call_max_age) {
            return Ok(rejected(format!(
                "arrived {} s late (limit {} s); press the button again",
                (late.num_milliseconds() + 500) / 1000,
                self.config.call_max_age.as_secs()
            )));
        }
        w.open_day(self, hall, self.business_day(w.now), lengths)?;
        let input = EngineInput::Act { window, action: action.clone(), now: w.now };
        let result = w.engine_input(hall, input)?;
        let outcome = engine::outcome(action, &result);
        if let Ok(events) = result {
            self.engine_events(w, hall, events, lengths)?;
        }
        Ok(outcome)
    }

    /// Stores what the engine did and feeds the changes devices should see.
    pub(crate) fn engine_events(&self, w: &mut Writing<'_>, hall: &HallId, events: Vec<EngineEvent>, lengths: &mut QueueLengths) -> Result<(), CentralError> {
        for event in events {
            match &event {
                EngineEvent::Called { ticket, number, service, window, recall, at } => {
                    if *recall == 0 {
                        let day = match w.tx.ticket(ticket)? {
                            Some(t) => t.business_day,
                            None => return Err(StoreError::Corrupt(format!("ticket {ticket} is queued but not stored")).into()),
                        };
                        w.tx.insert_call(&Call {
                            hall: hall.clone(),
                            window: *window,
                            ticket_id: ticket.clone(),
                            number: *number,
                            service: service.clone(),
                            business_day: day,
                            called_at: *at,
                            recalls: 0,
                            ended_at: None,
                            outcome: None,
                            transferred_to: None,
                        })?;
                        w.tx.set_ticket_state(ticket, TicketState::Called)?;
                    } else {
                        w.tx.set_recalls(ticket, *recall)?;
                    }
                }
                EngineEvent::Finished { ticket, finished_at, .. } => {
                    w.tx.end_call(ticket, *finished_at, CallEnd::Served, None)?;
                    w.tx.set_ticket_state(ticket, TicketState::Served)?;
                }
                EngineEvent::Skipped { ticket, requeued, .. } => {
                    let (end, state) = if *requeued { (CallEnd::Skipped, TicketState::Waiting) } else { (CallEnd::NoShow, TicketState::NoShow) };
                    w.tx.end_call(ticket, w.now, end, None)?;
                    w.tx.set_ticket_state(ticket, state)?;
                }
                EngineEvent::Transferred { ticket, to, .. } => {
                    w.tx.end_call(ticket, w.now, CallEnd::Transferred, Some(to))?;
                    w.tx.set_ticket_service(ticket, to)?;
                    w.tx.set_ticket_state(ticket, TicketState::Waiting)?;
                }
                EngineEvent::Expired { ticket, window } => {
                    if window.is_some() {
                        w.tx.end_call(ticket, w.now, CallEnd::Expired, None)?;
                    }
                    w.tx.set_ticket_state(ticket, TicketState::Expired)?;
                }
                EngineEvent::QueueLength { service, waiting } => {
                    lengths.0.insert((hall.clone(), service.clone()), *waiting);
                    continue;
                }
                _ => {}
            }
            if let Some(body) = event.to_change(hall) {
                w.feed(None, body)?;
            }
        }
        Ok(())
    }
}
