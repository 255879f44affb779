//! [`GpioPanel`]: the buttons and lamps of one device over one backend. It debounces every
//! button, keeps every lamp's pattern going while it waits, and hands out debounced
//! [`ButtonEvent`]s. Counter code talks to the panel; which backend sits below it is
//! configuration.

use std::collections::{HashSet, VecDeque};
use std::time::Duration;

use serde::{Deserialize, Serialize};
use tracing::{debug, trace};

use super::GpioError;
use super::backend::{GpioBackend, InputId, LineConfig, OutputId};
use super::debounce::{ButtonChange, ButtonSettings, DEFAULT_DEBOUNCE, Debouncer};
use super::lamp::{Lamp, LampPattern};

/// A button, as configured. In TOML (`[[buttons]]`): `name = "call"`, the [`LineConfig`]
/// fields (`chip`, `offset`, `active_low`, `pull`), and optionally `debounce_ms` and
/// `long_press_ms`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ButtonConfig {
    /// The name counter code and key maps use.
    pub name: String,
    /// Its line.
    #[serde(flatten)]
    pub line: LineConfig,
    /// Debounce window in milliseconds (default 30).
    #[serde(default = "default_debounce_ms")]
    pub debounce_ms: u32,
    /// Hold time for a long press, in milliseconds; none by default.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub long_press_ms: Option<u32>,
}

fn default_debounce_ms() -> u32 {
    u32::try_from(DEFAULT_DEBOUNCE.as_millis()).unwrap_or(30)
}

impl ButtonConfig {
    /// The debouncer settings this configuration asks for.
    pub fn settings(&self) -> ButtonSettings {
        ButtonSettings { debounce: Duration::from_millis(self.debounce_ms.into()), long_press: self.long_press_ms.map(|ms| Duration::from_millis(ms.into())) }
    }
}

/// A lamp, as configured. In TOML (`[[lamps]]`): `name = "busy"`, the [`LineConfig`] fields,
/// and optionally `initial = { pattern = "on" }`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct LampConfig {
    /// The name counter code uses.
    pub name: String,
    /// Its line.
    #[serde(flatten)]
    pub line: LineConfig,
    /// What it shows at start (dark by default).
    #[serde(default = "off")]
    pub initial: LampPattern,
}

fn off() -> LampPattern {
    LampPattern::Off
}

/// The buttons and lamps of one device.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct PanelConfig {
    /// Buttons.
    #[serde(default)]
    pub buttons: Vec<ButtonConfig>,
    /// Lamps.
    #[serde(default)]
    pub lamps: Vec<LampConfig>,
}

impl PanelConfig {
    /// Checks that names and lines are each used once.
    ///
    /// # Errors
    /// [`GpioError::Config`] naming the repeated name or line.
    pub fn validate(&self) -> Result<(), GpioError> {
        let mut names = HashSet::new();
        let mut lines = HashSet::new();
        let all = self.buttons.iter().map(|b| (&b.name, &b.line)).chain(self.lamps.iter().map(|l| (&l.name, &l.line)));
        for (name, line) in all {
            if name.trim().is_empty() {
                return Err(GpioError::Config("a button or lamp has an empty name; give each a name such as \"call\"".into()));
            }
            if !names.insert(name.as_str()) {
                return Err(GpioError::Config(format!("the name {name:?} is used twice; give each button and lamp its own name")));
            }
            if !lines.insert((&line.chip, line.offset)) {
                return Err(GpioError::Config(format!(
                    "line {} of {} is configured twice (second time for {name:?}); each line can be one button or one lamp",
                    line.offset,
                    line.chip.display()
                )));
            }
        }
        Ok(())
    }
}

/// A button of a panel.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct ButtonId(pub usize);

/// A lamp of a panel.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct LampId(pub usize);

/// A debounced change of one button.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ButtonEvent {
    /// Which button.
    pub button: ButtonId,
    /// What it did.
    pub change: ButtonChange,
}

#[derive(Debug)]
struct ButtonSlot {
    name: String,
    input: InputId,
    debouncer: Debouncer,
}

#[derive(Debug)]
struct LampSlot {
    name: String,
    output: OutputId,
    lamp: Lamp,
    /// The level last written.
    lit: bool,
}

/// The buttons and lamps of one device over one [`GpioBackend`]: it debounces every button,
/// keeps every lamp's pattern going while it waits for edges, and hands out debounced
/// [`ButtonEvent`]s. Counter code talks to the panel; which backend sits below it is
/// configuration.
#[derive(Debug)]
pub struct GpioPanel<B> {
    backend: B,
    buttons: Vec<ButtonSlot>,
    lamps: Vec<LampSlot>,
    pending: VecDeque<ButtonEvent>,
    /// When the buttons' levels are next read to catch edges the kernel dropped.
    next_recheck: Duration,
}

/// How often the panel reads every button's level to catch an edge the kernel dropped (its
/// event queue holds 16 edges; a storm of bounces on a slow board can overflow it). A few reads
/// a second cost nothing, and a button can never stay stuck down for longer than this.
pub const RECHECK_EVERY: Duration = Duration::from_millis(500);

impl<B: GpioBackend> GpioPanel<B> {
    /// A panel with no buttons or lamps yet.
    pub fn new(backend: B) -> Self {
        let next_recheck = backend.now().saturating_add(RECHECK_EVERY);
        Self { backend, buttons: Vec::new(), lamps: Vec::new(), pending: VecDeque::new(), next_recheck }
    }

    /// A panel with the configured buttons and lamps, their lines requested.
    ///
    /// # Errors
    /// [`GpioError::Config`] for a repeated name or line; the backend's errors for a line.
    pub fn from_config(backend: B, config: &PanelConfig) -> Result<Self, GpioError> {
        config.validate()?;
        let mut panel = Self::new(backend);
        for button in &config.buttons {
            panel.add_button(&button.name, &button.line, button.settings())?;
        }
        for lamp in &config.lamps {
            let id = panel.add_lamp(&lamp.name, &lamp.line)?;
            panel.show(id, lamp.initial)?;
        }
        Ok(panel)
    }

    /// Adds a button on `line`.
    ///
    /// # Errors
    /// [`GpioError::Config`] when the name is taken; the backend's errors.
    pub fn add_button(&mut self, name: &str, line: &LineConfig, settings: ButtonSettings) -> Result<ButtonId, GpioError> {
        self.check_name(name)?;
        let input = self.backend.request_input(line)?;
        // A button already held when the program starts is not a press.
        let pressed = self.backend.is_active(input)?;
        self.buttons.push(ButtonSlot { name: name.to_owned(), input, debouncer: Debouncer::new(settings, pressed) });
        Ok(ButtonId(self.buttons.len() - 1))
    }

    /// Adds a lamp on `line`, dark.
    ///
    /// # Errors
    /// [`GpioError::Config`] when the name is taken; the backend's errors.
    pub fn add_lamp(&mut self, name: &str, line: &LineConfig) -> Result<LampId, GpioError> {
        self.check_name(name)?;
        let output = self.backend.request_output(line, false)?;
        self.lamps.push(LampSlot { name: name.to_owned(), output, lamp: Lamp::new(), lit: false });
        Ok(LampId(self.lamps.len() - 1))
    }

    fn check_name(&self, name: &str) -> Result<(), GpioError> {
        if self.button(name).is_some() || self.lamp(name).is_some() {
            return Err(GpioError::Config(format!("the name {name:?} is used twice; give each button and lamp its own name")));
        }
        Ok(())
    }

    /// The button with this name.
    pub fn button(&self, name: &str) -> Option<ButtonId> {
        self.buttons.iter().position(|b| b.name == name).map(ButtonId)
    }

    /// The lamp with this name.
    pub fn lamp(&self, name: &str) -> Option<LampId> {
        self.lamps.iter().position(|l| l.name == name).map(LampId)
    }

    /// A button's name (empty for an id from another panel).
    pub fn button_name(&self, id: ButtonId) -> &str {
        self.buttons.get(id.0).map_or("", |b| b.name.as_str())
    }

    /// Names of all buttons, in the order they were added.
    pub fn button_names(&self) -> impl Iterator<Item = &str> {
        self.buttons.iter().map(|b| b.name.as_str())
    }

    /// The settings a button is debounced with.
    pub fn button_settings(&self, id: ButtonId) -> Option<ButtonSettings> {
        self.buttons.get(id.0).map(|b| b.debouncer.settings())
    }

    /// Whether a button is down (debounced).
    pub fn is_pressed(&self, id: ButtonId) -> bool {
        self.buttons.get(id.0).is_some_and(|b| b.debouncer.is_pressed())
    }

    /// Whether a lamp is lit now (the level last written).
    pub fn is_lit(&self, id: LampId) -> bool {
        self.lamps.get(id.0).is_some_and(|l| l.lit)
    }

    /// The pattern a lamp shows now.
    pub fn lamp_pattern(&self, id: LampId) -> Option<LampPattern> {
        let now = self.backend.now();
        self.lamps.get(id.0).map(|l| l.lamp.pattern_at(now))
    }

    /// Shows `pattern` on a lamp from now on; the first level is written at once.
    ///
    /// # Errors
    /// [`GpioError::UnknownHandle`] for an id from another panel; the backend's errors.
    pub fn show(&mut self, id: LampId, pattern: LampPattern) -> Result<(), GpioError> {
        let now = self.backend.now();
        self.lamps.get_mut(id.0).ok_or(GpioError::UnknownHandle(id.0))?.lamp.show(pattern, now);
        self.refresh_lamps(now)
    }

    /// Shows `pattern` on a lamp for `duration`, then `then`.
    ///
    /// # Errors
    /// As [`show`](Self::show).
    pub fn show_for(&mut self, id: LampId, pattern: LampPattern, duration: Duration, then: LampPattern) -> Result<(), GpioError> {
        let now = self.backend.now();
        self.lamps.get_mut(id.0).ok_or(GpioError::UnknownHandle(id.0))?.lamp.show_for(pattern, duration, then, now);
        self.refresh_lamps(now)
    }

    /// The next debounced button change, waiting up to `timeout` for one; lamps keep blinking
    /// meanwhile. `Ok(None)` when the time ran out.
    ///
    /// # Errors
    /// The backend's errors (a line that can no longer be read or driven).
    pub fn next_event(&mut self, timeout: Duration) -> Result<Option<ButtonEvent>, GpioError> {
        let deadline = self.backend.now().saturating_add(timeout);
        loop {
            let now = self.backend.now();
            self.service(now)?;
            if let Some(event) = self.pending.pop_front() {
                return Ok(Some(event));
            }
            if now >= deadline {
                return Ok(None);
            }
            let wake = self
                .lamps
                .iter()
                .filter_map(|l| l.lamp.next_change(now))
                .chain(self.buttons.iter().filter_map(|b| b.debouncer.next_deadline()))
                .chain((!self.buttons.is_empty()).then_some(self.next_recheck))
                .fold(deadline, Duration::min);
            if let Some(edge) = self.backend.wait_edge(wake)? {
                trace!(input = edge.input.0, active = edge.active, at = ?edge.at, "GPIO edge");
                if let Some(button) = self.buttons.iter_mut().find(|b| b.input == edge.input) {
                    button.debouncer.edge(edge.active, edge.at);
                }
            }
        }
    }

    /// Writes lamp levels that changed and collects button changes that are due.
    fn service(&mut self, now: Duration) -> Result<(), GpioError> {
        self.refresh_lamps(now)?;
        let recheck = now >= self.next_recheck;
        if recheck {
            self.next_recheck = now.saturating_add(RECHECK_EVERY);
        }
        for (index, button) in self.buttons.iter_mut().enumerate() {
            let settles = button.debouncer.next_deadline().is_some_and(|d| d <= now) && button.debouncer.is_settling();
            if settles || (recheck && !button.debouncer.is_settling()) {
                // Confirm with the line itself before deciding: an edge the kernel dropped
                // must not leave the button stuck down.
                let level = self.backend.is_active(button.input)?;
                button.debouncer.sample(level, now);
            }
            while let Some(change) = button.debouncer.poll(now) {
                debug!(button = %button.name, ?change, "button");
                self.pending.push_back(ButtonEvent { button: ButtonId(index), change });
            }
        }
        Ok(())
    }

    fn refresh_lamps(&mut self, now: Duration) -> Result<(), GpioError> {
        for lamp in &mut self.lamps {
            let lit = lamp.lamp.is_lit(now);
            if lit != lamp.lit {
                trace!(lamp = %lamp.name, lit, "lamp");
                self.backend.set_active(lamp.output, lit)?;
                lamp.lit = lit;
            }
        }
        Ok(())
    }

    /// The time on the backend's timeline.
    pub fn now(&self) -> Duration {
        self.backend.now()
    }

    /// The backend.
    pub fn backend(&self) -> &B {
        &self.backend
    }

    /// The backend, mutably (tests script the in-memory backend through it).
    pub fn backend_mut(&mut self) -> &mut B {
        &mut self.backend
    }
}
