//! What the panel shows over time, sans-IO: a [`Scene`] (the uploaded content and its
//! [`Effect`]) gives the [`frame_at`](Scene::frame_at) any time since it was shown, so that
//! blinking and scrolling are tested without sleeping, and the simulator draws the same frames
//! a real panel would.
//!
//! The timeline of a scene, from the moment the panel is told to show it:
//! 1. **Blink** `blink_times` times: each period the first panel-width of the content is lit for
//!    the first half and dark for the second (a new call catches the eye).
//! 2. Then, if the content is no wider than the panel, it stays still.
//! 3. Otherwise it **scrolls** left at `scroll_speed` dots per second, starting from its
//!    beginning, followed by `scroll_gap` dark dots before it comes round again.

use std::time::Duration;

use serde::{Deserialize, Serialize};

use super::bitmap::{Bitmap, Geometry};

/// How content is brought onto the panel.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct Effect {
    /// How many times to blink before settling (0: no blinking).
    pub blink_times: u8,
    /// One blink, lit then dark, in milliseconds (100 to 5000).
    pub blink_period_ms: u16,
    /// Scrolling speed of content wider than the panel, in dots per second (1 to 512).
    pub scroll_speed: u16,
    /// Dark dots after the end of scrolling content before its start comes round again.
    pub scroll_gap: u16,
}

/// Limits of the effect registers (the panel answers "illegal data value" outside them).
pub const BLINK_PERIOD_MS: std::ops::RangeInclusive<u16> = 100..=5000;
/// Limits of the scroll speed.
pub const SCROLL_SPEED: std::ops::RangeInclusive<u16> = 1..=512;
/// Largest scroll gap.
pub const MAX_SCROLL_GAP: u16 = 1024;

impl Effect {
    /// A new call: three blinks of 600 ms, then still, or scrolling at 32 dots (two characters) per
    /// second with a 32-dot gap.
    pub const CALL: Effect = Effect { blink_times: 3, blink_period_ms: 600, scroll_speed: 32, scroll_gap: 32 };
    /// Steady text (a notice, an idle message): no blinking, scrolling as [`Effect::CALL`].
    pub const STEADY: Effect = Effect { blink_times: 0, ..Effect::CALL };

    /// The same with `times` blinks.
    pub fn with_blinks(mut self, times: u8) -> Self {
        self.blink_times = times;
        self
    }

    /// The time the blinking lasts.
    pub fn blink_duration(&self) -> Duration {
        Duration::from_millis(u64::from(self.blink_times) * u64::from(self.blink_period_ms))
    }

    /// Whether every field is within what the panel accepts.
    pub fn is_valid(&self) -> bool {
        BLINK_PERIOD_MS.contains(&self.blink_period_ms) && SCROLL_SPEED.contains(&self.scroll_speed) && self.scroll_gap <= MAX_SCROLL_GAP
    }
}

impl Default for Effect {
    fn default() -> Self {
        Effect::CALL
    }
}

/// Content on a panel with its effect.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Scene {
    /// The panel.
    pub geometry: Geometry,
    /// What was uploaded: the panel's height, at least its width (wider content scrolls).
    pub content: Bitmap,
    /// How it is shown.
    pub effect: Effect,
}

impl Scene {
    /// A dark panel.
    pub fn dark(geometry: Geometry) -> Scene {
        Scene { geometry, content: Bitmap::blank(geometry), effect: Effect::STEADY }
    }

    /// Whether the content is wider than the panel.
    pub fn scrolls(&self) -> bool {
        self.content.width() > self.geometry.width()
    }

    /// The panel's dots `since` the scene was shown.
    pub fn frame_at(&self, since: Duration) -> Bitmap {
        let mut frame = Bitmap::blank(self.geometry);
        let blinking = self.effect.blink_duration();
        if since < blinking {
            let period = u128::from(self.effect.blink_period_ms.max(1));
            let lit = since.as_millis() % period < period / 2;
            if lit {
                self.copy_window(&mut frame, 0);
            }
            return frame;
        }
        if !self.scrolls() {
            self.copy_window(&mut frame, 0);
            return frame;
        }
        let cycle = u128::from(self.content.width()) + u128::from(self.effect.scroll_gap);
        let moved = (since - blinking).as_millis() * u128::from(self.effect.scroll_speed) / 1000;
        // `moved % cycle` < cycle <= 2048 + 1024, so it fits.
        let offset = u16::try_from(moved % cycle).unwrap_or(0);
        self.copy_window(&mut frame, offset);
        frame
    }

    /// Copies the panel-wide window of the content that starts at column `offset`, wrapping round
    /// through the gap.
    fn copy_window(&self, frame: &mut Bitmap, offset: u16) {
        let cycle = u32::from(self.content.width()) + if self.scrolls() { u32::from(self.effect.scroll_gap) } else { 0 };
        for x in 0..self.geometry.width() {
            let column = (u32::from(offset) + u32::from(x)) % cycle.max(1);
            let Ok(column) = u16::try_from(column) else { continue };
            if column >= self.content.width() {
                continue;
            }
            for y in 0..self.geometry.height() {
                if self.content.get(column, y) {
                    frame.set(x, y, true);
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::led::text::render_text;

    fn ms(n: u64) -> Duration {
        Duration::from_millis(n)
    }

    /// The content's columns `from..from + width` (wrapping through `gap` dark columns).
    fn window(content: &Bitmap, gap: u16, from: u16, geometry: Geometry) -> Bitmap {
        let mut expected = Bitmap::blank(geometry);
        let cycle = content.width() + gap;
        for x in 0..geometry.width() {
            let c = (from + x) % cycle;
            for y in 0..geometry.height() {
                expected.set(x, y, content.get(c, y));
            }
        }
        expected
    }

    #[test]
    fn a_new_call_blinks_n_times_then_stays() {
        let rendered = render_text("A012 3号窗口", Geometry::WINDOW_128X16);
        let scene = Scene { geometry: Geometry::WINDOW_128X16, content: rendered.content.clone(), effect: Effect::CALL };
        assert!(!scene.scrolls());
        let lit = rendered.content;
        let period = u64::from(Effect::CALL.blink_period_ms);
        for blink in 0..3 {
            let start = blink * period;
            assert_eq!(scene.frame_at(ms(start)), lit, "blink {blink} starts lit");
            assert_eq!(scene.frame_at(ms(start + period / 2 - 1)), lit, "blink {blink} still lit");
            assert!(scene.frame_at(ms(start + period / 2)).is_dark(), "blink {blink} goes dark halfway");
            assert!(scene.frame_at(ms(start + period - 1)).is_dark(), "blink {blink} dark until its end");
        }
        for t in [3 * period, 3 * period + 1, 60_000, 3_600_000] {
            assert_eq!(scene.frame_at(ms(t)), lit, "still after the blinks, at {t} ms");
        }
    }

    #[test]
    fn no_blinks_means_lit_from_the_start() {
        let rendered = render_text("A012", Geometry::WINDOW_64X16);
        let scene = Scene { geometry: Geometry::WINDOW_64X16, content: rendered.content.clone(), effect: Effect::STEADY };
        assert_eq!(scene.frame_at(Duration::ZERO), rendered.content);
        assert_eq!(scene.frame_at(ms(250)), rendered.content);
    }

    #[test]
    fn long_text_blinks_its_start_then_scrolls_left_and_comes_round() {
        let g = Geometry::WINDOW_64X16;
        let rendered = render_text("请A012号到3号窗口", g);
        let content = rendered.content;
        assert!(content.width() > 64);
        let effect = Effect { blink_times: 2, blink_period_ms: 400, scroll_speed: 50, scroll_gap: 16 };
        let scene = Scene { geometry: g, content: content.clone(), effect };
        let start = window(&content, 16, 0, g);
        // Blinking shows the start.
        assert_eq!(scene.frame_at(ms(0)), start);
        assert!(scene.frame_at(ms(200)).is_dark());
        assert_eq!(scene.frame_at(ms(400)), start);
        // Scrolling starts at 800 ms from the start, 50 dots per second: one dot per 20 ms.
        assert_eq!(scene.frame_at(ms(800)), start);
        assert_eq!(scene.frame_at(ms(819)), start);
        assert_eq!(scene.frame_at(ms(820)), window(&content, 16, 1, g));
        assert_eq!(scene.frame_at(ms(800 + 20 * 37)), window(&content, 16, 37, g));
        // Past the end: the gap, dark, then the start comes in from the right.
        let w = content.width();
        let at_end = scene.frame_at(ms(800 + 20 * u64::from(w)));
        assert!((0..16).all(|x| (0..16).all(|y| !at_end.get(x, y))), "the gap is dark");
        // A full cycle later it is back where it began.
        let cycle = u64::from(w) + 16;
        assert_eq!(scene.frame_at(ms(800 + 20 * cycle)), start);
        assert_eq!(scene.frame_at(ms(800 + 20 * (cycle + 5))), window(&content, 16, 5, g));
    }

    #[test]
    fn effect_limits() {
        assert!(Effect::CALL.is_valid() && Effect::STEADY.is_valid());
        assert!(!Effect { blink_period_ms: 50, ..Effect::CALL }.is_valid());
        assert!(!Effect { scroll_speed: 0, ..Effect::CALL }.is_valid());
        assert!(!Effect { scroll_gap: 2000, ..Effect::CALL }.is_valid());
        assert_eq!(Effect::CALL.blink_duration(), ms(1800));
        assert_eq!(Effect::CALL.with_blinks(5).blink_times, 5);
    }

    #[test]
    fn a_dark_scene_is_dark_at_any_time() {
        let s = Scene::dark(Geometry::STRIP_256X32);
        assert!(s.frame_at(Duration::ZERO).is_dark());
        assert!(s.frame_at(ms(123_456)).is_dark());
    }
}
