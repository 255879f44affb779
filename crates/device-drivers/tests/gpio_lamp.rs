//! Lamp patterns, sans-IO: levels and change times asked for at chosen times, no sleeping.

use std::time::Duration;

use device_drivers::gpio::{Lamp, LampPattern};
use proptest::prelude::*;

fn ms(n: u64) -> Duration {
    Duration::from_millis(n)
}

#[test]
fn steady_patterns_never_change() {
    assert!(LampPattern::On.is_lit(ms(12_345)));
    assert!(!LampPattern::Off.is_lit(ms(12_345)));
    assert_eq!(LampPattern::On.next_change(ms(5)), None);
    assert_eq!(LampPattern::Off.next_change(ms(5)), None);
}

#[test]
fn a_blink_is_lit_first_then_dark_and_repeats() {
    let blink = LampPattern::Blink { on_ms: 300, off_ms: 700 };
    let lit: Vec<bool> = [0, 299, 300, 999, 1000, 1299, 1300].into_iter().map(|t| blink.is_lit(ms(t))).collect();
    assert_eq!(lit, [true, true, false, false, true, true, false]);
    assert_eq!(blink.next_change(ms(0)), Some(ms(300)));
    assert_eq!(blink.next_change(ms(300)), Some(ms(1000)));
    assert_eq!(blink.next_change(ms(1000)), Some(ms(1300)));
    // Sub-millisecond times are exact.
    assert_eq!(blink.next_change(Duration::from_micros(299_999)), Some(ms(300)));
}

#[test]
fn pulses_flash_count_times_then_pause() {
    // Two 100 ms flashes 100 ms apart, then 600 ms more dark: a 1 s cycle.
    let pulses = LampPattern::Pulses { count: 2, on_ms: 100, off_ms: 100, pause_ms: 600 };
    let levels: Vec<bool> = (0..20).map(|i| pulses.is_lit(ms(i * 50))).collect();
    let expected: Vec<bool> = (0..20).map(|i| matches!(i * 50, 0..100 | 200..300)).collect();
    assert_eq!(levels, expected);
    assert_eq!(pulses.next_change(ms(0)), Some(ms(100)));
    assert_eq!(pulses.next_change(ms(100)), Some(ms(200)));
    assert_eq!(pulses.next_change(ms(200)), Some(ms(300)));
    // The last flash's off time and the pause are one dark stretch.
    assert_eq!(pulses.next_change(ms(300)), Some(ms(1000)));
    assert!(pulses.is_lit(ms(1000)));
}

#[test]
fn degenerate_patterns_are_steady() {
    assert!(!LampPattern::Blink { on_ms: 0, off_ms: 500 }.is_lit(ms(0)));
    assert!(LampPattern::Blink { on_ms: 500, off_ms: 0 }.is_lit(ms(600)));
    assert_eq!(LampPattern::Blink { on_ms: 0, off_ms: 0 }.next_change(ms(0)), None);
    assert!(!LampPattern::Pulses { count: 0, on_ms: 100, off_ms: 100, pause_ms: 100 }.is_lit(ms(0)));
    assert_eq!(LampPattern::Pulses { count: 3, on_ms: 100, off_ms: 0, pause_ms: 0 }.next_change(ms(0)), None);
}

#[test]
fn a_lamp_runs_its_pattern_from_when_it_was_set() {
    let mut lamp = Lamp::new();
    assert!(!lamp.is_lit(ms(0)));
    lamp.show(LampPattern::BLINK, ms(10_250));
    assert!(lamp.is_lit(ms(10_250)));
    assert!(!lamp.is_lit(ms(10_750)));
    assert_eq!(lamp.next_change(ms(10_250)), Some(ms(10_750)));
}

#[test]
fn a_lamp_shown_for_a_while_falls_back_to_its_next_pattern() {
    let mut lamp = Lamp::new();
    // Blink for 2.7 s after a call (from t = 1 s), then stay lit.
    lamp.show_for(LampPattern::BLINK, ms(2700), LampPattern::On, ms(1000));
    assert_eq!(lamp.pattern_at(ms(3699)), LampPattern::BLINK);
    assert!(lamp.is_lit(ms(3000)));
    assert_eq!(lamp.next_change(ms(3000)), Some(ms(3500)));
    assert!(!lamp.is_lit(ms(3600)));
    // The switch is itself a change time, here in the middle of a dark half.
    assert_eq!(lamp.next_change(ms(3600)), Some(ms(3700)));
    assert_eq!(lamp.pattern_at(ms(3700)), LampPattern::On);
    assert!(lamp.is_lit(ms(3700)));
    assert_eq!(lamp.next_change(ms(3700)), None);
}

#[test]
fn patterns_read_from_toml() {
    #[derive(serde::Deserialize)]
    struct Doc {
        lamps: Vec<LampPattern>,
    }
    let doc: Doc = toml::from_str(
        r#"lamps = [{ pattern = "off" }, { pattern = "on" }, { pattern = "blink", on_ms = 500, off_ms = 500 }, { pattern = "pulses", count = 2, on_ms = 100, off_ms = 100, pause_ms = 600 }]"#,
    )
    .expect("parses");
    assert_eq!(
        doc.lamps,
        vec![LampPattern::Off, LampPattern::On, LampPattern::BLINK, LampPattern::Pulses { count: 2, on_ms: 100, off_ms: 100, pause_ms: 600 }]
    );
}

fn any_pattern() -> impl Strategy<Value = LampPattern> {
    prop_oneof![
        Just(LampPattern::Off),
        Just(LampPattern::On),
        (0u32..2000, 0u32..2000).prop_map(|(on_ms, off_ms)| LampPattern::Blink { on_ms, off_ms }),
        (0u32..6, 0u32..500, 0u32..500, 0u32..2000).prop_map(|(count, on_ms, off_ms, pause_ms)| LampPattern::Pulses { count, on_ms, off_ms, pause_ms }),
        (any::<u32>(), any::<u32>()).prop_map(|(on_ms, off_ms)| LampPattern::Blink { on_ms, off_ms }),
        (any::<u32>(), any::<u32>(), any::<u32>(), any::<u32>()).prop_map(|(count, on_ms, off_ms, pause_ms)| LampPattern::Pulses {
            count,
            on_ms,
            off_ms,
            pause_ms
        }),
    ]
}

proptest! {
    /// The level holds from any time up to the next change time, and the next change is later.
    #[test]
    fn the_level_is_constant_until_the_next_change(pattern in any_pattern(), t in 0u64..100_000_000, probe in 0.0f64..1.0) {
        let t = Duration::from_micros(t);
        let lit = pattern.is_lit(t);
        match pattern.next_change(t) {
            None => prop_assert_eq!(pattern.is_lit(t + ms(123_456)), lit),
            Some(next) => {
                prop_assert!(next > t);
                let inside = t + (next - t).mul_f64(probe);
                if inside < next {
                    prop_assert_eq!(pattern.is_lit(inside), lit);
                }
            }
        }
    }

    /// Any pattern, any time, including the far end of the clock: no panic.
    #[test]
    fn no_pattern_or_time_panics(pattern in any_pattern(), secs in any::<u64>(), since in any::<u64>()) {
        let t = Duration::from_secs(secs);
        let _ = pattern.is_lit(t);
        let _ = pattern.next_change(t);
        let mut lamp = Lamp::new();
        lamp.show_for(pattern, Duration::from_secs(since), LampPattern::BLINK, Duration::from_secs(since / 2));
        let _ = lamp.is_lit(t);
        let _ = lamp.next_change(t);
    }
}
