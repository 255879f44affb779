//! The Linux GPIO character-device backend.

use std::collections::VecDeque;
use std::io;
use std::os::fd::AsFd;
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use gpio_cdev::{Chip, EventRequestFlags, EventType, LineEventHandle, LineHandle, LineRequestFlags};
use tracing::{debug, warn};

use super::GpioError;
use super::backend::{CONSUMER, Edge, GpioBackend, InputId, LineConfig, OutputId, Pull};

/// `GPIOHANDLE_REQUEST_BIAS_PULL_UP` and friends from `<linux/gpio.h>` (Linux 5.5).
const BIAS_PULL_UP: u32 = 1 << 5;
const BIAS_PULL_DOWN: u32 = 1 << 6;
const BIAS_DISABLE: u32 = 1 << 7;

/// The production backend: the Linux GPIO character device (`/dev/gpiochipN`) through
/// `gpio-cdev` 0.6 (the kernel's v1 line-handle and line-event ABI), which works on any Linux
/// board, ARM64 and LoongArch64 included.
///
/// Inputs are requested as line-event handles for both edges; waiting for an edge on any of
/// them is one `poll(2)` over their file descriptors, so a device with five buttons needs no
/// thread per button. Edges are stamped with the time they are read on the backend's own
/// monotonic clock (the kernel's timestamps are on `CLOCK_MONOTONIC` only since Linux 5.7, and
/// `std` cannot read that clock directly); the debouncer only needs bursts of bounces to land
/// inside its window, which a late read keeps true.
///
/// Pull resistors use the v1 ABI's bias flags (Linux 5.5 and later); `gpio-cdev` 0.6 has no
/// names for them, so their kernel values are written here.
#[derive(Debug)]
pub struct CdevBackend {
    epoch: Instant,
    chips: Vec<Chip>,
    inputs: Vec<CdevInput>,
    outputs: Vec<CdevOutput>,
    /// Edges read but not yet handed out (one poll can find several lines ready).
    ready: VecDeque<Edge>,
}

#[derive(Debug)]
struct CdevInput {
    chip: PathBuf,
    offset: u32,
    events: LineEventHandle,
}

#[derive(Debug)]
struct CdevOutput {
    chip: PathBuf,
    offset: u32,
    handle: LineHandle,
}

impl Default for CdevBackend {
    fn default() -> Self {
        Self::new()
    }
}

impl CdevBackend {
    /// A backend with no lines yet; chips are opened when their first line is requested.
    pub fn new() -> Self {
        Self { epoch: Instant::now(), chips: Vec::new(), inputs: Vec::new(), outputs: Vec::new(), ready: VecDeque::new() }
    }

    /// Opens the chip at `path` (or returns it if open already).
    ///
    /// # Errors
    /// [`GpioError::ChipMissing`], [`GpioError::Permission`], [`GpioError::NotAChip`],
    /// [`GpioError::Other`].
    pub fn chip(&mut self, path: &Path) -> Result<&mut Chip, GpioError> {
        if let Some(index) = self.chips.iter().position(|c| c.path() == path) {
            return Ok(&mut self.chips[index]);
        }
        let chip = open_chip(path)?;
        debug!(chip = %path.display(), name = chip.name(), label = chip.label(), lines = chip.num_lines(), "opened GPIO chip");
        self.chips.push(chip);
        let last = self.chips.len() - 1;
        Ok(&mut self.chips[last])
    }

    /// Finds the line and checks that nobody holds it, so that a busy line is reported with
    /// its holder's name rather than as a bare EBUSY.
    fn line(&mut self, config: &LineConfig) -> Result<gpio_cdev::Line, GpioError> {
        let chip = self.chip(&config.chip)?;
        let lines = chip.num_lines();
        if config.offset >= lines {
            return Err(GpioError::NoSuchLine { chip: config.chip.clone(), offset: config.offset, last: lines.saturating_sub(1) });
        }
        let line = chip.get_line(config.offset).map_err(|e| request_error(config, &e))?;
        if let Ok(info) = line.info()
            && info.is_used()
        {
            return Err(GpioError::LineBusy { chip: config.chip.clone(), offset: config.offset, consumer: info.consumer().map(str::to_owned) });
        }
        Ok(line)
    }

    fn input(&self, input: InputId) -> Result<&CdevInput, GpioError> {
        self.inputs.get(input.0).ok_or(GpioError::UnknownHandle(input.0))
    }

    /// Reads one pending event from input `index`.
    fn read_edge(&mut self, index: usize) -> Result<Edge, GpioError> {
        let at = self.now();
        let input = &mut self.inputs[index];
        let event = input.events.get_event().map_err(|e| GpioError::Io {
            chip: input.chip.clone(),
            offset: input.offset,
            operation: "read an edge",
            reason: e.to_string(),
        })?;
        // With both edges requested the kernel reports the logical level (active-low
        // applied): rising means the line became active.
        Ok(Edge { input: InputId(index), active: event.event_type() == EventType::RisingEdge, at })
    }
}

fn flags(config: &LineConfig, direction: LineRequestFlags) -> LineRequestFlags {
    let input = direction.contains(LineRequestFlags::INPUT);
    let mut flags = direction;
    if config.active_low {
        flags |= LineRequestFlags::ACTIVE_LOW;
    }
    if input {
        let bias = match config.pull {
            Pull::AsIs => 0,
            Pull::Up => BIAS_PULL_UP,
            Pull::Down => BIAS_PULL_DOWN,
            Pull::Disabled => BIAS_DISABLE,
        };
        flags |= LineRequestFlags::from_bits_retain(bias);
    }
    flags
}

impl GpioBackend for CdevBackend {
    fn name(&self) -> &'static str {
        "cdev"
    }

    fn request_input(&mut self, config: &LineConfig) -> Result<InputId, GpioError> {
        let line = self.line(config)?;
        let events = line.events(flags(config, LineRequestFlags::INPUT), EventRequestFlags::BOTH_EDGES, CONSUMER).map_err(|e| request_error(config, &e))?;
        debug!(chip = %config.chip.display(), offset = config.offset, "watching GPIO input");
        self.inputs.push(CdevInput { chip: config.chip.clone(), offset: config.offset, events });
        Ok(InputId(self.inputs.len() - 1))
    }

    fn request_output(&mut self, config: &LineConfig, active: bool) -> Result<OutputId, GpioError> {
        let line = self.line(config)?;
        let handle = line.request(flags(config, LineRequestFlags::OUTPUT), u8::from(active), CONSUMER).map_err(|e| request_error(config, &e))?;
        debug!(chip = %config.chip.display(), offset = config.offset, "driving GPIO output");
        self.outputs.push(CdevOutput { chip: config.chip.clone(), offset: config.offset, handle });
        Ok(OutputId(self.outputs.len() - 1))
    }

    fn is_active(&mut self, input: InputId) -> Result<bool, GpioError> {
        let input = self.input(input)?;
        input.events.get_value().map(|v| v != 0).map_err(|e| GpioError::Io {
            chip: input.chip.clone(),
            offset: input.offset,
            operation: "read the level",
            reason: e.to_string(),
        })
    }

    fn set_active(&mut self, output: OutputId, active: bool) -> Result<(), GpioError> {
        let output = self.outputs.get(output.0).ok_or(GpioError::UnknownHandle(output.0))?;
        output.handle.set_value(u8::from(active)).map_err(|e| GpioError::Io {
            chip: output.chip.clone(),
            offset: output.offset,
            operation: "set the level",
            reason: e.to_string(),
        })
    }

    fn now(&self) -> Duration {
        self.epoch.elapsed()
    }

    fn wait_edge(&mut self, until: Duration) -> Result<Option<Edge>, GpioError> {
        loop {
            if let Some(edge) = self.ready.pop_front() {
                return Ok(Some(edge));
            }
            let left = until.saturating_sub(self.now());
            if self.inputs.is_empty() {
                // Lamps only: nothing to watch, just wait for the next lamp change.
                std::thread::sleep(left);
                return Ok(None);
            }
            let fds: Vec<_> = self.inputs.iter().map(|i| i.events.as_fd()).collect();
            let ready = match poll::readable(&fds, left) {
                Ok(ready) => ready,
                Err(e) => {
                    let first = &self.inputs[0];
                    return Err(GpioError::Io { chip: first.chip.clone(), offset: first.offset, operation: "wait for an edge", reason: e.to_string() });
                }
            };
            if ready.is_empty() {
                return Ok(None);
            }
            for index in ready {
                let edge = self.read_edge(index)?;
                self.ready.push_back(edge);
            }
        }
    }
}

/// Opens a chip, telling a missing node from a permission problem from a wrong device.
pub(super) fn open_chip(path: &Path) -> Result<Chip, GpioError> {
    Chip::new(path).map_err(|e| match errno(&e) {
        Some(Errno::NotFound) => GpioError::ChipMissing { path: path.to_owned(), available: super::chips::available_in_words() },
        Some(Errno::Permission) => GpioError::Permission { path: path.to_owned() },
        Some(Errno::NotTty | Errno::Invalid) => GpioError::NotAChip { path: path.to_owned(), reason: e.to_string() },
        Some(Errno::NotImplemented) => GpioError::NoGpioInterface { path: path.to_owned(), reason: e.to_string() },
        _ => GpioError::Other { chip: path.to_owned(), reason: e.to_string() },
    })
}

fn request_error(config: &LineConfig, e: &gpio_cdev::Error) -> GpioError {
    let (chip, offset) = (config.chip.clone(), config.offset);
    match errno(e) {
        Some(Errno::Busy) => GpioError::LineBusy { chip, offset, consumer: None },
        Some(Errno::NotImplemented) => GpioError::NoGpioInterface { path: chip, reason: e.to_string() },
        Some(Errno::Permission) => GpioError::Permission { path: chip },
        // The chip opened (its info ioctl is common to both ABIs), so a line ioctl the kernel
        // does not know means the v1 ABI that gpio-cdev 0.6 speaks is compiled out.
        Some(Errno::NotTty) => GpioError::Unsupported {
            chip,
            offset,
            what: "the kernel does not offer the GPIO character device v1 interface (CONFIG_GPIO_CDEV_V1), which hallkit uses; use a kernel built with it (Debian's is)".into(),
        },
        Some(Errno::Invalid) if config.pull != Pull::AsIs => GpioError::Unsupported {
            chip,
            offset,
            what: format!(
                "the kernel refused the request with a pull resistor ({:?}); bias flags need Linux 5.5 or later: set `pull = \"as_is\"` and use an external resistor or the device tree",
                config.pull
            ),
        },
        _ => {
            warn!(chip = %chip.display(), offset, error = %e, "GPIO line request failed");
            GpioError::Other { chip, reason: format!("line {offset}: {e}") }
        }
    }
}

/// The few error numbers whose meaning changes what a person should do.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Errno {
    NotFound,
    Permission,
    Busy,
    NotTty,
    Invalid,
    NotImplemented,
}

impl Errno {
    fn from_raw(code: i32) -> Option<Self> {
        // The same numbers on every Linux architecture hallkit targets (asm-generic).
        Some(match code {
            2 | 19 | 6 => Errno::NotFound, // ENOENT, ENODEV, ENXIO
            1 | 13 => Errno::Permission,   // EPERM, EACCES
            16 => Errno::Busy,             // EBUSY
            25 => Errno::NotTty,           // ENOTTY: an ioctl on something that is not a chip
            22 => Errno::Invalid,          // EINVAL
            38 => Errno::NotImplemented,   // ENOSYS (qemu-user answers unknown ioctls with it)
            _ => return None,
        })
    }

    /// From nix's `Errno` display (`"EBUSY: Device or resource busy"`): `gpio-cdev` keeps its
    /// error kind private and its ioctl errors are nix 0.27 values, which this crate does not
    /// name, so the symbolic name is the stable part to read.
    fn from_name(text: &str) -> Option<Self> {
        let name = text.split(':').next()?.trim();
        Some(match name {
            "ENOENT" | "ENODEV" | "ENXIO" => Errno::NotFound,
            "EPERM" | "EACCES" => Errno::Permission,
            "EBUSY" => Errno::Busy,
            "ENOTTY" => Errno::NotTty,
            "EINVAL" => Errno::Invalid,
            "ENOSYS" => Errno::NotImplemented,
            _ => return None,
        })
    }
}

/// The error number behind a `gpio-cdev` error, when it has one.
pub(crate) fn errno(e: &gpio_cdev::Error) -> Option<Errno> {
    let source = std::error::Error::source(e)?;
    if let Some(io) = source.downcast_ref::<io::Error>() {
        if io.kind() == io::ErrorKind::NotFound {
            return Some(Errno::NotFound);
        }
        if io.kind() == io::ErrorKind::PermissionDenied {
            return Some(Errno::Permission);
        }
        return io.raw_os_error().and_then(Errno::from_raw);
    }
    Errno::from_name(&source.to_string())
}

/// Waiting on several line event handles at once, with `poll(2)` (through `nix`).
mod poll {
    use std::io;
    use std::os::fd::BorrowedFd;
    use std::time::{Duration, Instant};

    use nix::errno::Errno;
    use nix::poll::{PollFd, PollFlags, PollTimeout};

    /// Waits up to `timeout` until some of `fds` are readable, and returns their indices (empty
    /// on timeout). Interrupted waits resume with the time left.
    pub(super) fn readable(fds: &[BorrowedFd<'_>], timeout: Duration) -> io::Result<Vec<usize>> {
        let deadline = Instant::now() + timeout;
        let mut set: Vec<PollFd<'_>> = fds.iter().map(|fd| PollFd::new(*fd, PollFlags::POLLIN)).collect();
        loop {
            let left = deadline.saturating_duration_since(Instant::now());
            // Round up so that a wait of 0.4 ms is not a busy loop of zero-timeout polls.
            let ms = i32::try_from(left.as_micros().div_ceil(1000)).unwrap_or(i32::MAX);
            let wait = PollTimeout::try_from(ms).unwrap_or(PollTimeout::MAX);
            match nix::poll::poll(&mut set, wait) {
                Ok(_) => {}
                Err(Errno::EINTR) => continue,
                Err(e) => return Err(io::Error::from(e)),
            }
            let revents = |p: &PollFd<'_>| p.revents().unwrap_or(PollFlags::empty());
            if let Some((i, bad)) = set.iter().enumerate().find(|(_, p)| revents(p).intersects(PollFlags::POLLNVAL | PollFlags::POLLERR)) {
                return Err(io::Error::other(format!("line handle {i} cannot be watched ({:?})", revents(bad))));
            }
            let ready: Vec<usize> =
                set.iter().enumerate().filter(|(_, p)| revents(p).intersects(PollFlags::POLLIN | PollFlags::POLLHUP)).map(|(i, _)| i).collect();
            if !ready.is_empty() || left.is_zero() {
                return Ok(ready);
            }
        }
    }

    #[cfg(test)]
    mod tests {
        use std::io::Write as _;
        use std::os::fd::AsFd;

        use super::*;

        #[test]
        fn a_quiet_pipe_times_out_and_a_written_one_is_readable() {
            let (reader, mut writer) = std::io::pipe().expect("a pipe");
            let (other, _keep) = std::io::pipe().expect("another pipe");
            let fds = [other.as_fd(), reader.as_fd()];
            assert_eq!(readable(&fds, Duration::from_millis(5)).expect("polls"), Vec::<usize>::new());
            writer.write_all(b"x").expect("writes");
            assert_eq!(readable(&fds, Duration::from_secs(5)).expect("polls"), vec![1]);
        }

        #[test]
        fn a_hung_up_handle_is_reported_so_its_read_gives_the_error() {
            // Borrowed descriptors cannot be closed while watched; what can happen is the other
            // end going away (a chip unbound), which must wake the wait rather than hang it.
            let (reader, writer) = std::io::pipe().expect("a pipe");
            drop(writer);
            assert_eq!(readable(&[reader.as_fd()], Duration::from_secs(5)).expect("polls"), vec![0]);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn error_numbers_are_read_from_io_errors_and_from_nix_names() {
        let io = |code| gpio_cdev::Error::from(io::Error::from_raw_os_error(code));
        assert_eq!(errno(&io(2)), Some(Errno::NotFound));
        assert_eq!(errno(&io(13)), Some(Errno::Permission));
        assert_eq!(errno(&io(1)), Some(Errno::Permission));
        assert_eq!(errno(&io(16)), Some(Errno::Busy));
        assert_eq!(errno(&io(25)), Some(Errno::NotTty));
        assert_eq!(errno(&io(28)), None);
        assert_eq!(Errno::from_name("EBUSY: Device or resource busy"), Some(Errno::Busy));
        assert_eq!(Errno::from_name("ENOTTY: Inappropriate ioctl for device"), Some(Errno::NotTty));
        assert_eq!(Errno::from_name("EACCES: Permission denied"), Some(Errno::Permission));
        assert_eq!(Errno::from_name("EIO: I/O error"), None);
        assert_eq!(Errno::from_name("ENOSYS: Function not implemented"), Some(Errno::NotImplemented));
        assert_eq!(errno(&io(38)), Some(Errno::NotImplemented));
        assert_eq!(Errno::from_name(""), None);
    }

    #[test]
    fn opening_errors_become_typed_errors() {
        let config = LineConfig::new("/dev/gpiochip0", 3);
        let busy = request_error(&config, &gpio_cdev::Error::from(io::Error::from_raw_os_error(16)));
        assert!(matches!(busy, GpioError::LineBusy { offset: 3, consumer: None, .. }), "{busy:?}");
        let denied = request_error(&config, &gpio_cdev::Error::from(io::Error::from_raw_os_error(13)));
        assert!(matches!(&denied, GpioError::Permission { path } if path == Path::new("/dev/gpiochip0")), "{denied:?}");
        let pulled = config.clone().with_pull(Pull::Up);
        let old_kernel = request_error(&pulled, &gpio_cdev::Error::from(io::Error::from_raw_os_error(22)));
        assert!(matches!(old_kernel, GpioError::Unsupported { .. }), "{old_kernel:?}");
        let no_v1 = request_error(&config, &gpio_cdev::Error::from(io::Error::from_raw_os_error(25)));
        assert!(matches!(&no_v1, GpioError::Unsupported { what, .. } if what.contains("CONFIG_GPIO_CDEV_V1")), "{no_v1:?}");
        let plain_invalid = request_error(&config, &gpio_cdev::Error::from(io::Error::from_raw_os_error(22)));
        assert!(matches!(plain_invalid, GpioError::Other { .. }), "{plain_invalid:?}");
    }

    #[test]
    fn request_flags_carry_active_low_and_bias_for_inputs_only() {
        let line = LineConfig::new("/dev/gpiochip0", 1).active_low().with_pull(Pull::Up);
        let input = flags(&line, LineRequestFlags::INPUT);
        assert_eq!(input.bits(), LineRequestFlags::INPUT.bits() | LineRequestFlags::ACTIVE_LOW.bits() | BIAS_PULL_UP);
        let output = flags(&line, LineRequestFlags::OUTPUT);
        assert_eq!(output.bits(), LineRequestFlags::OUTPUT.bits() | LineRequestFlags::ACTIVE_LOW.bits());
        let down = flags(&LineConfig::new("/dev/gpiochip0", 1).with_pull(Pull::Down), LineRequestFlags::INPUT);
        assert_eq!(down.bits(), LineRequestFlags::INPUT.bits() | BIAS_PULL_DOWN);
        assert_eq!(flags(&LineConfig::new("/dev/gpiochip0", 1).with_pull(Pull::Disabled), LineRequestFlags::INPUT).bits() & BIAS_DISABLE, BIAS_DISABLE);
    }
}
