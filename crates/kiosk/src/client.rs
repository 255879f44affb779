//! The HTTP client a device uses to talk to central. Thin: it only moves the protocol's JSON over
//! HTTP and classifies failures, so the sync agent can tell "central is unreachable, back off" from
//! "central refused this, stop and tell a person".

use std::time::Duration;

use futures_util::{Stream, StreamExt};
use hall_protocol::api::{self, ApiError, Health, Lease, LeaseRequest, PushAck, PushBatch};
use hall_protocol::{Change, DeviceId, FeedPage};
use reqwest::StatusCode;
use serde::de::DeserializeOwned;

/// What went wrong talking to central.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum ClientError {
    /// No answer: connection refused or reset, timeout, or a body cut short. Retry later.
    #[error("central at {url} is unreachable: {detail}")]
    Unreachable {
        /// Base URL.
        url: String,
        /// What the transport said.
        detail: String,
    },
    /// Central answered with an error.
    #[error("central refused the request ({status}): {}", .body.message)]
    Refused {
        /// HTTP status.
        status: u16,
        /// Central's explanation.
        body: ApiError,
    },
    /// Central answered with something that is not the protocol.
    #[error("central sent an answer this device cannot read: {0}")]
    Decode(String),
}

impl ClientError {
    /// True when retrying later may help (transport trouble or a 5xx), false when central refused
    /// the request itself.
    pub fn is_transient(&self) -> bool {
        match self {
            Self::Unreachable { .. } => true,
            Self::Refused { status, .. } => *status >= 500 || *status == 429,
            Self::Decode(_) => false,
        }
    }
}

/// A connection to central for one device.
#[derive(Debug, Clone)]
pub struct CentralClient {
    http: reqwest::Client,
    base: String,
    device: DeviceId,
}

impl CentralClient {
    /// A client for `base_url` (e.g. `http://127.0.0.1:7700`) speaking as `device`.
    pub fn new(base_url: &str, device: DeviceId, timeout: Duration) -> Result<Self, ClientError> {
        let http = reqwest::Client::builder()
            .connect_timeout(timeout)
            .timeout(timeout)
            .pool_idle_timeout(Duration::from_secs(30))
            .build()
            .map_err(|e| ClientError::Decode(format!("cannot build HTTP client: {e}")))?;
        Ok(Self { http, base: base_url.trim_end_matches('/').to_owned(), device })
    }

    /// Base URL.
    pub fn base_url(&self) -> &str {
        &self.base
    }

    fn unreachable(&self, e: reqwest::Error) -> ClientError {
        // Print the whole source chain: reqwest's own message is only "error sending request".
        let mut detail = e.to_string();
        let mut src = std::error::Error::source(&e);
        while let Some(s) = src {
            detail.push_str(": ");
            detail.push_str(&s.to_string());
            src = s.source();
        }
        ClientError::Unreachable { url: self.base.clone(), detail }
    }

    async fn answer<T: DeserializeOwned>(&self, resp: Result<reqwest::Response, reqwest::Error>) -> Result<T, ClientError> {
        let resp = resp.map_err(|e| self.unreachable(e))?;
        let status = resp.status();
        // A body cut mid-way is a transport failure, not a protocol one: read it fully first.
        let bytes = resp.bytes().await.map_err(|e| self.unreachable(e))?;
        if status.is_success() {
            return serde_json::from_slice(&bytes).map_err(|e| ClientError::Decode(e.to_string()));
        }
        let body = serde_json::from_slice::<ApiError>(&bytes).unwrap_or_else(|_| ApiError {
            error: "http_error".into(),
            message: String::from_utf8_lossy(&bytes).chars().take(200).collect(),
            expected_seq: None,
        });
        if status == StatusCode::BAD_GATEWAY || status == StatusCode::SERVICE_UNAVAILABLE || status == StatusCode::GATEWAY_TIMEOUT {
            return Err(ClientError::Unreachable { url: self.base.clone(), detail: format!("{status}: {}", body.message) });
        }
        Err(ClientError::Refused { status: status.as_u16(), body })
    }

    fn url(&self, path: &str) -> String {
        format!("{}{}", self.base, path)
    }

    /// `GET /v1/health`.
    pub async fn health(&self) -> Result<Health, ClientError> {
        self.answer(self.http.get(self.url(api::paths::HEALTH)).send().await).await
    }

    /// `POST /v1/events`.
    pub async fn push(&self, batch: &PushBatch) -> Result<PushAck, ClientError> {
        let req = self.http.post(self.url(api::paths::EVENTS)).header(api::DEVICE_HEADER, self.device.as_str()).json(batch);
        self.answer(req.send().await).await
    }

    /// `POST /v1/leases`.
    pub async fn lease(&self, request: &LeaseRequest) -> Result<Lease, ClientError> {
        let req = self.http.post(self.url(api::paths::LEASES)).header(api::DEVICE_HEADER, self.device.as_str()).json(request);
        self.answer(req.send().await).await
    }

    /// `GET /v1/feed`: one page of changes after `after`.
    pub async fn feed(&self, after: u64, limit: u32) -> Result<FeedPage, ClientError> {
        let req = self.http.get(self.url(api::paths::FEED)).header(api::DEVICE_HEADER, self.device.as_str()).query(&[
            ("device", self.device.as_str().to_owned()),
            ("after", after.to_string()),
            ("limit", limit.to_string()),
        ]);
        self.answer(req.send().await).await
    }

    /// `GET /v1/stream`: the push stream from `after`, as a stream of changes. The request has no
    /// overall timeout (the stream is long-lived); it ends when the connection does.
    pub async fn stream(&self, after: u64) -> Result<impl Stream<Item = Result<Change, ClientError>> + use<>, ClientError> {
        use eventsource_stream::Eventsource;
        let resp = self
            .http
            .get(self.url(api::paths::STREAM))
            .header(api::DEVICE_HEADER, self.device.as_str())
            .query(&[("device", self.device.as_str().to_owned()), ("after", after.to_string())])
            .timeout(Duration::from_secs(60 * 60 * 24 * 365))
            .send()
            .await
            .map_err(|e| self.unreachable(e))?;
        if !resp.status().is_success() {
            return Err(self.answer::<serde_json::Value>(Ok(resp)).await.err().unwrap_or(ClientError::Decode("stream refused".into())));
        }
        let base = self.base.clone();
        Ok(resp.bytes_stream().eventsource().filter_map(move |ev| {
            let base = base.clone();
            async move {
                match ev {
                    // Keep-alive comments and other event types carry no change.
                    Ok(ev) if ev.data.is_empty() => None,
                    Ok(ev) => Some(serde_json::from_str::<Change>(&ev.data).map_err(|e| ClientError::Decode(format!("bad change on the push stream: {e}")))),
                    Err(e) => Some(Err(ClientError::Unreachable { url: base, detail: format!("push stream broke: {e}") })),
                }
            }
        }))
    }
}
