//! # ID-card readers (GA/T 467 SAM protocol)
//!
//! Citizens authenticate at a kiosk with their second-generation card. Readers carry a SAM
//! (security module) that talks to the card; the host talks to the SAM in the frames of GA/T 467,
//! over serial or USB. The protocol core here is **sans-IO** (commands to bytes, bytes to
//! responses and cards, no port, clock or thread); a blocking session with timeouts runs it over
//! a transport (serial, or USB bulk with [`UsbConfig::card_reader`](crate::transport::usb::UsbConfig::card_reader)),
//! and a simulator answers with the same codec. See docs/idcard.md.
//!
//! Session and simulator:
//! - [`session`]: [`ReaderSession`], the [`CardReader`] trait (reset, SAM status, card serial,
//!   find → select → read with [`ReadOptions`]), typed [`SessionError`]s, and resending and port
//!   reopening after lost, corrupted or failed exchanges. "No card" is `Ok(None)`.
//! - [`poll`]: [`Poller`], card-present / card-removed [`CardEvent`]s at a [`PollConfig`] interval.
//! - The session runs over any [`crate::transport::Transport`]: serial
//!   ([`SerialTransport`](crate::transport::SerialTransport), 115200 baud by default) or USB
//!   ([`UsbTransport`](crate::transport::UsbTransport)).
//! - [`sim`]: [`SimReader`] (the simulated reader's logic, with [`Fault`]s on demand) and
//!   [`Simulator::spawn_pty`] / [`Simulator::spawn_on`] running it on a pty or port.
//! - [`card_spec`]: [`CardSpec`], a simulator card in a TOML/JSON file (deserialized by the caller).
//!
//! Protocol core:
//! - [`frame`]: framing (`AA AA AA 96 69 | LEN | body | CHK`), [`Command`]s, [`Response`]s and
//!   the incremental [`FrameDecoder`], which takes bytes in any chunking, skips garbage and
//!   resynchronises on the preamble after a bad frame.
//! - [`status`]: the SW3 byte as a [`Status`] with its meaning and a [`StatusClass`]; "no card"
//!   is [`StatusClass::NoCard`], the reader's normal idle answer, not an error.
//! - [`read`]: the blocks of a read response ([`CardRead`]), the appended address and the
//!   [`CardSerial`].
//! - [`card`]: the 256-byte text block as a [`Card`] of one of four types (resident ID card,
//!   Hong Kong/Macau/Taiwan residence permit, foreign permanent resident card 2017 and 2023),
//!   with its [`Validity`] on a given day.
//! - [`codes`]: [`Sex`] (GB/T 2261.1) and [`Ethnicity`] (GB/T 3304).
//! - [`id_number`]: [`IdNumber`], checked with GB 11643 (ISO 7064 MOD 11-2).
//!
//! The photo is kept as the card's 1024 bytes of WLT ([`WltPhoto`]). WLT is proprietary and is
//! never decoded here: [`photo`] turns the photo block into an [`RgbImage`] when the reader
//! returns a BMP or a vendor library is configured ([`PhotoSource`], [`PhotoDecoder`]), and says
//! [`Photo::Undecoded`] otherwise, so face verification falls back to the staffed path.
//!
//! Personal data does not leak through formatting: `Debug` and `Display` of [`IdNumber`] show
//! only its first 6 and last 4 characters, `Debug` of [`Card`] masks the address the same way and
//! names to their first character, and photos, fingerprints and response data print as sizes.
//!
//! ```
//! use device_drivers::idcard::{Command, FrameDecoder, Status};
//!
//! assert_eq!(Command::FindCard.encode(), [0xAA, 0xAA, 0xAA, 0x96, 0x69, 0x00, 0x03, 0x20, 0x01, 0x22]);
//! let mut decoder = FrameDecoder::new();
//! decoder.push(&[0x00, 0xAA, 0xAA, 0xAA, 0x96, 0x69, 0x00]); // garbage, then half a frame
//! assert!(decoder.next_response().is_none());
//! decoder.push(&[0x04, 0x00, 0x00, 0x80, 0x84]);
//! let response = decoder.next_response().unwrap().unwrap();
//! assert_eq!(response.status, Status::NoCard);
//! ```

pub mod card;
pub mod card_spec;
pub mod codes;
pub mod frame;
pub mod id_number;
pub mod image_file;
pub mod photo;
pub mod poll;
pub mod read;
pub mod session;
pub mod sim;
pub mod status;

#[cfg(test)]
mod sim_tests;
#[cfg(test)]
mod tests;

pub use card::{Card, CardDetails, CardError, CardType, TextEncodeError, ValidUntil, Validity, WltPhoto};
pub use card_spec::{CardSpec, CardSpecError};
pub use codes::{Ethnicity, Sex};
pub use frame::{Command, Frame, FrameDecoder, FrameError, Response};
pub use id_number::{IdNumber, IdNumberError, IdScheme, gb11643_check_char};
pub use photo::{
    BmpError, DecodedBy, PHOTO_BMP_LEN, PHOTO_HEIGHT, PHOTO_WIDTH, Photo, PhotoDecoder, PhotoError, PhotoSource, RgbImage, UndecodedReason,
    VendorLibraryConfig, parse_bmp,
};
pub use poll::{CardEvent, PollConfig, Poller};
pub use read::{CardRead, CardSerial, decode_appended_address};
pub use session::{CardReader, CardReading, ReadOptions, ReaderSession, SessionConfig, SessionError, SessionStats};
pub use sim::{Fault, SimCard, SimHandle, SimReader, Simulator, UnknownFault};
pub use status::{Status, StatusClass};
