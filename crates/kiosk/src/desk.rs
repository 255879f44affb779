//! Issuing tickets (取号): the one path by which a ticket comes to exist on a kiosk, used by the
//! touchscreen flow, `kiosk ticket` and the demo alike.
//!
//! The ticket, its number and its outbox event commit in one transaction before anything is printed
//! or shown, so a ticket a citizen holds is never lost and a number is never reused (see
//! docs/offline-store.md). Central need not be reachable: numbers come from the kiosk's lease, or,
//! when that is used up while offline, from the per-device fallback form `A-3-017`.

use chrono::{DateTime, Utc};
use hall_protocol::{BusinessDay, DeviceRole, Priority, ServiceCode, TicketId, TicketNumber};
use offline_store::{IssueRequest, Store};
use serde::Serialize;

use crate::config::Config;

/// Why a ticket could not be issued.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum DeskError {
    /// This device is not a kiosk.
    #[error("this device is a {0}; only kiosks issue tickets")]
    WrongRole(&'static str),
    /// The catalogue has never been received from central.
    #[error("this kiosk has not received the service catalogue from central yet: connect it to central and run `kiosk sync --config ...` once")]
    NoCatalogue,
    /// The device is not in central's device list (so it has no device number for fallback
    /// numbers), or it was revoked.
    #[error("this kiosk ({0}) is not registered (or was revoked) at central: register it, then run `kiosk sync`")]
    NotRegistered(String),
    /// No such service in this hall.
    #[error("no service {code:?} in this hall; services: {known}")]
    UnknownService {
        /// What was asked for.
        code: String,
        /// What exists.
        known: String,
    },
    /// The service exists but is switched off.
    #[error("service {0} is not offered at the moment")]
    ServiceDisabled(String),
    /// The store failed; nothing was issued.
    #[error("could not record the ticket, nothing was issued: {0}")]
    Store(#[from] offline_store::StoreError),
}

/// What the citizen is given, and what `kiosk ticket` prints as JSON.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Receipt {
    /// Ticket identity.
    pub ticket_id: TicketId,
    /// Printed number.
    pub number: TicketNumber,
    /// Service code.
    pub service: ServiceCode,
    /// Service name.
    pub service_name: String,
    /// Priority class.
    pub priority: Priority,
    /// Issue time.
    pub issued_at: DateTime<Utc>,
    /// Tickets ahead in the same queue, as far as this kiosk knows.
    pub waiting_ahead: u32,
    /// Business day.
    pub business_day: BusinessDay,
}

/// The business day `now` belongs to, by the hall's offset and rollover time.
pub fn business_day(config: &Config, now: DateTime<Utc>) -> BusinessDay {
    // Both were validated when the config was loaded.
    offline_store::business_day(now, config.hall_offset(), config.rollover().unwrap_or_default())
}

/// Issues one ticket for `service` at time `now`.
pub fn issue_ticket(store: &mut Store, config: &Config, service: &ServiceCode, priority: Priority, now: DateTime<Utc>) -> Result<Receipt, DeskError> {
    let req = prepare(store, config, service, priority, now)?;
    let issued = store.issue_ticket(&req)?;
    Ok(receipt(issued, &req, store, config))
}

/// Checks in an appointment: issues an `appointment`-priority ticket for its service.
pub fn check_in(store: &mut Store, config: &Config, appointment_id: &str, service: &ServiceCode, now: DateTime<Utc>) -> Result<Receipt, DeskError> {
    let req = prepare(store, config, service, Priority::Appointment, now)?;
    let issued = store.check_in_appointment(appointment_id, &req)?;
    Ok(receipt(issued, &req, store, config))
}

fn prepare(store: &mut Store, config: &Config, service: &ServiceCode, priority: Priority, now: DateTime<Utc>) -> Result<IssueRequest, DeskError> {
    if config.device.role != DeviceRole::Kiosk {
        return Err(DeskError::WrongRole(config.device.role.as_str()));
    }
    let hall = &config.device.hall;
    let services = store.services(hall)?;
    if services.is_empty() {
        return Err(DeskError::NoCatalogue);
    }
    let Some(svc) = services.iter().find(|s| &s.code == service) else {
        let known = services.iter().map(|s| format!("{} ({})", s.code, s.name)).collect::<Vec<_>>().join(", ");
        return Err(DeskError::UnknownService { code: service.to_string(), known });
    };
    if !svc.enabled {
        return Err(DeskError::ServiceDisabled(svc.name.clone()));
    }
    // Central numbers devices from 1; 0 means "not assigned", and two such kiosks could collide
    // in fallback numbers, so refuse rather than risk it.
    let device =
        store.device(&config.device.id)?.filter(|d| d.device_no > 0 && !d.revoked).ok_or_else(|| DeskError::NotRegistered(config.device.id.to_string()))?;
    Ok(IssueRequest {
        hall: hall.clone(),
        service: svc.code.clone(),
        prefix: svc.prefix,
        priority,
        business_day: business_day(config, now),
        device_no: device.device_no,
        now,
    })
}

fn receipt(issued: offline_store::IssuedTicket, req: &IssueRequest, store: &Store, config: &Config) -> Receipt {
    let name = store.service(&config.device.hall, &req.service).ok().flatten().map(|s| s.name).unwrap_or_else(|| req.service.to_string());
    let t = issued.ticket;
    Receipt {
        ticket_id: t.ticket_id,
        number: t.number,
        service: t.service,
        service_name: name,
        priority: t.priority,
        issued_at: t.issued_at,
        waiting_ahead: issued.waiting_ahead,
        business_day: t.business_day,
    }
}
