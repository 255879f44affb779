//! Waiting for a freshly spawned service to answer HTTP.
//!
//! Deliberately a raw `GET` over [`std::net::TcpStream`]: it needs no HTTP client and no runtime,
//! and it works from a plain `#[test]`.

use std::io::{self, Read, Write};
use std::net::{SocketAddr, TcpStream, ToSocketAddrs};
use std::thread;
use std::time::{Duration, Instant};

/// How long one probe may take, at most.
const PROBE_TIMEOUT: Duration = Duration::from_secs(2);
/// Pause between probes.
const PROBE_INTERVAL: Duration = Duration::from_millis(50);

/// Why [`wait_for_http`] gave up.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum WaitForHttpError {
    /// The URL is not of the form `http://host:port/path`.
    #[error("cannot probe `{url}`: {reason}; give a URL like http://127.0.0.1:7700/health")]
    BadUrl {
        /// The URL as given.
        url: String,
        /// What is wrong with it.
        reason: &'static str,
    },
    /// The host name did not resolve to any address.
    #[error("cannot resolve the host of `{url}`: {source}; use an IP address such as 127.0.0.1")]
    Resolve {
        /// The URL as given.
        url: String,
        /// The resolver's error.
        source: io::Error,
    },
    /// No `200` answer came before the deadline.
    #[error("`{url}` did not answer 200 within {waited:?} (last attempt: {last}); check that the service started and its log")]
    Timeout {
        /// The URL as given.
        url: String,
        /// How long it waited.
        waited: Duration,
        /// What the last probe saw: a connection error or the status line.
        last: String,
    },
}

/// Polls `url` with a minimal `GET` until it answers `200`, or fails after `timeout`.
///
/// Only plain `http://` with an explicit or default (80) port is supported, which is what a test
/// service on loopback listens on. Each probe connects, sends `GET <path> HTTP/1.1` with
/// `Connection: close`, and reads the status line; anything but `200` (refused, reset, `503` while
/// starting) means try again after a short pause.
///
/// This blocks the calling thread; from async code call it through `spawn_blocking`.
///
/// # Errors
/// [`WaitForHttpError::BadUrl`] or [`WaitForHttpError::Resolve`] at once for a URL it cannot use;
/// [`WaitForHttpError::Timeout`] when the service never answered `200`.
pub fn wait_for_http(url: &str, timeout: Duration) -> Result<(), WaitForHttpError> {
    let target = Target::parse(url)?;
    let addrs: Vec<SocketAddr> =
        (target.host.as_str(), target.port).to_socket_addrs().map_err(|source| WaitForHttpError::Resolve { url: url.to_owned(), source })?.collect();
    let started = Instant::now();
    let deadline = started + timeout;
    let mut last = String::from("no attempt made");
    loop {
        for addr in &addrs {
            let left = deadline.saturating_duration_since(Instant::now());
            if left.is_zero() {
                break;
            }
            match probe(*addr, &target, left.min(PROBE_TIMEOUT)) {
                Ok(200) => return Ok(()),
                Ok(status) => last = format!("{addr} answered {status}"),
                Err(e) => last = format!("{addr}: {e}"),
            }
        }
        let left = deadline.saturating_duration_since(Instant::now());
        if left.is_zero() {
            return Err(WaitForHttpError::Timeout { url: url.to_owned(), waited: started.elapsed(), last });
        }
        thread::sleep(left.min(PROBE_INTERVAL));
    }
}

/// The parts of an `http://` URL a probe needs.
#[derive(Debug, PartialEq, Eq)]
struct Target {
    host: String,
    port: u16,
    path: String,
}

impl Target {
    fn parse(url: &str) -> Result<Self, WaitForHttpError> {
        let bad = |reason| WaitForHttpError::BadUrl { url: url.to_owned(), reason };
        let rest = url.strip_prefix("http://").ok_or_else(|| bad("only http:// URLs are supported"))?;
        let (authority, path) = match rest.find('/') {
            Some(i) => (&rest[..i], &rest[i..]),
            None => (rest, "/"),
        };
        if authority.is_empty() {
            return Err(bad("the host is missing"));
        }
        // `[::1]:7700` keeps its colons inside the brackets.
        let (host, port) = match authority.rfind(':') {
            Some(i) if !authority[i..].contains(']') => {
                let port = authority[i + 1..].parse::<u16>().map_err(|_| bad("the port is not a number from 0 to 65535"))?;
                (&authority[..i], port)
            }
            _ => (authority, 80),
        };
        let host = host.trim_start_matches('[').trim_end_matches(']');
        if host.is_empty() {
            return Err(bad("the host is missing"));
        }
        if path.contains(['\r', '\n', ' ']) {
            return Err(bad("the path contains spaces or line breaks"));
        }
        Ok(Self { host: host.to_owned(), port, path: path.to_owned() })
    }
}

/// One `GET`; returns the status code of the answer.
fn probe(addr: SocketAddr, target: &Target, timeout: Duration) -> io::Result<u16> {
    let mut stream = TcpStream::connect_timeout(&addr, timeout)?;
    stream.set_read_timeout(Some(timeout))?;
    stream.set_write_timeout(Some(timeout))?;
    let request = format!("GET {} HTTP/1.1\r\nHost: {}:{}\r\nConnection: close\r\nAccept: */*\r\n\r\n", target.path, target.host, target.port);
    stream.write_all(request.as_bytes())?;
    // The status line is well within the first bytes; read until its line break.
    let mut head = Vec::new();
    let mut buf = [0u8; 256];
    while !head.contains(&b'\n') && head.len() < 4096 {
        let n = stream.read(&mut buf)?;
        if n == 0 {
            break;
        }
        head.extend_from_slice(&buf[..n]);
    }
    let line = head.split(|b| *b == b'\n').next().unwrap_or_default();
    let line = String::from_utf8_lossy(line);
    let mut words = line.split_whitespace();
    match (words.next(), words.next().and_then(|code| code.parse::<u16>().ok())) {
        (Some(version), Some(status)) if version.starts_with("HTTP/") => Ok(status),
        _ => Err(io::Error::new(io::ErrorKind::InvalidData, format!("not an HTTP status line: {:?}", line.trim_end()))),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::net::TcpListener;
    use std::sync::Arc;
    use std::sync::atomic::{AtomicUsize, Ordering};

    /// Answers every request with `status`, counting requests; the first `fail_first` connections
    /// are closed without an answer, like a service still starting.
    fn serve(status: &'static str, fail_first: usize) -> (SocketAddr, Arc<AtomicUsize>) {
        let listener = TcpListener::bind("127.0.0.1:0").expect("bind");
        let addr = listener.local_addr().expect("addr");
        let seen = Arc::new(AtomicUsize::new(0));
        let count = Arc::clone(&seen);
        thread::spawn(move || {
            for stream in listener.incoming() {
                let Ok(mut stream) = stream else { continue };
                let n = count.fetch_add(1, Ordering::SeqCst);
                let mut buf = [0u8; 1024];
                let _ = stream.read(&mut buf);
                if n >= fail_first {
                    let _ = write!(stream, "HTTP/1.1 {status}\r\nContent-Length: 0\r\n\r\n");
                }
            }
        });
        (addr, seen)
    }

    #[test]
    fn returns_once_the_service_answers_200() {
        let (addr, seen) = serve("200 OK", 3);
        wait_for_http(&format!("http://{addr}/health"), Duration::from_secs(30)).expect("service is up");
        assert_eq!(seen.load(Ordering::SeqCst), 4, "three failed probes, then the 200");
    }

    #[test]
    fn keeps_failing_on_other_statuses_and_says_what_it_saw() {
        let (addr, seen) = serve("503 Service Unavailable", 0);
        let err = wait_for_http(&format!("http://{addr}/"), Duration::from_millis(300)).expect_err("never 200");
        match err {
            WaitForHttpError::Timeout { last, .. } => assert!(last.contains("503"), "{last}"),
            other => panic!("unexpected {other:?}"),
        }
        assert!(seen.load(Ordering::SeqCst) >= 1);
    }

    #[test]
    fn refused_connections_time_out() {
        // Bind then drop to get a port nothing listens on (a race here only makes the test pass
        // through a different error).
        let addr = TcpListener::bind("127.0.0.1:0").and_then(|l| l.local_addr()).expect("port");
        let err = wait_for_http(&format!("http://{addr}"), Duration::from_millis(200)).expect_err("nothing listens");
        assert!(matches!(err, WaitForHttpError::Timeout { .. }), "{err:?}");
    }

    #[test]
    fn parses_urls_and_rejects_bad_ones() {
        let t = Target::parse("http://127.0.0.1:7700/health?x=1").expect("url");
        assert_eq!(t, Target { host: "127.0.0.1".into(), port: 7700, path: "/health?x=1".into() });
        let t = Target::parse("http://[::1]:8080").expect("url");
        assert_eq!(t, Target { host: "::1".into(), port: 8080, path: "/".into() });
        assert_eq!(Target::parse("http://localhost").expect("url").port, 80);
        for bad in ["https://127.0.0.1/", "127.0.0.1:80", "http://", "http://:80/", "http://h:99999/", "http://h/a b"] {
            assert!(matches!(wait_for_http(bad, Duration::ZERO), Err(WaitForHttpError::BadUrl { .. })), "{bad}");
        }
    }
}
