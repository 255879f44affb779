//! Ticket pictures through the real path: the bytes the driver sends → parser → replay → picture.
//!
//! Golden PNGs in tests/golden/ are compared byte for byte; after looking at a change, regenerate
//! them with `HALLKIT_BLESS=1 cargo test -p device-drivers --test ticket_picture`.

use std::io::Cursor;
use std::path::{Path, PathBuf};
use std::sync::OnceLock;

use chrono::NaiveDate;
use device_drivers::escpos::render::{CELL_HEIGHT, CUT_MARK_HEIGHT, DEFAULT_LINE_SPACING, FONT_PACKAGE, HALF_CELL_WIDTH};
use device_drivers::escpos::{
    Align, CharSize, Charset, Cut, Layout, LayoutItem, Line, PaperWidth, PictureError, PictureOptions, PrinterProfile, QrErrorCorrection, QrModel, QrSymbol,
    ReplaceReason, Run, RunStyle, Ticket, TicketFont, TicketPicture, TicketTemplate, replay_bytes,
};

fn font() -> &'static TicketFont {
    static FONT: OnceLock<TicketFont> = OnceLock::new();
    FONT.get_or_init(|| TicketFont::open_default().unwrap_or_else(|e| panic!("{e}")))
}

fn issued_at() -> chrono::NaiveDateTime {
    NaiveDate::from_ymd_opt(2026, 11, 25).and_then(|d| d.and_hms_opt(9, 30, 5)).expect("a valid date")
}

fn profile(paper: PaperWidth) -> PrinterProfile {
    PrinterProfile { paper, ..PrinterProfile::default() }
}

/// The real path: render to the bytes the driver sends, parse and replay them as the simulator
/// does, and draw what the replay holds.
fn picture_of(ticket: &Ticket, profile: &PrinterProfile) -> TicketPicture {
    let rendered = TicketTemplate::default().render(ticket, profile).expect("renders");
    let layout = replay_bytes(&rendered.bytes, profile.paper);
    assert_eq!(layout, rendered.layout, "the replay reads back what was meant");
    TicketPicture::draw(&layout, &PictureOptions::new(profile.paper), font())
}

fn check_golden(name: &str, png: &[u8]) {
    let path: PathBuf = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/golden").join(name);
    if std::env::var_os("HALLKIT_BLESS").is_some() {
        std::fs::write(&path, png).expect("writes the golden picture");
        return;
    }
    let expected = std::fs::read(&path).unwrap_or_else(|e| panic!("{}: {e}; create it with HALLKIT_BLESS=1 (and look at it)", path.display()));
    if expected != png {
        let actual = std::env::temp_dir().join(format!("actual-{name}"));
        let _ = std::fs::write(&actual, png);
        panic!(
            "{name} differs from the golden picture (the new one is at {}); look at both, and if the change is right regenerate with `HALLKIT_BLESS=1 cargo test -p device-drivers --test ticket_picture`",
            actual.display()
        );
    }
}

/// Decodes a PNG back to dots (true = ink).
fn dots_of(png_bytes: &[u8]) -> (usize, usize, Vec<bool>) {
    let mut decoder = png::Decoder::new(Cursor::new(png_bytes));
    decoder.set_transformations(png::Transformations::EXPAND);
    let mut reader = decoder.read_info().expect("a PNG");
    let mut buf = vec![0; reader.output_buffer_size().expect("fits in memory")];
    let info = reader.next_frame(&mut buf).expect("one frame");
    assert_eq!(info.color_type, png::ColorType::Grayscale);
    let (w, h) = (info.width as usize, info.height as usize);
    let dots = buf[..w * h].iter().map(|&v| v < 128).collect();
    (w, h, dots)
}

/// What a phone would read: every QR code rqrr finds in the PNG.
fn scan(png_bytes: &[u8]) -> Vec<String> {
    let (w, h, dots) = dots_of(png_bytes);
    let mut image = rqrr::PreparedImage::prepare_from_bitmap(w, h, |x, y| dots[y * w + x]);
    image.detect_grids().iter().map(|g| g.decode().map(|(_, text)| text).unwrap_or_else(|e| format!("undecodable: {e:?}"))).collect()
}

/// Ink bounding box (x0, y0, x1, y1), exclusive ends.
fn ink_box(p: &TicketPicture) -> Option<(u32, u32, u32, u32)> {
    let mut b: Option<(u32, u32, u32, u32)> = None;
    for y in 0..p.height() {
        for x in 0..p.width() {
            if p.is_inked(x, y) {
                b = Some(match b {
                    None => (x, y, x + 1, y + 1),
                    Some((x0, y0, x1, y1)) => (x0.min(x), y0.min(y), x1.max(x + 1), y1.max(y + 1)),
                });
            }
        }
    }
    b
}

fn line(align: Align, text: &str, width: u8, height: u8, bold: bool) -> LayoutItem {
    let style = RunStyle { size: CharSize::new(width, height).expect("a valid size"), bold };
    LayoutItem::Line(Line { align, runs: vec![Run { style, text: text.into() }] })
}

fn draw(items: Vec<LayoutItem>, paper: PaperWidth) -> TicketPicture {
    TicketPicture::draw(&Layout { items }, &PictureOptions::new(paper), font())
}

#[test]
fn default_ticket_80mm_matches_golden() {
    let picture = picture_of(&Ticket::sample(issued_at()), &profile(PaperWidth::Mm80));
    assert_eq!(picture.width(), 576);
    check_golden("ticket-default-80mm.png", &picture.to_png().expect("encodes"));
}

#[test]
fn default_ticket_58mm_matches_golden() {
    let picture = picture_of(&Ticket::sample(issued_at()), &profile(PaperWidth::Mm58));
    assert_eq!(picture.width(), 384);
    check_golden("ticket-default-58mm.png", &picture.to_png().expect("encodes"));
}

#[test]
fn a_phone_reads_the_qr_payload_back_from_the_png() {
    for paper in [PaperWidth::Mm58, PaperWidth::Mm80] {
        let ticket = Ticket { qr: Some("https://hall.example.gov.cn/t/A012?r=1".into()), ..Ticket::sample(issued_at()) };
        // The template as shipped: its QR item feeds a quiet zone above and below the symbol,
        // since printers add none ("the user must secure the quiet zone", GS ( k fn 181).
        let rendered = TicketTemplate::default().render(&ticket, &profile(paper)).expect("renders");
        let layout = replay_bytes(&rendered.bytes, paper);
        let png = TicketPicture::draw(&layout, &PictureOptions::new(paper), font()).to_png().expect("encodes");
        assert_eq!(scan(&png), vec!["https://hall.example.gov.cn/t/A012?r=1".to_string()], "{paper:?}");
    }
    // Every error-correction level and a bigger module, centred and right-aligned.
    for (level, module_size, align) in
        [(QrErrorCorrection::L, 3, Align::Left), (QrErrorCorrection::Q, 8, Align::Center), (QrErrorCorrection::H, 4, Align::Right)]
    {
        let payload = format!("https://example.org/hallkit/rate?t=B{module_size}");
        let qr = QrSymbol { align, model: QrModel::Model2, module_size, error_correction: level, payload: payload.clone().into_bytes() };
        let items = vec![LayoutItem::Feed(2), LayoutItem::Qr(qr), LayoutItem::Feed(2)];
        let png = draw(items, PaperWidth::Mm80).to_png().expect("encodes");
        assert_eq!(scan(&png), vec![payload], "{level:?}");
    }
}

#[test]
fn a_ticket_without_a_link_has_no_qr() {
    let png = picture_of(&Ticket { qr: None, ..Ticket::sample(issued_at()) }, &profile(PaperWidth::Mm80)).to_png().expect("encodes");
    assert!(scan(&png).is_empty());
}

#[test]
fn a_character_gb18030_cannot_carry_prints_as_the_visible_replacement() {
    // U+E5E5 has no GB18030 bytes (WHATWG encoding standard): the renderer replaces it with the
    // profile's replacement character, and that is what reaches paper.
    let profile = profile(PaperWidth::Mm80);
    let bad = Ticket { hall: "徐汇区\u{E5E5}中心".into(), ..Ticket::sample(issued_at()) };
    let rendered = TicketTemplate::default().render(&bad, &profile).expect("renders");
    assert_eq!(rendered.replacements.len(), 1);
    assert_eq!(rendered.replacements[0].replacement.original, '\u{E5E5}');
    let with_mark = Ticket { hall: "徐汇区?中心".into(), ..Ticket::sample(issued_at()) };
    let dropped = Ticket { hall: "徐汇区中心".into(), ..Ticket::sample(issued_at()) };
    let picture = picture_of(&bad, &profile);
    assert_eq!(picture, picture_of(&with_mark, &profile), "the replacement prints exactly as a '?' would");
    assert_ne!(picture, picture_of(&dropped, &profile), "the character is not silently dropped");
    // The '?' cell itself has ink: the title is 5 + 1 columns... find the ×1×2 bold title line:
    // 徐汇区?中心 is 11 columns = 132 dots, centred on 576: the '?' is the 7th column.
    let left = (576 - 11 * HALF_CELL_WIDTH) / 2 + 6 * HALF_CELL_WIDTH;
    let inked = (0..2 * CELL_HEIGHT).flat_map(|y| (left..left + HALF_CELL_WIDTH).map(move |x| (x, y))).filter(|&(x, y)| picture.is_inked(x, y)).count();
    assert!(inked > 20, "the replacement character is visible ({inked} dots)");

    // A GBK-only printer: a four-byte character becomes the replacement too, and is reported.
    let gbk = PrinterProfile { charset: Charset::GbkOnly, replacement: '□', ..profile };
    let ext_b = Ticket { service: "户籍\u{20000}".into(), ..Ticket::sample(issued_at()) };
    let rendered = TicketTemplate::default().render(&ext_b, &gbk).expect("renders");
    assert_eq!(rendered.replacements[0].replacement.reason, ReplaceReason::NotInGbk);
    assert_eq!(picture_of(&ext_b, &gbk), picture_of(&Ticket { service: "户籍□".into(), ..Ticket::sample(issued_at()) }, &gbk));
}

#[test]
fn a_character_the_font_lacks_prints_as_a_box_not_a_blank() {
    // U+20000 (CJK extension B) is valid GB18030 (four bytes), so a GB18030 printer gets it; the
    // WenQuanYi font has no glyph for it, and a blank would hide that something was there.
    let c = '\u{20000}';
    assert!(!font().has_glyph(c), "this test needs a character the font lacks");
    let picture = draw(vec![line(Align::Left, &c.to_string(), 1, 1, false)], PaperWidth::Mm58);
    let (x0, y0, x1, y1) = ink_box(&picture).expect("something is printed");
    assert!(x1 - x0 >= 20 && y1 - y0 >= 16, "a box fills most of the 24×24 cell: {:?}", (x0, y0, x1, y1));
    assert!(!picture.is_inked(12, 12), "the box is hollow");
}

#[test]
fn sizes_alignment_bold_and_spacing_follow_the_printer() {
    let paper = PaperWidth::Mm80;
    // ×1 half-width digit: inside its 12×24 cell at the left edge.
    let one = draw(vec![line(Align::Left, "8", 1, 1, false)], paper);
    let (x0, y0, x1, y1) = ink_box(&one).expect("ink");
    assert!(x1 <= HALF_CELL_WIDTH && y1 <= CELL_HEIGHT, "{:?}", (x0, y0, x1, y1));
    assert_eq!(one.height(), DEFAULT_LINE_SPACING, "a ×1 line feeds one line spacing");
    // ×4 magnifies by whole dots: the same glyph, 4 times as wide and tall.
    let big = draw(vec![line(Align::Left, "8", 4, 4, false)], paper);
    assert_eq!(ink_box(&big), Some((4 * x0, 4 * y0, 4 * x1, 4 * y1)));
    assert_eq!(big.height(), 4 * CELL_HEIGHT, "a line taller than the spacing feeds its own height");
    for y in 0..4 * CELL_HEIGHT {
        for x in 0..4 * HALF_CELL_WIDTH {
            assert_eq!(big.is_inked(x, y), one.is_inked(x / 4, y / 4), "dot ({x}, {y})");
        }
    }
    // Centre and right: "A012" at ×4 is 4 × 48 = 192 dots wide.
    let centred = ink_box(&draw(vec![line(Align::Center, "A012", 4, 4, true)], paper)).expect("ink");
    assert!(centred.0 >= (576 - 192) / 2 && centred.2 <= (576 + 192) / 2, "{centred:?}");
    let right = ink_box(&draw(vec![line(Align::Right, "号", 1, 1, false)], paper)).expect("ink");
    assert!(right.0 >= 576 - 24 && right.2 <= 576, "{right:?}");
    // Bold strikes each dot again one to the right: more ink, one dot wider.
    let plain = draw(vec![line(Align::Left, "号", 1, 1, false)], paper);
    let bold = draw(vec![line(Align::Left, "号", 1, 1, true)], paper);
    assert!(bold.inked_dots() > plain.inked_dots());
    for y in 0..CELL_HEIGHT {
        for x in 0..23 {
            if plain.is_inked(x, y) {
                assert!(bold.is_inked(x, y) && bold.is_inked(x + 1, y), "dot ({x}, {y})");
            }
        }
    }
    // Lines follow each other by the line spacing; feeds move the paper by whole lines; taller
    // characters on a line stand on the same bottom edge.
    let two = draw(vec![line(Align::Left, "8", 1, 1, false), LayoutItem::Feed(3), line(Align::Left, "8", 1, 1, false)], paper);
    assert_eq!(two.height(), 5 * DEFAULT_LINE_SPACING);
    for y in 0..CELL_HEIGHT {
        for x in 0..HALF_CELL_WIDTH {
            assert_eq!(two.is_inked(x, y + 4 * DEFAULT_LINE_SPACING), one.is_inked(x, y));
        }
    }
    let mixed = Line {
        align: Align::Left,
        runs: vec![
            Run { style: RunStyle { size: CharSize::new(1, 1).expect("size"), bold: false }, text: "8".into() },
            Run { style: RunStyle { size: CharSize::new(1, 3).expect("size"), bold: false }, text: "8".into() },
        ],
    };
    let mixed = draw(vec![LayoutItem::Line(mixed)], paper);
    assert_eq!(mixed.height(), 3 * CELL_HEIGHT);
    for y in 0..CELL_HEIGHT {
        for x in 0..HALF_CELL_WIDTH {
            assert_eq!(mixed.is_inked(x, y + 2 * CELL_HEIGHT), one.is_inked(x, y), "the small one sits on the bottom edge");
        }
    }
}

#[test]
fn a_cut_is_a_dashed_line_across_the_paper() {
    let picture = draw(vec![line(Align::Left, "A", 1, 1, false), LayoutItem::Cut(Cut::Partial), line(Align::Left, "B", 1, 1, false)], PaperWidth::Mm58);
    assert_eq!(picture.height(), 2 * DEFAULT_LINE_SPACING + CUT_MARK_HEIGHT);
    let row = DEFAULT_LINE_SPACING + CUT_MARK_HEIGHT / 2;
    let inked = (0..384).filter(|&x| picture.is_inked(x, row)).count();
    assert!(inked > 384 / 2 && inked < 384, "dashed, not solid: {inked} of 384");
    assert!(picture.is_inked(0, row) && picture.is_inked(383, row), "from edge to edge");
    assert!(ink_box(&draw(vec![LayoutItem::Cut(Cut::Full)], PaperWidth::Mm58)).is_some_and(|b| b.1 > 0 && b.3 < CUT_MARK_HEIGHT));
}

#[test]
fn a_qr_symbol_follows_its_module_size_and_a_symbol_too_wide_is_not_printed() {
    let qr = |module_size, payload: &str| {
        LayoutItem::Qr(QrSymbol { align: Align::Left, model: QrModel::Model2, module_size, error_correction: QrErrorCorrection::M, payload: payload.into() })
    };
    // "hallkit" fits version 1 (21 modules) at M.
    let small = draw(vec![qr(5, "hallkit")], PaperWidth::Mm58);
    assert_eq!(small.height(), 21 * 5);
    assert_eq!(ink_box(&small), Some((0, 0, 21 * 5, 21 * 5)), "finder patterns reach the symbol's corners");
    // 300 bytes at 16 dots a module is far wider than 384 dots: the printer prints nothing.
    let too_wide = draw(vec![qr(16, &"x".repeat(300))], PaperWidth::Mm58);
    assert_eq!(too_wide.inked_dots(), 0);
}

#[test]
fn the_same_layout_gives_the_same_png_bytes() {
    let profile = profile(PaperWidth::Mm58);
    let a = picture_of(&Ticket::sample(issued_at()), &profile).to_png().expect("encodes");
    let b = picture_of(&Ticket::sample(issued_at()), &profile).to_png().expect("encodes");
    assert_eq!(a, b);
    let (w, h, dots) = dots_of(&a);
    let picture = picture_of(&Ticket::sample(issued_at()), &profile);
    assert_eq!((w as u32, h as u32), (picture.width(), picture.height()));
    assert!(dots.iter().enumerate().all(|(i, &d)| d == picture.is_inked((i % w) as u32, (i / w) as u32)), "the PNG holds the dots");
}

#[test]
fn a_missing_font_names_the_package_to_install() {
    let dir = tempfile::tempdir().expect("a temporary folder");
    let err = TicketFont::open(dir.path().join("no-such-font.ttc")).expect_err("missing");
    assert!(matches!(err, PictureError::FontMissing { .. }), "{err:?}");
    assert!(err.to_string().contains(FONT_PACKAGE) && err.to_string().contains("apt install"), "{err}");
    let not_a_font = dir.path().join("notes.ttf");
    std::fs::write(&not_a_font, b"this is not a font").expect("writes");
    let err = TicketFont::open(&not_a_font).expect_err("not a font");
    assert!(matches!(err, PictureError::FontInvalid { .. }), "{err:?}");
    let err =
        TicketPicture::draw(&Layout::default(), &PictureOptions::default(), font()).save_png(dir.path().join("no/such/folder/t.png")).expect_err("no folder");
    assert!(matches!(err, PictureError::Write { .. }), "{err:?}");
}

#[test]
fn a_runaway_feed_is_cut_off_at_the_longest_picture() {
    use device_drivers::escpos::render::MAX_PICTURE_HEIGHT;
    // 100,000 × ESC d 255 without a cut: 765 million dots of paper; drawn, it stops at 2 m.
    let mut items = vec![line(Align::Left, "A", 1, 1, false)];
    items.extend(std::iter::repeat_n(LayoutItem::Feed(255), 100_000));
    items.push(line(Align::Left, "Z", 1, 1, false));
    items.push(LayoutItem::Cut(Cut::Full));
    let picture = draw(items, PaperWidth::Mm80);
    assert_eq!(picture.height(), MAX_PICTURE_HEIGHT);
    assert!(picture.is_truncated());
    assert!(!draw(vec![line(Align::Left, "A", 1, 1, false)], PaperWidth::Mm80).is_truncated());
    assert_eq!(ink_box(&picture).map(|b| b.3), Some(ink_box(&draw(vec![line(Align::Left, "A", 1, 1, false)], PaperWidth::Mm80)).expect("ink").3));
}
