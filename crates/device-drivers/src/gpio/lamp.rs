//! Lamps, sans-IO: which level a lamp shows at a given time, computed from its pattern, so that
//! blinking is tested by asking about times rather than by sleeping.
//!
//! A [`LampPattern`] is a repeating cycle of lit and dark segments (steady on, steady off, even
//! blinking, or groups of short flashes with a pause). A [`Lamp`] is a pattern started at a
//! time, optionally for a limited duration before it falls back to another pattern (blink for
//! ten seconds after a call, then stay lit).

use std::time::Duration;

use serde::{Deserialize, Serialize};

/// What a lamp shows. Durations are in milliseconds so a TOML file can write them plainly:
/// `{ pattern = "blink", on_ms = 500, off_ms = 500 }`.
///
/// Degenerate patterns never fail: a blink whose `on_ms` is 0 stays dark, one whose `off_ms` is
/// 0 stays lit, and `pulses` with `count` 0 stays dark.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(tag = "pattern", rename_all = "snake_case")]
pub enum LampPattern {
    /// Dark.
    Off,
    /// Lit.
    On,
    /// Lit for `on_ms`, dark for `off_ms`, repeated; lit first.
    Blink {
        /// Lit time.
        on_ms: u32,
        /// Dark time.
        off_ms: u32,
    },
    /// `count` flashes (`on_ms` lit, `off_ms` dark), then dark for `pause_ms` more, repeated:
    /// e.g. a double flash to draw the eye to a window that has just called.
    Pulses {
        /// Flashes per group.
        count: u32,
        /// Lit time of each flash.
        on_ms: u32,
        /// Dark time after each flash.
        off_ms: u32,
        /// Extra dark time after each group.
        pause_ms: u32,
    },
}

impl LampPattern {
    /// The common 1 Hz blink.
    pub const BLINK: LampPattern = LampPattern::Blink { on_ms: 500, off_ms: 500 };

    /// The cycle's lit/dark segments in milliseconds (zero-length ones left out), and its period.
    fn cycle(&self) -> Cycle {
        match *self {
            LampPattern::Off => Cycle::Steady(false),
            LampPattern::On => Cycle::Steady(true),
            LampPattern::Blink { on_ms, off_ms } => match (on_ms, off_ms) {
                (0, _) => Cycle::Steady(false),
                (_, 0) => Cycle::Steady(true),
                (on, off) => Cycle::Repeating { count: 1, on: on.into(), off: off.into(), pause: 0 },
            },
            LampPattern::Pulses { count, on_ms, off_ms, pause_ms } => {
                if count == 0 || on_ms == 0 {
                    Cycle::Steady(false)
                } else if off_ms == 0 && pause_ms == 0 {
                    Cycle::Steady(true)
                } else {
                    Cycle::Repeating { count: count.into(), on: on_ms.into(), off: off_ms.into(), pause: pause_ms.into() }
                }
            }
        }
    }

    /// Whether the lamp is lit `elapsed` after the pattern started.
    pub fn is_lit(&self, elapsed: Duration) -> bool {
        match self.cycle() {
            Cycle::Steady(lit) => lit,
            cycle @ Cycle::Repeating { .. } => cycle.position(elapsed).lit,
        }
    }

    /// The time (since the pattern started) of the next boundary between lit and dark segments
    /// strictly after `elapsed`, where the level may change; `None` for a steady pattern.
    pub fn next_change(&self, elapsed: Duration) -> Option<Duration> {
        match self.cycle() {
            Cycle::Steady(_) => None,
            cycle @ Cycle::Repeating { .. } => {
                let position = cycle.position(elapsed);
                Some(elapsed.saturating_add(position.until_change))
            }
        }
    }
}

enum Cycle {
    Steady(bool),
    /// All in milliseconds; `on > 0`, and `off + pause > 0`.
    Repeating {
        count: u64,
        on: u64,
        off: u64,
        pause: u64,
    },
}

struct Position {
    lit: bool,
    until_change: Duration,
}

impl Cycle {
    fn position(&self, elapsed: Duration) -> Position {
        let Cycle::Repeating { count, on, off, pause } = *self else {
            return Position { lit: matches!(self, Cycle::Steady(true)), until_change: Duration::MAX };
        };
        // Work in nanoseconds so that sub-millisecond times are exact.
        const MS: u128 = 1_000_000;
        let (on, off, pause) = (u128::from(on) * MS, u128::from(off) * MS, u128::from(pause) * MS);
        let flash = on + off;
        let period = u128::from(count) * flash + pause;
        let phase = elapsed.as_nanos() % period;
        let last_flash_starts = u128::from(count - 1) * flash;
        let (lit, left) = if phase >= last_flash_starts + on {
            // Dark after the last flash: its off time and the pause run together.
            (false, period - phase)
        } else {
            let within = phase % flash;
            if within < on { (true, on - within) } else { (false, flash - within) }
        };
        Position { lit, until_change: Duration::from_nanos(u64::try_from(left).unwrap_or(u64::MAX)) }
    }
}

/// A lamp's program: a pattern since a time, optionally only until a time after which another
/// pattern takes over.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Lamp {
    pattern: LampPattern,
    since: Duration,
    then: Option<(Duration, LampPattern)>,
}

impl Default for Lamp {
    fn default() -> Self {
        Self { pattern: LampPattern::Off, since: Duration::ZERO, then: None }
    }
}

impl Lamp {
    /// A dark lamp.
    pub fn new() -> Self {
        Self::default()
    }

    /// Shows `pattern` from `now` on.
    pub fn show(&mut self, pattern: LampPattern, now: Duration) {
        *self = Self { pattern, since: now, then: None };
    }

    /// Shows `pattern` from `now` for `duration`, then `then` (started when `pattern` ends).
    pub fn show_for(&mut self, pattern: LampPattern, duration: Duration, then: LampPattern, now: Duration) {
        *self = Self { pattern, since: now, then: Some((now.saturating_add(duration), then)) };
    }

    /// The pattern in force at `now` (and since when).
    fn at(&self, now: Duration) -> (LampPattern, Duration) {
        match self.then {
            Some((until, then)) if now >= until => (then, until),
            _ => (self.pattern, self.since),
        }
    }

    /// The pattern shown at `now`.
    pub fn pattern_at(&self, now: Duration) -> LampPattern {
        self.at(now).0
    }

    /// Whether the lamp is lit at `now`. Before the program started it shows its first pattern
    /// from the start.
    pub fn is_lit(&self, now: Duration) -> bool {
        let (pattern, since) = self.at(now);
        pattern.is_lit(now.saturating_sub(since))
    }

    /// When the lamp's level may next change after `now` (a blink edge, or the switch to the
    /// fallback pattern); `None` when it stays as it is.
    pub fn next_change(&self, now: Duration) -> Option<Duration> {
        let (pattern, since) = self.at(now);
        let blink = pattern.next_change(now.saturating_sub(since)).map(|t| since.saturating_add(t));
        let switch = match self.then {
            Some((until, _)) if now < until => Some(until),
            _ => None,
        };
        match (blink, switch) {
            (Some(a), Some(b)) => Some(a.min(b)),
            (a, b) => a.or(b),
        }
    }
}
