//! The card photo: from the bytes a reader returns to an RGB image, or a clear "not decoded".
//!
//! The card stores its photo as 1024 bytes of WLT, a proprietary compressed and protected format
//! that only vendor libraries decode (to a 102×126, 24-bit BMP). Nothing here decodes WLT, and
//! nothing ever will pretend to. Three configurations are supported ([`PhotoSource`]):
//!
//! - [`PhotoSource::ReaderDecodes`]: the reader decodes inside and returns the BMP instead of
//!   WLT; the BMP is parsed here ([`parse_bmp`]).
//! - [`PhotoSource::VendorLibrary`]: a vendor decoder library is loaded at run time from a
//!   configured path with `libloading` (see [`VendorLibraryConfig`] for the C signature).
//! - [`PhotoSource::NoDecoder`]: the result is [`Photo::Undecoded`], and face verification must
//!   fall back to the staffed path.
//!
//! Open a [`PhotoDecoder`] once from the configuration (the library is loaded then, so a wrong
//! path is reported at start-up), and call [`PhotoDecoder::decode`] for each card. An `Err`
//! from `decode` means the photo could not be decoded this time; face verification falls back
//! then too.
//!
//! Images are personal data: `Debug` of [`RgbImage`] and [`Photo`] shows only sizes.

use std::ffi::{c_char, c_int};
use std::fmt;
use std::path::{Path, PathBuf};
use std::sync::Mutex;

use thiserror::Error;

use super::card::PHOTO_LEN;

/// Width of the card photo, in pixels.
pub const PHOTO_WIDTH: u32 = 102;
/// Height of the card photo, in pixels.
pub const PHOTO_HEIGHT: u32 = 126;
/// Size of the card photo as a BMP: a 54-byte header, then 126 rows of 102 × 3 bytes padded to
/// 308.
pub const PHOTO_BMP_LEN: usize = BMP_HEADER_LEN + PHOTO_HEIGHT as usize * 308;

/// Size of the BMP file header (14) plus a `BITMAPINFOHEADER` (40).
const BMP_HEADER_LEN: usize = 54;
const FILE_HEADER_LEN: usize = 14;
/// The smallest DIB header with the fields read here (`BITMAPINFOHEADER`); the later versions
/// (V4: 108, V5: 124) extend it and are accepted.
const INFO_HEADER_LEN: u32 = 40;
/// Largest side accepted, so a corrupt header cannot ask for a huge allocation.
const MAX_SIDE: u32 = 4096;
/// `BI_RGB`: no compression.
const BI_RGB: u32 = 0;

/// An image of 8-bit RGB pixels, rows top first. `Debug` shows only the size.
#[derive(Clone, PartialEq, Eq)]
pub struct RgbImage {
    width: u32,
    height: u32,
    pixels: Vec<u8>,
}

impl RgbImage {
    /// An image from `width × height` RGB triples, rows top first; `None` when the length does
    /// not match the size.
    pub fn new(width: u32, height: u32, pixels: Vec<u8>) -> Option<Self> {
        let expected = (width as usize).checked_mul(height as usize)?.checked_mul(3)?;
        (pixels.len() == expected).then_some(Self { width, height, pixels })
    }

    /// Width in pixels.
    pub fn width(&self) -> u32 {
        self.width
    }

    /// Height in pixels.
    pub fn height(&self) -> u32 {
        self.height
    }

    /// The RGB triples, rows top first, `width × height × 3` bytes.
    pub fn pixels(&self) -> &[u8] {
        &self.pixels
    }

    /// The pixel at column `x`, row `y` (0 = top), or `None` outside the image.
    pub fn pixel(&self, x: u32, y: u32) -> Option<[u8; 3]> {
        if x >= self.width || y >= self.height {
            return None;
        }
        let i = (y as usize * self.width as usize + x as usize) * 3;
        Some([self.pixels[i], self.pixels[i + 1], self.pixels[i + 2]])
    }
}

impl fmt::Debug for RgbImage {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "RgbImage({}×{})", self.width, self.height)
    }
}

/// Why a BMP was rejected. Only uncompressed 24-bit BMPs are accepted: that is what readers and
/// vendor decoders produce for the card photo.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
#[non_exhaustive]
pub enum BmpError {
    /// Fewer bytes than the headers or the pixel rows need.
    #[error("BMP truncated: {len} bytes, {needed} needed; the reader or decoder sent an incomplete image")]
    Truncated {
        /// Bytes present.
        len: usize,
        /// Bytes needed.
        needed: usize,
    },
    /// The data does not start with `BM`.
    #[error("not a BMP (no `BM` signature); is the reader sending WLT? then configure a vendor decoder")]
    NotBmp,
    /// A DIB header older or smaller than `BITMAPINFOHEADER`.
    #[error("unsupported BMP header of {size} bytes; only BITMAPINFOHEADER (40) and later are supported")]
    UnsupportedHeader {
        /// The header size field.
        size: u32,
    },
    /// Not 24 bits per pixel.
    #[error("BMP has {bits} bits per pixel; only 24-bit BMPs are supported")]
    UnsupportedBitDepth {
        /// The bit count field.
        bits: u16,
    },
    /// Compressed (RLE, bit fields, JPEG, PNG).
    #[error("BMP uses compression {compression}; only uncompressed (BI_RGB) BMPs are supported")]
    Compressed {
        /// The compression field.
        compression: u32,
    },
    /// A planes field other than 1.
    #[error("BMP has {planes} colour planes; a valid BMP has 1")]
    BadPlanes {
        /// The planes field.
        planes: u16,
    },
    /// Zero, negative width or a side over 4096 pixels.
    #[error("BMP size {width}×{height} is not a plausible image")]
    BadSize {
        /// The width field.
        width: i32,
        /// The height field (negative for top-down rows).
        height: i32,
    },
    /// The pixel data offset points inside the headers.
    #[error("BMP pixel data offset {offset} points inside its headers")]
    BadOffset {
        /// The offset field.
        offset: u32,
    },
}

fn u16_at(b: &[u8], i: usize) -> u16 {
    u16::from_le_bytes([b[i], b[i + 1]])
}

fn u32_at(b: &[u8], i: usize) -> u32 {
    u32::from_le_bytes([b[i], b[i + 1], b[i + 2], b[i + 3]])
}

/// Parses an uncompressed 24-bit BMP: rows bottom-up (or top-down when the height is negative),
/// BGR pixels, each row padded to a multiple of 4 bytes. Bytes after the pixel data are ignored
/// (decoders write into fixed-size buffers). Anything else is a typed [`BmpError`], never a panic.
pub fn parse_bmp(bytes: &[u8]) -> Result<RgbImage, BmpError> {
    if bytes.len() < 2 || &bytes[..2] != b"BM" {
        return Err(if bytes.len() < 2 { BmpError::Truncated { len: bytes.len(), needed: BMP_HEADER_LEN } } else { BmpError::NotBmp });
    }
    if bytes.len() < BMP_HEADER_LEN {
        return Err(BmpError::Truncated { len: bytes.len(), needed: BMP_HEADER_LEN });
    }
    let offset = u32_at(bytes, 10);
    let header_size = u32_at(bytes, 14);
    if header_size < INFO_HEADER_LEN {
        return Err(BmpError::UnsupportedHeader { size: header_size });
    }
    let width = u32_at(bytes, 18) as i32;
    let height = u32_at(bytes, 22) as i32;
    let planes = u16_at(bytes, 26);
    let bits = u16_at(bytes, 28);
    let compression = u32_at(bytes, 30);
    if planes != 1 {
        return Err(BmpError::BadPlanes { planes });
    }
    if bits != 24 {
        return Err(BmpError::UnsupportedBitDepth { bits });
    }
    if compression != BI_RGB {
        return Err(BmpError::Compressed { compression });
    }
    let rows = height.unsigned_abs();
    if width <= 0 || rows == 0 || width as u32 > MAX_SIDE || rows > MAX_SIDE {
        return Err(BmpError::BadSize { width, height });
    }
    let headers_end = FILE_HEADER_LEN as u64 + u64::from(header_size);
    if u64::from(offset) < headers_end {
        return Err(BmpError::BadOffset { offset });
    }
    let (w, h) = (width as usize, rows as usize);
    let stride = (w * 3).div_ceil(4) * 4;
    // Both sides are at most 4096, so this cannot overflow.
    let needed = offset as usize + stride * h;
    if bytes.len() < needed {
        return Err(BmpError::Truncated { len: bytes.len(), needed });
    }
    let top_down = height < 0;
    let mut pixels = Vec::with_capacity(w * h * 3);
    for y in 0..h {
        let stored = if top_down { y } else { h - 1 - y };
        let row = &bytes[offset as usize + stored * stride..][..w * 3];
        for bgr in row.chunks_exact(3) {
            pixels.extend_from_slice(&[bgr[2], bgr[1], bgr[0]]);
        }
    }
    Ok(RgbImage { width: width as u32, height: rows, pixels })
}

/// Where card photos come from, as configured for a kiosk.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum PhotoSource {
    /// The reader decodes WLT itself and returns the 102×126 BMP in place of the WLT block.
    ReaderDecodes,
    /// A vendor decoder library, loaded at run time.
    VendorLibrary(VendorLibraryConfig),
    /// No decoder: photos stay undecoded and face verification falls back to the staffed path.
    NoDecoder,
}

/// A vendor WLT decoder library and how to call it.
///
/// The expected C signature (the one shipped by the common reader SDKs, e.g. as `unpack` in
/// `libwlt.so`):
///
/// ```c
/// int unpack(char *wlt, char *bmp, int flag);
/// ```
///
/// - `wlt`: the card's 1024 bytes of WLT (read only by the library);
/// - `bmp`: a buffer the library fills with the decoded photo as a complete 24-bit BMP file,
///   102×126, bottom-up, rows padded to 4 bytes: [`PHOTO_BMP_LEN`] (38,862) bytes, header
///   included. The buffer passed is larger than that, so a library that writes a little more
///   does not overrun it;
/// - `flag`: passed through from [`flag`](Self::flag); SDKs use it to ask for a BMP in memory
///   (commonly 1) rather than a file on disk;
/// - returns [`success_code`](Self::success_code) (commonly 1) on success.
///
/// The symbol name is configurable, since SDKs export the same signature under different names.
/// Other signatures are not supported: calling a function through the wrong signature is
/// undefined behaviour, so a library with another one needs a thin C shim exporting this one.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct VendorLibraryConfig {
    /// Path of the shared library (`.so`).
    pub path: PathBuf,
    /// Name of the exported decode function.
    pub symbol: String,
    /// The `flag` argument.
    pub flag: i32,
    /// The return value that means success.
    pub success_code: i32,
}

impl VendorLibraryConfig {
    /// The common SDK convention: symbol `unpack`, flag 1, success 1.
    pub fn new(path: impl Into<PathBuf>) -> Self {
        Self { path: path.into(), symbol: "unpack".to_owned(), flag: 1, success_code: 1 }
    }
}

/// What is known about a card's photo after decoding.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum Photo {
    /// The photo as an image (102×126).
    Decoded {
        /// The image.
        image: RgbImage,
        /// Who decoded it.
        by: DecodedBy,
    },
    /// No image is available; face verification must fall back to the staffed path.
    Undecoded {
        /// Why.
        reason: UndecodedReason,
    },
}

impl Photo {
    /// The image, when decoded.
    pub fn image(&self) -> Option<&RgbImage> {
        match self {
            Self::Decoded { image, .. } => Some(image),
            Self::Undecoded { .. } => None,
        }
    }
}

/// Who turned WLT into the image.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum DecodedBy {
    /// The reader, which returned a BMP.
    Reader,
    /// The configured vendor library.
    VendorLibrary,
}

/// Why a photo is not decoded.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Error)]
#[non_exhaustive]
pub enum UndecodedReason {
    /// No decoder is configured; WLT is proprietary and is not decoded here.
    #[error("no photo decoder configured: the card photo (WLT) cannot be decoded; verify the face at a staffed window")]
    NoDecoderConfigured,
}

/// Why a photo could not be decoded.
#[derive(Debug, Error)]
#[non_exhaustive]
pub enum PhotoError {
    /// The vendor library cannot be loaded (missing file, wrong architecture, missing
    /// dependencies).
    #[error("cannot load the photo decoder library {path}: {source}; check the configured path, or configure no decoder")]
    LibraryMissing {
        /// The configured path.
        path: PathBuf,
        /// The loader's error.
        source: libloading::Error,
    },
    /// The library does not export the configured symbol.
    #[error("photo decoder library {path} has no function `{symbol}`: {source}; check the configured symbol name")]
    SymbolMissing {
        /// The library path.
        path: PathBuf,
        /// The configured symbol.
        symbol: String,
        /// The loader's error.
        source: libloading::Error,
    },
    /// The decoder returned something other than its success code.
    #[error("the vendor photo decoder returned {code} (success is {expected}); the WLT may be damaged or the library unlicensed for this reader")]
    DecoderFailed {
        /// What it returned.
        code: i32,
        /// The configured success code.
        expected: i32,
    },
    /// The decoder reported success but its output is not a valid BMP.
    #[error("the vendor photo decoder wrote an invalid BMP: {0}; check that the library and its flag match the documented signature")]
    DecoderOutput(#[source] BmpError),
    /// The reader was configured to return a BMP, and what it returned is not a valid one.
    #[error("the reader's photo is not a valid BMP: {0}; if the reader sends WLT, configure a vendor decoder instead")]
    ReaderBmp(#[source] BmpError),
    /// The image is valid but not the card photo's 102×126.
    #[error("photo is {width}×{height}, not the card's {PHOTO_WIDTH}×{PHOTO_HEIGHT}")]
    WrongSize {
        /// Width found.
        width: u32,
        /// Height found.
        height: u32,
    },
    /// The WLT block is not 1024 bytes, so it cannot be handed to the library (which reads 1024).
    #[error("the card's photo block is {len} bytes, not the {PHOTO_LEN} bytes of WLT a decoder reads")]
    WltLength {
        /// Bytes present.
        len: usize,
    },
}

impl crate::Error for PhotoError {
    fn kind(&self) -> crate::ErrorKind {
        match self {
            Self::ReaderBmp(_) | Self::WltLength { .. } | Self::WrongSize { .. } => crate::ErrorKind::Protocol,
            _ => crate::ErrorKind::Other,
        }
    }
}

/// `int unpack(char *wlt, char *bmp, int flag)`.
type UnpackFn = unsafe extern "C" fn(*mut c_char, *mut c_char, c_int) -> c_int;

/// Output buffer handed to the library: the photo BMP plus slack.
const OUTPUT_BUFFER_LEN: usize = 64 * 1024;

/// A loaded vendor library with its decode function.
struct VendorLibrary {
    config: VendorLibraryConfig,
    unpack: UnpackFn,
    // Vendor libraries keep global state and are rarely thread-safe: one call at a time.
    lock: Mutex<()>,
    // Kept loaded as long as `unpack` may be called; declared last so it is dropped last.
    _library: libloading::Library,
}

impl VendorLibrary {
    fn open(config: &VendorLibraryConfig) -> Result<Self, PhotoError> {
        // SAFETY: loading runs the library's initialisers; the configured library is trusted
        // vendor code, which is the premise of configuring it.
        let library = unsafe { libloading::Library::new(&config.path) }.map_err(|source| PhotoError::LibraryMissing { path: config.path.clone(), source })?;
        // SAFETY: the symbol is documented to have the `UnpackFn` signature
        // (see `VendorLibraryConfig`); the pointer is only used while `library` stays loaded.
        let unpack = unsafe { library.get::<UnpackFn>(config.symbol.as_bytes()) }.map(|symbol| *symbol).map_err(|source| PhotoError::SymbolMissing {
            path: config.path.clone(),
            symbol: config.symbol.clone(),
            source,
        })?;
        tracing::info!(path = %config.path.display(), symbol = %config.symbol, "loaded vendor photo decoder");
        Ok(Self { config: config.clone(), unpack, lock: Mutex::new(()), _library: library })
    }

    fn decode(&self, wlt: &[u8]) -> Result<RgbImage, PhotoError> {
        if wlt.len() != PHOTO_LEN {
            return Err(PhotoError::WltLength { len: wlt.len() });
        }
        // The signature takes non-const pointers: give the library copies it may scribble on.
        let mut input = wlt.to_vec();
        let mut output = vec![0u8; OUTPUT_BUFFER_LEN];
        let code = {
            // A poisoned lock only means another decode panicked; the library call itself holds
            // no Rust state, so carry on.
            let _one_at_a_time = self.lock.lock().unwrap_or_else(|poisoned| poisoned.into_inner());
            // SAFETY: `input` holds the 1024 bytes the function reads; `output` is larger than
            // the 38,862-byte BMP it writes; both outlive the call.
            unsafe { (self.unpack)(input.as_mut_ptr().cast(), output.as_mut_ptr().cast(), self.config.flag) }
        };
        if code != self.config.success_code {
            tracing::warn!(code, "vendor photo decoder failed");
            return Err(PhotoError::DecoderFailed { code, expected: self.config.success_code });
        }
        parse_bmp(&output).map_err(PhotoError::DecoderOutput)
    }
}

/// Turns the photo bytes of a card read into a [`Photo`], as configured by a [`PhotoSource`].
/// `Debug` shows the configuration.
pub struct PhotoDecoder {
    how: How,
}

enum How {
    Reader,
    Vendor(VendorLibrary),
    None,
}

impl fmt::Debug for PhotoDecoder {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match &self.how {
            How::Reader => f.write_str("PhotoDecoder(ReaderDecodes)"),
            How::Vendor(v) => write!(f, "PhotoDecoder(VendorLibrary {:?})", v.config),
            How::None => f.write_str("PhotoDecoder(NoDecoder)"),
        }
    }
}

impl PhotoDecoder {
    /// Prepares decoding; for [`PhotoSource::VendorLibrary`] this loads the library and looks up
    /// its function, so configuration mistakes show at start-up.
    pub fn open(source: &PhotoSource) -> Result<Self, PhotoError> {
        let how = match source {
            PhotoSource::ReaderDecodes => How::Reader,
            PhotoSource::VendorLibrary(config) => How::Vendor(VendorLibrary::open(config)?),
            PhotoSource::NoDecoder => How::None,
        };
        Ok(Self { how })
    }

    /// The library path, when a vendor library is in use.
    pub fn library_path(&self) -> Option<&Path> {
        match &self.how {
            How::Vendor(v) => Some(&v.config.path),
            _ => None,
        }
    }

    /// Decodes the photo block of one card read: a BMP when the reader decodes, WLT otherwise.
    /// Without a decoder this is `Ok(Photo::Undecoded { .. })`.
    pub fn decode(&self, photo: &[u8]) -> Result<Photo, PhotoError> {
        let (image, by) = match &self.how {
            How::Reader => (parse_bmp(photo).map_err(PhotoError::ReaderBmp)?, DecodedBy::Reader),
            How::Vendor(library) => (library.decode(photo)?, DecodedBy::VendorLibrary),
            How::None => return Ok(Photo::Undecoded { reason: UndecodedReason::NoDecoderConfigured }),
        };
        if (image.width, image.height) != (PHOTO_WIDTH, PHOTO_HEIGHT) {
            return Err(PhotoError::WrongSize { width: image.width, height: image.height });
        }
        Ok(Photo::Decoded { image, by })
    }
}

#[cfg(test)]
#[path = "photo_tests.rs"]
mod tests;
