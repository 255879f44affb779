//! The HTTP API (axum). Paths are those of [`hall_protocol::api::paths`] plus the admin and
//! report endpoints; every route is listed in [`route_table`] and described in `/openapi.json`.

mod error;
mod extract;
mod handlers;
mod stream;

use std::future::Future;
use std::sync::Arc;

use axum::Router;
use axum::extract::DefaultBodyLimit;
use axum::http::StatusCode;
use axum::routing::{MethodRouter, get, post, put};
use hall_protocol::DeviceId;
use hall_protocol::api::{DEVICE_HEADER, MAX_BODY_BYTES, paths};
use tower_http::trace::TraceLayer;

pub use error::ApiFailure;
pub(crate) use handlers::*;
pub(crate) use stream::*;

use crate::central::Central;

/// One route: method and path (axum/OpenAPI `{param}` syntax).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Route {
    /// HTTP method, upper case.
    pub method: &'static str,
    /// Path.
    pub path: &'static str,
}

/// Builds the router while recording each route, so the route table is the router's own.
struct Routes {
    router: Router<Arc<Central>>,
    table: Vec<Route>,
}

impl Routes {
    fn add(mut self, method: &'static str, path: &'static str, handler: MethodRouter<Arc<Central>>) -> Self {
        self.router = self.router.route(path, handler);
        self.table.push(Route { method, path });
        self
    }
}

fn routes() -> Routes {
    Routes { router: Router::new(), table: Vec::new() }
        .add("GET", paths::HEALTH, get(health))
        .add("POST", paths::EVENTS, post(push_events))
        .add("POST", paths::LEASES, post(lease))
        .add("GET", paths::FEED, get(feed))
        .add("GET", paths::STREAM, get(stream))
        .add("GET", paths::CATALOGUE, get(catalogue))
        .add("PUT", "/v1/admin/catalogue", put(put_catalogue))
        .add("POST", "/v1/appointments", post(add_appointment))
        .add("GET", "/v1/appointments", get(appointments))
        .add("POST", "/v1/appointments/search", post(search_appointments))
        .add("POST", "/v1/applications", post(add_application))
        .add("POST", "/v1/applications/search", post(search_applications))
        .add("GET", "/v1/applications/{no}", get(application))
        .add("POST", "/v1/applications/{no}/status", post(add_application_status))
        .add("GET", "/v1/tickets", get(tickets))
        .add("GET", "/v1/calls", get(calls))
        .add("GET", "/v1/evaluations", get(evaluations))
        .add("GET", "/v1/queues/{hall}", get(queues))
        .add("GET", paths::STATS, get(stats))
        .add("GET", paths::OPENAPI, get(openapi))
}

/// Every route the router serves.
pub fn route_table() -> Vec<Route> {
    routes().table
}

/// The HTTP API of `central`, ready to serve.
pub fn router(central: Arc<Central>) -> Router {
    routes()
        .router
        .fallback(|| async { ApiFailure::new(StatusCode::NOT_FOUND, "not_found", "no such endpoint; the API is described at /openapi.json") })
        .method_not_allowed_fallback(|| async {
            ApiFailure::new(StatusCode::METHOD_NOT_ALLOWED, "method_not_allowed", "this endpoint does not take that method; see /openapi.json")
        })
        .layer(DefaultBodyLimit::max(MAX_BODY_BYTES))
        .layer(TraceLayer::new_for_http())
        .with_state(central)
}

/// Serves the API on `listener` until `shutdown` resolves, then closes push streams and waits for
/// open requests to finish.
///
/// While serving, it also closes each hall's business day once central's clock has passed the
/// rollover (checked every minute), so boards and counters see the queues empty at the rollover
/// rather than when the first ticket or action of the next day arrives.
pub async fn serve(listener: tokio::net::TcpListener, central: Arc<Central>, shutdown: impl Future<Output = ()> + Send + 'static) -> std::io::Result<()> {
    let streams = central.clone();
    let closer = tokio::spawn(close_days_every_minute(central.clone()));
    let app = router(central);
    let served = axum::serve(listener, app)
        .with_graceful_shutdown(async move {
            shutdown.await;
            streams.close_streams();
        })
        .await;
    closer.abort();
    served
}

/// Closes ended business days on a timer (see [`Central::close_ended_days`]).
async fn close_days_every_minute(central: Arc<Central>) {
    let period = crate::business_day::CLOSE_CHECK_INTERVAL;
    let mut ticks = tokio::time::interval_at(tokio::time::Instant::now() + period, period);
    ticks.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    loop {
        ticks.tick().await;
        let c = central.clone();
        match tokio::task::spawn_blocking(move || c.close_ended_days()).await {
            // Each close is logged where it happens.
            Ok(Ok(_closed)) => {}
            Ok(Err(e)) => tracing::warn!(error = %e, "cannot close ended business days; will try again in a minute"),
            Err(e) => tracing::error!(error = %e, "closing ended business days panicked"),
        }
    }
}

/// For the feed and the stream: a caller that names itself in the header may only read its own
/// scoped changes.
fn check_reader(caller: Option<&DeviceId>, device: Option<&DeviceId>) -> Result<(), ApiFailure> {
    match (caller, device) {
        (Some(c), Some(d)) if c != d => Err(ApiFailure::new(
            StatusCode::FORBIDDEN,
            "device_mismatch",
            format!("the {DEVICE_HEADER} header names {c}, but device={d} was asked for; a device may only read its own changes"),
        )),
        _ => Ok(()),
    }
}
