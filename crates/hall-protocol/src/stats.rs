//! Daily statistics: what a hall manager judges the hall by (mean and p90 waiting time per service,
//! served per window).

use serde::{Deserialize, Serialize};

use crate::ids::{BusinessDay, HallId, ServiceCode, WindowNo};

/// Summary of a set of durations, in seconds.
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[derive(Debug, Clone, Copy, PartialEq, Default, Serialize, Deserialize)]
pub struct Summary {
    /// How many durations.
    pub count: u64,
    /// Mean.
    pub mean_s: f64,
    /// Median (nearest-rank).
    pub p50_s: f64,
    /// 90th percentile (nearest-rank).
    pub p90_s: f64,
}

impl Summary {
    /// Summarises durations in seconds. Percentiles use the nearest-rank method.
    pub fn of(values: &[f64]) -> Self {
        if values.is_empty() {
            return Self::default();
        }
        let mut v: Vec<f64> = values.iter().copied().filter(|x| x.is_finite()).collect();
        if v.is_empty() {
            return Self::default();
        }
        v.sort_by(f64::total_cmp);
        let rank = |p: f64| {
            let idx = ((p * v.len() as f64).ceil() as usize).clamp(1, v.len()) - 1;
            v[idx]
        };
        Self { count: v.len() as u64, mean_s: v.iter().sum::<f64>() / v.len() as f64, p50_s: rank(0.5), p90_s: rank(0.9) }
    }
}

/// One service's day.
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ServiceStats {
    /// Service.
    pub service: ServiceCode,
    /// Tickets issued for it (including transfers in).
    pub issued: u64,
    /// Tickets finished.
    pub served: u64,
    /// Tickets dropped as no-shows.
    pub no_show: u64,
    /// Still waiting.
    pub waiting: u64,
    /// Never called: the business day closed while they waited or were at a window, or they
    /// reached central after their day had closed. Not no-shows: nobody called them.
    #[serde(default)]
    pub expired: u64,
    /// Issue → first call.
    pub wait: Summary,
    /// Call → finish.
    pub service_time: Summary,
}

/// One window's day.
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct WindowStats {
    /// Window.
    #[cfg_attr(feature = "openapi", schema(value_type = u16))]
    pub window: WindowNo,
    /// Tickets finished there.
    pub served: u64,
    /// Issue → call, for tickets called there.
    pub wait: Summary,
    /// Call → finish there.
    pub service_time: Summary,
}

/// A hall's business day.
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct DayStats {
    /// Hall.
    pub hall: HallId,
    /// Day.
    #[cfg_attr(feature = "openapi", schema(value_type = String, format = Date))]
    pub day: BusinessDay,
    /// Per service.
    pub services: Vec<ServiceStats>,
    /// Per window.
    pub windows: Vec<WindowStats>,
    /// Evaluations per level, index 0 = level 1 (非常不满意) … index 4 = level 5 (非常满意).
    #[cfg_attr(feature = "openapi", schema(value_type = Vec<u64>, min_items = 5, max_items = 5))]
    pub evaluations: [u64; 5],
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn nearest_rank() {
        let s = Summary::of(&[1.0, 2.0, 3.0, 4.0, 5.0, 6.0, 7.0, 8.0, 9.0, 10.0]);
        assert_eq!(s.count, 10);
        assert_eq!(s.mean_s, 5.5);
        assert_eq!(s.p50_s, 5.0);
        assert_eq!(s.p90_s, 9.0);
        assert_eq!(Summary::of(&[]).count, 0);
        assert_eq!(Summary::of(&[7.0]).p90_s, 7.0);
    }
}
