//! One service's waiting line: an ordered set of slots, so that "who is next" and "put this ticket
//! back behind the third one" cost O(log n) however many tickets the day has seen.

use std::collections::BTreeSet;

use hall_protocol::{IssueKey, Priority, TicketId};

/// The two classes of a queue. Priority tickets (elderly, disabled, appointment) are all called
/// before any ordinary ticket of the same service; within a class, order is by [`Place`].
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub(crate) enum Class {
    /// Elderly, disabled or appointment tickets. Declared first so it sorts first.
    Priority,
    /// Ordinary tickets.
    Ordinary,
}

impl Class {
    /// The class a ticket of this priority waits in.
    pub(crate) fn of(priority: Priority) -> Self {
        if priority.is_priority() { Self::Priority } else { Self::Ordinary }
    }
}

/// Where a waiting ticket sorts within its class.
///
/// A ticket that joins a queue (issued, or transferred in) sorts at its own issue key with `pin` 0.
/// A skipped ticket that is put back is *pinned* behind another waiting ticket: it takes that
/// ticket's issue key and a `pin` larger than every pin handed out before, so it sorts directly
/// behind that ticket (and behind any ticket pinned there earlier), and keeps that place whatever
/// happens to the ticket it was pinned behind. Keys, not list positions, keep the structure a
/// plain ordered set and make the rule replayable.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub(crate) struct Place {
    /// Issue key this ticket sorts at.
    pub(crate) key: IssueKey,
    /// 0 for a ticket at its own issue key; otherwise the order in which it was pinned.
    pub(crate) pin: u64,
}

impl Place {
    /// A ticket's place at its own issue key.
    pub(crate) fn at_issue(key: &IssueKey) -> Self {
        Self { key: key.clone(), pin: 0 }
    }
}

/// One entry of a queue class. The ticket id comes last only to break ties between two tickets
/// that claim the same issue key (which a correct device never produces), so the order stays total
/// and deterministic even on bad input.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub(crate) struct Entry {
    pub(crate) place: Place,
    pub(crate) ticket: TicketId,
}

/// The tickets waiting for one service, in call order: one ordered set per class, so neither
/// "who is next" nor "put this ticket back behind the third one" walks the other class.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub(crate) struct ServiceQueue {
    priority: BTreeSet<Entry>,
    ordinary: BTreeSet<Entry>,
}

impl ServiceQueue {
    fn class(&self, class: Class) -> &BTreeSet<Entry> {
        match class {
            Class::Priority => &self.priority,
            Class::Ordinary => &self.ordinary,
        }
    }

    fn class_mut(&mut self, class: Class) -> &mut BTreeSet<Entry> {
        match class {
            Class::Priority => &mut self.priority,
            Class::Ordinary => &mut self.ordinary,
        }
    }

    /// Number of tickets waiting.
    pub(crate) fn len(&self) -> usize {
        self.priority.len() + self.ordinary.len()
    }

    /// Tickets in call order.
    pub(crate) fn iter(&self) -> impl Iterator<Item = &Entry> {
        self.priority.iter().chain(self.ordinary.iter())
    }

    /// Adds a ticket. Returns false if that exact entry was already there.
    pub(crate) fn insert(&mut self, class: Class, entry: Entry) -> bool {
        self.class_mut(class).insert(entry)
    }

    /// Takes the ticket to call next: the first priority ticket, else the first ordinary one.
    pub(crate) fn pop_next(&mut self) -> Option<Entry> {
        self.priority.pop_first().or_else(|| self.ordinary.pop_first())
    }

    /// The place for a skipped ticket of `class` and issue key `own`, put back behind the first
    /// `after` waiting tickets of its class (behind the last one if fewer are waiting), but never
    /// ahead of its own issue key: a skip is never a reward. `pin` must be larger than every pin
    /// handed out before, which makes the new place sort directly behind the anchor ticket and
    /// behind anything pinned there earlier.
    pub(crate) fn requeue_place(&self, class: Class, own: &IssueKey, after: usize, pin: u64) -> Place {
        // O(after), not O(queue): only the first `after` entries of the class are looked at.
        let set = self.class(class);
        let anchor = after.min(set.len()).checked_sub(1).and_then(|i| set.iter().nth(i));
        let own_place = Place::at_issue(own);
        let key = match anchor {
            Some(a) if a.place > own_place => a.place.key.clone(),
            _ => own.clone(),
        };
        Place { key, pin }
    }
}
