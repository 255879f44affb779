//! The push stream delivers exactly the feed: backlog first, then live changes, with no gap and no
//! duplicate, also when a burst overruns the live channel and the stream must re-read the database.

use std::time::Duration;

use central::{Central, CentralConfig};
use hall_protocol::{Catalogue, Device, DeviceRole, FeedPage};

use crate::common::*;

async fn collect(reader: &mut SseReader, n: usize) -> Vec<u64> {
    let mut cursors = Vec::new();
    while cursors.len() < n {
        let (cursor, _) = tokio::time::timeout(Duration::from_secs(10), reader.next()).await.expect("stream stalled").expect("stream ended");
        cursors.push(cursor);
    }
    cursors
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_stream_is_the_feed_even_after_falling_behind() {
    // The smallest live channel (16), so a burst of 40 changes in one commit overruns it.
    let central = Central::open_in_memory(CentralConfig { stream_buffer: 1, ..Default::default() }).unwrap();
    central.load_catalogue(&catalogue()).unwrap();
    let server = Server::start(central).await;

    // From the start: the 14 catalogue changes come from the backlog.
    let mut from_start = SseReader::open(&server, "device=board-1&after=0").await;
    assert_eq!(collect(&mut from_start, 14).await, (1..=14).collect::<Vec<u64>>());
    // Resuming with Last-Event-ID instead of after=.
    let resp = server.http.get(server.url("/v1/stream?device=board-1")).header("last-event-id", "10").send().await.unwrap();
    assert_eq!(resp.status(), 200);
    drop(resp);

    // A burst: 40 new devices in one commit.
    let mut burst = Catalogue::default();
    for i in 0..40 {
        burst.devices.push(Device { id: dev(&format!("board-{}", i + 10)), hall: hall(), role: DeviceRole::Board, window: None, device_no: 0, revoked: false });
    }
    server.central.load_catalogue(&burst).unwrap();
    let mut live = collect(&mut from_start, 40).await;
    // Then a lease for kiosk-1, which the board must not see, and one more global change.
    server.lease("kiosk-1", 1, "household", 5).await;
    let mut more = Catalogue::default();
    more.devices.push(Device { id: dev("board-99"), hall: hall(), role: DeviceRole::Board, window: None, device_no: 0, revoked: false });
    server.central.load_catalogue(&more).unwrap();
    live.extend(collect(&mut from_start, 1).await);
    assert_eq!(live, (15..=54).chain([56]).collect::<Vec<u64>>(), "no gap, no duplicate, no other device's lease");

    let feed: FeedPage = serde_json::from_value(server.get_json("/v1/feed?device=board-1&after=14&limit=5000").await).unwrap();
    assert_eq!(feed.changes.iter().map(|c| c.cursor).collect::<Vec<_>>(), live);

    // The kiosk's own stream carries its lease.
    let mut kiosk = SseReader::open(&server, "device=kiosk-1&after=54").await;
    assert_eq!(collect(&mut kiosk, 2).await, vec![55, 56]);

    // Another device's stream may not be asked for in someone else's name.
    let resp = server.http.get(server.url("/v1/stream?device=kiosk-1")).header("x-hallkit-device", "kiosk-2").send().await.unwrap();
    assert_eq!(resp.status(), 403);
    server.stop().await;
}
