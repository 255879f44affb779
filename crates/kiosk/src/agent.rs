//! The sync agent: moves a device's outbox to central and central's change feed into the device's
//! store.
//!
//! One round ([`SyncAgent::sync_once`]) does, in order:
//! 1. **push**: outbox batches in sequence order until the outbox is empty; central acknowledges a
//!    high-water mark and the store records it with each event's outcome;
//! 2. **pull**: change-feed pages after the stored cursor (catalogue, config, leases, calls, queue
//!    lengths), each page applied in one transaction together with the new cursor;
//! 3. **leases** (kiosk role): for every enabled service of the hall whose lease is below half, a
//!    lease request whose id was persisted before sending, so a lost answer is asked again with the
//!    same id and does not burn a block.
//!
//! Every piece of progress is committed before the next request, so after a crash or restart the
//! agent resumes exactly where it stopped. [`SyncAgent::run`] repeats rounds, with capped exponential
//! backoff and jitter after failures; [`SyncAgent::follow_stream`] applies the live push stream.
//!
//! The feed and the push stream overlap. Whichever delivers a change first applies it; the store
//! skips what it has seen. Every change newly applied, by either path, is published once on
//! [`SyncAgent::subscribe`], which is what a board announces from.

use std::sync::{Arc, Mutex, MutexGuard};
use std::time::Duration;

use futures_util::StreamExt;
use hall_protocol::api::PushBatch;
use hall_protocol::{Change, DeviceRole, EventOutcome};
use offline_store::Store;
use rand::Rng;
use tokio::sync::{Notify, broadcast};

use crate::backoff::Backoff;
use crate::client::{CentralClient, ClientError};
use crate::clock::SharedClock;
use crate::config::Config;

/// Why a sync round stopped.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum SyncError {
    /// Talking to central failed.
    #[error(transparent)]
    Central(#[from] ClientError),
    /// The local store failed.
    #[error("local store: {0}")]
    Store(#[from] offline_store::StoreError),
    /// Central expects an earlier event than this device still has to send: central lost data
    /// (e.g. it was restored from an old backup).
    #[error(
        "central expects event #{expected} from this device, but it has already acknowledged up to #{acked}; central may have been restored from a backup: ask the administrator"
    )]
    SequenceGap {
        /// What central expects.
        expected: u64,
        /// What central had acknowledged before.
        acked: u64,
    },
}

impl SyncError {
    /// True when a later retry may succeed without anyone doing anything.
    pub fn is_transient(&self) -> bool {
        match self {
            Self::Central(e) => e.is_transient(),
            Self::Store(_) | Self::SequenceGap { .. } => false,
        }
    }
}

/// What one round did.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct SyncReport {
    /// Events central acknowledged in this round.
    pub pushed: u64,
    /// Highest acknowledged sequence number after the round.
    pub acked_to: u64,
    /// Outcomes of the events pushed, by sequence number.
    pub outcomes: Vec<(u64, EventOutcome)>,
    /// Feed changes applied.
    pub changes: u64,
    /// Leases received.
    pub leases: u32,
}

/// Progress of a sync round, reported as it goes (for `kiosk sync`'s progress lines).
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum Progress {
    /// A batch was acknowledged: `acked` of `total` events pending at the start.
    Pushed {
        /// Events acknowledged so far in this round.
        acked: u64,
        /// Events pending when the round began.
        total: u64,
    },
    /// A feed page was applied; the cursor is now `cursor`.
    Pulled {
        /// Changes applied so far in this round.
        changes: u64,
        /// Feed cursor.
        cursor: u64,
    },
    /// A lease was received.
    Leased {
        /// Service.
        service: String,
        /// First number.
        start: u32,
        /// Last number.
        end: u32,
    },
}

/// The sync agent of one device.
#[derive(Debug, Clone)]
pub struct SyncAgent {
    store: Arc<Mutex<Store>>,
    client: CentralClient,
    config: Arc<Config>,
    clock: SharedClock,
    wake: Arc<Notify>,
    applied: broadcast::Sender<Change>,
}

impl SyncAgent {
    /// An agent for `store`, talking through `client`.
    pub fn new(store: Arc<Mutex<Store>>, client: CentralClient, config: Arc<Config>, clock: SharedClock) -> Self {
        let (applied, _) = broadcast::channel(1024);
        Self { store, client, config, clock, wake: Arc::new(Notify::new()), applied }
    }

    /// Changes as they are newly applied to the store, each once, whether they came by the feed or
    /// the push stream.
    pub fn subscribe(&self) -> broadcast::Receiver<Change> {
        self.applied.subscribe()
    }

    /// Applies changes to the store and publishes the ones it had not seen.
    fn apply(&self, changes: &[Change], next_cursor: u64) -> Result<(), SyncError> {
        let mut store = self.store();
        let before = store.feed_cursor()?;
        store.apply_changes(changes, next_cursor)?;
        drop(store);
        let me = &self.config.device.id;
        for c in changes.iter().filter(|c| c.cursor > before && c.device.as_ref().is_none_or(|d| d == me)) {
            // Nobody listening is fine.
            let _ = self.applied.send(c.clone());
        }
        Ok(())
    }

    /// Wakes [`Self::run`] early, e.g. right after a ticket was issued.
    pub fn wake_handle(&self) -> Arc<Notify> {
        self.wake.clone()
    }

    /// The client.
    pub fn client(&self) -> &CentralClient {
        &self.client
    }

    fn store(&self) -> MutexGuard<'_, Store> {
        // A panic while holding the lock cannot leave SQLite half-written (transactions roll
        // back), so a poisoned lock is safe to reuse.
        self.store.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// One round: push, pull, leases.
    pub async fn sync_once(&self) -> Result<SyncReport, SyncError> {
        self.sync_once_with(&mut |_| {}).await
    }

    /// One round, reporting progress as it goes.
    pub async fn sync_once_with(&self, progress: &mut (dyn FnMut(Progress) + Send)) -> Result<SyncReport, SyncError> {
        let mut report = SyncReport::default();
        self.push(&mut report, progress).await?;
        self.pull(&mut report, progress).await?;
        if self.config.device.role == DeviceRole::Kiosk {
            self.refill_leases(&mut report, progress).await?;
        }
        report.acked_to = self.store().last_acked_seq()?;
        Ok(report)
    }

    /// Pushes the outbox until it is empty.
    pub async fn push(&self, report: &mut SyncReport, progress: &mut (dyn FnMut(Progress) + Send)) -> Result<(), SyncError> {
        let total = self.store().outbox_depth()?;
        loop {
            let events = self.store().pending_events(self.config.sync.batch)?;
            let Some(first) = events.first().map(|e| e.device_seq) else { return Ok(()) };
            let batch = PushBatch { device_id: self.config.device.id.clone(), events };
            let ack = match self.client.push(&batch).await {
                Ok(ack) => ack,
                Err(ClientError::Refused { body, .. }) if body.error == "sequence_gap" => {
                    let expected = body.expected_seq.unwrap_or(0);
                    return Err(SyncError::SequenceGap { expected, acked: first.saturating_sub(1) });
                }
                Err(e) => return Err(e.into()),
            };
            let now = self.clock.now();
            {
                let mut store = self.store();
                store.acknowledge(&ack)?;
                store.observe_hlc(ack.server_hlc, now)?;
            }
            let applied = ack.results.len() as u64;
            report.pushed += applied;
            report.outcomes.extend(ack.results.into_iter().map(|r| (r.device_seq, r.outcome)));
            progress(Progress::Pushed { acked: report.pushed, total });
            if applied == 0 {
                // Central acknowledged nothing of a non-empty batch: do not spin.
                return Ok(());
            }
        }
    }

    /// Pulls the change feed until central has nothing more.
    pub async fn pull(&self, report: &mut SyncReport, progress: &mut (dyn FnMut(Progress) + Send)) -> Result<(), SyncError> {
        loop {
            let cursor = self.store().feed_cursor()?;
            let page = self.client.feed(cursor, 1_000).await?;
            let now = self.clock.now();
            self.apply(&page.changes, page.next_cursor)?;
            self.store().observe_hlc(page.server_hlc, now)?;
            report.changes += page.changes.len() as u64;
            if !page.changes.is_empty() {
                progress(Progress::Pulled { changes: report.changes, cursor: page.next_cursor });
            }
            if !page.more || page.changes.is_empty() {
                return Ok(());
            }
        }
    }

    /// Asks for new leases where a queue's numbers are running low.
    pub async fn refill_leases(&self, report: &mut SyncReport, progress: &mut (dyn FnMut(Progress) + Send)) -> Result<(), SyncError> {
        let hall = &self.config.device.hall;
        let day = crate::desk::business_day(&self.config, self.clock.now());
        let services = self.store().services(hall)?;
        for service in services.into_iter().filter(|s| s.enabled) {
            if !self.store().needs_refill(hall, &service.code, day)? {
                continue;
            }
            let request = self.store().pending_lease_request(hall, &service.code, day, self.config.leases.block)?;
            let lease = self.client.lease(&request).await?;
            self.store().add_lease(&lease)?;
            report.leases += 1;
            progress(Progress::Leased { service: service.code.to_string(), start: lease.start, end: lease.end });
        }
        Ok(())
    }

    /// Runs sync rounds until `shutdown` resolves: every `interval_ms` when healthy, sooner when
    /// woken, with backoff after failures.
    pub async fn run(&self, shutdown: impl std::future::Future<Output = ()>) {
        let mut backoff = Backoff::new(Duration::from_millis(self.config.sync.backoff_min_ms), Duration::from_millis(self.config.sync.backoff_max_ms));
        let interval = Duration::from_millis(self.config.sync.interval_ms);
        tokio::pin!(shutdown);
        loop {
            let wait = match self.sync_once().await {
                Ok(report) => {
                    if backoff.failures() > 0 {
                        tracing::info!(after_failures = backoff.failures(), "central reachable again");
                    }
                    backoff.on_success();
                    if report.pushed > 0 || report.leases > 0 {
                        tracing::debug!(pushed = report.pushed, acked_to = report.acked_to, leases = report.leases, changes = report.changes, "synced");
                    }
                    interval
                }
                Err(e) => {
                    let delay = backoff.on_failure(rand::rng().random::<f64>());
                    if e.is_transient() {
                        tracing::warn!(error = %e, retry_in_ms = delay.as_millis() as u64, "sync failed; working offline");
                        delay
                    } else {
                        tracing::error!(error = %e, "sync stopped by an error that needs attention; retrying slowly");
                        Duration::from_millis(self.config.sync.backoff_max_ms)
                    }
                }
            };
            tokio::select! {
                _ = &mut shutdown => return,
                _ = tokio::time::sleep(wait) => {}
                _ = self.wake.notified() => {}
            }
        }
    }

    /// Follows the push stream from the stored cursor, applying each change to the store (and so
    /// publishing it on [`Self::subscribe`]), reconnecting with backoff, until `shutdown` resolves.
    pub async fn follow_stream(&self, shutdown: impl std::future::Future<Output = ()>) {
        let mut backoff = Backoff::new(Duration::from_millis(self.config.sync.backoff_min_ms), Duration::from_millis(self.config.sync.backoff_max_ms));
        tokio::pin!(shutdown);
        loop {
            let followed = async {
                let cursor = self.store().feed_cursor()?;
                let mut stream = Box::pin(self.client.stream(cursor).await?);
                backoff.on_success();
                while let Some(change) = stream.next().await {
                    let change = change?;
                    self.apply(std::slice::from_ref(&change), change.cursor)?;
                }
                Ok::<(), SyncError>(())
            };
            let result = tokio::select! {
                _ = &mut shutdown => return,
                r = followed => r,
            };
            let delay = backoff.on_failure(rand::rng().random::<f64>());
            match result {
                Ok(()) => tracing::info!("push stream ended; reconnecting"),
                Err(e) => tracing::warn!(error = %e, retry_in_ms = delay.as_millis() as u64, "push stream lost"),
            }
            tokio::select! {
                _ = &mut shutdown => return,
                _ = tokio::time::sleep(delay) => {}
            }
        }
    }
}
