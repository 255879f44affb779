//! The announcement queue on a fake clock: one scenario, one invariant each; then the
//! `Announcer` worker around it, with a recording sink.

use std::path::Path;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Condvar, Mutex};
use std::time::{Duration, Instant};

use device_drivers::voice::{
    Announcement, Announcer, Audio, AudioSink, Call, CallQueue, ClipPack, EngineChoice, Espeak, ManualClock, Pushed, QueueConfig, Speaker, SystemClock,
    Templates, Utterance, VoiceError,
};
use proptest::prelude::*;

fn call(ticket: &str, window: u32) -> Call {
    Call::new(ticket, window).expect("valid call")
}

fn config(repeat: u8, merge_s: u64, gap_ms: u64) -> QueueConfig {
    QueueConfig { repeat, merge_window_ms: merge_s * 1000, gap_ms, capacity: 64 }
}

fn secs(s: u64) -> Duration {
    Duration::from_secs(s)
}

/// Speaks everything due, finishing each utterance `took` after it started; returns what was said
/// as (ticket, round) and the time at the end.
fn drain(q: &mut CallQueue, mut now: Instant, took: Duration) -> (Vec<(String, u8)>, Instant) {
    let mut said = Vec::new();
    while let Some(due) = q.next_due(now) {
        now = due;
        let u = q.poll(now).expect("due means pollable");
        said.push((u.announcement.label(), u.round));
        now += took;
        q.finished(u.id, now, false);
    }
    (said, now)
}

fn queued_id(p: Pushed) -> u64 {
    match p {
        Pushed::Queued { id, .. } => id,
        other => panic!("expected Queued, got {other:?}"),
    }
}

#[test]
fn calls_are_spoken_in_arrival_order_each_repeated() {
    let t0 = Instant::now();
    let mut q = CallQueue::new(config(2, 10, 0));
    for (i, t) in ["A001", "B002", "A003"].into_iter().enumerate() {
        q.push(call(t, i as u32 + 1), t0).unwrap();
    }
    let (said, _) = drain(&mut q, t0, secs(3));
    let expect: Vec<(String, u8)> = ["A001", "A001", "B002", "B002", "A003", "A003"].iter().zip([1, 2, 1, 2, 1, 2]).map(|(t, r)| (t.to_string(), r)).collect();
    assert_eq!(said, expect);
    assert!(q.is_idle());
}

#[test]
fn nothing_starts_while_an_utterance_is_being_spoken() {
    let t0 = Instant::now();
    let mut q = CallQueue::new(config(1, 10, 0));
    q.push(call("A001", 1), t0).unwrap();
    let first = q.poll(t0).unwrap();
    q.push(call("A002", 2), t0 + secs(1)).unwrap();
    // However much time passes, the second call waits for the first to finish.
    for s in [1, 5, 60, 3600] {
        assert_eq!(q.poll(t0 + secs(s)), None, "at +{s}s");
        assert_eq!(q.next_due(t0 + secs(s)), None);
    }
    assert!(q.is_speaking());
    q.finished(first.id, t0 + secs(3600), false);
    assert_eq!(q.poll(t0 + secs(3600)).map(|u| u.announcement.label()), Some("A002".into()));
}

#[test]
fn no_other_call_comes_between_the_rounds_of_one_call() {
    let t0 = Instant::now();
    let mut q = CallQueue::new(config(3, 10, 0));
    q.push(call("A001", 1), t0).unwrap();
    let u = q.poll(t0).unwrap();
    assert_eq!((u.round, u.rounds), (1, 3));
    // A new call arrives during round 1; it must wait for rounds 2 and 3.
    q.push(call("A002", 2), t0 + secs(1)).unwrap();
    q.finished(u.id, t0 + secs(2), false);
    let (said, _) = drain(&mut q, t0 + secs(2), secs(2));
    assert_eq!(said, [("A001".to_string(), 2), ("A001".into(), 3), ("A002".into(), 1), ("A002".into(), 2), ("A002".into(), 3)]);
}

#[test]
fn a_recall_within_the_window_is_merged_into_the_waiting_call() {
    let t0 = Instant::now();
    let mut q = CallQueue::new(config(1, 10, 0));
    let a = queued_id(q.push(call("A001", 1), t0).unwrap());
    let b = queued_id(q.push(call("A002", 2), t0).unwrap());
    q.push(call("A003", 3), t0).unwrap();
    assert_eq!(q.push(call("A002", 2), t0 + secs(5)).unwrap(), Pushed::Merged { into: b });
    assert_eq!(q.push(call("A001", 1), t0 + secs(10)).unwrap(), Pushed::Merged { into: a });
    let (said, _) = drain(&mut q, t0 + secs(10), secs(1));
    let tickets: Vec<&str> = said.iter().map(|(t, _)| t.as_str()).collect();
    assert_eq!(tickets, ["A001", "A002", "A003"]);
}

#[test]
fn a_recall_while_the_call_is_being_spoken_is_merged_not_spoken_again() {
    let t0 = Instant::now();
    let mut q = CallQueue::new(config(2, 10, 0));
    let id = queued_id(q.push(call("A001", 1), t0).unwrap());
    let u = q.poll(t0).unwrap();
    // The counter presses recall during round 1, and again between rounds.
    assert_eq!(q.push(call("A001", 1), t0 + secs(2)).unwrap(), Pushed::Merged { into: id });
    q.finished(u.id, t0 + secs(3), false);
    assert_eq!(q.push(call("A001", 1), t0 + secs(4)).unwrap(), Pushed::Merged { into: id });
    let (said, _) = drain(&mut q, t0 + secs(4), secs(3));
    assert_eq!(said, [("A001".to_string(), 2)]);
    assert!(q.is_idle());
}

#[test]
fn the_merge_window_counts_from_the_latest_request() {
    let t0 = Instant::now();
    let mut q = CallQueue::new(config(1, 10, 0));
    q.push(call("A001", 1), t0).unwrap();
    let id = queued_id(q.push(call("A002", 2), t0).unwrap());
    // Recalled every 8 s: each is within 10 s of the one before, so all merge.
    for s in [8, 16, 24] {
        assert_eq!(q.push(call("A002", 2), t0 + secs(s)).unwrap(), Pushed::Merged { into: id }, "at +{s}s");
    }
    // 11 s after the latest request is a new announcement, even though the old one still waits.
    let again = queued_id(q.push(call("A002", 2), t0 + secs(35)).unwrap());
    assert_ne!(again, id);
    assert_eq!(q.waiting().len(), 3);
}

#[test]
fn a_recall_after_the_call_was_announced_is_announced_again() {
    let t0 = Instant::now();
    let mut q = CallQueue::new(config(2, 10, 0));
    q.push(call("A001", 1), t0).unwrap();
    let (_, end) = drain(&mut q, t0, secs(2));
    // Only 1 s after it finished, well inside the window, but nothing is waiting or playing.
    assert!(matches!(q.push(call("A001", 1), end + secs(1)).unwrap(), Pushed::Queued { ahead: 0, .. }));
    let (said, _) = drain(&mut q, end + secs(1), secs(2));
    assert_eq!(said.len(), 2);
}

#[test]
fn the_same_ticket_sent_to_another_window_is_a_new_call() {
    let t0 = Instant::now();
    let mut q = CallQueue::new(config(1, 10, 0));
    q.push(call("A001", 1), t0).unwrap();
    assert!(matches!(q.push(call("A001", 4), t0 + secs(1)).unwrap(), Pushed::Queued { ahead: 1, .. }));
    let windows: Vec<u32> = {
        let mut now = t0 + secs(1);
        let mut w = Vec::new();
        while let Some(u) = q.poll(now) {
            w.push(u.announcement.call().map_or(0, |c| c.window));
            now += secs(1);
            q.finished(u.id, now, false);
        }
        w
    };
    assert_eq!(windows, [1, 4]);
}

#[test]
fn the_gap_separates_utterances_on_the_clock() {
    let t0 = Instant::now();
    let mut q = CallQueue::new(config(2, 10, 800));
    q.push(call("A001", 1), t0).unwrap();
    let u = q.poll(t0).unwrap();
    let end = t0 + secs(3);
    q.finished(u.id, end, false);
    assert_eq!(q.next_due(end), Some(end + Duration::from_millis(800)));
    assert_eq!(q.poll(end + Duration::from_millis(799)), None);
    let round2 = q.poll(end + Duration::from_millis(800)).unwrap();
    assert_eq!(round2.round, 2);
}

#[test]
fn a_failed_announcement_drops_its_remaining_rounds_and_the_queue_moves_on() {
    let t0 = Instant::now();
    let mut q = CallQueue::new(config(3, 10, 0));
    q.push(call("A001", 1), t0).unwrap();
    q.push(call("A002", 2), t0).unwrap();
    let u = q.poll(t0).unwrap();
    // A stray report for an id that is not speaking changes nothing.
    q.finished(u.id + 100, t0, false);
    assert!(q.is_speaking());
    q.finished(u.id, t0, true);
    let next = q.poll(t0).unwrap();
    assert_eq!((next.announcement.label(), next.round), ("A002".to_string(), 1));
}

#[test]
fn a_full_queue_refuses_new_calls_but_still_merges_recalls() {
    let t0 = Instant::now();
    let mut q = CallQueue::new(QueueConfig { capacity: 2, ..config(1, 10, 0) });
    q.push(call("A001", 1), t0).unwrap();
    q.push(call("A002", 1), t0).unwrap();
    assert!(matches!(q.push(call("A003", 1), t0), Err(VoiceError::QueueFull(2))));
    assert!(matches!(q.push(call("A002", 1), t0), Ok(Pushed::Merged { .. })));
}

#[test]
fn repeat_zero_still_speaks_once() {
    let t0 = Instant::now();
    let mut q = CallQueue::new(config(0, 10, 0));
    q.push(call("A001", 1), t0).unwrap();
    let (said, _) = drain(&mut q, t0, secs(1));
    assert_eq!(said, [("A001".to_string(), 1)]);
}

#[test]
fn prompts_share_the_queue_are_spoken_once_and_merge_when_repeated() {
    let t0 = Instant::now();
    let mut q = CallQueue::new(config(2, 10, 0));
    q.push(call("A001", 1), t0).unwrap();
    let prompt = Announcement::Prompt("请将身份证放在读卡区".into());
    let id = queued_id(q.push(prompt.clone(), t0).unwrap());
    // The kiosk re-enters the screen and asks again: merged, not said twice.
    assert_eq!(q.push(prompt.clone(), t0 + secs(2)).unwrap(), Pushed::Merged { into: id });
    let mut now = t0 + secs(2);
    let mut said = Vec::new();
    while let Some(u) = q.poll(now) {
        said.push((u.announcement.clone(), u.round, u.rounds));
        now += secs(1);
        q.finished(u.id, now, false);
    }
    let a = Announcement::Call(call("A001", 1));
    assert_eq!(said, [(a.clone(), 1, 2), (a, 2, 2), (prompt, 1, 1)]);
}

#[derive(Debug, Clone)]
enum Op {
    Push { ticket: u8, window: u8, after_ms: u64 },
    Speak { took_ms: u64 },
}

fn op() -> impl Strategy<Value = Op> {
    prop_oneof![
        (0u8..4, 1u8..3, 0u64..15_000).prop_map(|(ticket, window, after_ms)| Op::Push { ticket, window, after_ms }),
        (0u64..6_000).prop_map(|took_ms| Op::Speak { took_ms }),
    ]
}

proptest! {
    /// Whatever the calls and timing: every queued announcement is spoken exactly `repeat` times in
    /// a row, announcements come out in the order they were queued, and merges never add one.
    #[test]
    fn any_sequence_of_calls_keeps_order_repeat_and_merging(ops in proptest::collection::vec(op(), 0..40), repeat in 1u8..4) {
        let t0 = Instant::now();
        let mut now = t0;
        let mut q = CallQueue::new(config(repeat, 10, 500));
        let mut queued = Vec::new();
        let mut spoken: Vec<Utterance> = Vec::new();
        for op in ops {
            match op {
                Op::Push { ticket, window, after_ms } => {
                    now += Duration::from_millis(after_ms);
                    let c = call(&format!("A{ticket:03}"), u32::from(window));
                    if let Pushed::Queued { id, .. } = q.push(c, now).unwrap() {
                        queued.push(id);
                    }
                }
                Op::Speak { took_ms } => {
                    if let Some(due) = q.next_due(now) {
                        now = due;
                        let u = q.poll(now).unwrap();
                        prop_assert!(q.poll(now).is_none(), "two utterances at once");
                        now += Duration::from_millis(took_ms);
                        q.finished(u.id, now, false);
                        spoken.push(u);
                    }
                }
            }
        }
        while let Some(due) = q.next_due(now) {
            now = due;
            let u = q.poll(now).unwrap();
            q.finished(u.id, now, false);
            spoken.push(u);
        }
        prop_assert_eq!(spoken.len(), queued.len() * usize::from(repeat));
        for (i, chunk) in spoken.chunks(usize::from(repeat)).enumerate() {
            for (r, u) in chunk.iter().enumerate() {
                prop_assert_eq!(u.id, queued[i]);
                prop_assert_eq!(u.round as usize, r + 1);
            }
        }
    }
}

// ---- The Announcer worker ----

const RATE: u32 = 8000;

/// A pack whose clips are tones of distinct lengths (so the sink can tell calls apart by length).
fn write_pack(dir: &Path) {
    std::fs::write(dir.join("pack.toml"), "language = \"zh\"\nsample_rate = 8000\ngap_ms = 0\n").unwrap();
    let spec = hound::WavSpec { channels: 1, sample_rate: RATE, bits_per_sample: 16, sample_format: hound::SampleFormat::Int };
    let mut clips: Vec<String> = (0..10).map(|d| format!("digits/{d}.wav")).collect();
    clips.extend(["letters/A.wav".to_string(), "letters/B.wav".into()]);
    clips.extend(["qing3", "hao4", "dao4", "chuang1", "kou3", "ban4", "li3", "shi2"].map(|w| format!("words/{w}.wav")));
    for (i, clip) in clips.iter().enumerate() {
        let path = dir.join(clip);
        std::fs::create_dir_all(path.parent().unwrap()).unwrap();
        let mut w = hound::WavWriter::create(&path, spec).unwrap();
        for n in 0..(100 + i * 10) {
            w.write_sample(((n as f32 * 0.3).sin() * 8000.0) as i16).unwrap();
        }
        w.finalize().unwrap();
    }
}

#[derive(Clone, Default)]
struct Recorder {
    played: Arc<Mutex<Vec<(String, usize)>>>,
    busy: Arc<AtomicBool>,
    overlapped: Arc<AtomicBool>,
    /// While true, `play` blocks: the test decides when the "speaker" finishes.
    hold: Arc<(Mutex<bool>, Condvar)>,
}

impl Recorder {
    fn set_hold(&self, on: bool) {
        *self.hold.0.lock().unwrap() = on;
        self.hold.1.notify_all();
    }
}

struct Release(Recorder);

impl Drop for Release {
    fn drop(&mut self) {
        self.0.set_hold(false);
    }
}

impl AudioSink for Recorder {
    fn play(&mut self, audio: &Audio, label: &str) -> Result<(), VoiceError> {
        if self.busy.swap(true, Ordering::SeqCst) {
            self.overlapped.store(true, Ordering::SeqCst);
        }
        let mut held = self.hold.0.lock().unwrap();
        while *held {
            held = self.hold.1.wait(held).unwrap();
        }
        drop(held);
        self.played.lock().unwrap().push((label.to_owned(), audio.samples.len()));
        self.busy.store(false, Ordering::SeqCst);
        Ok(())
    }
}

fn speaker(dir: &Path) -> Speaker {
    let pack = ClipPack::open(dir).unwrap();
    Speaker::from_parts(EngineChoice::Clips, vec![pack], Espeak::default(), Templates::default())
}

#[test]
fn the_announcer_plays_each_call_repeat_times_in_order_one_at_a_time() {
    let dir = tempfile::tempdir().unwrap();
    write_pack(dir.path());
    let sink = Recorder::default();
    let clock = ManualClock::new();
    sink.set_hold(true);
    let announcer = Announcer::spawn(speaker(dir.path()), sink.clone(), config(2, 10, 0), Arc::new(clock.clone()));
    // If an assertion fails, release the sink so that dropping the announcer does not hang.
    let _release = Release(sink.clone());
    announcer.announce(call("A012", 3)).unwrap();
    while !sink.busy.load(Ordering::SeqCst) {
        std::thread::sleep(Duration::from_millis(2));
    }
    let b = queued_id(announcer.announce(call("B001", 12)).unwrap());
    // The counter recalls B001 while A012 is still being spoken (the sink is held).
    assert_eq!(announcer.announce(call("B001", 12)).unwrap(), Pushed::Merged { into: b });
    assert_eq!(announcer.waiting(), [Announcement::Call(call("B001", 12))]);
    sink.set_hold(false);
    assert!(announcer.wait_idle(Duration::from_secs(30)), "announcer did not finish");
    let played = sink.played.lock().unwrap().clone();
    let labels: Vec<&str> = played.iter().map(|(l, _)| l.as_str()).collect();
    assert_eq!(labels, ["A012", "A012", "B001", "B001"]);
    // Repeats play the same rendering.
    assert_eq!(played[0].1, played[1].1);
    assert_ne!(played[0].1, played[2].1);
    assert!(!sink.overlapped.load(Ordering::SeqCst));
    let stats = announcer.stats();
    assert_eq!((stats.queued, stats.merged, stats.spoken, stats.failed), (2, 1, 4, 0));
}

#[test]
fn the_announcer_skips_a_call_it_cannot_render_and_goes_on() {
    let dir = tempfile::tempdir().unwrap();
    write_pack(dir.path());
    let sink = Recorder::default();
    let announcer = Announcer::spawn(speaker(dir.path()), sink.clone(), config(1, 10, 0), Arc::new(SystemClock));
    // The pack has no letters/C.wav, and the engine is clips only.
    announcer.announce(call("C001", 1)).unwrap();
    announcer.announce(call("A001", 1)).unwrap();
    assert!(announcer.wait_idle(Duration::from_secs(30)));
    let labels: Vec<String> = sink.played.lock().unwrap().iter().map(|(l, _)| l.clone()).collect();
    assert_eq!(labels, ["A001"]);
    let stats = announcer.stats();
    assert_eq!(stats.failed, 1);
    assert!(stats.last_error.unwrap_or_default().contains("letters/C.wav"));
    announcer.stop();
}

#[test]
fn the_announcer_waits_out_the_gap_on_its_clock() {
    let dir = tempfile::tempdir().unwrap();
    write_pack(dir.path());
    let sink = Recorder::default();
    let clock = ManualClock::new();
    // A gap of an hour on a clock that only moves when told to.
    let announcer = Announcer::spawn(speaker(dir.path()), sink.clone(), config(2, 10, 3_600_000), Arc::new(clock.clone()));
    announcer.announce(call("A001", 1)).unwrap();
    // Round 1 plays at once; round 2 must wait for the clock.
    while announcer.stats().spoken < 1 {
        std::thread::sleep(Duration::from_millis(5));
    }
    assert!(!announcer.wait_idle(Duration::from_millis(200)));
    assert_eq!(sink.played.lock().unwrap().len(), 1);
    clock.advance(Duration::from_secs(3600));
    assert!(announcer.wait_idle(Duration::from_secs(30)));
    assert_eq!(sink.played.lock().unwrap().len(), 2);
}

#[test]
fn the_announcer_writes_calls_and_prompts_to_wav_files_in_order() {
    let pack = tempfile::tempdir().unwrap();
    write_pack(pack.path());
    let out = tempfile::tempdir().unwrap();
    let announcer = Announcer::spawn(speaker(pack.path()), device_drivers::voice::WavSink::new(out.path()), config(2, 10, 0), Arc::new(SystemClock));
    announcer.announce(call("A012", 3)).unwrap();
    // The tone pack has the syllables of 请到窗口, so the prompt is said from clips too.
    announcer.announce(Announcement::Prompt("请到窗口".into())).unwrap();
    assert!(announcer.wait_idle(Duration::from_secs(30)));
    announcer.stop();
    let mut files: Vec<String> = std::fs::read_dir(out.path()).unwrap().map(|e| e.unwrap().file_name().to_string_lossy().into_owned()).collect();
    files.sort();
    assert_eq!(files, ["0001-A012.wav", "0002-A012.wav", "0003-prompt.wav"]);
    let len = |f: &str| hound::WavReader::open(out.path().join(f)).unwrap().len();
    assert_eq!(len("0001-A012.wav"), len("0002-A012.wav"));
    // 请 到 窗 口: four clips, no gap.
    let clip = |name: &str| hound::WavReader::open(pack.path().join(name)).unwrap().len();
    let prompt: u32 = ["words/qing3.wav", "words/dao4.wav", "words/chuang1.wav", "words/kou3.wav"].iter().map(|c| clip(c)).sum();
    assert_eq!(len("0003-prompt.wav"), prompt);
}
