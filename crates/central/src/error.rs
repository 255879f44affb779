//! Errors of the central service. Each says what went wrong and what to do; the HTTP layer maps
//! each to a status code and a stable machine-readable code (see [`CentralError::code`]).

use hall_protocol::{DeviceId, HallId};

use crate::store::StoreError;

/// Why central refused a request or could not do its work.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum CentralError {
    /// The device is not registered.
    #[error("device {0} is not registered with this central; add it to the catalogue (central catalogue load, or PUT /v1/admin/catalogue)")]
    UnknownDevice(DeviceId),
    /// The device was revoked.
    #[error("device {0} has been revoked; ask the hall's administrator to re-register it")]
    DeviceRevoked(DeviceId),
    /// The `x-hallkit-device` header is missing or does not match the body.
    #[error("{0}")]
    DeviceMismatch(String),
    /// The device does not have the role the request needs.
    #[error("device {device} is a {role}; {what}")]
    WrongRole {
        /// The device.
        device: DeviceId,
        /// Its role.
        role: &'static str,
        /// What only another role may do.
        what: &'static str,
    },
    /// The first new event of a batch is not the one after the high-water mark.
    #[error("events of device {device} must continue at device_seq {expected}, got {got}; resend the outbox from seq {expected}")]
    SequenceGap {
        /// The device.
        device: DeviceId,
        /// The `device_seq` central expects next.
        expected: u64,
        /// The first new `device_seq` in the batch.
        got: u64,
    },
    /// The events of a batch are not consecutive.
    #[error("events in a batch must have consecutive device_seq values starting at 1 or more; {0}")]
    BatchOutOfOrder(String),
    /// Too many events in one batch.
    #[error("a batch may hold at most {max} events, this one has {got}; split it into smaller batches")]
    BatchTooLarge {
        /// The limit.
        max: usize,
        /// Events in the batch.
        got: usize,
    },
    /// A lease request reused a request id for different parameters.
    #[error("lease request {request_id} of device {device} was already used for another queue or day; use a new request_id")]
    LeaseRequestReused {
        /// The device.
        device: DeviceId,
        /// The reused request id.
        request_id: u64,
    },
    /// The hall has no such thing.
    #[error("{0}")]
    NotFound(String),
    /// A hall was named that central does not know.
    #[error("hall {0} is not in the catalogue; load a catalogue that defines it")]
    UnknownHall(HallId),
    /// The request is well-formed but its content is not acceptable.
    #[error("{0}")]
    Invalid(String),
    /// The thing to create exists already.
    #[error("{0}")]
    Conflict(String),
    /// Storage failed.
    #[error(transparent)]
    Store(#[from] StoreError),
    /// The database holds engine inputs that no longer replay: it was changed by hand or by an
    /// incompatible version.
    #[error("cannot rebuild the queue of hall {hall} from the database: {reason}; restore a backup or report a bug")]
    Replay {
        /// The hall.
        hall: HallId,
        /// What failed.
        reason: String,
    },
    /// Central broke one of its own rules (a bug): nothing was stored.
    #[error("internal error: {0}; nothing was changed; report this as a bug with central's log")]
    Internal(String),
    /// An earlier request panicked while holding central's state; the in-memory queues may no
    /// longer match the database.
    #[error("central's in-memory state is unusable after an internal error; restart central (it rebuilds from the database)")]
    Poisoned,
}

impl CentralError {
    /// A stable machine-readable code for this error, used as [`hall_protocol::api::ApiError::error`].
    pub fn code(&self) -> &'static str {
        match self {
            Self::UnknownDevice(_) => "unknown_device",
            Self::DeviceRevoked(_) => "device_revoked",
            Self::DeviceMismatch(_) => "device_mismatch",
            Self::WrongRole { .. } => "wrong_role",
            Self::SequenceGap { .. } => "sequence_gap",
            Self::BatchOutOfOrder(_) => "batch_out_of_order",
            Self::BatchTooLarge { .. } => "batch_too_large",
            Self::LeaseRequestReused { .. } => "lease_request_reused",
            Self::NotFound(_) => "not_found",
            Self::UnknownHall(_) => "unknown_hall",
            Self::Invalid(_) => "invalid_request",
            Self::Conflict(_) => "conflict",
            Self::Store(_) => "storage_error",
            Self::Replay { .. } => "replay_failed",
            Self::Internal(_) | Self::Poisoned => "internal_error",
        }
    }
}
