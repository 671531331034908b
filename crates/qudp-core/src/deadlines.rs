//! The reactor's timer queue in plain Rust: a min-heap of deadlines whose
//! size stays proportional to the live timers.
//!
//! A restart or a stop leaves the old heap entry behind (removing from the
//! middle of a binary heap is O(n)); an entry is live only while `live`
//! still maps its id to that entry's (deadline, sequence). Stale entries are
//! skipped at the top, and the heap is rebuilt from the live ones whenever
//! they are outnumbered, so restarting a long timer millions of times beside
//! a short one costs amortised O(log n) per restart and no memory.

use std::cmp::Reverse;
use std::collections::{BinaryHeap, HashMap};
use std::time::Instant;

/// Stale entries tolerated before a rebuild, on top of one per live entry.
const SLACK: usize = 64;

#[derive(Default)]
pub struct Deadlines {
    /// (deadline, sequence, id); the sequence keeps equal deadlines FIFO.
    heap: BinaryHeap<Reverse<(Instant, u64, u64)>>,
    /// id -> (deadline, sequence) of its one live entry.
    live: HashMap<u64, (Instant, u64)>,
    seq: u64,
}

impl Deadlines {
    /// Schedule `id` at `deadline`, replacing any deadline it had.
    pub fn schedule(&mut self, id: u64, deadline: Instant) {
        self.seq += 1;
        self.live.insert(id, (deadline, self.seq));
        self.heap.push(Reverse((deadline, self.seq, id)));
        if self.heap.len() > 2 * self.live.len() + SLACK {
            let live = &self.live;
            self.heap
                .retain(|Reverse((d, s, id))| live.get(id) == Some(&(*d, *s)));
        }
    }

    pub fn cancel(&mut self, id: u64) {
        self.live.remove(&id);
    }

    fn is_live(&self, e: &(Instant, u64, u64)) -> bool {
        self.live.get(&e.2) == Some(&(e.0, e.1))
    }

    /// The earliest live deadline (stale entries on top are dropped).
    pub fn earliest(&mut self) -> Option<Instant> {
        while let Some(Reverse(top)) = self.heap.peek().copied() {
            if self.is_live(&top) {
                return Some(top.0);
            }
            self.heap.pop();
        }
        None
    }

    /// The sequence number of the latest schedule: entries made after this
    /// point are later than any taken before it.
    pub fn mark(&self) -> u64 {
        self.seq
    }

    /// Remove and return the earliest live entry due at `now` that was
    /// scheduled at or before `mark` (a timer re-armed by its own slot waits
    /// for the next pass, so a 0 ms repeating timer cannot spin one pass).
    pub fn take_one_due(&mut self, now: Instant, mark: u64) -> Option<(Instant, u64)> {
        let mut deferred = Vec::new();
        let mut found = None;
        while let Some(d) = self.earliest() {
            if d > now {
                break;
            }
            let Some(Reverse((deadline, seq, id))) = self.heap.pop() else {
                break;
            };
            if seq > mark {
                deferred.push(Reverse((deadline, seq, id)));
                continue;
            }
            self.live.remove(&id);
            found = Some((deadline, id));
            break;
        }
        self.heap.extend(deferred);
        found
    }

    /// Heap entries, live or stale.
    pub fn entries(&self) -> usize {
        self.heap.len()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::time::Duration;

    /// Everything due at `now`, earliest first.
    fn take_due(d: &mut Deadlines, now: Instant) -> Vec<(Instant, u64)> {
        let mark = d.mark();
        std::iter::from_fn(|| d.take_one_due(now, mark)).collect()
    }

    fn at(base: Instant, ms: u64) -> Instant {
        base + Duration::from_millis(ms)
    }

    #[test]
    fn restarts_do_not_grow_the_heap() {
        let t0 = Instant::now();
        let mut d = Deadlines::default();
        d.schedule(1, at(t0, 1_000));
        for i in 0..1_000_000u64 {
            d.schedule(2, at(t0, 60_000 + i % 7));
        }
        assert!(d.entries() <= 2 * 2 + SLACK, "{}", d.entries());
        assert_eq!(d.earliest(), Some(at(t0, 1_000)));
        let due = take_due(&mut d, at(t0, 120_000));
        assert_eq!(due.len(), 2);
        assert_eq!(due[0], (at(t0, 1_000), 1));
        assert_eq!(due[1].1, 2);
        assert_eq!(d.earliest(), None);
    }

    #[test]
    fn cancelled_and_replaced_entries_never_come_due() {
        let t0 = Instant::now();
        let mut d = Deadlines::default();
        d.schedule(1, at(t0, 10));
        d.schedule(2, at(t0, 20));
        d.schedule(3, at(t0, 30));
        d.cancel(2);
        d.schedule(3, at(t0, 5)); // moved earlier: the 30 ms entry is stale
        let due = take_due(&mut d, at(t0, 100));
        assert_eq!(due, vec![(at(t0, 5), 3), (at(t0, 10), 1)]);
    }

    #[test]
    fn equal_deadlines_come_due_in_schedule_order() {
        let t0 = Instant::now();
        let mut d = Deadlines::default();
        for id in [5, 3, 9, 1] {
            d.schedule(id, t0);
        }
        let ids: Vec<u64> = take_due(&mut d, t0).into_iter().map(|(_, id)| id).collect();
        assert_eq!(ids, vec![5, 3, 9, 1]);
    }

    #[test]
    fn one_at_a_time_skips_entries_scheduled_after_the_mark() {
        let base = Instant::now();
        let mut d = Deadlines::default();
        d.schedule(1, at(base, 1));
        d.schedule(2, at(base, 2));
        let mark = d.mark();
        assert_eq!(d.take_one_due(at(base, 5), mark), Some((at(base, 1), 1)));
        d.schedule(1, at(base, 1)); // re-armed by its own slot: next pass
        assert_eq!(d.take_one_due(at(base, 5), mark), Some((at(base, 2), 2)));
        assert_eq!(d.take_one_due(at(base, 5), mark), None);
        assert_eq!(d.take_one_due(at(base, 5), d.mark()), Some((at(base, 1), 1)));
    }
}
