//! Simulated citizens: when they arrive, at which kiosk, for what, and how their visit goes. All
//! drawn up front from the seed, so a run with the same seed makes the same day.

use chrono::{DateTime, Duration, Utc};
use hall_protocol::{EvaluationLevel, Priority, ServiceCode};
use rand::Rng;
use rand::seq::IndexedRandom;
use rand_chacha::ChaCha8Rng;

/// One citizen's visit, decided in advance.
#[derive(Debug, Clone)]
pub struct Visit {
    /// Arrival at the kiosk.
    pub arrives: DateTime<Utc>,
    /// Kiosk index.
    pub kiosk: usize,
    /// Service wanted.
    pub service: ServiceCode,
    /// Priority class.
    pub priority: Priority,
    /// Booking code, for appointment check-ins.
    pub appointment: Option<String>,
    /// Calls the citizen misses: 0 comes at once, 1 misses the first call and comes when re-called,
    /// 2 never comes (dropped as no-show).
    pub missed_calls: u32,
    /// How long the counter takes.
    pub service_time: Duration,
    /// Staff will transfer the ticket to this service once, instead of finishing it.
    pub transfer_to: Option<ServiceCode>,
    /// Service time at the second service after a transfer.
    pub second_service_time: Duration,
    /// The rating the citizen gives, if any.
    pub rating: Option<EvaluationLevel>,
}

/// Draws a day of visits between `open` and `close`.
pub fn plan_day(
    rng: &mut ChaCha8Rng,
    open: DateTime<Utc>,
    close: DateTime<Utc>,
    expected: u32,
    kiosks: usize,
    services: &[ServiceCode],
    appointments: &[(String, ServiceCode)],
) -> Vec<Visit> {
    let span = (close - open).num_seconds().max(60) as f64;
    let weights = [0.40, 0.25, 0.22, 0.13];
    let mut visits = Vec::with_capacity(expected as usize);
    for _ in 0..expected {
        // Two peaks (mid-morning, mid-afternoon) over a flat base, as halls see them.
        let u: f64 = rng.random();
        let frac = if u < 0.45 {
            normal(rng, 0.22, 0.10)
        } else if u < 0.80 {
            normal(rng, 0.68, 0.12)
        } else {
            rng.random::<f64>()
        }
        .clamp(0.0, 0.97);
        let arrives = open + Duration::seconds((frac * span) as i64);
        let mut pick: f64 = rng.random();
        let mut idx = 0;
        for (i, w) in weights.iter().enumerate().take(services.len()) {
            idx = i;
            if pick < *w {
                break;
            }
            pick -= w;
        }
        let service = services[idx.min(services.len() - 1)].clone();
        let p: f64 = rng.random();
        let priority = if p < 0.09 {
            Priority::Elderly
        } else if p < 0.11 {
            Priority::Disabled
        } else {
            Priority::Normal
        };
        visits.push(visit(rng, arrives, kiosks, service, priority, None, services));
    }
    // Booked citizens come shortly before their slot; the demo books slots across the day.
    for (i, (code, service)) in appointments.iter().enumerate() {
        let frac = (i as f64 + 0.5) / appointments.len().max(1) as f64 * 0.9;
        let arrives = open + Duration::seconds((frac * span) as i64);
        visits.push(visit(rng, arrives, kiosks, service.clone(), Priority::Appointment, Some(code.clone()), services));
    }
    visits.sort_by_key(|v| v.arrives);
    visits
}

fn visit(
    rng: &mut ChaCha8Rng,
    arrives: DateTime<Utc>,
    kiosks: usize,
    service: ServiceCode,
    priority: Priority,
    appointment: Option<String>,
    services: &[ServiceCode],
) -> Visit {
    let m: f64 = rng.random();
    let missed_calls = if m < 0.04 {
        2
    } else if m < 0.08 {
        1
    } else {
        0
    };
    let transfer_to =
        if rng.random::<f64>() < 0.05 { services.iter().filter(|s| **s != service).collect::<Vec<_>>().choose(rng).map(|s| (*s).clone()) } else { None };
    let r: f64 = rng.random();
    let rating = if rng.random::<f64>() < 0.7 {
        Some(if r < 0.62 {
            EvaluationLevel::VerySatisfied
        } else if r < 0.88 {
            EvaluationLevel::Satisfied
        } else if r < 0.96 {
            EvaluationLevel::Fair
        } else if r < 0.99 {
            EvaluationLevel::Dissatisfied
        } else {
            EvaluationLevel::VeryDissatisfied
        })
    } else {
        None
    };
    Visit {
        arrives,
        kiosk: rng.random_range(0..kiosks),
        service,
        priority,
        appointment,
        missed_calls,
        service_time: service_time(rng),
        transfer_to,
        second_service_time: service_time(rng),
        rating,
    }
}

/// Counter work takes 2–20 minutes, mostly around 5 (log-normal).
fn service_time(rng: &mut ChaCha8Rng) -> Duration {
    let minutes = (normal(rng, 1.6, 0.45)).exp().clamp(2.0, 20.0);
    Duration::seconds((minutes * 60.0) as i64)
}

/// A normal sample by Box–Muller.
fn normal(rng: &mut ChaCha8Rng, mean: f64, sd: f64) -> f64 {
    let u1: f64 = rng.random::<f64>().max(f64::MIN_POSITIVE);
    let u2: f64 = rng.random();
    mean + sd * (-2.0 * u1.ln()).sqrt() * (2.0 * std::f64::consts::PI * u2).cos()
}

#[cfg(test)]
mod tests {
    use super::*;
    use rand::SeedableRng;

    #[test]
    fn same_seed_same_day() {
        let open = DateTime::parse_from_rfc3339("2026-11-24T01:00:00Z").unwrap().with_timezone(&Utc);
        let close = open + Duration::hours(8);
        let services: Vec<ServiceCode> = ["a", "b", "c"].iter().map(|s| ServiceCode::new(*s).unwrap()).collect();
        let appts = vec![("YY-1".to_string(), services[0].clone())];
        let a = plan_day(&mut ChaCha8Rng::seed_from_u64(9), open, close, 200, 2, &services, &appts);
        let b = plan_day(&mut ChaCha8Rng::seed_from_u64(9), open, close, 200, 2, &services, &appts);
        assert_eq!(a.len(), 201);
        assert_eq!(format!("{a:?}"), format!("{b:?}"));
        assert!(a.iter().all(|v| v.arrives >= open && v.arrives < close && v.kiosk < 2));
        assert!(a.windows(2).all(|w| w[0].arrives <= w[1].arrives));
        assert!(a.iter().any(|v| v.priority == Priority::Appointment && v.appointment.is_some()));
        let c = plan_day(&mut ChaCha8Rng::seed_from_u64(10), open, close, 200, 2, &services, &appts);
        assert_ne!(format!("{a:?}"), format!("{c:?}"));
    }
}
