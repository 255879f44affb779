//! Cards decoded from whole response frames built byte by byte from the reference's layout
//! tables (offsets written out here, independently of the decoder's own layout).

use chrono::NaiveDate;
use proptest::prelude::*;

use super::*;

/// A text block written at the reference's byte offsets.
struct TextBuilder(Vec<u8>);

impl TextBuilder {
    fn new() -> Self {
        Self([0x20, 0x00].repeat(128))
    }

    /// Writes `s` as UCS-2LE at byte `offset`.
    fn at(mut self, offset: usize, s: &str) -> Self {
        for (i, u) in s.encode_utf16().enumerate() {
            self.0[offset + 2 * i..offset + 2 * i + 2].copy_from_slice(&u.to_le_bytes());
        }
        self
    }

    /// A full 30 01 response frame around this text and a 1024-byte photo.
    fn read_frame(self) -> Vec<u8> {
        let mut data = vec![0x01, 0x00, 0x04, 0x00];
        data.extend(self.0);
        data.extend(photo());
        Response::new(Status::Ok, data).encode().unwrap()
    }
}

fn photo() -> Vec<u8> {
    (0..1024u32).map(|i| (i * 7 % 251) as u8).collect()
}

fn with_check(first17: &str) -> String {
    format!("{first17}{}", gb11643_check_char(first17).unwrap())
}

fn day(y: i32, m: u32, d: u32) -> NaiveDate {
    NaiveDate::from_ymd_opt(y, m, d).unwrap()
}

/// Feeds a frame through the decoder in small pieces and decodes the card.
fn read_card(frame: &[u8]) -> Result<Card, CardError> {
    assert_eq!(frame.len(), 1295, "a 30 01 response is 1295 bytes");
    let mut dec = FrameDecoder::new();
    let mut responses = Vec::new();
    for piece in frame.chunks(61) {
        dec.push(piece);
        while let Some(r) = dec.next_response() {
            responses.push(r.unwrap());
        }
    }
    assert_eq!(responses.len(), 1);
    let r = responses.remove(0);
    assert_eq!(r.status, Status::Ok);
    CardRead::parse(&r.data)?.decode_card()
}

fn resident() -> TextBuilder {
    TextBuilder::new()
        .at(0, "张三")
        .at(30, "2")
        .at(32, "01")
        .at(36, "19491231")
        .at(52, "北京市东城区景山前街4号")
        .at(122, "11010519491231002X")
        .at(158, "北京市公安局东城分局")
        .at(188, "20100101")
        .at(204, "20300101")
}

#[test]
fn a_resident_id_card_decodes_field_by_field() {
    let card = read_card(&resident().read_frame()).unwrap();
    assert_eq!(card.card_type(), CardType::ResidentId);
    assert_eq!(card.name, "张三");
    assert_eq!(card.sex, Sex::Female);
    assert_eq!(card.ethnicity().unwrap().name(), "汉族");
    assert_eq!(card.birth_date, day(1949, 12, 31));
    assert_eq!(card.address(), Some("北京市东城区景山前街4号"));
    assert_eq!(card.id_number.unmasked(), "11010519491231002X");
    assert_eq!(card.valid_from, day(2010, 1, 1));
    assert_eq!(card.valid_until, ValidUntil::Date(day(2030, 1, 1)));
    assert_eq!(card.photo.as_bytes(), photo().as_slice());
    let CardDetails::ResidentId { authority, .. } = &card.details else { panic!("resident details") };
    assert_eq!(authority, "北京市公安局东城分局");
}

#[test]
fn long_term_cards_never_expire() {
    let card = read_card(&resident().at(204, "长期      ").read_frame()).unwrap();
    assert_eq!(card.valid_until, ValidUntil::LongTerm);
    assert_eq!(card.validity(day(2999, 1, 1)), Validity::Valid);
}

#[test]
fn an_expired_card_is_reported_as_expired() {
    let card = read_card(&resident().at(188, "20000101").at(204, "20200101").read_frame()).unwrap();
    assert_eq!(card.validity(day(2020, 1, 1)), Validity::Valid, "the last day is still valid");
    assert!(!card.is_expired(day(2020, 1, 1)));
    assert_eq!(card.validity(day(2020, 1, 2)), Validity::Expired { until: day(2020, 1, 1) });
    assert!(card.is_expired(day(2026, 11, 25)));
    assert_eq!(card.validity(day(1999, 12, 31)), Validity::NotYetValid { from: day(2000, 1, 1) });
    assert_eq!(card.validity(day(2020, 1, 2)).to_string(), "expired: last valid day was 2020-01-01");
}

#[test]
fn a_residence_permit_decodes_with_pass_number_and_issue_count() {
    let id = with_check("81000019900101123");
    let text = TextBuilder::new()
        .at(0, "陈大文")
        .at(30, "1")
        .at(36, "19900101")
        .at(52, "广东省深圳市福田区福华路1号")
        .at(122, &id)
        .at(158, "深圳市公安局")
        .at(188, "20200601")
        .at(204, "20250601")
        .at(220, "H12345678")
        .at(238, "01")
        .at(248, "J");
    let card = read_card(&text.read_frame()).unwrap();
    assert_eq!(card.card_type(), CardType::ResidencePermit);
    assert_eq!(card.name, "陈大文");
    assert_eq!(card.sex, Sex::Male);
    assert_eq!(card.birth_date, day(1990, 1, 1));
    assert_eq!(card.id_number.unmasked(), id);
    assert_eq!(card.ethnicity(), None);
    assert_eq!(
        card.details,
        CardDetails::ResidencePermit {
            address: "广东省深圳市福田区福华路1号".into(),
            authority: "深圳市公安局".into(),
            pass_number: "H12345678".into(),
            issue_count: "01".into(),
        }
    );
}

#[test]
fn a_2017_foreign_permanent_resident_card_decodes() {
    let text = TextBuilder::new()
        .at(0, "SMITH, JOHN PAUL")
        .at(120, "1")
        .at(122, "USA310085071401")
        .at(152, "USA")
        .at(158, "史密斯")
        .at(188, "20170601")
        .at(204, "20270601")
        .at(220, "19850714")
        .at(236, "20")
        .at(240, "3100")
        .at(248, "I");
    let card = read_card(&text.read_frame()).unwrap();
    assert_eq!(card.card_type(), CardType::ForeignPermanent2017);
    assert_eq!(card.name, "史密斯");
    assert_eq!(card.sex, Sex::Male);
    assert_eq!(card.birth_date, day(1985, 7, 14));
    assert_eq!(card.id_number.unmasked(), "USA310085071401");
    assert_eq!(card.id_number.scheme(), IdScheme::Foreign2017);
    assert_eq!(card.valid_until, ValidUntil::Date(day(2027, 6, 1)));
    assert_eq!(
        card.details,
        CardDetails::ForeignPermanent2017 {
            english_name: "SMITH, JOHN PAUL".into(),
            nationality: "USA".into(),
            card_version: "20".into(),
            authority_code: "3100".into(),
        }
    );
}

#[test]
fn a_2023_foreign_permanent_resident_card_joins_its_english_name() {
    // 46 characters: the first 35 in bytes 52–121, the last 11 in bytes 220–241.
    let english = "MONTGOMERY-WORTHINGTON, ALEXANDRA ELIZABETH JO";
    assert_eq!(english.len(), 46);
    let id = with_check("93184019850714012");
    let text = TextBuilder::new()
        .at(0, "蒙哥马利")
        .at(30, "2")
        .at(32, "01")
        .at(36, "19850714")
        .at(52, &english[..35])
        .at(122, &id)
        .at(188, "20231201")
        .at(204, "20331201")
        .at(220, &english[35..])
        .at(242, "840")
        .at(248, "Y")
        .at(250, "USA");
    let card = read_card(&text.read_frame()).unwrap();
    assert_eq!(card.card_type(), CardType::ForeignPermanent2023);
    assert_eq!(card.name, "蒙哥马利");
    assert_eq!(card.sex, Sex::Female);
    assert_eq!(card.birth_date, day(1985, 7, 14));
    assert_eq!(card.id_number.scheme(), IdScheme::Foreign2023);
    assert_eq!(
        card.details,
        CardDetails::ForeignPermanent2023 {
            english_name: english.into(),
            nationality: "840".into(),
            renewal_count: "01".into(),
            previous_card_link: "USA".into(),
        }
    );
    // A 2023 card whose number has the wrong birth date is refused.
    let wrong = with_check("93184019850715012");
    let text = TextBuilder(card.encode_text().unwrap()).at(122, &wrong);
    assert_eq!(read_card(&text.read_frame()), Err(CardError::BirthDateMismatch));
}

#[test]
fn a_read_with_fingerprint_keeps_all_three_blocks() {
    let mut data = vec![0x01, 0x00, 0x04, 0x00, 0x04, 0x00];
    data.extend(resident().0);
    data.extend(photo());
    data.extend([0x5A; 1024]);
    let frame = Response::new(Status::Ok, data).encode().unwrap();
    let mut dec = FrameDecoder::new();
    dec.push(&frame);
    let r = dec.next_response().unwrap().unwrap();
    let read = CardRead::parse_with_fingerprint(&r.data).unwrap();
    assert_eq!(read.fingerprint.as_deref(), Some(&[0x5A; 1024][..]));
    assert_eq!(read.decode_card().unwrap().id_number.unmasked(), "11010519491231002X");
}

#[test]
fn an_unknown_card_type_is_a_typed_error() {
    assert_eq!(read_card(&resident().at(248, "Z").read_frame()), Err(CardError::UnknownCardType { flag: 'Z' as u16 }));
}

#[test]
fn inconsistent_cards_are_refused_with_the_reason() {
    assert_eq!(read_card(&resident().at(36, "19491230").read_frame()), Err(CardError::BirthDateMismatch));
    assert_eq!(read_card(&resident().at(30, "1").read_frame()), Err(CardError::SexMismatch));
    assert_eq!(read_card(&resident().at(122, "110105194912310021").read_frame()), Err(CardError::IdNumber(IdNumberError::CheckCharacter)));
    assert_eq!(read_card(&resident().at(32, "57").read_frame()), Err(CardError::Ethnicity));
    assert_eq!(read_card(&resident().at(30, "5").read_frame()), Err(CardError::Sex));
    assert_eq!(read_card(&resident().at(188, "20101301").read_frame()), Err(CardError::Date { field: "valid from" }));
    assert_eq!(read_card(&resident().at(204, "20090101").read_frame()), Err(CardError::ValidityOrder));
    // The permit layout demands an 81/82/83 number.
    assert_eq!(read_card(&resident().at(248, "J").read_frame()), Err(CardError::IdNumber(IdNumberError::Prefix { expected: "81, 82 or 83" })));
    // A lone surrogate is not UCS-2 text.
    let mut bad = resident();
    bad.0[0..2].copy_from_slice(&[0x00, 0xD8]);
    assert_eq!(read_card(&bad.read_frame()), Err(CardError::Text { field: "name" }));
    // So is a surrogate pair (a character outside the BMP), which UCS-2 cannot hold either.
    let mut bad = resident();
    bad.0[0..4].copy_from_slice(&[0x3D, 0xD8, 0x00, 0xDE]);
    assert_eq!(read_card(&bad.read_frame()), Err(CardError::Text { field: "name" }));
    assert_eq!(Card::decode(&[0x20; 255], WltPhoto::default()), Err(CardError::TextLength { len: 255 }));
}

#[test]
fn debug_masks_the_holder() {
    let card = read_card(&resident().read_frame()).unwrap();
    let shown = format!("{card:?}");
    assert!(!shown.contains("11010519491231002X"), "{shown}");
    assert!(shown.contains("110105********002X"), "{shown}");
    assert!(!shown.contains("景山前街"), "{shown}");
    assert!(shown.contains("北京市东城区**前街4号") || shown.contains("北京市东城区*"), "{shown}");
    assert!(!shown.contains("张三") && shown.contains("张*"), "{shown}");
    assert!(shown.contains("WltPhoto(1024 bytes)"), "{shown}");
    assert_eq!(card.id_number.to_string(), "110105********002X");
}

#[test]
fn encoding_a_card_gives_back_the_reference_layout() {
    let text = resident().0;
    let card = Card::decode(&text, WltPhoto::default()).unwrap();
    assert_eq!(card.encode_text().unwrap(), text);
    let mut long = card.clone();
    long.name = "一二三四五六七八九十一二三四五六".into();
    assert_eq!(long.encode_text(), Err(TextEncodeError::FieldTooLong { field: "name", max_chars: 15 }));
    long.name = "😀".into();
    assert_eq!(long.encode_text(), Err(TextEncodeError::NotUcs2 { field: "name" }));
}

/// A valid citizen number for a birth date and sex.
fn citizen_number(prefix: &str, birth: NaiveDate, seq: u16, sex: Sex) -> String {
    // The 17th digit carries the sex: odd for men.
    let seq = seq % 50 * 2 + u16::from(sex == Sex::Male);
    with_check(&format!("{prefix}{}{seq:03}", birth.format("%Y%m%d")))
}

fn arb_date() -> impl Strategy<Value = NaiveDate> {
    (1900i32..2100, 1u32..=12, 1u32..=28).prop_map(|(y, m, d)| day(y, m, d))
}

fn arb_text(max: usize) -> impl Strategy<Value = String> {
    proptest::collection::vec(prop_oneof![Just('张'), Just('三'), Just('路'), Just('A'), Just('7'), Just('·'), Just(' ')], 0..=max)
        .prop_map(|cs| cs.into_iter().collect::<String>().trim().to_owned())
}

fn arb_card() -> impl Strategy<Value = Card> {
    (
        0..4u8,
        arb_text(15),
        prop_oneof![Just(Sex::Male), Just(Sex::Female)],
        arb_date(),
        any::<u16>(),
        arb_date(),
        proptest::option::of(arb_date()),
        (arb_text(35), arb_text(9), 0..58usize),
    )
        .prop_filter("valid until after valid from", |(_, _, _, _, _, from, until, _)| until.is_none_or(|u| u >= *from))
        .prop_map(|(kind, name, sex, birth, seq, from, until, (long, short, eth))| {
            let (id_number, details) = match kind {
                0 => (
                    IdNumber::parse_citizen(&citizen_number("310104", birth, seq, sex)).unwrap(),
                    CardDetails::ResidentId { ethnicity: Ethnicity::all().nth(eth).unwrap(), address: long, authority: short },
                ),
                1 => (
                    IdNumber::parse_permit(&citizen_number("820000", birth, seq, sex)).unwrap(),
                    CardDetails::ResidencePermit { address: long, authority: short, pass_number: "M1234567".into(), issue_count: "02".into() },
                ),
                2 => (
                    IdNumber::parse_foreign_2017(&format!("CAN31{}{:04}", birth.format("%y%m%d"), seq % 10000)).unwrap(),
                    CardDetails::ForeignPermanent2017 {
                        english_name: format!("{long}{short}"),
                        nationality: "CAN".into(),
                        card_version: "20".into(),
                        authority_code: "3100".into(),
                    },
                ),
                _ => (
                    IdNumber::parse_foreign_2023(&with_check(&format!("931124{}{:03}", birth.format("%Y%m%d"), seq % 1000))).unwrap(),
                    CardDetails::ForeignPermanent2023 {
                        english_name: format!("{long}{short}"),
                        nationality: "124".into(),
                        renewal_count: "00".into(),
                        previous_card_link: String::new(),
                    },
                ),
            };
            Card {
                name,
                sex,
                birth_date: birth,
                id_number,
                valid_from: from,
                valid_until: until.map_or(ValidUntil::LongTerm, ValidUntil::Date),
                details,
                photo: WltPhoto(photo()),
            }
        })
}

proptest! {
    #[test]
    fn every_card_round_trips_through_its_text_block(card in arb_card()) {
        let text = card.encode_text().unwrap();
        prop_assert_eq!(text.len(), 256);
        let back = Card::decode(&text, card.photo.clone()).unwrap();
        prop_assert_eq!(back, card);
    }

    #[test]
    fn random_text_blocks_never_panic(
        mut text in proptest::collection::vec(any::<u8>(), 256),
        flag in prop_oneof![Just(0x20u8), Just(b'J'), Just(b'I'), Just(b'Y'), any::<u8>()],
    ) {
        text[248] = flag;
        text[249] = 0;
        let _ = Card::decode(&text, WltPhoto::default());
        let _ = CardRead::parse(&text).and_then(|r| r.decode_card());
        let _ = CardRead::parse_with_fingerprint(&text);
        let _ = decode_appended_address(&text);
    }
}
