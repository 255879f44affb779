//! Number leases: blocks never overlap across kiosks, and a retried request gets the same block.

use std::collections::BTreeSet;

use hall_protocol::api::{ApiError, Lease, LeaseRequest};
use hall_protocol::{ChangeBody, FeedPage};
use reqwest::StatusCode;

use crate::common::*;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn leases_never_overlap_and_are_idempotent() {
    let server = std::sync::Arc::new(Server::start(central_in_memory()).await);

    // Two kiosks ask concurrently, 20 times each, for two queues.
    let mut tasks = Vec::new();
    for kiosk in ["kiosk-1", "kiosk-2"] {
        for request_id in 1..=20u64 {
            let server = server.clone();
            tasks.push(tokio::spawn(async move {
                let service = if request_id % 2 == 0 { "household" } else { "business" };
                server.lease(kiosk, request_id, service, 7).await
            }));
        }
    }
    let mut leases: Vec<Lease> = Vec::new();
    for t in tasks {
        leases.push(t.await.unwrap());
    }
    for service in ["household", "business"] {
        let mut blocks: Vec<(u32, u32)> = leases.iter().filter(|l| l.service.as_str() == service).map(|l| (l.start, l.end)).collect();
        blocks.sort();
        assert_eq!(blocks.len(), 20);
        // Sorted blocks tile 1..=140 exactly: no overlap, no hole.
        let mut next = 1;
        for (start, end) in blocks {
            assert_eq!((start, end), (next, next + 6), "{service}");
            next = end + 1;
        }
    }

    // Retrying a request returns the same lease, whatever size is asked the second time.
    let again = server.lease("kiosk-1", 4, "household", 50).await;
    let first =
        leases.iter().find(|l| l.device_id.as_str() == "kiosk-1" && l.service.as_str() == "household" && l.end - l.start == 6 && l.lease_id == again.lease_id);
    assert_eq!(Some(&again), first);
    let ids: BTreeSet<u64> = leases.iter().map(|l| l.lease_id).collect();
    assert_eq!(ids.len(), 40);

    // Reusing a request id for another queue is refused.
    let reuse = LeaseRequest { device_id: dev("kiosk-1"), request_id: 4, hall: hall(), service: svc("exit-entry"), business_day: day(), size: 5 };
    let (status, body) = server.lease_raw("kiosk-1", &reuse).await;
    assert_eq!(status, StatusCode::CONFLICT);
    assert_eq!(serde_json::from_value::<ApiError>(body).unwrap().error, "lease_request_reused");

    // Sizes are clamped to 1..=100.
    let tiny = server.lease("kiosk-2", 100, "exit-entry", 0).await;
    assert_eq!((tiny.start, tiny.end), (1, 1));
    let big = server.lease("kiosk-2", 101, "exit-entry", 10_000).await;
    assert_eq!((big.start, big.end), (2, 101));

    // Only kiosks lease; an unknown service is a 404; the header must match.
    let counter = LeaseRequest { device_id: dev("counter-1"), request_id: 1, hall: hall(), service: svc("household"), business_day: day(), size: 5 };
    assert_eq!(server.lease_raw("counter-1", &counter).await.0, StatusCode::FORBIDDEN);
    let unknown = LeaseRequest { service: svc("fishing-licences"), request_id: 200, ..reuse.clone() };
    assert_eq!(server.lease_raw("kiosk-1", &unknown).await.0, StatusCode::NOT_FOUND);
    assert_eq!(server.lease_raw("kiosk-2", &LeaseRequest { request_id: 201, ..reuse.clone() }).await.0, StatusCode::FORBIDDEN);

    // Each kiosk's feed carries its own leases only.
    for kiosk in ["kiosk-1", "kiosk-2"] {
        let page: FeedPage = serde_json::from_value(server.get_json(&format!("/v1/feed?device={kiosk}&limit=5000")).await).unwrap();
        let holders: BTreeSet<String> =
            page.changes.iter().filter_map(|c| if let ChangeBody::Lease(l) = &c.body { Some(l.device_id.to_string()) } else { None }).collect();
        assert_eq!(holders, BTreeSet::from([kiosk.to_owned()]));
        let own = leases.iter().filter(|l| l.device_id.as_str() == kiosk).count() + if kiosk == "kiosk-2" { 2 } else { 0 };
        assert_eq!(page.changes.iter().filter(|c| matches!(c.body, ChangeBody::Lease(_))).count(), own, "one feed change per granted lease, none per retry");
    }
    std::sync::Arc::into_inner(server).unwrap().stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn feed_pages_follow_the_cursor() {
    let server = Server::start(central_in_memory()).await;
    for i in 1..=7 {
        server.lease("kiosk-1", i, "household", 1).await;
    }
    let mut after = 0;
    let mut seen = Vec::new();
    loop {
        let page: FeedPage = serde_json::from_value(server.get_json(&format!("/v1/feed?device=kiosk-1&after={after}&limit=4")).await).unwrap();
        assert!(page.changes.len() <= 4);
        seen.extend(page.changes.iter().map(|c| c.cursor));
        after = page.next_cursor;
        if !page.more {
            break;
        }
    }
    // 14 catalogue changes (1 hall, 4 services, 3 windows, 6 devices) and 7 leases, in order.
    assert_eq!(seen, (1..=21).collect::<Vec<u64>>());
    let empty: FeedPage = serde_json::from_value(server.get_json(&format!("/v1/feed?device=kiosk-1&after={after}")).await).unwrap();
    assert!(empty.changes.is_empty() && !empty.more);
    assert_eq!(empty.next_cursor, after);
    server.stop().await;
}
