//! GPIO errors: one enum for every backend, so that a counter can choose its backend from its
//! configuration at run time (`Box<dyn GpioBackend>`).

use std::path::PathBuf;

use crate::ErrorKind;

/// A GPIO failure.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum GpioError {
    /// The GPIO chip's device node does not exist.
    #[error(
        "GPIO chip {path} does not exist (chips on this machine: {available}); list this board's chips with `ls /dev/gpiochip*` (or `gpiodetect` from the gpiod package) and set the chip path in the configuration"
    )]
    ChipMissing {
        /// The path configured.
        path: PathBuf,
        /// The chips that do exist, in words ("none found" on a machine without GPIO).
        available: String,
    },
    /// The device node exists but this user may not open it.
    #[error(
        "permission denied opening GPIO chip {path}; add the service user to the group that owns /dev/gpiochip* (a udev rule is in docs/buttons-and-lamps.md) or run as a user that may use it"
    )]
    Permission {
        /// The chip.
        path: PathBuf,
    },
    /// The path is not a GPIO character device (e.g. a typo pointing at another device).
    #[error("{path} is not a GPIO chip (the GPIO ioctl failed: {reason}); use a /dev/gpiochipN path from `ls /dev/gpiochip*`")]
    NotAChip {
        /// The path.
        path: PathBuf,
        /// The error the kernel gave.
        reason: String,
    },
    /// The system refused GPIO calls as not implemented: a kernel without the GPIO character
    /// device, or an emulator (qemu-user) that does not pass GPIO ioctls through.
    #[error(
        "the system does not implement GPIO calls on {path} ({reason}); the kernel lacks the GPIO character device, or this program runs under an emulator such as qemu-user: run it natively on the board"
    )]
    NoGpioInterface {
        /// The path.
        path: PathBuf,
        /// The error the system gave.
        reason: String,
    },
    /// The chip has no line with this offset.
    #[error("GPIO chip {chip} has no line {offset} (it has lines 0 to {last}); check the line offset in the configuration against the board's pin table")]
    NoSuchLine {
        /// The chip.
        chip: PathBuf,
        /// The offset asked for.
        offset: u32,
        /// The highest offset the chip has (`lines - 1`).
        last: u32,
    },
    /// The line is already taken by another program or a kernel driver.
    #[error(
        "GPIO line {offset} of {chip} is busy (used by {}); stop the other program or free the pin in the device tree, or choose another line",
        consumer.as_deref().unwrap_or("another consumer")
    )]
    LineBusy {
        /// The chip.
        chip: PathBuf,
        /// The line.
        offset: u32,
        /// Who holds it, when the kernel says.
        consumer: Option<String>,
    },
    /// The backend cannot do what the configuration asks (e.g. a pull-up on a kernel too old
    /// for bias flags).
    #[error("GPIO line {offset} of {chip}: {what}")]
    Unsupported {
        /// The chip (or the backend's name).
        chip: PathBuf,
        /// The line.
        offset: u32,
        /// What is not supported, and what to do instead.
        what: String,
    },
    /// Reading or writing a line, or waiting for its edges, failed.
    #[error("GPIO line {offset} of {chip}: could not {operation}: {reason}; check the board is still running its GPIO driver")]
    Io {
        /// The chip.
        chip: PathBuf,
        /// The line.
        offset: u32,
        /// What was being done ("read an edge", "set the level").
        operation: &'static str,
        /// The error, in words.
        reason: String,
    },
    /// Opening the GPIO chip or requesting a line failed for another reason.
    #[error("could not use GPIO chip {chip}: {reason}")]
    Other {
        /// The chip.
        chip: PathBuf,
        /// The error, in words.
        reason: String,
    },
    /// The Raspberry Pi GPIO library refused (only with the `raspberry-pi` feature).
    #[error("Raspberry Pi GPIO: {reason}; on boards other than a Raspberry Pi use the character-device backend")]
    RaspberryPi {
        /// The error, in words.
        reason: String,
        /// Its class.
        kind: ErrorKind,
    },
    /// A button or lamp configuration is inconsistent (two with one name, one line used twice).
    #[error("GPIO configuration: {0}")]
    Config(String),
    /// A line handle that this backend did not hand out (a programming error in the caller).
    #[error("no GPIO line with handle {0} was requested from this backend")]
    UnknownHandle(usize),
}

impl crate::Error for GpioError {
    fn kind(&self) -> ErrorKind {
        match self {
            GpioError::ChipMissing { .. } | GpioError::Io { .. } => ErrorKind::Disconnected,
            GpioError::RaspberryPi { kind, .. } => *kind,
            GpioError::Permission { .. }
            | GpioError::NotAChip { .. }
            | GpioError::NoGpioInterface { .. }
            | GpioError::NoSuchLine { .. }
            | GpioError::LineBusy { .. }
            | GpioError::Unsupported { .. }
            | GpioError::Other { .. }
            | GpioError::Config(_)
            | GpioError::UnknownHandle(_) => ErrorKind::Other,
        }
    }
}
