//! The OpenAPI 3 document served at `/openapi.json`, generated with utoipa from the handlers'
//! `#[utoipa::path]` attributes, the schemas `hall-protocol` derives with its `openapi` feature, and
//! [`crate::records`].

use utoipa::OpenApi;

use crate::http;

#[derive(OpenApi)]
#[openapi(
    info(
        title = "hallkit central",
        description = "Central service of a hallkit government service hall: event ingest, number leases, change feed and push stream, \
            catalogue, appointments, applications, reports. Devices identify themselves with the x-hallkit-device header \
            (identification only until device provisioning adds signed requests). Every error is an ApiError.",
        license(name = "GPL-3.0-or-later"),
    ),
    paths(
        http::health,
        http::push_events,
        http::lease,
        http::feed,
        http::stream,
        http::catalogue,
        http::put_catalogue,
        http::add_appointment,
        http::appointments,
        http::search_appointments,
        http::add_application,
        http::search_applications,
        http::application,
        http::add_application_status,
        http::tickets,
        http::calls,
        http::evaluations,
        http::queues,
        http::stats,
        http::openapi,
    ),
    tags(
        (name = "devices", description = "Used by kiosks, counters and boards"),
        (name = "admin", description = "Hall administration (no authentication yet: keep central on the hall LAN)"),
        (name = "reports", description = "Day reports and live queue snapshots"),
        (name = "meta", description = "This document"),
    )
)]
struct ApiDoc;

/// The OpenAPI document.
pub fn document() -> utoipa::openapi::OpenApi {
    let mut doc = ApiDoc::openapi();
    doc.info.version = env!("CARGO_PKG_VERSION").to_owned();
    doc
}
