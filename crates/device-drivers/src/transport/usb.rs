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

// ---------------------------------------------------------------------------------------------
// VID:PID
// ---------------------------------------------------------------------------------------------

/// A USB vendor and product ID, written `0483:5720` (hexadecimal, as `lsusb` prints them).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize)]
pub struct VidPid {
    /// Vendor ID.
    pub vid: u16,
    /// Product ID.
    pub pid: u16,
}

impl VidPid {
    /// `vid:pid`.
    pub const fn new(vid: u16, pid: u16) -> VidPid {
        VidPid { vid, pid }
    }
}

impl fmt::Display for VidPid {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{:04x}:{:04x}", self.vid, self.pid)
    }
}

/// Why a `VID:PID` could not be read.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum VidPidError {
    /// No colon between the two numbers.
    #[error("{input:?} is not a USB ID; write it as VID:PID in hexadecimal, as lsusb prints it, e.g. 0483:5720")]
    MissingColon {
        /// What was given.
        input: String,
    },
    /// One half is not a 1–4 digit hexadecimal number.
    #[error("the {part} ID {value:?} in {input:?} is not a hexadecimal number of 1 to 4 digits; write VID:PID as lsusb prints it, e.g. 0483:5720")]
    BadNumber {
        /// What was given.
        input: String,
        /// `vendor` or `product`.
        part: &'static str,
        /// The offending half.
        value: String,
    },
}

/// Reads `0483:5720` (also `0x0483:0x5720`, upper case, surrounding spaces).
///
/// # Errors
/// [`VidPidError`] naming what is wrong.
pub fn parse_vid_pid(input: &str) -> Result<VidPid, VidPidError> {
    let trimmed = input.trim();
    let (vid, pid) = trimmed.split_once(':').ok_or_else(|| VidPidError::MissingColon { input: input.to_string() })?;
    let number = |value: &str, part: &'static str| -> Result<u16, VidPidError> {
        let digits = value.trim();
        let digits = digits.strip_prefix("0x").or_else(|| digits.strip_prefix("0X")).unwrap_or(digits);
        let bad = || VidPidError::BadNumber { input: input.to_string(), part, value: value.to_string() };
        // `from_str_radix` accepts a leading `+`; an ID is digits only.
        if digits.is_empty() || digits.len() > 4 || !digits.bytes().all(|b| b.is_ascii_hexdigit()) {
            return Err(bad());
        }
        u16::from_str_radix(digits, 16).map_err(|_| bad())
    };
    Ok(VidPid { vid: number(vid, "vendor")?, pid: number(pid, "product")? })
}

impl FromStr for VidPid {
    type Err = VidPidError;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        parse_vid_pid(s)
    }
}

// ---------------------------------------------------------------------------------------------
// Descriptors as plain data, and the choices made from them (sans-IO)
// ---------------------------------------------------------------------------------------------

/// An endpoint's transfer type.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "snake_case")]
#[non_exhaustive]
pub enum TransferKind {
    /// Control.
    Control,
    /// Isochronous (audio, video).
    Isochronous,
    /// Bulk: what printers and card readers use.
    Bulk,
    /// Interrupt (HID, status pipes).
    Interrupt,
}

/// One endpoint of an interface, from its descriptor.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct EndpointInfo {
    /// The address: bit 7 set for IN (device to host), e.g. `0x81`; clear for OUT, e.g. `0x01`.
    pub address: u8,
    /// Transfer type.
    pub transfer: TransferKind,
    /// Largest packet.
    pub max_packet_size: u16,
}

impl EndpointInfo {
    /// Device to host.
    pub fn is_in(&self) -> bool {
        self.address & 0x80 != 0
    }

    fn is_bulk_out(&self) -> bool {
        self.transfer == TransferKind::Bulk && !self.is_in()
    }

    fn is_bulk_in(&self) -> bool {
        self.transfer == TransferKind::Bulk && self.is_in()
    }
}

/// One alternate setting of one interface, from its descriptor.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct InterfaceInfo {
    /// `bInterfaceNumber`.
    pub number: u8,
    /// `bAlternateSetting`.
    pub alt_setting: u8,
    /// `bInterfaceClass` (7 = printer, 3 = HID, 0xFF = vendor specific).
    pub class: u8,
    /// `bInterfaceSubClass`.
    pub subclass: u8,
    /// `bInterfaceProtocol` (printers: 1 unidirectional, 2 bidirectional, 3 IEEE 1284.4).
    pub protocol: u8,
    /// Its endpoints.
    pub endpoints: Vec<EndpointInfo>,
}

/// What kind of interface to look for when the endpoints are not configured.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "snake_case")]
#[non_exhaustive]
pub enum InterfaceKind {
    /// A USB printer class interface (class 7, subclass 1), bidirectional (protocol 2) preferred
    /// so that `DLE EOT` status answers can come back; unidirectional (protocol 1) accepted. When
    /// there is none, any interface with a bulk OUT endpoint (many thermal printers are "vendor
    /// specific").
    Printer,
    /// Any interface with a bulk OUT and a bulk IN endpoint (ID-card readers).
    BulkPair,
}

/// Endpoints set by configuration, overriding the choice from descriptors. Each is checked
/// against the descriptors: a wrong number is reported, not sent into the void.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize)]
pub struct EndpointOverride {
    /// `bInterfaceNumber`.
    pub interface: Option<u8>,
    /// Bulk OUT endpoint address, e.g. `0x01`.
    pub out_endpoint: Option<u8>,
    /// Bulk IN endpoint address, e.g. `0x81`.
    pub in_endpoint: Option<u8>,
}

/// Why an interface was chosen.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "snake_case")]
#[non_exhaustive]
pub enum ChoiceReason {
    /// Printer class, bidirectional.
    PrinterBidirectional,
    /// Printer class, unidirectional: nothing can be read back (no `DLE EOT` status).
    PrinterUnidirectional,
    /// Not printer class, but it has bulk endpoints.
    BulkEndpoints,
    /// Set by configuration.
    Configured,
}

/// The interface and endpoints to use.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct EndpointChoice {
    /// `bInterfaceNumber` to claim.
    pub interface: u8,
    /// Alternate setting to select (0 on almost every device).
    pub alt_setting: u8,
    /// Interface class (7 for printers).
    pub class: u8,
    /// Bulk OUT endpoint.
    pub out_endpoint: u8,
    /// Bulk IN endpoint; `None` on a unidirectional printer.
    pub in_endpoint: Option<u8>,
    /// Largest packet on the IN endpoint (0 without one).
    pub in_packet_size: u16,
    /// Why this one.
    pub reason: ChoiceReason,
}

/// Why no interface could be used.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum EndpointError {
    /// No interface of the kind asked for.
    #[error("the device has no {wanted} interface (it has: {present}); if it is the right device, set interface and endpoints in the configuration")]
    NoSuitableInterface {
        /// What was looked for, in words.
        wanted: String,
        /// Its interfaces, in words.
        present: String,
    },
    /// The configured interface does not exist.
    #[error("the device has no interface {interface} (it has: {present}); fix the configured interface number")]
    NoSuchInterface {
        /// Configured.
        interface: u8,
        /// Its interfaces, in words.
        present: String,
    },
    /// A configured endpoint does not exist as a bulk endpoint of that direction.
    #[error("endpoint 0x{endpoint:02x} is not a bulk {direction} endpoint of {place} (it has: {present}); fix the configured endpoint")]
    NoSuchEndpoint {
        /// Configured.
        endpoint: u8,
        /// `OUT` or `IN`.
        direction: &'static str,
        /// `interface N` or `any interface`.
        place: String,
        /// The endpoints there, in words.
        present: String,
    },
}

fn describe_interfaces(interfaces: &[InterfaceInfo]) -> String {
    if interfaces.is_empty() {
        return "no interfaces".into();
    }
    interfaces
        .iter()
        .map(|i| {
            let eps: Vec<String> = i.endpoints.iter().map(describe_endpoint).collect();
            format!(
                "interface {}{} class {} ({}) protocol {} [{}]",
                i.number,
                if i.alt_setting == 0 { String::new() } else { format!(" alt {}", i.alt_setting) },
                i.class,
                class_name(i.class),
                i.protocol,
                eps.join(", ")
            )
        })
        .collect::<Vec<_>>()
        .join("; ")
}

fn describe_endpoint(e: &EndpointInfo) -> String {
    format!("0x{:02x} {:?} {}", e.address, e.transfer, if e.is_in() { "IN" } else { "OUT" })
}

/// A name for a USB class code, for technicians.
pub fn class_name(class: u8) -> &'static str {
    match class {
        0x00 => "per interface",
        0x01 => "audio",
        0x02 => "communications",
        0x03 => "HID",
        0x06 => "image",
        0x07 => "printer",
        0x08 => "mass storage",
        0x09 => "hub",
        0x0A => "CDC data",
        0x0B => "smart card",
        0x0E => "video",
        0xDC => "diagnostic",
        0xE0 => "wireless",
        0xEF => "miscellaneous",
        0xFE => "application specific",
        0xFF => "vendor specific",
        _ => "other",
    }
}

fn first_bulk(interface: &InterfaceInfo, input: bool) -> Option<&EndpointInfo> {
    interface.endpoints.iter().find(|e| if input { e.is_bulk_in() } else { e.is_bulk_out() })
}

fn choice_from(interface: &InterfaceInfo, out: &EndpointInfo, input: Option<&EndpointInfo>, reason: ChoiceReason) -> EndpointChoice {
    EndpointChoice {
        interface: interface.number,
        alt_setting: interface.alt_setting,
        class: interface.class,
        out_endpoint: out.address,
        in_endpoint: input.map(|e| e.address),
        in_packet_size: input.map_or(0, |e| e.max_packet_size),
        reason,
    }
}

/// Chooses the interface and bulk endpoints to use, from the device's interfaces (all alternate
/// settings of its active configuration) and what the configuration fixes.
///
/// With nothing configured: for [`InterfaceKind::Printer`], a printer class interface
/// (bidirectional first, then unidirectional; IEEE 1284.4 interfaces are skipped: they need a
/// packet protocol), else any interface with a bulk OUT endpoint (and its bulk IN, if any); for
/// [`InterfaceKind::BulkPair`], the first interface with both a bulk OUT and a bulk IN endpoint.
/// Configured values narrow the search and are checked against the descriptors.
///
/// # Errors
/// [`EndpointError`] when nothing fits, naming what the device has.
pub fn choose_endpoints(interfaces: &[InterfaceInfo], kind: InterfaceKind, configured: &EndpointOverride) -> Result<EndpointChoice, EndpointError> {
    let candidates: Vec<&InterfaceInfo> = match configured.interface {
        Some(n) => {
            let found: Vec<&InterfaceInfo> = interfaces.iter().filter(|i| i.number == n).collect();
            if found.is_empty() {
                return Err(EndpointError::NoSuchInterface { interface: n, present: describe_interfaces(interfaces) });
            }
            found
        }
        None => interfaces.iter().collect(),
    };

    if configured.out_endpoint.is_some() || configured.in_endpoint.is_some() {
        return choose_configured(&candidates, kind, configured);
    }

    match kind {
        InterfaceKind::Printer => {
            let printer = |protocol: u8| {
                candidates
                    .iter()
                    .find(|i| i.class == PRINTER_CLASS && i.subclass == PRINTER_SUBCLASS && i.protocol == protocol && first_bulk(i, false).is_some())
            };
            if let Some(i) = printer(2) {
                if let (Some(out), Some(input)) = (first_bulk(i, false), first_bulk(i, true)) {
                    return Ok(choice_from(i, out, Some(input), ChoiceReason::PrinterBidirectional));
                }
            }
            if let Some(i) = printer(1)
                && let Some(out) = first_bulk(i, false)
            {
                return Ok(choice_from(i, out, first_bulk(i, true), ChoiceReason::PrinterUnidirectional));
            }
            // Many thermal printers are "vendor specific" with a bulk pair. HID and the like have
            // no bulk endpoints, so they are not picked here; a bidirectional one first.
            let bulk = candidates
                .iter()
                .filter(|i| i.class != PRINTER_CLASS)
                .find(|i| first_bulk(i, false).is_some() && first_bulk(i, true).is_some())
                .or_else(|| candidates.iter().filter(|i| i.class != PRINTER_CLASS).find(|i| first_bulk(i, false).is_some()));
            if let Some(i) = bulk
                && let Some(out) = first_bulk(i, false)
            {
                return Ok(choice_from(i, out, first_bulk(i, true), ChoiceReason::BulkEndpoints));
            }
            Err(EndpointError::NoSuitableInterface { wanted: "printer class (7) or bulk OUT".into(), present: describe_interfaces(interfaces) })
        }
        InterfaceKind::BulkPair => {
            for i in &candidates {
                if let (Some(out), Some(input)) = (first_bulk(i, false), first_bulk(i, true)) {
                    return Ok(choice_from(i, out, Some(input), ChoiceReason::BulkEndpoints));
                }
            }
            Err(EndpointError::NoSuitableInterface { wanted: "bulk OUT + bulk IN".into(), present: describe_interfaces(interfaces) })
        }
    }
}

fn choose_configured(candidates: &[&InterfaceInfo], kind: InterfaceKind, configured: &EndpointOverride) -> Result<EndpointChoice, EndpointError> {
    let place = match configured.interface {
        Some(n) => format!("interface {n}"),
        None => "any interface".into(),
    };
    let present = || {
        let eps: Vec<String> = candidates.iter().flat_map(|i| i.endpoints.iter().map(describe_endpoint)).collect();
        if eps.is_empty() { "no endpoints".into() } else { eps.join(", ") }
    };
    let has =
        |i: &InterfaceInfo, address: u8, input: bool| i.endpoints.iter().any(|e| e.address == address && if input { e.is_bulk_in() } else { e.is_bulk_out() });
    // The interface that holds every configured endpoint.
    let holder = candidates.iter().find(|i| configured.out_endpoint.is_none_or(|a| has(i, a, false)) && configured.in_endpoint.is_none_or(|a| has(i, a, true)));
    let Some(interface) = holder else {
        // Name the endpoint that is missing.
        let (endpoint, direction) = match configured.out_endpoint {
            Some(a) if !candidates.iter().any(|i| has(i, a, false)) => (a, "OUT"),
            _ => match configured.in_endpoint {
                Some(a) if !candidates.iter().any(|i| has(i, a, true)) => (a, "IN"),
                // Both exist, but not on one interface.
                _ => (configured.in_endpoint.or(configured.out_endpoint).unwrap_or(0), "IN (on the same interface as the OUT endpoint)"),
            },
        };
        return Err(EndpointError::NoSuchEndpoint { endpoint, direction, place, present: present() });
    };
    let out = match configured.out_endpoint {
        Some(a) => interface.endpoints.iter().find(|e| e.address == a),
        None => first_bulk(interface, false),
    };
    let Some(out) = out else {
        return Err(EndpointError::NoSuchEndpoint { endpoint: 0, direction: "OUT", place: format!("interface {}", interface.number), present: present() });
    };
    let input = match configured.in_endpoint {
        Some(a) => interface.endpoints.iter().find(|e| e.address == a),
        None => first_bulk(interface, true),
    };
    if kind == InterfaceKind::BulkPair && input.is_none() {
        return Err(EndpointError::NoSuchEndpoint { endpoint: 0, direction: "IN", place: format!("interface {}", interface.number), present: present() });
    }
    Ok(choice_from(interface, out, input, ChoiceReason::Configured))
}

/// A bus and address (`lsusb`'s "Bus 001 Device 004"), to pick one of several identical devices
/// for one session. They change when the device is plugged again: for a lasting choice, use the
/// serial number.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
pub struct BusAddress {
    /// Bus number.
    pub bus: u8,
    /// Device address on that bus.
    pub address: u8,
}

impl fmt::Display for BusAddress {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "bus {:03} address {:03}", self.bus, self.address)
    }
}

/// What is known about one USB device (for `kiosk doctor ... --usb`, and to pick a device).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct UsbDeviceInfo {
    /// Its IDs.
    pub id: VidPid,
    /// Where it is now.
    pub bus_address: BusAddress,
    /// The hub ports from the root to the device, e.g. `[1, 3]` (stable across replugs in the
    /// same socket); empty when unknown.
    pub port_path: Vec<u8>,
    /// `bDeviceClass` (0: given per interface).
    pub device_class: u8,
    /// The interfaces of its active (or first) configuration.
    pub interfaces: Vec<InterfaceInfo>,
    /// Manufacturer string, when readable.
    pub manufacturer: Option<String>,
    /// Product string, when readable.
    pub product: Option<String>,
    /// Serial number string, when readable.
    pub serial: Option<String>,
    /// Why the strings are missing, when they are (usually: no permission to open the device).
    pub strings_unreadable: Option<String>,
}

impl UsbDeviceInfo {
    /// `0483:5720 bus 001 address 004 printer "Hallkit VM Printer" serial HK0001`.
    pub fn describe(&self) -> String {
        let mut s = format!("{} {} {}", self.id, self.bus_address, self.kind_name());
        let name: Vec<&str> = [self.manufacturer.as_deref(), self.product.as_deref()].into_iter().flatten().collect();
        if !name.is_empty() {
            s.push_str(&format!(" \"{}\"", name.join(" ")));
        }
        if let Some(serial) = &self.serial {
            s.push_str(&format!(" serial {serial}"));
        }
        s
    }

    /// The device's class in words, from the device descriptor or else its first interface.
    pub fn kind_name(&self) -> &'static str {
        if self.device_class != 0 {
            return class_name(self.device_class);
        }
        if self.interfaces.iter().any(|i| i.class == PRINTER_CLASS) {
            return class_name(PRINTER_CLASS);
        }
        self.interfaces.first().map_or("unknown class", |i| class_name(i.class))
    }
}

/// Which device to open.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct DeviceSelector {
    /// Its IDs.
    pub id: VidPid,
    /// Its serial number string, to pick one of several identical devices (lasting).
    pub serial: Option<String>,
    /// Its bus and address, to pick one of several identical devices (until replugged).
    pub bus_address: Option<BusAddress>,
}

impl fmt::Display for DeviceSelector {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}", self.id)?;
        if let Some(serial) = &self.serial {
            write!(f, " with serial number {serial:?}")?;
        }
        if let Some(at) = &self.bus_address {
            write!(f, " at {at}")?;
        }
        Ok(())
    }
}

fn describe_present(devices: &[UsbDeviceInfo]) -> String {
    if devices.is_empty() { "no USB devices at all".into() } else { devices.iter().map(UsbDeviceInfo::describe).collect::<Vec<_>>().join("; ") }
}

/// Picks the device `selector` names among `devices`; returns its index.
///
/// A serial number is compared exactly (devices whose serial could not be read never match one).
///
/// # Errors
/// [`UsbError::NotFound`] listing what is present; [`UsbError::Ambiguous`] when several match and
/// neither a serial number nor a bus-address tells them apart.
pub fn select_device(devices: &[UsbDeviceInfo], selector: &DeviceSelector) -> Result<usize, UsbError> {
    let matching: Vec<usize> = devices
        .iter()
        .enumerate()
        .filter(|(_, d)| d.id == selector.id)
        .filter(|(_, d)| selector.serial.as_ref().is_none_or(|s| d.serial.as_ref() == Some(s)))
        .filter(|(_, d)| selector.bus_address.is_none_or(|a| d.bus_address == a))
        .map(|(i, _)| i)
        .collect();
    match matching.as_slice() {
        [one] => Ok(*one),
        [] => Err(UsbError::NotFound { wanted: selector.to_string(), present: describe_present(devices) }),
        several => Err(UsbError::Ambiguous { wanted: selector.to_string(), matches: several.iter().map(|&i| devices[i].describe()).collect() }),
    }
}

// ---------------------------------------------------------------------------------------------
// Printer class answers (sans-IO)
// ---------------------------------------------------------------------------------------------

/// The printer's port status (`GET_PORT_STATUS`, one byte, the bits of a parallel port's status
/// register). Older than ESC/POS `DLE EOT` and coarser, but answered by the USB chip even when the
/// printer's firmware is busy.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
pub struct PortStatus {
    /// Bit 5: out of paper.
    pub paper_empty: bool,
    /// Bit 4: selected (online).
    pub selected: bool,
    /// Bit 3 clear: the printer reports an error.
    pub error: bool,
    /// The byte as received.
    pub raw: u8,
}

impl PortStatus {
    /// Decodes the status byte.
    pub fn from_byte(raw: u8) -> PortStatus {
        PortStatus { paper_empty: raw & 0x20 != 0, selected: raw & 0x10 != 0, error: raw & 0x08 == 0, raw }
    }

    /// Whether the port says printing can go ahead: paper, online, no error.
    pub fn ready(&self) -> bool {
        !self.paper_empty && self.selected && !self.error
    }

    /// In words, for a technician.
    pub fn describe(&self) -> String {
        let mut parts = Vec::new();
        if self.paper_empty {
            parts.push("out of paper");
        }
        if !self.selected {
            parts.push("offline (not selected)");
        }
        if self.error {
            parts.push("reports an error");
        }
        if parts.is_empty() { format!("ready (port status 0x{:02x})", self.raw) } else { format!("{} (port status 0x{:02x})", parts.join(", "), self.raw) }
    }
}

/// Why a `GET_DEVICE_ID` answer could not be read.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum DeviceIdError {
    /// Fewer than the two length bytes.
    #[error("the printer's device ID answer is {len} bytes long, too short for its length field; the printer may not support GET_DEVICE_ID")]
    TooShort {
        /// Bytes received.
        len: usize,
    },
}

/// An IEEE 1284 device ID: `KEY:value;` pairs such as
/// `MFG:EPSON;CMD:ESC/POS;MDL:TM-T88V;CLS:PRINTER;`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct DeviceId {
    /// The string as received (invalid UTF-8 replaced by U+FFFD), without its length field.
    pub raw: String,
    /// The pairs in order, keys and values trimmed.
    pub fields: Vec<(String, String)>,
    /// The length field promised more than arrived.
    pub truncated: bool,
}

impl DeviceId {
    /// Decodes a `GET_DEVICE_ID` answer: a 16-bit big-endian length, then the string.
    ///
    /// The standard's length counts its own two bytes; some devices (Linux's gadget printer among
    /// them, and some printers) count only the string. The answer's own length settles it: the
    /// bytes received are trusted, and the length field only trims padding after the string.
    ///
    /// # Errors
    /// [`DeviceIdError::TooShort`].
    pub fn decode(answer: &[u8]) -> Result<DeviceId, DeviceIdError> {
        let [high, low, body @ ..] = answer else {
            return Err(DeviceIdError::TooShort { len: answer.len() });
        };
        let declared = usize::from(u16::from_be_bytes([*high, *low]));
        let (text, truncated) = if declared == body.len() || declared.saturating_sub(2) == body.len() {
            (body, false)
        } else if declared < body.len() {
            // Padding after the string (or a length that counts only the string and padding
            // after it): keep what the length promises, counting it the standard's way unless that
            // would cut the string short of its last separator.
            let standard = &body[..declared.saturating_sub(2)];
            let string_only = &body[..declared];
            if standard.ends_with(b";") || !string_only.ends_with(b";") { (standard, false) } else { (string_only, false) }
        } else {
            (body, true)
        };
        let mut id = DeviceId::parse(&String::from_utf8_lossy(text));
        id.truncated = truncated;
        Ok(id)
    }

    /// Reads a device ID string (without the length field), e.g. one from configuration to
    /// compare with what a printer says. Trailing NULs and white space are dropped.
    pub fn parse(text: &str) -> DeviceId {
        let raw = text.trim_end_matches(|c: char| c == '\0' || c.is_whitespace()).to_string();
        let fields = raw
            .split(';')
            .filter_map(|pair| {
                let (key, value) = pair.split_once(':')?;
                let key = key.trim();
                (!key.is_empty()).then(|| (key.to_string(), value.trim().to_string()))
            })
            .collect();
        DeviceId { raw, fields, truncated: false }
    }

    /// The value of the first of `keys` present (keys compared without case).
    pub fn get(&self, keys: &[&str]) -> Option<&str> {
        keys.iter().find_map(|k| self.fields.iter().find(|(key, _)| key.eq_ignore_ascii_case(k)).map(|(_, v)| v.as_str()))
    }

    /// `MFG` / `MANUFACTURER`.
    pub fn manufacturer(&self) -> Option<&str> {
        self.get(&["MFG", "MANUFACTURER"])
    }

    /// `MDL` / `MODEL`.
    pub fn model(&self) -> Option<&str> {
        self.get(&["MDL", "MODEL"])
    }

    /// `CMD` / `COMMAND SET`, split on commas (e.g. `["ESC/POS"]`).
    pub fn command_set(&self) -> Vec<&str> {
        self.get(&["CMD", "COMMAND SET"]).map(|v| v.split(',').map(str::trim).filter(|s| !s.is_empty()).collect()).unwrap_or_default()
    }

    /// `CLS` / `CLASS` (e.g. `PRINTER`).
    pub fn class(&self) -> Option<&str> {
        self.get(&["CLS", "CLASS"])
    }

    /// `SN` / `SERN` / `SERIALNUMBER`.
    pub fn serial(&self) -> Option<&str> {
        self.get(&["SN", "SERN", "SERIALNUMBER"])
    }
}

// ---------------------------------------------------------------------------------------------
// Errors
// ---------------------------------------------------------------------------------------------

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
    fn from_rusb(source: rusb::Error, device: &str, action: &'static str) -> UsbError {
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

// ---------------------------------------------------------------------------------------------
// libusb: enumeration and the transport
// ---------------------------------------------------------------------------------------------

/// Starts libusb. Use one context per process (it is cheap to clone) and pass it around.
///
/// # Errors
/// [`UsbError::NoUsb`] on a machine or container without USB.
pub fn new_context() -> Result<Context, UsbError> {
    Context::new().map_err(|source| UsbError::NoUsb { source })
}

fn interfaces_of(device: &rusb::Device<Context>) -> Vec<InterfaceInfo> {
    let config = device.active_config_descriptor().or_else(|_| device.config_descriptor(0));
    let Ok(config) = config else {
        return Vec::new();
    };
    config
        .interfaces()
        .flat_map(|interface| interface.descriptors())
        .map(|d| InterfaceInfo {
            number: d.interface_number(),
            alt_setting: d.setting_number(),
            class: d.class_code(),
            subclass: d.sub_class_code(),
            protocol: d.protocol_code(),
            endpoints: d
                .endpoint_descriptors()
                .map(|e| EndpointInfo {
                    address: e.address(),
                    transfer: match e.transfer_type() {
                        rusb::TransferType::Control => TransferKind::Control,
                        rusb::TransferType::Isochronous => TransferKind::Isochronous,
                        rusb::TransferType::Bulk => TransferKind::Bulk,
                        rusb::TransferType::Interrupt => TransferKind::Interrupt,
                    },
                    max_packet_size: e.max_packet_size(),
                })
                .collect(),
        })
        .collect()
}

/// Reads what the descriptors say without opening the device; `with_strings` also opens it to
/// read the manufacturer, product and serial strings (which needs permission).
fn describe_device(device: &rusb::Device<Context>, with_strings: bool, timeout: Duration) -> Option<UsbDeviceInfo> {
    let descriptor = device.device_descriptor().ok()?;
    let mut info = UsbDeviceInfo {
        id: VidPid::new(descriptor.vendor_id(), descriptor.product_id()),
        bus_address: BusAddress { bus: device.bus_number(), address: device.address() },
        port_path: device.port_numbers().unwrap_or_default(),
        device_class: descriptor.class_code(),
        interfaces: interfaces_of(device),
        manufacturer: None,
        product: None,
        serial: None,
        strings_unreadable: None,
    };
    if with_strings {
        match device.open() {
            Ok(handle) => {
                let language = handle.read_languages(timeout).ok().and_then(|l| l.first().copied());
                let read = |index: Option<u8>| -> Option<String> {
                    let index = index?;
                    let text = match language {
                        Some(language) => handle.read_string_descriptor(language, index, timeout).ok(),
                        None => handle.read_string_descriptor_ascii(index).ok(),
                    }?;
                    let text = text.trim().to_string();
                    (!text.is_empty()).then_some(text)
                };
                info.manufacturer = read(descriptor.manufacturer_string_index());
                info.product = read(descriptor.product_string_index());
                info.serial = read(descriptor.serial_number_string_index());
            }
            Err(e) => info.strings_unreadable = Some(format!("cannot open the device to read its names: {e}")),
        }
    }
    Some(info)
}

/// Every USB device on the machine, for technicians (`kiosk doctor ... --usb`): IDs, bus and
/// address, class and interfaces, and the manufacturer, product and serial strings when this user
/// may open the device.
///
/// # Errors
/// [`UsbError::Usb`] when the bus cannot be listed.
pub fn list_devices(context: &Context) -> Result<Vec<UsbDeviceInfo>, UsbError> {
    let list = context.devices().map_err(|source| UsbError::Usb { device: "(all)".into(), action: "list the USB devices", source })?;
    let mut devices: Vec<UsbDeviceInfo> = list.iter().filter_map(|d| describe_device(&d, true, Duration::from_millis(500))).collect();
    devices.sort_by_key(|d| (d.bus_address.bus, d.bus_address.address));
    Ok(devices)
}

/// How to find and talk to a USB device.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct UsbConfig {
    /// Vendor ID.
    pub vid: u16,
    /// Product ID.
    pub pid: u16,
    /// Serial number string, to pick one of several identical devices.
    pub serial: Option<String>,
    /// Bus and address, to pick one of several identical devices (until replugged).
    pub bus_address: Option<BusAddress>,
    /// What to look for when the endpoints are not set.
    pub kind: InterfaceKind,
    /// `bInterfaceNumber`, when the device's manual gives it.
    pub interface: Option<u8>,
    /// Bulk OUT endpoint address (e.g. `0x01`), when the device's manual gives it.
    pub out_endpoint: Option<u8>,
    /// Bulk IN endpoint address (e.g. `0x81`), when the device's manual gives it.
    pub in_endpoint: Option<u8>,
    /// How long a bulk write may wait for the device to take the data (a printer that is offline
    /// with a full buffer stops taking it).
    pub write_timeout: Duration,
    /// How long a control request (device ID, port status, names) may take.
    pub control_timeout: Duration,
}

impl UsbConfig {
    /// A USB printer class printer.
    pub fn printer(id: VidPid) -> UsbConfig {
        UsbConfig {
            vid: id.vid,
            pid: id.pid,
            serial: None,
            bus_address: None,
            kind: InterfaceKind::Printer,
            interface: None,
            out_endpoint: None,
            in_endpoint: None,
            write_timeout: Duration::from_secs(2),
            control_timeout: Duration::from_secs(1),
        }
    }

    /// An ID-card reader with a bulk OUT + IN pair.
    pub fn card_reader(id: VidPid) -> UsbConfig {
        UsbConfig { kind: InterfaceKind::BulkPair, ..UsbConfig::printer(id) }
    }

    /// The same, picking the device with this serial number.
    pub fn with_serial(mut self, serial: impl Into<String>) -> UsbConfig {
        self.serial = Some(serial.into());
        self
    }

    /// The same, picking the device at this bus and address.
    pub fn with_bus_address(mut self, bus: u8, address: u8) -> UsbConfig {
        self.bus_address = Some(BusAddress { bus, address });
        self
    }

    /// The same, with the interface and endpoints fixed.
    pub fn with_endpoints(mut self, interface: u8, out_endpoint: u8, in_endpoint: Option<u8>) -> UsbConfig {
        self.interface = Some(interface);
        self.out_endpoint = Some(out_endpoint);
        self.in_endpoint = in_endpoint;
        self
    }

    /// The same, with another write timeout.
    pub fn with_write_timeout(mut self, timeout: Duration) -> UsbConfig {
        self.write_timeout = timeout;
        self
    }

    /// Its IDs.
    pub fn id(&self) -> VidPid {
        VidPid::new(self.vid, self.pid)
    }

    /// Which device it names.
    pub fn selector(&self) -> DeviceSelector {
        DeviceSelector { id: self.id(), serial: self.serial.clone(), bus_address: self.bus_address }
    }

    /// The configured endpoints.
    pub fn endpoint_override(&self) -> EndpointOverride {
        EndpointOverride { interface: self.interface, out_endpoint: self.out_endpoint, in_endpoint: self.in_endpoint }
    }
}

/// An open, claimed interface.
struct Link {
    handle: rusb::DeviceHandle<Context>,
    info: UsbDeviceInfo,
    choice: EndpointChoice,
    /// The kernel driver was detached from the interface: give it back on close.
    reattach: bool,
    /// Bytes read from the device and not yet handed out.
    pending: Vec<u8>,
    /// `pending[taken..]` is what is left.
    taken: usize,
    /// Where to put the next bulk IN transfer.
    scratch: Vec<u8>,
    /// Shown in errors and logs.
    name: String,
}

impl Drop for Link {
    fn drop(&mut self) {
        let interface = self.choice.interface;
        if let Err(e) = self.handle.release_interface(interface) {
            // NoDevice after an unplug is expected.
            debug!(device = %self.name, interface, error = %e, "could not release the USB interface");
        }
        if self.reattach {
            match self.handle.attach_kernel_driver(interface) {
                Ok(()) => debug!(device = %self.name, interface, "gave the interface back to the kernel driver"),
                Err(e) => debug!(device = %self.name, interface, error = %e, "could not reattach the kernel driver"),
            }
        }
    }
}

fn open_link(context: &Context, config: &UsbConfig) -> Result<Link, UsbError> {
    let selector = config.selector();
    let list = context.devices().map_err(|source| UsbError::Usb { device: selector.to_string(), action: "list the USB devices", source })?;
    let devices: Vec<rusb::Device<Context>> = list.iter().collect();
    // Names are read only from devices with the right IDs (opening others would need permission
    // on them), and only when a serial number must be compared; the rest are described from
    // their descriptors, for the "present:" list of an error.
    let infos: Vec<UsbDeviceInfo> = devices
        .iter()
        .filter_map(|d| {
            let matches = d.device_descriptor().is_ok_and(|dd| dd.vendor_id() == config.vid && dd.product_id() == config.pid);
            describe_device(d, matches && config.serial.is_some(), config.control_timeout)
        })
        .collect();
    let index = match select_device(&infos, &selector) {
        Ok(i) => i,
        Err(not_found @ UsbError::NotFound { .. }) if config.serial.is_some() => {
            // A serial that could not be read because the device may not be opened is a
            // permission problem, not an absence: say so.
            if let Some(info) = infos.iter().find(|i| i.id == selector.id && i.strings_unreadable.is_some()) {
                return Err(UsbError::AccessDenied { device: info.describe() });
            }
            return Err(not_found);
        }
        Err(e) => return Err(e),
    };
    let info = infos[index].clone();
    // `infos` skipped devices whose descriptor could not be read: find the device by place.
    let device = devices
        .iter()
        .find(|d| d.bus_number() == info.bus_address.bus && d.address() == info.bus_address.address)
        .ok_or_else(|| UsbError::NotFound { wanted: selector.to_string(), present: describe_present(&infos) })?;
    let name = info.describe();
    let choice =
        choose_endpoints(&info.interfaces, config.kind, &config.endpoint_override()).map_err(|source| UsbError::Endpoints { device: name.clone(), source })?;
    let handle = device.open().map_err(|e| UsbError::from_rusb(e, &name, "open the device"))?;

    let interface = choice.interface;
    let reattach = match handle.kernel_driver_active(interface) {
        Ok(true) => {
            handle.detach_kernel_driver(interface).map_err(|e| match e {
                rusb::Error::Busy => UsbError::Busy { device: name.clone(), interface },
                e => UsbError::from_rusb(e, &name, "detach the kernel driver"),
            })?;
            info!(device = %name, interface, "detached the kernel driver (e.g. usblp) from the interface; it is reattached on close");
            true
        }
        Ok(false) => false,
        // Platforms without kernel drivers to detach.
        Err(rusb::Error::NotSupported) => false,
        Err(e) => return Err(UsbError::from_rusb(e, &name, "ask about the kernel driver")),
    };
    // From here on, the link's Drop releases the interface and reattaches the kernel driver.
    let link = Link { handle, info, choice, reattach, pending: Vec::new(), taken: 0, scratch: vec![0; READ_CHUNK], name: name.clone() };
    link.handle.claim_interface(interface).map_err(|e| match e {
        rusb::Error::Busy => UsbError::Busy { device: name.clone(), interface },
        e => UsbError::from_rusb(e, &name, "claim the interface"),
    })?;
    if choice.alt_setting != 0 {
        link.handle.set_alternate_setting(interface, choice.alt_setting).map_err(|e| UsbError::from_rusb(e, &name, "select the alternate setting"))?;
    }
    if choice.in_endpoint.is_none() {
        warn!(device = %name, "the printer interface is unidirectional: nothing can be read back from it (no status answers)");
    }
    info!(device = %name, interface, out = choice.out_endpoint, r#in = ?choice.in_endpoint, reason = ?choice.reason, "USB device open");
    Ok(link)
}

/// A USB device's bulk endpoints as a [`Transport`]; printers also answer the printer class
/// requests ([`UsbTransport::device_id`], [`UsbTransport::port_status`]).
pub struct UsbTransport {
    context: Context,
    config: UsbConfig,
    /// `None` after a failed reopen: every operation fails until a reopen succeeds.
    link: Option<Link>,
}

impl fmt::Debug for UsbTransport {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("UsbTransport").field("config", &self.config).field("device", &self.link.as_ref().map(|l| &l.name)).finish()
    }
}

impl UsbTransport {
    /// Finds the device `config` names, chooses its interface and endpoints, detaches a kernel
    /// driver that holds the interface, and claims it.
    ///
    /// # Errors
    /// [`UsbError::NotFound`] (with what is present), [`UsbError::Ambiguous`],
    /// [`UsbError::Endpoints`], [`UsbError::AccessDenied`], [`UsbError::Busy`], [`UsbError::Usb`].
    pub fn open(context: &Context, config: UsbConfig) -> Result<UsbTransport, UsbError> {
        let link = open_link(context, &config)?;
        Ok(UsbTransport { context: context.clone(), config, link: Some(link) })
    }

    /// The configuration it was opened with.
    pub fn config(&self) -> &UsbConfig {
        &self.config
    }

    /// The device, while open.
    pub fn device(&self) -> Option<&UsbDeviceInfo> {
        self.link.as_ref().map(|l| &l.info)
    }

    /// Whether a kernel driver (usblp) held the interface and was detached to claim it; it is
    /// reattached when the transport is dropped or reopened.
    pub fn detached_kernel_driver(&self) -> bool {
        self.link.as_ref().is_some_and(|l| l.reattach)
    }

    /// The interface and endpoints in use, while open.
    pub fn endpoints(&self) -> Option<EndpointChoice> {
        self.link.as_ref().map(|l| l.choice)
    }

    fn link(&mut self) -> Result<&mut Link, UsbError> {
        let wanted = self.config.selector().to_string();
        self.link.as_mut().ok_or(UsbError::Disconnected { device: wanted })
    }

    /// Sends a printer class request that reads `buf` back.
    /// `index` is wIndex: it names the interface, in a different place for each request.
    fn class_in(&mut self, request: u8, index: impl Fn(&EndpointChoice) -> u16, buf: &mut [u8], what: &'static str) -> Result<usize, UsbError> {
        // libusb waits for ever on a zero timeout.
        let timeout = super::nonzero(self.config.control_timeout);
        let link = self.link()?;
        let index = index(&link.choice);
        // wValue is 0: for GET_DEVICE_ID it is the configuration index, and printers have one.
        let value = 0;
        link.handle.read_control(CLASS_IN_INTERFACE, request, value, index, buf, timeout).map_err(|e| match e {
            rusb::Error::Pipe => UsbError::Refused { device: link.name.clone(), request: what },
            rusb::Error::Timeout => UsbError::Timeout { device: link.name.clone(), operation: Operation::Read, timeout },
            e => UsbError::from_rusb(e, &link.name, what),
        })
    }

    /// The printer's IEEE 1284 device ID (`GET_DEVICE_ID`).
    ///
    /// # Errors
    /// [`UsbError::Refused`] when the device does not support it; [`UsbError::DeviceId`] for an
    /// unreadable answer; [`UsbError::Disconnected`], [`UsbError::Timeout`].
    pub fn device_id(&mut self) -> Result<DeviceId, UsbError> {
        let mut buf = vec![0u8; DEVICE_ID_MAX];
        // wIndex: the interface in the high byte, the alternate setting in the low byte.
        let n = self.class_in(GET_DEVICE_ID, |c| (u16::from(c.interface) << 8) | u16::from(c.alt_setting), &mut buf, "GET_DEVICE_ID")?;
        let name = self.link.as_ref().map(|l| l.name.clone()).unwrap_or_default();
        DeviceId::decode(&buf[..n]).map_err(|source| UsbError::DeviceId { device: name, source })
    }

    /// The printer's port status (`GET_PORT_STATUS`).
    ///
    /// # Errors
    /// [`UsbError::Refused`] when the device does not support it; [`UsbError::Disconnected`],
    /// [`UsbError::Timeout`]; [`UsbError::Usb`] when it answers with no byte.
    pub fn port_status(&mut self) -> Result<PortStatus, UsbError> {
        let mut buf = [0u8; 1];
        let n = self.class_in(GET_PORT_STATUS, |c| u16::from(c.interface), &mut buf, "GET_PORT_STATUS")?;
        if n == 0 {
            let name = self.link.as_ref().map(|l| l.name.clone()).unwrap_or_default();
            return Err(UsbError::Usb { device: name, action: "read the port status", source: rusb::Error::Io });
        }
        Ok(PortStatus::from_byte(buf[0]))
    }

    /// Asks the printer to flush its buffers and reset (`SOFT_RESET`), e.g. after a write timed
    /// out half way through a ticket.
    ///
    /// # Errors
    /// [`UsbError::Refused`], [`UsbError::Disconnected`], [`UsbError::Timeout`].
    pub fn soft_reset(&mut self) -> Result<(), UsbError> {
        // libusb waits for ever on a zero timeout.
        let timeout = super::nonzero(self.config.control_timeout);
        let link = self.link()?;
        let index = u16::from(link.choice.interface);
        link.handle.write_control(CLASS_OUT_INTERFACE, SOFT_RESET, 0, index, &[], timeout).map_err(|e| match e {
            rusb::Error::Pipe => UsbError::Refused { device: link.name.clone(), request: "SOFT_RESET" },
            rusb::Error::Timeout => UsbError::Timeout { device: link.name.clone(), operation: Operation::Write, timeout },
            e => UsbError::from_rusb(e, &link.name, "reset the printer"),
        })?;
        link.pending.clear();
        link.taken = 0;
        Ok(())
    }

    /// Writes all of `bytes` to the bulk OUT endpoint.
    fn write_usb(&mut self, bytes: &[u8]) -> Result<(), UsbError> {
        let timeout = super::nonzero(self.config.write_timeout);
        let link = self.link()?;
        let mut sent = 0;
        while sent < bytes.len() {
            match link.handle.write_bulk(link.choice.out_endpoint, &bytes[sent..], timeout) {
                // rusb returns a partial count on timeout when some bytes went: carry on.
                Ok(n) => sent += n,
                Err(rusb::Error::Timeout) => {
                    return Err(UsbError::Timeout { device: link.name.clone(), operation: Operation::Write, timeout });
                }
                Err(rusb::Error::Pipe) => {
                    // A halted endpoint: clear it so that the next attempt can go through.
                    let _ = link.handle.clear_halt(link.choice.out_endpoint);
                    return Err(UsbError::Refused { device: link.name.clone(), request: "the data (bulk OUT stalled)" });
                }
                Err(e) => return Err(disconnected_or(e, &link.name, "write")),
            }
        }
        Ok(())
    }

    /// One bulk IN transfer into the buffer; `Ok(false)` when nothing came in `timeout`.
    fn fill(&mut self, timeout: Duration) -> Result<bool, UsbError> {
        let link = self.link()?;
        let Some(endpoint) = link.choice.in_endpoint else {
            // A unidirectional printer never answers: behave as a quiet device.
            std::thread::sleep(timeout);
            return Ok(false);
        };
        let deadline = Instant::now() + timeout;
        loop {
            let left = deadline.saturating_duration_since(Instant::now()).max(Duration::from_millis(1));
            match link.handle.read_bulk(endpoint, &mut link.scratch, left) {
                Ok(0) => {
                    // A zero-length packet: nothing yet.
                    if Instant::now() >= deadline {
                        return Ok(false);
                    }
                }
                Ok(n) => {
                    if link.taken == link.pending.len() {
                        link.pending.clear();
                        link.taken = 0;
                    }
                    link.pending.extend_from_slice(&link.scratch[..n]);
                    return Ok(true);
                }
                Err(rusb::Error::Timeout) => return Ok(false),
                Err(rusb::Error::Interrupted) => {}
                Err(rusb::Error::Pipe) => {
                    let _ = link.handle.clear_halt(endpoint);
                    return Err(UsbError::Refused { device: link.name.clone(), request: "the read (bulk IN stalled)" });
                }
                Err(e) => return Err(disconnected_or(e, &link.name, "read")),
            }
        }
    }
}

/// An I/O error on a transfer is what an unplug looks like on some host controllers.
fn disconnected_or(e: rusb::Error, name: &str, action: &'static str) -> UsbError {
    match e {
        rusb::Error::NoDevice | rusb::Error::Io => UsbError::Disconnected { device: name.to_string() },
        e => UsbError::from_rusb(e, name, action),
    }
}

impl Transport for UsbTransport {
    fn write_all(&mut self, bytes: &[u8]) -> Result<(), TransportError> {
        Ok(self.write_usb(bytes)?)
    }

    fn read(&mut self, buf: &mut [u8], timeout: Duration) -> Result<usize, TransportError> {
        if buf.is_empty() {
            return Ok(0);
        }
        let has_pending = self.link.as_ref().is_some_and(|l| l.taken < l.pending.len());
        if !has_pending && !self.fill(timeout)? {
            return Err(TransportError::Timeout { operation: Operation::Read, timeout });
        }
        let link = self.link()?;
        let available = &link.pending[link.taken..];
        let n = available.len().min(buf.len());
        buf[..n].copy_from_slice(&available[..n]);
        link.taken += n;
        Ok(n)
    }

    fn discard_input(&mut self) -> Result<(), TransportError> {
        let link = self.link()?;
        link.pending.clear();
        link.taken = 0;
        // Bounded: a device that streams without end must not keep us here.
        for _ in 0..64 {
            if !self.fill(Duration::from_millis(1))? {
                break;
            }
            let link = self.link()?;
            debug!(device = %link.name, bytes = link.pending.len(), "discarded unasked bytes from the device");
            link.pending.clear();
            link.taken = 0;
        }
        Ok(())
    }

    fn reopen(&mut self) -> Result<(), TransportError> {
        // Close first: release the interface and give it back to the kernel driver.
        self.link = None;
        self.link = Some(open_link(&self.context, &self.config)?);
        Ok(())
    }
}

#[cfg(test)]
#[path = "usb_tests.rs"]
mod tests;
