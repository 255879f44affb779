//! The 256-byte text block of a card, decoded into a [`Card`], and encoded back (for the
//! simulator and tests).
//!
//! The block is UCS-2 little-endian, padded with spaces; a card-type flag at bytes 248–249 picks
//! one of four layouts (see the reference, "Text block"). Every field is trimmed. Dates become
//! [`NaiveDate`]s, codes become [`Sex`] and [`Ethnicity`], and the ID number is checked for its
//! scheme and against the birth date and sex fields, so a `Card` that decodes is self-consistent.

use std::fmt;

use chrono::NaiveDate;
use thiserror::Error;

use super::codes::{Ethnicity, Sex};
use super::id_number::{IdNumber, IdNumberError, mask_middle, parse_yyyymmdd};

/// Size of the text block.
pub const TEXT_LEN: usize = 256;
/// Size of the WLT photo.
pub const PHOTO_LEN: usize = 1024;

/// The text of a valid-until field that means "no expiry".
const LONG_TERM: &str = "长期";

/// One field of a layout: its name (for errors) and byte range.
#[derive(Clone, Copy)]
struct Field {
    name: &'static str,
    start: usize,
    end: usize,
}

const fn field_at(name: &'static str, start: usize, end: usize) -> Field {
    Field { name, start, end }
}

/// Byte ranges from the reference's layout tables.
mod layout {
    use super::{Field, field_at};

    // Resident ID card; the residence permit shares it except where noted.
    pub const NAME: Field = field_at("name", 0, 30);
    pub const SEX: Field = field_at("sex", 30, 32);
    pub const ETHNICITY: Field = field_at("ethnicity", 32, 36);
    pub const BIRTH: Field = field_at("birth date", 36, 52);
    pub const ADDRESS: Field = field_at("address", 52, 122);
    pub const ID: Field = field_at("ID number", 122, 158);
    pub const AUTHORITY: Field = field_at("issuing authority", 158, 188);
    pub const FROM: Field = field_at("valid from", 188, 204);
    pub const UNTIL: Field = field_at("valid until", 204, 220);
    pub const PASS_NUMBER: Field = field_at("pass number", 220, 238);
    pub const ISSUE_COUNT: Field = field_at("issue count", 238, 242);

    // Foreign permanent resident card, 2017 ('I').
    pub const I_ENGLISH_NAME: Field = field_at("English name", 0, 120);
    pub const I_SEX: Field = field_at("sex", 120, 122);
    pub const I_NUMBER: Field = field_at("card number", 122, 152);
    pub const I_NATIONALITY: Field = field_at("nationality", 152, 158);
    pub const I_CHINESE_NAME: Field = field_at("Chinese name", 158, 188);
    pub const I_BIRTH: Field = field_at("birth date", 220, 236);
    pub const I_VERSION: Field = field_at("card version", 236, 240);
    pub const I_AUTHORITY_CODE: Field = field_at("accepting authority code", 240, 248);

    // Foreign permanent resident card, 2023 ('Y'); name, sex, birth, ID and dates as the resident card.
    pub const Y_RENEWAL_COUNT: Field = field_at("renewal count", 32, 36);
    pub const Y_ENGLISH_NAME_1: Field = field_at("English name", 52, 122);
    pub const Y_ENGLISH_NAME_2: Field = field_at("English name", 220, 242);
    pub const Y_NATIONALITY: Field = field_at("nationality", 242, 248);
    pub const Y_PREVIOUS_CARD: Field = field_at("previous card number link", 250, 256);
    pub const FLAG: Field = field_at("card type", 248, 250);
}

/// The kind of card, from the flag at bytes 248–249.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum CardType {
    /// Resident ID card (居民身份证): flag space or empty.
    ResidentId,
    /// Residence permit for Hong Kong, Macau and Taiwan residents (港澳台居民居住证): `J`.
    ResidencePermit,
    /// Foreign permanent resident ID card, 2017 edition (外国人永久居留身份证): `I`.
    ForeignPermanent2017,
    /// Foreign permanent resident ID card, 2023 edition: `Y`.
    ForeignPermanent2023,
}

impl CardType {
    /// The flag character written at bytes 248–249.
    pub fn flag(self) -> char {
        match self {
            Self::ResidentId => ' ',
            Self::ResidencePermit => 'J',
            Self::ForeignPermanent2017 => 'I',
            Self::ForeignPermanent2023 => 'Y',
        }
    }

    /// A short stable name: `resident_id`, `residence_permit`, `foreign_permanent_2017`,
    /// `foreign_permanent_2023`.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::ResidentId => "resident_id",
            Self::ResidencePermit => "residence_permit",
            Self::ForeignPermanent2017 => "foreign_permanent_2017",
            Self::ForeignPermanent2023 => "foreign_permanent_2023",
        }
    }
}

/// The end of a card's validity.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum ValidUntil {
    /// Valid through this day (inclusive).
    Date(NaiveDate),
    /// `长期`: no expiry.
    LongTerm,
}

/// Whether a card can be accepted today. A kiosk refuses a card that is not [`Validity::Valid`]
/// with a message of its own, so this is an answer, not an error.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Validity {
    /// Within its validity period.
    Valid,
    /// Its validity starts later (a new card, or the kiosk's clock is wrong).
    NotYetValid {
        /// First valid day.
        from: NaiveDate,
    },
    /// Its last valid day has passed.
    Expired {
        /// Last valid day.
        until: NaiveDate,
    },
}

impl fmt::Display for Validity {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Valid => f.write_str("valid"),
            Self::NotYetValid { from } => write!(f, "not valid before {from}"),
            Self::Expired { until } => write!(f, "expired: last valid day was {until}"),
        }
    }
}

/// The card photo as stored on the card: WLT, which only vendor libraries decode. Kept as bytes;
/// `Debug` shows only the size (a face is personal data).
#[derive(Clone, PartialEq, Eq, Default)]
pub struct WltPhoto(pub Vec<u8>);

impl WltPhoto {
    /// The raw WLT bytes.
    pub fn as_bytes(&self) -> &[u8] {
        &self.0
    }
}

impl fmt::Debug for WltPhoto {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "WltPhoto({} bytes)", self.0.len())
    }
}

/// What one card type carries beyond the fields all cards share.
#[derive(Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum CardDetails {
    /// Resident ID card.
    ResidentId {
        /// Ethnicity (民族).
        ethnicity: Ethnicity,
        /// Address (住址).
        address: String,
        /// Issuing authority (签发机关).
        authority: String,
    },
    /// Residence permit for Hong Kong, Macau and Taiwan residents.
    ResidencePermit {
        /// Address (住址).
        address: String,
        /// Issuing authority (签发机关).
        authority: String,
        /// Number of the holder's travel permit (通行证号码).
        pass_number: String,
        /// Issue count (签发次数), as written.
        issue_count: String,
    },
    /// Foreign permanent resident ID card, 2017 edition.
    ForeignPermanent2017 {
        /// English name.
        english_name: String,
        /// Nationality, ISO 3166-1 alpha-3.
        nationality: String,
        /// Card version, as written.
        card_version: String,
        /// Code of the accepting authority (受理机关代码).
        authority_code: String,
    },
    /// Foreign permanent resident ID card, 2023 edition.
    ForeignPermanent2023 {
        /// English name (both parts of the field joined).
        english_name: String,
        /// Nationality code, as written.
        nationality: String,
        /// Renewal count (换证次数), as written.
        renewal_count: String,
        /// Link to the number of the holder's previous card, as written.
        previous_card_link: String,
    },
}

impl fmt::Debug for CardDetails {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::ResidentId { ethnicity, address, authority } => {
                f.debug_struct("ResidentId").field("ethnicity", ethnicity).field("address", &mask_middle(address, 6, 4)).field("authority", authority).finish()
            }
            Self::ResidencePermit { address, authority, pass_number, issue_count } => f
                .debug_struct("ResidencePermit")
                .field("address", &mask_middle(address, 6, 4))
                .field("authority", authority)
                .field("pass_number", &mask_middle(pass_number, 1, 2))
                .field("issue_count", issue_count)
                .finish(),
            Self::ForeignPermanent2017 { english_name, nationality, card_version, authority_code } => f
                .debug_struct("ForeignPermanent2017")
                .field("english_name", &mask_name(english_name))
                .field("nationality", nationality)
                .field("card_version", card_version)
                .field("authority_code", authority_code)
                .finish(),
            Self::ForeignPermanent2023 { english_name, nationality, renewal_count, previous_card_link } => f
                .debug_struct("ForeignPermanent2023")
                .field("english_name", &mask_name(english_name))
                .field("nationality", nationality)
                .field("renewal_count", renewal_count)
                .field("previous_card_link", &mask_middle(previous_card_link, 0, 0))
                .finish(),
        }
    }
}

/// A decoded card.
///
/// `Debug` masks what identifies the holder: the ID number and address keep their first 6 and
/// last 4 characters, names their first character; the photo shows only its size.
#[derive(Clone, PartialEq, Eq)]
pub struct Card {
    /// Name in Chinese (姓名; the Chinese name of a foreign card, empty if the holder has none).
    pub name: String,
    /// Sex.
    pub sex: Sex,
    /// Birth date.
    pub birth_date: NaiveDate,
    /// ID number (citizen number, permit number or foreign card number).
    pub id_number: IdNumber,
    /// First valid day.
    pub valid_from: NaiveDate,
    /// End of validity.
    pub valid_until: ValidUntil,
    /// Fields of this card type.
    pub details: CardDetails,
    /// The photo, undecoded.
    pub photo: WltPhoto,
}

impl fmt::Debug for Card {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Card")
            .field("card_type", &self.card_type())
            .field("name", &mask_name(&self.name))
            .field("sex", &self.sex)
            .field("birth_date", &self.birth_date)
            .field("id_number", &self.id_number)
            .field("valid_from", &self.valid_from)
            .field("valid_until", &self.valid_until)
            .field("details", &self.details)
            .field("photo", &self.photo)
            .finish()
    }
}

/// Why a text block is not a card.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
#[non_exhaustive]
pub enum CardError {
    /// The text block is not 256 bytes.
    #[error("the card text block is {len} bytes, not {TEXT_LEN}: the reader returned an unexpected layout")]
    TextLength {
        /// Bytes received.
        len: usize,
    },
    /// The read response is shorter than its own length fields say.
    #[error("the read response holds {got} bytes but its length fields need {needed}: the response was cut short; read the card again")]
    Truncated {
        /// Bytes the length fields call for.
        needed: usize,
        /// Bytes present.
        got: usize,
    },
    /// The card-type flag is none of the known ones.
    #[error(
        "unknown card type flag U+{flag:04X}: this card is not a resident ID card, residence permit or foreign permanent resident card; direct the citizen to a counter"
    )]
    UnknownCardType {
        /// The flag's UCS-2 code unit.
        flag: u16,
    },
    /// A field holds a UTF-16 surrogate code unit, which UCS-2 text cannot.
    #[error("the {field} field is not valid UCS-2 text: the card data is damaged; read the card again")]
    Text {
        /// Field name.
        field: &'static str,
    },
    /// A date field is not a date.
    #[error("the {field} field is not a YYYYMMDD date: the card data is damaged; read the card again")]
    Date {
        /// Field name.
        field: &'static str,
    },
    /// The sex field holds no GB/T 2261.1 code.
    #[error("the sex field holds no GB/T 2261.1 code: the card data is damaged; read the card again")]
    Sex,
    /// The ethnicity field holds no GB/T 3304 code.
    #[error("the ethnicity field holds no GB/T 3304 code: the card data is damaged; read the card again")]
    Ethnicity,
    /// The ID number is malformed.
    #[error(transparent)]
    IdNumber(#[from] IdNumberError),
    /// The birth date inside the ID number differs from the birth date field.
    #[error("the ID number's birth date differs from the card's birth date: the card is not genuine or is damaged; refuse it")]
    BirthDateMismatch,
    /// The sex encoded in the ID number differs from the sex field.
    #[error("the ID number's sex digit differs from the card's sex field: the card is not genuine or is damaged; refuse it")]
    SexMismatch,
    /// The validity period ends before it starts.
    #[error("the card's validity ends before it starts: the card data is damaged; read the card again")]
    ValidityOrder,
    /// A card serial that is not 8 bytes.
    #[error("the card serial is {len} bytes, not 8: the reader returned an unexpected layout")]
    SerialLength {
        /// Bytes received.
        len: usize,
    },
    /// A text field of a response that has an odd number of bytes.
    #[error("{field} has an odd number of bytes ({len}), so it cannot be UCS-2 text")]
    OddLength {
        /// What was being decoded.
        field: &'static str,
        /// Its length.
        len: usize,
    },
}

impl crate::Error for CardError {
    fn kind(&self) -> crate::ErrorKind {
        crate::ErrorKind::Protocol
    }
}

/// Why a card could not be written into a text block.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
#[non_exhaustive]
pub enum TextEncodeError {
    /// The value has more characters than the field holds.
    #[error("the {field} field holds at most {max_chars} characters")]
    FieldTooLong {
        /// Field name.
        field: &'static str,
        /// Its capacity.
        max_chars: usize,
    },
    /// A character outside the Basic Multilingual Plane, which UCS-2 cannot hold.
    #[error("the {field} field has a character that UCS-2 cannot hold")]
    NotUcs2 {
        /// Field name.
        field: &'static str,
    },
}

impl Card {
    /// Decodes a 256-byte text block, with the photo read alongside it.
    pub fn decode(text: &[u8], photo: WltPhoto) -> Result<Self, CardError> {
        if text.len() != TEXT_LEN {
            return Err(CardError::TextLength { len: text.len() });
        }
        let flag = u16::from_le_bytes([text[layout::FLAG.start], text[layout::FLAG.start + 1]]);
        let card = match flag {
            0x0020 | 0x0000 => decode_resident(text, false, photo)?,
            0x004A => decode_resident(text, true, photo)?,
            0x0049 => decode_foreign_2017(text, photo)?,
            0x0059 => decode_foreign_2023(text, photo)?,
            flag => return Err(CardError::UnknownCardType { flag }),
        };
        if let ValidUntil::Date(until) = card.valid_until {
            if until < card.valid_from {
                return Err(CardError::ValidityOrder);
            }
        }
        Ok(card)
    }

    /// The card's type.
    pub fn card_type(&self) -> CardType {
        match self.details {
            CardDetails::ResidentId { .. } => CardType::ResidentId,
            CardDetails::ResidencePermit { .. } => CardType::ResidencePermit,
            CardDetails::ForeignPermanent2017 { .. } => CardType::ForeignPermanent2017,
            CardDetails::ForeignPermanent2023 { .. } => CardType::ForeignPermanent2023,
        }
    }

    /// The address, on cards that have one.
    pub fn address(&self) -> Option<&str> {
        match &self.details {
            CardDetails::ResidentId { address, .. } | CardDetails::ResidencePermit { address, .. } => Some(address),
            _ => None,
        }
    }

    /// The ethnicity, on resident ID cards.
    pub fn ethnicity(&self) -> Option<Ethnicity> {
        match &self.details {
            CardDetails::ResidentId { ethnicity, .. } => Some(*ethnicity),
            _ => None,
        }
    }

    /// Whether the card can be accepted on `today` (the kiosk's local date). The valid-until day
    /// itself is still valid.
    pub fn validity(&self, today: NaiveDate) -> Validity {
        if today < self.valid_from {
            return Validity::NotYetValid { from: self.valid_from };
        }
        match self.valid_until {
            ValidUntil::Date(until) if today > until => Validity::Expired { until },
            _ => Validity::Valid,
        }
    }

    /// True when the card's last valid day is before `today`.
    pub fn is_expired(&self, today: NaiveDate) -> bool {
        matches!(self.validity(today), Validity::Expired { .. })
    }

    /// Writes the card's fields into a 256-byte text block laid out as the card type requires
    /// (what a simulated reader sends; decoding the result gives the card back).
    pub fn encode_text(&self) -> Result<Vec<u8>, TextEncodeError> {
        let mut t = TextWriter::new();
        let date = |d: NaiveDate| d.format("%Y%m%d").to_string();
        let until = match self.valid_until {
            ValidUntil::Date(d) => date(d),
            ValidUntil::LongTerm => LONG_TERM.to_owned(),
        };
        let sex = self.sex.code().to_string();
        match &self.details {
            CardDetails::ResidentId { ethnicity, address, authority } => {
                t.put(layout::ETHNICITY, &format!("{:02}", ethnicity.code()))?;
                t.put(layout::ADDRESS, address)?;
                t.put(layout::AUTHORITY, authority)?;
            }
            CardDetails::ResidencePermit { address, authority, pass_number, issue_count } => {
                t.put(layout::ADDRESS, address)?;
                t.put(layout::AUTHORITY, authority)?;
                t.put(layout::PASS_NUMBER, pass_number)?;
                t.put(layout::ISSUE_COUNT, issue_count)?;
            }
            CardDetails::ForeignPermanent2017 { english_name, nationality, card_version, authority_code } => {
                t.put(layout::I_ENGLISH_NAME, english_name)?;
                t.put(layout::I_SEX, &sex)?;
                t.put(layout::I_NUMBER, self.id_number.unmasked())?;
                t.put(layout::I_NATIONALITY, nationality)?;
                t.put(layout::I_CHINESE_NAME, &self.name)?;
                t.put(layout::FROM, &date(self.valid_from))?;
                t.put(layout::UNTIL, &until)?;
                t.put(layout::I_BIRTH, &date(self.birth_date))?;
                t.put(layout::I_VERSION, card_version)?;
                t.put(layout::I_AUTHORITY_CODE, authority_code)?;
                t.put(layout::FLAG, "I")?;
                return Ok(t.0);
            }
            CardDetails::ForeignPermanent2023 { english_name, nationality, renewal_count, previous_card_link } => {
                t.put(layout::Y_RENEWAL_COUNT, renewal_count)?;
                let first: String = english_name.chars().take(35).collect();
                let rest: String = english_name.chars().skip(35).collect();
                t.put(layout::Y_ENGLISH_NAME_1, &first)?;
                t.put(layout::Y_ENGLISH_NAME_2, &rest)?;
                t.put(layout::Y_NATIONALITY, nationality)?;
                t.put(layout::Y_PREVIOUS_CARD, previous_card_link)?;
            }
        }
        // The fields the resident card, permit and 2023 foreign card share.
        t.put(layout::NAME, &self.name)?;
        t.put(layout::SEX, &sex)?;
        t.put(layout::BIRTH, &date(self.birth_date))?;
        t.put(layout::ID, self.id_number.unmasked())?;
        t.put(layout::FROM, &date(self.valid_from))?;
        t.put(layout::UNTIL, &until)?;
        let flag = self.card_type().flag();
        t.put(layout::FLAG, &flag.to_string())?;
        Ok(t.0)
    }
}

/// Masks a name to its first character: 张三 → 张*.
fn mask_name(name: &str) -> String {
    let mut chars = name.chars();
    match chars.next() {
        Some(first) => std::iter::once(first).chain(chars.map(|_| '*')).collect(),
        None => String::new(),
    }
}

/// A field's text, untrimmed.
fn raw(text: &[u8], f: Field) -> Result<String, CardError> {
    // Callers pass fixed in-bounds ranges of a 256-byte block.
    ucs2(&text[f.start..f.end]).ok_or(CardError::Text { field: f.name })
}

/// UCS-2LE bytes (even length) as text. UCS-2 has no surrogates, so any surrogate code unit,
/// paired or not, makes the text invalid (and keeps every decoded field encodable again).
fn ucs2(bytes: &[u8]) -> Option<String> {
    bytes.chunks_exact(2).map(|p| char::from_u32(u32::from(u16::from_le_bytes([p[0], p[1]])))).collect()
}

/// Trims the space padding (and NULs some readers use instead).
fn trim(s: &str) -> &str {
    s.trim_matches(|c: char| c.is_whitespace() || c == '\0')
}

fn field(text: &[u8], f: Field) -> Result<String, CardError> {
    Ok(trim(&raw(text, f)?).to_owned())
}

fn date(text: &[u8], f: Field) -> Result<NaiveDate, CardError> {
    parse_yyyymmdd(&field(text, f)?).ok_or(CardError::Date { field: f.name })
}

fn valid_until(text: &[u8]) -> Result<ValidUntil, CardError> {
    let s = field(text, layout::UNTIL)?;
    if s == LONG_TERM {
        return Ok(ValidUntil::LongTerm);
    }
    parse_yyyymmdd(&s).map(ValidUntil::Date).ok_or(CardError::Date { field: "valid until" })
}

fn sex(text: &[u8], f: Field) -> Result<Sex, CardError> {
    Sex::from_code(&field(text, f)?).ok_or(CardError::Sex)
}

fn cross_check(id: &IdNumber, birth_date: NaiveDate, sex: Sex) -> Result<(), CardError> {
    if id.embedded_birth_date().is_some_and(|d| d != birth_date) {
        return Err(CardError::BirthDateMismatch);
    }
    // Only 男/女 can be compared with the number's parity.
    if matches!(sex, Sex::Male | Sex::Female) && id.embedded_sex().is_some_and(|s| s != sex) {
        return Err(CardError::SexMismatch);
    }
    Ok(())
}

fn decode_resident(text: &[u8], permit: bool, photo: WltPhoto) -> Result<Card, CardError> {
    let name = field(text, layout::NAME)?;
    let sex = sex(text, layout::SEX)?;
    let birth_date = date(text, layout::BIRTH)?;
    let id_text = field(text, layout::ID)?;
    let id_number = if permit { IdNumber::parse_permit(&id_text)? } else { IdNumber::parse_citizen(&id_text)? };
    cross_check(&id_number, birth_date, sex)?;
    let address = field(text, layout::ADDRESS)?;
    let authority = field(text, layout::AUTHORITY)?;
    let details = if permit {
        CardDetails::ResidencePermit { address, authority, pass_number: field(text, layout::PASS_NUMBER)?, issue_count: field(text, layout::ISSUE_COUNT)? }
    } else {
        let ethnicity = Ethnicity::parse(&field(text, layout::ETHNICITY)?).ok_or(CardError::Ethnicity)?;
        CardDetails::ResidentId { ethnicity, address, authority }
    };
    Ok(Card { name, sex, birth_date, id_number, valid_from: date(text, layout::FROM)?, valid_until: valid_until(text)?, details, photo })
}

fn decode_foreign_2017(text: &[u8], photo: WltPhoto) -> Result<Card, CardError> {
    let id_number = IdNumber::parse_foreign_2017(&field(text, layout::I_NUMBER)?)?;
    Ok(Card {
        name: field(text, layout::I_CHINESE_NAME)?,
        sex: sex(text, layout::I_SEX)?,
        birth_date: date(text, layout::I_BIRTH)?,
        id_number,
        valid_from: date(text, layout::FROM)?,
        valid_until: valid_until(text)?,
        details: CardDetails::ForeignPermanent2017 {
            english_name: field(text, layout::I_ENGLISH_NAME)?,
            nationality: field(text, layout::I_NATIONALITY)?,
            card_version: field(text, layout::I_VERSION)?,
            authority_code: field(text, layout::I_AUTHORITY_CODE)?,
        },
        photo,
    })
}

fn decode_foreign_2023(text: &[u8], photo: WltPhoto) -> Result<Card, CardError> {
    let sex = sex(text, layout::SEX)?;
    let birth_date = date(text, layout::BIRTH)?;
    let id_number = IdNumber::parse_foreign_2023(&field(text, layout::ID)?)?;
    cross_check(&id_number, birth_date, sex)?;
    // The name is split over two fields: join them untrimmed, so a space at the seam survives.
    let english_name = raw(text, layout::Y_ENGLISH_NAME_1)? + &raw(text, layout::Y_ENGLISH_NAME_2)?;
    Ok(Card {
        name: field(text, layout::NAME)?,
        sex,
        birth_date,
        id_number,
        valid_from: date(text, layout::FROM)?,
        valid_until: valid_until(text)?,
        details: CardDetails::ForeignPermanent2023 {
            english_name: trim(&english_name).to_owned(),
            nationality: field(text, layout::Y_NATIONALITY)?,
            renewal_count: field(text, layout::Y_RENEWAL_COUNT)?,
            previous_card_link: field(text, layout::Y_PREVIOUS_CARD)?,
        },
        photo,
    })
}

/// Decodes UCS-2LE text outside the main block (the appended address of 30 03), trimmed.
pub fn decode_ucs2_text(field_name: &'static str, bytes: &[u8]) -> Result<String, CardError> {
    if bytes.len() % 2 != 0 {
        return Err(CardError::OddLength { field: field_name, len: bytes.len() });
    }
    let s = ucs2(bytes).ok_or(CardError::Text { field: field_name })?;
    Ok(trim(&s).to_owned())
}

/// Encodes text as UCS-2LE, space-padded to `len` bytes.
pub fn encode_ucs2_text(field_name: &'static str, s: &str, len: usize) -> Result<Vec<u8>, TextEncodeError> {
    let mut out = Vec::with_capacity(len);
    for c in s.chars() {
        let mut unit = [0u16; 2];
        let [u] = c.encode_utf16(&mut unit) else {
            return Err(TextEncodeError::NotUcs2 { field: field_name });
        };
        if out.len() + 2 > len {
            return Err(TextEncodeError::FieldTooLong { field: field_name, max_chars: len / 2 });
        }
        out.extend_from_slice(&u.to_le_bytes());
    }
    while out.len() + 2 <= len {
        out.extend_from_slice(&0x0020u16.to_le_bytes());
    }
    Ok(out)
}

/// A space-filled text block that fields are written into.
struct TextWriter(Vec<u8>);

impl TextWriter {
    fn new() -> Self {
        Self(0x0020u16.to_le_bytes().repeat(TEXT_LEN / 2))
    }

    fn put(&mut self, f: Field, value: &str) -> Result<(), TextEncodeError> {
        let bytes = encode_ucs2_text(f.name, value, f.end - f.start)?;
        self.0[f.start..f.end].copy_from_slice(&bytes);
        Ok(())
    }
}
