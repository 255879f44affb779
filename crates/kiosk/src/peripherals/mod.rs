//! Technician commands for peripherals: simulators (`kiosk sim ...`) that speak a device's real
//! bytes on a TCP port or a pseudo-terminal, and self-tests (`kiosk doctor ...`) that drive a real
//! or simulated device through the production driver and say in words what is wrong.

mod all;
mod idcard;
mod keypad;
mod led;
mod printer;
mod voice;

pub use all::{DEFAULT_CONFIG, Finding, Health, check_all, doctor_all};
pub use idcard::{IdcardDoctorArgs, IdcardSimArgs, doctor_idcard, sim_idcard};
pub use keypad::{GpioDoctorArgs, KeypadDoctorArgs, KeypadSimArgs, UsbDoctorArgs, doctor_gpio, doctor_keypad, doctor_usb, sim_keypad};
pub use led::{LedDoctorArgs, LedSimArgs, doctor_led, sim_led};
pub use printer::{Paper, PrinterDoctorArgs, PrinterSimArgs, doctor_printer, sim_printer};
pub use voice::{VoiceDoctorArgs, doctor_voice_cmd};
