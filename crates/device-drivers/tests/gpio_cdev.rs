//! The character-device backend against what exists on a machine with no GPIO chip: opening
//! errors must be typed and tell a person what to do. (No GPIO simulator module exists in
//! Debian's kernel, so edges on real lines are not tested here.)

use std::path::Path;
use std::time::Duration;

use device_drivers::Error as _;
use device_drivers::ErrorKind;
use device_drivers::gpio;
use device_drivers::gpio::{BackendKind, ButtonSettings, CdevBackend, GpioBackend, GpioError, GpioPanel, LineConfig, open_backend};

#[test]
fn a_missing_chip_names_its_path_and_how_to_list_chips() {
    let mut backend = CdevBackend::new();
    let line = LineConfig::new("/dev/gpiochip-hallkit-absent", 4);
    let err = backend.request_input(&line).expect_err("no such chip");
    assert!(matches!(&err, GpioError::ChipMissing { path, .. } if path == Path::new("/dev/gpiochip-hallkit-absent")), "{err:?}");
    let text = err.to_string();
    assert!(text.contains("/dev/gpiochip-hallkit-absent") && text.contains("ls /dev/gpiochip*"), "{text}");
    // The message lists the chips that do exist, so a technician sees the right path at once.
    let GpioError::ChipMissing { available, .. } = &err else { unreachable!("matched above") };
    match gpio::chips().as_slice() {
        [] => assert_eq!(available, "none found"),
        chips => assert!(chips.iter().all(|c| available.contains(&c.path.display().to_string())), "{available}"),
    }
    assert_eq!(err.kind(), ErrorKind::Disconnected);
    let err = backend.request_output(&line, false).expect_err("no such chip");
    assert!(matches!(err, GpioError::ChipMissing { .. }), "{err:?}");
}

#[test]
fn a_device_that_is_not_a_gpio_chip_is_named_as_such() {
    let mut backend = CdevBackend::new();
    // A Linux kernel answers the GPIO ioctl on another device with ENOTTY; qemu-user (used to run
    // the cross-built tests) answers every ioctl it does not know with ENOSYS.
    let err = backend.request_input(&LineConfig::new("/dev/null", 0)).expect_err("/dev/null is not a chip");
    assert!(matches!(&err, GpioError::NotAChip { path, .. } | GpioError::NoGpioInterface { path, .. } if path == Path::new("/dev/null")), "{err:?}");
    let file = tempfile::NamedTempFile::new().expect("a temporary file");
    let err = backend.request_output(&LineConfig::new(file.path(), 0), true).expect_err("a plain file is not a chip");
    assert!(matches!(err, GpioError::NotAChip { .. } | GpioError::NoGpioInterface { .. }), "{err:?}");
}

#[test]
fn a_panel_on_a_board_without_the_chip_fails_to_build_with_the_chip_error() {
    let mut panel = GpioPanel::new(CdevBackend::new());
    let err = panel.add_button("call", &LineConfig::new("/dev/gpiochip-hallkit-absent", 17), ButtonSettings::default()).expect_err("no chip");
    assert!(matches!(err, GpioError::ChipMissing { .. }), "{err:?}");
    assert_eq!(panel.button("call"), None, "a button whose line failed is not added");
}

#[test]
fn a_cdev_backend_with_no_lines_waits_and_reports_no_edge() {
    let mut backend = CdevBackend::new();
    let until = backend.now() + Duration::from_millis(5);
    assert_eq!(backend.wait_edge(until).expect("nothing to fail"), None);
    assert!(backend.now() >= until);
    assert_eq!(backend.name(), "cdev");
}

#[test]
fn the_configured_backend_opens_and_the_raspberry_pi_one_needs_its_feature() {
    let cdev = open_backend(BackendKind::Cdev).expect("the character device backend opens lazily");
    assert_eq!(cdev.name(), "cdev");
    let kind: BackendKind = serde_json_like("raspberry_pi");
    assert_eq!(kind, BackendKind::RaspberryPi);
    let pi = open_backend(BackendKind::RaspberryPi);
    #[cfg(not(feature = "raspberry-pi"))]
    assert!(matches!(&pi, Err(GpioError::Config(m)) if m.contains("raspberry-pi")), "{:?}", pi.as_ref().err());
    // With the feature on a machine that is not a Raspberry Pi, rppal refuses with its own error.
    #[cfg(feature = "raspberry-pi")]
    if let Err(e) = &pi {
        assert!(matches!(e, GpioError::RaspberryPi { .. }), "{e:?}");
    }
}

/// Reads a backend name the way a TOML configuration would.
fn serde_json_like(name: &str) -> BackendKind {
    #[derive(serde::Deserialize)]
    struct Doc {
        backend: BackendKind,
    }
    toml::from_str::<Doc>(&format!("backend = \"{name}\"")).expect("parses").backend
}

#[test]
fn the_inventory_lists_only_gpio_chips_and_names_a_missing_one() {
    for chip in gpio::chips() {
        assert!(chip.path.to_string_lossy().starts_with("/dev/gpiochip"), "{chip:?}");
        assert_eq!(gpio::lines(&chip.path).expect("a listed chip can be read").len(), chip.lines as usize);
    }
    let err = gpio::lines(Path::new("/dev/gpiochip-hallkit-absent")).expect_err("no such chip");
    assert!(matches!(err, GpioError::ChipMissing { .. }), "{err:?}");
    let err = gpio::chip(Path::new("/dev/null")).expect_err("not a chip");
    assert!(matches!(err, GpioError::NotAChip { .. } | GpioError::NoGpioInterface { .. }), "{err:?}");
}
