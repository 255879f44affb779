//! Polling a reader for cards: [`Poller`] turns repeated find/select into card-present and
//! card-removed events.
//!
//! A card stays present while polls keep selecting the same serial. Many SAMs answer "no card"
//! to some polls while a card lies still on the reader (after a read the card stays halted), so a
//! card counts as removed only after [`PollConfig::removed_after`] polls in a row without it.
//! Errors are reported as events and polling carries on: the session behind it reopens its port
//! and resends, so a reader that vanishes and returns produces error events, then cards again.

use std::thread;
use std::time::Duration;

use super::read::CardSerial;
use super::session::{CardReader, CardReading, ReadOptions};

/// How to poll.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct PollConfig {
    /// Pause between two polls ([`Poller::next_event`] and the iterator only).
    pub interval: Duration,
    /// Polls in a row without the present card before it is reported removed (at least 1).
    pub removed_after: u32,
    /// What to read when a card arrives.
    pub read: ReadOptions,
}

impl Default for PollConfig {
    /// Every 300 ms; removed after 3 polls without it; text and photo only.
    fn default() -> Self {
        Self { interval: Duration::from_millis(300), removed_after: 3, read: ReadOptions::default() }
    }
}

/// What a poll saw change.
#[derive(Debug)]
#[non_exhaustive]
pub enum CardEvent<E> {
    /// A card (new, or another one than before) was read.
    Present(Box<CardReading>),
    /// The card with this serial left the reader.
    Removed {
        /// Its serial.
        serial: CardSerial,
    },
    /// The poll failed: a card that could not be read (place it again), a faulty SAM, a reader
    /// that does not answer. Polling carries on.
    Error(E),
}

/// Polls a [`CardReader`] and reports changes.
#[derive(Debug)]
pub struct Poller<R> {
    reader: R,
    config: PollConfig,
    present: Option<CardSerial>,
    misses: u32,
}

impl<R: CardReader> Poller<R> {
    /// A poller over `reader`.
    pub fn new(reader: R, config: PollConfig) -> Self {
        Self { reader, config, present: None, misses: 0 }
    }

    /// The reader, e.g. to read the appended address of the present card.
    pub fn reader_mut(&mut self) -> &mut R {
        &mut self.reader
    }

    /// The serial of the card currently present, if any.
    pub fn present(&self) -> Option<CardSerial> {
        self.present
    }

    /// Polls once, without waiting: `None` when nothing changed.
    pub fn poll_once(&mut self) -> Option<CardEvent<R::Error>> {
        let serial = match self.reader.card_serial() {
            Ok(s) => s,
            Err(e) => return Some(CardEvent::Error(e)),
        };
        match (serial, self.present) {
            (Some(seen), Some(present)) if seen == present => {
                self.misses = 0;
                None
            }
            (Some(_), Some(present)) => {
                // Another card replaced the present one without a gap: report the old one gone
                // first, and read the new one on the next poll, so events stay in order.
                self.present = None;
                self.misses = 0;
                Some(CardEvent::Removed { serial: present })
            }
            (Some(_), None) => self.read_new_card(),
            (None, Some(present)) => {
                self.misses += 1;
                if self.misses >= self.config.removed_after.max(1) {
                    self.present = None;
                    self.misses = 0;
                    Some(CardEvent::Removed { serial: present })
                } else {
                    None
                }
            }
            (None, None) => None,
        }
    }

    fn read_new_card(&mut self) -> Option<CardEvent<R::Error>> {
        match self.reader.read_card(self.config.read) {
            Ok(Some(reading)) => {
                self.present = Some(reading.serial);
                self.misses = 0;
                Some(CardEvent::Present(Box::new(reading)))
            }
            // Gone between select and read: nothing changed.
            Ok(None) => None,
            Err(e) => Some(CardEvent::Error(e)),
        }
    }

    /// Polls every [`PollConfig::interval`] until something changes.
    pub fn next_event(&mut self) -> CardEvent<R::Error> {
        loop {
            if let Some(event) = self.poll_once() {
                return event;
            }
            thread::sleep(self.config.interval);
        }
    }
}

/// An endless stream of events, [`Poller::next_event`] after [`Poller::next_event`].
impl<R: CardReader> Iterator for Poller<R> {
    type Item = CardEvent<R::Error>;

    fn next(&mut self) -> Option<Self::Item> {
        Some(self.next_event())
    }
}
