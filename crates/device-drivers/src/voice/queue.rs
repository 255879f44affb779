//! The announcement queue: a sans-IO core. Calls and clock readings go in, utterances come out;
//! it never sleeps, renders or plays, so tests drive it with a fake clock.
//!
//! Rules, each kept by [`CallQueue`]:
//! - **One at a time.** [`CallQueue::poll`] hands out nothing while an utterance is being spoken
//!   (until [`CallQueue::finished`]), so two announcements never overlap or cut each other off.
//! - **Repeat.** Each call is spoken `repeat` times in a row; no other announcement comes between
//!   its rounds. Prompts (kiosk guidance) are spoken once.
//! - **Gap.** After an utterance ends, the next starts no sooner than `gap_ms` later, so rounds and
//!   calls are heard as separate.
//! - **Recall merging.** A call of the same ticket to the same window, within `merge_window_ms` of
//!   the latest request of one still waiting or being spoken, is merged into it instead of being
//!   queued again (a counter pressing "recall" twice does not make the hall hear it four times).
//!   The same ticket to another window is a new call (a transfer), queued normally. The same
//!   prompt text is merged the same way.
//! - **FIFO** otherwise, up to `capacity` waiting calls.

use std::collections::VecDeque;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use serde::{Deserialize, Serialize};

use super::VoiceError;
use super::template::Announcement;

/// A source of the current time, injected so tests can use [`ManualClock`].
pub trait Clock: Send + Sync {
    /// Now.
    fn now(&self) -> Instant;
}

/// The real monotonic clock.
#[derive(Debug, Clone, Copy, Default)]
pub struct SystemClock;

impl Clock for SystemClock {
    fn now(&self) -> Instant {
        Instant::now()
    }
}

/// A clock that only moves when told to; clones share the same time.
#[derive(Debug, Clone)]
pub struct ManualClock(Arc<Mutex<Instant>>);

impl Default for ManualClock {
    fn default() -> Self {
        ManualClock::new()
    }
}

impl ManualClock {
    /// A clock standing at the moment it is made.
    pub fn new() -> ManualClock {
        ManualClock(Arc::new(Mutex::new(Instant::now())))
    }

    /// Moves the clock forward.
    pub fn advance(&self, by: Duration) {
        let mut t = self.0.lock().unwrap_or_else(|p| p.into_inner());
        *t += by;
    }
}

impl Clock for ManualClock {
    fn now(&self) -> Instant {
        *self.0.lock().unwrap_or_else(|p| p.into_inner())
    }
}

/// Queue behaviour.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct QueueConfig {
    /// How many times each call is spoken (at least 1; default 2).
    pub repeat: u8,
    /// A recall of the same ticket to the same window within this many milliseconds of the latest
    /// request of a waiting or playing call is merged into it (default 10000).
    pub merge_window_ms: u64,
    /// Silence after each utterance before the next one starts, in milliseconds (default 800).
    pub gap_ms: u64,
    /// Most calls that may wait (default 64).
    pub capacity: usize,
}

impl Default for QueueConfig {
    fn default() -> Self {
        QueueConfig { repeat: 2, merge_window_ms: 10_000, gap_ms: 800, capacity: 64 }
    }
}

/// What happened to a pushed call.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Pushed {
    /// Queued as a new announcement.
    Queued {
        /// The announcement's id.
        id: u64,
        /// How many announcements are ahead of it (including one being spoken).
        ahead: usize,
    },
    /// Merged into an announcement waiting or being spoken.
    Merged {
        /// The announcement it was merged into.
        into: u64,
    },
}

/// One round of one announcement, to be rendered and played now.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Utterance {
    /// The announcement's id (the same for all its rounds).
    pub id: u64,
    /// What to say.
    pub announcement: Announcement,
    /// Which round this is, from 1.
    pub round: u8,
    /// How many rounds in all.
    pub rounds: u8,
}

#[derive(Debug, Clone)]
struct Entry {
    id: u64,
    announcement: Announcement,
    last_request: Instant,
}

#[derive(Debug, Clone)]
struct Current {
    entry: Entry,
    /// Rounds already finished.
    done: u8,
    /// True between `poll` handing out a round and `finished`.
    speaking: bool,
}

/// The sans-IO announcement queue.
#[derive(Debug, Clone)]
pub struct CallQueue {
    config: QueueConfig,
    waiting: VecDeque<Entry>,
    current: Option<Current>,
    /// When the last utterance ended (for the gap).
    quiet_since: Option<Instant>,
    next_id: u64,
}

impl CallQueue {
    /// An empty queue.
    pub fn new(config: QueueConfig) -> CallQueue {
        CallQueue { config, waiting: VecDeque::new(), current: None, quiet_since: None, next_id: 1 }
    }

    /// The configuration.
    pub fn config(&self) -> &QueueConfig {
        &self.config
    }

    fn rounds(&self, announcement: &Announcement) -> u8 {
        match announcement {
            Announcement::Call(_) => self.config.repeat.max(1),
            Announcement::Prompt(_) => 1,
        }
    }

    fn mergeable(&self, entry: &Entry, announcement: &Announcement, now: Instant) -> bool {
        entry.announcement == *announcement && now.saturating_duration_since(entry.last_request) <= Duration::from_millis(self.config.merge_window_ms)
    }

    /// Adds a call (or a prompt) at time `now`.
    pub fn push(&mut self, announcement: impl Into<Announcement>, now: Instant) -> Result<Pushed, VoiceError> {
        let announcement = announcement.into();
        let merge_into_current = self.current.as_ref().is_some_and(|cur| self.mergeable(&cur.entry, &announcement, now));
        if let Some(cur) = self.current.as_mut().filter(|_| merge_into_current) {
            cur.entry.last_request = now;
            tracing::debug!(what = %announcement.label(), id = cur.entry.id, "recall merged into the announcement being spoken");
            return Ok(Pushed::Merged { into: cur.entry.id });
        }
        if let Some(i) = self.waiting.iter().position(|e| self.mergeable(e, &announcement, now)) {
            let entry = &mut self.waiting[i];
            entry.last_request = now;
            tracing::debug!(what = %announcement.label(), id = entry.id, "recall merged into a waiting announcement");
            return Ok(Pushed::Merged { into: entry.id });
        }
        if self.waiting.len() >= self.config.capacity {
            return Err(VoiceError::QueueFull(self.waiting.len()));
        }
        let id = self.next_id;
        self.next_id += 1;
        let ahead = self.waiting.len() + usize::from(self.current.is_some());
        self.waiting.push_back(Entry { id, announcement, last_request: now });
        Ok(Pushed::Queued { id, ahead })
    }

    fn gap_over(&self, now: Instant) -> bool {
        self.quiet_since.is_none_or(|t| now.saturating_duration_since(t) >= Duration::from_millis(self.config.gap_ms))
    }

    /// The next utterance to speak now, if nothing is being spoken, something is due and the gap
    /// since the last utterance has passed. The caller must report its end with
    /// [`CallQueue::finished`].
    pub fn poll(&mut self, now: Instant) -> Option<Utterance> {
        if self.current.as_ref().is_some_and(|c| c.speaking) || !self.gap_over(now) {
            return None;
        }
        if self.current.is_none() {
            let entry = self.waiting.pop_front()?;
            self.current = Some(Current { entry, done: 0, speaking: false });
        }
        let rounds = self.current.as_ref().map(|c| self.rounds(&c.entry.announcement))?;
        let cur = self.current.as_mut()?;
        cur.speaking = true;
        Some(Utterance { id: cur.entry.id, announcement: cur.entry.announcement.clone(), round: cur.done + 1, rounds })
    }

    /// Reports that the utterance handed out for announcement `id` has ended (played, or failed)
    /// at `now`. `give_up` drops its remaining rounds (e.g. it could not be rendered).
    pub fn finished(&mut self, id: u64, now: Instant, give_up: bool) {
        let rounds = self.current.as_ref().map_or(1, |c| self.rounds(&c.entry.announcement));
        match self.current.as_mut() {
            Some(cur) if cur.entry.id == id && cur.speaking => {
                cur.speaking = false;
                cur.done += 1;
                if give_up || cur.done >= rounds {
                    self.current = None;
                }
                self.quiet_since = Some(now);
            }
            _ => tracing::warn!(id, "voice queue: finished() for an announcement that is not being spoken; ignored"),
        }
    }

    /// When [`CallQueue::poll`] will next have something: `Some(now)` or later if something is
    /// due, `None` if nothing is waiting or an utterance is being spoken (wait for `finished`).
    pub fn next_due(&self, now: Instant) -> Option<Instant> {
        if self.current.as_ref().is_some_and(|c| c.speaking) || (self.current.is_none() && self.waiting.is_empty()) {
            return None;
        }
        let after_gap = self.quiet_since.map_or(now, |t| t + Duration::from_millis(self.config.gap_ms));
        Some(after_gap.max(now))
    }

    /// True while an utterance is being spoken.
    pub fn is_speaking(&self) -> bool {
        self.current.as_ref().is_some_and(|c| c.speaking)
    }

    /// True when nothing is being spoken, waiting, or left to repeat.
    pub fn is_idle(&self) -> bool {
        self.current.is_none() && self.waiting.is_empty()
    }

    /// The announcements waiting (not counting the one being spoken), first first.
    pub fn waiting(&self) -> Vec<Announcement> {
        self.waiting.iter().map(|e| e.announcement.clone()).collect()
    }
}
