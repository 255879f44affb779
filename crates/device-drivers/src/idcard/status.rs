//! The status byte (SW3) of a SAM response, and what it means.

use std::fmt;

/// The SAM's answer to a command, from the SW3 byte of a response (SW1 and SW2 are `00 00`).
///
/// "No card on the reader" ([`Status::NoCard`]) is the normal answer of an idle reader to *find
/// card*, not a fault: branch on [`Status::class`] to tell it from real failures.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum Status {
    /// `90`: the command succeeded.
    Ok,
    /// `9F`: *find card* found a card.
    CardFound,
    /// `91`: the item asked for has no content (e.g. no appended address on the card).
    NoContent,
    /// `10`: the SAM received a frame with a bad checksum.
    ChecksumError,
    /// `11`: the SAM received a frame with a bad length.
    LengthError,
    /// `21`: the SAM does not know the command.
    CommandError,
    /// `23`: the operation is not authorised.
    Unauthorised,
    /// `24`: the SAM reports an unknown error.
    UnknownError,
    /// `31`: the card failed to authenticate the SAM.
    CardRejectedSam,
    /// `32`: the SAM failed to authenticate the card.
    SamRejectedCard,
    /// `33`: information verification error.
    VerificationError,
    /// `40`: the card is of a type the SAM does not know.
    UnknownCardType,
    /// `41`: reading the card failed (often: the card was moved away mid-read).
    ReadFailed,
    /// `47`: random-number error.
    RandomNumberError,
    /// `60`: the SAM's self-test failed.
    SamSelfTestFailed,
    /// `66`: the SAM is not authorised.
    SamNotAuthorised,
    /// `80`: *find card* found no card. Normal when the reader is idle.
    NoCard,
    /// `81`: *select card* failed (the card left the field between find and select).
    SelectFailed,
    /// Any SW3 value the reference does not list.
    Other(u8),
}

/// How a caller should treat a [`Status`].
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum StatusClass {
    /// The command did what was asked ([`Status::Ok`], [`Status::CardFound`], [`Status::NoContent`]).
    Success,
    /// No card on the reader: the normal idle state, keep polling.
    NoCard,
    /// Something went wrong with the card in the field (moved, unreadable, rejected): ask the
    /// citizen to place the card again.
    Card,
    /// The SAM itself is faulty or unauthorised: the reader needs a technician.
    Sam,
    /// The SAM rejected our frame (checksum, length, command): a link or driver problem; resend.
    Link,
}

impl Status {
    /// The status for an SW3 byte.
    pub fn from_sw3(sw3: u8) -> Self {
        match sw3 {
            0x90 => Self::Ok,
            0x9F => Self::CardFound,
            0x91 => Self::NoContent,
            0x10 => Self::ChecksumError,
            0x11 => Self::LengthError,
            0x21 => Self::CommandError,
            0x23 => Self::Unauthorised,
            0x24 => Self::UnknownError,
            0x31 => Self::CardRejectedSam,
            0x32 => Self::SamRejectedCard,
            0x33 => Self::VerificationError,
            0x40 => Self::UnknownCardType,
            0x41 => Self::ReadFailed,
            0x47 => Self::RandomNumberError,
            0x60 => Self::SamSelfTestFailed,
            0x66 => Self::SamNotAuthorised,
            0x80 => Self::NoCard,
            0x81 => Self::SelectFailed,
            other => Self::Other(other),
        }
    }

    /// The SW3 byte of this status.
    pub fn sw3(self) -> u8 {
        match self {
            Self::Ok => 0x90,
            Self::CardFound => 0x9F,
            Self::NoContent => 0x91,
            Self::ChecksumError => 0x10,
            Self::LengthError => 0x11,
            Self::CommandError => 0x21,
            Self::Unauthorised => 0x23,
            Self::UnknownError => 0x24,
            Self::CardRejectedSam => 0x31,
            Self::SamRejectedCard => 0x32,
            Self::VerificationError => 0x33,
            Self::UnknownCardType => 0x40,
            Self::ReadFailed => 0x41,
            Self::RandomNumberError => 0x47,
            Self::SamSelfTestFailed => 0x60,
            Self::SamNotAuthorised => 0x66,
            Self::NoCard => 0x80,
            Self::SelectFailed => 0x81,
            Self::Other(b) => b,
        }
    }

    /// How to treat this status.
    pub fn class(self) -> StatusClass {
        match self {
            Self::Ok | Self::CardFound | Self::NoContent => StatusClass::Success,
            Self::NoCard => StatusClass::NoCard,
            Self::CardRejectedSam
            | Self::SamRejectedCard
            | Self::VerificationError
            | Self::UnknownCardType
            | Self::ReadFailed
            | Self::RandomNumberError
            | Self::SelectFailed => StatusClass::Card,
            Self::ChecksumError | Self::LengthError | Self::CommandError => StatusClass::Link,
            Self::Unauthorised | Self::UnknownError | Self::SamSelfTestFailed | Self::SamNotAuthorised | Self::Other(_) => StatusClass::Sam,
        }
    }

    /// True for [`StatusClass::Success`].
    pub fn is_success(self) -> bool {
        self.class() == StatusClass::Success
    }

    /// What the status means, in words a technician can act on (with the vendor manuals' Chinese
    /// term, which is what they will search for).
    pub fn meaning(self) -> &'static str {
        match self {
            Self::Ok => "success (操作成功)",
            Self::CardFound => "card found (寻找证/卡成功)",
            Self::NoContent => "the item has no content (无内容)",
            Self::ChecksumError => "the SAM received a frame with a bad checksum (校验和错): check the cable and baud rate",
            Self::LengthError => "the SAM received a frame with a bad length (长度错)",
            Self::CommandError => "the SAM does not know the command (命令错)",
            Self::Unauthorised => "unauthorised operation (越权操作)",
            Self::UnknownError => "unknown SAM error (无法识别的错误)",
            Self::CardRejectedSam => "the card failed to authenticate the SAM (证/卡认证 SAM 失败)",
            Self::SamRejectedCard => "the SAM failed to authenticate the card (SAM 认证证/卡失败)",
            Self::VerificationError => "information verification error (信息验证错误)",
            Self::UnknownCardType => "unknown card type (未知卡类型)",
            Self::ReadFailed => "reading the card failed (读证/卡操作失败): keep the card still on the reader",
            Self::RandomNumberError => "random-number error (取随机数失败)",
            Self::SamSelfTestFailed => "the SAM self-test failed (SAM 自检失败): the reader needs service",
            Self::SamNotAuthorised => "the SAM is not authorised (SAM 未经授权): the reader needs service",
            Self::NoCard => "no card on the reader (寻找证/卡失败)",
            Self::SelectFailed => "selecting the card failed (选取证/卡失败): place the card again",
            Self::Other(_) => "status not listed in GA/T 467: see the reader's manual",
        }
    }
}

impl fmt::Display for Status {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "SW3 {:02X}: {}", self.sw3(), self.meaning())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_byte_round_trips_and_listed_codes_are_named() {
        let listed = [0x90, 0x9F, 0x91, 0x10, 0x11, 0x21, 0x23, 0x24, 0x31, 0x32, 0x33, 0x40, 0x41, 0x47, 0x60, 0x66, 0x80, 0x81];
        for b in 0..=u8::MAX {
            let s = Status::from_sw3(b);
            assert_eq!(s.sw3(), b);
            assert_eq!(matches!(s, Status::Other(_)), !listed.contains(&b), "byte {b:02X}");
        }
    }

    #[test]
    fn no_card_is_normal_not_a_failure() {
        assert_eq!(Status::from_sw3(0x80), Status::NoCard);
        assert_eq!(Status::NoCard.class(), StatusClass::NoCard);
        assert!(!Status::NoCard.is_success());
        assert_eq!(Status::from_sw3(0x90).class(), StatusClass::Success);
        assert_eq!(Status::from_sw3(0x9F).class(), StatusClass::Success);
        assert_eq!(Status::from_sw3(0x41).class(), StatusClass::Card);
        assert_eq!(Status::from_sw3(0x60).class(), StatusClass::Sam);
        assert_eq!(Status::from_sw3(0x10).class(), StatusClass::Link);
        assert_eq!(Status::from_sw3(0x77).class(), StatusClass::Sam);
        assert_eq!(Status::SamNotAuthorised.to_string(), "SW3 66: the SAM is not authorised (SAM 未经授权): the reader needs service");
    }
}
