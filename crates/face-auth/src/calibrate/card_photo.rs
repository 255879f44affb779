//! Simulated ID-card photos: an ordinary photo of a face turned into what the card reader gives
//! a kiosk (a 102×126 photo, small and heavily compressed), so that a threshold is calibrated on
//! the pictures it will really see.
//!
//! # The card's framing
//!
//! The second-generation resident ID card (第二代居民身份证) photo is taken to the public-security
//! standard GA 461-2004 《居民身份证制证用数字相片技术要求》: 358×441 px at 350 dpi
//! (26 × 32 mm), white background, and the head placed so that
//! - the face is centred horizontally and is 207 ± 14 px wide (15 ± 1 mm, measured between
//!   the roots of the ears);
//! - the top of the hair is 7–21 px below the top edge;
//! - the eyes are at least 207 px above the bottom edge (so the eye line is at most 234 px
//!   from the top), which takes priority over the hair rule.
//!
//! (These figures are quoted from GA 461-2004 by many public pages, e.g. photo-studio and
//! public-security service guides; the standard's text itself was not at hand.)
//!
//! The standard says nothing about the landmarks a face model finds, so two numbers are
//! derived here and are this module's own estimates:
//! - **Eye distance**: the distance between the eye centres is taken as 0.41 of the face width
//!   at the ear roots (adult interpupillary distance ≈ 62 mm over a breadth across the ear
//!   roots of ≈ 145–150 mm), so 0.41 × 207 ≈ 85 px at 358 wide. A head is about 3.6 eye
//!   distances from the top of the hair to the chin, so it then fills ≈ 306 px, 0.69 of the
//!   height: GA 461's "头部占照片尺寸的2/3" (the head fills about 2/3 of the photo).
//! - **Eye line**: 160 px from the top. With the top of the hair 14 px down (the middle of
//!   7–21) and the eyes about 0.48 of the way down the head (top of hair to chin):
//!   14 + 0.48 × 306 ≈ 161. That leaves the eyes 281 px above the bottom edge (≥ 207).
//!
//! Checked by eye on `obama.jpg` from the face-recognition test photos: framed this way the
//! top of his hair is ≈ 17 px and the ear roots ≈ 208 px apart, at the 358×441 scale.
//!
//! Scaled to the 102×126 photo the card's chip holds (102/358 across, 126/441 down), the eyes
//! are ≈ 24.2 px apart, centred at x = 50.5 on a line at y ≈ 45.2 (pixel-centre coordinates,
//! the ones [`Landmarks5`] and [`Frame::sample`] use): see [`CardLayout::GA461`].
//!
//! # What is simulated, and what is not
//!
//! The photo is rotated so the eye line is level, scaled and cropped to the card framing
//! (area outside the source photo is the standard's white background), area-averaged down to
//! 102×126, slightly desaturated (card photos come out pale), and sent through a heavy JPEG
//! round trip. The chip's own codec is not JPEG (it is a wavelet format of about 1 KB), so the
//! JPEG quality stands in for its blur and blockiness; calibrate at a few qualities if unsure.
//!
//! All pixel buffers are wiped after use. The JPEG encoder's internal working memory is the
//! `image` crate's and is freed, not wiped.

use thiserror::Error;
use zeroize::Zeroizing;

use crate::frame::{Frame, FrameError};
use crate::geometry::{Landmarks5, Point, Similarity};

/// The width of the card's photo as the chip holds it, in pixels.
pub const CARD_WIDTH: u32 = 102;
/// The height of the card's photo as the chip holds it, in pixels.
pub const CARD_HEIGHT: u32 = 126;

/// GA 461-2004 photo width, pixels.
pub const GA461_WIDTH: f32 = 358.0;
/// GA 461-2004 photo height, pixels.
pub const GA461_HEIGHT: f32 = 441.0;
/// GA 461-2004 face width (between the ear roots), pixels of the 358×441 photo.
pub const GA461_FACE_WIDTH: f32 = 207.0;
/// The eye-centre distance as a share of the ear-to-ear face width (an anthropometric estimate).
pub const EYE_DISTANCE_PER_FACE_WIDTH: f32 = 0.41;
/// The eye line, pixels from the top of the 358×441 photo (derived in the module docs).
pub const GA461_EYE_LINE: f32 = 160.0;

/// Where the eyes go in a simulated card photo, and its size.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct CardLayout {
    /// Width in pixels.
    pub width: u32,
    /// Height in pixels.
    pub height: u32,
    /// Distance between the two eye centres, pixels.
    pub eye_distance: f32,
    /// Across position of the point midway between the eyes (pixel-centre coordinates).
    pub eye_center_x: f32,
    /// Down position of the eye line (pixel-centre coordinates).
    pub eye_line: f32,
}

impl CardLayout {
    /// The second-generation ID card photo at the chip's 102×126: GA 461-2004's framing scaled
    /// down (see the module docs for the numbers and where they come from).
    pub const GA461: CardLayout = CardLayout {
        width: CARD_WIDTH,
        height: CARD_HEIGHT,
        eye_distance: GA461_FACE_WIDTH * EYE_DISTANCE_PER_FACE_WIDTH * CARD_WIDTH as f32 / GA461_WIDTH,
        // Horizontally centred: the middle of a 102 px row is at 50.5 in pixel-centre terms.
        eye_center_x: CARD_WIDTH as f32 / 2.0 - 0.5,
        // The eye line is 160/441 of the way down the edge-to-edge height.
        eye_line: GA461_EYE_LINE * CARD_HEIGHT as f32 / GA461_HEIGHT - 0.5,
    };

    /// Where the eye on the image's left and the other eye land.
    pub fn eyes(&self) -> (Point, Point) {
        let half = self.eye_distance / 2.0;
        (Point::new(self.eye_center_x - half, self.eye_line), Point::new(self.eye_center_x + half, self.eye_line))
    }
}

impl Default for CardLayout {
    fn default() -> Self {
        Self::GA461
    }
}

/// How a card photo is simulated.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct CardPhotoOptions {
    /// Size and framing.
    pub layout: CardLayout,
    /// JPEG quality of the round trip, 1–100 (card photos look like about 20–30).
    pub jpeg_quality: u8,
    /// How far colours are pulled toward grey, 0 (none) to 1 (grey).
    pub desaturation: f32,
}

/// The JPEG quality used unless told otherwise.
pub const DEFAULT_JPEG_QUALITY: u8 = 25;

impl Default for CardPhotoOptions {
    fn default() -> Self {
        Self { layout: CardLayout::GA461, jpeg_quality: DEFAULT_JPEG_QUALITY, desaturation: 0.1 }
    }
}

/// Why a card photo could not be simulated.
#[derive(Debug, Error)]
#[non_exhaustive]
pub enum CardPhotoError {
    /// The landmarks cannot place a face: the eyes coincide or a coordinate is not finite.
    #[error("the eye landmarks ({left:?}, {right:?}) do not place a face: they coincide or are not numbers")]
    Landmarks {
        /// The eye on the image's left.
        left: Point,
        /// The other eye.
        right: Point,
    },
    /// An eye lies outside the photo, so the landmarks belong to another picture.
    #[error("an eye landmark lies outside the {width}×{height} photo: the landmarks must come from this photo")]
    EyesOutside {
        /// Photo width.
        width: u32,
        /// Photo height.
        height: u32,
    },
    /// The options are out of range.
    #[error("card photo options: {0}")]
    Options(String),
    /// The JPEG encoder failed.
    #[error("the JPEG round trip failed: {0}")]
    Jpeg(String),
    /// The JPEG could not be decoded back.
    #[error(transparent)]
    Frame(#[from] FrameError),
}

/// Makes a simulated card photo from `photo`, whose face has `landmarks`.
///
/// The eyes land at [`CardLayout::eyes`] (exactly, before the JPEG round trip); the face is
/// rotated upright by its eye line.
pub fn simulate_card_photo(photo: &Frame, landmarks: &Landmarks5, options: &CardPhotoOptions) -> Result<Frame, CardPhotoError> {
    if !(1..=100).contains(&options.jpeg_quality) {
        return Err(CardPhotoError::Options(format!("JPEG quality {} is not between 1 and 100", options.jpeg_quality)));
    }
    if !(0.0..=1.0).contains(&options.desaturation) {
        return Err(CardPhotoError::Options(format!("desaturation {} is not between 0 and 1", options.desaturation)));
    }
    let layout = &options.layout;
    if layout.width == 0 || layout.height == 0 || !(layout.eye_distance > 0.0 && layout.eye_distance.is_finite()) {
        return Err(CardPhotoError::Options(format!("layout {layout:?} has no size or no eye distance")));
    }
    let (left, right) = (landmarks.left_eye(), landmarks.right_eye());
    let (w, h) = (photo.width() as f32, photo.height() as f32);
    let inside = |p: Point| (-0.5..=w - 0.5).contains(&p.x) && (-0.5..=h - 0.5).contains(&p.y);
    let (card_left, card_right) = layout.eyes();
    let to_card = Similarity::estimate(&[left, right], &[card_left, card_right]).ok_or(CardPhotoError::Landmarks { left, right })?;
    let to_photo = to_card.inverse().ok_or(CardPhotoError::Landmarks { left, right })?;
    if !inside(left) || !inside(right) {
        return Err(CardPhotoError::EyesOutside { width: photo.width(), height: photo.height() });
    }

    let mut rgb = render(photo, &to_photo, layout.width, layout.height);
    desaturate(&mut rgb, options.desaturation);
    let card = Frame::from_rgb(layout.width, layout.height, std::mem::take(&mut *rgb))?;
    jpeg_round_trip(&card, options.jpeg_quality)
}

/// Each card pixel is the mean of n×n bilinear samples of the photo, n being how many photo
/// pixels one card pixel spans: an area average, so a large face shrinks without aliasing.
/// Samples outside the photo are white, the card's background.
fn render(photo: &Frame, to_photo: &Similarity, width: u32, height: u32) -> Zeroizing<Vec<u8>> {
    let span = to_photo.scale();
    let n = (span.ceil() as usize).clamp(1, 8);
    let (w, h) = (photo.width() as f32, photo.height() as f32);
    let mut rgb = Zeroizing::new(Vec::with_capacity(width as usize * height as usize * 3));
    for y in 0..height {
        for x in 0..width {
            let mut sum = [0.0f32; 3];
            for j in 0..n {
                for i in 0..n {
                    let u = x as f32 + (i as f32 + 0.5) / n as f32 - 0.5;
                    let v = y as f32 + (j as f32 + 0.5) / n as f32 - 0.5;
                    let p = to_photo.apply(Point::new(u, v));
                    let c = if p.x >= -0.5 && p.x <= w - 0.5 && p.y >= -0.5 && p.y <= h - 0.5 { photo.sample(p.x, p.y) } else { [255.0; 3] };
                    for (s, c) in sum.iter_mut().zip(c) {
                        *s += c;
                    }
                }
            }
            let count = (n * n) as f32;
            rgb.extend(sum.map(|s| (s / count).round().clamp(0.0, 255.0) as u8));
        }
    }
    rgb
}

/// Pulls each pixel toward its luma by `amount`.
fn desaturate(rgb: &mut [u8], amount: f32) {
    if amount <= 0.0 {
        return;
    }
    for p in rgb.chunks_exact_mut(3) {
        let luma = 0.299 * p[0] as f32 + 0.587 * p[1] as f32 + 0.114 * p[2] as f32;
        for c in p.iter_mut() {
            *c = (*c as f32 + amount * (luma - *c as f32)).round().clamp(0.0, 255.0) as u8;
        }
    }
}

/// Encodes as JPEG at `quality` and decodes again, all in memory.
fn jpeg_round_trip(frame: &Frame, quality: u8) -> Result<Frame, CardPhotoError> {
    let mut bytes = Zeroizing::new(Vec::new());
    image::codecs::jpeg::JpegEncoder::new_with_quality(&mut *bytes, quality)
        .encode(frame.rgb(), frame.width(), frame.height(), image::ExtendedColorType::Rgb8)
        .map_err(|e| CardPhotoError::Jpeg(e.to_string()))?;
    Ok(Frame::decode(&bytes, "the simulated card photo")?)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A dark frame with a bright disc at each eye (other landmarks only complete the set).
    fn eye_dots(w: u32, h: u32, left: Point, right: Point, r: f32) -> Frame {
        let mut rgb = vec![30u8; (w * h * 3) as usize];
        for y in 0..h {
            for x in 0..w {
                let p = Point::new(x as f32, y as f32);
                if p.distance(left) <= r || p.distance(right) <= r {
                    let i = ((y * w + x) * 3) as usize;
                    rgb[i..i + 3].copy_from_slice(&[250, 250, 250]);
                }
            }
        }
        Frame::from_rgb(w, h, rgb).unwrap()
    }

    fn marks(left: Point, right: Point) -> Landmarks5 {
        let mid = left.midpoint(right);
        Landmarks5([left, right, Point::new(mid.x, mid.y + 40.0), Point::new(mid.x - 20.0, mid.y + 70.0), Point::new(mid.x + 20.0, mid.y + 70.0)])
    }

    /// The centroid of bright pixels in the left or right half of a card.
    fn bright_centroid(card: &Frame, right_half: bool) -> Point {
        let (mut sx, mut sy, mut n) = (0.0, 0.0, 0.0);
        for y in 0..card.height() {
            for x in 0..card.width() {
                if (x >= card.width() / 2) == right_half && card.pixel(x, y)[0] > 140 {
                    sx += x as f32;
                    sy += y as f32;
                    n += 1.0;
                }
            }
        }
        assert!(n > 0.0, "no bright pixels");
        Point::new(sx / n, sy / n)
    }

    #[test]
    fn layout_numbers() {
        let l = CardLayout::GA461;
        assert!((l.eye_distance - 24.18).abs() < 0.01, "{l:?}");
        assert!((l.eye_line - 45.21).abs() < 0.01, "{l:?}");
        // GA 461: eyes at least 207 of 441 px above the bottom edge.
        assert!((l.eye_line + 0.5) / l.height as f32 <= (441.0 - 207.0) / 441.0);
        let (a, b) = l.eyes();
        assert!((a.midpoint(b).x - 50.5).abs() < 1e-4 && (b.x - a.x - l.eye_distance).abs() < 1e-4);
    }

    #[test]
    fn tilted_face_comes_out_level_with_the_eyes_in_place() {
        // Eyes 120 px apart, tilted by about 17°.
        let (left, right) = (Point::new(300.0, 400.0), Point::new(415.0, 435.0));
        let photo = eye_dots(700, 900, left, right, 12.0);
        let options = CardPhotoOptions { jpeg_quality: 95, desaturation: 0.0, ..Default::default() };
        let card = simulate_card_photo(&photo, &marks(left, right), &options).unwrap();
        assert_eq!((card.width(), card.height()), (CARD_WIDTH, CARD_HEIGHT));
        let (want_l, want_r) = CardLayout::GA461.eyes();
        let (got_l, got_r) = (bright_centroid(&card, false), bright_centroid(&card, true));
        for (got, want) in [(got_l, want_l), (got_r, want_r)] {
            assert!(got.distance(want) < 1.0, "eye at {got:?}, want {want:?}");
        }
    }

    #[test]
    fn outside_the_photo_is_white_background() {
        // A face at the photo's top-left corner: the card's top-left is beyond the photo.
        let (left, right) = (Point::new(30.0, 20.0), Point::new(80.0, 20.0));
        let photo = eye_dots(400, 400, left, right, 4.0);
        let card = simulate_card_photo(&photo, &marks(left, right), &CardPhotoOptions::default()).unwrap();
        let corner = card.pixel(2, 2);
        assert!(corner.iter().all(|&c| c > 235), "{corner:?}");
        // Inside the photo it stays dark (30 before compression).
        let inside = card.pixel(80, 110);
        assert!(inside.iter().all(|&c| c < 60), "{inside:?}");
    }

    #[test]
    fn desaturation_pulls_toward_grey() {
        let mut rgb = vec![200u8, 50, 50, 10, 200, 10];
        desaturate(&mut rgb, 1.0);
        assert!(rgb[0] == rgb[1] && rgb[1] == rgb[2] && rgb[3] == rgb[4]);
        let mut half = vec![200u8, 50, 50];
        desaturate(&mut half, 0.5);
        assert!(half[0] < 200 && half[0] > half[1], "{half:?}");
    }

    #[test]
    fn bad_input_is_an_error() {
        let photo = eye_dots(200, 200, Point::new(50.0, 50.0), Point::new(100.0, 50.0), 3.0);
        let same = Point::new(50.0, 50.0);
        assert!(matches!(simulate_card_photo(&photo, &marks(same, same), &Default::default()), Err(CardPhotoError::Landmarks { .. })));
        let nan = Point::new(f32::NAN, 3.0);
        assert!(matches!(simulate_card_photo(&photo, &marks(nan, same), &Default::default()), Err(CardPhotoError::Landmarks { .. })));
        let far = marks(Point::new(500.0, 50.0), Point::new(600.0, 50.0));
        assert!(matches!(simulate_card_photo(&photo, &far, &Default::default()), Err(CardPhotoError::EyesOutside { .. })));
        let ok = marks(Point::new(50.0, 50.0), Point::new(100.0, 50.0));
        let q0 = CardPhotoOptions { jpeg_quality: 0, ..Default::default() };
        assert!(matches!(simulate_card_photo(&photo, &ok, &q0), Err(CardPhotoError::Options(_))));
        let d2 = CardPhotoOptions { desaturation: 2.0, ..Default::default() };
        assert!(matches!(simulate_card_photo(&photo, &ok, &d2), Err(CardPhotoError::Options(_))));
    }

    #[test]
    fn heavier_jpeg_loses_more() {
        // A fine checkerboard: quality 20 must lose more of it than quality 95.
        let rgb = (0..120u32 * 150).flat_map(|i| if (i % 120 / 2 + i / 120 / 2) % 2 == 0 { [220u8, 40, 40] } else { [40, 40, 220] }).collect();
        let photo = Frame::from_rgb(120, 150, rgb).unwrap();
        let m = marks(Point::new(47.0, 60.0), Point::new(73.0, 60.0));
        let card = |q| simulate_card_photo(&photo, &m, &CardPhotoOptions { jpeg_quality: q, desaturation: 0.0, ..Default::default() }).unwrap();
        let reference = render(
            &photo,
            &Similarity::estimate(&[m.left_eye(), m.right_eye()], &[CardLayout::GA461.eyes().0, CardLayout::GA461.eyes().1]).unwrap().inverse().unwrap(),
            CARD_WIDTH,
            CARD_HEIGHT,
        );
        let error = |f: &Frame| f.rgb().iter().zip(reference.iter()).map(|(&a, &b)| (a as f64 - b as f64).abs()).sum::<f64>();
        let (lo, hi) = (error(&card(20)), error(&card(95)));
        assert!(lo > hi * 1.5, "q20 error {lo}, q95 error {hi}");
    }

    /// On a real photo with its measured landmarks, the card's eyes are where the layout says:
    /// checked by finding the face again in the card with the detector and O-Net.
    #[test]
    fn real_photo_card_has_the_eyes_in_place() {
        let Some(dir) = std::env::var_os("HALLKIT_FACE_MODELS") else {
            eprintln!("skipped: set HALLKIT_FACE_MODELS to the face model folder to run this test");
            return;
        };
        use crate::detect::{Detector, SeetaDetector};
        use crate::landmark::{Landmarker, OnetLandmarker};
        let dir = std::path::PathBuf::from(dir);
        let photo = Frame::open(&dir.join("test-images/obama.jpg")).unwrap();
        assert_eq!((photo.width(), photo.height()), (910, 1137));
        let measured =
            Landmarks5([Point::new(442.0, 212.0), Point::new(550.0, 212.0), Point::new(496.0, 275.0), Point::new(436.0, 319.0), Point::new(555.0, 318.0)]);
        let card = simulate_card_photo(&photo, &measured, &CardPhotoOptions::default()).unwrap();
        assert_eq!((card.width(), card.height()), (102, 126));

        let models = crate::models::ModelDir::new(&dir);
        let faces = SeetaDetector::load(&models).unwrap().detect(&card).unwrap();
        assert_eq!(faces.len(), 1, "{faces:?}");
        let found = OnetLandmarker::load(&models).unwrap().landmarks(&card, &faces[0]).unwrap();
        let (want_l, want_r) = CardLayout::GA461.eyes();
        for (got, want) in [(found.left_eye(), want_l), (found.right_eye(), want_r)] {
            assert!((got.x - want.x).abs() <= 2.0 && (got.y - want.y).abs() <= 2.0, "eye found at {got:?}, layout puts it at {want:?}");
        }
    }
}
