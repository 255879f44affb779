//! Arbitrary bytes as a printer receives them, replayed and drawn as the ticket picture the
//! simulator writes: never a panic, and the picture is the paper's width whatever arrives. Needs
//! the CJK font of scripts/system-packages (fonts-wqy-microhei).
#![no_main]

use std::sync::OnceLock;

use device_drivers::escpos::{PaperWidth, PictureOptions, TicketFont, TicketPicture, replay_bytes};
use libfuzzer_sys::fuzz_target;

fn font() -> &'static TicketFont {
    static FONT: OnceLock<TicketFont> = OnceLock::new();
    FONT.get_or_init(|| TicketFont::open_default().expect("install fonts-wqy-microhei (scripts/system-packages)"))
}

fuzz_target!(|data: &[u8]| {
    let paper = if data.first().is_some_and(|b| b & 1 == 1) { PaperWidth::Mm80 } else { PaperWidth::Mm58 };
    let picture = TicketPicture::draw(&replay_bytes(data, paper), &PictureOptions::new(paper), font());
    assert_eq!(picture.width(), paper.dots());
});
