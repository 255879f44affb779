//! Extractors that answer bad input with an [`ApiError`](hall_protocol::api::ApiError) JSON body
//! instead of axum's plain-text rejections.

use axum::Json;
use axum::extract::{FromRequest, FromRequestParts, Path, Query, Request};
use axum::http::StatusCode;
use axum::http::request::Parts;
use hall_protocol::DeviceId;
use hall_protocol::api::DEVICE_HEADER;
use serde::de::DeserializeOwned;

use super::error::ApiFailure;

/// A JSON body.
#[derive(Debug, Clone)]
pub struct ApiJson<T>(pub T);

impl<S, T> FromRequest<S> for ApiJson<T>
where
    T: DeserializeOwned,
    S: Send + Sync,
{
    type Rejection = ApiFailure;

    async fn from_request(req: Request, state: &S) -> Result<Self, ApiFailure> {
        match Json::<T>::from_request(req, state).await {
            Ok(Json(v)) => Ok(Self(v)),
            Err(r) => {
                let failure = ApiFailure::from(r);
                // The code only: a message may quote the body, which may hold personal data.
                tracing::debug!(code = %failure.body.error, "request body refused");
                Err(failure)
            }
        }
    }
}

/// Query parameters.
#[derive(Debug, Clone)]
pub struct ApiQuery<T>(pub T);

impl<S, T> FromRequestParts<S> for ApiQuery<T>
where
    T: DeserializeOwned,
    S: Send + Sync,
{
    type Rejection = ApiFailure;

    async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<Self, ApiFailure> {
        Query::<T>::from_request_parts(parts, state).await.map(|Query(v)| Self(v)).map_err(ApiFailure::from)
    }
}

/// Path parameters.
#[derive(Debug, Clone)]
pub struct ApiPath<T>(pub T);

impl<S, T> FromRequestParts<S> for ApiPath<T>
where
    T: DeserializeOwned + Send,
    S: Send + Sync,
{
    type Rejection = ApiFailure;

    async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<Self, ApiFailure> {
        Path::<T>::from_request_parts(parts, state).await.map(|Path(v)| Self(v)).map_err(ApiFailure::from)
    }
}

/// The device named by the `x-hallkit-device` header, if any. Identification only: until
/// provisioning brings signed requests, any client can claim any device id.
#[derive(Debug, Clone)]
pub struct CallingDevice(pub Option<DeviceId>);

impl<S: Send + Sync> FromRequestParts<S> for CallingDevice {
    type Rejection = ApiFailure;

    async fn from_request_parts(parts: &mut Parts, _state: &S) -> Result<Self, ApiFailure> {
        let Some(value) = parts.headers.get(DEVICE_HEADER) else { return Ok(Self(None)) };
        let text = value.to_str().map_err(|_| {
            ApiFailure::new(StatusCode::BAD_REQUEST, "invalid_device_header", format!("the {DEVICE_HEADER} header must be a device id in plain ASCII"))
        })?;
        DeviceId::new(text)
            .map(|d| Self(Some(d)))
            .map_err(|e| ApiFailure::new(StatusCode::BAD_REQUEST, "invalid_device_header", format!("the {DEVICE_HEADER} header: {e}")))
    }
}
