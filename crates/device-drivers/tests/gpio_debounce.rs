//! The button debouncer, sans-IO: scenarios with bouncing presses, noise and long presses, and
//! properties over random bounce patterns.

use std::time::Duration;

use device_drivers::gpio::{ButtonChange, ButtonSettings, Debouncer};
use proptest::prelude::*;

const WINDOW: Duration = Duration::from_millis(30);

fn ms(n: u64) -> Duration {
    Duration::from_millis(n)
}

/// Everything due by `now`.
fn drain(d: &mut Debouncer, now: Duration) -> Vec<ButtonChange> {
    std::iter::from_fn(|| d.poll(now)).collect()
}

fn settings(long_press: Option<Duration>) -> ButtonSettings {
    ButtonSettings { debounce: WINDOW, long_press }
}

#[test]
fn a_bouncing_press_is_reported_once_stamped_with_its_first_edge() {
    let mut d = Debouncer::new(settings(None), false);
    for (t, level) in [(100, true), (102, false), (103, true), (105, false), (106, true)] {
        d.edge(level, ms(t));
    }
    // Not before the line has been quiet for the whole window after the last bounce.
    assert_eq!(d.next_deadline(), Some(ms(136)));
    assert_eq!(drain(&mut d, ms(135)), vec![]);
    assert!(!d.is_pressed());
    assert_eq!(drain(&mut d, ms(136)), vec![ButtonChange::Pressed { at: ms(100) }]);
    assert!(d.is_pressed());
    assert_eq!(d.bounces(), 4);
    // Nothing more, however often it is asked.
    assert_eq!(drain(&mut d, ms(10_000)), vec![]);
    assert_eq!(d.next_deadline(), None);

    for (t, level) in [(400, false), (401, true), (402, false)] {
        d.edge(level, ms(t));
    }
    assert_eq!(drain(&mut d, ms(432)), vec![ButtonChange::Released { at: ms(400), held: ms(300) }]);
    assert!(!d.is_pressed());
}

#[test]
fn noise_shorter_than_the_window_that_returns_to_the_old_level_is_no_press() {
    let mut d = Debouncer::new(settings(None), false);
    d.edge(true, ms(50));
    d.edge(false, ms(51));
    assert_eq!(drain(&mut d, ms(1000)), vec![]);
    assert_eq!(d.glitches(), 1);
    assert!(!d.is_pressed());
}

#[test]
fn a_long_press_is_reported_once_while_held_and_the_release_follows() {
    let mut d = Debouncer::new(settings(Some(ms(1500))), false);
    d.edge(true, ms(0));
    assert_eq!(drain(&mut d, ms(30)), vec![ButtonChange::Pressed { at: ms(0) }]);
    assert_eq!(d.next_deadline(), Some(ms(1500)));
    assert_eq!(drain(&mut d, ms(1499)), vec![]);
    assert_eq!(drain(&mut d, ms(1500)), vec![ButtonChange::LongPress { at: ms(1500) }]);
    assert_eq!(drain(&mut d, ms(5000)), vec![]);
    d.edge(false, ms(6000));
    assert_eq!(drain(&mut d, ms(6030)), vec![ButtonChange::Released { at: ms(6000), held: ms(6000) }]);
}

#[test]
fn a_press_released_before_the_long_press_time_is_not_a_long_press() {
    let mut d = Debouncer::new(settings(Some(ms(1500))), false);
    d.edge(true, ms(0));
    d.edge(false, ms(1480));
    // Asked late, after the long-press time: the release was already under way.
    assert_eq!(drain(&mut d, ms(2000)), vec![ButtonChange::Pressed { at: ms(0) }, ButtonChange::Released { at: ms(1480), held: ms(1480) }]);
}

#[test]
fn a_late_poll_reports_the_press_and_its_long_press_in_order() {
    let mut d = Debouncer::new(settings(Some(ms(500))), false);
    d.edge(true, ms(10));
    assert_eq!(drain(&mut d, ms(2000)), vec![ButtonChange::Pressed { at: ms(10) }, ButtonChange::LongPress { at: ms(510) }]);
}

#[test]
fn a_button_held_at_start_reports_only_its_release() {
    let mut d = Debouncer::new(settings(Some(ms(100))), true);
    assert!(d.is_pressed());
    assert_eq!(drain(&mut d, ms(1000)), vec![]);
    d.edge(false, ms(2000));
    let changes = drain(&mut d, ms(2030));
    assert!(matches!(changes.as_slice(), [ButtonChange::Released { at, .. }] if *at == ms(2000)), "{changes:?}");
}

#[test]
fn a_missed_edge_found_by_sampling_restarts_the_window() {
    let mut d = Debouncer::new(settings(None), false);
    d.edge(true, ms(0));
    // The kernel dropped the release edge; a reading at the deadline shows the line is low.
    d.sample(false, ms(30));
    assert_eq!(drain(&mut d, ms(30)), vec![]);
    assert_eq!(drain(&mut d, ms(60)), vec![]);
    assert!(!d.is_pressed());
    // A reading that agrees changes nothing.
    d.sample(false, ms(70));
    assert!(!d.is_settling());
}

#[test]
fn edges_stamped_out_of_order_do_not_move_the_deadline_backwards() {
    let mut d = Debouncer::new(settings(None), false);
    d.edge(true, ms(100));
    d.edge(true, ms(90));
    assert_eq!(d.next_deadline(), Some(ms(130)));
}

proptest! {
    /// Any press whose bounces are shorter than the window, held longer than the window, gives
    /// exactly one press and one release at the first edges, whenever it is polled.
    #[test]
    fn any_bounce_pattern_gives_one_press_and_one_release(
        press_bounce in proptest::collection::vec((1u64..5, any::<bool>()), 0..12),
        release_bounce in proptest::collection::vec((1u64..5, any::<bool>()), 0..12),
        hold in 100u64..5000,
        polls in proptest::collection::vec(0u64..10_000, 0..20),
    ) {
        let mut d = Debouncer::new(settings(None), false);
        let mut edges = Vec::new();
        let mut t = 1000;
        edges.push((t, true));
        for (gap, level) in &press_bounce { t += gap; edges.push((t, *level)); }
        t += 1; edges.push((t, true));
        let release = t + hold;
        let mut t = release;
        edges.push((t, false));
        for (gap, level) in &release_bounce { t += gap; edges.push((t, *level)); }
        t += 1; edges.push((t, false));
        let end = t + 1000;

        // Poll at random times in between, as a busy loop would.
        let mut polls: Vec<u64> = polls.into_iter().map(|p| p % end).collect();
        polls.sort_unstable();
        let mut changes = Vec::new();
        let mut next_poll = polls.into_iter().peekable();
        for (at, level) in edges {
            while let Some(p) = next_poll.next_if(|p| *p < at) { changes.extend(drain(&mut d, ms(p))); }
            d.edge(level, ms(at));
        }
        for p in next_poll { changes.extend(drain(&mut d, ms(p))); }
        changes.extend(drain(&mut d, ms(end)));
        prop_assert_eq!(changes, vec![ButtonChange::Pressed { at: ms(1000) }, ButtonChange::Released { at: ms(release), held: ms(release - 1000) }]);
    }

    /// Random edges never panic, and changes alternate press / release.
    #[test]
    fn random_edges_give_alternating_changes(
        edges in proptest::collection::vec((0u64..200, any::<bool>()), 0..60),
        long in proptest::option::of(1u64..500),
    ) {
        let mut d = Debouncer::new(settings(long.map(ms)), false);
        let mut t = 0;
        let mut changes = Vec::new();
        for (gap, level) in edges {
            t += gap;
            changes.extend(drain(&mut d, ms(t)));
            d.edge(level, ms(t));
        }
        changes.extend(drain(&mut d, ms(t + 10_000)));
        let mut down = false;
        for change in changes {
            match change {
                ButtonChange::Pressed { .. } => { prop_assert!(!down); down = true; }
                ButtonChange::LongPress { .. } => prop_assert!(down),
                ButtonChange::Released { .. } => { prop_assert!(down); down = false; }
            }
        }
        prop_assert_eq!(down, d.is_pressed());
    }
}
