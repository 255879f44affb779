//! What GPIO chips and lines a board has, for a technician's `doctor` command and for error
//! messages that list the chips that do exist.

use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};

use super::GpioError;
use super::cdev::open_chip;

/// One GPIO chip.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ChipSummary {
    /// Its device node (`/dev/gpiochip0`).
    pub path: PathBuf,
    /// The kernel's name for it (`gpiochip0`).
    pub name: String,
    /// The driver's label (e.g. `pinctrl-bcm2711`, `gpio-mockup-A`).
    pub label: String,
    /// How many lines it has (offsets 0 to `lines - 1`).
    pub lines: u32,
}

/// One line of a chip.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct LineSummary {
    /// Its offset.
    pub offset: u32,
    /// Its name from the device tree (e.g. `GPIO17`), if it has one.
    pub name: Option<String>,
    /// Who holds it (`hallkit` for hallkit's lines), if anyone.
    pub consumer: Option<String>,
    /// Whether it is taken (by a program or a kernel driver).
    pub used: bool,
    /// Whether it is an output.
    pub output: bool,
    /// Whether it is configured active-low.
    pub active_low: bool,
}

/// The GPIO chips under `/dev`, sorted by path. Nodes that cannot be opened are left out (a
/// technician sees them with `ls -l /dev/gpiochip*`).
pub fn chips() -> Vec<ChipSummary> {
    let Ok(entries) = std::fs::read_dir("/dev") else {
        return Vec::new();
    };
    let mut found: Vec<ChipSummary> = entries
        .filter_map(Result::ok)
        .filter(|e| e.file_name().to_string_lossy().starts_with("gpiochip"))
        // Straight to the kernel, not through `chip`: its error for a missing chip lists the
        // chips, which calls this.
        .filter_map(|e| {
            let path = e.path();
            let chip = gpio_cdev::Chip::new(&path).ok()?;
            Some(ChipSummary { path, name: chip.name().to_owned(), label: chip.label().to_owned(), lines: chip.num_lines() })
        })
        .collect();
    found.sort_by(|a, b| a.path.cmp(&b.path));
    found
}

/// The chip at `path`.
///
/// # Errors
/// As [`CdevBackend::chip`](super::CdevBackend::chip): missing, no permission, not a chip.
pub fn chip(path: &Path) -> Result<ChipSummary, GpioError> {
    let chip = open_chip(path)?;
    Ok(ChipSummary { path: path.to_owned(), name: chip.name().to_owned(), label: chip.label().to_owned(), lines: chip.num_lines() })
}

/// Every line of the chip at `path`, as `gpioinfo` shows them.
///
/// # Errors
/// As [`chip`]; [`GpioError::Other`] when a line's information cannot be read.
pub fn lines(path: &Path) -> Result<Vec<LineSummary>, GpioError> {
    let chip = open_chip(path)?;
    chip.lines()
        .map(|line| {
            let info = line.info().map_err(|e| GpioError::Other { chip: path.to_owned(), reason: format!("line {}: {e}", line.offset()) })?;
            Ok(LineSummary {
                offset: line.offset(),
                name: info.name().map(str::to_owned),
                consumer: info.consumer().map(str::to_owned),
                used: info.is_used(),
                output: info.direction() == gpio_cdev::LineDirection::Out,
                active_low: info.is_active_low(),
            })
        })
        .collect()
}

/// The chips that exist, in words, for error messages.
pub(crate) fn available_in_words() -> String {
    let paths: Vec<String> = chips().into_iter().map(|c| format!("{} ({} lines, {})", c.path.display(), c.lines, c.label)).collect();
    if paths.is_empty() { "none found".to_owned() } else { paths.join(", ") }
}
