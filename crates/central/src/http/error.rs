//! Error answers: every 4xx and 5xx is an [`ApiError`] JSON body with a stable code and a message
//! that says what to do — including the rejections axum would otherwise answer in plain text.

use axum::Json;
use axum::extract::rejection::{JsonRejection, PathRejection, QueryRejection};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use hall_protocol::api::{ApiError, MAX_BODY_BYTES};

use crate::error::CentralError;
use crate::store::StoreError;

/// An error answer.
#[derive(Debug)]
pub struct ApiFailure {
    /// Status.
    pub status: StatusCode,
    /// Body.
    pub body: ApiError,
}

impl ApiFailure {
    /// An error answer from its parts.
    pub fn new(status: StatusCode, code: &str, message: impl Into<String>) -> Self {
        Self { status, body: ApiError { error: code.to_owned(), message: message.into(), expected_seq: None } }
    }

    pub(crate) fn internal(message: impl Into<String>) -> Self {
        Self::new(StatusCode::INTERNAL_SERVER_ERROR, "internal_error", message)
    }

    pub(crate) fn body_too_large() -> Self {
        Self::new(StatusCode::PAYLOAD_TOO_LARGE, "body_too_large", format!("the request body is larger than {MAX_BODY_BYTES} bytes; send smaller batches"))
    }
}

impl From<CentralError> for ApiFailure {
    fn from(e: CentralError) -> Self {
        let status = match &e {
            CentralError::UnknownDevice(_) | CentralError::DeviceRevoked(_) | CentralError::DeviceMismatch(_) | CentralError::WrongRole { .. } => {
                StatusCode::FORBIDDEN
            }
            CentralError::SequenceGap { .. } | CentralError::LeaseRequestReused { .. } | CentralError::Conflict(_) => StatusCode::CONFLICT,
            CentralError::BatchTooLarge { .. } => StatusCode::PAYLOAD_TOO_LARGE,
            CentralError::BatchOutOfOrder(_) | CentralError::Invalid(_) => StatusCode::BAD_REQUEST,
            CentralError::NotFound(_) | CentralError::UnknownHall(_) => StatusCode::NOT_FOUND,
            CentralError::Store(StoreError::InUse(_)) => StatusCode::SERVICE_UNAVAILABLE,
            _ => StatusCode::INTERNAL_SERVER_ERROR,
        };
        if status.is_server_error() {
            tracing::error!(error = %e, "request failed");
        }
        let expected_seq = match &e {
            CentralError::SequenceGap { expected, .. } => Some(*expected),
            _ => None,
        };
        let message = if status.is_server_error() { format!("{e}; try again, and if it persists read central's log") } else { e.to_string() };
        Self { status, body: ApiError { error: e.code().to_owned(), message, expected_seq } }
    }
}

impl From<JsonRejection> for ApiFailure {
    fn from(r: JsonRejection) -> Self {
        match &r {
            JsonRejection::JsonSyntaxError(_) => Self::new(
                StatusCode::BAD_REQUEST,
                "malformed_json",
                format!("the body is not valid JSON: {}; send the JSON documented in /openapi.json", r.body_text()),
            ),
            JsonRejection::JsonDataError(_) => {
                Self::new(StatusCode::BAD_REQUEST, "invalid_body", format!("the body does not have the expected shape: {}; see /openapi.json", r.body_text()))
            }
            JsonRejection::MissingJsonContentType(_) => {
                Self::new(StatusCode::UNSUPPORTED_MEDIA_TYPE, "unsupported_media_type", "send the body as JSON with the header content-type: application/json")
            }
            _ if r.status() == StatusCode::PAYLOAD_TOO_LARGE => Self::body_too_large(),
            _ => Self::new(StatusCode::BAD_REQUEST, "unreadable_body", format!("the body could not be read: {}; send it again", r.body_text())),
        }
    }
}

impl From<QueryRejection> for ApiFailure {
    fn from(r: QueryRejection) -> Self {
        Self::new(StatusCode::BAD_REQUEST, "invalid_query", format!("{}; see /openapi.json for this endpoint's parameters", r.body_text()))
    }
}

impl From<PathRejection> for ApiFailure {
    fn from(r: PathRejection) -> Self {
        Self::new(StatusCode::BAD_REQUEST, "invalid_path", format!("{}; check the id in the path", r.body_text()))
    }
}

impl IntoResponse for ApiFailure {
    fn into_response(self) -> Response {
        (self.status, Json(self.body)).into_response()
    }
}
