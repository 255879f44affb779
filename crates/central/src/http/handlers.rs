//! Request handlers. Each runs central's blocking work on tokio's blocking pool. The
//! `#[utoipa::path]` attributes are the source of the OpenAPI document.

use std::sync::Arc;

use axum::Json;
use axum::extract::State;
use chrono::NaiveDate;
use hall_protocol::api::{Health, Lease, LeaseRequest, PushAck, PushBatch};
use hall_protocol::stats::DayStats;
use hall_protocol::{Application, Appointment, Catalogue, DeviceId, FeedPage, HallId};
use serde::Deserialize;
use utoipa::IntoParams;

use super::error::ApiFailure;
use super::extract::{ApiJson, ApiPath, ApiQuery, CallingDevice};
use crate::central::Central;
use crate::error::CentralError;
use crate::feed::DEFAULT_FEED_LIMIT;
use crate::records::{Call, CatalogueReport, DayQuery, Evaluation, IdNumberQuery, NewApplication, NewAppointment, QueueSnapshot, StatusUpdate, Ticket};

type Answer<T> = Result<Json<T>, ApiFailure>;

/// Runs blocking central work off the async threads.
pub(crate) async fn blocking<T: Send + 'static>(f: impl FnOnce() -> Result<T, CentralError> + Send + 'static) -> Result<T, ApiFailure> {
    match tokio::task::spawn_blocking(f).await {
        Ok(result) => result.map_err(ApiFailure::from),
        Err(e) => {
            tracing::error!(error = %e, "request task failed");
            Err(ApiFailure::internal("the request failed inside central; try again, and if it persists read central's log"))
        }
    }
}

/// `?device=&after=&limit=` of the feed.
#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub(crate) struct FeedQuery {
    /// The asking device: adds the changes scoped to it (e.g. its leases).
    #[param(value_type = Option<String>)]
    pub device: Option<DeviceId>,
    /// Cursor of the last change already seen (0: from the start).
    #[serde(default)]
    pub after: u64,
    /// Page size, default 500, at most 5000.
    pub limit: Option<usize>,
}

/// `?hall=` of the catalogue.
#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub(crate) struct HallQuery {
    /// Only this hall.
    #[param(value_type = Option<String>)]
    pub hall: Option<HallId>,
}

/// `?day=&hall=` of appointments.
#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub(crate) struct AppointmentQuery {
    /// Day.
    pub day: NaiveDate,
    /// Only this hall.
    #[param(value_type = Option<String>)]
    pub hall: Option<HallId>,
}

/// Liveness, versions and central's clock.
#[utoipa::path(get, path = "/v1/health", tag = "devices", responses((status = 200, body = hall_protocol::api::Health)))]
pub(crate) async fn health(State(c): State<Arc<Central>>) -> Json<Health> {
    Json(c.health())
}

/// Pushes a batch of one device's outbox events. Needs the `x-hallkit-device` header.
#[utoipa::path(post, path = "/v1/events", tag = "devices", request_body = hall_protocol::api::PushBatch,
    params(("x-hallkit-device" = String, Header, description = "The calling device; must equal the batch's device_id")),
    responses(
        (status = 200, description = "Applied (or recognised as duplicates); one result per event", body = hall_protocol::api::PushAck),
        (status = 400, description = "Malformed JSON or events out of order", body = hall_protocol::api::ApiError),
        (status = 403, description = "Unknown, revoked or mismatched device", body = hall_protocol::api::ApiError),
        (status = 409, description = "sequence_gap: resend from expected_seq", body = hall_protocol::api::ApiError),
        (status = 413, description = "Body or batch too large", body = hall_protocol::api::ApiError),
    ))]
pub(crate) async fn push_events(State(c): State<Arc<Central>>, CallingDevice(caller): CallingDevice, ApiJson(batch): ApiJson<PushBatch>) -> Answer<PushAck> {
    blocking(move || c.push(caller.as_ref(), &batch)).await.map(Json)
}

/// Leases a block of ticket numbers to a kiosk. Idempotent by `(device_id, request_id)`.
#[utoipa::path(post, path = "/v1/leases", tag = "devices", request_body = hall_protocol::api::LeaseRequest,
    params(("x-hallkit-device" = String, Header, description = "The calling kiosk; must equal device_id")),
    responses(
        (status = 200, body = hall_protocol::api::Lease),
        (status = 400, body = hall_protocol::api::ApiError),
        (status = 403, body = hall_protocol::api::ApiError),
        (status = 404, description = "Unknown service", body = hall_protocol::api::ApiError),
        (status = 409, description = "request_id reused for another queue or day", body = hall_protocol::api::ApiError),
    ))]
pub(crate) async fn lease(State(c): State<Arc<Central>>, CallingDevice(caller): CallingDevice, ApiJson(req): ApiJson<LeaseRequest>) -> Answer<Lease> {
    blocking(move || c.lease(caller.as_ref(), &req)).await.map(Json)
}

/// A page of the change feed.
#[utoipa::path(get, path = "/v1/feed", tag = "devices", params(FeedQuery),
    responses((status = 200, body = hall_protocol::FeedPage), (status = 400, body = hall_protocol::api::ApiError), (status = 403, body = hall_protocol::api::ApiError)))]
pub(crate) async fn feed(State(c): State<Arc<Central>>, CallingDevice(caller): CallingDevice, ApiQuery(q): ApiQuery<FeedQuery>) -> Answer<FeedPage> {
    super::check_reader(caller.as_ref(), q.device.as_ref())?;
    blocking(move || c.feed(q.device.as_ref(), q.after, q.limit.unwrap_or(DEFAULT_FEED_LIMIT))).await.map(Json)
}

/// The catalogue, or one hall's part of it.
#[utoipa::path(get, path = "/v1/catalogue", tag = "devices", params(HallQuery),
    responses((status = 200, body = hall_protocol::Catalogue), (status = 404, body = hall_protocol::api::ApiError)))]
pub(crate) async fn catalogue(State(c): State<Arc<Central>>, ApiQuery(q): ApiQuery<HallQuery>) -> Answer<Catalogue> {
    blocking(move || c.catalogue(q.hall.as_ref())).await.map(Json)
}

/// Upserts a catalogue: halls, services, windows, devices. Devices get a `device_no` if they have none.
#[utoipa::path(put, path = "/v1/admin/catalogue", tag = "admin", request_body = hall_protocol::Catalogue,
    responses((status = 200, body = CatalogueReport), (status = 400, body = hall_protocol::api::ApiError)))]
pub(crate) async fn put_catalogue(State(c): State<Arc<Central>>, ApiJson(cat): ApiJson<Catalogue>) -> Answer<CatalogueReport> {
    blocking(move || c.load_catalogue(&cat)).await.map(Json)
}

/// Books an appointment. The ID number is masked and digested, never stored.
#[utoipa::path(post, path = "/v1/appointments", tag = "admin", request_body = NewAppointment,
    responses((status = 200, body = hall_protocol::Appointment), (status = 400, body = hall_protocol::api::ApiError), (status = 404, body = hall_protocol::api::ApiError), (status = 409, body = hall_protocol::api::ApiError)))]
pub(crate) async fn add_appointment(State(c): State<Arc<Central>>, ApiJson(new): ApiJson<NewAppointment>) -> Answer<Appointment> {
    blocking(move || c.add_appointment(&new)).await.map(Json)
}

/// A day's appointments.
#[utoipa::path(get, path = "/v1/appointments", tag = "admin", params(AppointmentQuery),
    responses((status = 200, body = Vec<hall_protocol::Appointment>), (status = 400, body = hall_protocol::api::ApiError)))]
pub(crate) async fn appointments(State(c): State<Arc<Central>>, ApiQuery(q): ApiQuery<AppointmentQuery>) -> Answer<Vec<Appointment>> {
    blocking(move || c.appointments(q.day, q.hall.as_ref())).await.map(Json)
}

/// Finds a citizen's appointments by ID number (in the body, never in the URL).
#[utoipa::path(post, path = "/v1/appointments/search", tag = "devices", request_body = IdNumberQuery,
    responses((status = 200, body = Vec<hall_protocol::Appointment>), (status = 400, body = hall_protocol::api::ApiError)))]
pub(crate) async fn search_appointments(State(c): State<Arc<Central>>, ApiJson(q): ApiJson<IdNumberQuery>) -> Answer<Vec<Appointment>> {
    blocking(move || c.find_appointments(&q.id_number, q.day)).await.map(Json)
}

/// Records an application (办件) with its first status.
#[utoipa::path(post, path = "/v1/applications", tag = "admin", request_body = NewApplication,
    responses((status = 200, body = hall_protocol::Application), (status = 400, body = hall_protocol::api::ApiError), (status = 409, body = hall_protocol::api::ApiError)))]
pub(crate) async fn add_application(State(c): State<Arc<Central>>, ApiJson(new): ApiJson<NewApplication>) -> Answer<Application> {
    blocking(move || c.add_application(&new)).await.map(Json)
}

/// Appends a status to an application's history.
#[utoipa::path(post, path = "/v1/applications/{no}/status", tag = "admin", request_body = StatusUpdate,
    params(("no" = String, Path, description = "Application number")),
    responses((status = 200, body = hall_protocol::Application), (status = 404, body = hall_protocol::api::ApiError)))]
pub(crate) async fn add_application_status(
    State(c): State<Arc<Central>>,
    ApiPath(no): ApiPath<String>,
    ApiJson(update): ApiJson<StatusUpdate>,
) -> Answer<Application> {
    blocking(move || c.add_application_status(&no, &update)).await.map(Json)
}

/// One application and its progress.
#[utoipa::path(get, path = "/v1/applications/{no}", tag = "devices",
    params(("no" = String, Path, description = "Application number")),
    responses((status = 200, body = hall_protocol::Application), (status = 404, body = hall_protocol::api::ApiError)))]
pub(crate) async fn application(State(c): State<Arc<Central>>, ApiPath(no): ApiPath<String>) -> Answer<Application> {
    blocking(move || c.application(&no)).await.map(Json)
}

/// Finds a citizen's applications by ID number (in the body, never in the URL).
#[utoipa::path(post, path = "/v1/applications/search", tag = "devices", request_body = IdNumberQuery,
    responses((status = 200, body = Vec<hall_protocol::Application>), (status = 400, body = hall_protocol::api::ApiError)))]
pub(crate) async fn search_applications(State(c): State<Arc<Central>>, ApiJson(q): ApiJson<IdNumberQuery>) -> Answer<Vec<Application>> {
    blocking(move || c.find_applications(&q.id_number)).await.map(Json)
}

/// A day's tickets.
#[utoipa::path(get, path = "/v1/tickets", tag = "reports", params(DayQuery),
    responses((status = 200, body = Vec<Ticket>), (status = 400, body = hall_protocol::api::ApiError)))]
pub(crate) async fn tickets(State(c): State<Arc<Central>>, ApiQuery(q): ApiQuery<DayQuery>) -> Answer<Vec<Ticket>> {
    blocking(move || c.tickets(q.day, q.hall.as_ref())).await.map(Json)
}

/// A day's calls.
#[utoipa::path(get, path = "/v1/calls", tag = "reports", params(DayQuery),
    responses((status = 200, body = Vec<Call>), (status = 400, body = hall_protocol::api::ApiError)))]
pub(crate) async fn calls(State(c): State<Arc<Central>>, ApiQuery(q): ApiQuery<DayQuery>) -> Answer<Vec<Call>> {
    blocking(move || c.calls(q.day, q.hall.as_ref())).await.map(Json)
}

/// A day's evaluations (好差评).
#[utoipa::path(get, path = "/v1/evaluations", tag = "reports", params(DayQuery),
    responses((status = 200, body = Vec<Evaluation>), (status = 400, body = hall_protocol::api::ApiError)))]
pub(crate) async fn evaluations(State(c): State<Arc<Central>>, ApiQuery(q): ApiQuery<DayQuery>) -> Answer<Vec<Evaluation>> {
    blocking(move || c.evaluations(q.day, q.hall.as_ref())).await.map(Json)
}

/// A hall's queues in call order and its windows, now.
#[utoipa::path(get, path = "/v1/queues/{hall}", tag = "reports",
    params(("hall" = String, Path, description = "Hall id")),
    responses((status = 200, body = QueueSnapshot), (status = 404, body = hall_protocol::api::ApiError)))]
pub(crate) async fn queues(State(c): State<Arc<Central>>, ApiPath(hall): ApiPath<HallId>) -> Answer<QueueSnapshot> {
    blocking(move || c.queue(&hall)).await.map(Json)
}

/// A hall's statistics for a day.
#[utoipa::path(get, path = "/v1/stats", tag = "reports", params(DayQuery),
    responses((status = 200, body = hall_protocol::stats::DayStats), (status = 400, body = hall_protocol::api::ApiError), (status = 404, body = hall_protocol::api::ApiError)))]
pub(crate) async fn stats(State(c): State<Arc<Central>>, ApiQuery(q): ApiQuery<DayQuery>) -> Answer<DayStats> {
    blocking(move || c.stats(q.day, q.hall.as_ref())).await.map(Json)
}

/// This document.
#[utoipa::path(get, path = "/openapi.json", tag = "meta", responses((status = 200, description = "The OpenAPI 3 document", content_type = "application/json")))]
pub(crate) async fn openapi() -> Json<utoipa::openapi::OpenApi> {
    Json(crate::openapi::document())
}
