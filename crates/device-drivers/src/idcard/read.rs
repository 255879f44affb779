//! The data of read responses: text + photo (30 01), with fingerprint (30 10), the appended
//! address (30 03) and the card serial (select card, 30 05).

use std::fmt;

use super::card::{Card, CardError, WltPhoto, decode_ucs2_text};

/// The data of a *read text + photo* (30 01) or *read with fingerprint* (30 10) response,
/// split into its blocks but not yet decoded.
///
/// Blocks are taken at the sizes the response's length fields give; bytes after the last block
/// are ignored. `Debug` shows only block sizes.
#[derive(Clone, PartialEq, Eq)]
pub struct CardRead {
    /// The text block (256 bytes on every known card).
    pub text: Vec<u8>,
    /// The WLT photo (1024 bytes).
    pub photo: Vec<u8>,
    /// The fingerprint block, present for 30 10 (possibly empty when the card holds none).
    pub fingerprint: Option<Vec<u8>>,
}

impl fmt::Debug for CardRead {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("CardRead")
            .field("text_len", &self.text.len())
            .field("photo_len", &self.photo.len())
            .field("fingerprint_len", &self.fingerprint.as_ref().map(Vec::len))
            .finish()
    }
}

impl CardRead {
    /// Splits the data of a 30 01 response: text length, photo length (both big-endian u16),
    /// text, photo.
    pub fn parse(data: &[u8]) -> Result<Self, CardError> {
        let [text_len, photo_len] = lengths::<2>(data)?;
        let mut rest = &data[4..];
        let text = take(&mut rest, text_len, data.len())?;
        let photo = take(&mut rest, photo_len, data.len())?;
        Ok(Self { text, photo, fingerprint: None })
    }

    /// Splits the data of a 30 10 response: text, photo and fingerprint lengths, then the blocks.
    pub fn parse_with_fingerprint(data: &[u8]) -> Result<Self, CardError> {
        let [text_len, photo_len, fp_len] = lengths::<3>(data)?;
        let mut rest = &data[6..];
        let text = take(&mut rest, text_len, data.len())?;
        let photo = take(&mut rest, photo_len, data.len())?;
        let fingerprint = take(&mut rest, fp_len, data.len())?;
        Ok(Self { text, photo, fingerprint: Some(fingerprint) })
    }

    /// The response data for these blocks: the 30 10 layout when a fingerprint block is present,
    /// the 30 01 layout otherwise. Blocks longer than 65,535 bytes are cut to fit the length
    /// fields (no card has them).
    pub fn encode(&self) -> Vec<u8> {
        let clip = |b: &[u8]| b[..b.len().min(usize::from(u16::MAX))].to_vec();
        let blocks: Vec<Vec<u8>> = [Some(&self.text), Some(&self.photo), self.fingerprint.as_ref()].into_iter().flatten().map(|b| clip(b)).collect();
        let mut out = Vec::new();
        for b in &blocks {
            // Cannot truncate: clipped above.
            out.extend_from_slice(&(b.len() as u16).to_be_bytes());
        }
        for b in blocks {
            out.extend(b);
        }
        out
    }

    /// Decodes the text block into a card, keeping the photo.
    pub fn decode_card(&self) -> Result<Card, CardError> {
        Card::decode(&self.text, WltPhoto(self.photo.clone()))
    }
}

/// `N` big-endian u16 lengths at the start of `data`.
fn lengths<const N: usize>(data: &[u8]) -> Result<[usize; N], CardError> {
    if data.len() < 2 * N {
        return Err(CardError::Truncated { needed: 2 * N, got: data.len() });
    }
    Ok(std::array::from_fn(|i| usize::from(u16::from_be_bytes([data[2 * i], data[2 * i + 1]]))))
}

/// Takes `n` bytes off the front of `rest`.
fn take(rest: &mut &[u8], n: usize, total: usize) -> Result<Vec<u8>, CardError> {
    if rest.len() < n {
        return Err(CardError::Truncated { needed: total - rest.len() + n, got: total });
    }
    let (block, tail) = rest.split_at(n);
    *rest = tail;
    Ok(block.to_vec())
}

/// The data of a *read appended address* (30 03) response: the address written on the card
/// after a move (追加住址), trimmed; empty if the card has none.
pub fn decode_appended_address(data: &[u8]) -> Result<String, CardError> {
    decode_ucs2_text("appended address", data)
}

/// The card's 8-byte serial, from a *select card* (20 02) or *read card serial* (30 05) response.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct CardSerial(pub [u8; 8]);

impl CardSerial {
    /// The serial from a response's data, which must be 8 bytes.
    pub fn from_data(data: &[u8]) -> Result<Self, CardError> {
        <[u8; 8]>::try_from(data).map(Self).map_err(|_| CardError::SerialLength { len: data.len() })
    }
}

impl fmt::Display for CardSerial {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        self.0.iter().try_for_each(|b| write!(f, "{b:02X}"))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn blocks_split_at_their_declared_sizes() {
        let read = CardRead { text: vec![1; 256], photo: vec![2; 1024], fingerprint: None };
        let data = read.encode();
        assert_eq!(&data[..4], &[0x01, 0x00, 0x04, 0x00]);
        assert_eq!(data.len(), 4 + 256 + 1024);
        assert_eq!(CardRead::parse(&data).unwrap(), read);

        let with_fp = CardRead { text: vec![1; 256], photo: vec![2; 1024], fingerprint: Some(vec![3; 1024]) };
        let data = with_fp.encode();
        assert_eq!(&data[..6], &[0x01, 0x00, 0x04, 0x00, 0x04, 0x00]);
        assert_eq!(CardRead::parse_with_fingerprint(&data).unwrap(), with_fp);
        assert_eq!(format!("{with_fp:?}"), "CardRead { text_len: 256, photo_len: 1024, fingerprint_len: Some(1024) }");
    }

    #[test]
    fn short_data_is_truncated_not_a_panic() {
        assert_eq!(CardRead::parse(&[0x01]), Err(CardError::Truncated { needed: 4, got: 1 }));
        let data = CardRead { text: vec![1; 256], photo: vec![2; 1024], fingerprint: None }.encode();
        assert_eq!(CardRead::parse(&data[..1000]), Err(CardError::Truncated { needed: 1284, got: 1000 }));
        assert_eq!(CardRead::parse_with_fingerprint(&data[..5]), Err(CardError::Truncated { needed: 6, got: 5 }));
    }

    #[test]
    fn serial_and_appended_address() {
        let s = CardSerial::from_data(&[0x12, 0x34, 0x56, 0x78, 0x9A, 0xBC, 0xDE, 0xF0]).unwrap();
        assert_eq!(s.to_string(), "123456789ABCDEF0");
        assert_eq!(CardSerial::from_data(&[1, 2, 3]), Err(CardError::SerialLength { len: 3 }));
        let addr: Vec<u8> = "北京市海淀区 ".encode_utf16().flat_map(u16::to_le_bytes).collect();
        assert_eq!(decode_appended_address(&addr).unwrap(), "北京市海淀区");
        assert_eq!(decode_appended_address(&[]).unwrap(), "");
        assert_eq!(decode_appended_address(&[0x41]), Err(CardError::OddLength { field: "appended address", len: 1 }));
        assert_eq!(decode_appended_address(&[0x00, 0xD8]), Err(CardError::Text { field: "appended address" }));
    }
}
