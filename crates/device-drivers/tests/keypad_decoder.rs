//! The serial keypad byte protocols, sans-IO: each framing's bytes, garbage handling, and
//! properties (any chunking decodes the same; random bytes never panic; what the keypad side
//! encodes decodes back).

use device_drivers::keypad::{DecoderStats, ETX, EncodeError, Framing, KeyDecoder, KeyName, LineEnding, STX, bcc, encode_key};
use proptest::prelude::*;

fn key(name: &str) -> KeyName {
    KeyName::new(name).expect("a valid key")
}

fn names(keys: &[KeyName]) -> Vec<&str> {
    keys.iter().map(KeyName::as_str).collect()
}

#[test]
fn plain_keys_are_single_bytes_and_line_endings_are_ignored() {
    let mut d = KeyDecoder::new(Framing::Plain);
    let keys = d.push(b"1\r\n2*# \0A");
    assert_eq!(names(&keys), ["1", "2", "*", "#", "A"]);
    assert_eq!(d.stats(), DecoderStats { keys: 5, garbage_bytes: 0 });
    // Control bytes and bytes above 0x7E are garbage, counted, and do not disturb what follows.
    let keys = d.push(&[0x1B, 0xFF, 0x80, b'3', 0x7F]);
    assert_eq!(names(&keys), ["3"]);
    assert_eq!(d.stats(), DecoderStats { keys: 6, garbage_bytes: 4 });
}

#[test]
fn lines_carry_named_keys_and_a_corrupted_line_is_dropped_whole() {
    let mut d = KeyDecoder::new(Framing::Lines);
    assert_eq!(names(&d.push(b"F1\r\nCALL\n\r\n 7 \r")), ["F1", "CALL", "7"]);
    assert_eq!(d.stats().garbage_bytes, 0);
    // A noise byte inside a line must not shorten "F1" to "1".
    assert_eq!(names(&d.push(b"F\xff1\r\n2\r\n")), ["2"]);
    assert_eq!(d.stats().garbage_bytes, 3);
    // Longer than 8 characters: garbage up to the end of the line.
    assert_eq!(names(&d.push(b"ABCDEFGHIJ\r\nOK\r\n")), ["OK"]);
    assert_eq!(d.stats().garbage_bytes, 3 + 10);
    // A key with no line end yet is not a key yet.
    assert_eq!(names(&d.push(b"F2")), Vec::<&str>::new());
    assert_eq!(names(&d.push(b"\n")), ["F2"]);
}

#[test]
fn stx_frames_are_checked_and_resynchronise_after_noise() {
    let frame = |k: &str| encode_key(Framing::Stx, &key(k), LineEnding::None).expect("encodes");
    assert_eq!(frame("F1"), vec![STX, b'F', b'1', ETX, b'F' ^ b'1']);
    let mut d = KeyDecoder::new(Framing::Stx);
    let mut stream = b"noise".to_vec();
    stream.extend(frame("1"));
    let mut bad = frame("2");
    *bad.last_mut().expect("has a checksum") ^= 0x55;
    stream.extend(&bad);
    stream.extend(frame("F12"));
    assert_eq!(names(&d.push(&stream)), ["1", "F12"]);
    assert_eq!(d.stats(), DecoderStats { keys: 2, garbage_bytes: 5 + 4 });
}

#[test]
fn an_stx_frame_cut_short_by_a_new_frame_is_dropped_and_the_new_one_kept() {
    let mut d = KeyDecoder::new(Framing::Stx);
    // A frame lost its ETX and checksum; the next frame starts.
    let mut stream = vec![STX, b'9'];
    stream.extend(encode_key(Framing::Stx, &key("5"), LineEnding::None).expect("encodes"));
    assert_eq!(names(&d.push(&stream)), ["5"]);
    assert_eq!(d.stats().garbage_bytes, 2);
    // A frame that lost only its checksum, followed by a frame: the STX is taken as the start.
    let mut stream = vec![STX, b'8', ETX];
    stream.extend(encode_key(Framing::Stx, &key("6"), LineEnding::None).expect("encodes"));
    assert_eq!(names(&d.push(&stream)), ["6"]);
}

#[test]
fn a_checksum_byte_may_be_any_value_even_stx_or_etx() {
    // 'A' ^ 'C' = 0x02 (STX) and 'A' ^ 'B' = 0x03 (ETX).
    assert_eq!(bcc(b"AC"), STX);
    assert_eq!(bcc(b"AB"), ETX);
    let mut d = KeyDecoder::new(Framing::Stx);
    let mut stream = encode_key(Framing::Stx, &key("AC"), LineEnding::None).expect("encodes");
    stream.extend(encode_key(Framing::Stx, &key("AB"), LineEnding::None).expect("encodes"));
    assert_eq!(names(&d.push(&stream)), ["AC", "AB"]);
    assert_eq!(d.stats().garbage_bytes, 0);
}

#[test]
fn the_keypad_side_refuses_what_a_framing_cannot_carry() {
    assert_eq!(encode_key(Framing::Plain, &key("F1"), LineEnding::CrLf), Err(EncodeError::KeyTooLong(key("F1"))));
    assert_eq!(encode_key(Framing::Lines, &key("F1"), LineEnding::None), Err(EncodeError::NoLineEnding));
    assert_eq!(encode_key(Framing::Plain, &key("7"), LineEnding::Cr), Ok(b"7\r".to_vec()));
    assert_eq!(encode_key(Framing::Lines, &key("F1"), LineEnding::Lf), Ok(b"F1\n".to_vec()));
}

#[test]
fn reset_forgets_a_half_received_key_but_keeps_the_counts() {
    let mut d = KeyDecoder::new(Framing::Lines);
    d.push(b"1\r\nF");
    d.reset();
    assert_eq!(names(&d.push(b"2\r\n")), ["2"]);
    assert_eq!(d.stats().keys, 2);
}

fn any_framing() -> impl Strategy<Value = Framing> {
    prop_oneof![Just(Framing::Plain), Just(Framing::Lines), Just(Framing::Stx)]
}

fn any_ending() -> impl Strategy<Value = LineEnding> {
    prop_oneof![Just(LineEnding::None), Just(LineEnding::Cr), Just(LineEnding::Lf), Just(LineEnding::CrLf)]
}

fn any_key() -> impl Strategy<Value = KeyName> {
    proptest::collection::vec(0x21u8..=0x7E, 1..=8).prop_map(|b| KeyName::new(String::from_utf8(b).expect("ASCII")).expect("valid"))
}

/// Decodes `bytes` cut at `cuts` (positions, any order, any repeats).
fn decode_in_pieces(framing: Framing, bytes: &[u8], cuts: &[usize]) -> (Vec<KeyName>, DecoderStats) {
    let mut cuts: Vec<usize> = cuts.iter().map(|c| c % (bytes.len() + 1)).collect();
    cuts.sort_unstable();
    let mut d = KeyDecoder::new(framing);
    let mut keys = Vec::new();
    let mut start = 0;
    for cut in cuts.into_iter().chain(std::iter::once(bytes.len())) {
        keys.extend(d.push(&bytes[start..cut]));
        start = cut;
    }
    (keys, d.stats())
}

proptest! {
    /// However the stream is cut into reads, the keys and counts are the same.
    #[test]
    fn any_split_decodes_the_same(framing in any_framing(), bytes in proptest::collection::vec(any::<u8>(), 0..300), cuts in proptest::collection::vec(any::<usize>(), 0..20)) {
        let whole = decode_in_pieces(framing, &bytes, &[]);
        let pieces = decode_in_pieces(framing, &bytes, &cuts);
        prop_assert_eq!(&whole, &pieces);
        let mut byte_by_byte = KeyDecoder::new(framing);
        let one: Vec<KeyName> = bytes.iter().filter_map(|&b| byte_by_byte.feed(b)).collect();
        prop_assert_eq!(one, whole.0);
    }

    /// Random bytes never panic, every key decoded is a valid key name, and no byte is counted
    /// twice.
    #[test]
    fn random_bytes_give_valid_keys_or_garbage(framing in any_framing(), bytes in proptest::collection::vec(any::<u8>(), 0..500)) {
        let mut d = KeyDecoder::new(framing);
        let keys = d.push(&bytes);
        for k in &keys {
            prop_assert!(KeyName::new(k.as_str()).is_ok());
        }
        let stats = d.stats();
        prop_assert_eq!(stats.keys, keys.len() as u64);
        prop_assert!(stats.garbage_bytes <= bytes.len() as u64);
    }

    /// What a keypad encodes decodes back, in order, with nothing counted as garbage, whatever
    /// the chunking.
    #[test]
    fn encoded_presses_decode_back(framing in any_framing(), ending in any_ending(), keys in proptest::collection::vec(any_key(), 0..20), cuts in proptest::collection::vec(any::<usize>(), 0..10)) {
        let ending = match (framing, ending) { (Framing::Lines, LineEnding::None) => LineEnding::CrLf, (_, e) => e };
        let keys: Vec<KeyName> = match framing {
            Framing::Plain => keys.into_iter().map(|k| KeyName::new(&k.as_str()[..1]).expect("valid")).collect(),
            _ => keys,
        };
        let mut bytes = Vec::new();
        for k in &keys {
            bytes.extend(encode_key(framing, k, ending).expect("encodable"));
        }
        let (decoded, stats) = decode_in_pieces(framing, &bytes, &cuts);
        prop_assert_eq!(decoded, keys);
        prop_assert_eq!(stats.garbage_bytes, 0);
    }

    /// Noise between frames never costs a frame in the stx framing: every frame after noise that
    /// holds no STX comes through.
    #[test]
    fn stx_frames_survive_noise_between_them(keys in proptest::collection::vec(any_key(), 1..10), noise in proptest::collection::vec(proptest::collection::vec(any::<u8>().prop_filter("no STX", |b| *b != STX), 0..10), 10)) {
        let mut bytes = Vec::new();
        for (k, n) in keys.iter().zip(noise.iter().cycle()) {
            bytes.extend(n);
            bytes.extend(encode_key(Framing::Stx, k, LineEnding::None).expect("encodable"));
        }
        let mut d = KeyDecoder::new(Framing::Stx);
        prop_assert_eq!(d.push(&bytes), keys);
    }
}
