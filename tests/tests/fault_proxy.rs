//! The fault proxy against small upstreams written here: an echo server, an HTTP-like server with
//! a long body, and a sink that reports what reached it. Each test names one behaviour of one mode.
//!
//! Timeouts below only guard against hangs (a failing proxy must not stall CI); nothing asserts on
//! how long anything took.

use std::collections::HashSet;
use std::future::Future;
use std::io;
use std::net::SocketAddr;
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Duration;

use hall_e2e::{Fault, FaultDice, FaultMix, FaultProxy, Mode};
use rand::rngs::StdRng;
use rand::{RngCore, SeedableRng};
use tokio::io::{AsyncRead, AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpSocket, TcpStream};
use tokio::sync::mpsc;

const HANG_GUARD: Duration = Duration::from_secs(30);

/// Awaits `f`, failing the test if it hangs.
async fn within<T>(what: &str, f: impl Future<Output = T>) -> T {
    match tokio::time::timeout(HANG_GUARD, f).await {
        Ok(v) => v,
        Err(_) => panic!("hung waiting for {what}"),
    }
}

/// Waits until `cond` holds, failing the test if it never does.
async fn eventually(what: &str, mut cond: impl FnMut() -> bool) {
    within(what, async {
        while !cond() {
            tokio::time::sleep(Duration::from_millis(5)).await;
        }
    })
    .await;
}

fn payload(len: usize, seed: u64) -> Vec<u8> {
    let mut bytes = vec![0u8; len];
    StdRng::seed_from_u64(seed).fill_bytes(&mut bytes);
    bytes
}

/// An echo server; returns its address and a count of connections it accepted.
async fn echo_upstream() -> (SocketAddr, Arc<AtomicUsize>) {
    let listener = TcpListener::bind("127.0.0.1:0").await.expect("bind echo");
    let addr = listener.local_addr().expect("echo addr");
    let accepted = Arc::new(AtomicUsize::new(0));
    let count = Arc::clone(&accepted);
    tokio::spawn(async move {
        while let Ok((mut stream, _)) = listener.accept().await {
            count.fetch_add(1, Ordering::SeqCst);
            tokio::spawn(async move {
                let (mut r, mut w) = stream.split();
                let _ = tokio::io::copy(&mut r, &mut w).await;
                let _ = w.shutdown().await;
            });
        }
    });
    (addr, accepted)
}

/// The full answer `http_upstream` gives.
fn http_response(body_len: usize) -> Vec<u8> {
    let mut response = format!("HTTP/1.1 200 OK\r\nContent-Length: {body_len}\r\n\r\n").into_bytes();
    response.extend((0..body_len).map(|i| (i % 251) as u8));
    response
}

/// Reads a request head, answers with `http_response(body_len)` and closes.
async fn http_upstream(body_len: usize) -> SocketAddr {
    let listener = TcpListener::bind("127.0.0.1:0").await.expect("bind http");
    let addr = listener.local_addr().expect("http addr");
    let response = Arc::new(http_response(body_len));
    tokio::spawn(async move {
        while let Ok((mut stream, _)) = listener.accept().await {
            let response = Arc::clone(&response);
            tokio::spawn(async move {
                let mut head = Vec::new();
                let mut buf = [0u8; 1024];
                while !head.windows(4).any(|w| w == b"\r\n\r\n") {
                    match stream.read(&mut buf).await {
                        Ok(0) | Err(_) => return,
                        Ok(n) => head.extend_from_slice(&buf[..n]),
                    }
                }
                let _ = stream.write_all(&response).await;
                let _ = stream.shutdown().await;
            });
        }
    });
    addr
}

/// Reads each connection to its end and reports what arrived and whether it ended in an error.
async fn sink_upstream() -> (SocketAddr, mpsc::UnboundedReceiver<(Vec<u8>, io::Result<()>)>) {
    let listener = TcpListener::bind("127.0.0.1:0").await.expect("bind sink");
    let addr = listener.local_addr().expect("sink addr");
    let (tx, rx) = mpsc::unbounded_channel();
    tokio::spawn(async move {
        while let Ok((stream, _)) = listener.accept().await {
            let tx = tx.clone();
            tokio::spawn(async move {
                let _ = tx.send(read_to_end_or_error(stream).await);
            });
        }
    });
    (addr, rx)
}

/// Everything the stream delivers, and how it ended: `Ok` at end of stream, `Err` on an error.
async fn read_to_end_or_error(mut stream: impl AsyncRead + Unpin) -> (Vec<u8>, io::Result<()>) {
    let mut got = Vec::new();
    let mut buf = vec![0u8; 64 * 1024];
    loop {
        match stream.read(&mut buf).await {
            Ok(0) => return (got, Ok(())),
            Ok(n) => got.extend_from_slice(&buf[..n]),
            Err(e) => return (got, Err(e)),
        }
    }
}

/// Sends `data` and half-closes while reading the answer concurrently (so that neither side
/// blocks on a full buffer), and returns the answer.
/// A connection that fails during `connect` counts as an end in error with nothing received.
async fn exchange(proxy: SocketAddr, data: Vec<u8>) -> (Vec<u8>, io::Result<()>) {
    let stream = match TcpStream::connect(proxy).await {
        Ok(stream) => stream,
        Err(e) => return (Vec::new(), Err(e)),
    };
    let (mut r, mut w) = stream.into_split();
    let writer = tokio::spawn(async move {
        let _ = w.write_all(&data).await;
        let _ = w.shutdown().await;
    });
    let (got, ended) = read_to_end_or_error(&mut r).await;
    let _ = writer.await;
    (got, ended)
}

/// Connects and reads whatever comes back. A reset can arrive so soon after the handshake that
/// `connect` itself reports it; that counts as an end in error with nothing received.
async fn connect_and_read(proxy: SocketAddr) -> (Vec<u8>, io::Result<()>) {
    match TcpStream::connect(proxy).await {
        Ok(stream) => read_to_end_or_error(stream).await,
        Err(e) => (Vec::new(), Err(e)),
    }
}

/// One line out, the same line back, on an open connection.
async fn round_trip(stream: &mut TcpStream, line: &[u8]) {
    stream.write_all(line).await.expect("write through proxy");
    let mut back = vec![0u8; line.len()];
    within("an echo", stream.read_exact(&mut back)).await.expect("read echo through proxy");
    assert_eq!(back, line);
}

fn assert_reset(ended: &io::Result<()>, what: &str) {
    match ended {
        Err(e) => assert_eq!(e.kind(), io::ErrorKind::ConnectionReset, "{what}: {e}"),
        Ok(()) => panic!("{what}: ended cleanly instead of with a reset"),
    }
}

#[tokio::test]
async fn pass_mode_forwards_a_large_payload_byte_exact() {
    let (upstream, _) = echo_upstream().await;
    let proxy = FaultProxy::start(upstream).expect("start proxy");
    let data = payload(8 << 20, 1);

    let (got, ended) = within("an 8 MiB echo", exchange(proxy.addr(), data.clone())).await;

    ended.expect("a clean end of stream");
    assert!(got == data, "echo differs: {} bytes back for {} sent", got.len(), data.len());
    let stats = proxy.stats();
    assert_eq!((stats.accepted, stats.passed), (1, 1));
    assert_eq!(stats.bytes_to_upstream, data.len() as u64);
    assert_eq!(stats.bytes_to_client, data.len() as u64);
    assert_eq!(proxy.fault_log(), vec![Fault::Pass]);
}

#[tokio::test]
async fn reset_mode_gives_the_client_a_reset_and_never_reaches_upstream() {
    let (upstream, upstream_accepts) = echo_upstream().await;
    let proxy = FaultProxy::start(upstream).expect("start proxy");
    proxy.set_mode(Mode::Reset);

    let (got, ended) = within("the reset", connect_and_read(proxy.addr())).await;

    assert!(got.is_empty());
    assert_reset(&ended, "Reset mode");
    assert_eq!(proxy.stats().reset, 1);
    assert_eq!(upstream_accepts.load(Ordering::SeqCst), 0);
}

#[tokio::test]
async fn cut_mid_body_delivers_exactly_n_response_bytes_then_fails() {
    const N: usize = 1000;
    let upstream = http_upstream(256 * 1024).await;
    let proxy = FaultProxy::start(upstream).expect("start proxy");
    proxy.set_mode(Mode::CutMidBody { after_bytes: N });

    let mut stream = TcpStream::connect(proxy.addr()).await.expect("connect");
    // Shorter than N, so the request passes whole and the response is what gets cut.
    stream.write_all(b"GET /big HTTP/1.1\r\nHost: central\r\n\r\n").await.expect("send request");
    let (got, ended) = within("the cut", read_to_end_or_error(stream)).await;

    assert!(got == http_response(256 * 1024)[..N], "got {} bytes, not the first {N}", got.len());
    assert_reset(&ended, "a cut response");
    let stats = proxy.stats();
    assert_eq!((stats.cut_armed, stats.cut_mid_body), (1, 1));
    assert_eq!(stats.bytes_to_client, N as u64);
}

#[tokio::test]
async fn cut_mid_body_cuts_a_long_request_body_after_n_bytes() {
    const N: usize = 5000;
    let (upstream, mut arrivals) = sink_upstream().await;
    let proxy = FaultProxy::start(upstream).expect("start proxy");
    proxy.set_mode(Mode::CutMidBody { after_bytes: N });
    let body = payload(1 << 20, 2);

    let mut stream = TcpStream::connect(proxy.addr()).await.expect("connect");
    let wrote = within("the upload", stream.write_all(&body)).await;
    let (arrived, upstream_end) = within("the sink's report", arrivals.recv()).await.expect("sink report");

    assert!(arrived == body[..N], "upstream got {} bytes, not the first {N}", arrived.len());
    assert_reset(&upstream_end, "upstream side of a cut request");
    // The client learns of the cut on its write or, at the latest, on its next read.
    if wrote.is_ok() {
        let (back, ended) = within("the client's reset", read_to_end_or_error(stream)).await;
        assert!(back.is_empty());
        assert!(ended.is_err(), "a cut connection ended cleanly for the client");
    }
    assert_eq!(proxy.stats().cut_mid_body, 1);
    assert_eq!(proxy.stats().bytes_to_upstream, N as u64);
}

#[tokio::test]
async fn cut_mid_body_leaves_short_exchanges_alone() {
    let (upstream, _) = echo_upstream().await;
    let proxy = FaultProxy::start(upstream).expect("start proxy");
    proxy.set_mode(Mode::CutMidBody { after_bytes: 100 });
    let data = payload(100, 3);

    let (got, ended) = within("a short echo", exchange(proxy.addr(), data.clone())).await;

    ended.expect("clean end");
    assert_eq!(got, data);
    assert_eq!((proxy.stats().cut_armed, proxy.stats().cut_mid_body), (1, 0));
}

#[tokio::test]
async fn delay_mode_delivers_bytes_intact() {
    let (upstream, _) = echo_upstream().await;
    let proxy = FaultProxy::start(upstream).expect("start proxy");
    proxy.set_mode(Mode::Delay(Duration::from_millis(2)));
    let data = payload(300 * 1024, 4);

    let (got, ended) = within("a delayed echo", exchange(proxy.addr(), data.clone())).await;

    ended.expect("clean end");
    assert!(got == data, "delayed echo differs");
    assert_eq!(proxy.stats().delayed, 1);
    assert_eq!(proxy.fault_log(), vec![Fault::Delay(Duration::from_millis(2))]);
}

#[tokio::test]
async fn drop_mode_forwards_nothing_until_the_mode_changes() {
    let (upstream, upstream_accepts) = echo_upstream().await;
    let proxy = FaultProxy::start(upstream).expect("start proxy");
    proxy.set_mode(Mode::Drop);

    let request = b"POST /events held request";
    let mut stream = TcpStream::connect(proxy.addr()).await.expect("connect");
    stream.write_all(request).await.expect("the write lands in a black hole");
    eventually("the connection to be black-holed", || proxy.stats().dropped == 1).await;
    let mut buf = [0u8; 64];
    let answer = tokio::time::timeout(Duration::from_millis(300), stream.read(&mut buf)).await;
    assert!(answer.is_err(), "a black hole answered: {answer:?}");
    assert_eq!(upstream_accepts.load(Ordering::SeqCst), 0, "a black hole reached upstream");

    // The link heals: the held connection goes through, its bytes first.
    proxy.set_mode(Mode::Pass);
    let mut back = vec![0u8; request.len()];
    within("the held request's echo", stream.read_exact(&mut back)).await.expect("echo after heal");
    assert_eq!(back, request);
    let stats = proxy.stats();
    assert_eq!((stats.dropped, stats.released, stats.passed), (1, 1, 1));
    assert_eq!(proxy.fault_log(), vec![Fault::Drop, Fault::Pass]);
}

#[tokio::test]
async fn drop_mode_lets_go_when_the_client_gives_up() {
    let (upstream, upstream_accepts) = echo_upstream().await;
    let proxy = FaultProxy::start(upstream).expect("start proxy");
    proxy.set_mode(Mode::Drop);

    let mut stream = TcpStream::connect(proxy.addr()).await.expect("connect");
    stream.write_all(b"GET / HTTP/1.1\r\n\r\n").await.expect("write");
    eventually("the connection to be black-holed", || proxy.stats().dropped == 1).await;
    drop(stream);

    eventually("the proxy to notice the client left", || proxy.stats().abandoned == 1).await;
    assert_eq!(upstream_accepts.load(Ordering::SeqCst), 0);
}

#[tokio::test]
async fn a_mode_switch_applies_to_new_connections_only() {
    let (upstream, _) = echo_upstream().await;
    let proxy = FaultProxy::start(upstream).expect("start proxy");

    let mut before = TcpStream::connect(proxy.addr()).await.expect("connect");
    round_trip(&mut before, b"first\n").await;

    proxy.set_mode(Mode::Reset);
    assert_eq!(proxy.mode(), Mode::Reset);
    let (got, ended) = within("the reset", connect_and_read(proxy.addr())).await;
    assert!(got.is_empty());
    assert_reset(&ended, "a connection made after the switch to Reset");
    // The connection made before the switch still works.
    round_trip(&mut before, b"still here\n").await;

    proxy.set_mode(Mode::Pass);
    let mut after = TcpStream::connect(proxy.addr()).await.expect("connect");
    round_trip(&mut after, b"healed\n").await;
    assert_eq!(proxy.fault_log(), vec![Fault::Pass, Fault::Reset, Fault::Pass]);
    let stats = proxy.stats();
    assert_eq!((stats.passed, stats.reset), (2, 1));
}

#[tokio::test]
async fn cut_all_resets_every_open_connection_held_ones_too() {
    let (upstream, _) = echo_upstream().await;
    let proxy = FaultProxy::start(upstream).expect("start proxy");
    let mut a = TcpStream::connect(proxy.addr()).await.expect("connect a");
    let mut b = TcpStream::connect(proxy.addr()).await.expect("connect b");
    round_trip(&mut a, b"a\n").await;
    round_trip(&mut b, b"b\n").await;
    proxy.set_mode(Mode::Drop);
    let held = TcpStream::connect(proxy.addr()).await.expect("connect held");
    eventually("the third connection to be black-holed", || proxy.stats().dropped == 1).await;

    proxy.cut_all();

    for (name, stream) in [("a", a), ("b", b), ("held", held)] {
        let (got, ended) = within("a partition cut", read_to_end_or_error(stream)).await;
        assert!(got.is_empty(), "{name} got bytes after the cut");
        assert_reset(&ended, name);
    }
    assert_eq!(proxy.stats().partition_cuts, 3);
    // A cut is a moment, not a mode: new connections follow the mode again.
    proxy.set_mode(Mode::Pass);
    let mut later = TcpStream::connect(proxy.addr()).await.expect("connect later");
    round_trip(&mut later, b"after the partition\n").await;
}

#[tokio::test]
async fn an_unreachable_upstream_resets_the_client() {
    // Bound but not listening: connections to it are refused, and no other test can take the port.
    let socket = TcpSocket::new_v4().expect("socket");
    socket.bind("127.0.0.1:0".parse().expect("addr")).expect("bind");
    let dead = socket.local_addr().expect("addr");
    let proxy = FaultProxy::start(dead).expect("start proxy");

    let (got, ended) = within("the reset", connect_and_read(proxy.addr())).await;

    assert!(got.is_empty());
    assert_reset(&ended, "no upstream");
    assert_eq!(proxy.stats().upstream_failed, 1);
}

#[tokio::test]
async fn a_client_resetting_mid_stream_does_not_hurt_the_proxy() {
    let upstream = http_upstream(4 << 20).await;
    let proxy = FaultProxy::start(upstream).expect("start proxy");

    let mut rude = TcpStream::connect(proxy.addr()).await.expect("connect");
    rude.write_all(b"GET / HTTP/1.1\r\n\r\n").await.expect("request");
    let mut first = [0u8; 100];
    within("the first bytes", rude.read_exact(&mut first)).await.expect("read");
    rude.set_zero_linger().expect("linger 0");
    drop(rude);

    let mut polite = TcpStream::connect(proxy.addr()).await.expect("connect");
    polite.write_all(b"GET / HTTP/1.1\r\n\r\n").await.expect("request");
    let (got, ended) = within("a whole response", read_to_end_or_error(polite)).await;
    ended.expect("clean end");
    assert!(got == http_response(4 << 20), "second response differs");
}

/// Opens `n` connections one at a time through a fresh proxy in `mode`, and returns the faults it
/// gave them.
async fn faults_for(mode: Mode, n: usize) -> Vec<Fault> {
    let (upstream, _) = echo_upstream().await;
    let proxy = FaultProxy::start(upstream).expect("start proxy");
    proxy.set_mode(mode);
    let mut open = Vec::new();
    for i in 0..n {
        // Kept open so that held and forwarded connections stay as they are; a reset one may
        // already fail in `connect`.
        open.push(TcpStream::connect(proxy.addr()).await);
        // One at a time, so the proxy handles them in the order they were made.
        eventually("the proxy to roll for the connection", || proxy.fault_log().len() == i + 1).await;
    }
    let log = proxy.fault_log();
    let stats = proxy.stats();
    let count = |f: fn(&Fault) -> bool| log.iter().filter(|x| f(x)).count() as u64;
    assert_eq!(stats.passed, count(|f| *f == Fault::Pass));
    assert_eq!(stats.dropped, count(|f| *f == Fault::Drop));
    assert_eq!(stats.reset, count(|f| *f == Fault::Reset));
    assert_eq!(stats.delayed, count(|f| matches!(f, Fault::Delay(_))));
    assert_eq!(stats.cut_armed, count(|f| matches!(f, Fault::CutMidBody { .. })));
    log
}

#[tokio::test]
async fn random_mode_with_the_same_seed_gives_the_same_faults() {
    let mix = FaultMix { pass: 2, drop: 1, reset: 1, delay: 1, delay_by: Duration::from_millis(1), cut_mid_body: 1, cut_after: 0..=64 };
    let mode = |seed| Mode::Random { seed, mix: mix.clone() };

    let first = faults_for(mode(11), 40).await;
    let again = faults_for(mode(11), 40).await;
    let other = faults_for(mode(12), 40).await;

    assert_eq!(first, again);
    assert_ne!(first, other);
    let mut dice = FaultDice::new(mode(11));
    let preview: Vec<Fault> = (0..40).map(|_| dice.roll()).collect();
    assert_eq!(first, preview, "the proxy rolls exactly what the dice preview");
    let distinct: HashSet<_> = first.iter().map(std::mem::discriminant).collect();
    assert_eq!(distinct.len(), 5, "40 rolls over 5 weighted faults used only {} kinds", distinct.len());
}

#[tokio::test]
async fn stats_count_each_fault_that_happened() {
    let upstream = http_upstream(10_000).await;
    let proxy = FaultProxy::start(upstream).expect("start proxy");
    let request = b"GET / HTTP/1.1\r\n\r\n".to_vec();

    for _ in 0..2 {
        let (got, _) = within("a passed response", exchange(proxy.addr(), request.clone())).await;
        assert_eq!(got.len(), http_response(10_000).len());
    }
    proxy.set_mode(Mode::Reset);
    let _ = within("a reset", exchange(proxy.addr(), request.clone())).await;
    proxy.set_mode(Mode::CutMidBody { after_bytes: 500 });
    for _ in 0..3 {
        let (got, _) = within("a cut response", exchange(proxy.addr(), request.clone())).await;
        assert_eq!(got.len(), 500);
    }
    proxy.set_mode(Mode::Delay(Duration::from_millis(1)));
    let _ = within("a delayed response", exchange(proxy.addr(), request.clone())).await;

    let stats = proxy.stats();
    assert_eq!(stats.accepted, 7);
    assert_eq!((stats.passed, stats.reset, stats.cut_armed, stats.cut_mid_body, stats.delayed), (2, 1, 3, 3, 1));
    assert_eq!((stats.dropped, stats.partition_cuts, stats.upstream_failed), (0, 0, 0));
    let full = http_response(10_000).len() as u64;
    assert_eq!(stats.bytes_to_client, 3 * full + 3 * 500);
}

#[tokio::test]
async fn dropping_the_proxy_closes_the_listener_and_its_connections() {
    let (upstream, _) = echo_upstream().await;
    let proxy = FaultProxy::start(upstream).expect("start proxy");
    let addr = proxy.addr();
    let mut open = TcpStream::connect(addr).await.expect("connect");
    round_trip(&mut open, b"alive\n").await;

    drop(proxy);

    let (got, _) = within("the connection to close", read_to_end_or_error(open)).await;
    assert!(got.is_empty());
    let refused = TcpStream::connect(addr).await;
    assert!(refused.is_err(), "the proxy's port still accepts after drop");
}
