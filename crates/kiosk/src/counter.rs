//! Counter actions (call next, recall, skip, transfer, pause, resume, finish). Each action is an
//! outbox event first, committed locally, then pushed at once; central applies it exactly once and
//! answers with its outcome (e.g. which ticket was called). A counter that cannot reach central
//! keeps the action queued, and says so: central refuses calls that arrive long after they were made.

use hall_protocol::{CounterAction, EventOutcome};

use crate::agent::{SyncAgent, SyncError, SyncReport};
use crate::clock::SharedClock;
use crate::config::Config;
use std::sync::{Arc, Mutex};

/// Why a counter action could not be carried out.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum CounterError {
    /// This device is not a counter.
    #[error("this device is a {0}; counter actions need role = \"counter\" and a window")]
    WrongRole(&'static str),
    /// The action was recorded but central could not be reached.
    #[error("action recorded as event #{seq} but central is unreachable ({source}); it will be sent when the link returns")]
    Queued {
        /// The event's sequence number.
        seq: u64,
        /// Why sending failed.
        source: SyncError,
    },
    /// Central acknowledged the push without an answer for this action (a central bug).
    #[error("central acknowledged event #{0} without an outcome")]
    NoOutcome(u64),
    /// The local store failed; nothing was recorded.
    #[error("could not record the action: {0}")]
    Store(#[from] offline_store::StoreError),
}

/// Records `action` for this counter's window and pushes it; returns central's outcome.
pub async fn act(
    store: &Arc<Mutex<offline_store::Store>>,
    agent: &SyncAgent,
    config: &Config,
    clock: &SharedClock,
    action: CounterAction,
) -> Result<(u64, EventOutcome), CounterError> {
    let Some(window) = config.device.window else {
        return Err(CounterError::WrongRole(config.device.role.as_str()));
    };
    let seq = {
        let mut s = store.lock().unwrap_or_else(|p| p.into_inner());
        s.record_counter_action(&config.device.hall, window, &action, clock.now())?
    };
    let mut report = SyncReport::default();
    if let Err(source) = agent.push(&mut report, &mut |_| {}).await {
        return Err(CounterError::Queued { seq, source });
    }
    let outcome = store.lock().unwrap_or_else(|p| p.into_inner()).outcome(seq)?;
    match outcome {
        Some(o) => Ok((seq, o)),
        None => Err(CounterError::NoOutcome(seq)),
    }
}

/// A one-line description of an outcome for staff.
pub fn describe(outcome: &EventOutcome) -> String {
    match outcome {
        EventOutcome::Called { number, window, service, .. } => {
            format!("{} ({service})", ui::call_text_zh(&number.to_string(), *window))
        }
        EventOutcome::QueueEmpty => "nobody is waiting for this window's services".into(),
        EventOutcome::Rejected { reason } => format!("refused: {reason}"),
        EventOutcome::Applied => "done".into(),
        other => format!("{other:?}"),
    }
}
