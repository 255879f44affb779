//! Card photos as files: a 24-bit BMP as readers produce it (for the simulator of a reader that
//! decodes photos), PNG for a technician to look at, and loading either from disk (the photo of a
//! simulated card).
//!
//! These are fake people's pictures in tests and simulators, and a real holder's photo only when a
//! technician asks for it explicitly (`kiosk doctor idcard --save-photo`, which needs `--show-pii`).

use std::io::Cursor;
use std::path::{Path, PathBuf};

use thiserror::Error;

use super::photo::{BmpError, RgbImage, parse_bmp};

/// Why an image file could not be used as a photo.
#[derive(Debug, Error)]
#[non_exhaustive]
pub enum ImageFileError {
    /// The file cannot be read.
    #[error("cannot read the image {path}: {source}")]
    Read {
        /// The file.
        path: PathBuf,
        /// The I/O error.
        source: std::io::Error,
    },
    /// Neither PNG nor BMP.
    #[error("{path} is neither a PNG nor a BMP image")]
    UnknownFormat {
        /// The file.
        path: PathBuf,
    },
    /// A PNG that does not decode.
    #[error("{path} is not a readable PNG: {reason}")]
    Png {
        /// The file.
        path: PathBuf,
        /// What the decoder said.
        reason: String,
    },
    /// A BMP that does not parse.
    #[error("{path}: {source}")]
    Bmp {
        /// The file.
        path: PathBuf,
        /// Why.
        source: BmpError,
    },
}

const PNG_SIGNATURE: &[u8] = b"\x89PNG\r\n\x1a\n";

/// Reads a PNG (any bit depth or colour type; alpha is dropped) or an uncompressed 24-bit BMP.
pub fn read_image_file(path: &Path) -> Result<RgbImage, ImageFileError> {
    let bytes = std::fs::read(path).map_err(|source| ImageFileError::Read { path: path.to_owned(), source })?;
    if bytes.starts_with(PNG_SIGNATURE) {
        decode_png(&bytes).map_err(|reason| ImageFileError::Png { path: path.to_owned(), reason })
    } else if bytes.starts_with(b"BM") {
        parse_bmp(&bytes).map_err(|source| ImageFileError::Bmp { path: path.to_owned(), source })
    } else {
        Err(ImageFileError::UnknownFormat { path: path.to_owned() })
    }
}

/// Decodes a PNG to 8-bit RGB.
pub fn decode_png(bytes: &[u8]) -> Result<RgbImage, String> {
    let mut decoder = png::Decoder::new(Cursor::new(bytes));
    // Palette and low bit depths expanded, 16-bit reduced: every image becomes 8-bit samples.
    decoder.set_transformations(png::Transformations::EXPAND | png::Transformations::STRIP_16);
    let mut reader = decoder.read_info().map_err(|e| e.to_string())?;
    let (width, height) = (reader.info().width, reader.info().height);
    // The photo is 102×126; anything far bigger is not a card photo and must not allocate wildly.
    if width == 0 || height == 0 || width > 4096 || height > 4096 {
        return Err(format!("size {width}×{height} is not a plausible photo"));
    }
    let size = reader.output_buffer_size().ok_or("image too large")?;
    let mut buf = vec![0; size];
    let frame = reader.next_frame(&mut buf).map_err(|e| e.to_string())?;
    let samples = &buf[..frame.buffer_size()];
    let channels = match frame.color_type {
        png::ColorType::Grayscale => 1,
        png::ColorType::GrayscaleAlpha => 2,
        png::ColorType::Rgb => 3,
        png::ColorType::Rgba => 4,
        png::ColorType::Indexed => return Err("palette was not expanded".to_owned()),
    };
    let row_len = frame.line_size;
    let mut pixels = Vec::with_capacity(width as usize * height as usize * 3);
    for row in samples.chunks_exact(row_len).take(height as usize) {
        for px in row[..width as usize * channels].chunks_exact(channels) {
            match channels {
                1 | 2 => pixels.extend_from_slice(&[px[0], px[0], px[0]]),
                _ => pixels.extend_from_slice(&px[..3]),
            }
        }
    }
    RgbImage::new(width, height, pixels).ok_or_else(|| "pixel data shorter than the image".to_owned())
}

/// The image as a 24-bit BMP file, rows bottom-up and padded to 4 bytes: what a reader that
/// decodes photos returns (38,862 bytes for the 102×126 card photo).
pub fn encode_bmp(image: &RgbImage) -> Vec<u8> {
    let (w, h) = (image.width() as usize, image.height() as usize);
    let stride = (w * 3 + 3) & !3;
    let size = 54 + stride * h;
    let mut b = Vec::with_capacity(size);
    b.extend_from_slice(b"BM");
    b.extend_from_slice(&(size as u32).to_le_bytes());
    b.extend_from_slice(&[0; 4]);
    b.extend_from_slice(&54u32.to_le_bytes());
    b.extend_from_slice(&40u32.to_le_bytes());
    b.extend_from_slice(&(w as i32).to_le_bytes());
    b.extend_from_slice(&(h as i32).to_le_bytes());
    b.extend_from_slice(&1u16.to_le_bytes());
    b.extend_from_slice(&24u16.to_le_bytes());
    b.extend_from_slice(&0u32.to_le_bytes());
    b.extend_from_slice(&((stride * h) as u32).to_le_bytes());
    // 2835 pixels per metre = 72 dpi, as vendor decoders write.
    b.extend_from_slice(&2835u32.to_le_bytes());
    b.extend_from_slice(&2835u32.to_le_bytes());
    b.extend_from_slice(&[0; 8]);
    for row in image.pixels().chunks_exact(w * 3).rev() {
        for rgb in row.chunks_exact(3) {
            b.extend_from_slice(&[rgb[2], rgb[1], rgb[0]]);
        }
        b.resize(b.len() + stride - w * 3, 0);
    }
    b
}

/// The image as an 8-bit RGB PNG file.
pub fn encode_png(image: &RgbImage) -> Vec<u8> {
    let mut out = Vec::new();
    let mut encoder = png::Encoder::new(&mut out, image.width(), image.height());
    encoder.set_color(png::ColorType::Rgb);
    encoder.set_depth(png::BitDepth::Eight);
    // Writing into a Vec cannot fail for I/O reasons, and the size matches the data by
    // construction of RgbImage; a failure here would be a bug in the png crate.
    let written = encoder.write_header().and_then(|mut w| w.write_image_data(image.pixels()));
    debug_assert!(written.is_ok(), "PNG encoding into memory failed: {written:?}");
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::idcard::photo::{PHOTO_BMP_LEN, PHOTO_HEIGHT, PHOTO_WIDTH};

    fn gradient(w: u32, h: u32) -> RgbImage {
        let pixels = (0..h).flat_map(|y| (0..w).flat_map(move |x| [x as u8, y as u8, (x * 3 + y) as u8])).collect();
        RgbImage::new(w, h, pixels).unwrap()
    }

    #[test]
    fn the_card_photo_as_bmp_has_the_readers_size_and_parses_back() {
        let image = gradient(PHOTO_WIDTH, PHOTO_HEIGHT);
        let bmp = encode_bmp(&image);
        assert_eq!(bmp.len(), PHOTO_BMP_LEN);
        assert_eq!(parse_bmp(&bmp).unwrap(), image);
    }

    #[test]
    fn png_round_trips_and_files_of_either_format_load() {
        let dir = tempfile::tempdir().unwrap();
        let image = gradient(7, 5);
        let png_path = dir.path().join("p.png");
        std::fs::write(&png_path, encode_png(&image)).unwrap();
        assert_eq!(read_image_file(&png_path).unwrap(), image);
        let bmp_path = dir.path().join("p.bmp");
        std::fs::write(&bmp_path, encode_bmp(&image)).unwrap();
        assert_eq!(read_image_file(&bmp_path).unwrap(), image);
    }

    #[test]
    fn greyscale_and_alpha_pngs_become_rgb() {
        let mut out = Vec::new();
        let mut e = png::Encoder::new(&mut out, 2, 1);
        e.set_color(png::ColorType::GrayscaleAlpha);
        e.set_depth(png::BitDepth::Eight);
        e.write_header().unwrap().write_image_data(&[10, 255, 200, 0]).unwrap();
        let image = decode_png(&out).unwrap();
        assert_eq!(image.pixels(), &[10, 10, 10, 200, 200, 200]);
    }

    #[test]
    fn other_files_give_typed_errors() {
        let dir = tempfile::tempdir().unwrap();
        let jpeg = dir.path().join("p.jpg");
        std::fs::write(&jpeg, [0xFF, 0xD8, 0xFF, 0xE0]).unwrap();
        assert!(matches!(read_image_file(&jpeg), Err(ImageFileError::UnknownFormat { .. })));
        let broken = dir.path().join("b.png");
        std::fs::write(&broken, [PNG_SIGNATURE, b"garbage"].concat()).unwrap();
        assert!(matches!(read_image_file(&broken), Err(ImageFileError::Png { .. })));
        assert!(matches!(read_image_file(&dir.path().join("missing.png")), Err(ImageFileError::Read { .. })));
    }
}
