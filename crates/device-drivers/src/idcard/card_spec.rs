//! Simulator cards described in files: [`CardSpec`] is the shape of one card in a TOML or JSON
//! file (fields as written on the card, plus files for photo and fingerprint), and
//! [`CardSpec::into_sim_card`] checks it and turns it into a [`SimCard`].
//!
//! This crate does not parse TOML or JSON itself: `CardSpec` implements `serde::Deserialize`, so
//! the CLI reads the file with the format crate it already has. Every check the decoder makes on
//! a real card (GB 11643, birth date and sex against the number, field sizes) is made here too,
//! so a file the simulator accepts gives a card the driver accepts.
//!
//! ```toml
//! card_type = "resident_id"        # or residence_permit, foreign_permanent_2017, foreign_permanent_2023
//! name = "张三"
//! sex = "2"                         # GB/T 2261.1 code, or 男 / 女
//! birth_date = "1949-12-31"
//! id_number = "11010519491231002X"
//! valid_from = "2015-01-01"
//! valid_until = "长期"              # or a date
//! ethnicity = "01"                  # resident ID cards
//! address = "北京市朝阳区某某路1号"
//! authority = "北京市公安局朝阳分局"
//! serial = "0102030405060708"       # 16 hex digits, as select card reports it
//! photo_wlt = "zhang.wlt"           # optional: 1024 bytes of WLT, relative to the file
//! photo = "zhang.png"               # optional: the 102×126 photo (PNG or BMP), for a reader
//!                                   # that decodes photos itself (`kiosk sim idcard --decodes-photos`)
//! ```

use std::fmt;
use std::io;
use std::path::{Path, PathBuf};

use chrono::NaiveDate;
use serde::Deserialize;
use thiserror::Error;

use super::card::{Card, CardDetails, CardError, CardType, TextEncodeError, ValidUntil, WltPhoto};
use super::codes::{Ethnicity, Sex};
use super::id_number::{IdNumber, IdNumberError};
use super::image_file::{ImageFileError, read_image_file};
use super::photo::{PHOTO_HEIGHT, PHOTO_WIDTH};
use super::read::CardSerial;
use super::sim::SimCard;

/// Size of the WLT photo block on every card.
pub const WLT_LEN: usize = 1024;

/// One simulator card as written in a file. Fields a card type does not have must be absent.
#[derive(Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CardSpec {
    /// `resident_id`, `residence_permit`, `foreign_permanent_2017` or `foreign_permanent_2023`.
    pub card_type: String,
    /// Chinese name (may be empty on foreign cards).
    #[serde(default)]
    pub name: String,
    /// Sex: the GB/T 2261.1 code (`1`, `2`, `0`, `9`) or `男` / `女`.
    pub sex: String,
    /// Birth date.
    pub birth_date: NaiveDate,
    /// ID number (citizen number, permit number or foreign card number).
    pub id_number: String,
    /// First valid day.
    pub valid_from: NaiveDate,
    /// Last valid day as `YYYY-MM-DD`, or `长期`.
    pub valid_until: String,
    /// Ethnicity code `01`–`56`, `97`, `98` (resident ID card).
    pub ethnicity: Option<String>,
    /// Address (resident ID card, residence permit).
    pub address: Option<String>,
    /// Issuing authority (resident ID card, residence permit).
    pub authority: Option<String>,
    /// Travel permit number (residence permit).
    pub pass_number: Option<String>,
    /// Issue count (residence permit).
    pub issue_count: Option<String>,
    /// English name (foreign cards).
    pub english_name: Option<String>,
    /// Nationality (foreign cards).
    pub nationality: Option<String>,
    /// Card version (foreign card 2017).
    pub card_version: Option<String>,
    /// Accepting authority code (foreign card 2017).
    pub authority_code: Option<String>,
    /// Renewal count (foreign card 2023).
    pub renewal_count: Option<String>,
    /// Previous card number link (foreign card 2023).
    pub previous_card_link: Option<String>,
    /// The card serial: 16 hexadecimal digits.
    pub serial: String,
    /// A file of 1024 bytes of WLT. Without it the simulator sends a fixed filler of the right
    /// size, which is not a decodable photo.
    pub photo_wlt: Option<PathBuf>,
    /// The photo as an image file (PNG or 24-bit BMP, 102×126), for simulating a reader that
    /// decodes photos itself and returns the BMP.
    pub photo: Option<PathBuf>,
    /// A file holding the fingerprint block sent for 30 10.
    pub fingerprint: Option<PathBuf>,
    /// The appended address (追加住址).
    pub appended_address: Option<String>,
}

// The fields are personal data (test cards copy real layouts): show only what identifies the file.
impl fmt::Debug for CardSpec {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("CardSpec").field("card_type", &self.card_type).field("serial", &self.serial).finish_non_exhaustive()
    }
}

/// Why a card file cannot be loaded into the simulator.
#[derive(Debug, Error)]
#[non_exhaustive]
pub enum CardSpecError {
    /// `card_type` is not one of the four names.
    #[error("card_type {0:?} is unknown: use resident_id, residence_permit, foreign_permanent_2017 or foreign_permanent_2023")]
    CardType(String),
    /// A field this card type needs is absent.
    #[error("a {card_type} card needs the field `{field}`")]
    Missing {
        /// The card type.
        card_type: &'static str,
        /// The field.
        field: &'static str,
    },
    /// A field this card type does not have is present.
    #[error("a {card_type} card has no field `{field}`: remove it")]
    NotForThisType {
        /// The card type.
        card_type: &'static str,
        /// The field.
        field: &'static str,
    },
    /// `sex` is not a GB/T 2261.1 code.
    #[error("sex {0:?} is not a GB/T 2261.1 code: use 1 (男), 2 (女), 0 or 9")]
    Sex(String),
    /// `ethnicity` is not a GB/T 3304 code.
    #[error("ethnicity {0:?} is not a GB/T 3304 code: use 01 to 56, 97 or 98")]
    Ethnicity(String),
    /// `valid_until` is neither a date nor 长期.
    #[error("valid_until {0:?} is neither a YYYY-MM-DD date nor 长期")]
    ValidUntil(String),
    /// `serial` is not 16 hexadecimal digits.
    #[error("serial {0:?} is not 16 hexadecimal digits")]
    Serial(String),
    /// The ID number fails the checks of its scheme.
    #[error("id_number: {0}")]
    IdNumber(#[from] IdNumberError),
    /// A field does not fit the card's text block.
    #[error("the card does not fit its text block: {0}")]
    Encode(#[from] TextEncodeError),
    /// The fields contradict each other as a reader would see them (birth date or sex against
    /// the ID number).
    #[error("the card would be refused when read: {0}")]
    Inconsistent(#[from] CardError),
    /// The photo or fingerprint file cannot be read.
    #[error("cannot read {path}: {source}")]
    File {
        /// The file.
        path: PathBuf,
        /// Why.
        source: io::Error,
    },
    /// The photo file is not 1024 bytes of WLT.
    #[error("{path} holds {len} bytes; a WLT photo is {WLT_LEN} (a JPEG or BMP cannot be sent as WLT)")]
    PhotoLength {
        /// The file.
        path: PathBuf,
        /// Its size.
        len: usize,
    },
    /// The photo image cannot be used.
    #[error("card photo: {0}")]
    PhotoImage(#[from] ImageFileError),
    /// The photo image is not the card photo's size.
    #[error("{path} is {width}×{height}; a card photo is {PHOTO_WIDTH}×{PHOTO_HEIGHT}")]
    PhotoSize {
        /// The file.
        path: PathBuf,
        /// Its width.
        width: u32,
        /// Its height.
        height: u32,
    },
}

impl CardSpec {
    /// Checks the fields and builds the card; relative file paths are taken from `base_dir`
    /// (the directory of the card file).
    pub fn into_sim_card(self, base_dir: &Path) -> Result<SimCard, CardSpecError> {
        let card_type = match self.card_type.as_str() {
            "resident_id" => CardType::ResidentId,
            "residence_permit" => CardType::ResidencePermit,
            "foreign_permanent_2017" => CardType::ForeignPermanent2017,
            "foreign_permanent_2023" => CardType::ForeignPermanent2023,
            _ => return Err(CardSpecError::CardType(self.card_type)),
        };
        let type_name = card_type.as_str();
        let sex = match self.sex.as_str() {
            "男" => Sex::Male,
            "女" => Sex::Female,
            code => Sex::from_code(code).ok_or_else(|| CardSpecError::Sex(self.sex.clone()))?,
        };
        let valid_until = if self.valid_until == "长期" {
            ValidUntil::LongTerm
        } else {
            ValidUntil::Date(NaiveDate::parse_from_str(&self.valid_until, "%Y-%m-%d").map_err(|_| CardSpecError::ValidUntil(self.valid_until.clone()))?)
        };
        let serial = parse_serial(&self.serial)?;

        // Each card type takes some optional fields and refuses the others, so a typo'd type does
        // not silently drop fields.
        let mut fields = Fields { type_name, values: self.optional_fields() };
        let (id_number, details) = match card_type {
            CardType::ResidentId => {
                let code = fields.take("ethnicity")?;
                let ethnicity = Ethnicity::parse(&code).ok_or(CardSpecError::Ethnicity(code))?;
                let details = CardDetails::ResidentId { ethnicity, address: fields.take("address")?, authority: fields.take("authority")? };
                (IdNumber::parse_citizen(&self.id_number)?, details)
            }
            CardType::ResidencePermit => (
                IdNumber::parse_permit(&self.id_number)?,
                CardDetails::ResidencePermit {
                    address: fields.take("address")?,
                    authority: fields.take("authority")?,
                    pass_number: fields.take("pass_number")?,
                    issue_count: fields.take("issue_count")?,
                },
            ),
            CardType::ForeignPermanent2017 => (
                IdNumber::parse_foreign_2017(&self.id_number)?,
                CardDetails::ForeignPermanent2017 {
                    english_name: fields.take("english_name")?,
                    nationality: fields.take("nationality")?,
                    card_version: fields.take("card_version")?,
                    authority_code: fields.take("authority_code")?,
                },
            ),
            CardType::ForeignPermanent2023 => (
                IdNumber::parse_foreign_2023(&self.id_number)?,
                CardDetails::ForeignPermanent2023 {
                    english_name: fields.take("english_name")?,
                    nationality: fields.take("nationality")?,
                    renewal_count: fields.take("renewal_count")?,
                    previous_card_link: fields.take_or_empty("previous_card_link"),
                },
            ),
        };
        fields.refuse_leftovers()?;

        let photo = match &self.photo_wlt {
            Some(p) => {
                let path = base_dir.join(p);
                let bytes = read(&path)?;
                if bytes.len() != WLT_LEN {
                    return Err(CardSpecError::PhotoLength { path, len: bytes.len() });
                }
                bytes
            }
            None => filler_photo(),
        };
        let card =
            Card { name: self.name, sex, birth_date: self.birth_date, id_number, valid_from: self.valid_from, valid_until, details, photo: WltPhoto(photo) };
        // Decode what the reader will send, so the file fails here rather than at the kiosk.
        let text = card.encode_text()?;
        let decoded = Card::decode(&text, card.photo.clone())?;
        if decoded != card {
            // Only fields trimmed on the card (leading or trailing spaces) can differ.
            return Err(CardSpecError::Inconsistent(CardError::TextLength { len: text.len() }));
        }
        let mut sim = SimCard::new(card, serial)?;
        if let Some(p) = &self.fingerprint {
            sim = sim.with_fingerprint(read(&base_dir.join(p))?);
        }
        if let Some(a) = self.appended_address {
            sim = sim.with_appended_address(a);
        }
        if let Some(p) = &self.photo {
            let path = base_dir.join(p);
            let image = read_image_file(&path)?;
            if (image.width(), image.height()) != (PHOTO_WIDTH, PHOTO_HEIGHT) {
                return Err(CardSpecError::PhotoSize { path, width: image.width(), height: image.height() });
            }
            sim.photo_image = Some(image);
        }
        Ok(sim)
    }

    fn optional_fields(&self) -> Vec<(&'static str, Option<String>)> {
        vec![
            ("ethnicity", self.ethnicity.clone()),
            ("address", self.address.clone()),
            ("authority", self.authority.clone()),
            ("pass_number", self.pass_number.clone()),
            ("issue_count", self.issue_count.clone()),
            ("english_name", self.english_name.clone()),
            ("nationality", self.nationality.clone()),
            ("card_version", self.card_version.clone()),
            ("authority_code", self.authority_code.clone()),
            ("renewal_count", self.renewal_count.clone()),
            ("previous_card_link", self.previous_card_link.clone()),
        ]
    }
}

/// The optional fields of a spec, taken one by one by the card type that has them.
struct Fields {
    type_name: &'static str,
    values: Vec<(&'static str, Option<String>)>,
}

impl Fields {
    fn take(&mut self, field: &'static str) -> Result<String, CardSpecError> {
        self.values.iter_mut().find(|(name, _)| *name == field).and_then(|(_, v)| v.take()).ok_or(CardSpecError::Missing { card_type: self.type_name, field })
    }

    fn take_or_empty(&mut self, field: &'static str) -> String {
        self.take(field).unwrap_or_default()
    }

    fn refuse_leftovers(&self) -> Result<(), CardSpecError> {
        match self.values.iter().find(|(_, v)| v.is_some()) {
            Some((field, _)) => Err(CardSpecError::NotForThisType { card_type: self.type_name, field }),
            None => Ok(()),
        }
    }
}

fn read(path: &Path) -> Result<Vec<u8>, CardSpecError> {
    std::fs::read(path).map_err(|source| CardSpecError::File { path: path.to_owned(), source })
}

fn parse_serial(s: &str) -> Result<CardSerial, CardSpecError> {
    let bad = || CardSpecError::Serial(s.to_owned());
    if s.len() != 16 || !s.is_ascii() {
        return Err(bad());
    }
    let mut out = [0u8; 8];
    for (i, b) in out.iter_mut().enumerate() {
        *b = u8::from_str_radix(&s[2 * i..2 * i + 2], 16).map_err(|_| bad())?;
    }
    Ok(CardSerial(out))
}

/// 1024 bytes standing in for a photo when a card file names none: the right size for the
/// protocol, and not a WLT image (WLT is proprietary; nothing here pretends to encode one).
fn filler_photo() -> Vec<u8> {
    (0..WLT_LEN).map(|i| (i % 251) as u8).collect()
}

#[cfg(test)]
mod tests {
    use serde::de::value::{Error as DeError, MapDeserializer};
    use serde::de::{Deserializer, IntoDeserializer, Visitor};

    use super::*;

    /// A string value the way TOML and JSON deserializers present one: as itself, or as the
    /// `Some` of an optional field (serde's own string deserializer refuses the latter).
    struct Text(&'static str);

    impl<'de> Deserializer<'de> for Text {
        type Error = DeError;

        fn deserialize_any<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, DeError> {
            visitor.visit_str(self.0)
        }

        fn deserialize_option<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, DeError> {
            visitor.visit_some(self)
        }

        serde::forward_to_deserialize_any! {
            bool i8 i16 i32 i64 i128 u8 u16 u32 u64 u128 f32 f64 char str string bytes byte_buf unit unit_struct
            newtype_struct seq tuple tuple_struct map struct enum identifier ignored_any
        }
    }

    impl IntoDeserializer<'_, DeError> for Text {
        type Deserializer = Self;

        fn into_deserializer(self) -> Self {
            self
        }
    }

    /// Deserializes a spec from string pairs, as a TOML or JSON file of strings would.
    fn spec(pairs: &[(&'static str, &'static str)]) -> Result<CardSpec, DeError> {
        CardSpec::deserialize(MapDeserializer::new(pairs.iter().map(|(k, v)| (*k, Text(v)))))
    }

    const RESIDENT: &[(&str, &str)] = &[
        ("card_type", "resident_id"),
        ("name", "张三"),
        ("sex", "女"),
        ("birth_date", "1949-12-31"),
        ("id_number", "11010519491231002X"),
        ("valid_from", "2015-01-01"),
        ("valid_until", "长期"),
        ("ethnicity", "01"),
        ("address", "北京市朝阳区某某路1号"),
        ("authority", "北京市公安局朝阳分局"),
        ("serial", "0102030405060a0B"),
    ];

    fn with(extra: &[(&'static str, &'static str)]) -> Vec<(&'static str, &'static str)> {
        let mut v: Vec<_> = RESIDENT.iter().filter(|(k, _)| !extra.iter().any(|(e, _)| e == k)).copied().collect();
        v.extend(extra.iter().filter(|(_, val)| !val.is_empty()));
        v
    }

    #[test]
    fn a_resident_card_file_loads_and_reads_back() {
        let dir = tempfile::tempdir().unwrap();
        std::fs::write(dir.path().join("p.wlt"), [7u8; WLT_LEN]).unwrap();
        std::fs::write(dir.path().join("fp.bin"), [9u8; 512]).unwrap();
        let s = spec(&with(&[("photo_wlt", "p.wlt"), ("fingerprint", "fp.bin"), ("appended_address", "海淀区")])).unwrap();
        assert_eq!(format!("{s:?}"), r#"CardSpec { card_type: "resident_id", serial: "0102030405060a0B", .. }"#);
        let sim = s.into_sim_card(dir.path()).unwrap();
        assert_eq!(sim.serial, CardSerial([1, 2, 3, 4, 5, 6, 0x0A, 0x0B]));
        assert_eq!(sim.card.card_type(), CardType::ResidentId);
        assert_eq!(sim.card.name, "张三");
        assert_eq!(sim.card.valid_until, ValidUntil::LongTerm);
        assert_eq!(sim.card.ethnicity().map(Ethnicity::name), Some("汉族"));
        assert_eq!(sim.card.photo.0, vec![7u8; WLT_LEN]);
        assert_eq!(sim.fingerprint, vec![9u8; 512]);
        assert_eq!(sim.appended_address, "海淀区");
    }

    #[test]
    fn a_foreign_2023_card_file_loads() {
        let s = spec(&[
            ("card_type", "foreign_permanent_2023"),
            ("name", "史安娜"),
            ("sex", "2"),
            ("birth_date", "1988-02-29"),
            ("id_number", "931124198802290022"),
            ("valid_from", "2023-12-01"),
            ("valid_until", "2033-12-01"),
            ("english_name", "SMITH, ANNA"),
            ("nationality", "124"),
            ("renewal_count", "00"),
            ("serial", "1112131415161718"),
        ])
        .unwrap();
        let sim = s.into_sim_card(Path::new(".")).unwrap();
        assert_eq!(sim.card.card_type(), CardType::ForeignPermanent2023);
        assert_eq!(sim.card.photo.0.len(), WLT_LEN, "a filler of the protocol's size");
    }

    #[test]
    fn bad_files_are_refused_with_the_reason() {
        let load = |extra: &[(&'static str, &'static str)]| spec(&with(extra)).unwrap().into_sim_card(Path::new("/nonexistent"));
        assert!(matches!(load(&[("card_type", "passport")]), Err(CardSpecError::CardType(t)) if t == "passport"));
        assert!(matches!(load(&[("sex", "M")]), Err(CardSpecError::Sex(_))));
        assert!(matches!(load(&[("ethnicity", "57")]), Err(CardSpecError::Ethnicity(_))));
        assert!(matches!(load(&[("ethnicity", "")]), Err(CardSpecError::Missing { card_type: "resident_id", field: "ethnicity" })));
        assert!(matches!(load(&[("pass_number", "H1")]), Err(CardSpecError::NotForThisType { field: "pass_number", .. })));
        assert!(matches!(load(&[("valid_until", "2030")]), Err(CardSpecError::ValidUntil(_))));
        assert!(matches!(load(&[("serial", "0102")]), Err(CardSpecError::Serial(_))));
        assert!(matches!(load(&[("serial", "01020304050607GG")]), Err(CardSpecError::Serial(_))));
        assert!(matches!(load(&[("id_number", "110105194912310021")]), Err(CardSpecError::IdNumber(IdNumberError::CheckCharacter))));
        assert!(matches!(load(&[("sex", "1")]), Err(CardSpecError::Inconsistent(CardError::SexMismatch))));
        assert!(matches!(load(&[("name", "一二三四五六七八九十一二三四五六")]), Err(CardSpecError::Encode(TextEncodeError::FieldTooLong { .. }))));
        assert!(matches!(load(&[("photo_wlt", "missing.wlt")]), Err(CardSpecError::File { .. })));
        let dir = tempfile::tempdir().unwrap();
        std::fs::write(dir.path().join("photo.jpg"), [0xFF, 0xD8, 0xFF]).unwrap();
        let jpeg = spec(&with(&[("photo_wlt", "photo.jpg")])).unwrap().into_sim_card(dir.path());
        assert!(matches!(jpeg, Err(CardSpecError::PhotoLength { len: 3, .. })));
        assert!(spec(&with(&[("colour", "red")])).is_err(), "unknown fields are refused");
    }

    #[test]
    fn a_photo_image_is_loaded_at_the_card_photo_size_only() {
        use crate::idcard::image_file::encode_png;
        use crate::idcard::photo::RgbImage;
        let dir = tempfile::tempdir().unwrap();
        let photo = RgbImage::new(PHOTO_WIDTH, PHOTO_HEIGHT, vec![128; (PHOTO_WIDTH * PHOTO_HEIGHT * 3) as usize]).unwrap();
        std::fs::write(dir.path().join("face.png"), encode_png(&photo)).unwrap();
        let card = spec(&with(&[("photo", "face.png")])).unwrap().into_sim_card(dir.path()).unwrap();
        assert_eq!(card.photo_image.as_ref(), Some(&photo));
        assert!(card.photo_bmp.is_none(), "WLT is sent unless the reader is told it decodes photos");
        let small = RgbImage::new(10, 10, vec![0; 300]).unwrap();
        std::fs::write(dir.path().join("small.png"), encode_png(&small)).unwrap();
        let refused = spec(&with(&[("photo", "small.png")])).unwrap().into_sim_card(dir.path());
        assert!(matches!(refused, Err(CardSpecError::PhotoSize { width: 10, height: 10, .. })));
    }
}
