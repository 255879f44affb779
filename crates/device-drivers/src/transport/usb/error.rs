//! Why a USB device could not be used, with what to do.

#[allow(unused_imports)]
use super::*;

/// A USB failure.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum UsbError {
    /// libusb could not start: this machine (or container) has no USB.
    #[error("USB is not available on this machine (libusb: {source}); check that /dev/bus/usb exists (in a container, pass the USB bus through)")]
    NoUsb {
        /// libusb's error.
        #[source]
        source: rusb::Error,
    },
    /// No device matched.
    #[error("no USB device {wanted} is connected; present: {present}. Check the cable and the power, and the VID:PID with lsusb")]
    NotFound {
        /// What was looked for.
        wanted: String,
        /// What is there, in words.
        present: String,
    },
    /// Several devices matched.
    #[error("{} USB devices match {wanted}: {}; pick one by serial number (or by bus and address)", matches.len(), matches.join("; "))]
    Ambiguous {
        /// What was looked for.
        wanted: String,
        /// The devices that match, in words.
        matches: Vec<String>,
    },
    /// The device has no usable interface or endpoints.
    #[error("USB device {device} cannot be used: {source}")]
    Endpoints {
        /// The device, in words.
        device: String,
        /// Why.
        #[source]
        source: EndpointError,
    },
    /// This user may not open the device.
    #[error(
        "permission denied opening USB device {device}; install the udev rule from docs/usb.md (or run as a user in the group it names), then unplug and replug the device"
    )]
    AccessDenied {
        /// The device, in words.
        device: String,
    },
    /// Another program or kernel driver holds the interface.
    #[error(
        "interface {interface} of USB device {device} is in use by another program or driver (CUPS, a vendor tool, another hallkit process); stop it and try again"
    )]
    Busy {
        /// The device, in words.
        device: String,
        /// The interface.
        interface: u8,
    },
    /// The device went away.
    #[error("USB device {device} was disconnected; check the cable (it is reopened when it is back)")]
    Disconnected {
        /// The device, in words.
        device: String,
    },
    /// A transfer did not complete in time.
    #[error("USB device {device} did not {operation} within {timeout:?}; check it is switched on")]
    Timeout {
        /// The device, in words.
        device: String,
        /// What was being done.
        operation: Operation,
        /// The time allowed.
        timeout: Duration,
    },
    /// The device refused a request (a control request it does not support, a stalled endpoint).
    #[error("USB device {device} refused {request} (stall); it may not support it")]
    Refused {
        /// The device, in words.
        device: String,
        /// The request, in words.
        request: &'static str,
    },
    /// The printer's `GET_DEVICE_ID` answer could not be read.
    #[error("USB device {device}: {source}")]
    DeviceId {
        /// The device, in words.
        device: String,
        /// Why.
        #[source]
        source: DeviceIdError,
    },
    /// Any other libusb error.
    #[error("USB device {device}: could not {action}: {source}")]
    Usb {
        /// The device, in words.
        device: String,
        /// What was being done.
        action: &'static str,
        /// libusb's error.
        #[source]
        source: rusb::Error,
    },
}

impl crate::Error for UsbError {
    fn kind(&self) -> ErrorKind {
        match self {
            UsbError::NotFound { .. } | UsbError::Disconnected { .. } => ErrorKind::Disconnected,
            UsbError::Timeout { .. } => ErrorKind::Timeout,
            UsbError::DeviceId { .. } | UsbError::Refused { .. } => ErrorKind::Protocol,
            UsbError::NoUsb { .. }
            | UsbError::Ambiguous { .. }
            | UsbError::Endpoints { .. }
            | UsbError::AccessDenied { .. }
            | UsbError::Busy { .. }
            | UsbError::Usb { .. } => ErrorKind::Other,
        }
    }
}

impl UsbError {
    /// Maps a libusb error from `action` on `device`.
    pub(super) fn from_rusb(source: rusb::Error, device: &str, action: &'static str) -> UsbError {
        let device = device.to_string();
        match source {
            rusb::Error::NoDevice => UsbError::Disconnected { device },
            rusb::Error::Access => UsbError::AccessDenied { device },
            _ => UsbError::Usb { device, action, source },
        }
    }
}

/// Through the [`Transport`] trait, a USB error becomes the [`TransportError`] with the same
/// [`ErrorKind`]: a timeout is [`TransportError::Timeout`], an absent or unplugged device
/// [`TransportError::Disconnected`] (with the whole message: what was looked for and what is
/// present), and the rest [`TransportError::Io`] whose source is the [`UsbError`] itself, so that
/// [`usb_error`] gets it back.
impl From<UsbError> for TransportError {
    fn from(error: UsbError) -> TransportError {
        match error {
            UsbError::Timeout { operation, timeout, .. } => TransportError::Timeout { operation, timeout },
            // The transport error adds its own advice: the reason says only what happened.
            UsbError::NotFound { wanted, present } => {
                TransportError::Disconnected { reason: format!("no USB device {wanted} is connected (present: {present})") }
            }
            UsbError::Disconnected { device } => TransportError::Disconnected { reason: format!("USB device {device} was unplugged") },
            other => {
                let kind = match &other {
                    UsbError::AccessDenied { .. } => io::ErrorKind::PermissionDenied,
                    UsbError::Busy { .. } => io::ErrorKind::ResourceBusy,
                    UsbError::NoUsb { .. } => io::ErrorKind::NotFound,
                    UsbError::Refused { .. } => io::ErrorKind::Unsupported,
                    UsbError::DeviceId { .. } => io::ErrorKind::InvalidData,
                    _ => io::ErrorKind::Other,
                };
                TransportError::Io { source: io::Error::new(kind, other) }
            }
        }
    }
}

/// The [`UsbError`] inside a [`TransportError`] made from one (access denied, busy, no USB...),
/// to show its advice.
pub fn usb_error(error: &TransportError) -> Option<&UsbError> {
    match error {
        TransportError::Io { source } => source.get_ref()?.downcast_ref::<UsbError>(),
        _ => None,
    }
}
