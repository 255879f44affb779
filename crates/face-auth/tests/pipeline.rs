//! The real pipeline (SeetaFace, O-Net, MobileFaceNet) on the photos shipped in the
//! `face-recognition` and `insightface` packages: same person above the default threshold,
//! different people below, and the quality gates on pictures made from those photos.

mod common;

use common::*;
use face_auth::verify::DEFAULT_THRESHOLD;

fn score(a: &str, b: &str) -> Option<f32> {
    let v = verifier()?;
    let r = v.verify(&photo(a), &[photo(b)]).unwrap();
    assert!(r.quality.card.passed, "{a}: {:?}", r.quality.card);
    assert!(r.quality.live[0].passed, "{b}: {:?}", r.quality.live[0]);
    Some(r.score.expect("both faces usable"))
}

#[test]
fn the_same_man_matches() {
    for (a, b) in [("obama.jpg", "obama2.jpg"), ("obama.jpg", "obama3.jpg"), ("obama2.jpg", "obama3.jpg")] {
        let Some(s) = score(a, b) else { return };
        eprintln!("{a} ~ {b}: {s:.3}");
        assert!(s >= DEFAULT_THRESHOLD + 0.15, "{a} vs {b}: {s}");
    }
}

#[test]
fn different_people_do_not_match() {
    for (a, b) in [("obama.jpg", "biden.jpg"), ("obama2.jpg", "biden.jpg"), ("obama3.jpg", "biden.jpg"), ("Tom_Hanks_54745.png", "obama.jpg"), ("Tom_Hanks_54745.png", "biden.jpg")] {
        let Some(s) = score(a, b) else { return };
        eprintln!("{a} ~ {b}: {s:.3}");
        assert!(s < DEFAULT_THRESHOLD - 0.1, "{a} vs {b}: {s}");
    }
}

/// Each face of the group photo, cut out with room around it.
fn group_faces() -> Option<Vec<face_auth::frame::Frame>> {
    use face_auth::detect::{Detector, SeetaDetector, SeetaSettings};
    let dir = models()?;
    // Small faces in a big picture: scan at full size, not the camera's working size.
    let full = SeetaSettings { work_side: 8192, ..SeetaSettings::default() };
    let detector = SeetaDetector::load(&face_auth::models::ModelDir::new(dir)).unwrap().with_settings(full);
    let group = photo("t1.jpg");
    let faces = detector.detect(&group).unwrap();
    Some(
        faces
            .iter()
            .filter_map(|b| {
                let s = b.square(2.2);
                group.cropped(s.x.max(0.0) as u32, s.y.max(0.0) as u32, s.width as u32, s.height as u32)
            })
            .map(|f| f.scaled(300.0 / f.width() as f32))
            .collect(),
    )
}

#[test]
fn everyone_in_the_group_photo_is_a_different_person() {
    let (Some(v), Some(faces)) = (verifier(), group_faces()) else { return };
    assert!(faces.len() >= 5, "t1.jpg shows six people; found {}", faces.len());
    let mut compared = 0;
    let others = [photo("obama.jpg"), photo("biden.jpg")];
    for (i, a) in faces.iter().enumerate() {
        for b in faces[i + 1..].iter().chain(&others) {
            let r = v.verify(a, std::slice::from_ref(b)).unwrap();
            if let Some(s) = r.score {
                compared += 1;
                assert!(!r.matched && s < DEFAULT_THRESHOLD - 0.1, "group face {i}: {s}");
            }
        }
    }
    eprintln!("{} group faces, {compared} impostor pairs compared", faces.len());
    assert!(compared >= 10, "only {compared} pairs had usable faces");
}

/// The photo as an ID card would hold it: 102×126, cropped to the GA 461 layout, heavy JPEG.
fn card_of(name: &str) -> Option<face_auth::frame::Frame> {
    use face_auth::calibrate::card_photo::{CardPhotoOptions, simulate_card_photo};
    use face_auth::verify::{FrameKind, Timings};
    let v = verifier()?;
    let p = photo(name);
    let marks = v.analyse(&p, FrameKind::Live, false, &mut Timings::default()).unwrap().landmarks.expect("a face");
    Some(simulate_card_photo(&p, &marks, &CardPhotoOptions::default()).unwrap())
}

#[test]
fn simulated_card_photos_match_the_same_man_only() {
    let Some(v) = verifier() else { return };
    for (card, live, same) in [
        ("obama.jpg", "obama2.jpg", true),
        ("obama.jpg", "obama3.jpg", true),
        ("obama2.jpg", "obama3.jpg", true),
        ("obama3.jpg", "obama.jpg", true),
        ("obama.jpg", "biden.jpg", false),
        ("biden.jpg", "obama.jpg", false),
        ("biden.jpg", "obama2.jpg", false),
    ] {
        let c = card_of(card).unwrap();
        assert_eq!((c.width(), c.height()), (102, 126));
        let r = v.verify(&c, &[photo(live)]).unwrap();
        let s = r.score.unwrap_or_else(|| panic!("card of {card}: {:?}", r.quality.card));
        eprintln!("card of {card} ~ {live}: {s:.3}");
        assert_eq!(r.matched, same, "card of {card} vs {live}: {s}");
    }
}
