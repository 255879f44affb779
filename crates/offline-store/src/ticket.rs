//! Tickets (取号): the business row, its number and its `ticket_issued` event, written together.
//!
//! Print after commit: [`Store::issue_ticket`] returns only once the ticket is durable; the kiosk
//! then prints and calls [`Store::mark_printed`]. After a crash, [`Store::unprinted_tickets`] lists
//! the committed tickets that were never marked printed, to be reprinted with the same number.

use chrono::{DateTime, Utc};
use hall_protocol::{BusinessDay, EventBody, HallId, Priority, ServiceCode, TicketId, TicketIssued, TicketNumber};
use rusqlite::{OptionalExtension, Row, params};

use crate::codec::{day_text, hlc_from, parse_day, parse_text, parse_time, time_text, to_i64, to_u32, to_u64};
use crate::error::{Context, StoreError};
use crate::lease;
use crate::outbox::{Writer, sql_limit};
use crate::store::Store;

/// Everything needed to issue one ticket. The caller resolves the service's prefix, the business day
/// ([`crate::business_day`]) and this kiosk's device number from the catalogue and config.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct IssueRequest {
    /// Hall.
    pub hall: HallId,
    /// Queue.
    pub service: ServiceCode,
    /// The service's prefix letter, `A`–`Z`.
    pub prefix: char,
    /// Priority class.
    pub priority: Priority,
    /// The business day the number belongs to.
    pub business_day: BusinessDay,
    /// This kiosk's device number, used only in fallback numbers (`A-3-017`).
    pub device_no: u32,
    /// Wall time of issue.
    pub now: DateTime<Utc>,
}

/// A ticket just issued and durable.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct IssuedTicket {
    /// The ticket, exactly as sent to central in its `ticket_issued` event.
    pub ticket: TicketIssued,
    /// Leased numbers left for this queue and day after this ticket (0 when it got a fallback number).
    pub lease_left: u32,
    /// Tickets ahead in the same queue as far as this kiosk knows: central's last reported queue
    /// length plus this kiosk's own tickets issued since that report (see docs/offline-store.md for
    /// why this is an estimate).
    pub waiting_ahead: u32,
}

/// A stored ticket with its print state.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TicketRecord {
    /// The ticket.
    pub ticket: TicketIssued,
    /// Whether it was printed at least once.
    pub printed: bool,
    /// How many times it was printed (more than 1 means reprints).
    pub print_count: u32,
    /// Local time of the last print.
    pub last_printed_at: Option<DateTime<Utc>>,
}

const TICKET_COLUMNS: &str =
    "ticket_seq, hall, service, business_day, number, priority, hlc_wall_ms, hlc_logical, issued_at, lease_id, printed, print_count, last_printed_at";

fn validate(req: &IssueRequest) -> Result<(), StoreError> {
    if !req.prefix.is_ascii_uppercase() {
        return Err(StoreError::InvalidRequest(format!("service {} has prefix {:?}; a prefix must be one letter A-Z", req.service, req.prefix)));
    }
    Ok(())
}

/// Issues a ticket inside `w`: number, business row and event. Shared by plain issue and check-in.
fn issue_in(w: &mut Writer<'_>, req: &IssueRequest, priority: Priority) -> Result<IssuedTicket, StoreError> {
    validate(req)?;
    let day = day_text(&req.business_day);
    let stamp = w.stamp(req.now);
    let taken = lease::take_number(&w.tx, &req.hall, &req.service, &day)?;
    let (since_report, fallback_n) = lease::count_ticket(&w.tx, &req.hall, &req.service, &day, taken.is_none())?;
    let (number, lease_id) = match taken {
        Some((lease_id, n)) => (TicketNumber::Leased { prefix: req.prefix, n }, Some(lease_id)),
        None => {
            tracing::warn!(service = %req.service, day = %day, n = fallback_n, "no leased numbers left: issuing a fallback number");
            (TicketNumber::Fallback { prefix: req.prefix, device_no: req.device_no, n: fallback_n }, None)
        }
    };
    let ticket = TicketIssued {
        ticket_id: TicketId::new(w.device().clone(), stamp.seq),
        hall: req.hall.clone(),
        service: req.service.clone(),
        number,
        priority,
        business_day: req.business_day,
        issued_hlc: stamp.hlc,
        issued_at: req.now,
        lease_id,
    };
    // The event first: the ticket row references it.
    w.append(&stamp, &EventBody::TicketIssued(ticket.clone()))?;
    let seq = to_i64("device_seq", stamp.seq)?;
    let lease_sql = lease_id.map(|id| to_i64("lease id", id)).transpose()?;
    let wall = to_i64("hlc", stamp.hlc.wall_ms)?;
    w.tx.prepare_cached(
        "INSERT INTO tickets (ticket_seq, hall, service, business_day, number, priority, hlc_wall_ms, hlc_logical, issued_at, lease_id)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10)",
    )
    .and_then(|mut s| {
        s.execute(params![
            seq,
            req.hall.as_str(),
            req.service.as_str(),
            day,
            number.to_string(),
            priority.as_str(),
            wall,
            stamp.hlc.logical,
            time_text(&req.now),
            lease_sql
        ])
    })
    .ctx("store ticket")?;
    let (left, waiting): (i64, i64) =
        w.tx.prepare_cached(
            "SELECT
                 (SELECT COALESCE(SUM(end_no - next_no + 1), 0) FROM leases WHERE hall = ?1 AND service = ?2 AND business_day = ?3),
                 COALESCE((SELECT waiting FROM queue_lengths WHERE hall = ?1 AND service = ?2), 0)",
        )
        .and_then(|mut s| s.query_row(params![req.hall.as_str(), req.service.as_str(), day], |r| Ok((r.get(0)?, r.get(1)?))))
        .ctx("count numbers left")?;
    // `since_report` includes this ticket; the ones ahead of it are the others.
    let waiting_ahead = to_u32("queue length", waiting)?.saturating_add(since_report.saturating_sub(1));
    Ok(IssuedTicket { ticket, lease_left: to_u32("numbers left", left)?, waiting_ahead })
}

fn ticket_from_row(device: &hall_protocol::DeviceId, r: &Row<'_>) -> Result<TicketRecord, StoreError> {
    let seq: i64 = r.get(0).ctx("read ticket")?;
    let seq = to_u64("ticket_seq", seq)?;
    let what = format!("ticket {device}/{seq}");
    let text = |i: usize| -> Result<String, StoreError> { r.get(i).ctx("read ticket") };
    let lease_id: Option<i64> = r.get(9).ctx("read ticket")?;
    let printed: i64 = r.get(10).ctx("read ticket")?;
    let print_count: i64 = r.get(11).ctx("read ticket")?;
    let last_printed_at: Option<String> = r.get(12).ctx("read ticket")?;
    let ticket = TicketIssued {
        ticket_id: TicketId::new(device.clone(), seq),
        hall: parse_text(&what, &text(1)?)?,
        service: parse_text(&what, &text(2)?)?,
        business_day: parse_day(&what, &text(3)?)?,
        number: parse_text::<TicketNumber>(&what, &text(4)?)?,
        priority: parse_text::<Priority>(&what, &text(5)?)?,
        issued_hlc: hlc_from(&what, r.get(6).ctx("read ticket")?, r.get(7).ctx("read ticket")?)?,
        issued_at: parse_time(&what, &text(8)?)?,
        lease_id: lease_id.map(|id| to_u64(&what, id)).transpose()?,
    };
    Ok(TicketRecord {
        ticket,
        printed: printed != 0,
        print_count: to_u32(&what, print_count)?,
        last_printed_at: last_printed_at.map(|s| parse_time(&what, &s)).transpose()?,
    })
}

impl Store {
    /// Issues one ticket in one transaction: advances the HLC, allocates the next event sequence
    /// number, takes the next number from the lowest-starting lease of the queue and day that has
    /// numbers left (or, with none left, the fallback form `A-3-017` from a per-queue, per-day
    /// counter), stores the ticket unprinted and its `ticket_issued` event. Durable when it returns.
    pub fn issue_ticket(&mut self, req: &IssueRequest) -> Result<IssuedTicket, StoreError> {
        let mut w = Writer::begin(self)?;
        let issued = issue_in(&mut w, req, req.priority)?;
        w.commit()?;
        tracing::debug!(ticket = %issued.ticket.ticket_id, number = %issued.ticket.number, "ticket issued");
        Ok(issued)
    }

    /// Checks in an appointment: issues an `appointment`-priority ticket (whatever `req.priority`
    /// says) and records an `appointment_checked_in` event, in one transaction. An appointment is
    /// checked in once: a second attempt fails with [`StoreError::AlreadyCheckedIn`] naming the ticket.
    pub fn check_in_appointment(&mut self, appointment_id: &str, req: &IssueRequest) -> Result<IssuedTicket, StoreError> {
        if appointment_id.is_empty() || appointment_id.len() > 64 || appointment_id.chars().any(char::is_control) {
            return Err(StoreError::InvalidRequest(format!("appointment code {appointment_id:?} must be 1 to 64 printable characters")));
        }
        let mut w = Writer::begin(self)?;
        let earlier: Option<i64> =
            w.tx.query_row("SELECT ticket_seq FROM appointment_checkins WHERE appointment_id = ?1", [appointment_id], |r| r.get(0))
                .optional()
                .ctx("look up appointment")?;
        if let Some(seq) = earlier {
            return Err(StoreError::AlreadyCheckedIn {
                appointment_id: appointment_id.to_owned(),
                ticket_id: TicketId::new(w.device().clone(), to_u64("ticket_seq", seq)?),
            });
        }
        let issued = issue_in(&mut w, req, Priority::Appointment)?;
        let stamp = w.stamp(req.now);
        w.append(&stamp, &EventBody::AppointmentCheckedIn { appointment_id: appointment_id.to_owned(), ticket_id: issued.ticket.ticket_id.clone() })?;
        w.tx.execute(
            "INSERT INTO appointment_checkins (appointment_id, ticket_seq, event_seq) VALUES (?1, ?2, ?3)",
            params![appointment_id, to_i64("seq", issued.ticket.ticket_id.seq)?, to_i64("seq", stamp.seq)?],
        )
        .ctx("record check-in")?;
        w.commit()?;
        Ok(issued)
    }

    /// Records that a ticket was printed (again); returns how many times it has been printed.
    pub fn mark_printed(&mut self, ticket_id: &TicketId) -> Result<u32, StoreError> {
        if ticket_id.device != self.device {
            return Err(StoreError::UnknownTicket(ticket_id.clone()));
        }
        let seq = to_i64("ticket seq", ticket_id.seq).map_err(|_| StoreError::UnknownTicket(ticket_id.clone()))?;
        let count: Option<i64> = self
            .conn
            .prepare_cached("UPDATE tickets SET printed = 1, print_count = print_count + 1, last_printed_at = ?2 WHERE ticket_seq = ?1 RETURNING print_count")
            .and_then(|mut s| s.query_row(params![seq, time_text(&Utc::now())], |r| r.get(0)).optional())
            .ctx("mark ticket printed")?;
        match count {
            Some(n) => to_u32("print_count", n),
            None => Err(StoreError::UnknownTicket(ticket_id.clone())),
        }
    }

    /// Committed tickets never marked printed, oldest first: after a crash, print these (same number)
    /// before issuing new ones.
    pub fn unprinted_tickets(&self) -> Result<Vec<TicketIssued>, StoreError> {
        let sql = format!("SELECT {TICKET_COLUMNS} FROM tickets WHERE printed = 0 ORDER BY ticket_seq");
        Ok(self.query_tickets(&sql, [])?.into_iter().map(|t| t.ticket).collect())
    }

    /// One ticket issued by this device, with its print state.
    pub fn ticket(&self, ticket_id: &TicketId) -> Result<Option<TicketRecord>, StoreError> {
        if ticket_id.device != self.device {
            return Ok(None);
        }
        let Ok(seq) = i64::try_from(ticket_id.seq) else { return Ok(None) };
        let sql = format!("SELECT {TICKET_COLUMNS} FROM tickets WHERE ticket_seq = ?1");
        Ok(self.query_tickets(&sql, [seq])?.into_iter().next())
    }

    /// Up to `limit` tickets this device issued for `day`, oldest first.
    pub fn tickets_of_day(&self, day: BusinessDay, limit: usize) -> Result<Vec<TicketIssued>, StoreError> {
        let sql = format!("SELECT {TICKET_COLUMNS} FROM tickets WHERE business_day = ?1 ORDER BY ticket_seq LIMIT ?2");
        Ok(self.query_tickets(&sql, params![day_text(&day), sql_limit(limit)])?.into_iter().map(|t| t.ticket).collect())
    }

    fn query_tickets(&self, sql: &str, params: impl rusqlite::Params) -> Result<Vec<TicketRecord>, StoreError> {
        let mut stmt = self.conn.prepare_cached(sql).ctx("read tickets")?;
        let mut rows = stmt.query(params).ctx("read tickets")?;
        let mut out = Vec::new();
        while let Some(r) = rows.next().ctx("read tickets")? {
            out.push(ticket_from_row(&self.device, r)?);
        }
        Ok(out)
    }
}
