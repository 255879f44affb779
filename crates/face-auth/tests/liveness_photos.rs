//! Liveness through the real pipeline on the package photos of one man: a sequence that turns as
//! asked passes (and the card is matched within it); the same photo held still or replayed
//! never passes.
//!
//! The registry packages hold no video of a turning head, so the "turns" are his photos in which
//! the head is turned (obama2.jpg reads about 13° of yaw one way; mirrored, about 15° the other),
//! and the prompts' yaw target is set to 12° for them. Frames between are the frontal photo.

mod common;

use std::time::Duration;

use common::*;
use face_auth::camera::TimedFrame;
use face_auth::frame::Frame;
use face_auth::liveness::{Challenge, ChallengeConfig, LivenessFailure, Prompt};

fn config() -> ChallengeConfig {
    ChallengeConfig { yaw_target: 12.0, ..ChallengeConfig::default() }
}

/// Frames 100 ms apart; each picture gets a faint, changing dither, as a camera's noise would.
fn sequence(pictures: &[&Frame]) -> Vec<TimedFrame> {
    pictures
        .iter()
        .enumerate()
        .map(|(i, f)| {
            let rgb = f.rgb().iter().enumerate().map(|(j, &v)| v.saturating_add(((j * 7 + i * 13) % 5) as u8)).collect();
            TimedFrame { at: Duration::from_millis(100 * i as u64), frame: Frame::from_rgb(f.width(), f.height(), rgb).unwrap() }
        })
        .collect()
}

#[test]
fn a_sequence_that_turns_as_asked_passes_and_is_matched() {
    let Some(v) = verifier() else { return };
    let frontal = as_camera_frame(&photo("obama.jpg"));
    // obama2.jpg is turned to the picture's left (his right); its mirror image to his left.
    let right = as_camera_frame(&photo("obama2.jpg"));
    let left = right.mirrored();
    let frames = sequence(&[&frontal, &frontal, &left, &frontal, &right, &frontal]);
    let mut challenge = Challenge::with_prompts(config(), vec![Prompt::TurnLeft, Prompt::TurnRight]).unwrap();
    let r = v.verify_sequence(&photo("obama3.jpg"), &frames, &mut challenge).unwrap();
    let verdict = r.liveness.clone().unwrap();
    assert!(verdict.passed, "{verdict:?} {:?}", r.quality.live.iter().map(|q| q.pose).collect::<Vec<_>>());
    assert_eq!(verdict.prompts_met, 2);
    assert!(r.face_match && r.matched, "{r:?}");

    // The same pictures in the wrong order answer the prompts the wrong way round.
    let mut challenge = Challenge::with_prompts(config(), vec![Prompt::TurnRight, Prompt::TurnLeft]).unwrap();
    let r = v.verify_sequence(&photo("obama3.jpg"), &frames, &mut challenge).unwrap();
    assert_eq!(r.liveness.unwrap().failure, Some(LivenessFailure::TurnedWrongWay(Prompt::TurnRight)));
    assert!(!r.matched && r.face_match, "the face matches but liveness failed");
}

#[test]
fn a_photo_held_still_times_out() {
    let Some(v) = verifier() else { return };
    let frontal = as_camera_frame(&photo("obama.jpg"));
    // Seven seconds of the same picture, with camera noise: the head never turns.
    let frames = sequence(&vec![&frontal; 70]);
    let mut challenge = Challenge::with_prompts(config(), vec![Prompt::TurnLeft, Prompt::TurnRight]).unwrap();
    let r = v.verify_sequence(&photo("obama3.jpg"), &frames, &mut challenge).unwrap();
    assert_eq!(r.liveness.unwrap().failure, Some(LivenessFailure::TimedOut(Prompt::TurnLeft)));
    assert!(r.face_match && !r.matched);
}

#[test]
fn a_still_image_replayed_is_caught() {
    let Some(v) = verifier() else { return };
    let frontal = as_camera_frame(&photo("obama.jpg"));
    let frames: Vec<TimedFrame> = (0..10).map(|i| TimedFrame { at: Duration::from_millis(100 * i), frame: frontal.clone() }).collect();
    let mut challenge = Challenge::new(config(), &mut rand::rng()).unwrap();
    let r = v.verify_sequence(&photo("obama3.jpg"), &frames, &mut challenge).unwrap();
    assert_eq!(r.liveness.unwrap().failure, Some(LivenessFailure::StaticImage));
    assert!(!r.matched);
}

#[test]
fn someone_else_stepping_in_is_caught() {
    let Some(v) = verifier() else { return };
    let frontal = as_camera_frame(&photo("obama.jpg"));
    let other = as_camera_frame(&photo("biden.jpg"));
    let frames = sequence(&[&frontal, &frontal, &other, &other]);
    let mut challenge = Challenge::with_prompts(config(), vec![Prompt::TurnLeft, Prompt::TurnRight]).unwrap();
    let r = v.verify_sequence(&photo("obama3.jpg"), &frames, &mut challenge).unwrap();
    assert_eq!(r.liveness.unwrap().failure, Some(LivenessFailure::IdentityChanged));
}
