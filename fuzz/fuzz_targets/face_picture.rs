//! Pictures given to face verification (card photos from a reader, camera frames, files) fed
//! arbitrary bytes: decoding never panics, a picture that decodes has the size it says, and the
//! frame operations the pipeline uses on it (grey, scale, mirror, crop) stay in bounds.
#![no_main]

use face_auth::frame::Frame;
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let Ok(frame) = Frame::decode(data, "fuzz") else { return };
    assert_eq!(frame.rgb().len(), frame.width() as usize * frame.height() as usize * 3);
    // Keep each run quick: huge (but valid) pictures are only decoded.
    if frame.width() as u64 * frame.height() as u64 > 1 << 20 {
        return;
    }
    let gray = frame.gray();
    assert_eq!(gray.luma().len(), frame.width() as usize * frame.height() as usize);
    let small = frame.scaled(0.5);
    assert!(small.width() >= 1 && small.height() >= 1);
    assert_eq!(frame.mirrored().mirrored().rgb(), frame.rgb());
    let _ = frame.cropped(frame.width() / 2, frame.height() / 2, frame.width(), frame.height());
    let _ = frame.sample(-5.0, f32::MAX);
});
