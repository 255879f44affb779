//! Time, injected: devices read the time through [`Clock`] (shared with central, from
//! `hall-protocol`), so the demo can run a whole business day in a minute and tests can pin the time.

use std::sync::Arc;

pub use hall_protocol::clock::{Clock, SystemClock};

/// A shared clock handle.
pub type SharedClock = Arc<dyn Clock>;

/// The system clock as a shared handle.
pub fn system_clock() -> SharedClock {
    Arc::new(SystemClock)
}
