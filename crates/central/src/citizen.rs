//! Citizens' personal data as central keeps it: never an ID number in clear. An ID number is
//! turned into a masked form for display (first 6 and last 4 characters) and a keyed digest
//! (HMAC-SHA-256) for look-ups, and then dropped. Names are kept masked (张*).

use std::fmt;

use sha2::{Digest, Sha256};

/// An ID number as given by a citizen or an administrator, held only long enough to mask and
/// digest it. Its `Debug` form is masked, so it cannot leak into logs by accident.
#[derive(Clone, PartialEq, Eq)]
pub struct IdNumber(String);

/// Why an ID number was refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("an ID number must be 15 to 18 letters or digits (resident ID, permit or foreigner's permanent residence card number); got {len} characters")]
pub struct IdNumberError {
    /// Length given.
    pub len: usize,
}

impl IdNumber {
    /// Checks the shape of an ID number: 15 to 18 ASCII letters or digits (resident ID cards and
    /// the permits of Hong Kong, Macao and Taiwan residents have 18, foreigners' permanent
    /// residence cards 15 or 18). Letters are upper-cased, surrounding spaces dropped.
    pub fn parse(s: &str) -> Result<Self, IdNumberError> {
        let s = s.trim();
        let len = s.chars().count();
        if !(15..=18).contains(&len) || !s.chars().all(|c| c.is_ascii_alphanumeric()) {
            return Err(IdNumberError { len });
        }
        Ok(Self(s.to_ascii_uppercase()))
    }

    /// First 6 and last 4 characters, the rest as `*`: `310104********1234`.
    pub fn masked(&self) -> String {
        let s = &self.0;
        // ASCII only (checked in parse), so byte offsets are character offsets.
        format!("{}{}{}", &s[..6], "*".repeat(s.len() - 10), &s[s.len() - 4..])
    }

    /// The keyed digest used to find records by ID number without storing it.
    pub fn digest(&self, key: &[u8]) -> [u8; 32] {
        hmac_sha256(key, self.0.as_bytes())
    }
}

impl fmt::Debug for IdNumber {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "IdNumber({})", self.masked())
    }
}

/// Masks a name to its first character: 张三 → 张*, 欧阳娜娜 → 欧***. A one-character name is
/// masked whole.
pub fn mask_name(name: &str) -> String {
    let name = name.trim();
    let n = name.chars().count();
    match name.chars().next() {
        Some(first) if n > 1 => format!("{first}{}", "*".repeat(n - 1)),
        Some(_) => "*".to_owned(),
        None => String::new(),
    }
}

/// HMAC-SHA-256 (RFC 2104).
pub(crate) fn hmac_sha256(key: &[u8], message: &[u8]) -> [u8; 32] {
    const BLOCK: usize = 64;
    let mut k = [0u8; BLOCK];
    if key.len() > BLOCK {
        k[..32].copy_from_slice(&Sha256::digest(key));
    } else {
        k[..key.len()].copy_from_slice(key);
    }
    let mut inner = Sha256::new();
    inner.update(k.map(|b| b ^ 0x36));
    inner.update(message);
    let inner = inner.finalize();
    let mut outer = Sha256::new();
    outer.update(k.map(|b| b ^ 0x5c));
    outer.update(inner);
    outer.finalize().into()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn hex(b: &[u8]) -> String {
        b.iter().map(|x| format!("{x:02x}")).collect()
    }

    #[test]
    fn hmac_matches_rfc4231() {
        // RFC 4231 test cases 1, 2 and 6 (a key longer than the block).
        assert_eq!(hex(&hmac_sha256(&[0x0b; 20], b"Hi There")), "b0344c61d8db38535ca8afceaf0bf12b881dc200c9833da726e9376c2e32cff7");
        assert_eq!(hex(&hmac_sha256(b"Jefe", b"what do ya want for nothing?")), "5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843");
        assert_eq!(
            hex(&hmac_sha256(&[0xaa; 131], b"Test Using Larger Than Block-Size Key - Hash Key First")),
            "60e431591ee0b67f0d8a26aacbf5b77f8e0bc6213728c5140546040f0ee37f54"
        );
    }

    #[test]
    fn id_numbers_are_masked_and_keyed() {
        let id = IdNumber::parse(" 31010419900101123x ").unwrap();
        assert_eq!(id.masked(), "310104********123X");
        assert_eq!(format!("{id:?}"), "IdNumber(310104********123X)");
        assert_eq!(id.digest(b"k1"), IdNumber::parse("31010419900101123X").unwrap().digest(b"k1"));
        assert_ne!(id.digest(b"k1"), id.digest(b"k2"));
        assert_eq!(IdNumber::parse("ABC123456789012").unwrap().masked(), "ABC123*****9012");
        assert!(IdNumber::parse("12345").is_err());
        assert!(IdNumber::parse("3101041990010112 X").is_err());
        assert!(IdNumber::parse("31010419900101123４").is_err());
    }

    #[test]
    fn names_are_masked() {
        assert_eq!(mask_name("张三"), "张*");
        assert_eq!(mask_name("欧阳娜娜"), "欧***");
        assert_eq!(mask_name("王"), "*");
        assert_eq!(mask_name(""), "");
    }
}
