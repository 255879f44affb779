//! What the fault proxy does to a connection, and how it chooses.
//!
//! This module does no I/O: [`Mode`] is what a test asks for, [`Fault`] is what one connection gets,
//! and [`FaultDice`] turns the first into a sequence of the second. Keeping the choice apart from the
//! sockets is what makes a seeded run repeat itself exactly.

use std::ops::RangeInclusive;
use std::time::Duration;

use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};

/// What the proxy does to each new connection, set at run time with
/// [`FaultProxy::set_mode`](crate::FaultProxy::set_mode).
///
/// A mode applies to connections the proxy accepts after it is set; connections already being
/// forwarded keep the fault they were given (end them with
/// [`FaultProxy::cut_all`](crate::FaultProxy::cut_all)). Connections held by [`Mode::Drop`] are the
/// exception: a black hole only lasts as long as its mode, so they are handed to the new mode.
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum Mode {
    /// Forward bytes both ways unchanged.
    Pass,
    /// Accept, then forward nothing: a black hole. The client's bytes are read and kept (up to
    /// 1 MiB, then the client is left to the kernel's flow control), nothing is sent upstream and
    /// nothing comes back. The hold ends when the client gives up (closes), when
    /// [`FaultProxy::cut_all`](crate::FaultProxy::cut_all) resets it, or when the mode changes: then
    /// the connection is handled by the new mode as if it had just arrived, and the kept bytes go
    /// first, like TCP retransmissions after a link heals.
    Drop,
    /// Accept and close at once with a TCP reset (`SO_LINGER` 0), without contacting upstream: a
    /// refused or reset connection as the client sees it. The reset can come so fast that the
    /// client's `connect` itself fails with `ConnectionReset`; otherwise its first read or write
    /// does.
    Reset,
    /// Forward both ways, sleeping this long before passing on each chunk read from either side.
    Delay(Duration),
    /// Forward at most `after_bytes` bytes in each direction. As soon as either side sends more
    /// than that, the first `after_bytes` go through and both sides are reset: the connection dies
    /// in the middle of a request or response body. A connection that never exceeds the limit in
    /// either direction is passed through unharmed.
    ///
    /// The first `after_bytes` are handed to the kernel before the reset, and on loopback they
    /// reach the peer's receive buffer at once, where it can read them before it sees the reset.
    /// Only when `after_bytes` exceeds what the socket buffers hold and the peer reads slowly can
    /// the reset discard some of them, as it would on a real link.
    CutMidBody {
        /// How many bytes each direction may carry before the cut.
        after_bytes: usize,
    },
    /// Pick one of the faults above for each connection, by weight, from a random generator seeded
    /// with `seed`. Setting this mode restarts the generator, so the same seed and mix give the same
    /// sequence of faults, one per connection in the order the proxy handles them (see
    /// [`FaultProxy::fault_log`](crate::FaultProxy::fault_log)).
    Random {
        /// Seed of the generator.
        seed: u64,
        /// Weights of each fault and their parameters.
        mix: FaultMix,
    },
}

/// The weights and parameters [`Mode::Random`] picks faults with.
///
/// A weight is a relative chance: with `pass: 3, reset: 1` and the rest 0, three connections in four
/// pass. If every weight is 0, every connection passes.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct FaultMix {
    /// Weight of [`Fault::Pass`].
    pub pass: u32,
    /// Weight of [`Fault::Drop`].
    pub drop: u32,
    /// Weight of [`Fault::Reset`].
    pub reset: u32,
    /// Weight of [`Fault::Delay`].
    pub delay: u32,
    /// The latency a delayed connection gets per chunk.
    pub delay_by: Duration,
    /// Weight of [`Fault::CutMidBody`].
    pub cut_mid_body: u32,
    /// Where a cut connection is cut, chosen uniformly per connection. A reversed range is read as
    /// if its ends were swapped.
    pub cut_after: RangeInclusive<usize>,
}

impl Default for FaultMix {
    /// A mostly healthy link: 6 in 10 connections pass, and drop, reset, a 20 ms delay and a cut
    /// somewhere in the first 4 KiB get one in 10 each.
    fn default() -> Self {
        Self { pass: 6, drop: 1, reset: 1, delay: 1, delay_by: Duration::from_millis(20), cut_mid_body: 1, cut_after: 0..=4096 }
    }
}

/// What one connection got. The proxy records one per connection it handles (see
/// [`FaultProxy::fault_log`](crate::FaultProxy::fault_log)); each variant means the same as the
/// [`Mode`] of the same name.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum Fault {
    /// Forwarded unchanged.
    Pass,
    /// Held in a black hole.
    Drop,
    /// Reset on arrival.
    Reset,
    /// Forwarded with this latency per chunk.
    Delay(Duration),
    /// Forwarded until a direction carried more than `after_bytes`, then reset.
    CutMidBody {
        /// How many bytes each direction may carry before the cut.
        after_bytes: usize,
    },
}

/// Turns a [`Mode`] into one [`Fault`] per connection.
///
/// The proxy keeps one of these behind its lock; it is public so a test can preview the sequence a
/// seed gives without opening sockets.
#[derive(Debug)]
pub struct FaultDice {
    mode: Mode,
    // Only `Mode::Random` draws; a fixed mode has no generator at all.
    rng: Option<StdRng>,
}

impl FaultDice {
    /// Dice for `mode`, with the generator freshly seeded if the mode is random.
    pub fn new(mode: Mode) -> Self {
        let rng = match &mode {
            Mode::Random { seed, .. } => Some(StdRng::seed_from_u64(*seed)),
            _ => None,
        };
        Self { mode, rng }
    }

    /// The mode these dice were made for.
    pub fn mode(&self) -> &Mode {
        &self.mode
    }

    /// The fault for the next connection.
    pub fn roll(&mut self) -> Fault {
        match (&self.mode, &mut self.rng) {
            (Mode::Pass, _) => Fault::Pass,
            (Mode::Drop, _) => Fault::Drop,
            (Mode::Reset, _) => Fault::Reset,
            (Mode::Delay(by), _) => Fault::Delay(*by),
            (Mode::CutMidBody { after_bytes }, _) => Fault::CutMidBody { after_bytes: *after_bytes },
            (Mode::Random { mix, .. }, Some(rng)) => roll_mix(mix, rng),
            // `new` always seeds a generator for a random mode; passing is the harmless answer
            // should that ever change.
            (Mode::Random { .. }, None) => Fault::Pass,
        }
    }
}

fn roll_mix(mix: &FaultMix, rng: &mut StdRng) -> Fault {
    #[derive(Clone, Copy)]
    enum Kind {
        Pass,
        Drop,
        Reset,
        Delay,
        Cut,
    }
    let weights = [(Kind::Pass, mix.pass), (Kind::Drop, mix.drop), (Kind::Reset, mix.reset), (Kind::Delay, mix.delay), (Kind::Cut, mix.cut_mid_body)];
    // u64 so that five u32 weights cannot overflow.
    let total: u64 = weights.iter().map(|(_, w)| u64::from(*w)).sum();
    if total == 0 {
        return Fault::Pass;
    }
    let mut ticket = rng.random_range(0..total);
    let mut kind = Kind::Pass;
    for (k, w) in weights {
        let w = u64::from(w);
        if ticket < w {
            kind = k;
            break;
        }
        ticket -= w;
    }
    match kind {
        Kind::Pass => Fault::Pass,
        Kind::Drop => Fault::Drop,
        Kind::Reset => Fault::Reset,
        Kind::Delay => Fault::Delay(mix.delay_by),
        Kind::Cut => {
            let (a, b) = (*mix.cut_after.start(), *mix.cut_after.end());
            let after_bytes = rng.random_range(a.min(b)..=a.max(b));
            Fault::CutMidBody { after_bytes }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn rolls(mode: Mode, n: usize) -> Vec<Fault> {
        let mut dice = FaultDice::new(mode);
        (0..n).map(|_| dice.roll()).collect()
    }

    #[test]
    fn fixed_modes_give_their_own_fault_every_time() {
        assert_eq!(rolls(Mode::Reset, 3), vec![Fault::Reset; 3]);
        let cut = Mode::CutMidBody { after_bytes: 7 };
        assert_eq!(rolls(cut, 2), vec![Fault::CutMidBody { after_bytes: 7 }; 2]);
    }

    #[test]
    fn same_seed_same_faults_and_other_seed_other_faults() {
        let mode = |seed| Mode::Random { seed, mix: FaultMix::default() };
        let a = rolls(mode(7), 200);
        assert_eq!(a, rolls(mode(7), 200));
        assert_ne!(a, rolls(mode(8), 200));
    }

    #[test]
    // The reversed range is on purpose: a caller's mistake the dice must survive.
    #[allow(clippy::reversed_empty_ranges)]
    fn weights_decide_which_faults_appear() {
        let mix = FaultMix { pass: 0, drop: 0, reset: 1, delay: 0, cut_mid_body: 1, cut_after: 50..=10, ..FaultMix::default() };
        let faults = rolls(Mode::Random { seed: 1, mix }, 500);
        let resets = faults.iter().filter(|f| **f == Fault::Reset).count();
        assert!(resets > 150 && resets < 350, "{resets} resets in 500 at even odds");
        for f in &faults {
            match f {
                Fault::Reset => {}
                // A reversed range is read with its ends swapped.
                Fault::CutMidBody { after_bytes } => assert!((10..=50).contains(after_bytes)),
                other => panic!("weight 0 fault {other:?} was picked"),
            }
        }
    }

    #[test]
    fn all_zero_weights_pass_everything() {
        let mix = FaultMix { pass: 0, drop: 0, reset: 0, delay: 0, cut_mid_body: 0, ..FaultMix::default() };
        assert_eq!(rolls(Mode::Random { seed: 3, mix }, 10), vec![Fault::Pass; 10]);
    }

    #[test]
    fn huge_weights_do_not_overflow() {
        let mix = FaultMix { pass: u32::MAX, drop: u32::MAX, reset: u32::MAX, delay: u32::MAX, cut_mid_body: u32::MAX, ..FaultMix::default() };
        let faults = rolls(Mode::Random { seed: 9, mix }, 100);
        assert!(faults.contains(&Fault::Pass) && faults.contains(&Fault::Reset));
    }
}
