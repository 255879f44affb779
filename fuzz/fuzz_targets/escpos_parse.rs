//! Arbitrary bytes into the ESC/POS parser, the replay and the status decoder: never a panic, and
//! the parser's events do not depend on how the bytes are chunked (the first byte picks a chunk
//! size). Text that is valid UTF-8 is also rendered as a ticket line and must replay to exactly
//! what the renderer laid out.
#![no_main]

use device_drivers::escpos::{
    Block, Charset, Document, Event, PaperWidth, Parser, PrinterProfile, Replay, StatusRequest, TextStyle, decode_status, parse, replay_bytes,
};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let whole = parse(data);

    let chunk = usize::from(data.first().copied().unwrap_or(1)).max(1);
    let mut parser = Parser::new();
    let mut chunked = Vec::new();
    for piece in data.chunks(chunk) {
        chunked.extend(parser.push(piece));
    }
    chunked.extend(parser.finish());
    assert_eq!(chunked, whole, "chunking changed what was parsed");

    for paper in [PaperWidth::Mm58, PaperWidth::Mm80] {
        let mut replay = Replay::new(paper);
        replay.apply_all(&whole);
        let _ = replay.finish().to_text(paper);
    }

    for &byte in data.iter().take(64) {
        for request in StatusRequest::ALL {
            if let Ok(status) = decode_status(request, byte) {
                assert_eq!(decode_status(request, status.to_byte()), Ok(status));
            }
        }
    }

    if let Ok(text) = std::str::from_utf8(data) {
        let first = data.first().copied().unwrap_or(0);
        let paper = if first & 1 == 0 { PaperWidth::Mm58 } else { PaperWidth::Mm80 };
        let charset = if first & 2 == 0 { Charset::Gb18030 } else { Charset::GbkOnly };
        let style = TextStyle::default().sized(1 + (first >> 5), 1);
        let doc = Document { blocks: vec![Block::Text { text: text.to_string(), style }] };
        let profile = PrinterProfile { paper, charset, replacement: '?' };
        let rendered = doc.render(&profile).expect("text blocks with valid sizes always render");
        assert!(!parse(&rendered.bytes).iter().any(|e| matches!(e, Event::Unknown(_))));
        assert_eq!(replay_bytes(&rendered.bytes, paper), rendered.layout);
    }
});
