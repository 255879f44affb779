//! Number leases (`POST /v1/leases`): blocks of ticket numbers per queue per business day, granted
//! to kiosks so they can number tickets while offline. Blocks of one queue and day never overlap,
//! and asking again with the same `(device_id, request_id)` returns the same block, so a lost
//! response does not burn numbers.

use hall_protocol::api::{Lease, LeaseRequest};
use hall_protocol::{ChangeBody, DeviceId, DeviceRole};

use crate::central::Central;
use crate::error::CentralError;
use crate::ingest::{active_device, check_caller};
use crate::store::NewLease;

impl Central {
    /// Grants (or returns the already granted) lease for a kiosk's request. `caller` is the device
    /// named by the `x-hallkit-device` header. The size is clamped to `1..=max_lease`.
    pub fn lease(&self, caller: Option<&DeviceId>, req: &LeaseRequest) -> Result<Lease, CentralError> {
        check_caller(caller, &req.device_id)?;
        if i64::try_from(req.request_id).is_err() {
            return Err(CentralError::Invalid(format!("request_id {} is too large; use a number below 2^63", req.request_id)));
        }
        self.write(|w| {
            let device = active_device(&*w.tx, &req.device_id)?;
            if device.role != DeviceRole::Kiosk {
                return Err(CentralError::WrongRole { device: device.id, role: device.role.as_str(), what: "only kiosks lease ticket numbers" });
            }
            if let Some(existing) = w.tx.lease_by_request(&device.id, req.request_id)? {
                if existing.hall == req.hall && existing.service == req.service && existing.business_day == req.business_day {
                    return Ok(existing);
                }
                return Err(CentralError::LeaseRequestReused { device: device.id, request_id: req.request_id });
            }
            if device.hall != req.hall {
                return Err(CentralError::Invalid(format!("device {} stands in hall {}, not {}", device.id, device.hall, req.hall)));
            }
            if w.tx.service(&req.hall, &req.service)?.is_none() {
                return Err(CentralError::NotFound(format!("service {} is not in hall {}'s catalogue", req.service, req.hall)));
            }
            let size = req.size.clamp(1, self.config.max_lease.max(1));
            let start = w.tx.next_number(&req.hall, &req.service, req.business_day)?;
            let end = start
                .checked_add(size - 1)
                .filter(|e| *e < u32::MAX)
                .ok_or_else(|| CentralError::Invalid(format!("queue {} has run out of numbers for {}", req.service, req.business_day)))?;
            let lease_id = w.tx.insert_lease(&NewLease {
                device: device.id.clone(),
                request_id: req.request_id,
                hall: req.hall.clone(),
                service: req.service.clone(),
                business_day: req.business_day,
                start,
                end,
                granted_at: w.now,
            })?;
            let lease = Lease {
                lease_id,
                device_id: device.id.clone(),
                hall: req.hall.clone(),
                service: req.service.clone(),
                business_day: req.business_day,
                start,
                end,
            };
            w.feed(Some(&device.id), ChangeBody::Lease(lease.clone()))?;
            tracing::debug!(device = %device.id, service = %req.service, start, end, "lease granted");
            Ok(lease)
        })
    }
}
