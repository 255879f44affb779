//! Invariant 3: no ticket is called to two windows, even when three counters press "call next"
//! at the same time.

use std::collections::BTreeSet;
use std::sync::Arc;

use chrono::Utc;
use hall_protocol::{CounterAction, EventOutcome, Priority, TicketId};

use crate::common::*;

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn concurrent_call_next_never_calls_a_ticket_twice() {
    let server = Arc::new(Server::start(central_in_memory()).await);
    // 50 tickets over two queues: household (windows 1 and 2) and social insurance (2 and 3), so
    // every window competes with another for some tickets.
    let household = server.lease("kiosk-1", 1, "household", 25).await;
    let social = server.lease("kiosk-1", 2, "social-insurance", 25).await;
    let events: Vec<_> = (1..=50u64)
        .map(|seq| {
            let (service, prefix, lease, n) =
                if seq % 2 == 0 { ("household", 'A', &household, seq / 2) } else { ("social-insurance", 'C', &social, seq / 2 + 1) };
            ticket_event("kiosk-1", seq, service, leased(prefix, n as u32), Some(lease.lease_id), 10_000 + seq, Priority::Normal)
        })
        .collect();
    server.push(&batch("kiosk-1", events)).await;

    let mut counters = Vec::new();
    for window in 1..=3u16 {
        let server = server.clone();
        counters.push(tokio::spawn(async move {
            let device = format!("counter-{window}");
            let mut called: Vec<TicketId> = Vec::new();
            for seq in 1.. {
                let ack = server.push(&batch(&device, vec![counter_event(&device, seq, window, CounterAction::CallNext, Utc::now())])).await;
                match &ack.results[0].outcome {
                    EventOutcome::Called { ticket_id, window: w, .. } => {
                        assert_eq!(*w, window);
                        called.push(ticket_id.clone());
                    }
                    EventOutcome::QueueEmpty => break,
                    other => panic!("counter {window}: {other:?}"),
                }
            }
            called
        }));
    }
    let mut all = Vec::new();
    let mut per_window = Vec::new();
    for c in counters {
        let called = c.await.unwrap();
        per_window.push(called.len());
        all.extend(called);
    }
    let distinct: BTreeSet<_> = all.iter().cloned().collect();
    assert_eq!(all.len(), 50, "every ticket called once: {per_window:?}");
    assert_eq!(distinct.len(), 50, "no ticket called twice");

    // Storage agrees: 50 calls of 50 distinct tickets; the engine has nobody waiting.
    let calls = server.central.calls(day(), None).unwrap();
    assert_eq!(calls.len(), 50);
    assert_eq!(calls.iter().map(|c| &c.ticket_id).collect::<BTreeSet<_>>().len(), 50);
    let engine = server.central.engine(&hall()).unwrap().unwrap();
    assert_eq!(engine.counts().waiting, 0);
    assert_eq!(engine.counts().finished + engine.counts().serving, 50);
    Arc::into_inner(server).unwrap().stop().await;
}
