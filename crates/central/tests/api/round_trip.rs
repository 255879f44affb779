//! The whole path through the HTTP API: catalogue, leases, tickets from two kiosks, counter
//! actions as events, the feed, the push stream and the day's statistics.

use central::records::{CallEnd, QueueSnapshot, TicketState};
use chrono::Utc;
use hall_protocol::api::PushAck;
use hall_protocol::stats::DayStats;
use hall_protocol::{ChangeBody, CounterAction, DeviceEvent, EvaluationLevel, EventBody, EventOutcome, FeedPage, Hlc, Priority, TicketId};

use crate::common::*;

fn called_number(ack: &PushAck) -> String {
    match &ack.results[0].outcome {
        EventOutcome::Called { number, .. } => number.to_string(),
        other => panic!("expected a call, got {other:?}"),
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn full_round_trip() {
    let dir = tempfile::tempdir().unwrap();
    let central = central::Central::open(&dir.path().join("central.db"), central::CentralConfig::default()).unwrap();
    let server = Server::start(central).await;

    // The catalogue goes in through the admin API.
    let resp = server.http.put(server.url("/v1/admin/catalogue")).json(&catalogue()).send().await.unwrap();
    assert_eq!(resp.status(), 200);
    let report: serde_json::Value = resp.json().await.unwrap();
    assert_eq!(report["services"], 4);
    assert_eq!(report["devices"], 6);
    let cat: hall_protocol::Catalogue = serde_json::from_value(server.get_json("/v1/catalogue?hall=xuhui").await).unwrap();
    let mut numbers: Vec<u32> = cat.devices.iter().map(|d| d.device_no).collect();
    numbers.sort();
    assert_eq!(numbers, vec![1, 2, 3, 4, 5, 6], "every device got its own device_no");

    // Leases: kiosk-1 first, then kiosk-2; blocks follow each other.
    let l1 = server.lease("kiosk-1", 1, "household", 10).await;
    let l2 = server.lease("kiosk-2", 1, "household", 10).await;
    assert_eq!((l1.start, l1.end, l2.start, l2.end), (1, 10, 11, 20));

    // The board listens from the current end of the feed.
    let start: FeedPage = serde_json::from_value(server.get_json("/v1/feed?device=board-1&limit=5000").await).unwrap();
    let after = start.next_cursor;
    let mut board = SseReader::open(&server, &format!("device=board-1&after={after}")).await;

    // Five household tickets from two kiosks, interleaved by issue time; one elderly.
    let p = Priority::Normal;
    let k1 = batch(
        "kiosk-1",
        vec![
            ticket_event("kiosk-1", 1, "household", leased('A', 1), Some(l1.lease_id), 1_000, p),
            ticket_event("kiosk-1", 2, "household", leased('A', 2), Some(l1.lease_id), 1_002, Priority::Elderly),
            ticket_event("kiosk-1", 3, "household", leased('A', 3), Some(l1.lease_id), 1_003, p),
        ],
    );
    let k2 = batch(
        "kiosk-2",
        vec![
            ticket_event("kiosk-2", 1, "household", leased('A', 11), Some(l2.lease_id), 1_001, p),
            ticket_event("kiosk-2", 2, "household", leased('A', 12), Some(l2.lease_id), 1_004, p),
        ],
    );
    let ack = server.push(&k1).await;
    assert_eq!(ack.high_water, 3);
    assert!(ack.results.iter().all(|r| r.outcome == EventOutcome::Applied && !r.duplicate), "{ack:?}");
    assert!(ack.server_hlc >= Hlc::new(1_003, 0));
    assert_eq!(server.push(&k2).await.high_water, 2);

    // Counter 1 (household first): the elderly ticket goes first, then issue order.
    let c1 = |seq, action| batch("counter-1", vec![counter_event("counter-1", seq, 1, action, Utc::now())]);
    let c2 = |seq, action| batch("counter-2", vec![counter_event("counter-2", seq, 2, action, Utc::now())]);
    assert_eq!(called_number(&server.push(&c1(1, CounterAction::CallNext)).await), "A002");
    assert_eq!(called_number(&server.push(&c1(2, CounterAction::Recall)).await), "A002");
    assert_eq!(server.push(&c1(3, CounterAction::Finish)).await.results[0].outcome, EventOutcome::Applied);
    assert_eq!(called_number(&server.push(&c1(4, CounterAction::CallNext)).await), "A001");
    assert_eq!(server.push(&c1(5, CounterAction::Skip)).await.results[0].outcome, EventOutcome::Applied);
    assert_eq!(called_number(&server.push(&c1(6, CounterAction::CallNext)).await), "A011");
    let to = CounterAction::Transfer { to: svc("exit-entry") };
    assert_eq!(server.push(&c1(7, to)).await.results[0].outcome, EventOutcome::Applied);
    // Counter 2 prefers exit-entry: it gets the transferred ticket, keeping its number.
    assert_eq!(called_number(&server.push(&c2(1, CounterAction::CallNext)).await), "A011");
    assert_eq!(server.push(&c2(2, CounterAction::Finish)).await.results[0].outcome, EventOutcome::Applied);
    // Finish with nobody at the window is refused, recorded, and not an HTTP error.
    match &server.push(&c2(3, CounterAction::Finish)).await.results[0].outcome {
        EventOutcome::Rejected { reason } => assert!(reason.contains("not serving"), "{reason}"),
        other => panic!("{other:?}"),
    }

    // The citizen rates the service once.
    let rate = |seq| {
        batch(
            "counter-2",
            vec![DeviceEvent {
                body: EventBody::Evaluation { ticket_id: TicketId::new(dev("kiosk-2"), 1), level: EvaluationLevel::VerySatisfied, comment: "很快".into() },
                ..counter_event("counter-2", seq, 2, CounterAction::Pause, Utc::now())
            }],
        )
    };
    assert_eq!(server.push(&rate(4)).await.results[0].outcome, EventOutcome::Applied);
    assert!(matches!(server.push(&rate(5)).await.results[0].outcome, EventOutcome::Rejected { .. }));
    assert_eq!(server.push(&c2(6, CounterAction::Pause)).await.results[0].outcome, EventOutcome::Applied);

    // The board saw every call as it happened, in order.
    let mut calls = Vec::new();
    let mut streamed = Vec::new();
    while calls.len() < 5 {
        let (cursor, change) = tokio::time::timeout(std::time::Duration::from_secs(10), board.next()).await.unwrap().unwrap();
        if let ChangeBody::Called(info) = &change.body {
            calls.push((info.number.to_string(), info.window, info.recall));
        }
        streamed.push(cursor);
    }
    assert_eq!(calls, vec![("A002".into(), 1, 0), ("A002".into(), 1, 1), ("A001".into(), 1, 0), ("A011".into(), 1, 0), ("A011".into(), 2, 0)]);
    // The stream is the feed: same cursors, none missing, none twice.
    let feed: FeedPage = serde_json::from_value(server.get_json(&format!("/v1/feed?device=board-1&after={after}&limit=5000")).await).unwrap();
    let fed: Vec<u64> = feed.changes.iter().map(|c| c.cursor).take(streamed.len()).collect();
    assert_eq!(streamed, fed);
    assert!(feed.changes.iter().all(|c| c.device.is_none()), "the board sees no kiosk's lease");

    // Leases are scoped: kiosk-1 sees its own, not kiosk-2's.
    let k1_feed: FeedPage = serde_json::from_value(server.get_json("/v1/feed?device=kiosk-1&limit=5000").await).unwrap();
    let leases: Vec<_> = k1_feed.changes.iter().filter_map(|c| if let ChangeBody::Lease(l) = &c.body { Some(l.device_id.to_string()) } else { None }).collect();
    assert_eq!(leases, vec!["kiosk-1"]);

    // The queue now: the skipped A001 went back behind the others.
    let q: QueueSnapshot = serde_json::from_value(server.get_json("/v1/queues/xuhui").await).unwrap();
    let household = q.services.iter().find(|s| s.service.as_str() == "household").unwrap();
    let order: Vec<String> = household.waiting.iter().map(|t| t.number.to_string()).collect();
    assert_eq!(order, vec!["A003", "A012", "A001"]);
    assert_eq!(q.windows.iter().find(|w| w.window == 2).unwrap().state, hall_protocol::feed::WindowStatus::Paused);

    // Reports.
    let d = day();
    let tickets: Vec<central::records::Ticket> = serde_json::from_value(server.get_json(&format!("/v1/tickets?day={d}&hall=xuhui")).await).unwrap();
    assert_eq!(tickets.len(), 5);
    let a011 = tickets.iter().find(|t| t.number.to_string() == "A011").unwrap();
    assert_eq!((a011.service.as_str(), a011.issued_service.as_str(), a011.state), ("exit-entry", "household", TicketState::Served));
    let calls: Vec<central::records::Call> = serde_json::from_value(server.get_json(&format!("/v1/calls?day={d}")).await).unwrap();
    let ends: Vec<_> = calls.iter().map(|c| (c.number.to_string(), c.window, c.recalls, c.outcome)).collect();
    assert_eq!(
        ends,
        vec![
            ("A002".into(), 1, 1, Some(CallEnd::Served)),
            ("A001".into(), 1, 0, Some(CallEnd::Skipped)),
            ("A011".into(), 1, 0, Some(CallEnd::Transferred)),
            ("A011".into(), 2, 0, Some(CallEnd::Served)),
        ]
    );
    let evaluations: Vec<central::records::Evaluation> = serde_json::from_value(server.get_json(&format!("/v1/evaluations?day={d}")).await).unwrap();
    assert_eq!(evaluations.len(), 1);
    assert_eq!(evaluations[0].window, Some(2));

    let stats: DayStats = serde_json::from_value(server.get_json(&format!("/v1/stats?day={d}&hall=xuhui")).await).unwrap();
    let s = |code: &str| stats.services.iter().find(|s| s.service.as_str() == code).unwrap().clone();
    let household = s("household");
    assert_eq!((household.issued, household.served, household.no_show, household.waiting), (5, 1, 0, 3));
    assert_eq!(household.wait.count, 3, "A002, A001 and A011 were first called for household");
    assert_eq!(household.service_time.count, 1);
    let exit = s("exit-entry");
    assert_eq!((exit.issued, exit.served, exit.waiting, exit.wait.count, exit.service_time.count), (1, 1, 0, 0, 1));
    assert_eq!(stats.services.len(), 4);
    let served: Vec<_> = stats.windows.iter().map(|w| (w.window, w.served)).collect();
    assert_eq!(served, vec![(1, 1), (2, 1), (3, 0)]);
    assert_eq!(stats.evaluations, [0, 0, 0, 0, 1]);

    server.stop().await;
}
