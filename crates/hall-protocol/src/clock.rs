//! Time, injected. Devices and central read the time through [`Clock`], so a simulated hall
//! (`kiosk demo`, a business day in a minute) and tests can run everything on one clock of their
//! own. The trait is here because both sides implement and share it.

use chrono::{DateTime, Utc};

/// A source of the current time.
pub trait Clock: Send + Sync + std::fmt::Debug + 'static {
    /// Now.
    fn now(&self) -> DateTime<Utc>;
}

/// The system's wall clock.
#[derive(Debug, Clone, Copy, Default)]
pub struct SystemClock;

impl Clock for SystemClock {
    fn now(&self) -> DateTime<Utc> {
        Utc::now()
    }
}
