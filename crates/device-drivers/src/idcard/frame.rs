//! SAM frames: `AA AA AA 96 69 | LEN_H LEN_L | body | CHK`, the commands a host sends and the
//! responses a reader returns, and an incremental decoder for a byte stream.
//!
//! Requests and responses share the framing; only the body differs (`CMD PARA [data]` going out,
//! `SW1 SW2 SW3 [data]` coming back). So [`FrameDecoder`] yields plain [`Frame`]s, and
//! [`Response::from_frame`] / [`Command::from_frame`] interpret them: the driver decodes responses,
//! the simulator decodes commands, with the same code.

use thiserror::Error;

use super::status::Status;

/// The five bytes that start every frame.
pub const PREAMBLE: [u8; 5] = [0xAA, 0xAA, 0xAA, 0x96, 0x69];

/// Bytes before the body: the preamble and the two length bytes.
const HEADER_LEN: usize = PREAMBLE.len() + 2;

/// The smallest LEN a frame can carry: a two-byte command body plus the checksum.
pub const MIN_LEN: u16 = 3;

/// The largest LEN [`FrameDecoder::new`] accepts. The largest response the reference lists, text +
/// photo + fingerprint (30 10), has LEN 2,311; anything much larger is line noise that happens to
/// contain a preamble, and waiting for its bytes would stall the link.
pub const DEFAULT_MAX_LEN: u16 = 4096;

/// The XOR checksum of a frame: every byte from LEN_H up to, not including, CHK.
pub fn checksum(len_and_body: &[u8]) -> u8 {
    len_and_body.iter().fold(0, |acc, b| acc ^ b)
}

/// Why bytes from the reader (or the host) were not a valid frame. The decoder drops the bad
/// frame's preamble and keeps looking, so one bad frame never blocks the ones after it.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
#[non_exhaustive]
pub enum FrameError {
    /// The checksum byte does not match the frame's bytes.
    #[error(
        "frame checksum mismatch (computed {computed:02X}, frame says {received:02X}): bytes were lost or corrupted on the line; check the cable, baud rate and that no other program has the port open"
    )]
    BadChecksum {
        /// The XOR of the received bytes.
        computed: u8,
        /// The checksum byte the frame carried.
        received: u8,
    },
    /// LEN is too small to hold even a command and a checksum.
    #[error("frame length {len} is below the minimum of {MIN_LEN}: the stream is corrupt or is not a GA/T 467 reader")]
    BadLength {
        /// The LEN field.
        len: u16,
    },
    /// LEN is larger than any frame the protocol defines.
    #[error("frame length {len} exceeds the limit of {max}: the stream is corrupt or is not a GA/T 467 reader")]
    Oversized {
        /// The LEN field.
        len: u16,
        /// The decoder's limit.
        max: u16,
    },
    /// A frame body that does not fit in the 16-bit length field (only when encoding).
    #[error("a frame body of {len} bytes does not fit the 16-bit length field")]
    BodyTooLong {
        /// Body length in bytes.
        len: usize,
    },
    /// A frame too short to be a response (it needs SW1 SW2 SW3).
    #[error("a response frame needs at least SW1 SW2 SW3, got a {len}-byte body: the reader is not speaking GA/T 467")]
    ResponseTooShort {
        /// Body length in bytes.
        len: usize,
    },
    /// A command frame with a CMD PARA pair the reference does not list.
    #[error("unknown command {cmd:02X} {para:02X}")]
    UnknownCommand {
        /// CMD byte.
        cmd: u8,
        /// PARA byte.
        para: u8,
    },
}

impl crate::Error for FrameError {
    fn kind(&self) -> crate::ErrorKind {
        crate::ErrorKind::Protocol
    }
}

/// One frame: the body between the length and the checksum.
#[derive(Clone, PartialEq, Eq)]
pub struct Frame {
    body: Vec<u8>,
}

// A response body may hold card text (the ID number in UCS-2): show the command or status bytes
// and the size, never the data.
impl std::fmt::Debug for Frame {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let head = &self.body[..self.body.len().min(3)];
        f.debug_struct("Frame").field("head", &format_args!("{head:02X?}")).field("body_len", &self.body.len()).finish()
    }
}

impl Frame {
    /// A frame around `body`; fails only when the body does not fit the length field.
    pub fn new(body: Vec<u8>) -> Result<Self, FrameError> {
        if body.len() > usize::from(u16::MAX) - 1 {
            return Err(FrameError::BodyTooLong { len: body.len() });
        }
        Ok(Self { body })
    }

    /// The body: `CMD PARA [data]` or `SW1 SW2 SW3 [data]`.
    pub fn body(&self) -> &[u8] {
        &self.body
    }

    /// The body, owned.
    pub fn into_body(self) -> Vec<u8> {
        self.body
    }

    /// The frame's bytes on the wire.
    pub fn encode(&self) -> Vec<u8> {
        let mut out = Vec::with_capacity(HEADER_LEN + self.body.len() + 1);
        out.extend_from_slice(&PREAMBLE);
        // Cannot truncate: `new` bounds the body length.
        let len = (self.body.len() + 1) as u16;
        out.extend_from_slice(&len.to_be_bytes());
        out.extend_from_slice(&self.body);
        out.push(checksum(&out[PREAMBLE.len()..]));
        out
    }
}

/// Turns a byte stream, in chunks of any size, into frames.
///
/// Bytes before a preamble are skipped (and counted in [`FrameDecoder::skipped`]). A frame with a
/// bad length or checksum is reported once as an error, and decoding resumes at the next preamble
/// after the bad frame's own, so a truncated frame followed by a good one costs only the truncated
/// one. The decoder keeps no time: a session that gives up on a half-received frame after a
/// timeout calls [`FrameDecoder::clear`].
#[derive(Debug, Clone)]
pub struct FrameDecoder {
    buf: Vec<u8>,
    max_len: u16,
    skipped: u64,
}

impl Default for FrameDecoder {
    fn default() -> Self {
        Self::new()
    }
}

impl FrameDecoder {
    /// A decoder accepting frames up to [`DEFAULT_MAX_LEN`].
    pub fn new() -> Self {
        Self::with_max_len(DEFAULT_MAX_LEN)
    }

    /// A decoder accepting frames whose LEN is at most `max_len` (at least [`MIN_LEN`]).
    pub fn with_max_len(max_len: u16) -> Self {
        Self { buf: Vec::new(), max_len: max_len.max(MIN_LEN), skipped: 0 }
    }

    /// Appends bytes read from the transport.
    pub fn push(&mut self, bytes: &[u8]) {
        self.buf.extend_from_slice(bytes);
    }

    /// The next complete frame, an error for a bad one, or `None` when more bytes are needed.
    pub fn next_frame(&mut self) -> Option<Result<Frame, FrameError>> {
        match find_preamble(&self.buf) {
            Some(at) => self.discard(at),
            None => {
                // Keep a tail that may be the start of a preamble split across reads.
                let keep = self.buf.len().min(PREAMBLE.len() - 1);
                self.discard(self.buf.len() - keep);
                return None;
            }
        }
        if self.buf.len() < HEADER_LEN {
            return None;
        }
        let len = u16::from_be_bytes([self.buf[5], self.buf[6]]);
        if len < MIN_LEN {
            self.drop_preamble();
            return Some(Err(FrameError::BadLength { len }));
        }
        if len > self.max_len {
            self.drop_preamble();
            return Some(Err(FrameError::Oversized { len, max: self.max_len }));
        }
        let total = HEADER_LEN + usize::from(len);
        if self.buf.len() < total {
            return None;
        }
        let computed = checksum(&self.buf[PREAMBLE.len()..total - 1]);
        let received = self.buf[total - 1];
        if computed != received {
            // The length itself may be what was corrupted, so do not trust it to skip the frame:
            // look for the next preamble right after this one.
            self.drop_preamble();
            return Some(Err(FrameError::BadChecksum { computed, received }));
        }
        let body = self.buf[HEADER_LEN..total - 1].to_vec();
        self.buf.drain(..total);
        Some(Ok(Frame { body }))
    }

    /// The next frame read as a response (see [`Response::from_frame`]).
    pub fn next_response(&mut self) -> Option<Result<Response, FrameError>> {
        self.next_frame().map(|r| r.and_then(Response::from_frame))
    }

    /// Bytes held waiting for the rest of a frame.
    pub fn buffered(&self) -> usize {
        self.buf.len()
    }

    /// Bytes skipped so far because they were not part of a frame.
    pub fn skipped(&self) -> u64 {
        self.skipped
    }

    /// Forgets buffered bytes (after a timeout, or when the reader was reconnected).
    pub fn clear(&mut self) {
        self.skipped += self.buf.len() as u64;
        self.buf.clear();
    }

    fn discard(&mut self, n: usize) {
        self.skipped += n as u64;
        self.buf.drain(..n);
    }

    fn drop_preamble(&mut self) {
        // The preamble cannot overlap itself, so no later preamble starts inside it.
        self.buf.drain(..PREAMBLE.len());
    }
}

fn find_preamble(buf: &[u8]) -> Option<usize> {
    buf.windows(PREAMBLE.len()).position(|w| w == PREAMBLE)
}

/// A command from the host to the reader (GA/T 467, see the reference's command table).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum Command {
    /// `10 FF`: reset the SAM.
    ResetSam,
    /// `11 FF`: SAM status (self-test).
    SamStatus,
    /// `12 FF`: read the SAM's ID.
    ReadSamId,
    /// `20 01`: find a card in the field.
    FindCard,
    /// `20 02`: select the card found.
    SelectCard,
    /// `30 01`: read text and photo.
    ReadText,
    /// `30 03`: read the appended address (追加住址).
    ReadAppendedAddress,
    /// `30 05`: read the card serial (MID).
    ReadCardSerial,
    /// `30 10`: read text, photo and fingerprint.
    ReadTextWithFingerprint,
    /// `61 FF nn`: set the largest RF frame the SAM sends to the card.
    SetMaxRfFrame(u8),
}

impl Command {
    /// The CMD and PARA bytes.
    pub fn cmd_para(self) -> [u8; 2] {
        match self {
            Self::ResetSam => [0x10, 0xFF],
            Self::SamStatus => [0x11, 0xFF],
            Self::ReadSamId => [0x12, 0xFF],
            Self::FindCard => [0x20, 0x01],
            Self::SelectCard => [0x20, 0x02],
            Self::ReadText => [0x30, 0x01],
            Self::ReadAppendedAddress => [0x30, 0x03],
            Self::ReadCardSerial => [0x30, 0x05],
            Self::ReadTextWithFingerprint => [0x30, 0x10],
            Self::SetMaxRfFrame(_) => [0x61, 0xFF],
        }
    }

    /// The frame carrying this command.
    pub fn to_frame(self) -> Frame {
        let mut body = self.cmd_para().to_vec();
        if let Self::SetMaxRfFrame(n) = self {
            body.push(n);
        }
        Frame { body }
    }

    /// The command's bytes on the wire.
    pub fn encode(self) -> Vec<u8> {
        self.to_frame().encode()
    }

    /// Reads a command frame (what a simulated reader receives).
    pub fn from_frame(frame: &Frame) -> Result<Self, FrameError> {
        let (cmd, para, data) = match frame.body() {
            [cmd, para, data @ ..] => (*cmd, *para, data),
            // The decoder's MIN_LEN guarantees two bytes; a hand-built frame may not have them.
            [cmd] => return Err(FrameError::UnknownCommand { cmd: *cmd, para: 0 }),
            [] => return Err(FrameError::UnknownCommand { cmd: 0, para: 0 }),
        };
        let command = match (cmd, para, data) {
            (0x10, 0xFF, []) => Self::ResetSam,
            (0x11, 0xFF, []) => Self::SamStatus,
            (0x12, 0xFF, []) => Self::ReadSamId,
            (0x20, 0x01, []) => Self::FindCard,
            (0x20, 0x02, []) => Self::SelectCard,
            (0x30, 0x01, []) => Self::ReadText,
            (0x30, 0x03, []) => Self::ReadAppendedAddress,
            (0x30, 0x05, []) => Self::ReadCardSerial,
            (0x30, 0x10, []) => Self::ReadTextWithFingerprint,
            (0x61, 0xFF, [n]) => Self::SetMaxRfFrame(*n),
            _ => return Err(FrameError::UnknownCommand { cmd, para }),
        };
        Ok(command)
    }
}

/// A response from the reader: status and data.
#[derive(Clone, PartialEq, Eq)]
pub struct Response {
    /// SW1, `00` in every response the reference shows.
    pub sw1: u8,
    /// SW2, `00` in every response the reference shows.
    pub sw2: u8,
    /// SW3, the status.
    pub status: Status,
    /// The data after the status bytes.
    pub data: Vec<u8>,
}

// Data may hold card text, photo and fingerprints: show only its size.
impl std::fmt::Debug for Response {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Response").field("sw1", &self.sw1).field("sw2", &self.sw2).field("status", &self.status).field("data_len", &self.data.len()).finish()
    }
}

impl Response {
    /// A response with SW1 SW2 = `00 00`.
    pub fn new(status: Status, data: Vec<u8>) -> Self {
        Self { sw1: 0, sw2: 0, status, data }
    }

    /// Reads a response frame.
    pub fn from_frame(frame: Frame) -> Result<Self, FrameError> {
        let mut body = frame.into_body();
        if body.len() < 3 {
            return Err(FrameError::ResponseTooShort { len: body.len() });
        }
        let data = body.split_off(3);
        Ok(Self { sw1: body[0], sw2: body[1], status: Status::from_sw3(body[2]), data })
    }

    /// The frame carrying this response.
    pub fn to_frame(&self) -> Result<Frame, FrameError> {
        let mut body = Vec::with_capacity(3 + self.data.len());
        body.extend_from_slice(&[self.sw1, self.sw2, self.status.sw3()]);
        body.extend_from_slice(&self.data);
        Frame::new(body)
    }

    /// The response's bytes on the wire.
    pub fn encode(&self) -> Result<Vec<u8>, FrameError> {
        Ok(self.to_frame()?.encode())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn decode_all(dec: &mut FrameDecoder) -> Vec<Result<Frame, FrameError>> {
        std::iter::from_fn(|| dec.next_frame()).collect()
    }

    #[test]
    fn find_card_matches_the_reference_bytes() {
        assert_eq!(Command::FindCard.encode(), [0xAA, 0xAA, 0xAA, 0x96, 0x69, 0x00, 0x03, 0x20, 0x01, 0x22]);
        assert_eq!(Command::SetMaxRfFrame(0x50).encode(), [0xAA, 0xAA, 0xAA, 0x96, 0x69, 0x00, 0x04, 0x61, 0xFF, 0x50, 0xCA]);
    }

    #[test]
    fn every_command_round_trips() {
        let all = [
            Command::ResetSam,
            Command::SamStatus,
            Command::ReadSamId,
            Command::FindCard,
            Command::SelectCard,
            Command::ReadText,
            Command::ReadAppendedAddress,
            Command::ReadCardSerial,
            Command::ReadTextWithFingerprint,
            Command::SetMaxRfFrame(0x50),
        ];
        let mut dec = FrameDecoder::new();
        for c in all {
            dec.push(&c.encode());
        }
        let got: Vec<Command> = decode_all(&mut dec).into_iter().map(|f| Command::from_frame(&f.unwrap()).unwrap()).collect();
        assert_eq!(got, all);
        assert_eq!(Command::from_frame(&Frame::new(vec![0x30, 0x02]).unwrap()), Err(FrameError::UnknownCommand { cmd: 0x30, para: 0x02 }));
    }

    #[test]
    fn responses_round_trip_and_have_the_reference_sizes() {
        let find = Response::new(Status::CardFound, vec![0; 4]);
        assert_eq!(find.encode().unwrap().len(), 15);
        let select = Response::new(Status::Ok, vec![1, 2, 3, 4, 5, 6, 7, 8]);
        assert_eq!(select.encode().unwrap().len(), 19);
        let mut read = vec![0x01, 0x00, 0x04, 0x00];
        read.extend(std::iter::repeat_n(0x20, 256));
        read.extend((0..1024).map(|i| i as u8));
        let read = Response::new(Status::Ok, read);
        let bytes = read.encode().unwrap();
        assert_eq!(bytes.len(), 1295);
        assert_eq!(&bytes[5..7], &[0x05, 0x08]);
        let mut dec = FrameDecoder::new();
        for r in [&find, &select, &read] {
            dec.push(&r.encode().unwrap());
        }
        let got: Vec<Response> = std::iter::from_fn(|| dec.next_response()).map(Result::unwrap).collect();
        assert_eq!(got, vec![find, select, read]);
        assert_eq!(dec.buffered(), 0);
        // Debug output never carries the data (it may be card text).
        assert_eq!(format!("{:?}", got[2]), "Response { sw1: 0, sw2: 0, status: Ok, data_len: 1284 }");
        assert_eq!(format!("{:?}", got[2].to_frame().unwrap()), "Frame { head: [00, 00, 90], body_len: 1287 }");
    }

    #[test]
    fn no_card_is_a_response_not_an_error() {
        let mut dec = FrameDecoder::new();
        dec.push(&[0xAA, 0xAA, 0xAA, 0x96, 0x69, 0x00, 0x04, 0x00, 0x00, 0x80, 0x84]);
        let r = dec.next_response().unwrap().unwrap();
        assert_eq!(r.status, Status::NoCard);
        assert!(r.data.is_empty());
    }

    #[test]
    fn garbage_is_skipped_and_counted() {
        let mut dec = FrameDecoder::new();
        dec.push(&[0x00, 0xAA, 0x13, 0xAA, 0xAA]);
        assert!(dec.next_frame().is_none());
        dec.push(&Command::FindCard.encode());
        assert_eq!(dec.next_frame(), Some(Ok(Command::FindCard.to_frame())));
        assert_eq!(dec.skipped(), 5);
    }

    #[test]
    fn bad_checksum_is_reported_and_the_next_frame_still_decodes() {
        let mut bad = Command::ReadText.encode();
        *bad.last_mut().unwrap() ^= 0xFF;
        let mut dec = FrameDecoder::new();
        dec.push(&bad);
        dec.push(&Command::FindCard.encode());
        assert_eq!(dec.next_frame(), Some(Err(FrameError::BadChecksum { computed: 0x32, received: 0x32 ^ 0xFF })));
        assert_eq!(dec.next_frame(), Some(Ok(Command::FindCard.to_frame())));
        assert_eq!(dec.next_frame(), None);
    }

    #[test]
    fn a_truncated_frame_costs_only_itself() {
        // The reader was unplugged mid-response, then answered the next command in full.
        let full = Response::new(Status::Ok, vec![7; 300]).encode().unwrap();
        let mut dec = FrameDecoder::new();
        dec.push(&full[..100]);
        dec.push(&full);
        assert!(matches!(dec.next_frame(), Some(Err(FrameError::BadChecksum { .. }))));
        let r = dec.next_response().unwrap().unwrap();
        assert_eq!(r.data, vec![7; 300]);
    }

    #[test]
    fn bad_and_oversized_lengths_are_typed_errors() {
        let mut dec = FrameDecoder::with_max_len(100);
        dec.push(&[0xAA, 0xAA, 0xAA, 0x96, 0x69, 0x00, 0x02, 0x20, 0x22]);
        assert_eq!(dec.next_frame(), Some(Err(FrameError::BadLength { len: 2 })));
        dec.push(&[0xAA, 0xAA, 0xAA, 0x96, 0x69, 0xFF, 0xFF]);
        assert_eq!(dec.next_frame(), Some(Err(FrameError::Oversized { len: 0xFFFF, max: 100 })));
        dec.push(&Command::SamStatus.encode());
        assert_eq!(dec.next_frame(), Some(Ok(Command::SamStatus.to_frame())));
        let short = Frame::new(vec![0, 0]).unwrap();
        assert_eq!(Response::from_frame(short), Err(FrameError::ResponseTooShort { len: 2 }));
        assert!(matches!(Frame::new(vec![0; 65535]), Err(FrameError::BodyTooLong { len: 65535 })));
    }

    #[test]
    fn clear_drops_a_half_frame() {
        let mut dec = FrameDecoder::new();
        dec.push(&Command::FindCard.encode()[..8]);
        assert_eq!(dec.next_frame(), None);
        assert_eq!(dec.buffered(), 8);
        dec.clear();
        dec.push(&Command::SelectCard.encode());
        assert_eq!(dec.next_frame(), Some(Ok(Command::SelectCard.to_frame())));
    }

    /// A response with arbitrary status and data.
    fn response() -> impl Strategy<Value = Response> {
        (any::<u8>(), proptest::collection::vec(any::<u8>(), 0..300)).prop_map(|(sw3, data)| Response::new(Status::from_sw3(sw3), data))
    }

    /// Garbage that cannot contain or complete a preamble.
    fn garbage() -> impl Strategy<Value = Vec<u8>> {
        proptest::collection::vec(any::<u8>().prop_filter("no preamble byte", |b| *b != 0xAA), 0..20)
    }

    /// Splits `bytes` at the given cut points.
    fn chunks(bytes: &[u8], cuts: &[usize]) -> Vec<Vec<u8>> {
        let mut cuts: Vec<usize> = cuts.iter().map(|c| c % (bytes.len() + 1)).collect();
        cuts.sort_unstable();
        let mut out = Vec::new();
        let mut start = 0;
        for c in cuts.into_iter().chain([bytes.len()]) {
            out.push(bytes[start..c].to_vec());
            start = c;
        }
        out
    }

    proptest! {
        #[test]
        fn any_split_of_frames_with_garbage_decodes_to_the_same_frames(
            items in proptest::collection::vec((garbage(), response()), 1..6),
            tail in garbage(),
            cuts in proptest::collection::vec(any::<usize>(), 0..12),
        ) {
            let mut stream = Vec::new();
            for (g, r) in &items {
                stream.extend_from_slice(g);
                stream.extend(r.encode().unwrap());
            }
            stream.extend_from_slice(&tail);
            let mut dec = FrameDecoder::new();
            let mut got = Vec::new();
            for chunk in chunks(&stream, &cuts) {
                dec.push(&chunk);
                while let Some(r) = dec.next_response() {
                    got.push(r.unwrap());
                }
            }
            let want: Vec<Response> = items.into_iter().map(|(_, r)| r).collect();
            prop_assert_eq!(got, want);
        }

        #[test]
        fn any_bytes_decode_the_same_however_split_and_never_panic(
            bytes in proptest::collection::vec(prop_oneof![Just(0xAAu8), Just(0x96), Just(0x69), Just(0x00), any::<u8>()], 0..400),
            cuts in proptest::collection::vec(any::<usize>(), 0..12),
        ) {
            let mut whole = FrameDecoder::with_max_len(64);
            whole.push(&bytes);
            let want = decode_all(&mut whole);
            let mut split = FrameDecoder::with_max_len(64);
            let mut got = Vec::new();
            for chunk in chunks(&bytes, &cuts) {
                split.push(&chunk);
                got.extend(decode_all(&mut split));
            }
            prop_assert_eq!(got, want);
            prop_assert!(split.buffered() <= bytes.len());
        }
    }
}
