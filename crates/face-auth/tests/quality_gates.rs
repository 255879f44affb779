//! The quality gates on pictures made from the package test photos: a frame with no face, two
//! faces, a tiny face or too little light is refused with the matching reason, and never matched.

mod common;

use common::*;
use face_auth::frame::Frame;
use face_auth::verify::Verification;

fn codes(r: &Verification) -> Vec<&'static str> {
    r.quality.live[0].reasons.iter().map(|q| q.code()).collect()
}

/// The face of a photo cut out square, with room around it, scaled to `side`.
fn face_crop(name: &str, side: u32) -> Frame {
    use face_auth::detect::{Detector, SeetaDetector};
    let det = SeetaDetector::load(&face_auth::models::ModelDir::new(models().unwrap())).unwrap();
    let p = photo(name);
    let b = det.detect(&p).unwrap()[0].square(1.8);
    p.cropped(b.x.max(0.0) as u32, b.y.max(0.0) as u32, b.width as u32, b.height as u32).unwrap().resized(side, side)
}

#[test]
fn a_good_camera_frame_passes() {
    let Some(v) = verifier() else { return };
    let frame = paste(&canvas(640, 480, 120), &face_crop("obama2.jpg", 300), 170, 90);
    let r = v.verify(&photo("obama.jpg"), &[frame]).unwrap();
    assert!(r.quality.live[0].passed && r.matched, "{r:?}");
}

#[test]
fn no_face() {
    let Some(v) = verifier() else { return };
    // The lower part of the photo: suit and shirt, no face.
    let p = photo("obama.jpg");
    let frame = p.cropped(0, 600, 910, 537).unwrap().resized(640, 480);
    let r = v.verify(&photo("obama.jpg"), &[frame]).unwrap();
    assert_eq!(codes(&r).last(), Some(&"no_face"), "{:?}", r.quality.live[0]);
    assert!(!r.matched && r.score.is_none());
}

#[test]
fn two_faces() {
    let Some(v) = verifier() else { return };
    let frame = paste(&paste(&canvas(640, 480, 120), &face_crop("obama2.jpg", 300), 10, 90), &face_crop("biden.jpg", 300), 330, 90);
    let r = v.verify(&photo("obama.jpg"), &[frame]).unwrap();
    assert!(codes(&r).contains(&"multiple_faces"), "{:?}", r.quality.live[0]);
    assert_eq!(r.quality.live[0].faces, 2);
    assert!(!r.matched);
}

#[test]
fn a_tiny_face() {
    let Some(v) = verifier() else { return };
    let frame = paste(&canvas(640, 480, 120), &face_crop("obama2.jpg", 64), 300, 200);
    let r = v.verify(&photo("obama.jpg"), &[frame]).unwrap();
    assert!(codes(&r).contains(&"face_too_small"), "{:?}", r.quality.live[0]);
    assert!(!r.matched);
}

#[test]
fn a_dark_frame() {
    let Some(v) = verifier() else { return };
    let frame = exposed(&paste(&canvas(640, 480, 120), &face_crop("obama2.jpg", 300), 170, 90), 0.15);
    let r = v.verify(&photo("obama.jpg"), &[frame]).unwrap();
    assert!(codes(&r).contains(&"too_dark"), "{:?}", r.quality.live[0]);
    assert!(!r.matched);
}

#[test]
fn a_blurred_frame() {
    let Some(v) = verifier() else { return };
    // Shrunk to a sixth and blown up again: what a moving face or a bad focus looks like.
    let soft = face_crop("obama2.jpg", 50).resized(300, 300);
    let r = v.verify(&photo("obama.jpg"), &[paste(&canvas(640, 480, 120), &soft, 170, 90)]).unwrap();
    assert!(codes(&r).contains(&"blurry"), "{:?}", r.quality.live[0]);
    assert!(!r.matched);
}

#[test]
fn a_face_cut_off_at_the_edge() {
    let Some(v) = verifier() else { return };
    let frame = paste(&canvas(640, 480, 120), &face_crop("obama2.jpg", 300), 420, 90);
    let r = v.verify(&photo("obama.jpg"), &[frame]).unwrap();
    assert!(!r.matched && !r.quality.live[0].passed, "{:?}", r.quality.live[0]);
}
