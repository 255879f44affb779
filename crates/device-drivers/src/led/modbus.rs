//! Modbus-RTU frames, sans-IO: the two functions the panel uses (0x03 Read Holding Registers,
//! 0x10 Write Multiple Registers), exception responses, CRC-16/MODBUS, and an incremental
//! [`FrameDecoder`] that finds frames in a byte stream and resynchronises after garbage.
//!
//! An RTU frame is `address | function | data | CRC` with the CRC sent low byte first; registers
//! are 16-bit big-endian. RTU marks frame ends by 3.5 characters of silence, which a program on
//! a USB-serial adapter cannot see reliably; the decoder instead derives each frame's length
//! from its function code (and byte count), checks the CRC, and on any mismatch drops one byte
//! and tries again. For a function it does not know in a request (so no length), it takes the
//! shortest prefix whose CRC matches, so that a slave can still answer "illegal function".

use thiserror::Error;

/// Function 0x03, Read Holding Registers.
pub const READ_HOLDING_REGISTERS: u8 = 0x03;
/// Function 0x10, Write Multiple Registers.
pub const WRITE_MULTIPLE_REGISTERS: u8 = 0x10;
/// The most registers one 0x03 request may read (the spec's limit: 250 data bytes).
pub const MAX_READ: u16 = 125;
/// The most registers one 0x10 request may write (the spec's limit: 246 data bytes).
pub const MAX_WRITE: u16 = 123;
/// The longest RTU frame (address, PDU of up to 253 bytes, CRC).
pub const MAX_FRAME: usize = 256;

/// CRC-16/MODBUS (reflected polynomial 0xA001, initial value 0xFFFF) of `bytes`.
pub fn crc16(bytes: &[u8]) -> u16 {
    bytes.iter().fold(0xFFFF, |crc, &b| crc_step(crc, b))
}

/// Adds one byte to a running CRC-16/MODBUS.
fn crc_step(mut crc: u16, byte: u8) -> u16 {
    crc ^= u16::from(byte);
    for _ in 0..8 {
        crc = if crc & 1 != 0 { (crc >> 1) ^ 0xA001 } else { crc >> 1 };
    }
    crc
}

/// `address | pdu` with its CRC appended, low byte first.
fn seal(mut frame: Vec<u8>) -> Vec<u8> {
    let crc = crc16(&frame);
    frame.extend_from_slice(&crc.to_le_bytes());
    frame
}

/// A slave (panel) address, 1 to 247. (0 is broadcast, which gets no answer, and 248–255 are
/// reserved, so neither can be a panel the driver talks to.)
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, serde::Serialize, serde::Deserialize)]
#[serde(try_from = "u8", into = "u8")]
pub struct SlaveAddress(u8);

/// An address outside 1–247.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Error)]
#[error("Modbus slave address {0} is invalid: use 1 to 247, as set on the panel (DIP switches or its setup menu)")]
pub struct InvalidSlaveAddress(pub u8);

impl SlaveAddress {
    /// Address 1, the factory setting of most panels.
    pub const DEFAULT: SlaveAddress = SlaveAddress(1);

    /// Checks the address.
    ///
    /// # Errors
    /// [`InvalidSlaveAddress`] outside 1–247.
    pub fn new(address: u8) -> Result<SlaveAddress, InvalidSlaveAddress> {
        if (1..=247).contains(&address) { Ok(SlaveAddress(address)) } else { Err(InvalidSlaveAddress(address)) }
    }

    /// The address byte.
    pub fn get(self) -> u8 {
        self.0
    }
}

impl TryFrom<u8> for SlaveAddress {
    type Error = InvalidSlaveAddress;
    fn try_from(a: u8) -> Result<Self, InvalidSlaveAddress> {
        SlaveAddress::new(a)
    }
}

impl From<SlaveAddress> for u8 {
    fn from(a: SlaveAddress) -> u8 {
        a.0
    }
}

impl std::fmt::Display for SlaveAddress {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        self.0.fmt(f)
    }
}

/// A Modbus exception code, as a slave reports it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, serde::Serialize, serde::Deserialize)]
#[non_exhaustive]
pub enum ExceptionCode {
    /// 0x01: the slave does not support the function.
    IllegalFunction,
    /// 0x02: a register address is outside the slave's map.
    IllegalDataAddress,
    /// 0x03: a value (or a count) is not acceptable.
    IllegalDataValue,
    /// 0x04: the slave failed while doing what was asked.
    SlaveDeviceFailure,
    /// 0x05: accepted, but it takes long; ask again later.
    Acknowledge,
    /// 0x06: the slave is busy; ask again later.
    SlaveDeviceBusy,
    /// Any other code.
    Other(u8),
}

impl ExceptionCode {
    /// From the code byte.
    pub fn from_byte(b: u8) -> ExceptionCode {
        match b {
            0x01 => Self::IllegalFunction,
            0x02 => Self::IllegalDataAddress,
            0x03 => Self::IllegalDataValue,
            0x04 => Self::SlaveDeviceFailure,
            0x05 => Self::Acknowledge,
            0x06 => Self::SlaveDeviceBusy,
            other => Self::Other(other),
        }
    }

    /// The code byte.
    pub fn to_byte(self) -> u8 {
        match self {
            Self::IllegalFunction => 0x01,
            Self::IllegalDataAddress => 0x02,
            Self::IllegalDataValue => 0x03,
            Self::SlaveDeviceFailure => 0x04,
            Self::Acknowledge => 0x05,
            Self::SlaveDeviceBusy => 0x06,
            Self::Other(b) => b,
        }
    }

    /// Whether asking again later may succeed.
    pub fn is_transient(self) -> bool {
        matches!(self, Self::Acknowledge | Self::SlaveDeviceBusy)
    }
}

impl std::fmt::Display for ExceptionCode {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Self::IllegalFunction => f.write_str("illegal function (01)"),
            Self::IllegalDataAddress => f.write_str("illegal data address (02)"),
            Self::IllegalDataValue => f.write_str("illegal data value (03)"),
            Self::SlaveDeviceFailure => f.write_str("slave device failure (04)"),
            Self::Acknowledge => f.write_str("acknowledge, still working (05)"),
            Self::SlaveDeviceBusy => f.write_str("slave device busy (06)"),
            Self::Other(b) => write!(f, "exception code {b:02X}"),
        }
    }
}

/// Why bytes are not a valid frame or message.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
#[non_exhaustive]
pub enum FrameError {
    /// The CRC does not match: bytes were lost or corrupted on the line.
    #[error(
        "Modbus CRC mismatch (computed {computed:04X}, frame says {received:04X}): bytes were corrupted on the RS-485 line; check the wiring (A/B not swapped, a 120 Ω terminator at each end), the baud rate and that only one master is on the bus"
    )]
    BadCrc {
        /// The CRC of the received bytes.
        computed: u16,
        /// The CRC the frame carried.
        received: u16,
    },
    /// A function code the decoder cannot frame (responses) or the panel does not implement.
    #[error("Modbus function {function:02X} is not one this panel uses: the stream is corrupt or another device shares the bus")]
    UnknownFunction {
        /// The function byte.
        function: u8,
    },
    /// An address byte that no slave may have in a response (0, or 248–255).
    #[error("byte {address:02X} cannot be a Modbus slave address: the stream is corrupt")]
    BadAddress {
        /// The address byte.
        address: u8,
    },
    /// Not the start of the answer the decoder was told to expect.
    #[error("bytes {address:02X} {function:02X} do not start the expected answer: the stream is corrupt or another device shares the bus")]
    NotExpected {
        /// The address byte.
        address: u8,
        /// The function byte.
        function: u8,
    },
    /// A frame whose length fields disagree, or that is cut short.
    #[error("Modbus frame is malformed: {reason}")]
    Malformed {
        /// What is wrong.
        reason: &'static str,
    },
}

/// A request from the master (the driver) to a slave (the panel).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Request {
    /// 0x03: read `count` registers from `start`.
    ReadHoldingRegisters {
        /// First register.
        start: u16,
        /// How many (1 to [`MAX_READ`]).
        count: u16,
    },
    /// 0x10: write `values` to consecutive registers from `start`.
    WriteMultipleRegisters {
        /// First register.
        start: u16,
        /// The values (1 to [`MAX_WRITE`]).
        values: Vec<u16>,
    },
    /// Any other function, kept so that a slave can answer "illegal function".
    Other {
        /// The function byte.
        function: u8,
        /// Its data.
        data: Vec<u8>,
    },
}

impl Request {
    /// The function code.
    pub fn function(&self) -> u8 {
        match self {
            Request::ReadHoldingRegisters { .. } => READ_HOLDING_REGISTERS,
            Request::WriteMultipleRegisters { .. } => WRITE_MULTIPLE_REGISTERS,
            Request::Other { function, .. } => *function,
        }
    }

    /// The frame for `slave`, CRC included.
    ///
    /// Counts are not checked here, so that tests can send what a faulty master would; the
    /// driver only builds requests within the limits.
    pub fn encode(&self, slave: SlaveAddress) -> Vec<u8> {
        let mut f = vec![slave.get(), self.function()];
        match self {
            Request::ReadHoldingRegisters { start, count } => {
                f.extend_from_slice(&start.to_be_bytes());
                f.extend_from_slice(&count.to_be_bytes());
            }
            Request::WriteMultipleRegisters { start, values } => {
                f.extend_from_slice(&start.to_be_bytes());
                f.extend_from_slice(&u16::try_from(values.len()).unwrap_or(u16::MAX).to_be_bytes());
                f.push(u8::try_from(values.len() * 2).unwrap_or(u8::MAX));
                for v in values {
                    f.extend_from_slice(&v.to_be_bytes());
                }
            }
            Request::Other { data, .. } => f.extend_from_slice(data),
        }
        seal(f)
    }

    /// Interprets a decoded frame's PDU (function and data).
    ///
    /// # Errors
    /// [`FrameError::Malformed`] when the counts disagree or are out of the spec's range (a slave
    /// answers those with [`ExceptionCode::IllegalDataValue`]).
    pub fn parse(pdu: &[u8]) -> Result<Request, FrameError> {
        let (&function, data) = pdu.split_first().ok_or(FrameError::Malformed { reason: "empty PDU" })?;
        let word = |i: usize| -> Option<u16> { Some(u16::from_be_bytes([*data.get(i)?, *data.get(i + 1)?])) };
        match function {
            READ_HOLDING_REGISTERS => {
                let (Some(start), Some(count), 4) = (word(0), word(2), data.len()) else {
                    return Err(FrameError::Malformed { reason: "a read request carries a start and a count" });
                };
                if !(1..=MAX_READ).contains(&count) {
                    return Err(FrameError::Malformed { reason: "a read request asks for 1 to 125 registers" });
                }
                Ok(Request::ReadHoldingRegisters { start, count })
            }
            WRITE_MULTIPLE_REGISTERS => {
                let (Some(start), Some(count), Some(&bytes)) = (word(0), word(2), data.get(4)) else {
                    return Err(FrameError::Malformed { reason: "a write request carries a start, a count and a byte count" });
                };
                if !(1..=MAX_WRITE).contains(&count) || usize::from(bytes) != 2 * usize::from(count) || data.len() != 5 + usize::from(bytes) {
                    return Err(FrameError::Malformed { reason: "a write request's register count, byte count and data disagree" });
                }
                let values = data[5..].chunks_exact(2).map(|c| u16::from_be_bytes([c[0], c[1]])).collect();
                Ok(Request::WriteMultipleRegisters { start, values })
            }
            function => Ok(Request::Other { function, data: data.to_vec() }),
        }
    }
}

/// A slave's answer.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Response {
    /// 0x03: the registers read.
    ReadHoldingRegisters {
        /// Their values.
        values: Vec<u16>,
    },
    /// 0x10: the write was done.
    WriteMultipleRegisters {
        /// First register written.
        start: u16,
        /// How many.
        count: u16,
    },
    /// The request failed: `function` is the request's function (without the 0x80 bit).
    Exception {
        /// The request's function.
        function: u8,
        /// Why.
        code: ExceptionCode,
    },
}

impl Response {
    /// The function code the response answers.
    pub fn function(&self) -> u8 {
        match self {
            Response::ReadHoldingRegisters { .. } => READ_HOLDING_REGISTERS,
            Response::WriteMultipleRegisters { .. } => WRITE_MULTIPLE_REGISTERS,
            Response::Exception { function, .. } => *function,
        }
    }

    /// The frame from `slave`, CRC included.
    pub fn encode(&self, slave: SlaveAddress) -> Vec<u8> {
        let mut f = vec![slave.get()];
        match self {
            Response::ReadHoldingRegisters { values } => {
                f.push(READ_HOLDING_REGISTERS);
                f.push(u8::try_from(values.len() * 2).unwrap_or(u8::MAX));
                for v in values {
                    f.extend_from_slice(&v.to_be_bytes());
                }
            }
            Response::WriteMultipleRegisters { start, count } => {
                f.push(WRITE_MULTIPLE_REGISTERS);
                f.extend_from_slice(&start.to_be_bytes());
                f.extend_from_slice(&count.to_be_bytes());
            }
            Response::Exception { function, code } => {
                f.push(function | 0x80);
                f.push(code.to_byte());
            }
        }
        seal(f)
    }

    /// Interprets a decoded frame's PDU.
    ///
    /// # Errors
    /// [`FrameError::Malformed`], [`FrameError::UnknownFunction`].
    pub fn parse(pdu: &[u8]) -> Result<Response, FrameError> {
        let (&function, data) = pdu.split_first().ok_or(FrameError::Malformed { reason: "empty PDU" })?;
        match function {
            f if f & 0x80 != 0 => match data {
                [code] => Ok(Response::Exception { function: f & 0x7F, code: ExceptionCode::from_byte(*code) }),
                _ => Err(FrameError::Malformed { reason: "an exception carries one code byte" }),
            },
            READ_HOLDING_REGISTERS => match data.split_first() {
                Some((&n, rest)) if usize::from(n) == rest.len() && n % 2 == 0 => {
                    Ok(Response::ReadHoldingRegisters { values: rest.chunks_exact(2).map(|c| u16::from_be_bytes([c[0], c[1]])).collect() })
                }
                _ => Err(FrameError::Malformed { reason: "a read response's byte count and data disagree" }),
            },
            WRITE_MULTIPLE_REGISTERS => match data {
                [a, b, c, d] => Ok(Response::WriteMultipleRegisters { start: u16::from_be_bytes([*a, *b]), count: u16::from_be_bytes([*c, *d]) }),
                _ => Err(FrameError::Malformed { reason: "a write response carries a start and a count" }),
            },
            function => Err(FrameError::UnknownFunction { function }),
        }
    }
}

/// One frame found in the stream, its CRC checked.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Frame {
    /// The address byte (0 is broadcast, in requests).
    pub address: u8,
    /// Function and data.
    pub pdu: Vec<u8>,
}

/// Which side's frames a decoder reads: their lengths are worked out differently.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Direction {
    /// Master to slave (the simulator reads these).
    Requests,
    /// Slave to master (the driver reads these).
    Responses,
}

/// What the bytes at the start of the buffer are.
enum Probe {
    /// Need more bytes to tell.
    Wait,
    /// A frame of this many bytes (CRC checked).
    Frame(usize),
    /// Not a frame start: drop one byte.
    Skip(FrameError),
}

/// The length of the shortest prefix of `buf` (at least 4 bytes) that ends in the CRC of the
/// bytes before it; the CRC is carried along, so this is linear in `buf`'s length.
fn shortest_crc_match(buf: &[u8]) -> Option<usize> {
    let mut crc: u16 = 0xFFFF;
    for (i, &b) in buf.iter().enumerate() {
        // Now `crc` covers buf[..=i]; the frame it would close is i + 3 bytes long.
        crc = crc_step(crc, b);
        let (Some(&lo), Some(&hi)) = (buf.get(i + 1), buf.get(i + 2)) else { break };
        if i + 3 >= 4 && u16::from_le_bytes([lo, hi]) == crc {
            return Some(i + 3);
        }
    }
    None
}

/// Finds frames in a byte stream fed in pieces of any size.
///
/// Feed bytes with [`push`](FrameDecoder::push) and take frames with
/// [`next_frame`](FrameDecoder::next_frame) until it returns `None`. Each error it returns is
/// one dropped byte (the start of something that was not a frame); it never stalls on garbage for
/// more than [`MAX_FRAME`] bytes, and the result does not depend on how the stream was split.
#[derive(Debug, Clone)]
pub struct FrameDecoder {
    direction: Direction,
    buf: Vec<u8>,
    skipped: u64,
    /// The address and function of the only frames wanted (a master awaiting one answer).
    expected: Option<(u8, u8)>,
}

impl FrameDecoder {
    /// A decoder for `direction`.
    pub fn new(direction: Direction) -> FrameDecoder {
        FrameDecoder { direction, buf: Vec::new(), skipped: 0, expected: None }
    }

    /// From now on, accepts only frames from `address` with `function` (or its exception), and
    /// drops anything else a byte at a time. A master awaiting one answer resynchronises much
    /// faster so: a stray byte cannot start a long phantom frame that swallows the real answer.
    pub fn expect(&mut self, address: u8, function: u8) {
        self.expected = Some((address, function & 0x7F));
    }

    /// Accepts any frame again.
    pub fn expect_any(&mut self) {
        self.expected = None;
    }

    /// A decoder of requests (a slave's side).
    pub fn requests() -> FrameDecoder {
        FrameDecoder::new(Direction::Requests)
    }

    /// A decoder of responses (the master's side).
    pub fn responses() -> FrameDecoder {
        FrameDecoder::new(Direction::Responses)
    }

    /// Adds received bytes.
    pub fn push(&mut self, bytes: &[u8]) {
        self.buf.extend_from_slice(bytes);
    }

    /// Bytes held, not yet a frame.
    pub fn buffered(&self) -> usize {
        self.buf.len()
    }

    /// Bytes dropped so far as not belonging to a frame.
    pub fn skipped(&self) -> u64 {
        self.skipped
    }

    /// Forgets what is buffered (after a timeout, before a new request).
    pub fn clear(&mut self) {
        self.buf.clear();
    }

    /// The next frame, an error for a dropped byte, or `None` until more bytes arrive.
    pub fn next_frame(&mut self) -> Option<Result<Frame, FrameError>> {
        match self.probe() {
            Probe::Wait => None,
            Probe::Frame(len) => {
                let frame: Vec<u8> = self.buf.drain(..len).collect();
                Some(Ok(Frame { address: frame[0], pdu: frame[1..len - 2].to_vec() }))
            }
            Probe::Skip(error) => {
                self.buf.remove(0);
                self.skipped += 1;
                Some(Err(error))
            }
        }
    }

    /// The length of a frame whose function is `function`, if it can be told from the first
    /// bytes; `Err` when the function cannot be framed by length.
    fn expected_len(&self, function: u8) -> Result<Option<usize>, ()> {
        let at = |i: usize| self.buf.get(i).map(|&b| usize::from(b));
        match (self.direction, function) {
            (Direction::Responses, f) if f & 0x80 != 0 => Ok(Some(5)),
            (Direction::Responses, 0x01..=0x04) => Ok(at(2).map(|n| 5 + n)),
            (Direction::Responses, 0x05 | 0x06 | 0x0F | 0x10) => Ok(Some(8)),
            (Direction::Requests, 0x01..=0x06) => Ok(Some(8)),
            (Direction::Requests, 0x0F | 0x10) => Ok(at(6).map(|n| 9 + n)),
            _ => Err(()),
        }
    }

    fn probe(&self) -> Probe {
        let buf = &self.buf;
        let Some(&address) = buf.first() else { return Probe::Wait };
        // Requests may be broadcast (0); nothing may come from or go to 248–255.
        let valid = match self.direction {
            Direction::Requests => address <= 247,
            Direction::Responses => (1..=247).contains(&address),
        };
        if !valid {
            return Probe::Skip(FrameError::BadAddress { address });
        }
        let Some(&function) = buf.get(1) else { return Probe::Wait };
        if let Some((a, f)) = self.expected
            && (address != a || function & 0x7F != f)
        {
            return Probe::Skip(FrameError::NotExpected { address, function });
        }
        match self.expected_len(function) {
            Ok(None) => Probe::Wait,
            Ok(Some(len)) if buf.len() < len => Probe::Wait,
            Ok(Some(len)) => {
                let computed = crc16(&buf[..len - 2]);
                let received = u16::from_le_bytes([buf[len - 2], buf[len - 1]]);
                if computed == received { Probe::Frame(len) } else { Probe::Skip(FrameError::BadCrc { computed, received }) }
            }
            Err(()) if self.direction == Direction::Responses => Probe::Skip(FrameError::UnknownFunction { function }),
            Err(()) => {
                // A request of a function we cannot frame: the shortest prefix with a matching
                // CRC (at least address, function, CRC), so the slave can refuse it properly.
                if let Some(len) = shortest_crc_match(&buf[..buf.len().min(MAX_FRAME)]) {
                    Probe::Frame(len)
                } else if buf.len() >= MAX_FRAME {
                    Probe::Skip(FrameError::UnknownFunction { function })
                } else {
                    Probe::Wait
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use proptest::prelude::*;

    use super::*;

    fn slave(a: u8) -> SlaveAddress {
        SlaveAddress::new(a).expect("valid")
    }

    #[test]
    fn crc_matches_the_reference_check_value_and_a_known_frame() {
        // The catalogue check value of CRC-16/MODBUS for "123456789".
        assert_eq!(crc16(b"123456789"), 0x4B37);
        // Read 2 registers from 0 at slave 1: the classic example frame 01 03 00 00 00 02 C4 0B.
        let frame = Request::ReadHoldingRegisters { start: 0, count: 2 }.encode(slave(1));
        assert_eq!(frame, [0x01, 0x03, 0x00, 0x00, 0x00, 0x02, 0xC4, 0x0B]);
    }

    #[test]
    fn requests_and_responses_round_trip() {
        let requests = [
            Request::ReadHoldingRegisters { start: 0, count: 8 },
            Request::WriteMultipleRegisters { start: 0x1000, values: (0..123).collect() },
            Request::WriteMultipleRegisters { start: 0x10, values: vec![0xABCD] },
            Request::Other { function: 0x2B, data: vec![0x0E, 0x01, 0x00] },
        ];
        for r in requests {
            let mut d = FrameDecoder::requests();
            d.push(&r.encode(slave(7)));
            let frame = d.next_frame().expect("a frame").expect("valid");
            assert_eq!(frame.address, 7);
            assert_eq!(Request::parse(&frame.pdu).expect("parses"), r);
            assert_eq!(d.buffered(), 0);
        }
        let responses = [
            Response::ReadHoldingRegisters { values: vec![0x484C, 1, 128, 16] },
            Response::WriteMultipleRegisters { start: 0x1000, count: 123 },
            Response::Exception { function: 0x10, code: ExceptionCode::IllegalDataAddress },
            Response::Exception { function: 0x03, code: ExceptionCode::Other(0x0B) },
        ];
        for r in responses {
            let mut d = FrameDecoder::responses();
            d.push(&r.encode(slave(247)));
            let frame = d.next_frame().expect("a frame").expect("valid");
            assert_eq!(frame.address, 247);
            assert_eq!(Response::parse(&frame.pdu).expect("parses"), r);
        }
    }

    #[test]
    fn bad_counts_in_requests_are_malformed() {
        // 0 registers; 124 registers; byte count disagreeing with the count.
        assert!(matches!(Request::parse(&[0x03, 0, 0, 0, 0]), Err(FrameError::Malformed { .. })));
        assert!(matches!(Request::parse(&[0x03, 0, 0, 0, 126]), Err(FrameError::Malformed { .. })));
        assert!(matches!(Request::parse(&[0x10, 0, 0, 0, 1, 4, 0, 1, 0, 2]), Err(FrameError::Malformed { .. })));
        let mut too_many = vec![0x10, 0, 0, 0, 124, 248];
        too_many.extend(std::iter::repeat_n(0, 248));
        assert!(matches!(Request::parse(&too_many), Err(FrameError::Malformed { .. })));
        assert!(matches!(Response::parse(&[0x03, 3, 0, 0, 0]), Err(FrameError::Malformed { .. })));
        assert!(matches!(Response::parse(&[0x2B, 0]), Err(FrameError::UnknownFunction { function: 0x2B })));
    }

    #[test]
    fn a_corrupted_frame_is_skipped_and_the_next_one_found() {
        let good = Response::WriteMultipleRegisters { start: 0x10, count: 6 }.encode(slave(1));
        let mut bad = good.clone();
        bad[3] ^= 0x01;
        let mut d = FrameDecoder::responses();
        d.expect(1, 0x10);
        d.push(&[0x00, 0xFF]);
        d.push(&bad);
        d.push(&good);
        let mut errors = Vec::new();
        let frame = loop {
            match d.next_frame().expect("progress") {
                Ok(f) => break f,
                Err(e) => errors.push(e),
            }
        };
        assert_eq!(Response::parse(&frame.pdu), Ok(Response::WriteMultipleRegisters { start: 0x10, count: 6 }));
        assert!(matches!(errors[0], FrameError::BadAddress { address: 0 }));
        assert!(errors.iter().any(|e| matches!(e, FrameError::NotExpected { .. })), "{errors:?}");
        assert!(errors.iter().any(|e| matches!(e, FrameError::BadCrc { .. })), "{errors:?}");
        assert_eq!(d.skipped(), errors.len() as u64);
        assert_eq!(d.buffered(), 0);
    }

    #[test]
    fn slave_addresses_are_1_to_247() {
        assert_eq!(SlaveAddress::new(0), Err(InvalidSlaveAddress(0)));
        assert_eq!(SlaveAddress::new(248), Err(InvalidSlaveAddress(248)));
        assert_eq!(SlaveAddress::new(247).map(SlaveAddress::get), Ok(247));
        assert!(InvalidSlaveAddress(0).to_string().contains("1 to 247"));
        assert_eq!(ExceptionCode::from_byte(0x06), ExceptionCode::SlaveDeviceBusy);
        for b in 0..=255u8 {
            assert_eq!(ExceptionCode::from_byte(b).to_byte(), b);
        }
    }

    /// Decodes everything, drained after each piece.
    fn decode_in_pieces(direction: Direction, bytes: &[u8], cuts: &[usize]) -> Vec<Result<Frame, FrameError>> {
        decode_expecting(FrameDecoder::new(direction), bytes, cuts)
    }

    /// The same, with a decoder set up by the caller.
    fn decode_expecting(mut d: FrameDecoder, bytes: &[u8], cuts: &[usize]) -> Vec<Result<Frame, FrameError>> {
        let mut out = Vec::new();
        let mut start = 0;
        let mut points: Vec<usize> = cuts.iter().map(|c| c % (bytes.len() + 1)).collect();
        points.sort_unstable();
        points.push(bytes.len());
        for p in points {
            d.push(&bytes[start..p.max(start)]);
            start = p.max(start);
            while let Some(r) = d.next_frame() {
                out.push(r);
            }
        }
        out
    }

    fn any_request() -> impl Strategy<Value = Request> {
        prop_oneof![
            (any::<u16>(), 1..=MAX_READ).prop_map(|(start, count)| Request::ReadHoldingRegisters { start, count }),
            (any::<u16>(), proptest::collection::vec(any::<u16>(), 1..=usize::from(MAX_WRITE)))
                .prop_map(|(start, values)| Request::WriteMultipleRegisters { start, values }),
        ]
    }

    fn any_response() -> impl Strategy<Value = Response> {
        prop_oneof![
            proptest::collection::vec(any::<u16>(), 0..=usize::from(MAX_READ)).prop_map(|values| Response::ReadHoldingRegisters { values }),
            (any::<u16>(), any::<u16>()).prop_map(|(start, count)| Response::WriteMultipleRegisters { start, count }),
            (1u8..0x80, any::<u8>()).prop_map(|(function, code)| Response::Exception { function, code: ExceptionCode::from_byte(code) }),
        ]
    }

    proptest! {
        #[test]
        fn any_split_of_requests_decodes_the_same(
            requests in proptest::collection::vec((1u8..=247, any_request()), 1..4),
            garbage in proptest::collection::vec(any::<u8>(), 0..16),
            cuts in proptest::collection::vec(any::<usize>(), 0..8),
        ) {
            let mut bytes = garbage.clone();
            for (a, r) in &requests {
                bytes.extend(r.encode(slave(*a)));
            }
            let whole = decode_in_pieces(Direction::Requests, &bytes, &[]);
            let split = decode_in_pieces(Direction::Requests, &bytes, &cuts);
            prop_assert_eq!(&whole, &split);
            // Without leading garbage, every request comes back exactly.
            let mut clean = Vec::new();
            for (a, r) in &requests {
                clean.extend(r.encode(slave(*a)));
            }
            let frames: Vec<(u8, Request)> = decode_in_pieces(Direction::Requests, &clean, &cuts)
                .into_iter()
                .map(|r| r.map(|f| (f.address, Request::parse(&f.pdu).expect("parses"))))
                .collect::<Result<_, _>>()
                .expect("no errors");
            prop_assert_eq!(frames, requests);
        }

        #[test]
        fn any_split_of_responses_decodes_the_same_and_resyncs_after_garbage(
            responses in proptest::collection::vec((1u8..=247, any_response()), 1..4),
            garbage in proptest::collection::vec(any::<u8>(), 0..16),
            cuts in proptest::collection::vec(any::<usize>(), 0..8),
        ) {
            let mut bytes = garbage.clone();
            for (a, r) in &responses {
                bytes.extend(r.encode(slave(*a)));
            }
            let whole = decode_in_pieces(Direction::Responses, &bytes, &[]);
            let split = decode_in_pieces(Direction::Responses, &bytes, &cuts);
            prop_assert_eq!(&whole, &split);
            // The last response is always found: garbage may swallow earlier ones only when it
            // happens to frame them, and at most MAX_FRAME bytes are ever waited for.
            let mut tail = bytes.clone();
            tail.extend(std::iter::repeat_n(0u8, MAX_FRAME));
            let frames: Vec<Frame> = decode_in_pieces(Direction::Responses, &tail, &cuts).into_iter().filter_map(Result::ok).collect();
            let (last_addr, last) = responses.last().expect("non-empty");
            prop_assert!(frames.iter().any(|f| f.address == *last_addr && Response::parse(&f.pdu).as_ref() == Ok(last)));
        }

        #[test]
        fn an_expected_answer_is_found_after_any_garbage_however_split(
            garbage in proptest::collection::vec(any::<u8>(), 0..64),
            response in any_response(),
            cuts in proptest::collection::vec(any::<usize>(), 0..8),
        ) {
            let mut bytes = garbage;
            bytes.extend(response.encode(slave(9)));
            // Silence on the line reads as nothing; zeros stand for "the rest of the timeout" so
            // that a phantom frame begun in the garbage is completed and dropped.
            bytes.extend(std::iter::repeat_n(0u8, MAX_FRAME));
            let mut d = FrameDecoder::responses();
            d.expect(9, response.function());
            let whole = decode_expecting(d.clone(), &bytes, &[]);
            prop_assert_eq!(&whole, &decode_expecting(d, &bytes, &cuts));
            let found: Vec<Response> = whole.into_iter().filter_map(Result::ok).map(|f| Response::parse(&f.pdu).expect("parses")).collect();
            prop_assert_eq!(found.last(), Some(&response));
        }

        #[test]
        fn random_bytes_never_panic_and_never_stall(bytes in proptest::collection::vec(any::<u8>(), 0..600)) {
            for direction in [Direction::Requests, Direction::Responses] {
                let mut d = FrameDecoder::new(direction);
                d.push(&bytes);
                while let Some(r) = d.next_frame() {
                    if let Ok(f) = r {
                        let _ = Request::parse(&f.pdu);
                        let _ = Response::parse(&f.pdu);
                    }
                }
                prop_assert!(d.buffered() < MAX_FRAME + 9, "held {} bytes", d.buffered());
            }
        }
    }
}
