//! Bad input to central (issue 2 §7): malformed JSON, oversized bodies, unknown devices, replayed
//! batches, sequence gaps. Each gets a 4xx with an ApiError body, nothing is stored twice, and the
//! server keeps serving.

use central::Clock;
use chrono::Utc;
use hall_protocol::api::{ApiError, DEVICE_HEADER, MAX_BATCH_EVENTS, MAX_BODY_BYTES};
use hall_protocol::{Catalogue, CounterAction, Device, DeviceRole, EventOutcome, Priority};
use reqwest::StatusCode;

use crate::common::*;

fn api_error(body: serde_json::Value) -> ApiError {
    serde_json::from_value(body.clone()).unwrap_or_else(|e| panic!("not an ApiError ({e}): {body}"))
}

async fn post_raw(server: &Server, path: &str, device: Option<&str>, content_type: &str, body: Vec<u8>) -> (StatusCode, ApiError) {
    let mut req = server.http.post(server.url(path)).header("content-type", content_type).body(body);
    if let Some(d) = device {
        req = req.header(DEVICE_HEADER, d);
    }
    let resp = req.send().await.unwrap();
    let status = resp.status();
    let text = resp.text().await.unwrap();
    (status, api_error(serde_json::from_str(&text).unwrap_or_else(|e| panic!("not JSON ({e}): {text}"))))
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn replayed_batches_get_the_same_outcomes_and_store_nothing_twice() {
    let server = Server::start(central_in_memory()).await;
    let lease = server.lease("kiosk-1", 1, "household", 10).await;
    let tickets: Vec<_> =
        (1..=3).map(|i| ticket_event("kiosk-1", i, "household", leased('A', i as u32), Some(lease.lease_id), 1_000 + i, Priority::Normal)).collect();
    let first = server.push(&batch("kiosk-1", tickets.clone())).await;
    let c1 = batch("counter-1", vec![counter_event("counter-1", 1, 1, CounterAction::CallNext, Utc::now())]);
    let call = server.push(&c1).await;

    // Exactly the same batches again: duplicates with the first outcomes.
    let again = server.push(&batch("kiosk-1", tickets.clone())).await;
    assert_eq!(again.high_water, 3);
    assert!(again.results.iter().all(|r| r.duplicate));
    assert_eq!(again.results.iter().map(|r| &r.outcome).collect::<Vec<_>>(), first.results.iter().map(|r| &r.outcome).collect::<Vec<_>>());
    let call_again = server.push(&c1).await;
    assert!(call_again.results[0].duplicate);
    assert_eq!(call_again.results[0].outcome, call.results[0].outcome, "a replayed call-next does not call again");

    // A batch that overlaps: old events are duplicates, the new one applies.
    let mut overlap = tickets[1..].to_vec();
    overlap.push(ticket_event("kiosk-1", 4, "household", leased('A', 4), Some(lease.lease_id), 1_004, Priority::Normal));
    let ack = server.push(&batch("kiosk-1", overlap)).await;
    assert_eq!(ack.results.iter().map(|r| (r.device_seq, r.duplicate)).collect::<Vec<_>>(), vec![(2, true), (3, true), (4, false)]);
    assert_eq!(ack.high_water, 4);

    // Nothing stored twice: four tickets, one call, three still waiting.
    assert_eq!(server.central.tickets(day(), None).unwrap().len(), 4);
    assert_eq!(server.central.calls(day(), None).unwrap().len(), 1);
    let q = server.central.queue(&hall()).unwrap();
    assert_eq!(q.services.iter().map(|s| s.waiting.len()).sum::<usize>(), 3);

    // A different event reusing a ticket number is rejected, not stored.
    let dup_number = ticket_event("kiosk-1", 5, "household", leased('A', 4), Some(lease.lease_id), 1_005, Priority::Normal);
    match &server.push(&batch("kiosk-1", vec![dup_number])).await.results[0].outcome {
        EventOutcome::Rejected { reason } => assert!(reason.contains("already issued"), "{reason}"),
        other => panic!("{other:?}"),
    }
    assert_eq!(server.central.tickets(day(), None).unwrap().len(), 4);
    server.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn bad_requests_get_clear_errors_and_the_server_keeps_serving() {
    let central = central_in_memory();
    let mut revoked = Catalogue::default();
    revoked.devices.push(Device { id: dev("kiosk-9"), hall: hall(), role: DeviceRole::Kiosk, window: None, device_no: 0, revoked: true });
    central.load_catalogue(&revoked).unwrap();
    let server = Server::start(central).await;
    let lease = server.lease("kiosk-1", 1, "household", 10).await;
    let t = |seq: u64| ticket_event("kiosk-1", seq, "household", leased('A', seq as u32), Some(lease.lease_id), 1_000 + seq, Priority::Normal);
    server.push(&batch("kiosk-1", vec![t(1), t(2)])).await;

    // Sequence gap: 4 after high-water 2.
    let (status, body) = server.push_raw(Some("kiosk-1"), &batch("kiosk-1", vec![t(4)])).await;
    assert_eq!(status, StatusCode::CONFLICT);
    let err = api_error(body);
    assert_eq!((err.error.as_str(), err.expected_seq), ("sequence_gap", Some(3)));
    // Not consecutive inside a batch.
    let (status, body) = server.push_raw(Some("kiosk-1"), &batch("kiosk-1", vec![t(3), t(5)])).await;
    assert_eq!((status, api_error(body).error.as_str()), (StatusCode::BAD_REQUEST, "batch_out_of_order"));

    // Unknown, revoked, unnamed and mismatched devices.
    let ghost = batch("ghost-1", vec![ticket_event("ghost-1", 1, "household", leased('A', 50), None, 1, Priority::Normal)]);
    let (status, body) = server.push_raw(Some("ghost-1"), &ghost).await;
    assert_eq!((status, api_error(body).error.as_str()), (StatusCode::FORBIDDEN, "unknown_device"));
    let nine = batch("kiosk-9", vec![ticket_event("kiosk-9", 1, "household", leased('A', 51), None, 1, Priority::Normal)]);
    let (status, body) = server.push_raw(Some("kiosk-9"), &nine).await;
    assert_eq!((status, api_error(body).error.as_str()), (StatusCode::FORBIDDEN, "device_revoked"));
    let (status, body) = server.push_raw(None, &batch("kiosk-1", vec![t(3)])).await;
    assert_eq!((status, api_error(body).error.as_str()), (StatusCode::FORBIDDEN, "device_mismatch"));
    let (status, body) = server.push_raw(Some("kiosk-2"), &batch("kiosk-1", vec![t(3)])).await;
    assert_eq!((status, api_error(body).error.as_str()), (StatusCode::FORBIDDEN, "device_mismatch"));
    let (status, body) = server.push_raw(Some("KIOSK 1"), &batch("kiosk-1", vec![t(3)])).await;
    assert_eq!((status, api_error(body).error.as_str()), (StatusCode::BAD_REQUEST, "invalid_device_header"));

    // Malformed JSON, the wrong shape, the wrong content type.
    let (status, err) = post_raw(&server, "/v1/events", Some("kiosk-1"), "application/json", b"{\"device_id\": \"kiosk-1\", \"events\": [".to_vec()).await;
    assert_eq!((status, err.error.as_str()), (StatusCode::BAD_REQUEST, "malformed_json"));
    assert!(err.message.contains("not valid JSON"), "{}", err.message);
    let (status, err) = post_raw(&server, "/v1/events", Some("kiosk-1"), "application/json", b"{\"device_id\": \"kiosk-1\", \"events\": 7}".to_vec()).await;
    assert_eq!((status, err.error.as_str()), (StatusCode::BAD_REQUEST, "invalid_body"));
    let (status, err) = post_raw(&server, "/v1/events", Some("kiosk-1"), "application/json", b"{\"device_id\": \"Bad Id\", \"events\": []}".to_vec()).await;
    assert_eq!((status, err.error.as_str()), (StatusCode::BAD_REQUEST, "invalid_body"));
    let (status, err) = post_raw(&server, "/v1/events", Some("kiosk-1"), "text/plain", b"{}".to_vec()).await;
    assert_eq!((status, err.error.as_str()), (StatusCode::UNSUPPORTED_MEDIA_TYPE, "unsupported_media_type"));
    let (status, err) = post_raw(&server, "/v1/leases", Some("kiosk-1"), "application/json", vec![0xff, 0xfe, b'{']).await;
    assert_eq!((status, err.error.as_str()), (StatusCode::BAD_REQUEST, "malformed_json"));

    // Oversized: a body over the limit, and a batch with too many events.
    let mut huge = br#"{"device_id": "kiosk-1", "events": [], "pad": ""#.to_vec();
    huge.extend(std::iter::repeat_n(b'x', MAX_BODY_BYTES + 1));
    huge.extend(br#""}"#);
    let (status, err) = post_raw(&server, "/v1/events", Some("kiosk-1"), "application/json", huge).await;
    assert_eq!((status, err.error.as_str()), (StatusCode::PAYLOAD_TOO_LARGE, "body_too_large"));
    let many: Vec<_> = (3..=(MAX_BATCH_EVENTS as u64 + 3)).map(|s| counter_event("kiosk-1", s, 1, CounterAction::Pause, Utc::now())).collect();
    let (status, body) = server.push_raw(Some("kiosk-1"), &batch("kiosk-1", many)).await;
    assert_eq!((status, api_error(body).error.as_str()), (StatusCode::PAYLOAD_TOO_LARGE, "batch_too_large"));

    // Bad query, unknown path, wrong method: ApiError too.
    let resp = server.http.get(server.url("/v1/stats?day=yesterday")).send().await.unwrap();
    assert_eq!(resp.status(), StatusCode::BAD_REQUEST);
    assert_eq!(api_error(resp.json().await.unwrap()).error, "invalid_query");
    let resp = server.http.get(server.url("/v2/nothing")).send().await.unwrap();
    assert_eq!(resp.status(), StatusCode::NOT_FOUND);
    assert_eq!(api_error(resp.json().await.unwrap()).error, "not_found");
    let resp = server.http.delete(server.url("/v1/events")).send().await.unwrap();
    assert_eq!(resp.status(), StatusCode::METHOD_NOT_ALLOWED);
    assert_eq!(api_error(resp.json().await.unwrap()).error, "method_not_allowed");
    let resp = server.http.get(server.url("/v1/feed?device=ghost-1")).send().await.unwrap();
    assert_eq!(resp.status(), StatusCode::FORBIDDEN);

    // Still serving, and nothing of the above was stored.
    server.health_ok().await;
    assert_eq!(server.central.tickets(day(), None).unwrap().len(), 2);
    let ack = server.push(&batch("kiosk-1", vec![t(3)])).await;
    assert_eq!((ack.high_water, &ack.results[0].outcome), (3, &EventOutcome::Applied));
    server.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn events_that_cannot_take_effect_are_rejected_with_a_reason() {
    let clock = ManualClock::new(Utc::now());
    let config = central::CentralConfig { clock: clock.clone(), ..Default::default() };
    let central = central::Central::open_in_memory(config).unwrap();
    central.load_catalogue(&catalogue()).unwrap();
    let lease = central
        .lease(
            Some(&dev("kiosk-1")),
            &hall_protocol::api::LeaseRequest {
                device_id: dev("kiosk-1"),
                request_id: 1,
                hall: hall(),
                service: svc("household"),
                business_day: day(),
                size: 5,
            },
        )
        .unwrap();
    let reason = |ack: hall_protocol::api::PushAck| match &ack.results[0].outcome {
        EventOutcome::Rejected { reason } => reason.clone(),
        other => panic!("expected a rejection, got {other:?}"),
    };
    let k = |e| central.push(Some(&dev("kiosk-1")), &batch("kiosk-1", vec![e])).unwrap();

    // A number outside the kiosk's lease, a number with another service's prefix, a fallback
    // number with another device's number, a ticket id that is not the event's.
    assert!(reason(k(ticket_event("kiosk-1", 1, "household", leased('A', 6), Some(lease.lease_id), 1, Priority::Normal))).contains("not in lease"));
    assert!(reason(k(ticket_event("kiosk-1", 2, "household", leased('B', 1), Some(lease.lease_id), 2, Priority::Normal))).contains("prefix"));
    let fallback = "A-2-001".parse().unwrap(); // kiosk-1 is device 1
    assert!(reason(k(ticket_event("kiosk-1", 3, "household", fallback, None, 3, Priority::Normal))).contains("device number"));
    let mut wrong_id = ticket_event("kiosk-1", 4, "household", leased('A', 1), Some(lease.lease_id), 4, Priority::Normal);
    wrong_id.device_seq = 4;
    if let hall_protocol::EventBody::TicketIssued(t) = &mut wrong_id.body {
        t.ticket_id = hall_protocol::TicketId::new(dev("kiosk-1"), 99);
    }
    assert!(reason(k(wrong_id)).contains("DEVICE/SEQ"));
    let ok = ticket_event("kiosk-1", 5, "household", "A-1-001".parse().unwrap(), None, 5, Priority::Normal);
    assert_eq!(k(ok).results[0].outcome, EventOutcome::Applied, "a fallback number with the kiosk's own device number is fine");

    // Counter actions: another window, a call that arrived too late, a late finish that applies.
    let c = |seq, window, action, at| {
        central.push(Some(&dev("counter-1")), &batch("counter-1", vec![counter_event("counter-1", seq, window, action, at)])).unwrap()
    };
    assert!(reason(c(1, 2, CounterAction::CallNext, clock.now())).contains("not window 2"));
    let pressed = clock.now();
    clock.advance(chrono::Duration::seconds(121));
    let late = reason(c(2, 1, CounterAction::CallNext, pressed));
    assert!(late.starts_with("arrived 121 s late"), "{late}");
    assert!(matches!(c(3, 1, CounterAction::CallNext, clock.now()).results[0].outcome, EventOutcome::Called { .. }));
    assert_eq!(c(4, 1, CounterAction::Finish, pressed).results[0].outcome, EventOutcome::Applied, "finishing late still applies");
    assert_eq!(c(5, 1, CounterAction::CallNext, clock.now()).results[0].outcome, EventOutcome::QueueEmpty);

    // A kiosk cannot act at a window, a counter cannot issue tickets, a board cannot rate.
    assert!(reason(k(counter_event("kiosk-1", 6, 1, CounterAction::CallNext, clock.now()))).contains("only counter"));
    let from_counter = ticket_event("counter-1", 6, "household", leased('A', 2), Some(lease.lease_id), 6, Priority::Normal);
    assert!(reason(central.push(Some(&dev("counter-1")), &batch("counter-1", vec![from_counter])).unwrap()).contains("only kiosks"));
    let rating = hall_protocol::DeviceEvent {
        body: hall_protocol::EventBody::Evaluation {
            ticket_id: hall_protocol::TicketId::new(dev("kiosk-1"), 5),
            level: hall_protocol::EvaluationLevel::Fair,
            comment: String::new(),
        },
        ..counter_event("board-1", 1, 1, CounterAction::Pause, clock.now())
    };
    assert!(reason(central.push(Some(&dev("board-1")), &batch("board-1", vec![rating])).unwrap()).contains("only counters and kiosks"));
}
