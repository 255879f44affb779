//! Hybrid logical clock (HLC). Tickets are called in issue order, and "issue order" across kiosks
//! that may be offline cannot be their printed numbers: it is the ticket's HLC timestamp, with the
//! device id to break ties ([`IssueKey`]). An HLC stays close to wall time but never goes backwards,
//! even when the wall clock is stepped back, and it moves past any timestamp the device has seen from
//! central, so causally later events always sort later.
//!
//! The clock is sans-IO: the caller passes the physical time in.

use std::fmt;

use serde::{Deserialize, Serialize};

use crate::ids::DeviceId;

/// An HLC timestamp: milliseconds since the Unix epoch plus a logical counter for events within the
/// same millisecond. Ordered by `(wall_ms, logical)`.
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Default, Serialize, Deserialize)]
pub struct Hlc {
    /// Physical part: milliseconds since 1970-01-01T00:00:00Z.
    pub wall_ms: u64,
    /// Logical part: counts events that share `wall_ms`.
    pub logical: u32,
}

impl Hlc {
    /// A timestamp from its parts.
    pub const fn new(wall_ms: u64, logical: u32) -> Self {
        Self { wall_ms, logical }
    }
}

impl fmt::Display for Hlc {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}.{}", self.wall_ms, self.logical)
    }
}

/// The state of one node's hybrid logical clock. Persist [`HlcClock::last`] with the events it
/// stamps, and restore it with [`HlcClock::resume`], so a restarted device never reuses a timestamp.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct HlcClock {
    last: Hlc,
}

impl HlcClock {
    /// A clock that has issued nothing yet.
    pub fn new() -> Self {
        Self::default()
    }

    /// A clock that continues after `last`, the newest timestamp it issued or observed before.
    pub fn resume(last: Hlc) -> Self {
        Self { last }
    }

    /// The newest timestamp issued or observed.
    pub fn last(&self) -> Hlc {
        self.last
    }

    /// Issues a timestamp for a local event at physical time `now_ms`. Strictly greater than every
    /// timestamp this clock issued or observed before.
    pub fn tick(&mut self, now_ms: u64) -> Hlc {
        self.last = if now_ms > self.last.wall_ms { Hlc::new(now_ms, 0) } else { Hlc::new(self.last.wall_ms, self.last.logical.saturating_add(1)) };
        self.last
    }

    /// Merges a timestamp received from a peer, at local physical time `now_ms`, so that later local
    /// events sort after it. Returns the merged timestamp.
    pub fn observe(&mut self, remote: Hlc, now_ms: u64) -> Hlc {
        let wall = now_ms.max(self.last.wall_ms).max(remote.wall_ms);
        let logical = if wall == self.last.wall_ms && wall == remote.wall_ms {
            self.last.logical.max(remote.logical).saturating_add(1)
        } else if wall == self.last.wall_ms {
            self.last.logical.saturating_add(1)
        } else if wall == remote.wall_ms {
            remote.logical.saturating_add(1)
        } else {
            0
        };
        self.last = Hlc::new(wall, logical);
        self.last
    }
}

/// The order in which tickets are called: issue time first, then the issuing device. Two tickets never
/// share a key, because one device's HLC never repeats.
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
pub struct IssueKey {
    /// When the ticket was issued.
    pub hlc: Hlc,
    /// Which device issued it.
    pub device: DeviceId,
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    proptest! {
        #[test]
        fn tick_and_observe_are_strictly_monotonic(steps in proptest::collection::vec((0u64..10_000, proptest::option::of((0u64..10_000, 0u32..5))), 1..200)) {
            let mut c = HlcClock::new();
            let mut prev = c.last();
            for (now, remote) in steps {
                let t = match remote {
                    Some((w, l)) => {
                        let r = Hlc::new(w, l);
                        let t = c.observe(r, now);
                        prop_assert!(t > r);
                        t
                    }
                    None => c.tick(now),
                };
                prop_assert!(t > prev, "{t} !> {prev}");
                prop_assert!(t.wall_ms >= now);
                prev = t;
            }
        }
    }

    #[test]
    fn wall_clock_stepping_back_does_not_reorder() {
        let mut c = HlcClock::resume(Hlc::new(1_000, 3));
        assert_eq!(c.tick(500), Hlc::new(1_000, 4));
        assert_eq!(c.tick(2_000), Hlc::new(2_000, 0));
    }
}
