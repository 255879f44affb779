//! The button debouncer, sans-IO.

use std::collections::VecDeque;
use std::time::Duration;

use serde::{Deserialize, Serialize};

/// The default debounce window: longer than the bounce of common tactile and arcade buttons
/// (typically under 10 ms), short enough that a press feels immediate.
pub const DEFAULT_DEBOUNCE: Duration = Duration::from_millis(30);

/// How a button is debounced.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct ButtonSettings {
    /// How long the line must stay at one level before the change counts.
    pub debounce: Duration,
    /// When set, holding the button this long (from the press) reports a
    /// [`ButtonChange::LongPress`] once, while it is still held.
    pub long_press: Option<Duration>,
}

impl Default for ButtonSettings {
    fn default() -> Self {
        Self { debounce: DEFAULT_DEBOUNCE, long_press: None }
    }
}

/// A debounced change of a button.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "change", rename_all = "snake_case")]
pub enum ButtonChange {
    /// The button went down.
    Pressed {
        /// Time of the first edge of the press.
        at: Duration,
    },
    /// The button has been held for the configured long-press time (reported once per press).
    LongPress {
        /// When the long-press time was reached.
        at: Duration,
    },
    /// The button came back up.
    Released {
        /// Time of the first edge of the release.
        at: Duration,
        /// How long it was held.
        held: Duration,
    },
}

/// The button debouncer, sans-IO: raw edges and the time in, debounced presses out.
///
/// A mechanical button does not switch cleanly: for a few milliseconds after a press or a
/// release its contact bounces, and the GPIO line reports a burst of edges. The debouncer
/// waits until the line has stayed at one level for the whole debounce window after the last
/// edge; only then does it decide that the button changed. So:
///
/// - a press is reported once, however many edges its bounce produced;
/// - a glitch that returns to the old level within the window (electrical noise on a long
///   cable) is reported as nothing, only counted;
/// - a press is reported one window after the bounce ends (30 ms by default), stamped with the
///   time of its first edge.
///
/// Time is a [`Duration`] on any monotonic timeline the caller chooses (the GPIO backends use
/// the time since they were opened); nothing here sleeps or reads a clock.
#[derive(Debug, Clone)]
pub struct Debouncer {
    settings: ButtonSettings,
    /// The debounced state: is the button down?
    pressed: bool,
    /// The level the line reported last.
    raw: bool,
    /// Time of the last edge seen, to keep time monotonic when edges arrive out of order.
    last_edge: Duration,
    /// While edges are settling: the time of the first edge of the burst and when the line
    /// counts as stable if no further edge arrives.
    burst: Option<Burst>,
    /// When the current press began.
    pressed_at: Duration,
    /// Whether this press already reported its long press.
    long_reported: bool,
    /// Bursts that ended at the level they started from.
    glitches: u64,
    /// Edges that did not by themselves make a change (bounces).
    bounces: u64,
    /// Changes decided but not yet handed out by [`poll`](Self::poll).
    decided: VecDeque<ButtonChange>,
}

#[derive(Debug, Clone, Copy)]
struct Burst {
    first_edge: Duration,
    settles_at: Duration,
}

impl Debouncer {
    /// A debouncer for a button that is down (`pressed`) or up when watching begins. A button
    /// already held at start is not reported as a press, only its release.
    pub fn new(settings: ButtonSettings, pressed: bool) -> Self {
        Self {
            settings,
            pressed,
            raw: pressed,
            last_edge: Duration::ZERO,
            burst: None,
            pressed_at: Duration::ZERO,
            // A button held since start must not report a long press it was never pressed for.
            long_reported: pressed,
            glitches: 0,
            bounces: 0,
            decided: VecDeque::new(),
        }
    }

    /// The settings.
    pub fn settings(&self) -> ButtonSettings {
        self.settings
    }

    /// The line reported a level (`true`: the button is down) at `at`. Repeated levels are
    /// taken as an edge whose opposite was missed, and restart the window like any bounce.
    pub fn edge(&mut self, active: bool, at: Duration) {
        // Edges stamped earlier than one already seen (two lines read in one batch) count as
        // simultaneous, so deadlines never move backwards.
        let at = at.max(self.last_edge);
        // What was already decided before this edge (a press that settled, a long press
        // reached) is decided whether or not anyone polled in between.
        self.advance(at);
        self.record(active, at);
    }

    fn record(&mut self, active: bool, at: Duration) {
        self.last_edge = at;
        self.raw = active;
        let first_edge = match self.burst {
            Some(burst) => {
                self.bounces += 1;
                burst.first_edge
            }
            None => at,
        };
        self.burst = Some(Burst { first_edge, settles_at: at.saturating_add(self.settings.debounce) });
    }

    /// A reading of the line's level at `now` (a check that no edge was missed, e.g. when the
    /// kernel's event queue overflowed). A level that differs from the last edge counts as an
    /// edge at `now`.
    pub fn sample(&mut self, active: bool, now: Duration) {
        if active == self.raw {
            return;
        }
        let now = now.max(self.last_edge);
        if self.burst.is_some() {
            // The missed edge came during the burst, before its window closed: the burst is
            // not over, whatever its deadline says.
            self.record(active, now);
        } else {
            self.edge(active, now);
        }
    }

    /// The next change due at `now`, if any. Call it until it returns `None`: a late call can
    /// have a press and its long press due at once.
    pub fn poll(&mut self, now: Duration) -> Option<ButtonChange> {
        self.advance(now);
        self.decided.pop_front()
    }

    /// Decides everything due by `now`, in time order, into `decided`.
    fn advance(&mut self, now: Duration) {
        if let Some(burst) = self.burst
            && burst.settles_at <= now
        {
            self.burst = None;
            if self.raw == self.pressed {
                self.glitches += 1;
            } else if self.raw {
                self.pressed = true;
                self.pressed_at = burst.first_edge;
                self.long_reported = false;
                self.decided.push_back(ButtonChange::Pressed { at: burst.first_edge });
            } else {
                self.pressed = false;
                let held = burst.first_edge.saturating_sub(self.pressed_at);
                self.decided.push_back(ButtonChange::Released { at: burst.first_edge, held });
            }
        }
        if let Some(long_at) = self.long_press_due()
            && long_at <= now
        {
            self.long_reported = true;
            self.decided.push_back(ButtonChange::LongPress { at: long_at });
        }
    }

    /// When [`poll`](Self::poll) next has something to do: the end of a settling burst or the
    /// long-press time. `None` while nothing is pending (wait for the next edge).
    pub fn next_deadline(&self) -> Option<Duration> {
        if !self.decided.is_empty() {
            return Some(self.last_edge);
        }
        let settle = self.burst.map(|b| b.settles_at);
        match (settle, self.long_press_due()) {
            (Some(a), Some(b)) => Some(a.min(b)),
            (a, b) => a.or(b),
        }
    }

    /// The time a long press is due, while one can still happen.
    fn long_press_due(&self) -> Option<Duration> {
        let long = self.settings.long_press?;
        // A release that is still settling is not a long press: the person let go.
        let releasing = self.burst.is_some() && !self.raw;
        (self.pressed && !self.long_reported && !releasing).then(|| self.pressed_at.saturating_add(long))
    }

    /// Whether edges have arrived that have not settled yet.
    pub fn is_settling(&self) -> bool {
        self.burst.is_some()
    }

    /// The debounced state: `true` while the button is down.
    pub fn is_pressed(&self) -> bool {
        self.pressed
    }

    /// Edge bursts that came back to where they started (noise, not a press).
    pub fn glitches(&self) -> u64 {
        self.glitches
    }

    /// Edges absorbed as bounces.
    pub fn bounces(&self) -> u64 {
        self.bounces
    }
}
