//! The push stream (`GET /v1/stream`): server-sent events, one [`Change`] each, `id` = cursor.
//!
//! No gap and no duplicate: the stream subscribes to the live channel *before* it reads the
//! backlog from the database, so every change is in one or the other (or both), and it drops any
//! change at or below the last cursor it sent. If it falls behind the live channel, it re-reads
//! from the database from its last cursor. Changes are published in cursor order (under central's
//! write lock), so "at or below the last cursor" is exactly "already sent".

use std::collections::VecDeque;
use std::convert::Infallible;
use std::sync::Arc;

use axum::extract::State;
use axum::http::HeaderMap;
use axum::response::sse::{Event, KeepAlive, Sse};
use futures_util::Stream;
use hall_protocol::{Change, DeviceId};
use serde::Deserialize;
use tokio::sync::{broadcast, watch};
use utoipa::IntoParams;

use super::error::ApiFailure;
use super::extract::{ApiQuery, CallingDevice};
use super::handlers::blocking;
use crate::central::Central;
use crate::ingest::active_device;

/// Changes read from the database per step.
const PAGE: usize = 1000;

/// `?device=&after=` of the stream.
#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub(crate) struct StreamQuery {
    /// The listening device: adds the changes scoped to it.
    #[param(value_type = Option<String>)]
    pub device: Option<DeviceId>,
    /// Cursor of the last change already seen; defaults to the `Last-Event-ID` header, then 0.
    pub after: Option<u64>,
}

struct Follower {
    central: Arc<Central>,
    device: Option<DeviceId>,
    last: u64,
    backlog: VecDeque<Change>,
    reload: bool,
    live: broadcast::Receiver<Change>,
    closed: watch::Receiver<bool>,
}

impl Follower {
    fn visible(&self, c: &Change) -> bool {
        c.cursor > self.last && (c.device.is_none() || c.device == self.device)
    }

    /// The next change to send, or `None` when the stream should end.
    async fn next(&mut self) -> Option<Change> {
        loop {
            if *self.closed.borrow() {
                return None;
            }
            while let Some(c) = self.backlog.pop_front() {
                if self.visible(&c) {
                    self.last = c.cursor;
                    return Some(c);
                }
            }
            if self.reload {
                let central = self.central.clone();
                let (after, device) = (self.last, self.device.clone());
                let page = blocking(move || central.read(|tx| Ok(tx.changes_after(after, device.as_ref(), PAGE)?))).await;
                match page {
                    Ok(page) => {
                        self.reload = page.len() == PAGE;
                        self.backlog.extend(page);
                        continue;
                    }
                    Err(e) => {
                        // The client reconnects with Last-Event-ID and loses nothing.
                        tracing::warn!(error = %e.body.message, "push stream ends: cannot read the feed");
                        return None;
                    }
                }
            }
            tokio::select! {
                _ = self.closed.changed() => return None,
                received = self.live.recv() => match received {
                    Ok(c) => {
                        if self.visible(&c) {
                            self.last = c.cursor;
                            return Some(c);
                        }
                    }
                    Err(broadcast::error::RecvError::Lagged(skipped)) => {
                        tracing::debug!(skipped, "push stream fell behind; re-reading the feed");
                        self.reload = true;
                    }
                    Err(broadcast::error::RecvError::Closed) => return None,
                },
            }
        }
    }
}

fn event_of(c: &Change) -> Event {
    match Event::default().id(c.cursor.to_string()).json_data(c) {
        Ok(e) => e,
        // A Change always serialises; should it not, send a comment rather than nothing.
        Err(e) => Event::default().comment(format!("change {} could not be encoded: {e}", c.cursor)),
    }
}

/// Live changes as server-sent events.
#[utoipa::path(get, path = "/v1/stream", tag = "devices", params(StreamQuery,
        ("last-event-id" = Option<String>, Header, description = "Standard SSE reconnection cursor, used when `after` is absent")),
    responses(
        (status = 200, description = "text/event-stream; each event's id is the change's cursor and its data a Change", content_type = "text/event-stream", body = hall_protocol::Change),
        (status = 403, body = hall_protocol::api::ApiError),
    ))]
pub(crate) async fn stream(
    State(central): State<Arc<Central>>,
    CallingDevice(caller): CallingDevice,
    headers: HeaderMap,
    ApiQuery(q): ApiQuery<StreamQuery>,
) -> Result<Sse<impl Stream<Item = Result<Event, Infallible>>>, ApiFailure> {
    super::check_reader(caller.as_ref(), q.device.as_ref())?;
    let after = match q.after {
        Some(a) => a,
        None => headers.get("last-event-id").and_then(|v| v.to_str().ok()).and_then(|s| s.trim().parse().ok()).unwrap_or(0),
    };
    if let Some(device) = q.device.clone() {
        let c = central.clone();
        blocking(move || c.read(|tx| active_device(tx, &device).map(|_| ()))).await?;
    }
    // Subscribe before the backlog is read: see the module docs.
    let live = central.subscribe();
    let closed = central.streams_closed();
    let keep_alive = central.config.stream_keep_alive;
    let follower = Follower { central, device: q.device, last: after, backlog: VecDeque::new(), reload: true, live, closed };
    let events = futures_util::stream::unfold(follower, |mut f| async move {
        let change = f.next().await?;
        Some((Ok(event_of(&change)), f))
    });
    Ok(Sse::new(events).keep_alive(KeepAlive::new().interval(keep_alive)))
}
