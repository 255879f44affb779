//! Appointments (预约) and applications (办件): stored with masked names and ID numbers, found by
//! the keyed digest of an ID number. The number itself never reaches the database or a log.

use chrono::NaiveDate;
use hall_protocol::{Application, ApplicationStatus, Appointment, HallId};

use crate::central::Central;
use crate::citizen::{IdNumber, mask_name};
use crate::error::CentralError;
use crate::records::{NewApplication, NewAppointment, StatusUpdate};
use crate::store::StoreRead;

fn id_number(s: &str) -> Result<IdNumber, CentralError> {
    IdNumber::parse(s).map_err(|e| CentralError::Invalid(e.to_string()))
}

fn check_text(what: &str, value: &str, max: usize) -> Result<(), CentralError> {
    let n = value.chars().count();
    if value.trim().is_empty() || n > max {
        return Err(CentralError::Invalid(format!("{what} must be 1 to {max} characters, got {n}")));
    }
    Ok(())
}

fn check_service(tx: &dyn StoreRead, hall: &HallId, service: &hall_protocol::ServiceCode) -> Result<(), CentralError> {
    if tx.hall(hall)?.is_none() {
        return Err(CentralError::UnknownHall(hall.clone()));
    }
    if tx.service(hall, service)?.is_none() {
        return Err(CentralError::NotFound(format!("service {service} is not in hall {hall}'s catalogue")));
    }
    Ok(())
}

impl Central {
    /// Books an appointment.
    pub fn add_appointment(&self, new: &NewAppointment) -> Result<Appointment, CentralError> {
        check_text("a booking code", &new.id, 64)?;
        check_text("a name", &new.name, 64)?;
        if chrono::NaiveTime::parse_from_str(&new.slot, "%H:%M").is_err() {
            return Err(CentralError::Invalid(format!("slot {:?} is not a time of day HH:MM", new.slot)));
        }
        let id = id_number(&new.id_number)?;
        let digest = id.digest(&self.digest_key);
        self.write(|w| {
            check_service(&*w.tx, &new.hall, &new.service)?;
            let appointment = Appointment {
                id: new.id.clone(),
                hall: new.hall.clone(),
                service: new.service.clone(),
                day: new.day,
                slot: new.slot.clone(),
                name_masked: mask_name(&new.name),
                id_masked: id.masked(),
                ticket: None,
            };
            if !w.tx.insert_appointment(&appointment, &digest)? {
                return Err(CentralError::Conflict(format!("appointment {} exists already; use another booking code", new.id)));
            }
            Ok(appointment)
        })
    }

    /// A day's appointments.
    pub fn appointments(&self, day: NaiveDate, hall: Option<&HallId>) -> Result<Vec<Appointment>, CentralError> {
        self.read(|tx| Ok(tx.appointments(day, hall)?))
    }

    /// The appointments of the citizen with this ID number, optionally on one day only.
    pub fn find_appointments(&self, id_number_text: &str, day: Option<NaiveDate>) -> Result<Vec<Appointment>, CentralError> {
        let digest = id_number(id_number_text)?.digest(&self.digest_key);
        let mut found = self.read(|tx| Ok(tx.appointments_by_digest(&digest)?))?;
        if let Some(day) = day {
            found.retain(|a| a.day == day);
        }
        Ok(found)
    }

    /// Records a new application with its first status.
    pub fn add_application(&self, new: &NewApplication) -> Result<Application, CentralError> {
        check_text("an application number", &new.no, 64)?;
        check_text("a title", &new.title, 200)?;
        check_text("a name", &new.name, 64)?;
        check_text("a status", &new.status, 64)?;
        let id = id_number(&new.id_number)?;
        let digest = id.digest(&self.digest_key);
        self.write(|w| {
            check_service(&*w.tx, &new.hall, &new.service)?;
            let first = ApplicationStatus { at: w.now, status: new.status.clone(), note: new.note.clone() };
            let application = Application {
                no: new.no.clone(),
                hall: new.hall.clone(),
                service: new.service.clone(),
                title: new.title.clone(),
                name_masked: mask_name(&new.name),
                id_masked: id.masked(),
                history: vec![first.clone()],
            };
            if !w.tx.insert_application(&application, &digest, w.now)? {
                return Err(CentralError::Conflict(format!("application {} exists already; add a status to it instead", new.no)));
            }
            w.tx.add_application_status(&new.no, &first)?;
            Ok(application)
        })
    }

    /// Appends a status to an application's history.
    pub fn add_application_status(&self, no: &str, update: &StatusUpdate) -> Result<Application, CentralError> {
        check_text("a status", &update.status, 64)?;
        self.write(|w| {
            if w.tx.application(no)?.is_none() {
                return Err(CentralError::NotFound(format!("application {no} is unknown; check the number")));
            }
            w.tx.add_application_status(no, &ApplicationStatus { at: w.now, status: update.status.clone(), note: update.note.clone() })?;
            w.tx.application(no)?.ok_or_else(|| CentralError::NotFound(format!("application {no} is unknown")))
        })
    }

    /// One application with its history.
    pub fn application(&self, no: &str) -> Result<Application, CentralError> {
        self.read(|tx| tx.application(no)?.ok_or_else(|| CentralError::NotFound(format!("application {no} is unknown; check the number"))))
    }

    /// The applications of the citizen with this ID number, newest first.
    pub fn find_applications(&self, id_number_text: &str) -> Result<Vec<Application>, CentralError> {
        let digest = id_number(id_number_text)?.digest(&self.digest_key);
        self.read(|tx| Ok(tx.applications_by_digest(&digest)?))
    }
}
