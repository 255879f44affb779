//! ID numbers on the cards: GB 11643 citizen numbers (resident cards, and the residence permits
//! of Hong Kong, Macau and Taiwan residents), the 18-digit numbers of the 2023 foreign permanent
//! resident card, and the 15-character numbers of the 2017 one.
//!
//! An [`IdNumber`] never prints in clear: `Debug` and `Display` show the first 6 and last 4
//! characters only, so a card logged by accident leaks no number. [`IdNumber::unmasked`] is the
//! one explicit way to the full text.

use std::fmt;

use chrono::NaiveDate;
use thiserror::Error;

use super::codes::Sex;

/// The GB 11643 weights of the first 17 digits (2^(17-i) mod 11).
const WEIGHTS: [u32; 17] = [7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2];
/// The check character for each value of the weighted sum mod 11.
const CHECK_CHARS: [u8; 11] = *b"10X98765432";

/// The ISO 7064 MOD 11-2 check character of GB 11643 for the first 17 characters of an ID
/// number, or `None` when they are not 17 ASCII digits.
pub fn gb11643_check_char(first17: &str) -> Option<char> {
    let bytes = first17.as_bytes();
    if bytes.len() != 17 || !bytes.iter().all(u8::is_ascii_digit) {
        return None;
    }
    let sum: u32 = bytes.iter().zip(WEIGHTS).map(|(d, w)| u32::from(d - b'0') * w).sum();
    Some(char::from(CHECK_CHARS[(sum % 11) as usize]))
}

/// Which numbering scheme an [`IdNumber`] follows.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum IdScheme {
    /// GB 11643 citizen number (resident card; permits start 81/82/83).
    Citizen,
    /// 2023 foreign permanent resident card: 18 digits starting with 9, MOD 11-2 check.
    Foreign2023,
    /// 2017 foreign permanent resident card: 3 letters (nationality) and 12 digits.
    Foreign2017,
}

/// Why an ID number read from a card is not well formed.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
#[non_exhaustive]
pub enum IdNumberError {
    /// Wrong number of characters.
    #[error("the ID number has {len} characters where {expected} are required: the card data is damaged; ask for the card to be read again")]
    Length {
        /// Characters found.
        len: usize,
        /// Characters required.
        expected: usize,
    },
    /// A character where the scheme does not allow it (position counted from 1).
    #[error("the ID number has an invalid character at position {position}: the card data is damaged; ask for the card to be read again")]
    Character {
        /// Position, from 1.
        position: usize,
    },
    /// The check character does not match (GB 11643 / ISO 7064 MOD 11-2).
    #[error("the ID number fails its GB 11643 check character: the card is damaged or not genuine; refuse it and direct the citizen to a counter")]
    CheckCharacter,
    /// The birth date inside the number is not a date.
    #[error("the birth date inside the ID number is not a valid date: the card is damaged or not genuine")]
    BirthDate,
    /// The number does not start as its card type requires.
    #[error("the ID number does not start with {expected} as this card type requires: the card is damaged or not genuine")]
    Prefix {
        /// What it must start with.
        expected: &'static str,
    },
}

/// An ID number, checked for its scheme. Prints masked.
#[derive(Clone, PartialEq, Eq, Hash)]
pub struct IdNumber {
    text: String,
    scheme: IdScheme,
}

impl IdNumber {
    /// A GB 11643 citizen number: 17 digits and a check character (`X` in either case), the
    /// check character correct and the embedded birth date a real date.
    pub fn parse_citizen(s: &str) -> Result<Self, IdNumberError> {
        let text = s.trim().to_ascii_uppercase();
        check_mod11_2(&text)?;
        let id = Self { text, scheme: IdScheme::Citizen };
        id.embedded_birth_date().ok_or(IdNumberError::BirthDate)?;
        Ok(id)
    }

    /// A citizen number of a Hong Kong (81), Macau (82) or Taiwan (83) resident.
    pub fn parse_permit(s: &str) -> Result<Self, IdNumberError> {
        let id = Self::parse_citizen(s)?;
        if !["81", "82", "83"].iter().any(|p| id.text.starts_with(p)) {
            return Err(IdNumberError::Prefix { expected: "81, 82 or 83" });
        }
        Ok(id)
    }

    /// The number of a 2023 foreign permanent resident card: 18 digits starting with 9, checked
    /// with MOD 11-2 like a citizen number, the birth date at the same place.
    pub fn parse_foreign_2023(s: &str) -> Result<Self, IdNumberError> {
        let text = s.trim().to_ascii_uppercase();
        check_mod11_2(&text)?;
        if !text.starts_with('9') {
            return Err(IdNumberError::Prefix { expected: "9" });
        }
        let id = Self { text, scheme: IdScheme::Foreign2023 };
        id.embedded_birth_date().ok_or(IdNumberError::BirthDate)?;
        Ok(id)
    }

    /// The number of a 2017 foreign permanent resident card: three letters (the nationality) and
    /// twelve digits. Its check scheme is not public, so only the shape is checked.
    pub fn parse_foreign_2017(s: &str) -> Result<Self, IdNumberError> {
        let text = s.trim().to_ascii_uppercase();
        let len = text.chars().count();
        if len != 15 {
            return Err(IdNumberError::Length { len, expected: 15 });
        }
        for (i, b) in text.bytes().enumerate() {
            let ok = if i < 3 { b.is_ascii_uppercase() } else { b.is_ascii_digit() };
            if !ok {
                return Err(IdNumberError::Character { position: i + 1 });
            }
        }
        Ok(Self { text, scheme: IdScheme::Foreign2017 })
    }

    /// The scheme the number was checked against.
    pub fn scheme(&self) -> IdScheme {
        self.scheme
    }

    /// The full number. Call it only to hand the number to something that needs it (a
    /// verification service); never log it.
    pub fn unmasked(&self) -> &str {
        &self.text
    }

    /// First 6 and last 4 characters, the rest as `*`: `110105********002X`.
    pub fn masked(&self) -> String {
        mask_middle(&self.text, 6, 4)
    }

    /// The birth date written in an 18-digit number (characters 7–14), if it is one.
    pub fn embedded_birth_date(&self) -> Option<NaiveDate> {
        match self.scheme {
            IdScheme::Citizen | IdScheme::Foreign2023 => parse_yyyymmdd(self.text.get(6..14)?),
            IdScheme::Foreign2017 => None,
        }
    }

    /// The sex a citizen number encodes: its 17th digit is odd for men, even for women.
    pub fn embedded_sex(&self) -> Option<Sex> {
        if self.scheme != IdScheme::Citizen {
            return None;
        }
        let d = *self.text.as_bytes().get(16)?;
        Some(if (d - b'0') % 2 == 1 { Sex::Male } else { Sex::Female })
    }
}

impl fmt::Debug for IdNumber {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "IdNumber({})", self.masked())
    }
}

impl fmt::Display for IdNumber {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.masked())
    }
}

/// 18 characters: 17 digits and a correct MOD 11-2 check character.
fn check_mod11_2(text: &str) -> Result<(), IdNumberError> {
    let len = text.chars().count();
    if len != 18 {
        return Err(IdNumberError::Length { len, expected: 18 });
    }
    // 18 chars and all checked ASCII below, so byte offsets are char offsets.
    if let Some(i) = text.bytes().take(17).position(|b| !b.is_ascii_digit()) {
        return Err(IdNumberError::Character { position: i + 1 });
    }
    let last = text.as_bytes()[17];
    if !(last.is_ascii_digit() || last == b'X') {
        return Err(IdNumberError::Character { position: 18 });
    }
    match gb11643_check_char(&text[..17]) {
        Some(c) if c as u32 == u32::from(last) => Ok(()),
        _ => Err(IdNumberError::CheckCharacter),
    }
}

/// Keeps the first `front` and last `back` characters and stars the rest; a string too short to
/// keep anything back is starred whole.
pub fn mask_middle(s: &str, front: usize, back: usize) -> String {
    let n = s.chars().count();
    if n <= front + back {
        return "*".repeat(n);
    }
    s.chars().enumerate().map(|(i, c)| if i < front || i >= n - back { c } else { '*' }).collect()
}

/// `YYYYMMDD` as a date.
pub(crate) fn parse_yyyymmdd(s: &str) -> Option<NaiveDate> {
    let b = s.as_bytes();
    if b.len() != 8 || !b.iter().all(u8::is_ascii_digit) {
        return None;
    }
    let num = |r: std::ops::Range<usize>| b[r].iter().fold(0u32, |acc, d| acc * 10 + u32::from(d - b'0'));
    NaiveDate::from_ymd_opt(num(0..4) as i32, num(4..6), num(6..8))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_standards_example_passes() {
        assert_eq!(gb11643_check_char("11010519491231002"), Some('X'));
        let id = IdNumber::parse_citizen("11010519491231002x").unwrap();
        assert_eq!(id.unmasked(), "11010519491231002X");
        assert_eq!(id.embedded_birth_date(), NaiveDate::from_ymd_opt(1949, 12, 31));
        assert_eq!(id.embedded_sex(), Some(Sex::Female));
        assert_eq!(id.scheme(), IdScheme::Citizen);
    }

    #[test]
    fn every_wrong_check_character_fails() {
        for c in "0123456789".chars() {
            let s = format!("11010519491231002{c}");
            assert_eq!(IdNumber::parse_citizen(&s), Err(IdNumberError::CheckCharacter), "{s}");
        }
        // A changed digit moves the sum, so the old check character no longer fits.
        assert_eq!(IdNumber::parse_citizen("11010519491231003X"), Err(IdNumberError::CheckCharacter));
    }

    #[test]
    fn malformed_numbers_are_typed_errors() {
        assert_eq!(IdNumber::parse_citizen("1101051949123100"), Err(IdNumberError::Length { len: 16, expected: 18 }));
        assert_eq!(IdNumber::parse_citizen("1101051949123A002X"), Err(IdNumberError::Character { position: 14 }));
        assert_eq!(IdNumber::parse_citizen("11010519491231002Y"), Err(IdNumberError::Character { position: 18 }));
        assert_eq!(IdNumber::parse_citizen("11010519491231002中"), Err(IdNumberError::Character { position: 18 }));
        // 1949-13-31 does not exist; the check character is made to fit so only the date is wrong.
        let first17 = "11010519491331002";
        let bad_date = format!("{first17}{}", gb11643_check_char(first17).unwrap());
        assert_eq!(IdNumber::parse_citizen(&bad_date), Err(IdNumberError::BirthDate));
    }

    #[test]
    fn permits_and_foreign_numbers_have_their_prefixes() {
        let hk17 = "81000019900101123";
        let hk = format!("{hk17}{}", gb11643_check_char(hk17).unwrap());
        assert_eq!(IdNumber::parse_permit(&hk).unwrap().embedded_sex(), Some(Sex::Male));
        assert_eq!(IdNumber::parse_permit("11010519491231002X"), Err(IdNumberError::Prefix { expected: "81, 82 or 83" }));
        let f17 = "93115619850714012";
        let f = format!("{f17}{}", gb11643_check_char(f17).unwrap());
        let f = IdNumber::parse_foreign_2023(&f).unwrap();
        assert_eq!(f.embedded_birth_date(), NaiveDate::from_ymd_opt(1985, 7, 14));
        assert_eq!(f.embedded_sex(), None);
        assert_eq!(IdNumber::parse_foreign_2023("11010519491231002X"), Err(IdNumberError::Prefix { expected: "9" }));
        assert_eq!(IdNumber::parse_foreign_2017("usa310085071401").unwrap().unmasked(), "USA310085071401");
        assert_eq!(IdNumber::parse_foreign_2017("US1310085071401"), Err(IdNumberError::Character { position: 3 }));
        assert_eq!(IdNumber::parse_foreign_2017("USA31008507140"), Err(IdNumberError::Length { len: 14, expected: 15 }));
    }

    #[test]
    fn numbers_never_print_in_clear() {
        let id = IdNumber::parse_citizen("11010519491231002X").unwrap();
        assert_eq!(format!("{id:?}"), "IdNumber(110105********002X)");
        assert_eq!(id.to_string(), "110105********002X");
        assert_eq!(mask_middle("北京市东城区景山前街4号", 6, 4), "北京市东城区**前街4号");
        assert_eq!(mask_middle("H12345678", 6, 4), "*********");
    }
}
