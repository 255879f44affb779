//! Round trips between the encoder and the parser, and the properties the module docs promise.

use chrono::NaiveDate;
use proptest::prelude::*;

use super::command::{DLE, EOT, ESC, GS};
use super::status::{ErrorCause, OfflineCause, PaperSensor, PrinterState};
use super::text::{make_safe, text_columns, wrap};
use super::*;

fn sample_ticket() -> Ticket {
    let issued_at = NaiveDate::from_ymd_opt(2026, 11, 25).and_then(|d| d.and_hms_opt(9, 30, 5)).expect("a valid date");
    Ticket { qr: Some("https://hall.example.gov.cn/t/A012?r=1".into()), ..Ticket::sample(issued_at) }
}

fn profile(paper: PaperWidth, charset: Charset) -> PrinterProfile {
    PrinterProfile { paper, charset, replacement: '?' }
}

// ---- ticket rendering -------------------------------------------------------------------------

#[test]
fn default_ticket_round_trips_on_both_papers() {
    for paper in [PaperWidth::Mm58, PaperWidth::Mm80] {
        let rendered = TicketTemplate::default().render(&sample_ticket(), &profile(paper, Charset::Gb18030)).expect("the default template renders");
        assert!(rendered.replacements.is_empty());
        let replayed = replay_bytes(&rendered.bytes, paper);
        assert_eq!(replayed, rendered.layout, "paper {paper:?}");
        let lines = replayed.line_texts();
        for expected in
            ["徐汇区行政服务中心", "户籍办理", "A012", "您前面还有 3 人", "取号时间：2026-11-25 09:30:05", "扫码查看排队进度", "请留意叫号", "过号请重新取号"]
        {
            assert!(lines.iter().any(|l| l == expected), "{expected} missing on {paper:?}: {lines:?}");
        }
        assert_eq!(replayed.qr_payloads(), vec![b"https://hall.example.gov.cn/t/A012?r=1".as_slice()]);
        assert_eq!(replayed.items.last(), Some(&LayoutItem::Cut(Cut::Partial)));
        assert_eq!(replayed.tickets().len(), 1);
    }
}

#[test]
fn ticket_number_is_very_large_bold_and_centred() {
    let rendered = TicketTemplate::default().render(&sample_ticket(), &PrinterProfile::default()).expect("renders");
    let number = rendered
        .layout
        .items
        .iter()
        .find_map(|i| match i {
            LayoutItem::Line(l) if l.text() == "A012" => Some(l.clone()),
            _ => None,
        })
        .expect("the number is printed");
    assert_eq!(number.align, Align::Center);
    assert_eq!(number.runs[0].style, RunStyle { size: CharSize { width: 4, height: 4 }, bold: true });
    // The bytes really carry GS ! 0x33 and the GB18030 hall name.
    assert!(rendered.bytes.windows(3).any(|w| w == [GS, b'!', 0x33]));
    let hall = encoding_rs::GB18030.encode("徐汇区行政服务中心").0.into_owned();
    assert!(rendered.bytes.windows(hall.len()).any(|w| w == hall.as_slice()));
    assert!(rendered.bytes.starts_with(&[ESC, b'@', 0x1C, b'&']));
}

#[test]
fn dump_places_lines_by_alignment_and_width() {
    let rendered = TicketTemplate::default().render(&sample_ticket(), &profile(PaperWidth::Mm58, Charset::Gb18030)).expect("renders");
    let dump = rendered.layout.to_text(PaperWidth::Mm58);
    // 4 characters ×4 wide = 16 of 32 columns: 8 free on the left when centred.
    assert!(dump.contains(&format!("|{}A012{}  4x4 B\n", " ".repeat(8), " ".repeat(20))), "{dump}");
    // 18 columns ×1 wide, centred in 32: 7 on the left.
    assert!(dump.contains(&format!("|{}徐汇区行政服务中心", " ".repeat(7))), "{dump}");
    assert!(dump.contains(&format!("|{}  1x1\n", "-".repeat(32))), "{dump}");
    assert!(dump.contains("|[QR model2 6 M] https://hall.example.gov.cn/t/A012?r=1\n"), "{dump}");
    assert!(dump.ends_with("|-------- cut (partial) --------\n"), "{dump}");
}

#[test]
fn rule_fills_the_paper_width() {
    for paper in [PaperWidth::Mm58, PaperWidth::Mm80] {
        let doc = Document { blocks: vec![Block::Rule] };
        let (layout, _) = doc.layout(&profile(paper, Charset::Gb18030)).expect("lays out");
        assert_eq!(layout.line_texts(), vec!["-".repeat(paper.columns())]);
    }
}

#[test]
fn missing_optional_fields_leave_their_items_out() {
    let ticket = Ticket { ahead: None, qr: None, ..sample_ticket() };
    let doc = TicketTemplate::default().document(&ticket).expect("fills");
    assert!(!doc.blocks.iter().any(|b| matches!(b, Block::Qr(_))));
    let rendered = doc.render(&PrinterProfile::default()).expect("renders");
    let lines = rendered.layout.line_texts();
    assert!(!lines.iter().any(|l| l.contains("您前面") || l.contains("扫码")), "{lines:?}");
    assert!(lines.iter().any(|l| l == "A012"));
}

#[test]
fn templates_are_checked() {
    let mut template = TicketTemplate::default();
    assert_eq!(template.validate(), Ok(()));
    template.items.push(TemplateItem::Text { text: "{window}".into(), style: TextStyle::default() });
    assert!(matches!(template.validate(), Err(RenderError::BadPlaceholder { name, .. }) if name == "window"));
    let unclosed =
        TicketTemplate { items: vec![TemplateItem::Text { text: "号码 {number".into(), style: TextStyle::default() }], ..TicketTemplate::default() };
    assert!(matches!(unclosed.document(&sample_ticket()), Err(RenderError::BadPlaceholder { .. })));
    let bad_time = TicketTemplate { time_format: "%Y-%Q".into(), ..TicketTemplate::default() };
    assert!(matches!(bad_time.validate(), Err(RenderError::BadTimeFormat { .. })));
    assert!(matches!(bad_time.render(&sample_ticket(), &PrinterProfile::default()), Err(RenderError::BadTimeFormat { .. })));
    let braces = TicketTemplate { items: vec![TemplateItem::Text { text: "{{{number}}}".into(), style: TextStyle::default() }], ..TicketTemplate::default() };
    let doc = braces.document(&sample_ticket()).expect("escaped braces are fine");
    assert_eq!(doc.blocks, vec![Block::Text { text: "{A012}".into(), style: TextStyle::default() }]);
}

#[test]
fn bad_blocks_are_refused_with_typed_errors() {
    let p = PrinterProfile::default();
    let qr = |payload: String, module_size| Document {
        blocks: vec![Block::Qr(QrBlock { payload, module_size, error_correction: QrErrorCorrection::H, align: Align::Center })],
    };
    assert_eq!(qr(String::new(), 4).render(&p).map(|_| ()), Err(RenderError::EmptyQrPayload { block: 0 }));
    assert_eq!(qr("x".repeat(1274), 4).render(&p).map(|_| ()), Err(RenderError::QrPayloadTooLong { block: 0, len: 1274, capacity: 1273 }));
    assert!(qr("x".repeat(1273), 4).render(&p).is_ok());
    assert_eq!(qr("x".into(), 17).render(&p).map(|_| ()), Err(RenderError::QrModuleSizeOutOfRange { block: 0, module_size: 17 }));
    let big = Document { blocks: vec![Block::Text { text: "x".into(), style: TextStyle { size: CharSize { width: 9, height: 1 }, ..TextStyle::default() } }] };
    assert!(matches!(big.render(&p), Err(RenderError::SizeOutOfRange { width: 9, .. })));
    let bad_replacement = PrinterProfile { replacement: '\u{1}', ..p };
    assert!(matches!(Document::default().render(&bad_replacement), Err(RenderError::UnprintableReplacement { reason: ReplaceReason::Control, .. })));
    let emoji_in_gbk = PrinterProfile { replacement: '😀', charset: Charset::GbkOnly, ..p };
    assert!(matches!(Document::default().render(&emoji_in_gbk), Err(RenderError::UnprintableReplacement { reason: ReplaceReason::NotInGbk, .. })));
}

// ---- replacement ------------------------------------------------------------------------------

#[test]
fn unprintable_characters_are_replaced_visibly_and_reported() {
    let text = "号\u{7}码\u{200B}😀\u{E000}\u{E5E5}𠀀end";
    let gb = make_safe(text, Charset::Gb18030, '□');
    assert_eq!(gb.text, "号□码□😀□□𠀀end");
    let reasons: Vec<_> = gb.replacements.iter().map(|r| (r.position, r.original, r.reason)).collect();
    assert_eq!(
        reasons,
        vec![
            (1, '\u{7}', ReplaceReason::Control),
            (3, '\u{200B}', ReplaceReason::Invisible),
            (5, '\u{E000}', ReplaceReason::PrivateUse),
            (6, '\u{E5E5}', ReplaceReason::PrivateUse),
        ]
    );
    // U+E5E5 is also the one character the WHATWG GB18030 encoder refuses.
    assert_eq!(super::text::gb18030_bytes('\u{E5E5}'), None);
    assert_eq!(super::text::gb18030_bytes('号'), Some(vec![0xBA, 0xC5]));
    assert_eq!(super::text::gb18030_bytes('😀').map(|b| b.len()), Some(4));
    let gbk = make_safe(text, Charset::GbkOnly, '?');
    assert_eq!(gbk.text, "号?码?????end");
    assert_eq!(gbk.replacements.len(), 6);
    assert_eq!(gbk.replacements[2].reason, ReplaceReason::NotInGbk);
    assert_eq!(gbk.replacements[5], Replacement { original: '𠀀', position: 7, reason: ReplaceReason::NotInGbk });
}

#[test]
fn line_breaks_are_kept_not_replaced() {
    let safe = make_safe("一\r\n二\r三\n四", Charset::Gb18030, '?');
    assert_eq!(safe.text, "一\n二\n三\n四");
    assert!(safe.replacements.is_empty());
}

#[test]
fn replacements_reach_the_rendered_report_and_the_paper() {
    let ticket = Ticket { service: "户籍😀办理\u{1B}@".into(), ..sample_ticket() };
    let p = profile(PaperWidth::Mm80, Charset::GbkOnly);
    let rendered = TicketTemplate::default().render(&ticket, &p).expect("renders");
    let service_block = 2;
    assert_eq!(rendered.replacements.len(), 2);
    assert!(rendered.replacements.iter().all(|r| r.block == service_block));
    // The ESC inside the text must not reach the printer as a command.
    let events = parse(&rendered.bytes);
    assert!(!events.iter().any(|e| matches!(e, Event::Unknown(_))), "{events:?}");
    let replayed = replay_bytes(&rendered.bytes, PaperWidth::Mm80);
    assert!(replayed.line_texts().iter().any(|l| l == "户籍?办理?@"), "{:?}", replayed.line_texts());
    assert_eq!(replayed, rendered.layout);
}

// ---- wrapping ---------------------------------------------------------------------------------

#[test]
fn wrapping_counts_cjk_as_two_columns_and_keeps_words() {
    assert_eq!(wrap("一二三四五", 4), vec!["一二", "三四", "五"]);
    assert_eq!(wrap("一二三", 5), vec!["一二", "三"]);
    assert_eq!(wrap("please wait here", 10), vec!["please", "wait here"]);
    assert_eq!(wrap("abcdefghijkl", 5), vec!["abcde", "fghij", "kl"]);
    assert_eq!(wrap("请到3号窗口 window 3", 12), vec!["请到3号窗口", "window 3"]);
    assert_eq!(wrap("", 8), vec![""]);
}

#[test]
fn magnified_text_wraps_to_fewer_columns() {
    for (paper, per_line) in [(PaperWidth::Mm58, 8), (PaperWidth::Mm80, 12)] {
        let doc = Document { blocks: vec![Block::Text { text: "一".repeat(20), style: TextStyle::default().sized(2, 2) }] };
        let rendered = doc.render(&profile(paper, Charset::Gb18030)).expect("renders");
        let lines = rendered.layout.line_texts();
        assert_eq!(lines[0].chars().count(), per_line, "{paper:?}");
        assert_eq!(lines.concat(), "一".repeat(20));
        assert_eq!(replay_bytes(&rendered.bytes, paper), rendered.layout);
    }
}

// ---- parser -----------------------------------------------------------------------------------

#[test]
fn unknown_commands_are_kept_and_do_not_eat_text() {
    let mut bytes = vec![ESC, b'*', 0, 2, 0, 0xAA, 0x55]; // 2-column bit image
    bytes.extend_from_slice(b"ok\n");
    bytes.extend_from_slice(&[ESC, b'Z']); // not an ESC/POS command
    bytes.extend_from_slice(&[GS, b'k', 73, 3, b'1', b'2', b'3']); // CODE128 barcode
    bytes.extend_from_slice(&[0x07]);
    bytes.extend_from_slice(&[DLE, EOT, 4]);
    bytes.extend_from_slice(&[GS, b'(', b'k', 3, 0, 0x30, 0x41, 0]); // PDF417 function
    let events = parse(&bytes);
    assert_eq!(
        events,
        vec![
            Event::Unknown(vec![ESC, b'*', 0, 2, 0, 0xAA, 0x55]),
            Event::Text("ok".into()),
            Event::Command(Command::LineFeed),
            Event::Unknown(vec![ESC, b'Z']),
            Event::Unknown(vec![GS, b'k', 73, 3, b'1', b'2', b'3']),
            Event::Unknown(vec![0x07]),
            Event::Command(Command::StatusRequest(StatusRequest::PaperSensor)),
            Event::Unknown(vec![GS, b'(', b'k', 3, 0, 0x30, 0x41, 0]),
        ]
    );
}

#[test]
fn truncated_and_oversized_commands_are_reported() {
    assert_eq!(parse(&[b'a', GS, b'(', b'k', 10]), vec![Event::Text("a".into()), Event::Truncated(vec![GS, b'(', b'k', 10])]);
    // GS v 0 with 4096 × 4096 bytes of raster: far over MAX_COMMAND, so only the header is kept.
    let mut parser = Parser::new();
    let header = [GS, b'v', b'0', 0, 0x00, 0x10, 0x00, 0x10];
    assert_eq!(parser.push(&header), vec![Event::Unknown(header.to_vec())]);
    let data = vec![0u8; 1 << 20];
    let mut events = Vec::new();
    for _ in 0..16 {
        events.extend(parser.push(&data));
    }
    assert_eq!(events, vec![Event::Skipped(1 << 24)]);
    assert_eq!(parser.push(b"x\n"), vec![Event::Text("x".into()), Event::Command(Command::LineFeed)]);
}

#[test]
fn long_text_without_line_feed_is_emitted_in_bounded_runs() {
    let text = "号".repeat(3000); // 6000 bytes
    let events = parse(&encoding_rs::GB18030.encode(&text).0);
    assert_eq!(events.len(), 2);
    let joined: String = events
        .iter()
        .map(|e| match e {
            Event::Text(t) => t.as_str(),
            other => panic!("unexpected {other:?}"),
        })
        .collect();
    assert_eq!(joined, text);
}

#[test]
fn replay_follows_printer_rules() {
    let mut bytes = Vec::new();
    Command::Align(Align::Center).encode(&mut bytes);
    bytes.extend_from_slice(b"ab");
    Command::Align(Align::Right).encode(&mut bytes); // mid-line: ignored
    Command::Bold(true).encode(&mut bytes);
    bytes.extend_from_slice(b"cd");
    Command::LineFeed.encode(&mut bytes);
    bytes.extend_from_slice(b"pending");
    Command::Initialize.encode(&mut bytes); // clears the unprinted line
    bytes.extend_from_slice(&"x".repeat(40).into_bytes()); // wraps at 32 on 58 mm
    Command::Cut(Cut::Full).encode(&mut bytes);
    let layout = replay_bytes(&bytes, PaperWidth::Mm58);
    let plain = RunStyle::default();
    let bold = RunStyle { bold: true, ..plain };
    assert_eq!(
        layout.items,
        vec![
            LayoutItem::Line(Line { align: Align::Center, runs: vec![Run { style: plain, text: "ab".into() }, Run { style: bold, text: "cd".into() }] }),
            LayoutItem::Line(Line { align: Align::Left, runs: vec![Run { style: plain, text: "x".repeat(32) }] }),
            LayoutItem::Line(Line { align: Align::Left, runs: vec![Run { style: plain, text: "x".repeat(8) }] }),
            LayoutItem::Cut(Cut::Full),
        ]
    );
}

#[test]
fn tabs_stop_at_tab_stops_and_never_loop() {
    // Found by the fuzz target: a ×3 wide tab near the end of the line used to wrap forever.
    let layout = replay_bytes(&[b'&', 0, 0x80, GS, b'!', 0x21, 9, 0x17, 9, 9, b'!', 9, 0x80], PaperWidth::Mm58);
    assert!(!layout.items.is_empty());
    let layout = replay_bytes(b"ab\tc\n", PaperWidth::Mm58);
    assert_eq!(layout.line_texts(), vec![format!("ab{}c", " ".repeat(6))]);
    let layout = replay_bytes(&[b'x'; 30].iter().copied().chain(*b"\ty\n").collect::<Vec<_>>(), PaperWidth::Mm58);
    assert_eq!(layout.line_texts(), vec![format!("{}  ", "x".repeat(30)), "y".to_string()]);
    // ×3: stops every 24 columns; from column 27 the next stop (48) is off the 58 mm line.
    let wide = [GS, b'!', 0x20].iter().chain(&[b'x'; 9]).chain(b"\ty\n").copied().collect::<Vec<_>>();
    assert_eq!(replay_bytes(&wide, PaperWidth::Mm58).line_texts(), vec![format!("{}y", "x".repeat(9))]);
}

// ---- status -----------------------------------------------------------------------------------

fn report(bytes: [u8; 4]) -> StatusReport {
    let mut report = StatusReport::default();
    for (request, byte) in StatusRequest::ALL.into_iter().zip(bytes) {
        report.record(decode_status(request, byte).expect("a status byte"));
    }
    report
}

#[test]
fn each_status_state_decodes() {
    // Normal.
    let v = report([0x12, 0x12, 0x12, 0x12]).verdict();
    assert_eq!(v, Verdict { can_print: true, paper_low: false, problems: vec![] });
    // Paper near end: still prints, health warned.
    let v = report([0x12, 0x12, 0x12, 0x1E]).verdict();
    assert_eq!(v, Verdict { can_print: true, paper_low: true, problems: vec![Problem::PaperNearEnd] });
    // Paper end: offline, stopped at paper end, sensor says no paper.
    let v = report([0x1A, 0x32, 0x12, 0x7E]).verdict();
    assert_eq!(v, Verdict { can_print: false, paper_low: true, problems: vec![Problem::Offline, Problem::PaperEnd] });
    // Cover open.
    let v = report([0x1A, 0x16, 0x12, 0x12]).verdict();
    assert_eq!(v, Verdict { can_print: false, paper_low: false, problems: vec![Problem::Offline, Problem::CoverOpen] });
    // Cutter error.
    let v = report([0x1A, 0x52, 0x1A, 0x12]).verdict();
    assert_eq!(v.problems, vec![Problem::Offline, Problem::CutterError]);
    assert!(!v.can_print);
    // Error without detail.
    let mut r = StatusReport::default();
    r.record(decode_status(StatusRequest::Printer, 0x12).expect("status"));
    r.record(decode_status(StatusRequest::OfflineCause, 0x52).expect("status"));
    assert_eq!(r.verdict().problems, vec![Problem::Error]);
    // No answer at all.
    assert_eq!(StatusReport::default().verdict().problems, vec![Problem::NoAnswer]);
    assert!(!StatusReport::default().verdict().can_print);
}

#[test]
fn simulated_conditions_answer_like_real_printers() {
    let verdict = |c: PrinterCondition| report(StatusRequest::ALL.map(|r| c.answer(r))).verdict();
    assert_eq!(verdict(PrinterCondition::Normal), Verdict { can_print: true, paper_low: false, problems: vec![] });
    assert_eq!(verdict(PrinterCondition::PaperNearEnd), Verdict { can_print: true, paper_low: true, problems: vec![Problem::PaperNearEnd] });
    assert_eq!(verdict(PrinterCondition::PaperEnd), Verdict { can_print: false, paper_low: true, problems: vec![Problem::Offline, Problem::PaperEnd] });
    assert_eq!(verdict(PrinterCondition::CoverOpen), Verdict { can_print: false, paper_low: false, problems: vec![Problem::Offline, Problem::CoverOpen] });
    // The bytes a printer manual lists for these states.
    assert_eq!(StatusRequest::ALL.map(|r| PrinterCondition::PaperEnd.answer(r)), [0x1A, 0x32, 0x12, 0x7E]);
    assert_eq!(StatusRequest::ALL.map(|r| PrinterCondition::CoverOpen.answer(r)), [0x1A, 0x16, 0x12, 0x12]);
}

#[test]
fn either_bit_of_a_paper_pair_counts() {
    for byte in [0x16, 0x1A] {
        assert_eq!(decode_status(StatusRequest::PaperSensor, byte), Ok(Status::PaperSensor(PaperSensor { near_end: true, end: false })));
    }
    for byte in [0x32, 0x52] {
        assert_eq!(decode_status(StatusRequest::PaperSensor, byte), Ok(Status::PaperSensor(PaperSensor { near_end: false, end: true })));
    }
}

#[test]
fn status_bytes_without_fixed_bits_are_refused() {
    for byte in [0x00, 0xFF, 0x11, 0x13, 0x92, 0x02, 0x10] {
        for request in StatusRequest::ALL {
            assert_eq!(decode_status(request, byte), Err(StatusError::NotAStatusByte { request, byte }));
        }
    }
    // Exactly the bytes of the form 0b0xx1_xx10 decode: 16 of 256 per request.
    for request in StatusRequest::ALL {
        assert_eq!((0..=255u8).filter(|b| decode_status(request, *b).is_ok()).count(), 16);
    }
}

fn any_status() -> impl Strategy<Value = Status> {
    prop_oneof![
        any::<[bool; 4]>().prop_map(|b| Status::Printer(PrinterState {
            offline: b[0],
            drawer_pin_high: b[1],
            waiting_for_recovery: b[2],
            feed_button_pressed: b[3]
        })),
        any::<[bool; 4]>().prop_map(|b| Status::OfflineCause(OfflineCause { cover_open: b[0], feeding_by_button: b[1], paper_end_stop: b[2], error: b[3] })),
        any::<[bool; 3]>().prop_map(|b| Status::ErrorCause(ErrorCause { cutter_error: b[0], unrecoverable: b[1], auto_recoverable: b[2] })),
        any::<[bool; 2]>().prop_map(|b| Status::PaperSensor(PaperSensor { near_end: b[0], end: b[1] })),
    ]
}

// ---- properties -------------------------------------------------------------------------------

fn any_text() -> impl Strategy<Value = String> {
    let pieces = prop_oneof![
        4 => "[a-zA-Z0-9 ]{0,12}",
        4 => "[一-龥]{0,10}",
        1 => Just("😀".to_string()),
        1 => Just("𠀀".to_string()),
        1 => Just("\u{1B}\u{1D}\u{0}\t".to_string()),
        1 => Just("\n".to_string()),
        1 => Just("：，。".to_string()),
        1 => any::<char>().prop_map(String::from),
    ];
    prop::collection::vec(pieces, 0..8).prop_map(|v| v.concat())
}

fn any_style() -> impl Strategy<Value = TextStyle> {
    (0..3u8, 1..=8u8, 1..=8u8, any::<bool>()).prop_map(|(a, w, h, bold)| TextStyle {
        align: [Align::Left, Align::Center, Align::Right][usize::from(a)],
        size: CharSize { width: w, height: h },
        bold,
    })
}

fn any_block() -> impl Strategy<Value = Block> {
    prop_oneof![
        6 => (any_text(), any_style()).prop_map(|(text, style)| Block::Text { text, style }),
        1 => Just(Block::Rule),
        1 => ("[ -~]{1,80}", 1..=16u8, 0..4u8).prop_map(|(payload, module_size, ec)| Block::Qr(QrBlock {
            payload,
            module_size,
            error_correction: [QrErrorCorrection::L, QrErrorCorrection::M, QrErrorCorrection::Q, QrErrorCorrection::H][usize::from(ec)],
            align: Align::Center,
        })),
        1 => any::<u8>().prop_map(Block::Feed),
        1 => prop_oneof![Just(Cut::Full), Just(Cut::Partial), any::<u8>().prop_map(|units| Cut::FeedPartial { units })].prop_map(Block::Cut),
    ]
}

fn any_profile() -> impl Strategy<Value = PrinterProfile> {
    (any::<bool>(), any::<bool>(), prop_oneof![Just('?'), Just('□')]).prop_map(|(wide, gbk, replacement)| PrinterProfile {
        paper: if wide { PaperWidth::Mm80 } else { PaperWidth::Mm58 },
        charset: if gbk { Charset::GbkOnly } else { Charset::Gb18030 },
        replacement,
    })
}

fn split_at_points(bytes: &[u8], points: &[usize]) -> Vec<Event> {
    let mut cuts: Vec<usize> = points.iter().map(|p| p % (bytes.len() + 1)).collect();
    cuts.sort_unstable();
    let mut parser = Parser::new();
    let mut events = Vec::new();
    let mut start = 0;
    for cut in cuts {
        events.extend(parser.push(&bytes[start..cut]));
        start = cut;
    }
    events.extend(parser.push(&bytes[start..]));
    events.extend(parser.finish());
    events
}

proptest! {
    #[test]
    fn what_the_parser_reads_is_what_the_encoder_meant(
        blocks in prop::collection::vec(any_block(), 0..12),
        p in any_profile(),
    ) {
        let rendered = Document { blocks }.render(&p).expect("generated documents are valid");
        prop_assert_eq!(replay_bytes(&rendered.bytes, p.paper), rendered.layout.clone());
        let events = parse(&rendered.bytes);
        prop_assert!(!events.iter().any(|e| matches!(e, Event::Unknown(_) | Event::Truncated(_) | Event::Skipped(_))), "{:?}", events);
        for item in &rendered.layout.items {
            if let LayoutItem::Line(line) = item {
                prop_assert!(line.columns() <= p.paper.columns(), "line too wide: {:?}", line);
            }
        }
    }

    #[test]
    fn any_chunking_of_encoder_output_parses_the_same(
        blocks in prop::collection::vec(any_block(), 0..8),
        p in any_profile(),
        points in prop::collection::vec(any::<usize>(), 0..20),
    ) {
        let rendered = Document { blocks }.render(&p).expect("generated documents are valid");
        prop_assert_eq!(split_at_points(&rendered.bytes, &points), parse(&rendered.bytes));
    }

    #[test]
    fn random_bytes_never_panic_and_chunking_does_not_matter(
        bytes in prop::collection::vec(any::<u8>(), 0..600),
        points in prop::collection::vec(any::<usize>(), 0..10),
    ) {
        let whole = parse(&bytes);
        prop_assert_eq!(split_at_points(&bytes, &points), whole.clone());
        let mut replay = Replay::new(PaperWidth::Mm58);
        replay.apply_all(&whole);
        let layout = replay.finish();
        let _ = layout.to_text(PaperWidth::Mm58);
        for request in StatusRequest::ALL {
            for b in &bytes {
                let _ = decode_status(request, *b);
            }
        }
    }

    #[test]
    fn random_command_streams_parse_back(commands in prop::collection::vec(any_command(), 0..20)) {
        let mut bytes = Vec::new();
        for c in &commands {
            c.encode(&mut bytes);
        }
        let expected: Vec<Event> = commands.into_iter().map(Event::Command).collect();
        prop_assert_eq!(parse(&bytes), expected);
    }

    #[test]
    fn status_bytes_round_trip(status in any_status()) {
        let byte = status.to_byte();
        prop_assert_eq!(decode_status(status.request(), byte), Ok(status));
    }

    #[test]
    fn wrapped_lines_fit_and_lose_only_break_spaces(text in "[a-z 一-龥]{0,80}", columns in 2..50usize) {
        let lines = wrap(&text, columns);
        for line in &lines {
            prop_assert!(text_columns(line) <= columns, "{:?} wider than {}", line, columns);
        }
        let squeeze = |s: &str| s.chars().filter(|c| *c != ' ').collect::<String>();
        prop_assert_eq!(squeeze(&lines.concat()), squeeze(&text));
    }

    #[test]
    fn safe_text_has_only_printable_characters(text in any::<String>(), gbk in any::<bool>()) {
        let charset = if gbk { Charset::GbkOnly } else { Charset::Gb18030 };
        let safe = make_safe(&text, charset, '?');
        prop_assert!(safe.text.chars().all(|c| c == '\n' || super::text::unprintable_reason(c, charset).is_none()));
        let replaced = safe.text.chars().filter(|c| *c == '?').count() - text.chars().filter(|c| *c == '?').count();
        prop_assert_eq!(replaced, safe.replacements.len());
        // No byte the printer would read as a command, apart from the line breaks.
        prop_assert!(text::encode_safe(&safe.text).iter().all(|b| *b >= 0x20 || *b == b'\n'));
    }
}

fn any_command() -> impl Strategy<Value = Command> {
    prop_oneof![
        Just(Command::Initialize),
        Just(Command::LineFeed),
        Just(Command::CarriageReturn),
        Just(Command::Tab),
        prop_oneof![Just(Align::Left), Just(Align::Center), Just(Align::Right)].prop_map(Command::Align),
        (1..=8u8, 1..=8u8).prop_map(|(w, h)| Command::Size(CharSize { width: w, height: h })),
        any::<bool>().prop_map(Command::Bold),
        any::<bool>().prop_map(Command::ChineseMode),
        any::<bool>().prop_map(Command::ChineseQuadruple),
        any::<u8>().prop_map(Command::CodeTable),
        any::<u8>().prop_map(Command::Feed),
        prop_oneof![Just(QrModel::Model1), Just(QrModel::Model2), Just(QrModel::Micro)].prop_map(Command::QrModel),
        (1..=16u8).prop_map(Command::QrModuleSize),
        prop_oneof![Just(QrErrorCorrection::L), Just(QrErrorCorrection::H)].prop_map(Command::QrErrorCorrection),
        prop::collection::vec(any::<u8>(), 0..300).prop_map(Command::QrStore),
        Just(Command::QrPrint),
        prop_oneof![
            Just(Cut::Full),
            Just(Cut::Partial),
            any::<u8>().prop_map(|units| Cut::FeedFull { units }),
            any::<u8>().prop_map(|units| Cut::FeedPartial { units }),
        ]
        .prop_map(Command::Cut),
        prop::sample::select(StatusRequest::ALL.to_vec()).prop_map(Command::StatusRequest),
    ]
}

/// The default ticket on 58 mm, looked at once and kept: a change to the template or the layout
/// shows up here as a diff.
#[test]
fn default_ticket_dump_on_58mm_is_the_golden_one() {
    let r = TicketTemplate::default().render(&sample_ticket(), &profile(PaperWidth::Mm58, Charset::Gb18030)).expect("renders");
    let golden = "\
|       徐汇区行政服务中心         1x2 B
|--------------------------------  1x1
|        户籍办理                  2x2
|~~ feed 1 ~~
|        A012                      4x4 B
|~~ feed 1 ~~
|        您前面还有 3 人           1x1
| 取号时间：2026-11-25 09:30:05    1x1
|~~ feed 1 ~~
|[QR model2 6 M] https://hall.example.gov.cn/t/A012?r=1
|~~ feed 1 ~~
|        扫码查看排队进度          1x1
|--------------------------------  1x1
|           请留意叫号             1x1
|         过号请重新取号           1x1
|~~ feed 4 ~~
|-------- cut (partial) --------
";
    assert_eq!(r.layout.to_text(PaperWidth::Mm58), golden);
    assert_eq!(replay_bytes(&r.bytes, PaperWidth::Mm58).to_text(PaperWidth::Mm58), golden);
}
