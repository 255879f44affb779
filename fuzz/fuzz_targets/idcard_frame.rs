//! The ID-card reader's frame decoder and card decoders fed arbitrary bytes: never a panic; the
//! frames found do not depend on how the bytes were split; every frame re-encodes to itself; and
//! every card that decodes encodes back to a text block that decodes to the same card.
#![no_main]

use device_drivers::idcard::{Card, CardRead, CardSerial, Command, Frame, FrameDecoder, Response, WltPhoto, decode_appended_address};
use libfuzzer_sys::fuzz_target;

fn drain(decoder: &mut FrameDecoder, out: &mut Vec<Result<Frame, device_drivers::idcard::FrameError>>) {
    while let Some(r) = decoder.next_frame() {
        out.push(r);
    }
}

fn check_card(text: &[u8], photo: &[u8]) {
    let Ok(card) = Card::decode(text, WltPhoto(photo.to_vec())) else { return };
    let _ = format!("{card:?}");
    let encoded = card.encode_text().expect("a decoded card always fits its layout");
    let again = Card::decode(&encoded, WltPhoto(photo.to_vec())).expect("an encoded card decodes");
    assert_eq!(again, card);
}

fuzz_target!(|data: &[u8]| {
    // The first byte chooses where to split the stream and a small decoder limit, so lengths
    // near the limit are reached too.
    let (control, stream) = data.split_first().map_or((0, data), |(c, rest)| (*c, rest));
    let max_len = if control & 1 == 0 { 4096 } else { u16::from(control) };

    let mut whole = FrameDecoder::with_max_len(max_len);
    whole.push(stream);
    let mut want = Vec::new();
    drain(&mut whole, &mut want);

    let cut = usize::from(control).min(stream.len());
    let mut split = FrameDecoder::with_max_len(max_len);
    let mut got = Vec::new();
    for part in [&stream[..cut], &stream[cut..]] {
        split.push(part);
        drain(&mut split, &mut got);
    }
    assert_eq!(got, want);

    for frame in want.into_iter().flatten() {
        let mut again = FrameDecoder::new();
        again.push(&frame.encode());
        assert_eq!(again.next_frame(), Some(Ok(frame.clone())));
        let _ = Command::from_frame(&frame);
        let Ok(response) = Response::from_frame(frame) else { continue };
        assert_eq!(Response::from_frame(response.to_frame().expect("fits")).as_ref(), Ok(&response));
        let _ = format!("{response:?} {}", response.status);
        if let Ok(read) = CardRead::parse(&response.data) {
            check_card(&read.text, &read.photo);
        }
        if let Ok(read) = CardRead::parse_with_fingerprint(&response.data) {
            check_card(&read.text, &read.photo);
        }
        let _ = decode_appended_address(&response.data);
        let _ = CardSerial::from_data(&response.data);
    }

    // The card decoders on the raw bytes too, so the fuzzer need not build a frame to reach them.
    if stream.len() >= 256 {
        check_card(&stream[..256], &stream[256..]);
    }
    let _ = CardRead::parse(stream).and_then(|r| r.decode_card());
    let _ = decode_appended_address(stream);
});
