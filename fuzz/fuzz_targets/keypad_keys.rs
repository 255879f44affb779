//! Arbitrary bytes from a counter keypad into the key decoder of each framing: never a panic, the
//! same keys however the bytes are split (the first byte picks the split), garbage counted within
//! what arrived. The same bytes as text into the action and key-name parsers and a key map file.
#![no_main]

use device_drivers::keypad::{Framing, KeyDecoder, KeyMap, KeyMapConfig, KeyName, KeypadAction};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let split = usize::from(data.first().copied().unwrap_or(0)) % (data.len() + 1);
    for framing in [Framing::Plain, Framing::Lines, Framing::Stx] {
        let mut whole = KeyDecoder::new(framing);
        let keys = whole.push(data);
        let mut parts = KeyDecoder::new(framing);
        let mut split_keys = parts.push(&data[..split]);
        split_keys.extend(parts.push(&data[split..]));
        assert_eq!(keys, split_keys, "{framing:?}: splitting changed the keys");
        assert!(whole.stats().garbage_bytes <= data.len() as u64);
    }
    if let Ok(text) = std::str::from_utf8(data) {
        let _ = text.parse::<KeypadAction>();
        let _ = KeyName::new(text);
        if let Ok(config) = toml::from_str::<KeyMapConfig>(text) {
            let _ = KeyMap::from_config(&config);
        }
    }
});
