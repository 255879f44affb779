//! [`Central`]: the service's state — storage, one queue engine per hall, the hybrid logical
//! clock and the live change channel — and the rules for changing it.
//!
//! Every write goes through [`Central::write`], which holds one lock around the engines and the
//! write transaction. That lock is what makes "a ticket is never called to two windows" hold under
//! concurrent requests: two call-next requests are applied one after the other, each seeing the
//! other's result. Reads use separate database handles and do not wait for writers.

use std::collections::{BTreeMap, BTreeSet};
use std::path::Path;
use std::sync::{Arc, Mutex, MutexGuard};

use chrono::{DateTime, NaiveDate, SubsecRound, Utc};
use hall_protocol::api::{Health, PROTOCOL_VERSION};
use hall_protocol::{Catalogue, Change, ChangeBody, DeviceId, HallId, Hlc, HlcClock};
use tokio::sync::{broadcast, watch};

use crate::config::CentralConfig;
use crate::engine::{EngineConfig, EngineError, EngineEvent, QueueEngine};
use crate::engine_log::EngineInput;
use crate::error::CentralError;
use crate::store::{CentralStore, SqliteStore, StoreError, StoreRead, StoreWrite};

const META_DIGEST_KEY: &str = "id_digest_key";
const META_ENGINE_CONFIG: &str = "engine_config";
const META_HLC: &str = "hlc";

/// How far ahead of central's clock a device's clock may be and still be followed: for its HLC
/// timestamps, and for a ticket's business day rolling a hall into the next day.
pub(crate) const MAX_CLOCK_AHEAD: std::time::Duration = std::time::Duration::from_secs(5 * 60);

/// The central service. Cheap to share: wrap it in an [`Arc`] (the constructors do).
///
/// Its methods block on the database (SQLite with `synchronous=FULL` waits for the disk); from
/// async code call them through `tokio::task::spawn_blocking`, as the HTTP layer does.
pub struct Central {
    pub(crate) config: CentralConfig,
    state: Mutex<State>,
    /// Idle read handles; empty and unused when the backend cannot share its database.
    readers: Mutex<Vec<Box<dyn CentralStore>>>,
    /// Opens more read handles; `None` when the backend cannot share its database.
    reader_factory: Option<Mutex<Box<dyn CentralStore>>>,
    hlc: Mutex<HlcClock>,
    changes: broadcast::Sender<Change>,
    shutdown: watch::Sender<bool>,
    pub(crate) digest_key: Vec<u8>,
    /// What start-up replayed.
    replayed: Replayed,
}

/// What start-up read from the engine input log to rebuild the queues: one day per hall (from
/// each hall's last `CloseDay`), never the whole history.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Replayed {
    /// Halls whose engine was rebuilt.
    pub halls: usize,
    /// Engine inputs replayed, over all halls.
    pub inputs: usize,
}

impl std::fmt::Debug for Central {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Central").field("config", &self.config).finish_non_exhaustive()
    }
}

/// What the write lock guards.
struct State {
    store: Box<dyn CentralStore>,
    engines: BTreeMap<HallId, QueueEngine>,
    engine_config: EngineConfig,
    /// Halls whose engine may differ from the database: a write that touched them failed, and
    /// rebuilding them from the log failed too. Rebuilt before anything reads or changes them.
    stale: BTreeSet<HallId>,
}

/// One write in progress: the transaction, the engines, and the changes to publish once it
/// commits. The halls whose engines it gave inputs to are remembered: if the write fails, they
/// are rebuilt from the (rolled back) log, so a failed write leaves them as they were. Nothing
/// is copied up front: a refused input changes nothing, so only the rare storage failure after
/// an accepted input needs the rebuild.
pub(crate) struct Writing<'a> {
    pub(crate) tx: Box<dyn StoreWrite + 'a>,
    engines: &'a mut BTreeMap<HallId, QueueEngine>,
    engine_config: EngineConfig,
    touched: BTreeSet<HallId>,
    published: Vec<Change>,
    /// Central's time for this write.
    pub(crate) now: DateTime<Utc>,
}

impl Writing<'_> {
    /// Appends a change to the feed; it is pushed to live subscribers after the commit.
    pub(crate) fn feed(&mut self, device: Option<&DeviceId>, body: ChangeBody) -> Result<(), CentralError> {
        let change = self.tx.append_change(self.now, device, &body)?;
        self.published.push(change);
        Ok(())
    }

    /// Gives an input to a hall's engine and, if the engine takes it, logs it. A refused input
    /// changes nothing and is not logged.
    pub(crate) fn engine_input(&mut self, hall: &HallId, input: EngineInput) -> Result<Result<Vec<EngineEvent>, EngineError>, CentralError> {
        // Before the input: even an engine created here must go if the write fails.
        self.touched.insert(hall.clone());
        let config = self.engine_config;
        let engine = self.engines.entry(hall.clone()).or_insert_with(|| QueueEngine::new(hall.clone(), config));
        let result = input.apply(engine);
        if result.is_ok() {
            self.tx.log_engine_input(hall, &input)?;
        }
        Ok(result)
    }
}

impl<'a> Writing<'a> {
    /// The transaction, the halls touched and the changes fed; ends the borrow of the engines.
    fn into_parts(self) -> (Box<dyn StoreWrite + 'a>, BTreeSet<HallId>, Vec<Change>) {
        (self.tx, self.touched, self.published)
    }

    /// A hall's engine as it is in this write, if it has one.
    pub(crate) fn engine(&self, hall: &HallId) -> Option<&QueueEngine> {
        self.engines.get(hall)
    }

    /// The business day a hall's engine is on (`None`: no engine, or no day started yet).
    pub(crate) fn engine_day(&self, hall: &HallId) -> Option<NaiveDate> {
        self.engines.get(hall).and_then(QueueEngine::day)
    }

    /// The halls that have an engine.
    pub(crate) fn engine_halls(&self) -> Vec<HallId> {
        self.engines.keys().cloned().collect()
    }
}

/// Rebuilds a hall's engine from the log: from its last `CloseDay` (or its first input) on, into
/// a new engine. `None` if nothing was logged for the hall. Returns the number of inputs replayed.
fn rebuild(tx: &dyn StoreRead, hall: &HallId, config: EngineConfig) -> Result<Option<(QueueEngine, usize)>, CentralError> {
    let Some(start) = tx.engine_log_start(hall)? else { return Ok(None) };
    let inputs = tx.engine_log_from(hall, start)?;
    let mut engine = QueueEngine::new(hall.clone(), config);
    for input in &inputs {
        if let Err(e) = input.apply(&mut engine) {
            return Err(CentralError::Replay { hall: hall.clone(), reason: format!("input {input:?} was refused: {e}") });
        }
    }
    Ok(Some((engine, inputs.len())))
}

impl State {
    /// Rebuilds `hall`'s engine from the database (after a failed write touched it). If that fails
    /// too, the hall is marked stale and rebuilt before its next use.
    fn restore(&mut self, hall: HallId) {
        let rebuilt = match self.store.read() {
            Ok(tx) => rebuild(&*tx, &hall, self.engine_config),
            Err(e) => Err(e.into()),
        };
        match rebuilt {
            Ok(Some((engine, inputs))) => {
                tracing::info!(%hall, inputs, "queue engine rebuilt from the log after a failed write");
                self.engines.insert(hall.clone(), engine);
                self.stale.remove(&hall);
            }
            Ok(None) => {
                self.engines.remove(&hall);
                self.stale.remove(&hall);
            }
            Err(e) => {
                tracing::error!(%hall, error = %e, "cannot rebuild the queue engine after a failed write; will retry before its next use");
                self.engines.remove(&hall);
                self.stale.insert(hall);
            }
        }
    }

    /// Rebuilds the engines of stale halls. Fails (changing nothing else) while that is impossible,
    /// so no request ever sees or changes an engine that differs from the database.
    fn refresh(&mut self) -> Result<(), CentralError> {
        while let Some(hall) = self.stale.first().cloned() {
            let rebuilt = {
                let tx = self.store.read()?;
                rebuild(&*tx, &hall, self.engine_config)?
            };
            match rebuilt {
                Some((engine, _)) => self.engines.insert(hall.clone(), engine),
                None => self.engines.remove(&hall),
            };
            self.stale.remove(&hall);
        }
        Ok(())
    }
}

impl Central {
    /// Opens (creating if needed) a central whose data lives in the SQLite file at `path`, and
    /// rebuilds each hall's queues from it. Only one central may have a file open at a time.
    pub fn open(path: &Path, config: CentralConfig) -> Result<Arc<Self>, CentralError> {
        Self::with_store(Box::new(SqliteStore::open(path)?), config)
    }

    /// A central on a fresh in-memory database, for tests and the in-process demo. Its data is
    /// gone when it is dropped.
    pub fn open_in_memory(config: CentralConfig) -> Result<Arc<Self>, CentralError> {
        Self::with_store(Box::new(SqliteStore::open_in_memory()?), config)
    }

    /// A central on any storage backend.
    pub fn with_store(mut store: Box<dyn CentralStore>, config: CentralConfig) -> Result<Arc<Self>, CentralError> {
        let (digest_key, engine_config, hlc) = {
            let mut tx = store.write()?;
            let digest_key = match (&config.id_digest_key, tx.meta(META_DIGEST_KEY)?) {
                (Some(key), _) => key.clone(),
                (None, Some(key)) => key,
                (None, None) => {
                    let key: [u8; 32] = rand::random();
                    tx.set_meta(META_DIGEST_KEY, &key)?;
                    key.to_vec()
                }
            };
            let engine_config = match tx.meta(META_ENGINE_CONFIG)? {
                Some(bytes) => {
                    let stored: EngineConfig = serde_json::from_slice(&bytes).map_err(|e| StoreError::Corrupt(format!("stored engine config: {e}")))?;
                    if stored != config.engine {
                        tracing::warn!(?stored, given = ?config.engine, "queue rules differ from those the database was created with; using the stored ones so the queues rebuild as they were");
                    }
                    stored
                }
                None => {
                    let bytes = serde_json::to_vec(&config.engine).map_err(|e| StoreError::Corrupt(format!("engine config: {e}")))?;
                    tx.set_meta(META_ENGINE_CONFIG, &bytes)?;
                    config.engine
                }
            };
            let hlc = match tx.meta(META_HLC)? {
                Some(bytes) => serde_json::from_slice::<Hlc>(&bytes).map_err(|e| StoreError::Corrupt(format!("stored clock: {e}")))?,
                None => Hlc::default(),
            };
            tx.commit()?;
            (digest_key, engine_config, hlc)
        };

        // Each hall from its last closed day on: start-up reads one day of the log, not all of it.
        let mut engines: BTreeMap<HallId, QueueEngine> = BTreeMap::new();
        let mut replayed = Replayed::default();
        {
            let tx = store.read()?;
            for hall in tx.hall_ids()? {
                if let Some((engine, inputs)) = rebuild(&*tx, &hall, engine_config)? {
                    tracing::debug!(%hall, day = ?engine.day(), inputs, "hall's queues rebuilt");
                    engines.insert(hall, engine);
                    replayed.halls += 1;
                    replayed.inputs += inputs;
                }
            }
        }
        tracing::info!(halls = replayed.halls, inputs = replayed.inputs, "queues rebuilt from the engine input log (each hall from its last closed day)");

        let reader_factory = store.reader()?.map(Mutex::new);
        let (changes, _) = broadcast::channel(config.stream_buffer.max(16));
        let (shutdown, _) = watch::channel(false);
        Ok(Arc::new(Self {
            state: Mutex::new(State { store, engines, engine_config, stale: BTreeSet::new() }),
            readers: Mutex::new(Vec::new()),
            reader_factory,
            hlc: Mutex::new(HlcClock::resume(hlc)),
            changes,
            shutdown,
            digest_key,
            config,
            replayed,
        }))
    }

    /// What start-up replayed from the engine input log (each hall from its last closed day).
    pub fn replayed(&self) -> Replayed {
        self.replayed
    }

    /// The configuration.
    pub fn config(&self) -> &CentralConfig {
        &self.config
    }

    /// Central's current time, to the microsecond (the precision it stores).
    pub fn now(&self) -> DateTime<Utc> {
        self.config.clock.now().trunc_subsecs(6)
    }

    fn lock_state(&self) -> Result<MutexGuard<'_, State>, CentralError> {
        self.state.lock().map_err(|_| CentralError::Poisoned)
    }

    /// Runs `f` in a write transaction under the write lock, commits, and publishes the changes it
    /// fed. If `f` or the commit fails, nothing is stored, and the engines `f` gave inputs to are
    /// rebuilt from the log as the database has them.
    pub(crate) fn write<T>(&self, f: impl FnOnce(&mut Writing<'_>) -> Result<T, CentralError>) -> Result<T, CentralError> {
        let mut guard = self.lock_state()?;
        let state = &mut *guard;
        state.refresh()?;
        let now = self.now();
        let tx = state.store.write()?;
        let mut w = Writing { tx, engines: &mut state.engines, engine_config: state.engine_config, touched: BTreeSet::new(), published: Vec::new(), now };
        let result = f(&mut w);
        let (tx, touched, published) = w.into_parts();
        let committed = result.and_then(|value| {
            tx.commit()?;
            Ok(value)
        });
        match committed {
            Ok(value) => {
                // Still under the lock, so live subscribers see changes in cursor order.
                for change in published {
                    // No subscribers is fine: devices catch up from the feed.
                    let _ = self.changes.send(change);
                }
                Ok(value)
            }
            Err(e) => {
                // The transaction is gone (rolled back), so the log is as it was before `f`.
                for hall in touched {
                    state.restore(hall);
                }
                Err(e)
            }
        }
    }

    /// Runs `f` on a consistent snapshot of the database, without waiting for writers when the
    /// backend allows it.
    pub(crate) fn read<T>(&self, f: impl FnOnce(&dyn StoreRead) -> Result<T, CentralError>) -> Result<T, CentralError> {
        let Some(factory) = &self.reader_factory else {
            let mut state = self.lock_state()?;
            let tx = state.store.read()?;
            return f(&*tx);
        };
        let idle = self.readers.lock().map_err(|_| CentralError::Poisoned)?.pop();
        let mut reader = match idle {
            Some(r) => r,
            None => {
                let opened = factory.lock().map_err(|_| CentralError::Poisoned)?.reader()?;
                opened.ok_or_else(|| StoreError::Corrupt("the storage backend stopped handing out read handles".to_owned()))?
            }
        };
        let result = {
            let tx = reader.read()?;
            f(&*tx)
        };
        let mut idle = self.readers.lock().map_err(|_| CentralError::Poisoned)?;
        // Keep a few handles for the next readers; close the rest.
        if idle.len() < 8 {
            idle.push(reader);
        }
        result
    }

    /// Runs `f` on a hall's engine under the write lock (for snapshots; never mutates).
    pub(crate) fn with_engine<T>(&self, hall: &HallId, f: impl FnOnce(Option<&QueueEngine>) -> T) -> Result<T, CentralError> {
        let mut state = self.lock_state()?;
        state.refresh()?;
        Ok(f(state.engines.get(hall)))
    }

    /// Whether any hall's engine satisfies `f` (under the write lock; never mutates).
    pub(crate) fn any_engine(&self, f: impl Fn(&QueueEngine) -> bool) -> Result<bool, CentralError> {
        let mut state = self.lock_state()?;
        state.refresh()?;
        Ok(state.engines.values().any(f))
    }

    /// A copy of a hall's queue engine as it is now (for inspection and tests).
    pub fn engine(&self, hall: &HallId) -> Result<Option<QueueEngine>, CentralError> {
        self.with_engine(hall, |e| e.cloned())
    }

    /// Issues a timestamp from central's hybrid logical clock.
    pub fn hlc_tick(&self) -> Hlc {
        let now_ms = u64::try_from(self.now().timestamp_millis()).unwrap_or(0);
        match self.hlc.lock() {
            Ok(mut c) => c.tick(now_ms),
            Err(poisoned) => poisoned.into_inner().tick(now_ms),
        }
    }

    /// Merges device timestamps into central's clock. A timestamp far ahead of central's own
    /// time is ignored (and logged): one kiosk with a wrong clock must not drag every device's
    /// clock into the future.
    pub(crate) fn hlc_observe(&self, remote: impl IntoIterator<Item = Hlc>) -> Hlc {
        const MAX_AHEAD_MS: u64 = MAX_CLOCK_AHEAD.as_millis() as u64;
        let now_ms = u64::try_from(self.now().timestamp_millis()).unwrap_or(0);
        let mut clock = match self.hlc.lock() {
            Ok(c) => c,
            Err(poisoned) => poisoned.into_inner(),
        };
        for hlc in remote {
            if hlc.wall_ms > now_ms.saturating_add(MAX_AHEAD_MS) {
                tracing::warn!(%hlc, now_ms, "a device clock is more than 5 minutes ahead of central; not following it");
                continue;
            }
            clock.observe(hlc, now_ms);
        }
        clock.tick(now_ms)
    }

    /// Stores central's clock so a restart never goes below what devices have seen.
    pub(crate) fn persist_hlc(w: &mut Writing<'_>, hlc: Hlc) -> Result<(), CentralError> {
        let bytes = serde_json::to_vec(&hlc).map_err(|e| StoreError::Corrupt(format!("clock: {e}")))?;
        w.tx.set_meta(META_HLC, &bytes)?;
        Ok(())
    }

    /// `GET /v1/health`.
    pub fn health(&self) -> Health {
        Health { status: "ok".to_owned(), version: env!("CARGO_PKG_VERSION").to_owned(), protocol: PROTOCOL_VERSION, server_hlc: self.hlc_tick() }
    }

    /// Live changes, in cursor order, from the moment of subscribing. A receiver that falls behind
    /// by more than the channel's capacity gets `Lagged` and should re-read the feed.
    pub fn subscribe(&self) -> broadcast::Receiver<Change> {
        self.changes.subscribe()
    }

    /// Tells open push streams to end (used on graceful shutdown: an open stream would otherwise
    /// keep the server waiting forever).
    pub fn close_streams(&self) {
        self.shutdown.send_replace(true);
    }

    /// Resolves when [`Central::close_streams`] is called.
    pub(crate) fn streams_closed(&self) -> watch::Receiver<bool> {
        self.shutdown.subscribe()
    }

    /// The catalogue, or one hall's part of it.
    pub fn catalogue(&self, hall: Option<&HallId>) -> Result<Catalogue, CentralError> {
        self.read(|tx| {
            if let Some(h) = hall
                && tx.hall(h)?.is_none()
            {
                return Err(CentralError::UnknownHall(h.clone()));
            }
            Ok(tx.catalogue(hall)?)
        })
    }
}
