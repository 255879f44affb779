//! The challenge–response check on one RGB camera: random head-turn and nod prompts, judged
//! frame by frame from the pose, with the face's identity held through the whole sequence.
//!
//! Sans-IO: the caller runs the camera and the face pipeline, and feeds one [`Observation`] per
//! frame, with the time since the start. Nothing here reads a clock or a camera.

use std::time::Duration;

use rand::Rng;

use super::config::{ChallengeConfig, LivenessConfigError, out_of_range};
use super::failure::LivenessFailure;
use super::observation::Observation;
use super::prompt::{Axis, Prompt};
use super::verdict::{ChallengeState, LivenessMethod, LivenessState, LivenessVerdict};
use super::{Liveness, LivenessFrame};
use crate::embed::Embedding;
use crate::error::FaceError;
use crate::pose::Pose;

/// Where a challenge is.
#[derive(Debug, Clone, Copy)]
enum Phase {
    /// Waiting for a frontal face; the timer starts at the first frame when `since` is `None`.
    Frontal { since: Option<Duration> },
    /// The prompt is shown, since then.
    Asking { prompt: Prompt, since: Duration },
    Passed,
    Failed(LivenessFailure),
}

/// One challenge–response liveness check: a few random prompts, each to be followed in turn.
///
/// The sequence:
/// 1. Wait for exactly one face looking straight at the camera (within
///    [`frontal_band`](ChallengeConfig::frontal_band)); its embedding becomes the reference.
/// 2. Show a prompt. It is met when the pose passes the target in the asked direction.
/// 3. Wait for the face to come back to frontal, then show the next prompt; pass after the last
///    one is met.
///
/// Throughout, every face must stay at or above
/// [`identity_threshold`](ChallengeConfig::identity_threshold) against the reference, at most
/// [`max_missed_frames`](ChallengeConfig::max_missed_frames) frames in a row may lack exactly one
/// face, and the picture must keep changing. A still photo, whatever its pose, never meets a
/// prompt: it times out, or fails sooner as [`LivenessFailure::StaticImage`] when the frames are
/// identical.
///
/// The reference face is only used inside the sequence. Match the ID card against a face of this
/// same sequence (e.g. [`reference`](Challenge::reference)), or liveness proves nothing about the
/// card holder.
#[derive(Debug)]
pub struct Challenge {
    config: ChallengeConfig,
    plan: Vec<Prompt>,
    /// Prompts shown so far.
    asked: usize,
    /// Prompts followed so far.
    met: usize,
    phase: Phase,
    reference: Option<Embedding>,
    /// Frames in a row without exactly one usable face.
    missed: usize,
    /// Frames in a row whose pixels did not change.
    unchanged: usize,
    /// Frames judged.
    frames: usize,
}

/// Picks `count` prompts. Randomness: each prompt is drawn uniformly from the allowed ones
/// except the one just before it (no immediate repeats, so one held pose cannot answer two
/// prompts in a row); if no turn was drawn, one position, chosen uniformly, becomes a turn left
/// or right with even odds. With turns only, this leaves just the first prompt's direction to
/// chance (left-right-left… or right-left-right…).
fn pick_prompts<R: Rng + ?Sized>(count: usize, pitch_prompts: bool, rng: &mut R) -> Vec<Prompt> {
    let allowed: &[Prompt] = if pitch_prompts { &Prompt::ALL } else { &[Prompt::TurnLeft, Prompt::TurnRight] };
    let mut plan: Vec<Prompt> = Vec::with_capacity(count);
    for _ in 0..count {
        let choices: Vec<Prompt> = allowed.iter().copied().filter(|p| plan.last() != Some(p)).collect();
        // `allowed` has at least two prompts, so at least one is left after removing the last.
        plan.push(choices[rng.random_range(0..choices.len())]);
    }
    if !plan.is_empty() && !plan.iter().any(|p| p.is_turn()) {
        // Its neighbours are all nods, so a turn here repeats nothing.
        let at = rng.random_range(0..plan.len());
        plan[at] = if rng.random_bool(0.5) { Prompt::TurnLeft } else { Prompt::TurnRight };
    }
    plan
}

impl Challenge {
    /// A challenge of `config.prompts` random prompts drawn from `rng` (see the module docs for
    /// how). Use a cryptographically seeded generator (`rand::rng()`) at a kiosk, so the prompts
    /// cannot be predicted; a seeded one makes tests reproducible.
    pub fn new<R: Rng + ?Sized>(config: ChallengeConfig, rng: &mut R) -> Result<Self, LivenessConfigError> {
        config.validate()?;
        let plan = pick_prompts(config.prompts, config.pitch_prompts, rng);
        Ok(Self::start(config, plan))
    }

    /// A challenge with prompts chosen by the caller, for scripted demos and tests
    /// (`config.prompts` and `config.pitch_prompts` are ignored). Predictable prompts weaken
    /// the check: do not use this at a kiosk.
    pub fn with_prompts(config: ChallengeConfig, prompts: Vec<Prompt>) -> Result<Self, LivenessConfigError> {
        config.check(false)?;
        if prompts.is_empty() || prompts.len() > super::config::MAX_PROMPTS {
            return Err(out_of_range("prompts", prompts.len(), "between 1 and 8"));
        }
        Ok(Self::start(config, prompts))
    }

    fn start(config: ChallengeConfig, plan: Vec<Prompt>) -> Self {
        Self { config, plan, asked: 0, met: 0, phase: Phase::Frontal { since: None }, reference: None, missed: 0, unchanged: 0, frames: 0 }
    }

    /// The settings in use.
    pub fn config(&self) -> &ChallengeConfig {
        &self.config
    }

    /// Every prompt of this challenge, in order, including those not shown yet. For logs and
    /// tests; the UI should show only [`prompt`](Challenge::prompt).
    pub fn prompts(&self) -> &[Prompt] {
        &self.plan
    }

    /// The prompt to show now, if the person is being asked one.
    pub fn prompt(&self) -> Option<Prompt> {
        match self.phase {
            Phase::Asking { prompt, .. } => Some(prompt),
            _ => None,
        }
    }

    /// Where the challenge stands.
    pub fn state(&self) -> ChallengeState {
        match self.phase {
            Phase::Frontal { .. } => LivenessState::WaitingForFrontal,
            Phase::Asking { prompt, .. } => LivenessState::Prompting(prompt),
            Phase::Passed => LivenessState::Passed,
            Phase::Failed(failure) => LivenessState::Failed(failure),
        }
    }

    /// The first frontal face's embedding, once seen: the face the whole sequence was held to.
    pub fn reference(&self) -> Option<&Embedding> {
        self.reference.as_ref()
    }

    /// Judges one frame and returns where the challenge stands. Once passed or failed, further
    /// frames change nothing (and are not counted).
    pub fn observe(&mut self, obs: &Observation) -> ChallengeState {
        if self.state().is_finished() {
            return self.state();
        }
        self.frames += 1;
        if let Err(failure) = self.step(obs) {
            tracing::info!(code = failure.code(), frames = self.frames, prompts_met = self.met, "liveness challenge failed");
            self.phase = Phase::Failed(failure);
        } else if matches!(self.phase, Phase::Passed) {
            tracing::info!(frames = self.frames, prompts = self.plan.len(), "liveness challenge passed");
        }
        self.state()
    }

    /// Ends the sequence: a challenge still running fails as [`LivenessFailure::Unfinished`].
    /// Returns the final report.
    pub fn finish(&mut self) -> LivenessVerdict {
        if !self.state().is_finished() {
            self.phase = Phase::Failed(LivenessFailure::Unfinished);
        }
        self.verdict()
    }

    /// The report so far (final once passed or failed).
    pub fn verdict(&self) -> LivenessVerdict {
        LivenessVerdict {
            method: LivenessMethod::Challenge,
            passed: matches!(self.phase, Phase::Passed),
            prompts: self.plan.iter().take(self.asked).copied().collect(),
            prompts_met: self.met,
            failure: match self.phase {
                Phase::Failed(f) => Some(f),
                _ => None,
            },
            frames: self.frames,
        }
    }

    fn target(&self, prompt: Prompt) -> f32 {
        match prompt.axis() {
            Axis::Yaw => self.config.yaw_target,
            Axis::Pitch => self.config.pitch_target,
        }
    }

    fn is_frontal(&self, pose: &Pose) -> bool {
        // Pitch counts only when a nod is asked: its zero shifts with the camera's height and
        // with how a person holds their head (the quality gates bound it anyway), and a turn
        // plan must not fail a citizen who looks slightly down at the screen.
        let nods = self.plan.iter().any(|p| !p.is_turn());
        // Written so that a NaN angle is never frontal.
        pose.yaw.abs() <= self.config.frontal_band && (!nods || pose.pitch.abs() <= self.config.frontal_band)
    }

    fn step(&mut self, obs: &Observation) -> Result<(), LivenessFailure> {
        // A still picture fed in again and again: no live camera gives identical frames for long.
        match obs.frame_change {
            Some(change) if change <= self.config.static_change => self.unchanged += 1,
            _ => self.unchanged = 0,
        }
        if self.unchanged >= self.config.static_frames {
            return Err(LivenessFailure::StaticImage);
        }
        // Time first, so a prompt met after its deadline does not count. `at` going backwards
        // (a caller's bug) reads as no time passed.
        match &mut self.phase {
            Phase::Frontal { since } => {
                let since = *since.get_or_insert(obs.at);
                if obs.at.saturating_sub(since) > self.config.frontal_timeout {
                    return Err(LivenessFailure::NotFacingCamera);
                }
            }
            Phase::Asking { prompt, since } => {
                if obs.at.saturating_sub(*since) > self.config.prompt_timeout {
                    return Err(LivenessFailure::TimedOut(*prompt));
                }
            }
            Phase::Passed | Phase::Failed(_) => return Ok(()),
        }
        let Some(face) = obs.single_face() else {
            self.missed += 1;
            return if self.missed > self.config.max_missed_frames { Err(LivenessFailure::FaceLost) } else { Ok(()) };
        };
        self.missed = 0;
        if let Some(reference) = &self.reference {
            let similarity = face.embedding.cosine(reference);
            if similarity.is_nan() || similarity < self.config.identity_threshold {
                return Err(LivenessFailure::IdentityChanged);
            }
        }
        match self.phase {
            Phase::Frontal { .. } => {
                if self.is_frontal(&face.pose) {
                    if self.reference.is_none() {
                        self.reference = Some(face.embedding.clone());
                    }
                    // `plan` is never empty and `met < plan.len()` while the challenge runs.
                    match self.plan.get(self.met) {
                        Some(&prompt) => {
                            self.asked += 1;
                            self.phase = Phase::Asking { prompt, since: obs.at };
                        }
                        None => self.phase = Phase::Passed,
                    }
                }
            }
            Phase::Asking { prompt, .. } => {
                let target = self.target(prompt);
                let progress = prompt.progress(&face.pose);
                if progress >= target {
                    self.met += 1;
                    self.phase = if self.met >= self.plan.len() { Phase::Passed } else { Phase::Frontal { since: Some(obs.at) } };
                } else if self.config.fail_on_wrong_way && -progress >= target {
                    return Err(LivenessFailure::TurnedWrongWay(prompt));
                }
            }
            Phase::Passed | Phase::Failed(_) => {}
        }
        Ok(())
    }
}

impl Liveness for Challenge {
    fn state(&self) -> LivenessState {
        Challenge::state(self)
    }

    fn observe_frame(&mut self, frame: &LivenessFrame<'_>) -> Result<LivenessState, FaceError> {
        Ok(self.observe(frame.observation))
    }

    fn verdict(&self) -> LivenessVerdict {
        Challenge::verdict(self)
    }

    fn finish(&mut self) -> LivenessVerdict {
        Challenge::finish(self)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;
    use rand::SeedableRng;
    use rand::rngs::StdRng;

    const FRAME: Duration = Duration::from_millis(100);

    fn person() -> Embedding {
        Embedding::new(vec![1.0, 0.3, 0.2, 0.0]).unwrap()
    }

    /// The same person, turned: a lower but still clear similarity (≈ 0.82).
    fn person_turned() -> Embedding {
        Embedding::new(vec![1.0, 0.3, -0.3, 0.4]).unwrap()
    }

    /// Someone else (similarity with `person` ≈ 0.1).
    fn stranger() -> Embedding {
        Embedding::new(vec![0.0, 0.1, 0.2, 1.0]).unwrap()
    }

    fn pose(yaw: f32, pitch: f32) -> Pose {
        Pose { yaw, pitch, roll: 0.0 }
    }

    /// A live camera: sensor noise alone changes the picture a little every frame.
    const LIVE_CHANGE: Option<f32> = Some(1.5);

    fn at(frame: u32) -> Duration {
        FRAME * frame
    }

    /// Someone in front of the camera at 10 frames a second, moving the head by at most 8° a
    /// frame toward where the challenge asks (with `wrong` the opposite way), with `face` as
    /// their embedding. Runs until the challenge ends or 300 frames pass.
    struct Person {
        yaw: f32,
        pitch: f32,
        frame: u32,
    }

    impl Person {
        fn new() -> Self {
            Self { yaw: 3.0, pitch: -2.0, frame: 0 }
        }

        fn goal(c: &Challenge, wrong: bool) -> (f32, f32) {
            let sign = if wrong { -1.0 } else { 1.0 };
            match c.prompt() {
                Some(Prompt::TurnLeft) => (26.0 * sign, 1.0),
                Some(Prompt::TurnRight) => (-26.0 * sign, -1.0),
                Some(Prompt::LookUp) => (2.0, 16.0 * sign),
                Some(Prompt::LookDown) => (-2.0, -16.0 * sign),
                None => (1.0, -1.0),
            }
        }

        /// One frame: move toward the goal and show it to the challenge.
        fn show(&mut self, c: &mut Challenge, wrong: bool, face: Embedding) -> ChallengeState {
            let (gy, gp) = Self::goal(c, wrong);
            self.yaw += (gy - self.yaw).clamp(-8.0, 8.0);
            self.pitch += (gp - self.pitch).clamp(-8.0, 8.0);
            let embedding = if self.yaw.abs() > 10.0 { person_turned_like(&face) } else { face };
            let state = c.observe(&Observation::one_face(at(self.frame), pose(self.yaw, self.pitch), embedding, LIVE_CHANGE));
            self.frame += 1;
            state
        }

        fn follow(&mut self, c: &mut Challenge) -> ChallengeState {
            while self.frame < 300 {
                let state = self.show(c, false, person());
                if state.is_finished() {
                    return state;
                }
            }
            c.state()
        }
    }

    /// A turned head embeds a little differently from a frontal one.
    fn person_turned_like(face: &Embedding) -> Embedding {
        if *face == person() { person_turned() } else { face.clone() }
    }

    fn scripted(prompts: &[Prompt]) -> Challenge {
        Challenge::with_prompts(ChallengeConfig::default(), prompts.to_vec()).unwrap()
    }

    #[test]
    fn the_test_faces_are_what_they_claim() {
        let threshold = ChallengeConfig::default().identity_threshold;
        assert!(person().cosine(&person_turned()) > threshold + 0.2);
        assert!(person().cosine(&stranger()) < threshold - 0.2);
    }

    #[test]
    fn accepts_each_prompt_followed() {
        for p in Prompt::ALL {
            let mut c = scripted(&[p]);
            assert_eq!(c.prompt(), None);
            assert_eq!(Person::new().follow(&mut c), LivenessState::Passed, "{p:?}");
            let v = c.verdict();
            assert!(v.passed);
            assert_eq!((v.prompts.as_slice(), v.prompts_met, v.failure), (&[p][..], 1, None));
            // The frontal frame, then 8° a frame: two more to reach 15° of yaw or 12° of pitch.
            assert_eq!(v.frames, 3, "{p:?}");
            assert_eq!(c.reference(), Some(&person()));
        }
    }

    #[test]
    fn accepts_every_pair_of_prompts_followed_with_a_return_to_frontal_between() {
        for a in Prompt::ALL {
            for b in Prompt::ALL {
                let mut c = scripted(&[a, b]);
                let mut someone = Person::new();
                let mut seen = Vec::new();
                while !c.state().is_finished() && someone.frame < 300 {
                    seen.push(someone.show(&mut c, false, person()));
                }
                seen.dedup();
                // Between the prompts the kiosk asked the person to face the camera again.
                let expected = [LivenessState::Prompting(a), LivenessState::WaitingForFrontal, LivenessState::Prompting(b), LivenessState::Passed];
                assert_eq!(seen, expected, "{a:?} {b:?}");
                assert_eq!(c.verdict().prompts, vec![a, b]);
            }
        }
    }

    #[test]
    fn accepts_random_challenges_followed() {
        for seed in 0..100 {
            let mut c = Challenge::new(ChallengeConfig::default(), &mut StdRng::seed_from_u64(seed)).unwrap();
            assert_eq!(Person::new().follow(&mut c), LivenessState::Passed, "seed {seed}: {:?}", c.prompts());
            assert_eq!(c.verdict().prompts_met, 2);
        }
    }

    #[test]
    fn a_photo_held_still_times_out() {
        // A printed or phone photo in front of a live camera: the pixels change (noise, a hand's
        // tremor) but the pose cannot follow a prompt.
        let mut c = scripted(&[Prompt::TurnLeft, Prompt::LookUp]);
        let mut states = Vec::new();
        for f in 0..100 {
            states.push(c.observe(&Observation::one_face(at(f), pose(1.0, 2.0), person(), LIVE_CHANGE)));
        }
        assert!(!states.contains(&LivenessState::Passed));
        assert_eq!(states[0], LivenessState::Prompting(Prompt::TurnLeft));
        // Asked at 0 s; still within the 6 s at 6.0 s, out at 6.1 s.
        assert_eq!(states[60], LivenessState::Prompting(Prompt::TurnLeft));
        assert_eq!(states[61], LivenessState::Failed(LivenessFailure::TimedOut(Prompt::TurnLeft)));
        assert_eq!(c.verdict().frames, 62, "frames after the end are not counted");
        assert_eq!(c.verdict().prompts_met, 0);
    }

    #[test]
    fn a_replayed_still_image_fails_as_static() {
        let mut c = scripted(&[Prompt::TurnLeft, Prompt::TurnRight]);
        let photo = |f, change| Observation::one_face(at(f), pose(0.0, 0.0), person(), change);
        assert_eq!(c.observe(&photo(0, None)), LivenessState::Prompting(Prompt::TurnLeft));
        assert_eq!(c.observe(&photo(1, Some(0.0))), LivenessState::Prompting(Prompt::TurnLeft));
        assert_eq!(c.observe(&photo(2, Some(0.0))), LivenessState::Prompting(Prompt::TurnLeft));
        assert_eq!(c.observe(&photo(3, Some(0.0))), LivenessState::Failed(LivenessFailure::StaticImage));
        assert_eq!(c.verdict().failure, Some(LivenessFailure::StaticImage));
    }

    #[test]
    fn an_occasional_repeated_frame_is_not_a_still_image() {
        // Drivers sometimes hand out the same buffer twice: two in a row are tolerated.
        let mut c = scripted(&[Prompt::TurnRight]);
        let mut f = 0;
        let mut show = |c: &mut Challenge, yaw, change| {
            f += 1;
            c.observe(&Observation::one_face(at(f), pose(yaw, 0.0), person(), change))
        };
        show(&mut c, 0.0, LIVE_CHANGE);
        show(&mut c, 0.0, Some(0.0));
        show(&mut c, -8.0, Some(0.0));
        show(&mut c, -16.0, LIVE_CHANGE);
        show(&mut c, -19.0, Some(0.0));
        assert_eq!(show(&mut c, -24.0, Some(0.0)), LivenessState::Passed);
    }

    #[test]
    fn a_photo_of_a_turned_head_never_faces_the_camera() {
        let mut c = scripted(&[Prompt::TurnLeft]);
        let mut last = c.state();
        for f in 0..100 {
            last = c.observe(&Observation::one_face(at(f), pose(28.0, 0.0), person(), LIVE_CHANGE));
        }
        assert_eq!(last, LivenessState::Failed(LivenessFailure::NotFacingCamera));
        assert_eq!(c.verdict().prompts, vec![], "no prompt was shown");
    }

    #[test]
    fn one_held_turn_cannot_answer_two_prompts() {
        // Even the same prompt twice needs a return to frontal in between.
        let mut c = scripted(&[Prompt::TurnLeft, Prompt::TurnLeft]);
        let mut states = Vec::new();
        states.push(c.observe(&Observation::one_face(at(0), pose(0.0, 0.0), person(), LIVE_CHANGE)));
        for f in 1..200 {
            states.push(c.observe(&Observation::one_face(at(f), pose(25.0, 0.0), person_turned(), LIVE_CHANGE)));
        }
        assert_eq!(states[1], LivenessState::WaitingForFrontal, "the first prompt was met");
        assert!(!states.contains(&LivenessState::Passed));
        assert_eq!(c.state(), LivenessState::Failed(LivenessFailure::NotFacingCamera));
        assert_eq!(c.verdict().prompts_met, 1);
    }

    #[test]
    fn someone_else_stepping_in_fails_as_identity_changed() {
        let mut c = scripted(&[Prompt::TurnLeft, Prompt::TurnRight]);
        let mut someone = Person::new();
        while c.verdict().prompts_met < 1 && someone.frame < 50 {
            someone.show(&mut c, false, person());
        }
        assert_eq!(c.state(), LivenessState::WaitingForFrontal);
        // The genuine person did the first turn; a different face is now in front of the camera.
        let state = someone.show(&mut c, false, stranger());
        assert_eq!(state, LivenessState::Failed(LivenessFailure::IdentityChanged));
        // A stranger from the start is the reference, and a later swap to the genuine face fails.
        let mut c = scripted(&[Prompt::TurnLeft]);
        let mut someone = Person::new();
        assert_eq!(someone.show(&mut c, false, stranger()), LivenessState::Prompting(Prompt::TurnLeft));
        assert_eq!(someone.show(&mut c, false, person()), LivenessState::Failed(LivenessFailure::IdentityChanged));
    }

    #[test]
    fn losing_the_face_for_too_long_fails() {
        let config = ChallengeConfig::default();
        let tolerated = config.max_missed_frames as u32;
        for faces in [0, 2] {
            let mut c = scripted(&[Prompt::LookDown]);
            c.observe(&Observation::one_face(at(0), pose(0.0, 0.0), person(), LIVE_CHANGE));
            for f in 1..=tolerated {
                assert_eq!(c.observe(&Observation::no_single_face(at(f), faces, LIVE_CHANGE)), LivenessState::Prompting(Prompt::LookDown));
            }
            assert_eq!(c.observe(&Observation::no_single_face(at(tolerated + 1), faces, LIVE_CHANGE)), LivenessState::Failed(LivenessFailure::FaceLost), "{faces} faces");
        }
        // A gap within the tolerance, then the face is back: the check goes on and passes.
        let mut c = scripted(&[Prompt::LookDown]);
        c.observe(&Observation::one_face(at(0), pose(0.0, 0.0), person(), LIVE_CHANGE));
        for f in 1..=tolerated {
            c.observe(&Observation::no_single_face(at(f), 0, LIVE_CHANGE));
        }
        let back = c.observe(&Observation::one_face(at(tolerated + 1), pose(0.0, -14.0), person(), LIVE_CHANGE));
        assert_eq!(back, LivenessState::Passed);
    }

    #[test]
    fn turning_the_wrong_way_fails_unless_allowed() {
        let mut c = scripted(&[Prompt::TurnLeft]);
        let mut someone = Person::new();
        let mut state = c.state();
        while !state.is_finished() {
            state = someone.show(&mut c, true, person());
        }
        assert_eq!(state, LivenessState::Failed(LivenessFailure::TurnedWrongWay(Prompt::TurnLeft)));
        let lenient = ChallengeConfig { fail_on_wrong_way: false, ..ChallengeConfig::default() };
        let mut c = Challenge::with_prompts(lenient, vec![Prompt::LookUp]).unwrap();
        c.observe(&Observation::one_face(at(0), pose(0.0, 0.0), person(), LIVE_CHANGE));
        assert_eq!(c.observe(&Observation::one_face(at(1), pose(0.0, -20.0), person(), LIVE_CHANGE)), LivenessState::Prompting(Prompt::LookUp));
        assert_eq!(c.observe(&Observation::one_face(at(2), pose(0.0, 13.0), person(), LIVE_CHANGE)), LivenessState::Passed);
    }

    #[test]
    fn a_prompt_met_too_late_does_not_count() {
        let mut c = scripted(&[Prompt::TurnRight]);
        c.observe(&Observation::one_face(Duration::from_secs(1), pose(0.0, 0.0), person(), LIVE_CHANGE));
        let late = Observation::one_face(Duration::from_millis(7_001), pose(-30.0, 0.0), person_turned(), LIVE_CHANGE);
        assert_eq!(c.observe(&late), LivenessState::Failed(LivenessFailure::TimedOut(Prompt::TurnRight)));
    }

    #[test]
    fn finishing_early_is_a_failure_and_the_end_is_final() {
        let mut c = scripted(&[Prompt::TurnLeft]);
        c.observe(&Observation::one_face(at(0), pose(0.0, 0.0), person(), LIVE_CHANGE));
        let v = c.finish();
        assert!(!v.passed);
        assert_eq!((v.failure, v.prompts, v.frames), (Some(LivenessFailure::Unfinished), vec![Prompt::TurnLeft], 1));
        // Nothing turns a failure into a pass.
        assert!(c.observe(&Observation::one_face(at(1), pose(30.0, 0.0), person(), LIVE_CHANGE)).is_finished());
        assert_eq!(c.verdict().failure, Some(LivenessFailure::Unfinished));
        let mut passed = scripted(&[Prompt::TurnLeft]);
        Person::new().follow(&mut passed);
        assert!(passed.finish().passed);
    }

    #[test]
    fn prompts_are_random_but_reproducible_with_a_seed() {
        let plan = |seed, config: &ChallengeConfig| Challenge::new(config.clone(), &mut StdRng::seed_from_u64(seed)).unwrap().prompts().to_vec();
        let config = ChallengeConfig { pitch_prompts: true, ..ChallengeConfig::default() };
        let mut plans = std::collections::HashSet::new();
        let mut used = std::collections::HashSet::new();
        for seed in 0..300 {
            let p = plan(seed, &config);
            assert_eq!(p, plan(seed, &config), "same seed, same prompts");
            assert_eq!(p.len(), 2);
            assert!(p.iter().any(|p| p.is_turn()), "{p:?}");
            assert!(p.windows(2).all(|w| w[0] != w[1]), "{p:?}");
            used.extend(p.iter().copied());
            plans.insert(p);
        }
        assert_eq!(used.len(), 4, "every prompt is used");
        // 4×3 ordered pairs without repeats, less the 2 with no turn: 10 are possible.
        assert_eq!(plans.len(), 10);
        let turns_only = ChallengeConfig { prompts: 5, pitch_prompts: false, ..ChallengeConfig::default() };
        let mut firsts = std::collections::HashSet::new();
        for seed in 0..50 {
            let p = plan(seed, &turns_only);
            assert!(p.iter().all(|p| p.is_turn()) && p.windows(2).all(|w| w[0] != w[1]), "{p:?}");
            firsts.insert(p[0]);
        }
        assert_eq!(firsts.len(), 2);
    }

    #[test]
    fn bad_settings_are_refused() {
        let mut rng = StdRng::seed_from_u64(1);
        assert!(Challenge::new(ChallengeConfig { prompts: 0, ..ChallengeConfig::default() }, &mut rng).is_err());
        assert!(Challenge::with_prompts(ChallengeConfig::default(), vec![]).is_err());
        assert!(Challenge::with_prompts(ChallengeConfig { prompts: 0, ..ChallengeConfig::default() }, vec![Prompt::LookUp]).is_ok());
    }

    fn any_pose() -> impl Strategy<Value = Pose> {
        let angle = prop_oneof![8 => -90f32..90.0, 1 => Just(f32::NAN), 1 => Just(f32::INFINITY)];
        (angle.clone(), angle.clone(), angle).prop_map(|(yaw, pitch, roll)| Pose { yaw, pitch, roll })
    }

    fn any_observation() -> impl Strategy<Value = Observation> {
        (0u64..20_000, 0usize..4, any_pose(), prop::collection::vec(-1f32..1.0, 0..5), prop::option::of(prop_oneof![Just(0.0f32), 0f32..255.0, Just(f32::NAN)]))
            .prop_map(|(ms, faces, pose, values, frame_change)| Observation {
                at: Duration::from_millis(ms),
                faces,
                face: Embedding::new(values).map(|embedding| crate::liveness::ObservedFace { pose, embedding }),
                frame_change,
            })
    }

    proptest! {
        /// Any observations in any order (time going backwards, NaN poses, mismatched face
        /// counts) leave the challenge in a sane state and never panic.
        #[test]
        fn random_observations_never_panic(seed in any::<u64>(), prompts in 1usize..=4, obs in prop::collection::vec(any_observation(), 0..80)) {
            let config = ChallengeConfig { prompts, ..ChallengeConfig::default() };
            let mut c = Challenge::new(config, &mut StdRng::seed_from_u64(seed)).unwrap();
            let mut ended = None;
            for o in &obs {
                let state = c.observe(o);
                if let Some(end) = ended {
                    prop_assert_eq!(state, end, "a finished challenge changed");
                } else if state.is_finished() {
                    ended = Some(state);
                }
            }
            let v = c.finish();
            prop_assert!(v.frames <= obs.len());
            prop_assert!(v.prompts_met <= v.prompts.len() && v.prompts.len() <= prompts);
            prop_assert_eq!(v.passed, v.failure.is_none());
        }

        /// However the head nods and whatever the timing, a face that never turns beyond the
        /// frontal band never passes: every challenge has a turn.
        #[test]
        fn never_passes_without_turning(
            seed in any::<u64>(),
            prompts in 1usize..=4,
            frames in prop::collection::vec((0u64..400, -10f32..=10.0, -40f32..40.0, 0usize..3, prop::option::of(0f32..5.0)), 1..150),
        ) {
            let config = ChallengeConfig { prompts, fail_on_wrong_way: false, ..ChallengeConfig::default() };
            let band = config.frontal_band;
            let mut c = Challenge::new(config, &mut StdRng::seed_from_u64(seed)).unwrap();
            let mut t = Duration::ZERO;
            for (gap, yaw, pitch, faces, change) in frames {
                t += Duration::from_millis(gap);
                prop_assert!(yaw.abs() <= band);
                let obs = if faces == 1 { Observation::one_face(t, pose(yaw, pitch), person(), change) } else { Observation::no_single_face(t, faces, change) };
                prop_assert_ne!(c.observe(&obs), LivenessState::Passed);
            }
        }
    }
}
