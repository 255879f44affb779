//! The announcer: one worker thread around the [`CallQueue`] that renders each announcement with a
//! [`Speaker`] and plays it on an [`AudioSink`], one utterance at a time.
//!
//! Callers (the board's push-stream handler, the counter's keypad) only [`Announcer::announce`];
//! that never blocks on audio. Rendering happens once per announcement and is reused for its
//! repeats. A rendering or playback failure is logged, counted in [`AnnouncerStats`], and the
//! queue moves on: one bad call must not silence the hall.

use std::sync::{Arc, Condvar, Mutex, MutexGuard};
use std::thread::{self, JoinHandle};
use std::time::{Duration, Instant};

use serde::Serialize;

use super::VoiceError;
use super::audio::Audio;
use super::output::AudioSink;
use super::queue::{CallQueue, Clock, Pushed, QueueConfig};
use super::speaker::{EngineUsed, Speaker};
use super::template::Announcement;

/// Longest the worker sleeps before looking at the clock again while an utterance is due later.
/// Bounded so that an injected clock that jumps (a [`ManualClock`](super::ManualClock) in tests)
/// is noticed.
const MAX_NAP: Duration = Duration::from_millis(50);

/// Counters for health reports and `kiosk doctor`.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct AnnouncerStats {
    /// Calls queued as new announcements.
    pub queued: u64,
    /// Calls merged into one already waiting or playing.
    pub merged: u64,
    /// Utterances played (each round counts).
    pub spoken: u64,
    /// Announcements given up because they could not be rendered or played.
    pub failed: u64,
    /// The last failure, in words.
    pub last_error: Option<String>,
    /// The engine of the last rendering.
    pub last_engine: Option<EngineUsed>,
}

struct State {
    queue: CallQueue,
    stats: AnnouncerStats,
    stop: bool,
}

struct Shared {
    state: Mutex<State>,
    changed: Condvar,
}

impl Shared {
    fn lock(&self) -> MutexGuard<'_, State> {
        // A panic while holding the lock cannot leave the queue half-changed in a way that matters
        // more than silence would, so keep going.
        self.state.lock().unwrap_or_else(|p| p.into_inner())
    }
}

/// The running announcer. Dropping it stops the worker after the utterance being played.
pub struct Announcer {
    shared: Arc<Shared>,
    clock: Arc<dyn Clock>,
    worker: Option<JoinHandle<()>>,
}

impl std::fmt::Debug for Announcer {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Announcer").field("stats", &self.stats()).finish_non_exhaustive()
    }
}

impl Announcer {
    /// Starts the worker thread.
    pub fn spawn<S: AudioSink + 'static>(speaker: Speaker, sink: S, config: QueueConfig, clock: Arc<dyn Clock>) -> Announcer {
        let shared = Arc::new(Shared {
            state: Mutex::new(State { queue: CallQueue::new(config), stats: AnnouncerStats::default(), stop: false }),
            changed: Condvar::new(),
        });
        let worker = {
            let shared = Arc::clone(&shared);
            let clock = Arc::clone(&clock);
            thread::Builder::new().name("voice-announcer".into()).spawn(move || run(&shared, clock.as_ref(), &speaker, sink)).ok()
        };
        if worker.is_none() {
            tracing::error!("could not start the voice announcer thread; announcements will be refused");
        }
        Announcer { shared, clock, worker }
    }

    /// Queues a call or a prompt (or merges a recall). Returns at once.
    pub fn announce(&self, announcement: impl Into<Announcement>) -> Result<Pushed, VoiceError> {
        if self.worker.as_ref().is_none_or(|w| w.is_finished()) {
            return Err(VoiceError::Stopped);
        }
        let mut state = self.shared.lock();
        let pushed = state.queue.push(announcement, self.clock.now())?;
        match pushed {
            Pushed::Queued { .. } => state.stats.queued += 1,
            Pushed::Merged { .. } => state.stats.merged += 1,
        }
        drop(state);
        self.shared.changed.notify_all();
        Ok(pushed)
    }

    /// The counters so far.
    pub fn stats(&self) -> AnnouncerStats {
        self.shared.lock().stats.clone()
    }

    /// Announcements waiting (not counting the one being spoken).
    pub fn waiting(&self) -> Vec<Announcement> {
        self.shared.lock().queue.waiting()
    }

    /// Blocks until nothing is waiting or playing, or `timeout` (real time) passes; returns true if
    /// idle. For shutdown, tools and tests.
    pub fn wait_idle(&self, timeout: Duration) -> bool {
        let deadline = Instant::now() + timeout;
        let mut state = self.shared.lock();
        loop {
            if state.queue.is_idle() {
                return true;
            }
            let left = deadline.saturating_duration_since(Instant::now());
            if left.is_zero() {
                return false;
            }
            state = self.shared.changed.wait_timeout(state, left.min(MAX_NAP)).map(|(g, _)| g).unwrap_or_else(|p| p.into_inner().0);
        }
    }

    /// Stops the worker after the utterance being played; waiting calls are dropped.
    pub fn stop(mut self) {
        self.shutdown();
    }

    fn shutdown(&mut self) {
        self.shared.lock().stop = true;
        self.shared.changed.notify_all();
        if let Some(worker) = self.worker.take() {
            if worker.join().is_err() {
                tracing::error!("the voice announcer thread panicked");
            }
        }
    }
}

impl Drop for Announcer {
    fn drop(&mut self) {
        self.shutdown();
    }
}

fn run<S: AudioSink>(shared: &Shared, clock: &dyn Clock, speaker: &Speaker, mut sink: S) {
    // The rendering of the announcement being repeated: rendered once, played `repeat` times.
    let mut rendered: Option<(u64, Audio)> = None;
    let mut state = shared.lock();
    loop {
        if state.stop {
            return;
        }
        let now = clock.now();
        let Some(utterance) = state.queue.poll(now) else {
            let nap = match state.queue.next_due(now) {
                Some(due) => due.saturating_duration_since(now).min(MAX_NAP),
                None => MAX_NAP,
            };
            state = shared.changed.wait_timeout(state, nap).map(|(g, _)| g).unwrap_or_else(|p| p.into_inner().0);
            continue;
        };
        drop(state);

        let label = utterance.announcement.label();
        let mut engine = None;
        let audio = match rendered.take() {
            Some((id, audio)) if id == utterance.id => Ok(audio),
            _ => speaker.render(&utterance.announcement).map(|r| {
                engine = r.segments.first().map(|s| s.engine);
                r.audio
            }),
        };
        let outcome = audio.and_then(|audio| {
            tracing::info!(what = %label, round = utterance.round, of = utterance.rounds, "announcing");
            sink.play(&audio, &label).map(|()| audio)
        });

        state = shared.lock();
        let now = clock.now();
        match outcome {
            Ok(audio) => {
                state.stats.spoken += 1;
                if engine.is_some() {
                    state.stats.last_engine = engine;
                }
                state.queue.finished(utterance.id, now, false);
                rendered = Some((utterance.id, audio));
            }
            Err(e) => {
                tracing::error!(what = %label, error = %e, "announcement failed; moving on to the next call");
                state.stats.failed += 1;
                state.stats.last_error = Some(e.to_string());
                state.queue.finished(utterance.id, now, true);
            }
        }
        shared.changed.notify_all();
    }
}
