//! A panel frame as a PNG that looks like the real sign: round red dots on black, unlit dots
//! faintly visible, as on a switched-on panel seen up close.

use serde::{Deserialize, Serialize};

use super::bitmap::Bitmap;

/// How dots are drawn.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct DotStyle {
    /// Pixels from one dot's centre to the next (4 to 32).
    pub pitch: u32,
    /// Colour of a lit dot (RGB).
    pub lit: [u8; 3],
    /// Colour of an unlit dot.
    pub unlit: [u8; 3],
    /// Colour between dots.
    pub background: [u8; 3],
    /// Pixels of background around the whole panel.
    pub border: u32,
}

impl Default for DotStyle {
    /// Red dots 8 pixels apart, a 16-pixel black border.
    fn default() -> Self {
        DotStyle { pitch: 8, lit: [255, 48, 24], unlit: [48, 10, 8], background: [8, 8, 8], border: 16 }
    }
}

/// Sub-samples per pixel side, for smooth dot edges.
const SAMPLES: u32 = 4;

/// Draws `frame` as RGB pixels: `(width, height, rgb bytes)`.
pub fn render_rgb(frame: &Bitmap, style: &DotStyle) -> (u32, u32, Vec<u8>) {
    let pitch = style.pitch.clamp(4, 32);
    let width = u32::from(frame.width()) * pitch + 2 * style.border;
    let height = u32::from(frame.height()) * pitch + 2 * style.border;
    // The coverage of one dot cell, computed once: a disc of 0.42 pitch radius.
    let radius = pitch as f32 * 0.42;
    let centre = pitch as f32 / 2.0;
    let cell: Vec<f32> = (0..pitch * pitch)
        .map(|i| {
            let (px, py) = (i % pitch, i / pitch);
            let mut inside = 0;
            for sy in 0..SAMPLES {
                for sx in 0..SAMPLES {
                    let x = px as f32 + (sx as f32 + 0.5) / SAMPLES as f32 - centre;
                    let y = py as f32 + (sy as f32 + 0.5) / SAMPLES as f32 - centre;
                    if x * x + y * y <= radius * radius {
                        inside += 1;
                    }
                }
            }
            inside as f32 / (SAMPLES * SAMPLES) as f32
        })
        .collect();
    let mut rgb = Vec::with_capacity((width * height * 3) as usize);
    for y in 0..height {
        for x in 0..width {
            let (Some(dx), Some(dy)) = (x.checked_sub(style.border), y.checked_sub(style.border)) else {
                rgb.extend_from_slice(&style.background);
                continue;
            };
            let (col, row) = (dx / pitch, dy / pitch);
            if col >= u32::from(frame.width()) || row >= u32::from(frame.height()) {
                rgb.extend_from_slice(&style.background);
                continue;
            }
            // col < width ≤ u16::MAX, so these fit.
            let on = frame.get(col as u16, row as u16);
            let dot = if on { style.lit } else { style.unlit };
            let coverage = cell[((dy % pitch) * pitch + dx % pitch) as usize];
            for (&back, &front) in style.background.iter().zip(&dot) {
                let mixed = f32::from(back) * (1.0 - coverage) + f32::from(front) * coverage;
                rgb.push(mixed.round() as u8);
            }
        }
    }
    (width, height, rgb)
}

/// Draws `frame` as a PNG file's bytes.
///
/// # Errors
/// When the PNG encoder fails (it does not, on memory).
pub fn render_png(frame: &Bitmap, style: &DotStyle) -> Result<Vec<u8>, png::EncodingError> {
    let (width, height, rgb) = render_rgb(frame, style);
    let mut out = Vec::new();
    {
        let mut encoder = png::Encoder::new(&mut out, width, height);
        encoder.set_color(png::ColorType::Rgb);
        encoder.set_depth(png::BitDepth::Eight);
        let mut writer = encoder.write_header()?;
        writer.write_image_data(&rgb)?;
        writer.finish()?;
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lit_dots_are_red_discs_and_unlit_ones_dim() {
        let mut frame = Bitmap::new(8, 1).expect("valid");
        frame.set(1, 0, true);
        let style = DotStyle::default();
        let (w, h, rgb) = render_rgb(&frame, &style);
        assert_eq!((w, h), (8 * 8 + 32, 8 + 32));
        let px = |x: u32, y: u32| {
            let i = ((y * w + x) * 3) as usize;
            [rgb[i], rgb[i + 1], rgb[i + 2]]
        };
        // Centre of dot 1 (lit), of dot 0 (unlit), a corner between dots, the border.
        assert_eq!(px(16 + 8 + 4, 16 + 4), style.lit);
        assert_eq!(px(16 + 4, 16 + 4), style.unlit);
        assert_eq!(px(16 + 8, 16), style.background);
        assert_eq!(px(0, 0), style.background);
        let png = render_png(&frame, &style).expect("encodes");
        assert_eq!(&png[1..4], b"PNG");
    }
}
