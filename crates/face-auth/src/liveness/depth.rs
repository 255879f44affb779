//! Liveness from a binocular camera: an IR or depth picture taken beside the RGB one.
//!
//! A flat photo or a screen shows no depth relief, and a screen gives no face in near-infrared,
//! so one such frame judges far more than any number of RGB frames. No model ships with this
//! crate for it: a deployer with such a camera implements [`DepthLiveness`] for its pictures
//! (and its calibration between the two lenses), and [`DepthSequence`] turns those per-frame
//! judgements into a [`Liveness`] check.

use std::fmt;
use std::sync::Arc;
use std::time::Duration;

use thiserror::Error;
use zeroize::Zeroizing;

use super::config::{LivenessConfigError, out_of_range};
use super::failure::LivenessFailure;
use super::verdict::{LivenessMethod, LivenessState, LivenessVerdict};
use super::{Liveness, LivenessFrame};
use crate::error::FaceError;
use crate::frame::{Frame, MAX_SIDE};
use crate::geometry::FaceBox;

/// What an auxiliary picture measures.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum AuxKind {
    /// Near-infrared brightness.
    Infrared,
    /// Distance from the camera, by convention in millimetres, 0 where there is no reading.
    Depth,
}

/// Why pixels could not be made into an [`AuxFrame`].
#[derive(Debug, Clone, PartialEq, Eq, Error)]
#[non_exhaustive]
pub enum AuxFrameError {
    /// Width × height does not match the number of values, or a side is zero.
    #[error("a {width}×{height} single-channel frame needs {expected} values, got {got}: check the camera's mode")]
    Size {
        /// Width in pixels.
        width: u32,
        /// Height in pixels.
        height: u32,
        /// Values needed.
        expected: usize,
        /// Values given.
        got: usize,
    },
    /// Larger than any camera gives.
    #[error("a {width}×{height} frame is larger than the {max}×{max} a frame may be")]
    TooLarge {
        /// Width in pixels.
        width: u32,
        /// Height in pixels.
        height: u32,
        /// The largest side allowed.
        max: u32,
    },
}

#[derive(Clone)]
enum AuxPixels {
    Eight(Zeroizing<Vec<u8>>),
    Sixteen(Zeroizing<Vec<u16>>),
}

/// A single-channel IR or depth picture, 8 or 16 bits a pixel, row-major; wiped from memory on
/// drop, like [`Frame`] (an IR picture of a face is biometric data too).
#[derive(Clone)]
pub struct AuxFrame {
    kind: AuxKind,
    width: u32,
    height: u32,
    pixels: AuxPixels,
}

impl fmt::Debug for AuxFrame {
    // Never prints pixels.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "AuxFrame({:?} {}×{}, {} bits)", self.kind, self.width, self.height, self.bits())
    }
}

fn check_size(width: u32, height: u32, got: usize) -> Result<(), AuxFrameError> {
    if width > MAX_SIDE || height > MAX_SIDE {
        return Err(AuxFrameError::TooLarge { width, height, max: MAX_SIDE });
    }
    let expected = width as usize * height as usize;
    if expected == 0 || expected != got {
        return Err(AuxFrameError::Size { width, height, expected, got });
    }
    Ok(())
}

impl AuxFrame {
    /// An 8-bit picture (typically infrared).
    pub fn from_u8(kind: AuxKind, width: u32, height: u32, pixels: Vec<u8>) -> Result<Self, AuxFrameError> {
        // Wrapped first, so refused pixels are wiped too.
        let pixels = Zeroizing::new(pixels);
        check_size(width, height, pixels.len())?;
        Ok(Self { kind, width, height, pixels: AuxPixels::Eight(pixels) })
    }

    /// A 16-bit picture (typically depth in millimetres).
    pub fn from_u16(kind: AuxKind, width: u32, height: u32, pixels: Vec<u16>) -> Result<Self, AuxFrameError> {
        let pixels = Zeroizing::new(pixels);
        check_size(width, height, pixels.len())?;
        Ok(Self { kind, width, height, pixels: AuxPixels::Sixteen(pixels) })
    }

    /// What the picture measures.
    pub fn kind(&self) -> AuxKind {
        self.kind
    }

    /// Width in pixels.
    pub fn width(&self) -> u32 {
        self.width
    }

    /// Height in pixels.
    pub fn height(&self) -> u32 {
        self.height
    }

    /// Bits a pixel: 8 or 16.
    pub fn bits(&self) -> u8 {
        match self.pixels {
            AuxPixels::Eight(_) => 8,
            AuxPixels::Sixteen(_) => 16,
        }
    }

    /// The value at (x, y), widened to 16 bits; `None` outside the picture.
    pub fn value(&self, x: u32, y: u32) -> Option<u16> {
        if x >= self.width || y >= self.height {
            return None;
        }
        let i = y as usize * self.width as usize + x as usize;
        match &self.pixels {
            AuxPixels::Eight(p) => p.get(i).map(|&v| u16::from(v)),
            AuxPixels::Sixteen(p) => p.get(i).copied(),
        }
    }

    /// The pixels, when 8-bit.
    pub fn as_u8(&self) -> Option<&[u8]> {
        match &self.pixels {
            AuxPixels::Eight(p) => Some(p),
            AuxPixels::Sixteen(_) => None,
        }
    }

    /// The pixels, when 16-bit.
    pub fn as_u16(&self) -> Option<&[u16]> {
        match &self.pixels {
            AuxPixels::Sixteen(p) => Some(p),
            AuxPixels::Eight(_) => None,
        }
    }
}

/// One IR/depth judgement of one face.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct DepthVerdict {
    /// Whether the face looked live.
    pub live: bool,
    /// The implementation's own score behind `live` (for logs and calibration; its scale is the
    /// implementation's).
    pub score: f32,
}

/// Judges one face from an RGB frame and the IR or depth frame taken with it. Implement it for
/// a binocular camera; `face` is in RGB coordinates, and mapping it onto the auxiliary picture
/// (the two lenses' calibration) is the implementation's job.
pub trait DepthLiveness: Send + Sync {
    /// Whether this face, in this pair of frames, looks live.
    fn judge(&self, rgb: &Frame, aux: &AuxFrame, face: &FaceBox) -> Result<DepthVerdict, FaceError>;
}

/// Settings of a [`DepthSequence`].
#[derive(Debug, Clone, PartialEq)]
pub struct DepthConfig {
    /// Live judgements needed in a row to pass (default 3): one lucky frame is not enough, and
    /// a "not live" frame starts the count again.
    pub live_frames: usize,
    /// Time to gather them, from the first frame (default 5 s); then the check fails as
    /// [`LivenessFailure::NotLive`].
    pub timeout: Duration,
    /// Frames in a row without exactly one face (or without an IR/depth picture) tolerated
    /// (default 5); one more fails the check as [`LivenessFailure::FaceLost`].
    pub max_missed_frames: usize,
}

impl Default for DepthConfig {
    fn default() -> Self {
        Self { live_frames: 3, timeout: Duration::from_secs(5), max_missed_frames: 5 }
    }
}

impl DepthConfig {
    /// Checks that every setting can work.
    pub fn validate(&self) -> Result<(), LivenessConfigError> {
        if self.live_frames == 0 {
            return Err(out_of_range("live_frames", self.live_frames, "at least 1"));
        }
        if self.timeout.is_zero() {
            return Err(out_of_range("timeout", self.timeout, "longer than zero"));
        }
        Ok(())
    }
}

/// A [`Liveness`] check from an IR/depth judge: passes after
/// [`live_frames`](DepthConfig::live_frames) live judgements in a row.
pub struct DepthSequence {
    judge: Arc<dyn DepthLiveness>,
    config: DepthConfig,
    since: Option<Duration>,
    live_run: usize,
    missed: usize,
    frames: usize,
    state: LivenessState,
}

impl fmt::Debug for DepthSequence {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("DepthSequence").field("config", &self.config).field("state", &self.state).field("frames", &self.frames).finish_non_exhaustive()
    }
}

impl DepthSequence {
    /// A new check with a judge (loaded once, shared between checks).
    pub fn new(judge: Arc<dyn DepthLiveness>, config: DepthConfig) -> Result<Self, LivenessConfigError> {
        config.validate()?;
        Ok(Self { judge, config, since: None, live_run: 0, missed: 0, frames: 0, state: LivenessState::WaitingForFrontal })
    }

    fn step(&mut self, frame: &LivenessFrame<'_>) -> Result<LivenessState, FaceError> {
        let at = frame.observation.at;
        let since = *self.since.get_or_insert(at);
        if at.saturating_sub(since) > self.config.timeout {
            return Ok(LivenessState::Failed(LivenessFailure::NotLive));
        }
        let (Some(_), Some(face), Some(aux)) = (frame.observation.single_face(), frame.face, frame.aux) else {
            self.missed += 1;
            return Ok(if self.missed > self.config.max_missed_frames { LivenessState::Failed(LivenessFailure::FaceLost) } else { self.state });
        };
        self.missed = 0;
        let verdict = self.judge.judge(frame.rgb, aux, face)?;
        tracing::debug!(live = verdict.live, score = verdict.score, "IR/depth liveness judgement");
        self.live_run = if verdict.live { self.live_run + 1 } else { 0 };
        Ok(if self.live_run >= self.config.live_frames { LivenessState::Passed } else { self.state })
    }
}

impl Liveness for DepthSequence {
    fn state(&self) -> LivenessState {
        self.state
    }

    fn observe_frame(&mut self, frame: &LivenessFrame<'_>) -> Result<LivenessState, FaceError> {
        if self.state.is_finished() {
            return Ok(self.state);
        }
        self.frames += 1;
        self.state = self.step(frame)?;
        if let LivenessState::Failed(f) = self.state {
            tracing::info!(code = f.code(), frames = self.frames, "IR/depth liveness failed");
        }
        Ok(self.state)
    }

    fn verdict(&self) -> LivenessVerdict {
        LivenessVerdict {
            method: LivenessMethod::Depth,
            passed: self.state == LivenessState::Passed,
            prompts: Vec::new(),
            prompts_met: 0,
            failure: match self.state {
                LivenessState::Failed(f) => Some(f),
                _ => None,
            },
            frames: self.frames,
        }
    }

    fn finish(&mut self) -> LivenessVerdict {
        if !self.state.is_finished() {
            self.state = LivenessState::Failed(LivenessFailure::Unfinished);
        }
        self.verdict()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::embed::Embedding;
    use crate::liveness::Observation;
    use crate::pose::Pose;

    /// A stand-in judge for these tests only: a face is "live" when the depth inside its box
    /// varies by more than 15 mm (a nose stands out of a face; a photo is flat).
    struct Relief;

    impl DepthLiveness for Relief {
        fn judge(&self, _rgb: &Frame, aux: &AuxFrame, face: &FaceBox) -> Result<DepthVerdict, FaceError> {
            if aux.kind() != AuxKind::Depth || aux.as_u16().is_none() {
                return Err(FaceError::Inference { step: "depth liveness", reason: "needs a 16-bit depth picture".into() });
            }
            let (x0, y0) = (face.x.max(0.0) as u32, face.y.max(0.0) as u32);
            let (x1, y1) = ((face.x + face.width) as u32, (face.y + face.height) as u32);
            let inside: Vec<u16> = (y0..y1.min(aux.height())).flat_map(|y| (x0..x1.min(aux.width())).map(move |x| (x, y))).filter_map(|(x, y)| aux.value(x, y)).filter(|&v| v > 0).collect();
            let (lo, hi) = (inside.iter().min().copied().unwrap_or(0), inside.iter().max().copied().unwrap_or(0));
            let relief = f32::from(hi - lo);
            Ok(DepthVerdict { live: relief > 15.0, score: relief })
        }
    }

    fn rgb() -> Frame {
        Frame::from_rgb(8, 8, vec![128; 8 * 8 * 3]).unwrap()
    }

    /// An 8×8 depth picture at 600 mm, with a bump of `relief` mm in the middle.
    fn depth(relief: u16) -> AuxFrame {
        let px = (0..64).map(|i| if (i / 8, i % 8) == (4, 4) { 600 - relief } else { 600 }).collect();
        AuxFrame::from_u16(AuxKind::Depth, 8, 8, px).unwrap()
    }

    const FACE: FaceBox = FaceBox { x: 1.0, y: 1.0, width: 6.0, height: 6.0, score: 1.0 };

    fn one_face(ms: u64) -> Observation {
        Observation::one_face(Duration::from_millis(ms), Pose::default(), Embedding::new(vec![1.0, 0.0]).unwrap(), Some(2.0))
    }

    fn run(seq: &mut dyn Liveness, reliefs: &[u16]) -> Vec<LivenessState> {
        let rgb = rgb();
        reliefs
            .iter()
            .enumerate()
            .map(|(i, &r)| {
                let aux = depth(r);
                let obs = one_face(i as u64 * 100);
                seq.observe_frame(&LivenessFrame { observation: &obs, rgb: &rgb, aux: Some(&aux), face: Some(&FACE) }).unwrap()
            })
            .collect()
    }

    #[test]
    fn aux_frames_check_their_size_and_hide_their_pixels() {
        assert!(matches!(AuxFrame::from_u8(AuxKind::Infrared, 4, 4, vec![0; 15]), Err(AuxFrameError::Size { expected: 16, got: 15, .. })));
        assert!(matches!(AuxFrame::from_u16(AuxKind::Depth, 0, 4, vec![]), Err(AuxFrameError::Size { .. })));
        assert!(matches!(AuxFrame::from_u8(AuxKind::Infrared, MAX_SIDE + 1, 1, vec![0; MAX_SIDE as usize + 1]), Err(AuxFrameError::TooLarge { .. })));
        let ir = AuxFrame::from_u8(AuxKind::Infrared, 2, 2, vec![1, 2, 3, 250]).unwrap();
        assert_eq!((ir.value(1, 1), ir.value(2, 0), ir.bits(), ir.as_u16()), (Some(250), None, 8, None));
        assert_eq!(format!("{ir:?}"), "AuxFrame(Infrared 2×2, 8 bits)");
        assert_eq!(depth(40).value(4, 4), Some(560));
    }

    #[test]
    fn passes_on_live_frames_in_a_row_only() {
        let mut seq = DepthSequence::new(Arc::new(Relief), DepthConfig::default()).unwrap();
        let states = run(&mut seq, &[40, 40, 0, 40, 40, 40]);
        assert_eq!(states[..5], [LivenessState::WaitingForFrontal; 5]);
        assert_eq!(states[5], LivenessState::Passed);
        let v = seq.verdict();
        assert_eq!((v.method, v.passed, v.frames, v.failure), (LivenessMethod::Depth, true, 6, None));
    }

    #[test]
    fn a_flat_photo_fails_as_not_live() {
        let mut seq = DepthSequence::new(Arc::new(Relief), DepthConfig::default()).unwrap();
        let states = run(&mut seq, &[0; 60]);
        assert!(!states.contains(&LivenessState::Passed));
        // 5 s allowed: the frame at 5.1 s fails.
        assert_eq!(states[50], LivenessState::WaitingForFrontal);
        assert_eq!(states[51], LivenessState::Failed(LivenessFailure::NotLive));
        assert_eq!(seq.finish().frames, 52);
    }

    #[test]
    fn frames_without_a_face_or_a_depth_picture_are_missed() {
        let mut seq = DepthSequence::new(Arc::new(Relief), DepthConfig::default()).unwrap();
        let (rgb, obs) = (rgb(), one_face(0));
        for _ in 0..5 {
            let s = seq.observe_frame(&LivenessFrame { observation: &obs, rgb: &rgb, aux: None, face: Some(&FACE) }).unwrap();
            assert_eq!(s, LivenessState::WaitingForFrontal);
        }
        let s = seq.observe_frame(&LivenessFrame { observation: &obs, rgb: &rgb, aux: None, face: Some(&FACE) }).unwrap();
        assert_eq!(s, LivenessState::Failed(LivenessFailure::FaceLost));
    }

    #[test]
    fn a_judge_error_is_passed_on() {
        let mut seq = DepthSequence::new(Arc::new(Relief), DepthConfig::default()).unwrap();
        let (rgb, obs) = (rgb(), one_face(0));
        let ir = AuxFrame::from_u8(AuxKind::Infrared, 8, 8, vec![9; 64]).unwrap();
        let r = seq.observe_frame(&LivenessFrame { observation: &obs, rgb: &rgb, aux: Some(&ir), face: Some(&FACE) });
        assert!(matches!(r, Err(FaceError::Inference { .. })));
        assert_eq!(seq.finish().failure, Some(LivenessFailure::Unfinished));
    }

    #[test]
    fn bad_settings_are_refused() {
        assert!(DepthSequence::new(Arc::new(Relief), DepthConfig { live_frames: 0, ..DepthConfig::default() }).is_err());
        assert!(DepthSequence::new(Arc::new(Relief), DepthConfig { timeout: Duration::ZERO, ..DepthConfig::default() }).is_err());
    }
}
