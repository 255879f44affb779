//! The in-memory GPIO backend, for logic tests only.

use std::collections::{BTreeMap, HashMap, HashSet};
use std::path::PathBuf;
use std::time::Duration;

use super::GpioError;
use super::backend::{Edge, GpioBackend, InputId, LineConfig, OutputId};

type LineKey = (PathBuf, u32);

fn key(line: &LineConfig) -> LineKey {
    (line.chip.clone(), line.offset)
}

/// An in-memory GPIO backend **for tests of the logic above the backend only** (the debouncer,
/// lamp patterns, [`GpioPanel`](super::GpioPanel), the GPIO keypad). It has a fake clock that
/// jumps to the next scripted edge instead of sleeping, and it records every level written to
/// an output with its time.
///
/// It is not a GPIO simulator of the kernel (none exists in Debian's kernel: no gpio-sim or
/// gpio-mockup) and must never be chosen in a production configuration: it touches no hardware.
/// The production backends are [`CdevBackend`](super::CdevBackend) and, on a Raspberry Pi with
/// the `raspberry-pi` feature, `RppalBackend`.
#[derive(Debug, Default)]
pub struct MemoryBackend {
    now: Duration,
    /// Logical levels of every line that has one, requested or not.
    levels: HashMap<LineKey, bool>,
    inputs: Vec<LineKey>,
    outputs: Vec<LineKey>,
    taken: HashSet<LineKey>,
    /// Scripted level changes by time (in scripting order at equal times), and whether each is
    /// reported as an edge.
    script: BTreeMap<(Duration, u64), (LineKey, bool, bool)>,
    scripted: u64,
    /// Every level written to each output, with its time.
    writes: HashMap<LineKey, Vec<(Duration, bool)>>,
    /// Lines that refuse to be requested, as if another program held them.
    busy: HashMap<LineKey, String>,
}

impl MemoryBackend {
    /// A backend at time zero with no lines.
    pub fn new() -> Self {
        Self::default()
    }

    /// Sets a line's logical level now, without an edge (e.g. a button already held at start).
    pub fn set_level(&mut self, line: &LineConfig, active: bool) {
        self.levels.insert(key(line), active);
    }

    /// Scripts an edge on `line` at `at`: from then on the line reads `active`, and
    /// [`wait_edge`](GpioBackend::wait_edge) reports it if the line was requested as an input.
    pub fn schedule(&mut self, line: &LineConfig, at: Duration, active: bool) {
        self.scripted += 1;
        self.script.insert((at, self.scripted), (key(line), active, true));
    }

    /// Scripts a level change on `line` at `at` that is **not** reported as an edge, as when
    /// the kernel's event queue overflowed and dropped it.
    pub fn schedule_unreported(&mut self, line: &LineConfig, at: Duration, active: bool) {
        self.scripted += 1;
        self.script.insert((at, self.scripted), (key(line), active, false));
    }

    /// Scripts a press of a bouncing button: starting at `at`, the levels in `bounce` one
    /// `step` apart (e.g. `[true, false, true]`), ending active; then the release `held` after
    /// `at`, with the same bounce inverted.
    pub fn schedule_press(&mut self, line: &LineConfig, at: Duration, held: Duration, bounce: &[bool], step: Duration) {
        let mut t = at;
        for &level in bounce.iter().chain(std::iter::once(&true)) {
            self.schedule(line, t, level);
            t += step;
        }
        let mut t = at + held;
        for &level in bounce.iter().chain(std::iter::once(&true)) {
            self.schedule(line, t, !level);
            t += step;
        }
    }

    /// Makes requests of `line` fail with [`GpioError::LineBusy`], naming `consumer`.
    pub fn hold_line(&mut self, line: &LineConfig, consumer: &str) {
        self.busy.insert(key(line), consumer.to_owned());
    }

    /// Moves the clock forward to `to` (never backwards), delivering no edges.
    pub fn advance_to(&mut self, to: Duration) {
        self.now = self.now.max(to);
    }

    /// The levels written to the output on `line`, with their times, starting with the level
    /// it was requested with.
    pub fn writes(&self, line: &LineConfig) -> &[(Duration, bool)] {
        self.writes.get(&key(line)).map_or(&[], Vec::as_slice)
    }

    /// A line's current logical level (`false` if never set).
    pub fn level(&self, line: &LineConfig) -> bool {
        self.levels.get(&key(line)).copied().unwrap_or(false)
    }

    fn take(&mut self, line: &LineConfig) -> Result<LineKey, GpioError> {
        let k = key(line);
        if let Some(consumer) = self.busy.get(&k) {
            return Err(GpioError::LineBusy { chip: line.chip.clone(), offset: line.offset, consumer: Some(consumer.clone()) });
        }
        if !self.taken.insert(k.clone()) {
            return Err(GpioError::LineBusy { chip: line.chip.clone(), offset: line.offset, consumer: Some(super::CONSUMER.into()) });
        }
        Ok(k)
    }
}

impl GpioBackend for MemoryBackend {
    fn name(&self) -> &'static str {
        "memory"
    }

    fn request_input(&mut self, line: &LineConfig) -> Result<InputId, GpioError> {
        let k = self.take(line)?;
        self.inputs.push(k);
        Ok(InputId(self.inputs.len() - 1))
    }

    fn request_output(&mut self, line: &LineConfig, active: bool) -> Result<OutputId, GpioError> {
        let k = self.take(line)?;
        self.levels.insert(k.clone(), active);
        self.writes.entry(k.clone()).or_default().push((self.now, active));
        self.outputs.push(k);
        Ok(OutputId(self.outputs.len() - 1))
    }

    fn is_active(&mut self, input: InputId) -> Result<bool, GpioError> {
        let k = self.inputs.get(input.0).ok_or(GpioError::UnknownHandle(input.0))?;
        Ok(self.levels.get(k).copied().unwrap_or(false))
    }

    fn set_active(&mut self, output: OutputId, active: bool) -> Result<(), GpioError> {
        let k = self.outputs.get(output.0).ok_or(GpioError::UnknownHandle(output.0))?.clone();
        self.levels.insert(k.clone(), active);
        self.writes.entry(k).or_default().push((self.now, active));
        Ok(())
    }

    fn now(&self) -> Duration {
        self.now
    }

    fn wait_edge(&mut self, until: Duration) -> Result<Option<Edge>, GpioError> {
        while let Some(entry) = self.script.first_entry() {
            let (at, _) = *entry.key();
            if at > until {
                break;
            }
            let (k, active, reported) = entry.remove();
            self.now = self.now.max(at);
            self.levels.insert(k.clone(), active);
            if !reported {
                continue;
            }
            if let Some(index) = self.inputs.iter().position(|i| *i == k) {
                return Ok(Some(Edge { input: InputId(index), active, at }));
            }
        }
        self.now = self.now.max(until);
        Ok(None)
    }
}
