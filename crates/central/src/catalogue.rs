//! Loading a catalogue (halls, services, windows, devices) into central: validated as a whole,
//! then upserted in one transaction. Each entry that changes is fed to devices, and services and
//! windows are given to their hall's queue engine. Nothing is ever deleted: a device is taken out
//! of service by revoking it, a service by disabling it.

use std::collections::{BTreeMap, BTreeSet};

use hall_protocol::{Catalogue, ChangeBody, DeviceRole, HallId, ServiceCode, WindowNo};

use crate::central::{Central, Writing};
use crate::engine_log::EngineInput;
use crate::error::CentralError;
use crate::records::CatalogueReport;

fn invalid(msg: String) -> CentralError {
    CentralError::Invalid(msg)
}

impl Central {
    /// Upserts a catalogue. Devices without a `device_no` (0) get the next free one; a device keeps
    /// its number for ever. Fails, changing nothing, if any entry is inconsistent.
    pub fn load_catalogue(&self, cat: &Catalogue) -> Result<CatalogueReport, CentralError> {
        self.write(|w| {
            let report = load(w, cat)?;
            tracing::debug!(?report, "catalogue loaded");
            Ok(report)
        })
    }
}

fn load(w: &mut Writing<'_>, cat: &Catalogue) -> Result<CatalogueReport, CentralError> {
    let current = w.tx.catalogue(None)?;
    let mut report = CatalogueReport::default();

    // The catalogue as it will be, to validate references against.
    let mut halls: BTreeSet<HallId> = current.halls.iter().map(|h| h.id.clone()).collect();
    let mut seen = BTreeSet::new();
    for h in &cat.halls {
        if !seen.insert(&h.id) {
            return Err(invalid(format!("hall {} is listed twice", h.id)));
        }
        if h.name.trim().is_empty() {
            return Err(invalid(format!("hall {} needs a name", h.id)));
        }
        halls.insert(h.id.clone());
    }
    let mut services: BTreeMap<(HallId, ServiceCode), char> = current.services.iter().map(|s| ((s.hall.clone(), s.code.clone()), s.prefix)).collect();
    let mut seen = BTreeSet::new();
    for s in &cat.services {
        if !halls.contains(&s.hall) {
            return Err(invalid(format!("service {} names hall {}, which is not in the catalogue", s.code, s.hall)));
        }
        if !seen.insert((&s.hall, &s.code)) {
            return Err(invalid(format!("service {} of hall {} is listed twice", s.code, s.hall)));
        }
        if !s.prefix.is_ascii_uppercase() {
            return Err(invalid(format!("service {} has prefix {:?}; a prefix is one letter A-Z", s.code, s.prefix)));
        }
        if s.name.trim().is_empty() {
            return Err(invalid(format!("service {} needs a name", s.code)));
        }
        services.insert((s.hall.clone(), s.code.clone()), s.prefix);
    }
    let mut prefixes = BTreeMap::new();
    for ((hall, code), prefix) in &services {
        if let Some(other) = prefixes.insert((hall, *prefix), code) {
            return Err(invalid(format!("services {other} and {code} of hall {hall} both use prefix {prefix}; give each service its own letter")));
        }
    }
    let mut windows: BTreeSet<(HallId, WindowNo)> = current.windows.iter().map(|w| (w.hall.clone(), w.no)).collect();
    let mut seen = BTreeSet::new();
    for win in &cat.windows {
        if !halls.contains(&win.hall) {
            return Err(invalid(format!("window {} names hall {}, which is not in the catalogue", win.no, win.hall)));
        }
        if !seen.insert((&win.hall, win.no)) {
            return Err(invalid(format!("window {} of hall {} is listed twice", win.no, win.hall)));
        }
        if win.no == 0 {
            return Err(invalid(format!("hall {} has a window numbered 0; windows are numbered from 1", win.hall)));
        }
        if win.profile.is_empty() {
            return Err(invalid(format!("window {} of hall {} serves no service; list at least one in its profile", win.no, win.hall)));
        }
        let mut listed = BTreeSet::new();
        for s in &win.profile {
            if !services.contains_key(&(win.hall.clone(), s.clone())) {
                return Err(invalid(format!("window {} of hall {} serves {s}, which is not a service of that hall", win.no, win.hall)));
            }
            if !listed.insert(s) {
                return Err(invalid(format!("window {} lists service {s} twice; list each service once, most preferred first", win.no)));
            }
        }
        windows.insert((win.hall.clone(), win.no));
    }
    let existing_devices: BTreeMap<_, _> = current.devices.iter().map(|d| (d.id.clone(), d.clone())).collect();
    let mut numbers: BTreeMap<u32, _> = current.devices.iter().map(|d| (d.device_no, d.id.clone())).collect();
    let mut next_no = w.tx.max_device_no()?;
    let mut devices = Vec::with_capacity(cat.devices.len());
    let mut seen = BTreeSet::new();
    for d in &cat.devices {
        if !seen.insert(&d.id) {
            return Err(invalid(format!("device {} is listed twice", d.id)));
        }
        if !halls.contains(&d.hall) {
            return Err(invalid(format!("device {} names hall {}, which is not in the catalogue", d.id, d.hall)));
        }
        match (d.role, d.window) {
            (DeviceRole::Counter, Some(no)) if !windows.contains(&(d.hall.clone(), no)) => {
                return Err(invalid(format!("counter {} serves window {no}, which hall {} does not have", d.id, d.hall)));
            }
            (DeviceRole::Counter, None) => return Err(invalid(format!("counter {} needs the number of the window it serves", d.id))),
            (DeviceRole::Counter, Some(_)) => {}
            (role, Some(_)) => return Err(invalid(format!("device {} is a {}; only counters have a window", d.id, role.as_str()))),
            (_, None) => {}
        }
        let mut device = d.clone();
        match existing_devices.get(&d.id) {
            Some(old) => {
                if d.device_no != 0 && d.device_no != old.device_no {
                    return Err(invalid(format!("device {} has device_no {}; it cannot change (leave it out or 0)", d.id, old.device_no)));
                }
                device.device_no = old.device_no;
            }
            None if d.device_no != 0 => {
                if let Some(other) = numbers.get(&d.device_no) {
                    return Err(invalid(format!("device_no {} of {} is already used by {other}", d.device_no, d.id)));
                }
                next_no = next_no.max(d.device_no);
            }
            None => {
                next_no += 1;
                device.device_no = next_no;
            }
        }
        numbers.insert(device.device_no, device.id.clone());
        devices.push(device);
    }

    // Validated: write what changed.
    let old_halls: BTreeMap<_, _> = current.halls.iter().map(|h| (&h.id, h)).collect();
    for h in &cat.halls {
        if old_halls.get(&h.id) == Some(&h) {
            report.unchanged += 1;
            continue;
        }
        w.tx.put_hall(h)?;
        w.feed(None, ChangeBody::Hall(h.clone()))?;
        report.halls += 1;
    }
    let old_services: BTreeMap<_, _> = current.services.iter().map(|s| ((&s.hall, &s.code), s)).collect();
    for s in &cat.services {
        if old_services.get(&(&s.hall, &s.code)) == Some(&s) {
            report.unchanged += 1;
            continue;
        }
        w.tx.put_service(s)?;
        w.feed(None, ChangeBody::Service(s.clone()))?;
        if !old_services.contains_key(&(&s.hall, &s.code)) {
            // Services are never removed from an engine (tickets may wait for them).
            w.engine_input(&s.hall, EngineInput::Service { code: s.code.clone() })?
                .map_err(|e| invalid(format!("service {} of hall {}: {e}", s.code, s.hall)))?;
        }
        report.services += 1;
    }
    let old_windows: BTreeMap<_, _> = current.windows.iter().map(|win| ((&win.hall, win.no), win)).collect();
    for win in &cat.windows {
        if old_windows.get(&(&win.hall, win.no)) == Some(&win) {
            report.unchanged += 1;
            continue;
        }
        w.tx.put_window(win)?;
        w.feed(None, ChangeBody::Window(win.clone()))?;
        w.engine_input(&win.hall, EngineInput::Window { window: win.clone() })?.map_err(|e| invalid(format!("window {} of hall {}: {e}", win.no, win.hall)))?;
        report.windows += 1;
    }
    for d in &devices {
        if existing_devices.get(&d.id) == Some(d) {
            report.unchanged += 1;
            continue;
        }
        w.tx.put_device(d)?;
        w.feed(None, ChangeBody::Device(d.clone()))?;
        report.devices += 1;
    }
    Ok(report)
}

/// Parses a catalogue from TOML text (the format of `examples/central-catalogue.toml`).
pub fn parse_catalogue_toml(text: &str) -> Result<Catalogue, CentralError> {
    toml::from_str(text).map_err(|e| CentralError::Invalid(format!("catalogue file: {e}")))
}
