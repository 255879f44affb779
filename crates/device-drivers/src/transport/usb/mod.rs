//! USB bulk devices: ticket printers of the USB printer class (class 7) and ID-card readers with a
//! pair of bulk endpoints, as one more [`Transport`], via `rusb` (libusb built from source).
//!
//! ```text
//! UsbConfig (VID:PID [+ serial | bus-address], interface kind or explicit endpoints)
//!   ──Context::devices()──> UsbDeviceInfo list ──select_device()──> one device
//!   ──descriptors──> InterfaceInfo list ──choose_endpoints()──> EndpointChoice
//!   ──open, detach kernel driver (usblp), claim──> UsbTransport (bulk OUT writes, bulk IN reads)
//! ```
//!
//! The choices (which device, which interface, which endpoints) are plain functions over plain data
//! ([`select_device`], [`choose_endpoints`]), and the printer class answers are decoded by
//! [`DeviceId::decode`] and [`PortStatus::from_byte`]: all of it is tested without hardware. Only
//! [`UsbTransport`] and [`list_devices`] touch libusb.
//!
//! Rules this module keeps:
//! - **Always an explicit [`rusb::Context`]** ([`new_context`]): rusb's global helpers panic on a
//!   machine without USB (a container, a CI runner), where a kiosk must report "no USB" instead.
//! - **A bulk IN timeout with no data is "nothing yet"**: [`Transport::read`] returns
//!   [`TransportError::Timeout`], which drivers treat as "no answer", never as a broken link.
//!   Reads go through an internal buffer a whole number of packets long, so a device that sends a
//!   full packet is never cut short (libusb reports that as an overflow).
//! - **The kernel driver is given back**: when the kernel's printer driver (`usblp`) holds the
//!   interface it is detached to claim it, and reattached when the transport is dropped or
//!   reopened, so `/dev/usb/lp0` comes back for CUPS or a technician.
//! - **Unplug and replug**: after [`TransportError::Disconnected`], [`Transport::reopen`] enumerates
//!   the bus again and finds the device by VID:PID (and serial number), wherever it now sits.
//!   Bus and address change on replug: select by serial number when several identical devices
//!   are plugged in.
//!
//! USB printer class requests (Universal Serial Bus Device Class Definition for Printing Devices
//! 1.1, section 4.2): `GET_DEVICE_ID` (the IEEE 1284 device ID, e.g.
//! `MFG:Hallkit;MDL:VM Printer;CMD:ESC/POS;CLS:PRINTER;`), `GET_PORT_STATUS` (paper empty,
//! selected, no error) and `SOFT_RESET`.
//!
//! Access: on Linux a user needs write access to `/dev/bus/usb/BBB/AAA`; docs/usb.md gives a udev
//! rule. See docs/usb.md for the whole story, including the VM test with a gadget printer.

use std::fmt;
use std::io;
use std::str::FromStr;
use std::time::{Duration, Instant};

use rusb::UsbContext as _;
use serde::Serialize;
use tracing::{debug, info, warn};

use super::{Operation, Transport, TransportError};
use crate::ErrorKind;

pub use rusb::Context;

/// USB interface class of printers.
pub const PRINTER_CLASS: u8 = 7;
/// USB interface subclass of printers.
pub const PRINTER_SUBCLASS: u8 = 1;

/// Printer class request: the IEEE 1284 device ID string.
pub const GET_DEVICE_ID: u8 = 0;
/// Printer class request: the one-byte port status.
pub const GET_PORT_STATUS: u8 = 1;
/// Printer class request: flush buffers and reset the printer's USB state.
pub const SOFT_RESET: u8 = 2;

/// bmRequestType: device to host, class request, to an interface.
const CLASS_IN_INTERFACE: u8 = 0xA1;
/// bmRequestType: host to device, class request, to an interface.
const CLASS_OUT_INTERFACE: u8 = 0x21;
/// Bulk IN reads are this long (a whole number of 64- and 512-byte packets).
const READ_CHUNK: usize = 4096;
/// The longest IEEE 1284 device ID (its length field is 16 bits).
const DEVICE_ID_MAX: usize = 1024;

mod descriptors;
mod error;
mod link;
mod printer_class;
mod vid_pid;

pub use descriptors::*;
pub use error::*;
pub use link::*;
pub use printer_class::*;
pub use vid_pid::*;

#[cfg(test)]
mod tests;
