//! Arbitrary bytes as a USB printer's answers to the printer-class requests (the IEEE 1284 device
//! ID with its length prefix, the port-status byte) and as a VID:PID typed by a technician: never a
//! panic, and a parsed VID:PID prints back as what parses to it.
#![no_main]

use device_drivers::transport::usb::{DeviceId, PortStatus, parse_vid_pid};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let _ = DeviceId::decode(data);
    if let Some(&b) = data.first() {
        let status = PortStatus::from_byte(b);
        let _ = status.describe();
    }
    if let Ok(text) = std::str::from_utf8(data) {
        let _ = DeviceId::parse(text);
        if let Ok(id) = parse_vid_pid(text) {
            assert_eq!(parse_vid_pid(&id.to_string()).ok(), Some(id));
        }
    }
});
