//! The USB choices and decoders, over plain data: no hardware needed.

use proptest::prelude::*;

use super::*;
use crate::Error as _;

fn bulk(address: u8) -> EndpointInfo {
    EndpointInfo { address, transfer: TransferKind::Bulk, max_packet_size: 512 }
}

fn interrupt(address: u8) -> EndpointInfo {
    EndpointInfo { address, transfer: TransferKind::Interrupt, max_packet_size: 8 }
}

fn interface(number: u8, class: u8, protocol: u8, endpoints: Vec<EndpointInfo>) -> InterfaceInfo {
    let subclass = if class == PRINTER_CLASS { PRINTER_SUBCLASS } else { 0 };
    InterfaceInfo { number, alt_setting: 0, class, subclass, protocol, endpoints }
}

fn device(vid: u16, pid: u16, bus: u8, address: u8, serial: Option<&str>) -> UsbDeviceInfo {
    UsbDeviceInfo {
        id: VidPid::new(vid, pid),
        bus_address: BusAddress { bus, address },
        port_path: vec![1],
        device_class: 0,
        interfaces: vec![interface(0, PRINTER_CLASS, 2, vec![bulk(0x01), bulk(0x81)])],
        manufacturer: Some("Hallkit".into()),
        product: Some("Printer".into()),
        serial: serial.map(str::to_string),
        strings_unreadable: None,
    }
}

const NONE: EndpointOverride = EndpointOverride { interface: None, out_endpoint: None, in_endpoint: None };

// --- VID:PID ---------------------------------------------------------------------------------

#[test]
fn vid_pid_is_read_as_lsusb_prints_it() {
    assert_eq!(parse_vid_pid("0483:5720"), Ok(VidPid::new(0x0483, 0x5720)));
    assert_eq!(parse_vid_pid(" 0x0483:0X5720 "), Ok(VidPid::new(0x0483, 0x5720)));
    assert_eq!(parse_vid_pid("1A86:e01"), Ok(VidPid::new(0x1a86, 0x0e01)));
    assert_eq!("ffff:0000".parse::<VidPid>(), Ok(VidPid::new(0xffff, 0)));
    assert_eq!(VidPid::new(0x483, 0x5720).to_string(), "0483:5720");
}

#[test]
fn a_bad_vid_pid_names_what_is_wrong() {
    assert!(matches!(parse_vid_pid("04835720"), Err(VidPidError::MissingColon { .. })));
    assert!(matches!(parse_vid_pid(""), Err(VidPidError::MissingColon { .. })));
    for (input, part) in
        [("0483:", "product"), (":5720", "vendor"), ("12345:0001", "vendor"), ("0483:57g0", "product"), ("+483:5720", "vendor"), ("0483:5720:1", "product")]
    {
        let err = parse_vid_pid(input).expect_err(input);
        assert!(matches!(&err, VidPidError::BadNumber { part: p, .. } if *p == part), "{input}: {err:?}");
        assert!(err.to_string().contains("0483:5720"), "the message shows an example: {err}");
    }
}

proptest! {
    #[test]
    fn any_vid_pid_survives_display_and_parse(vid: u16, pid: u16) {
        let id = VidPid::new(vid, pid);
        prop_assert_eq!(parse_vid_pid(&id.to_string()), Ok(id));
    }

    #[test]
    fn parsing_any_text_never_panics(text in ".{0,16}") {
        let _ = parse_vid_pid(&text);
    }
}

// --- endpoint choice -------------------------------------------------------------------------

#[test]
fn a_bidirectional_printer_interface_is_chosen_with_both_endpoints() {
    let interfaces = [interface(0, PRINTER_CLASS, 2, vec![bulk(0x02), bulk(0x82)])];
    let choice = choose_endpoints(&interfaces, InterfaceKind::Printer, &NONE).expect("a printer");
    assert_eq!((choice.interface, choice.out_endpoint, choice.in_endpoint), (0, 0x02, Some(0x82)));
    assert_eq!(choice.reason, ChoiceReason::PrinterBidirectional);
    assert_eq!(choice.in_packet_size, 512);
}

#[test]
fn the_printer_interface_wins_over_a_vendor_interface_listed_first() {
    let interfaces = [
        interface(0, 0xFF, 0, vec![bulk(0x01), bulk(0x81)]),
        interface(1, PRINTER_CLASS, 1, vec![bulk(0x03)]),
        interface(2, PRINTER_CLASS, 2, vec![bulk(0x04), bulk(0x84)]),
    ];
    let choice = choose_endpoints(&interfaces, InterfaceKind::Printer, &NONE).expect("a printer");
    assert_eq!((choice.interface, choice.out_endpoint, choice.in_endpoint), (2, 0x04, Some(0x84)), "bidirectional first");
    let choice = choose_endpoints(&interfaces[..2], InterfaceKind::Printer, &NONE).expect("a printer");
    assert_eq!((choice.interface, choice.out_endpoint, choice.in_endpoint), (1, 0x03, None));
    assert_eq!(choice.reason, ChoiceReason::PrinterUnidirectional);
}

#[test]
fn an_ieee_1284_4_printer_interface_is_skipped_for_vendor_bulk_endpoints() {
    let interfaces = [interface(0, PRINTER_CLASS, 3, vec![bulk(0x01), bulk(0x81)]), interface(1, 0xFF, 0, vec![bulk(0x02), bulk(0x82)])];
    let choice = choose_endpoints(&interfaces, InterfaceKind::Printer, &NONE).expect("the vendor interface");
    assert_eq!((choice.interface, choice.reason), (1, ChoiceReason::BulkEndpoints));
}

#[test]
fn a_card_reader_needs_a_bulk_pair_and_hid_interrupt_endpoints_do_not_count() {
    let interfaces = [
        interface(0, 3, 1, vec![interrupt(0x81), interrupt(0x01)]),
        interface(1, 0xFF, 0, vec![bulk(0x02)]),
        interface(2, 0xFF, 0, vec![interrupt(0x83), bulk(0x03), bulk(0x85)]),
    ];
    let choice = choose_endpoints(&interfaces, InterfaceKind::BulkPair, &NONE).expect("a bulk pair");
    assert_eq!((choice.interface, choice.out_endpoint, choice.in_endpoint), (2, 0x03, Some(0x85)));
    let err = choose_endpoints(&interfaces[..2], InterfaceKind::BulkPair, &NONE).expect_err("no pair");
    let text = err.to_string();
    assert!(matches!(err, EndpointError::NoSuitableInterface { .. }), "{err:?}");
    assert!(text.contains("interface 0 class 3 (HID)") && text.contains("0x02 Bulk OUT"), "names what the device has: {text}");
}

#[test]
fn a_hid_only_device_is_not_a_printer() {
    let interfaces = [interface(0, 3, 1, vec![interrupt(0x81)])];
    let err = choose_endpoints(&interfaces, InterfaceKind::Printer, &NONE).expect_err("HID only");
    assert!(err.to_string().contains("printer class (7) or bulk OUT"), "{err}");
    assert!(choose_endpoints(&[], InterfaceKind::Printer, &NONE).expect_err("nothing").to_string().contains("no interfaces"));
}

#[test]
fn configured_endpoints_are_checked_against_the_descriptors() {
    let interfaces = [interface(0, 3, 1, vec![interrupt(0x81)]), interface(1, 0xFF, 0, vec![bulk(0x02), bulk(0x86)])];
    let at = |interface, out, input| EndpointOverride { interface, out_endpoint: out, in_endpoint: input };

    let choice = choose_endpoints(&interfaces, InterfaceKind::BulkPair, &at(Some(1), Some(0x02), Some(0x86))).expect("as configured");
    assert_eq!((choice.interface, choice.out_endpoint, choice.in_endpoint, choice.reason), (1, 0x02, Some(0x86), ChoiceReason::Configured));
    // The interface is found from the endpoint, and the IN endpoint from the interface.
    let choice = choose_endpoints(&interfaces, InterfaceKind::BulkPair, &at(None, Some(0x02), None)).expect("found by endpoint");
    assert_eq!((choice.interface, choice.in_endpoint), (1, Some(0x86)));
    // Only the interface given: searched as usual, within it.
    let choice = choose_endpoints(&interfaces, InterfaceKind::BulkPair, &at(Some(1), None, None)).expect("within interface 1");
    assert_eq!(choice.out_endpoint, 0x02);

    let err = choose_endpoints(&interfaces, InterfaceKind::BulkPair, &at(Some(4), None, None)).expect_err("no interface 4");
    assert!(matches!(err, EndpointError::NoSuchInterface { interface: 4, .. }), "{err:?}");
    let err = choose_endpoints(&interfaces, InterfaceKind::BulkPair, &at(Some(1), Some(0x86), None)).expect_err("0x86 is IN");
    assert!(matches!(err, EndpointError::NoSuchEndpoint { endpoint: 0x86, direction: "OUT", .. }), "{err:?}");
    let err = choose_endpoints(&interfaces, InterfaceKind::BulkPair, &at(None, Some(0x02), Some(0x81))).expect_err("0x81 is interrupt");
    assert!(matches!(err, EndpointError::NoSuchEndpoint { endpoint: 0x81, direction: "IN", .. }), "{err:?}");
    assert!(err.to_string().contains("0x86 Bulk IN"), "lists the endpoints there are: {err}");
}

#[test]
fn endpoints_split_over_two_interfaces_are_refused() {
    let interfaces = [interface(0, 0xFF, 0, vec![bulk(0x01)]), interface(1, 0xFF, 0, vec![bulk(0x82)])];
    let configured = EndpointOverride { interface: None, out_endpoint: Some(0x01), in_endpoint: Some(0x82) };
    let err = choose_endpoints(&interfaces, InterfaceKind::BulkPair, &configured).expect_err("one interface is claimed");
    assert!(matches!(err, EndpointError::NoSuchEndpoint { endpoint: 0x82, .. }), "{err:?}");
    assert!(err.to_string().contains("same interface"), "{err}");
}

#[test]
fn an_alternate_setting_is_kept_in_the_choice() {
    let mut alt = interface(0, PRINTER_CLASS, 2, vec![bulk(0x01), bulk(0x81)]);
    alt.alt_setting = 1;
    let interfaces = [interface(0, PRINTER_CLASS, 1, vec![bulk(0x01)]), alt];
    let choice = choose_endpoints(&interfaces, InterfaceKind::Printer, &NONE).expect("a printer");
    assert_eq!((choice.alt_setting, choice.reason), (1, ChoiceReason::PrinterBidirectional));
}

fn arb_interface() -> impl Strategy<Value = InterfaceInfo> {
    let endpoint = (any::<u8>(), 0u8..4, 1u16..1025).prop_map(|(address, t, max_packet_size)| EndpointInfo {
        address,
        transfer: [TransferKind::Control, TransferKind::Isochronous, TransferKind::Bulk, TransferKind::Interrupt][usize::from(t)],
        max_packet_size,
    });
    (0u8..4, 0u8..2, prop_oneof![Just(7u8), Just(3), Just(0xFF)], 0u8..4, prop::collection::vec(endpoint, 0..4))
        .prop_map(|(number, alt_setting, class, protocol, endpoints)| InterfaceInfo { number, alt_setting, class, subclass: 1, protocol, endpoints })
}

proptest! {
    /// Whatever the descriptors, a choice names bulk endpoints of the right direction on the
    /// interface it names.
    #[test]
    fn a_choice_always_names_real_bulk_endpoints(mut interfaces in prop::collection::vec(arb_interface(), 0..5), pair: bool) {
        // Descriptors never repeat an (interface, alternate setting) pair.
        for (k, i) in interfaces.iter_mut().enumerate() {
            i.number = u8::try_from(k / 2).expect("small");
            i.alt_setting = u8::try_from(k % 2).expect("small");
        }
        let kind = if pair { InterfaceKind::BulkPair } else { InterfaceKind::Printer };
        if let Ok(choice) = choose_endpoints(&interfaces, kind, &NONE) {
            let owner = interfaces.iter().find(|i| i.number == choice.interface && i.alt_setting == choice.alt_setting);
            prop_assert!(owner.is_some());
            let owner = owner.unwrap();
            prop_assert!(owner.endpoints.iter().any(|e| e.address == choice.out_endpoint && e.is_bulk_out()));
            if let Some(input) = choice.in_endpoint {
                prop_assert!(owner.endpoints.iter().any(|e| e.address == input && e.is_bulk_in()));
            }
            if pair {
                prop_assert!(choice.in_endpoint.is_some());
            }
        }
    }
}

// --- device selection ------------------------------------------------------------------------

#[test]
fn an_absent_device_is_not_found_and_the_error_lists_what_is_present() {
    let devices = [device(0x1d6b, 0x0002, 1, 1, None), device(0x0416, 0x5011, 1, 4, Some("P1"))];
    let selector = DeviceSelector { id: VidPid::new(0x0483, 0x5720), serial: None, bus_address: None };
    let err = select_device(&devices, &selector).expect_err("absent");
    let text = err.to_string();
    assert!(matches!(err, UsbError::NotFound { .. }), "{err:?}");
    assert_eq!(err.kind(), ErrorKind::Disconnected);
    assert!(text.contains("0483:5720"), "says what was looked for: {text}");
    assert!(text.contains("0416:5011 bus 001 address 004 printer \"Hallkit Printer\" serial P1"), "lists what is present: {text}");
    let err = select_device(&[], &selector).expect_err("nothing at all");
    assert!(err.to_string().contains("no USB devices at all"), "{err}");
}

#[test]
fn identical_devices_are_told_apart_by_serial_or_place_and_otherwise_refused() {
    let devices = [device(0x0416, 0x5011, 1, 4, Some("P1")), device(0x0416, 0x5011, 2, 7, Some("P2")), device(0x0416, 0x5011, 2, 9, None)];
    let id = VidPid::new(0x0416, 0x5011);
    let err = select_device(&devices, &DeviceSelector { id, serial: None, bus_address: None }).expect_err("three match");
    assert!(matches!(&err, UsbError::Ambiguous { matches, .. } if matches.len() == 3), "{err:?}");
    assert!(err.to_string().contains("serial number"), "tells how to choose: {err}");
    assert_eq!(select_device(&devices, &DeviceSelector { id, serial: Some("P2".into()), bus_address: None }).ok(), Some(1));
    assert_eq!(select_device(&devices, &DeviceSelector { id, serial: None, bus_address: Some(BusAddress { bus: 2, address: 9 }) }).ok(), Some(2));
    let err = select_device(&devices, &DeviceSelector { id, serial: Some("P3".into()), bus_address: None }).expect_err("no P3");
    assert!(err.to_string().contains("with serial number \"P3\""), "{err}");
}

#[test]
fn a_device_is_described_by_its_class() {
    let mut hub = device(0x1d6b, 0x0002, 1, 1, None);
    hub.device_class = 9;
    hub.manufacturer = None;
    hub.product = None;
    assert_eq!(hub.describe(), "1d6b:0002 bus 001 address 001 hub");
    let mut reader = device(0x0400, 0xc35a, 3, 2, None);
    reader.interfaces = vec![interface(0, 0xFF, 0, vec![bulk(0x01), bulk(0x82)])];
    assert_eq!(reader.kind_name(), "vendor specific");
}

// --- printer class answers -------------------------------------------------------------------

#[test]
fn port_status_bits_are_decoded() {
    // What Linux's gadget printer answers by default: selected, no error.
    let ok = PortStatus::from_byte(0x18);
    assert!(ok.ready() && ok.selected && !ok.error && !ok.paper_empty, "{ok:?}");
    assert_eq!(ok.describe(), "ready (port status 0x18)");
    let out = PortStatus::from_byte(0x38);
    assert!(out.paper_empty && !out.ready());
    assert_eq!(out.describe(), "out of paper (port status 0x38)");
    let dead = PortStatus::from_byte(0x00);
    assert!(!dead.selected && dead.error && !dead.paper_empty);
    assert_eq!(dead.describe(), "offline (not selected), reports an error (port status 0x00)");
    // Bits outside 3–5 mean nothing here.
    assert!(PortStatus::from_byte(0xC7 | 0x18).ready());
}

proptest! {
    #[test]
    fn port_status_is_ready_exactly_when_the_three_bits_say_so(raw: u8) {
        let status = PortStatus::from_byte(raw);
        prop_assert_eq!(status.ready(), raw & 0x38 == 0x18);
        prop_assert_eq!(status.raw, raw);
    }
}

/// A `GET_DEVICE_ID` answer whose length counts its own two bytes, as the standard says.
fn standard(id: &str) -> Vec<u8> {
    let mut answer = u16::try_from(id.len() + 2).expect("short").to_be_bytes().to_vec();
    answer.extend_from_slice(id.as_bytes());
    answer
}

const EPSON: &str = "MFG:EPSON;CMD:ESC/POS,ESC/POS-CN;MDL:TM-T88V;CLS:PRINTER;DES:EPSON TM-T88V;";

#[test]
fn a_standard_device_id_is_decoded_into_its_fields() {
    let id = DeviceId::decode(&standard(EPSON)).expect("decodes");
    assert_eq!(id.raw, EPSON);
    assert!(!id.truncated);
    assert_eq!(id.manufacturer(), Some("EPSON"));
    assert_eq!(id.model(), Some("TM-T88V"));
    assert_eq!(id.command_set(), vec!["ESC/POS", "ESC/POS-CN"]);
    assert_eq!(id.class(), Some("PRINTER"));
    assert_eq!(id.get(&["des"]), Some("EPSON TM-T88V"));
    assert_eq!(id.serial(), None);
    assert_eq!(id.fields.len(), 5);
}

#[test]
fn long_key_names_and_spaces_are_understood() {
    let id = DeviceId::decode(&standard("MANUFACTURER: Xprinter ;COMMAND SET:ESC/POS;MODEL:XP-58;SN:X123")).expect("decodes");
    assert_eq!((id.manufacturer(), id.model(), id.serial()), (Some("Xprinter"), Some("XP-58"), Some("X123")));
    assert_eq!(id.command_set(), vec!["ESC/POS"]);
}

#[test]
fn a_length_that_counts_only_the_string_keeps_the_whole_string() {
    // Linux's gadget printer (f_printer) and some printers count the string without the two
    // length bytes.
    let mut answer = u16::try_from(EPSON.len()).expect("short").to_be_bytes().to_vec();
    answer.extend_from_slice(EPSON.as_bytes());
    let id = DeviceId::decode(&answer).expect("decodes");
    assert_eq!(id.raw, EPSON);
    assert_eq!(id.class(), Some("PRINTER"));
}

#[test]
fn the_device_id_of_linux_6_1_gadget_printer_keeps_every_field() {
    // Measured in the VM of scripts/usb-vm-test: the ID was configured with `echo` (so it ends in
    // a newline); f_printer put the string's length (without the two length bytes) in the
    // length field and sent that many bytes in all, so the final ";\n" never arrived.
    let configured = "MFG:Hallkit;MDL:VM Printer;CMD:ESC/POS;CLS:PRINTER;SN:HK-VM-1;\n";
    let length = u16::try_from(configured.len()).expect("short");
    let mut answer = length.to_be_bytes().to_vec();
    answer.extend_from_slice(&configured.as_bytes()[..configured.len() - 2]);
    let id = DeviceId::decode(&answer).expect("decodes");
    assert_eq!(id.raw, "MFG:Hallkit;MDL:VM Printer;CMD:ESC/POS;CLS:PRINTER;SN:HK-VM-1");
    assert_eq!(id.fields, DeviceId::parse(configured).fields);
    assert_eq!(id.serial(), Some("HK-VM-1"));
}

#[test]
fn padding_after_the_string_is_dropped_and_a_short_answer_is_flagged() {
    let mut padded = standard(EPSON);
    padded.extend_from_slice(&[0; 40]);
    assert_eq!(DeviceId::decode(&padded).expect("decodes").raw, EPSON);

    let mut junk = standard("MFG:A;MDL:B;");
    junk.extend_from_slice(b"\xff\xfe garbage");
    assert_eq!(DeviceId::decode(&junk).expect("decodes").raw, "MFG:A;MDL:B;");

    let full = standard(EPSON);
    let cut = DeviceId::decode(&full[..20]).expect("decodes what came");
    assert!(cut.truncated);
    assert_eq!(cut.manufacturer(), Some("EPSON"));

    assert_eq!(DeviceId::decode(&[0x00]), Err(DeviceIdError::TooShort { len: 1 }));
    let empty = DeviceId::decode(&[0x00, 0x02]).expect("an empty ID");
    assert!(empty.fields.is_empty() && empty.raw.is_empty());
}

proptest! {
    #[test]
    fn any_device_id_answer_decodes_without_panicking(answer in prop::collection::vec(any::<u8>(), 0..300)) {
        if let Ok(id) = DeviceId::decode(&answer) {
            prop_assert!(id.raw.len() <= answer.len().saturating_sub(2) * 3);
        }
    }

    #[test]
    fn a_standard_answer_gives_back_its_string(pairs in prop::collection::vec(("[A-Z]{1,5}", "[ -9<-~]{0,12}"), 0..6)) {
        // Values without ':' or ';' (the separators).
        let text: String = pairs.iter().map(|(k, v)| format!("{k}:{v};")).collect();
        let id = DeviceId::decode(&standard(&text)).expect("decodes");
        prop_assert_eq!(&id.raw, &text);
        prop_assert_eq!(id.fields.len(), pairs.len());
    }
}

// --- errors ----------------------------------------------------------------------------------

#[test]
fn usb_errors_keep_their_kind_through_the_transport_error() {
    let timeout = UsbError::Timeout { device: "d".into(), operation: Operation::Write, timeout: Duration::from_secs(2) };
    let t: TransportError = timeout.into();
    assert!(matches!(t, TransportError::Timeout { operation: Operation::Write, .. }), "{t:?}");
    assert_eq!(t.kind(), ErrorKind::Timeout);

    let gone: TransportError = UsbError::NotFound { wanted: "0483:5720".into(), present: "1d6b:0002 bus 001 address 001 hub".into() }.into();
    assert_eq!(gone.kind(), ErrorKind::Disconnected);
    assert!(gone.to_string().contains("0483:5720") && gone.to_string().contains("1d6b:0002"), "{gone}");

    let denied: TransportError = UsbError::AccessDenied { device: "0483:5720 bus 001 address 004".into() }.into();
    let inner = usb_error(&denied).expect("the USB error is kept");
    assert!(matches!(inner, UsbError::AccessDenied { .. }));
    assert!(denied.to_string().contains("docs/usb.md"), "the advice reaches the message: {denied}");
    assert!(matches!(&denied, TransportError::Io { source } if source.kind() == io::ErrorKind::PermissionDenied));

    let busy: TransportError = UsbError::Busy { device: "d".into(), interface: 0 }.into();
    assert!(matches!(usb_error(&busy), Some(UsbError::Busy { interface: 0, .. })));
    assert!(usb_error(&gone).is_none());
}

#[test]
fn libusb_errors_map_to_typed_errors() {
    assert!(matches!(UsbError::from_rusb(rusb::Error::NoDevice, "d", "x"), UsbError::Disconnected { .. }));
    assert!(matches!(UsbError::from_rusb(rusb::Error::Access, "d", "x"), UsbError::AccessDenied { .. }));
    assert!(matches!(disconnected_or(rusb::Error::Io, "d", "write"), UsbError::Disconnected { .. }));
    let other = UsbError::from_rusb(rusb::Error::Overflow, "d", "read");
    assert!(matches!(other, UsbError::Usb { action: "read", source: rusb::Error::Overflow, .. }), "{other:?}");
    assert_eq!(UsbError::NoUsb { source: rusb::Error::Other }.kind(), ErrorKind::Other);
}

#[test]
fn a_config_names_its_device_and_endpoints() {
    let config = UsbConfig::card_reader(VidPid::new(0x0400, 0xc35a)).with_serial("R1").with_endpoints(1, 0x02, Some(0x86));
    assert_eq!(config.kind, InterfaceKind::BulkPair);
    assert_eq!(config.selector().to_string(), "0400:c35a with serial number \"R1\"");
    assert_eq!(config.endpoint_override(), EndpointOverride { interface: Some(1), out_endpoint: Some(0x02), in_endpoint: Some(0x86) });
    let printer = UsbConfig::printer(VidPid::new(0x0416, 0x5011)).with_bus_address(1, 4);
    assert_eq!(printer.kind, InterfaceKind::Printer);
    assert_eq!(printer.selector().to_string(), "0416:5011 at bus 001 address 004");
}
