//! The Raspberry Pi backend (`rppal`), behind the `raspberry-pi` feature. On a Raspberry Pi the
//! character-device backend works too; this one exists for images that already use `rppal`.
//! Lines are BCM GPIO numbers (the `offset` of a [`LineConfig`]); the chip path is ignored.

use std::time::{Duration, Instant};

use rppal::gpio::{Gpio, InputPin, Level, OutputPin, Trigger};

use super::GpioError;
use super::backend::{Edge, GpioBackend, InputId, LineConfig, OutputId, Pull};
use crate::ErrorKind;

/// The `rppal` backend (feature `raspberry-pi`). On a Raspberry Pi the character-device
/// backend works too; this one exists for images that already use `rppal`. Lines are BCM GPIO
/// numbers (the `offset` of a [`LineConfig`]); the chip path is ignored.
#[derive(Debug)]
pub struct RppalBackend {
    epoch: Instant,
    gpio: Gpio,
    inputs: Vec<(InputPin, bool)>,
    outputs: Vec<(OutputPin, bool)>,
}

fn error(e: rppal::gpio::Error) -> GpioError {
    use rppal::gpio::Error as E;
    let kind = match &e {
        E::Io(_) => ErrorKind::Disconnected,
        _ => ErrorKind::Other,
    };
    GpioError::RaspberryPi { reason: e.to_string(), kind }
}

impl RppalBackend {
    /// Opens the Raspberry Pi's GPIO.
    ///
    /// # Errors
    /// [`GpioError::RaspberryPi`] (e.g. "Unknown Raspberry Pi model" on other boards).
    pub fn new() -> Result<Self, GpioError> {
        Ok(Self { epoch: Instant::now(), gpio: Gpio::new().map_err(error)?, inputs: Vec::new(), outputs: Vec::new() })
    }

    fn pin(&self, line: &LineConfig) -> Result<rppal::gpio::Pin, GpioError> {
        let bcm = u8::try_from(line.offset).map_err(|_| GpioError::NoSuchLine { chip: line.chip.clone(), offset: line.offset, last: u32::from(u8::MAX) })?;
        self.gpio.get(bcm).map_err(error)
    }
}

impl GpioBackend for RppalBackend {
    fn name(&self) -> &'static str {
        "rppal"
    }

    fn request_input(&mut self, line: &LineConfig) -> Result<InputId, GpioError> {
        let pin = self.pin(line)?;
        let mut input = match line.pull {
            Pull::Up => pin.into_input_pullup(),
            Pull::Down => pin.into_input_pulldown(),
            Pull::AsIs | Pull::Disabled => pin.into_input(),
        };
        input.set_interrupt(Trigger::Both, None).map_err(error)?;
        self.inputs.push((input, line.active_low));
        Ok(InputId(self.inputs.len() - 1))
    }

    fn request_output(&mut self, line: &LineConfig, active: bool) -> Result<OutputId, GpioError> {
        let pin = self.pin(line)?;
        let high = active != line.active_low;
        let output = if high { pin.into_output_high() } else { pin.into_output_low() };
        self.outputs.push((output, line.active_low));
        Ok(OutputId(self.outputs.len() - 1))
    }

    fn is_active(&mut self, input: InputId) -> Result<bool, GpioError> {
        let (pin, active_low) = self.inputs.get(input.0).ok_or(GpioError::UnknownHandle(input.0))?;
        Ok(pin.is_high() != *active_low)
    }

    fn set_active(&mut self, output: OutputId, active: bool) -> Result<(), GpioError> {
        let (pin, active_low) = self.outputs.get_mut(output.0).ok_or(GpioError::UnknownHandle(output.0))?;
        pin.write(if active != *active_low { Level::High } else { Level::Low });
        Ok(())
    }

    fn now(&self) -> Duration {
        self.epoch.elapsed()
    }

    fn wait_edge(&mut self, until: Duration) -> Result<Option<Edge>, GpioError> {
        let left = until.saturating_sub(self.now());
        if self.inputs.is_empty() {
            std::thread::sleep(left);
            return Ok(None);
        }
        let pins: Vec<&InputPin> = self.inputs.iter().map(|(p, _)| p).collect();
        let Some((pin, event)) = self.gpio.poll_interrupts(&pins, false, Some(left)).map_err(error)? else {
            return Ok(None);
        };
        let number = pin.pin();
        let at = self.now();
        let Some(index) = self.inputs.iter().position(|(p, _)| p.pin() == number) else {
            return Ok(None);
        };
        let high = event.trigger == Trigger::RisingEdge;
        Ok(Some(Edge { input: InputId(index), active: high != self.inputs[index].1, at }))
    }
}
