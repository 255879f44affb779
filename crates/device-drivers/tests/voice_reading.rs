//! How announcements are read: templates, ticket and window numbers, pinyin.

use device_drivers::voice::reading::{Spoken, read_text};
use device_drivers::voice::{Call, Language, Template, TemplateError, Templates, VoiceError, read_number, read_ticket};
use proptest::prelude::*;

fn call(ticket: &str, window: u32) -> Call {
    Call::new(ticket, window).expect("valid call")
}

fn zh(n: u32) -> String {
    read_number(n, Language::Zh).espeak_text()
}

fn en(n: u32) -> String {
    read_number(n, Language::En).espeak_text()
}

#[test]
fn whole_chinese_announcement_becomes_tone_numbered_pinyin() {
    let t = Template::parse(Template::ZH).unwrap();
    let c = call("A012", 3);
    assert_eq!(t.text(&c), "请A012号到3号窗口办理");
    assert_eq!(t.script(&c, Language::Zh).espeak_text(), "qing3 A ling2 yi1 er4 hao4 dao4 san1 hao4 chuang1 kou3 ban4 li3");
}

#[test]
fn chinese_announcement_clips_follow_the_pack_layout() {
    let t = Template::parse(Template::ZH).unwrap();
    let s = t.script(&call("A012", 12), Language::Zh);
    let clips: Vec<String> = s.units.iter().filter_map(Spoken::clip).collect();
    assert_eq!(
        clips,
        [
            "words/qing3.wav",
            "letters/A.wav",
            "digits/0.wav",
            "digits/1.wav",
            "digits/2.wav",
            "words/hao4.wav",
            "words/dao4.wav",
            "words/shi2.wav",
            "digits/2.wav",
            "words/hao4.wav",
            "words/chuang1.wav",
            "words/kou3.wav",
            "words/ban4.wav",
            "words/li3.wav",
        ]
    );
    // The de-duplicated list a pack must hold for this call.
    assert_eq!(s.clips().len(), 12);
}

#[test]
fn english_announcement_spells_the_prefix_and_reads_the_window_as_a_number() {
    let t = Template::parse(Template::EN).unwrap();
    let c = call("A012", 12);
    assert_eq!(t.text(&c), "Number A012, please go to window 12.");
    assert_eq!(t.script(&c, Language::En).espeak_text(), "number [[eI]] zero one two, please go to window twelve");
}

#[test]
fn tickets_are_read_digit_by_digit() {
    assert_eq!(read_ticket("A012", Language::Zh).espeak_text(), "A ling2 yi1 er4");
    assert_eq!(read_ticket("B1024", Language::Zh).espeak_text(), "B yi1 ling2 er4 si4");
    assert_eq!(read_ticket("A012", Language::En).espeak_text(), "[[eI]] zero one two");
}

#[test]
fn offline_fallback_tickets_pause_at_the_dashes() {
    let s = read_ticket("A-3-017", Language::Zh);
    assert_eq!(s.units, [Spoken::Letter('A'), Spoken::Pause, Spoken::Digit(3), Spoken::Pause, Spoken::Digit(0), Spoken::Digit(1), Spoken::Digit(7)]);
    assert_eq!(s.espeak_text(), "A, san1, ling2 yi1 qi1");
}

#[test]
fn chinese_window_numbers() {
    let cases = [
        (0, "ling2"),
        (3, "san1"),
        (10, "shi2"),
        (12, "shi2 er4"),
        (20, "er4 shi2"),
        (21, "er4 shi2 yi1"),
        (99, "jiu3 shi2 jiu3"),
        (100, "yi1 bai3"),
        (105, "yi1 bai3 ling2 wu3"),
        (110, "yi1 bai3 yi1 shi2"),
        (1001, "yi1 qian1 ling2 yi1"),
        (1010, "yi1 qian1 ling2 yi1 shi2"),
        (2300, "er4 qian1 san1 bai3"),
        (12345, "yi1 er4 san1 si4 wu3"),
    ];
    for (n, want) in cases {
        assert_eq!(zh(n), want, "window {n}");
    }
}

#[test]
fn english_window_numbers() {
    let cases = [
        (0, "zero"),
        (7, "seven"),
        (12, "twelve"),
        (19, "nineteen"),
        (20, "twenty"),
        (42, "forty two"),
        (100, "one hundred"),
        (105, "one hundred five"),
        (1200, "one thousand two hundred"),
        (10001, "one zero zero zero one"),
    ];
    for (n, want) in cases {
        assert_eq!(en(n), want, "window {n}");
    }
}

#[test]
fn free_text_reads_hanzi_letters_numbers_and_reports_what_it_cannot_say() {
    let mut s = read_text("请B区12号窗口，取号A-3-017！😀", Language::Zh);
    s.tidy_pauses();
    assert_eq!(s.espeak_text(), "qing3 B qu1 shi2 er4 hao4 chuang1 kou3, qu3 hao4 A, san1, ling2 yi1 qi1");
    assert_eq!(s.skipped, ['😀']);

    let mut s = read_text("Testing the hall speaker, 1 2 3.", Language::En);
    s.tidy_pauses();
    assert_eq!(s.espeak_text(), "testing the hall speaker, one two three");
}

#[test]
fn bad_templates_are_typed_errors() {
    assert!(matches!(
        Template::parse("请{ticket}号到{counter}号窗口"),
        Err(TemplateError::UnknownPlaceholder { name, .. }) if name == "counter"
    ));
    assert!(matches!(Template::parse("请{ticket号"), Err(TemplateError::UnbalancedBrace { at: 1, .. })));
    assert!(matches!(Template::parse("请}{ticket}"), Err(TemplateError::UnbalancedBrace { at: 1, .. })));
    assert!(matches!(Template::parse("请到{window}号窗口"), Err(TemplateError::NoTicket { .. })));
    // A template without a window is allowed (a single-window hall).
    assert_eq!(Template::parse("{ticket}号请办理").unwrap().text(&call("C001", 9)), "C001号请办理");
}

#[test]
fn templates_load_from_config_and_bad_ones_are_refused() {
    #[derive(serde::Deserialize)]
    struct Config {
        templates: Templates,
    }
    let ok: Config = toml::from_str(
        r#"
        [templates]
        languages = ["zh", "en"]
        [templates.by_language]
        zh = "请{ticket}号到{window}号窗口"
        en = "Ticket {ticket}, window {window}."
        "#,
    )
    .unwrap();
    ok.templates.check().unwrap();
    assert_eq!(ok.templates.get(Language::Zh).unwrap().text(&call("A001", 2)), "请A001号到2号窗口");

    let bad = toml::from_str::<Config>("[templates.by_language]\nzh = \"请{tickte}号\"\n");
    let message = bad.err().map(|e| e.to_string()).unwrap_or_default();
    assert!(message.contains("unknown placeholder {tickte}"), "{message}");

    let missing = Templates { languages: vec![Language::En], by_language: Default::default() };
    assert_eq!(missing.check(), Err(TemplateError::MissingLanguage(Language::En)));
}

#[test]
fn ticket_numbers_are_checked() {
    for good in ["A012", "B1024", "A-3-017", "Z-12-001"] {
        assert!(Call::new(good, 1).is_ok(), "{good}");
    }
    for bad in ["", "a012", "A", "A-3", "A-3-", "A--017", "AB12", "A01x", "A 12"] {
        assert!(matches!(Call::new(bad, 1), Err(VoiceError::BadTicket(_))), "{bad:?}");
    }
}

proptest! {
    #[test]
    fn reading_free_text_never_panics(text in "\\PC{0,40}", zh in any::<bool>()) {
        let language = if zh { Language::Zh } else { Language::En };
        let s = read_text(&text, language);
        let _ = s.espeak_text();
    }

    #[test]
    fn parsing_templates_never_panics(text in "[{}a-z请号]{0,24}") {
        let _ = Template::parse(&text);
    }

    #[test]
    fn every_leased_ticket_reads_one_digit_per_digit(prefix in proptest::char::range('A', 'Z'), n in 0u32..100_000) {
        let ticket = format!("{prefix}{n:03}");
        let s = read_ticket(&ticket, Language::Zh);
        prop_assert_eq!(s.units.len(), ticket.len());
        prop_assert_eq!(&s.units[0], &Spoken::Letter(prefix));
        prop_assert!(s.units[1..].iter().all(|u| matches!(u, Spoken::Digit(_))));
    }

    #[test]
    fn window_numbers_below_ten_thousand_use_every_nonzero_digit(n in 1u32..10_000) {
        // Each non-zero digit of the number is said (except the 1 of 十 in 10–19).
        let s = read_number(n, Language::Zh);
        let said: Vec<u8> = s.units.iter().filter_map(|u| match u { Spoken::Digit(d) if *d != 0 => Some(*d), _ => None }).collect();
        let mut want: Vec<u8> = n.to_string().bytes().map(|b| b - b'0').filter(|&d| d != 0).collect();
        if (10..20).contains(&n) {
            want.remove(0);
        }
        prop_assert_eq!(said, want);
    }
}

#[test]
fn the_configuration_example_in_docs_voice_md_loads() {
    use device_drivers::voice::{EngineChoice, VoiceConfig};
    let doc = std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/../../docs/voice.md")).unwrap();
    let section = &doc[doc.find("## Configuration").expect("a Configuration section")..];
    let start = section.find("```toml\n").expect("a toml block") + "```toml\n".len();
    let block = &section[start..start + section[start..].find("```").unwrap()];
    #[derive(serde::Deserialize)]
    struct Device {
        voice: VoiceConfig,
    }
    let config = toml::from_str::<Device>(block).unwrap().voice;
    assert_eq!(config.engine, EngineChoice::ClipsOrEspeak);
    assert_eq!(config.templates.languages, [Language::Zh, Language::En]);
    config.templates.check().unwrap();
    assert_eq!(config.queue.repeat, 2);
    assert_eq!(config.espeak.zh_voice, "cmn-latn-pinyin");
    // Every field is optional.
    let empty = toml::from_str::<Device>("[voice]\n").unwrap().voice;
    assert_eq!(empty, VoiceConfig::default());
}
