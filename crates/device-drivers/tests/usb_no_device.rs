//! The "no device" path on a machine as it is: without USB (a container, most CI runners) libusb
//! cannot start and the error says so; with USB, a VID:PID that nobody uses is not found and the
//! error lists what is there. Never a panic.

use device_drivers::Error as _;
use device_drivers::ErrorKind;
use device_drivers::transport::usb::{self, UsbConfig, UsbError, UsbTransport, VidPid};

/// No real vendor has this ID (0xF1F1 is not assigned by USB-IF).
const ABSENT: VidPid = VidPid::new(0xf1f1, 0x0bad);

#[test]
fn opening_an_absent_device_is_a_typed_error_with_a_clear_message() {
    match usb::new_context() {
        Err(err) => {
            assert!(matches!(err, UsbError::NoUsb { .. }), "{err:?}");
            let text = err.to_string();
            assert!(text.contains("USB is not available") && text.contains("/dev/bus/usb"), "{text}");
        }
        Ok(context) => {
            for config in [UsbConfig::printer(ABSENT), UsbConfig::card_reader(ABSENT).with_serial("X")] {
                let err = UsbTransport::open(&context, config).expect_err("nothing has this VID:PID");
                assert!(matches!(err, UsbError::NotFound { .. }), "{err:?}");
                assert_eq!(err.kind(), ErrorKind::Disconnected);
                let text = err.to_string();
                assert!(text.contains("f1f1:0bad") && text.contains("present:"), "{text}");
            }
            // Listing works too, and does not show the absent device.
            let devices = usb::list_devices(&context).expect("lists");
            assert!(devices.iter().all(|d| d.id != ABSENT));
        }
    }
}
