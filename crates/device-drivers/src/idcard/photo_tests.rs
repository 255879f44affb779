//! Tests of the photo module: BMP parsing (round trips, malformed input, random bytes), the three
//! photo sources, and the vendor-library path against a FAKE library compiled here.
//!
//! The fake library only stands in for the vendor library's ABI (`int unpack(char *wlt,
//! char *bmp, int flag)`): it writes a gradient derived from the input bytes. It is not a WLT
//! decoder and decodes nothing.

use std::path::PathBuf;
use std::process::Command;

use proptest::prelude::*;

use super::*;

/// A minimal 24-bit BMP encoder, written independently of the parser: rows bottom-up (or
/// top-down with a negative height), BGR, padded to 4 bytes.
fn encode_bmp(image: &RgbImage, top_down: bool) -> Vec<u8> {
    let (w, h) = (image.width() as usize, image.height() as usize);
    let stride = (w * 3 + 3) & !3;
    let size = 54 + stride * h;
    let height = if top_down { -(h as i32) } else { h as i32 };
    let mut b = Vec::with_capacity(size);
    b.extend_from_slice(b"BM");
    b.extend_from_slice(&(size as u32).to_le_bytes());
    b.extend_from_slice(&[0; 4]);
    b.extend_from_slice(&54u32.to_le_bytes());
    b.extend_from_slice(&40u32.to_le_bytes());
    b.extend_from_slice(&(w as i32).to_le_bytes());
    b.extend_from_slice(&height.to_le_bytes());
    b.extend_from_slice(&1u16.to_le_bytes());
    b.extend_from_slice(&24u16.to_le_bytes());
    b.extend_from_slice(&0u32.to_le_bytes());
    b.extend_from_slice(&((stride * h) as u32).to_le_bytes());
    b.extend_from_slice(&[0; 16]);
    assert_eq!(b.len(), 54);
    for stored in 0..h {
        let y = if top_down { stored } else { h - 1 - stored };
        for x in 0..w {
            let [r, g, bl] = image.pixel(x as u32, y as u32).unwrap();
            b.extend_from_slice(&[bl, g, r]);
        }
        b.resize(b.len() + stride - w * 3, 0xEE); // padding, deliberately not zero
    }
    b
}

fn gradient(w: u32, h: u32) -> RgbImage {
    let mut pixels = Vec::new();
    for y in 0..h {
        for x in 0..w {
            pixels.extend_from_slice(&[x as u8, y as u8, (x * 7 + y * 13) as u8]);
        }
    }
    RgbImage::new(w, h, pixels).unwrap()
}

#[test]
fn card_photo_bmp_is_38862_bytes() {
    let bmp = encode_bmp(&gradient(PHOTO_WIDTH, PHOTO_HEIGHT), false);
    assert_eq!(bmp.len(), PHOTO_BMP_LEN);
    assert_eq!(PHOTO_BMP_LEN, 38_862);
}

#[test]
fn bmp_round_trips_for_odd_widths_and_both_row_orders() {
    for (w, h) in [(1, 1), (2, 3), (3, 2), (5, 5), (PHOTO_WIDTH, PHOTO_HEIGHT)] {
        let image = gradient(w, h);
        for top_down in [false, true] {
            let parsed = parse_bmp(&encode_bmp(&image, top_down)).unwrap();
            assert_eq!(parsed, image, "{w}×{h} top_down={top_down}");
        }
    }
}

#[test]
fn bottom_up_rows_put_the_first_stored_row_at_the_bottom() {
    let mut bmp = encode_bmp(&gradient(1, 2), false);
    // The first stored row (offset 54) is the bottom row: paint it pure blue (BGR order).
    bmp[54..57].copy_from_slice(&[0xFF, 0, 0]);
    let image = parse_bmp(&bmp).unwrap();
    assert_eq!(image.pixel(0, 1), Some([0, 0, 0xFF]));
    assert_eq!(image.pixel(0, 0), Some([0, 0, 0]));
    assert_eq!(image.pixel(1, 0), None);
}

#[test]
fn trailing_bytes_after_the_pixels_are_ignored() {
    let image = gradient(3, 3);
    let mut bmp = encode_bmp(&image, false);
    bmp.extend_from_slice(&[0x77; 1000]);
    assert_eq!(parse_bmp(&bmp).unwrap(), image);
}

#[test]
fn rgb_image_new_checks_the_length() {
    assert!(RgbImage::new(2, 2, vec![0; 11]).is_none());
    assert!(RgbImage::new(2, 2, vec![0; 12]).is_some());
    assert_eq!(format!("{:?}", gradient(2, 3)), "RgbImage(2×3)");
}

fn patched(offset: usize, bytes: &[u8]) -> Vec<u8> {
    let mut bmp = encode_bmp(&gradient(4, 4), false);
    bmp[offset..offset + bytes.len()].copy_from_slice(bytes);
    bmp
}

#[test]
fn malformed_bmps_give_typed_errors() {
    let good = encode_bmp(&gradient(4, 4), false);
    assert_eq!(parse_bmp(&[]), Err(BmpError::Truncated { len: 0, needed: 54 }));
    assert_eq!(parse_bmp(&good[..30]), Err(BmpError::Truncated { len: 30, needed: 54 }));
    assert_eq!(parse_bmp(&[0xFF, 0xD8, 0xFF, 0xE0]), Err(BmpError::NotBmp));
    assert_eq!(parse_bmp(&patched(0, b"XX")), Err(BmpError::NotBmp));
    assert_eq!(parse_bmp(&patched(14, &12u32.to_le_bytes())), Err(BmpError::UnsupportedHeader { size: 12 }));
    assert_eq!(parse_bmp(&patched(26, &2u16.to_le_bytes())), Err(BmpError::BadPlanes { planes: 2 }));
    assert_eq!(parse_bmp(&patched(28, &32u16.to_le_bytes())), Err(BmpError::UnsupportedBitDepth { bits: 32 }));
    assert_eq!(parse_bmp(&patched(28, &8u16.to_le_bytes())), Err(BmpError::UnsupportedBitDepth { bits: 8 }));
    assert_eq!(parse_bmp(&patched(30, &1u32.to_le_bytes())), Err(BmpError::Compressed { compression: 1 }));
    assert_eq!(parse_bmp(&patched(18, &0i32.to_le_bytes())), Err(BmpError::BadSize { width: 0, height: 4 }));
    assert_eq!(parse_bmp(&patched(18, &(-4i32).to_le_bytes())), Err(BmpError::BadSize { width: -4, height: 4 }));
    assert_eq!(parse_bmp(&patched(22, &0i32.to_le_bytes())), Err(BmpError::BadSize { width: 4, height: 0 }));
    assert_eq!(parse_bmp(&patched(18, &5000i32.to_le_bytes())), Err(BmpError::BadSize { width: 5000, height: 4 }));
    assert_eq!(parse_bmp(&patched(22, &i32::MIN.to_le_bytes())), Err(BmpError::BadSize { width: 4, height: i32::MIN }));
    assert_eq!(parse_bmp(&patched(10, &20u32.to_le_bytes())), Err(BmpError::BadOffset { offset: 20 }));
    // A header larger than the data: the offset then points inside it.
    assert_eq!(parse_bmp(&patched(14, &u32::MAX.to_le_bytes())), Err(BmpError::BadOffset { offset: 54 }));
    // Pixel rows cut short: 4 rows of 12 bytes after a 54-byte header.
    assert_eq!(parse_bmp(&good[..good.len() - 1]), Err(BmpError::Truncated { len: 101, needed: 102 }));
    assert_eq!(parse_bmp(&patched(10, &u32::MAX.to_le_bytes())), Err(BmpError::Truncated { len: 102, needed: u32::MAX as usize + 48 }));
}

proptest! {
    #[test]
    fn random_bytes_never_panic(bytes in proptest::collection::vec(any::<u8>(), 0..400)) {
        let _ = parse_bmp(&bytes);
    }

    #[test]
    fn random_bytes_after_a_bmp_signature_never_panic(bytes in proptest::collection::vec(any::<u8>(), 0..400)) {
        let mut bmp = b"BM".to_vec();
        bmp.extend_from_slice(&bytes);
        let _ = parse_bmp(&bmp);
    }

    #[test]
    fn corrupting_one_header_byte_never_panics(at in 0usize..54, value in any::<u8>()) {
        let mut bmp = encode_bmp(&gradient(7, 5), false);
        bmp[at] = value;
        if let Ok(image) = parse_bmp(&bmp) {
            prop_assert_eq!(image.pixels().len(), image.width() as usize * image.height() as usize * 3);
        }
    }

    #[test]
    fn any_image_round_trips(w in 1u32..20, h in 1u32..20, seed in any::<u8>(), top_down in any::<bool>()) {
        let pixels = (0..w * h * 3).map(|i| (i as u8).wrapping_mul(31).wrapping_add(seed)).collect();
        let image = RgbImage::new(w, h, pixels).unwrap();
        prop_assert_eq!(parse_bmp(&encode_bmp(&image, top_down)).unwrap(), image);
    }
}

#[test]
fn reader_bmp_is_decoded_by_the_reader() {
    let decoder = PhotoDecoder::open(&PhotoSource::ReaderDecodes).unwrap();
    let image = gradient(PHOTO_WIDTH, PHOTO_HEIGHT);
    let photo = decoder.decode(&encode_bmp(&image, false)).unwrap();
    assert_eq!(photo, Photo::Decoded { image: image.clone(), by: DecodedBy::Reader });
    assert_eq!(photo.image(), Some(&image));
    assert_eq!(decoder.library_path(), None);
}

#[test]
fn reader_bmp_errors_are_typed() {
    let decoder = PhotoDecoder::open(&PhotoSource::ReaderDecodes).unwrap();
    // A reader that actually sends WLT.
    assert!(matches!(decoder.decode(&[0x57; 1024]), Err(PhotoError::ReaderBmp(BmpError::NotBmp))));
    let small = decoder.decode(&encode_bmp(&gradient(10, 10), false));
    assert!(matches!(small, Err(PhotoError::WrongSize { width: 10, height: 10 })));
    let err = decoder.decode(b"BM").unwrap_err();
    assert_eq!(crate::Error::kind(&err), crate::ErrorKind::Protocol);
}

/// The kiosk runs drivers on blocking threads: a decoder must be shareable between them.
#[test]
fn photo_decoder_is_send_and_sync() {
    fn shareable<T: Send + Sync>(_: &T) {}
    shareable(&PhotoDecoder::open(&PhotoSource::NoDecoder).unwrap());
}

#[test]
fn no_decoder_says_the_photo_is_undecoded() {
    let decoder = PhotoDecoder::open(&PhotoSource::NoDecoder).unwrap();
    let photo = decoder.decode(&[0; 1024]).unwrap();
    assert_eq!(photo, Photo::Undecoded { reason: UndecodedReason::NoDecoderConfigured });
    assert_eq!(photo.image(), None);
    assert!(UndecodedReason::NoDecoderConfigured.to_string().contains("staffed window"));
}

/// The fake vendor library: the ABI of `unpack` and nothing more. It writes a 102×126 BMP whose
/// pixel (x, y from the top) is R = wlt[(x + 102y) % 1024], G = 2y, B = 2x, returns 1, and
/// refuses any flag but 1 with -2. `unpack_garbage` returns success with an invalid BMP.
const FAKE_VENDOR_C: &str = r#"
#include <string.h>
static void put32(unsigned char *p, unsigned v) { p[0] = v; p[1] = v >> 8; p[2] = v >> 16; p[3] = v >> 24; }
int unpack(char *wlt, char *bmp, int flag) {
    const int w = 102, h = 126, stride = 308, size = 54 + 308 * 126;
    const unsigned char *in = (const unsigned char *)wlt;
    unsigned char *b = (unsigned char *)bmp;
    if (flag != 1) return -2;
    memset(b, 0, size);
    b[0] = 'B'; b[1] = 'M';
    put32(b + 2, size); put32(b + 10, 54); put32(b + 14, 40);
    put32(b + 18, w); put32(b + 22, h);
    b[26] = 1; b[28] = 24;
    put32(b + 34, stride * h);
    for (int row = 0; row < h; row++) {
        int y = h - 1 - row; /* bottom-up */
        for (int x = 0; x < w; x++) {
            unsigned char *p = b + 54 + row * stride + x * 3;
            p[0] = (unsigned char)(2 * x);
            p[1] = (unsigned char)(2 * y);
            p[2] = in[(x + w * y) % 1024];
        }
    }
    return 1;
}
int unpack_garbage(char *wlt, char *bmp, int flag) {
    (void)wlt; (void)flag;
    memset(bmp, 0x5A, 100);
    return 1;
}
"#;

/// Compiles the fake library into a temp dir; `None` (with the reason printed) when there is no
/// C compiler on this machine.
fn fake_library() -> Option<(tempfile::TempDir, PathBuf)> {
    let dir = tempfile::tempdir().unwrap();
    let source = dir.path().join("fake_vendor.c");
    std::fs::write(&source, FAKE_VENDOR_C).unwrap();
    let library = dir.path().join("libfake.so");
    let status = Command::new("cc").arg("-shared").arg("-fPIC").arg("-o").arg(&library).arg(&source).status();
    match status {
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
            eprintln!("skipping: no `cc` on PATH to build the fake vendor library");
            None
        }
        Err(e) => panic!("cannot run cc: {e}"),
        Ok(status) => {
            assert!(status.success(), "cc failed to build the fake vendor library");
            Some((dir, library))
        }
    }
}

fn wlt() -> Vec<u8> {
    (0..1024u32).map(|i| (i * 37 % 256) as u8).collect()
}

#[test]
fn vendor_library_decodes_through_the_unpack_abi() {
    let Some((_dir, path)) = fake_library() else { return };
    let decoder = PhotoDecoder::open(&PhotoSource::VendorLibrary(VendorLibraryConfig::new(&path))).unwrap();
    assert_eq!(decoder.library_path(), Some(path.as_path()));
    let wlt = wlt();
    let photo = decoder.decode(&wlt).unwrap();
    let Photo::Decoded { image, by } = photo else { panic!("expected a decoded photo") };
    assert_eq!(by, DecodedBy::VendorLibrary);
    assert_eq!((image.width(), image.height()), (PHOTO_WIDTH, PHOTO_HEIGHT));
    for y in 0..PHOTO_HEIGHT {
        for x in 0..PHOTO_WIDTH {
            let expected = [wlt[((x + 102 * y) % 1024) as usize], (2 * y) as u8, (2 * x) as u8];
            assert_eq!(image.pixel(x, y), Some(expected), "pixel ({x}, {y})");
        }
    }
    // Different input, different image: the bytes really went through the library.
    let other = decoder.decode(&[0xAB; 1024]).unwrap();
    assert_eq!(other.image().unwrap().pixel(0, 0), Some([0xAB, 0, 0]));
}

#[test]
fn vendor_library_failure_and_bad_output_are_typed() {
    let Some((_dir, path)) = fake_library() else { return };
    let mut config = VendorLibraryConfig::new(&path);
    config.flag = 7;
    let decoder = PhotoDecoder::open(&PhotoSource::VendorLibrary(config)).unwrap();
    assert!(matches!(decoder.decode(&wlt()), Err(PhotoError::DecoderFailed { code: -2, expected: 1 })));

    let mut config = VendorLibraryConfig::new(&path);
    config.success_code = 0;
    let decoder = PhotoDecoder::open(&PhotoSource::VendorLibrary(config)).unwrap();
    assert!(matches!(decoder.decode(&wlt()), Err(PhotoError::DecoderFailed { code: 1, expected: 0 })));

    let mut config = VendorLibraryConfig::new(&path);
    config.symbol = "unpack_garbage".to_owned();
    let decoder = PhotoDecoder::open(&PhotoSource::VendorLibrary(config)).unwrap();
    assert!(matches!(decoder.decode(&wlt()), Err(PhotoError::DecoderOutput(BmpError::NotBmp))));

    let decoder = PhotoDecoder::open(&PhotoSource::VendorLibrary(VendorLibraryConfig::new(&path))).unwrap();
    assert!(matches!(decoder.decode(&[0; 1000]), Err(PhotoError::WltLength { len: 1000 })));
}

#[test]
fn missing_library_is_reported_at_open() {
    let dir = tempfile::tempdir().unwrap();
    let missing = dir.path().join("libnone.so");
    let err = PhotoDecoder::open(&PhotoSource::VendorLibrary(VendorLibraryConfig::new(&missing))).unwrap_err();
    assert!(matches!(&err, PhotoError::LibraryMissing { path, .. } if path == &missing), "{err:?}");
    assert!(err.to_string().contains("libnone.so"));

    // A file that is not a shared library.
    let not_elf = dir.path().join("libtext.so");
    std::fs::write(&not_elf, "not a library").unwrap();
    let err = PhotoDecoder::open(&PhotoSource::VendorLibrary(VendorLibraryConfig::new(&not_elf))).unwrap_err();
    assert!(matches!(err, PhotoError::LibraryMissing { .. }), "{err:?}");
}

#[test]
fn missing_symbol_is_reported_at_open() {
    let Some((_dir, path)) = fake_library() else { return };
    let mut config = VendorLibraryConfig::new(&path);
    config.symbol = "Unpack_WLT".to_owned();
    let err = PhotoDecoder::open(&PhotoSource::VendorLibrary(config)).unwrap_err();
    assert!(matches!(&err, PhotoError::SymbolMissing { symbol, .. } if symbol == "Unpack_WLT"), "{err:?}");
    assert!(err.to_string().contains("Unpack_WLT"));
}
