//! Descriptors as plain data, and the choices made from them (sans-IO): which device, which
//! interface and endpoints.

#[allow(unused_imports)]
use super::*;

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

    pub(super) fn is_bulk_out(&self) -> bool {
        self.transfer == TransferKind::Bulk && !self.is_in()
    }

    pub(super) fn is_bulk_in(&self) -> bool {
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

pub(super) fn describe_present(devices: &[UsbDeviceInfo]) -> String {
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
