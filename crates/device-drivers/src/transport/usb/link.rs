//! libusb: enumeration, opening, and the transport itself.

#[allow(unused_imports)]
use super::*;

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
        let timeout = crate::transport::nonzero(self.config.control_timeout);
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
        let timeout = crate::transport::nonzero(self.config.control_timeout);
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
        let timeout = crate::transport::nonzero(self.config.write_timeout);
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
pub(super) fn disconnected_or(e: rusb::Error, name: &str, action: &'static str) -> UsbError {
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
