//! Connections over real TCP on loopback: the timeouts that cut slow and idle clients, the
//! cap on open connections, the cap on live channels per client address, and a login that
//! completes while slow clients attack (docs/security.md, "Connections").
//!
//! Timeouts are short here (1 to 2 s) through the configuration. No test measures speed: a
//! rule holds when something ends, or completes, within a bound far above what it needs
//! (`BOUND`); the bound only keeps a broken rule from hanging the suite.

use std::io::{BufRead as _, BufReader};
use std::net::SocketAddr;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

use serde_json::{Value, json};
use tokio::io::{AsyncReadExt as _, AsyncWriteExt as _};
use tokio::net::TcpStream;
use tokio::sync::watch;

use crate::browser::Tab;
use crate::common::{Challenge, TestServer};

/// Far above what any step here needs: reaching it means the rule is broken.
const BOUND: Duration = Duration::from_secs(60);

async fn connect(addr: SocketAddr) -> TcpStream {
    TcpStream::connect(addr).await.expect("connects")
}

/// Reads until the server closes the connection (end of stream or reset); what it sent.
/// Panics when the connection is still open after [`BOUND`].
async fn closed_by_server(stream: &mut TcpStream) -> Vec<u8> {
    let mut received = Vec::new();
    let read = async {
        let mut buf = [0u8; 4096];
        loop {
            match stream.read(&mut buf).await {
                Ok(0) | Err(_) => break,
                Ok(n) => received.extend_from_slice(&buf[..n]),
            }
        }
    };
    tokio::time::timeout(BOUND, read)
        .await
        .expect("the server closes the connection");
    received
}

/// One reply read from `stream`: status, head (lower-case) and body (by Content-Length).
async fn read_reply(stream: &mut TcpStream) -> (u16, String, String) {
    let mut data = Vec::new();
    let mut buf = [0u8; 4096];
    let head_end = loop {
        if let Some(end) = data.windows(4).position(|w| w == b"\r\n\r\n") {
            break end + 4;
        }
        let n = tokio::time::timeout(BOUND, stream.read(&mut buf))
            .await
            .expect("a reply comes")
            .expect("read");
        assert!(
            n > 0,
            "closed before a reply: {:?}",
            String::from_utf8_lossy(&data)
        );
        data.extend_from_slice(&buf[..n]);
    };
    let head = String::from_utf8_lossy(&data[..head_end]).to_lowercase();
    let length: usize = head
        .lines()
        .find_map(|l| l.strip_prefix("content-length:"))
        .map_or(0, |v| v.trim().parse().expect("length"));
    while data.len() < head_end + length {
        let n = tokio::time::timeout(BOUND, stream.read(&mut buf))
            .await
            .expect("the body comes")
            .expect("read");
        assert!(n > 0, "closed in the body");
        data.extend_from_slice(&buf[..n]);
    }
    let status = head[9..12].parse().expect("status");
    let body = String::from_utf8_lossy(&data[head_end..head_end + length]).into_owned();
    (status, head, body)
}

/// Sends a GET of `path` (with `headers`, each ending in `\r\n`) on `stream` and reads the
/// reply.
async fn get(stream: &mut TcpStream, path: &str, headers: &str) -> (u16, String, String) {
    let request = format!("GET {path} HTTP/1.1\r\nHost: tigr.test\r\n{headers}\r\n");
    stream.write_all(request.as_bytes()).await.expect("sent");
    read_reply(stream).await
}

/// The value of a metric line `name` (with its labels) in a `/metrics` body.
fn metric(text: &str, name: &str) -> f64 {
    text.lines()
        .find_map(|l| l.strip_prefix(name)?.strip_prefix(' '))
        .unwrap_or_else(|| panic!("{name} in\n{text}"))
        .parse()
        .expect("number")
}

/// A GET of a path outside the API through the test's HTTP client: status and body.
async fn get_text(s: &TestServer, path: &str) -> (u16, String) {
    let response = s.http.get(s.url(path)).send().await.expect("sent");
    let status = response.status().as_u16();
    (status, response.text().await.expect("body"))
}

async fn scrape(addr: SocketAddr) -> String {
    let mut stream = connect(addr).await;
    let (status, _, body) = get(&mut stream, "/metrics", "").await;
    assert_eq!(status, 200);
    body
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn partial_headers_and_idle_connections_are_closed_after_their_timeouts() {
    let s = TestServer::start_with(|c| {
        c.header_timeout = Duration::from_secs(1);
        c.idle_timeout = Duration::from_secs(2);
    })
    .await;
    let addr = s.server.addr;

    // A head that never ends, one more header line every 200 ms (slowloris): cut off
    // without a reply.
    let (mut reader, mut writer) = connect(addr).await.into_split();
    writer
        .write_all(b"GET /healthz HTTP/1.1\r\nHost: tigr.test\r\n")
        .await
        .expect("sent");
    let trickle = tokio::spawn(async move {
        while writer.write_all(b"X-Slow: 1\r\n").await.is_ok() {
            tokio::time::sleep(Duration::from_millis(200)).await;
        }
    });
    let mut received = Vec::new();
    tokio::time::timeout(BOUND, reader.read_to_end(&mut received))
        .await
        .expect("the slow head is cut off")
        .ok();
    assert!(received.is_empty(), "no reply to an unfinished head");
    tokio::time::timeout(BOUND, trickle)
        .await
        .expect("writing fails once closed")
        .expect("task");

    // A connection that never sends anything.
    let mut silent = connect(addr).await;
    assert!(closed_by_server(&mut silent).await.is_empty());

    // A kept-alive connection: its reply, then closed when no next request comes.
    let mut kept = connect(addr).await;
    let (status, head, _) = get(&mut kept, "/healthz", "").await;
    assert_eq!(status, 200);
    assert!(!head.contains("connection: close"), "kept alive: {head}");
    assert!(closed_by_server(&mut kept).await.is_empty());

    // A long poll waits longer than the idle timeout: it is never cut, and the connection
    // closes only once it is idle after the reply.
    let c = s.challenge().await;
    let mut polling = connect(addr).await;
    let (status, _, body) = get(
        &mut polling,
        &format!("/api/v1/login/challenges/{}/status?wait=3", c.id),
        &format!("x-tigr-browser-token: {}\r\n", c.token),
    )
    .await;
    assert_eq!(status, 200, "{body}");
    assert!(body.contains("\"pending\""), "{body}");
    assert!(closed_by_server(&mut polling).await.is_empty());

    let metrics = scrape(addr).await;
    assert!(metric(&metrics, "tigr_connection_timeouts_total{phase=\"header\"}") >= 1.0);
    assert!(metric(&metrics, "tigr_connection_timeouts_total{phase=\"idle\"}") >= 3.0);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_client_that_does_not_read_its_replies_is_cut_off() {
    let s = TestServer::start_with(|c| c.idle_timeout = Duration::from_secs(2)).await;
    let addr = s.server.addr;
    // A small receive window, and 600 requests for a 15 KB script sent at once: about 9 MB
    // of replies, more than the kernel buffers hold, that the client never reads.
    let socket = tokio::net::TcpSocket::new_v4().expect("socket");
    socket.set_recv_buffer_size(4096).expect("buffer size");
    let mut stalled = socket.connect(addr).await.expect("connects");
    let requests = "GET /static/login.js HTTP/1.1\r\nHost: tigr.test\r\n\r\n".repeat(600);
    stalled.write_all(requests.as_bytes()).await.expect("sent");
    tokio::time::timeout(BOUND, async {
        while metric(
            &scrape(addr).await,
            "tigr_connection_timeouts_total{phase=\"write\"}",
        ) < 1.0
        {
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
    })
    .await
    .expect("the reply the client does not read ends its connection");
    // What the kernel had buffered, then the end.
    let received = closed_by_server(&mut stalled).await;
    assert!(received.len() < 600 * 15_000, "{} bytes", received.len());
}

#[tokio::test]
async fn a_slow_body_gets_408_and_an_announced_oversized_body_413_at_once() {
    let s = TestServer::start_with(|c| c.body_timeout = Duration::from_secs(1)).await;
    let addr = s.server.addr;
    // 100 bytes announced, 2 sent, then nothing.
    let mut slow = connect(addr).await;
    slow.write_all(
        b"POST /api/v1/login/challenges HTTP/1.1\r\nHost: tigr.test\r\n\
          Content-Type: application/json\r\nAccept-Language: en\r\n\
          Content-Length: 100\r\n\r\n{}",
    )
    .await
    .expect("sent");
    let (status, head, body) = read_reply(&mut slow).await;
    assert_eq!(status, 408, "{head}{body}");
    assert!(head.contains("connection: close"), "{head}");
    let body: Value = serde_json::from_str(&body).expect("JSON");
    assert_eq!(body["error"], "invalid_request");
    assert_eq!(
        body["message"],
        "The request arrived too slowly: the connection is closed. Please try again."
    );
    closed_by_server(&mut slow).await;

    // A body announced at 10^12 bytes is refused before anything of it is read.
    let mut huge = connect(addr).await;
    huge.write_all(
        b"POST /api/v1/login/challenges HTTP/1.1\r\nHost: tigr.test\r\n\
          Content-Type: application/json\r\nContent-Length: 1000000000000\r\n\r\n{}",
    )
    .await
    .expect("sent");
    let (status, head, body) = read_reply(&mut huge).await;
    assert_eq!(status, 413, "{head}{body}");
    assert!(head.contains("connection: close"), "{head}");
    closed_by_server(&mut huge).await;

    // A body that comes whole in time is served as ever.
    let (status, body) = s.post("/login/challenges", &json!({}), None).await;
    assert_eq!(status, 201, "{body}");
    let metrics = scrape(addr).await;
    assert_eq!(
        metric(&metrics, "tigr_connection_timeouts_total{phase=\"body\"}"),
        1.0
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn beyond_the_cap_new_connections_wait_while_admitted_ones_are_served() {
    let s = TestServer::start_with(|c| {
        c.max_connections = Some(5);
        c.idle_timeout = Duration::from_secs(120);
    })
    .await;
    let addr = s.server.addr;
    let mut admitted = Vec::new();
    for _ in 0..5 {
        let mut stream = connect(addr).await;
        assert_eq!(get(&mut stream, "/healthz", "").await.0, 200);
        admitted.push(stream);
    }
    // The sixth connection is made (the kernel queues it) but not served.
    let mut waiting = connect(addr).await;
    waiting
        .write_all(b"GET /healthz HTTP/1.1\r\nHost: tigr.test\r\n\r\n")
        .await
        .expect("sent");
    let mut byte = [0u8; 1];
    assert!(
        tokio::time::timeout(Duration::from_millis(500), waiting.read(&mut byte))
            .await
            .is_err(),
        "the sixth connection is not served while five are open"
    );
    // The admitted ones are served as ever.
    for stream in &mut admitted {
        assert_eq!(get(stream, "/healthz", "").await.0, 200);
    }
    let metrics = {
        let (status, _, body) = get(&mut admitted[0], "/metrics", "").await;
        assert_eq!(status, 200);
        body
    };
    assert_eq!(metric(&metrics, "tigr_connections_max"), 5.0);
    assert_eq!(metric(&metrics, "tigr_connections_open"), 5.0);
    assert!(metric(&metrics, "tigr_connection_cap_reached_total") >= 1.0);
    // One closes: the sixth gets its reply.
    drop(admitted.pop());
    let (status, _, _) = read_reply(&mut waiting).await;
    assert_eq!(status, 200);
}

/// Slow clients: `count` connections that each send an unfinished request head and one
/// more header line every 200 ms; each connection the server closes is opened again, until
/// `stop`. Counts the connections the server closed.
fn slowloris(
    addr: SocketAddr,
    count: usize,
    stop: watch::Receiver<bool>,
) -> (Arc<AtomicU64>, Vec<tokio::task::JoinHandle<()>>) {
    let closed = Arc::new(AtomicU64::new(0));
    let tasks = (0..count)
        .map(|_| {
            let closed = Arc::clone(&closed);
            let mut stop = stop.clone();
            tokio::spawn(async move {
                while !*stop.borrow() {
                    let Ok(mut stream) = TcpStream::connect(addr).await else {
                        tokio::time::sleep(Duration::from_millis(50)).await;
                        continue;
                    };
                    let mut line: &[u8] = b"GET /healthz HTTP/1.1\r\nHost: tigr.test\r\n";
                    let mut buf = [0u8; 64];
                    loop {
                        if stream.write_all(line).await.is_err() {
                            break;
                        }
                        line = b"X-Slow: 1\r\n";
                        tokio::select! {
                            read = stream.read(&mut buf) => if matches!(read, Ok(0) | Err(_)) { break },
                            () = tokio::time::sleep(Duration::from_millis(200)) => {}
                            _ = stop.changed() => return,
                        }
                    }
                    closed.fetch_add(1, Ordering::Relaxed);
                }
            })
        })
        .collect();
    (closed, tasks)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_qr_login_completes_while_slow_clients_hold_every_connection_slot() {
    const ATTACKERS: usize = 200;
    let s = TestServer::start_with(|c| {
        c.max_connections = Some(100);
        c.header_timeout = Duration::from_secs(1);
        c.idle_timeout = Duration::from_secs(10);
    })
    .await;
    let addr = s.server.addr;
    let phone = s.enroll("alice").await;
    let (stop, stopped) = watch::channel(false);
    let (closed, attackers) = slowloris(addr, ATTACKERS, stopped);
    // Twice as many slow clients as slots: the cap is full of them.
    tokio::time::timeout(BOUND, async {
        while closed.load(Ordering::Relaxed) == 0 {
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
    })
    .await
    .expect("the attack is under way");

    let login = async {
        let (status, body) = get_text(&s, "/healthz").await;
        assert_eq!(status, 200, "{body}");
        // The browser shows the QR, the phone reads the context and approves, the browser
        // learns it from its long poll and opens its session.
        let mut tab = Tab::new(&s);
        let page = tab.login_page("").await;
        let c: &Challenge = &page.challenge;
        let (status, context) = s
            .post(
                &format!("/login/challenges/{}/context", c.id),
                &json!({ "nonce": c.nonce }),
                None,
            )
            .await;
        assert_eq!(status, 200, "{context}");
        let (status, body) = s.respond(c, &phone.approve(s.origin(), c)).await;
        assert_eq!(status, 200, "{body}");
        let state = tab.get(&format!("/login/status/{}?wait=10", c.id)).await;
        assert_eq!(state.status, 200, "{}", state.body);
        assert_eq!(state.json()["state"], "approved");
        let done = tab.complete(&page, "").await;
        assert_eq!(done.status, 200, "{}", done.body);
        let session = tab.get("/session").await;
        assert_eq!(session.status, 200);
        assert!(session.body.contains("alice"), "{}", session.body);
    };
    tokio::time::timeout(BOUND, login)
        .await
        .expect("the login completes during the attack");

    // Every slow client is cut off by the header timeout, again and again.
    tokio::time::timeout(BOUND, async {
        while closed.load(Ordering::Relaxed) < ATTACKERS as u64 {
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
    })
    .await
    .expect("the slow clients are cut off");
    stop.send(true).expect("stop");
    for attacker in attackers {
        attacker.await.expect("attacker");
    }
    // The server counts a timeout once the connection is closed, so the count may follow
    // the last close the attackers saw by a moment.
    let header_timeouts = "tigr_connection_timeouts_total{phase=\"header\"}";
    let metrics = tokio::time::timeout(BOUND, async {
        loop {
            let metrics = scrape(addr).await;
            if metric(&metrics, header_timeouts) >= ATTACKERS as f64 {
                return metrics;
            }
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
    })
    .await
    .expect("every slow client is counted as a header timeout");
    assert!(metric(&metrics, "tigr_connection_cap_reached_total") >= 1.0);
    assert_eq!(metric(&metrics, "tigr_connections_max"), 100.0);
    assert_eq!(metric(&metrics, "tigr_accept_errors_total"), 0.0);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn live_channels_are_capped_per_client_address() {
    let s = TestServer::start_with(|c| {
        c.max_live_per_client = Some(2);
        c.trust_proxy = true;
    })
    .await;
    let phone = s.enroll("bob").await;
    let c = s.challenge().await;
    let status_path = format!("/login/challenges/{}/status?wait=30", c.id);
    let long_poll = |forwarded: &'static str| {
        s.http
            .get(s.api(&status_path))
            .header("x-tigr-browser-token", &c.token)
            .header("x-forwarded-for", forwarded)
            .send()
    };
    // Two long polls from 192.0.2.7 wait; a third is refused with a reason.
    let first = tokio::spawn(long_poll("192.0.2.7"));
    let second = tokio::spawn(long_poll("192.0.2.7"));
    tokio::time::timeout(BOUND, async {
        while !get_text(&s, "/metrics")
            .await
            .1
            .contains("\ntigr_live_channels 2\n")
        {
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
    })
    .await
    .expect("both long polls wait");
    let refused = long_poll("192.0.2.7").await.expect("sent");
    assert_eq!(refused.status(), 429);
    assert_eq!(refused.headers()["retry-after"], "10");
    let body: Value = refused.json().await.expect("JSON");
    assert_eq!(body["error"], "rate_limited");
    assert!(
        body["message"]
            .as_str()
            .is_some_and(|m| m.starts_with("Trop de connexions en attente depuis votre adresse")),
        "{body}"
    );
    // The login page's event stream counts too.
    let mut tab = Tab::new(&s);
    let page = tab.login_page("").await;
    let events = tab
        .http
        .get(s.url(&format!("/login/events/{}", page.challenge.id)))
        .header("cookie", tab.cookie_header())
        .header("x-forwarded-for", "192.0.2.7")
        .send()
        .await
        .expect("sent");
    assert_eq!(events.status(), 429);
    // Another address is another client.
    let other = long_poll("192.0.2.8");
    // The login decided, the long polls answer and free their places.
    let (status, body) = s.respond(&c, &phone.approve(s.origin(), &c)).await;
    assert_eq!(status, 200, "{body}");
    for poll in [first, second] {
        let reply = tokio::time::timeout(BOUND, poll)
            .await
            .expect("answered")
            .expect("task")
            .expect("reply");
        assert_eq!(reply.status(), 200);
    }
    assert_eq!(other.await.expect("reply").status(), 200);
    let again = long_poll("192.0.2.7").await.expect("sent");
    assert_eq!(again.status(), 200, "places are freed");
    let (_, metrics) = get_text(&s, "/metrics").await;
    assert_eq!(metric(&metrics, "tigr_live_channels_refused_total"), 2.0);
}

/// `tigr-server` run as a process under the open-file limits `soft` and `hard`, with the
/// extra environment `env`.
struct ServerProcess {
    child: std::process::Child,
    addr: SocketAddr,
    log: Arc<std::sync::Mutex<Vec<String>>>,
    _dir: tempfile::TempDir,
}

impl ServerProcess {
    fn start((soft, hard): (u32, u32), env: &[(&str, &str)]) -> Self {
        let dir = tempfile::tempdir().expect("tempdir");
        let mut command = std::process::Command::new("sh");
        command
            .arg("-c")
            .arg(format!(
                "ulimit -Sn {soft} && ulimit -Hn {hard} && exec {}",
                env!("CARGO_BIN_EXE_tigr-server")
            ))
            .env("TIGR_LISTEN", "127.0.0.1:0")
            .env(
                "TIGR_DATABASE_URL",
                format!("sqlite://{}", dir.path().join("tigr.db").display()),
            )
            .env("TIGR_MASTER_KEY_FILE", dir.path().join("master.key"))
            .env("TIGR_LOG", "info")
            .stdout(std::process::Stdio::null())
            .stderr(std::process::Stdio::piped());
        for (name, value) in env {
            command.env(name, value);
        }
        let mut child = command.spawn().expect("tigr-server starts");
        let stderr = child.stderr.take().expect("stderr");
        let log = Arc::new(std::sync::Mutex::new(Vec::new()));
        let (found, address) = std::sync::mpsc::channel();
        let lines = Arc::clone(&log);
        std::thread::spawn(move || {
            for line in BufReader::new(stderr).lines().map_while(Result::ok) {
                if let Some(rest) = line.split("listening on http://").nth(1) {
                    let addr = rest.split_whitespace().next().unwrap_or("").to_owned();
                    let _ = found.send(addr);
                }
                lines.lock().expect("log").push(line);
            }
        });
        let addr = address
            .recv_timeout(BOUND)
            .expect("the server says where it listens")
            .parse()
            .expect("address");
        Self {
            child,
            addr,
            log,
            _dir: dir,
        }
    }

    fn log(&self) -> String {
        self.log.lock().expect("log").join("\n")
    }
}

impl Drop for ServerProcess {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// The name and nice value of each thread of process `pid` (Linux's /proc).
#[cfg(target_os = "linux")]
fn threads_nice(pid: u32) -> Vec<(String, i32)> {
    let tasks = std::fs::read_dir(format!("/proc/{pid}/task")).expect("/proc/PID/task");
    tasks
        .map(|task| {
            let task = task.expect("task").path();
            let name = std::fs::read_to_string(task.join("comm")).expect("comm");
            let stat = std::fs::read_to_string(task.join("stat")).expect("stat");
            // Fields after the name's closing parenthesis start at the 3rd; nice is the 19th.
            let after_name = stat.rsplit_once(") ").expect("stat fields").1;
            let nice = after_name.split(' ').nth(16).expect("nice field");
            (name.trim().to_owned(), nice.parse().expect("a number"))
        })
        .collect()
}

#[cfg(target_os = "linux")]
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_request_threads_give_way_to_the_database_threads() {
    for (setting, steps) in [(None, 10), (Some("3"), 3), (Some("0"), 0)] {
        let env: Vec<_> = setting
            .map(|n| ("TIGR_WORKER_NICE", n))
            .into_iter()
            .collect();
        let server = ServerProcess::start((1024, 1024), &env);
        let threads = threads_nice(server.child.id());
        let process = threads
            .iter()
            .find(|(name, _)| name == "tigr-server")
            .expect("the main thread")
            .1;
        let of = |prefix: &str| -> Vec<i32> {
            threads
                .iter()
                .filter(|(name, _)| name.starts_with(prefix))
                .map(|(_, nice)| *nice)
                .collect()
        };
        let (database, workers) = (of("sqlx-sqlite"), of("tokio-"));
        assert!(database.len() >= 2, "writer and readers: {threads:?}");
        assert!(!workers.is_empty(), "{threads:?}");
        assert!(
            database.iter().all(|&nice| nice == process),
            "the database's threads keep the process's priority: {threads:?}"
        );
        let lowered = (process + steps).min(19);
        assert!(
            workers.iter().all(|&nice| nice == lowered),
            "{setting:?}: request threads {steps} steps lower: {threads:?}\n{}",
            server.log()
        );
    }
}

/// Opens `count` connections to `addr` that send nothing (the kernel's listen queue holds
/// those the server has not accepted).
async fn idle_connections(addr: SocketAddr, count: usize) -> Vec<TcpStream> {
    let mut streams = Vec::with_capacity(count);
    for _ in 0..count {
        streams.push(connect(addr).await);
    }
    streams
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn idle_connections_beyond_the_open_file_limit_never_stop_the_health_check() {
    // 1,100 idle connections under a 1,024-descriptor limit (the soft limit of 512 is raised
    // to the hard one at start): the cap sized from the limit (768) keeps descriptors for
    // the database, the excess waits, the idle ones are closed.
    let server = ServerProcess::start((512, 1024), &[("TIGR_IDLE_TIMEOUT", "2")]);
    let idle = idle_connections(server.addr, 1100).await;
    let health = async {
        let mut stream = connect(server.addr).await;
        get(&mut stream, "/healthz", "").await
    };
    let (status, _, body) = tokio::time::timeout(BOUND, health)
        .await
        .expect("the health check answers");
    assert_eq!(status, 200, "{body}");
    // Every idle connection is served in turn and closed by the idle timeout (the first
    // 768, then those that waited in the listen queue), none refused for want of descriptors.
    let metrics = tokio::time::timeout(BOUND, async {
        loop {
            let metrics = scrape(server.addr).await;
            if metric(&metrics, "tigr_connection_timeouts_total{phase=\"idle\"}") >= 1100.0 {
                return metrics;
            }
            tokio::time::sleep(Duration::from_millis(200)).await;
        }
    })
    .await
    .expect("every idle connection is closed");
    assert_eq!(metric(&metrics, "tigr_connections_max"), 768.0);
    assert_eq!(metric(&metrics, "tigr_accept_errors_total"), 0.0);
    drop(idle);
    let log = server.log();
    assert!(
        log.contains("open-file limit raised from 512 to 1024"),
        "{log}"
    );
    assert!(log.contains("at most 768 connections at once"), "{log}");
    assert!(!log.contains("Too many open files"), "{log}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn running_out_of_descriptors_backs_off_and_recovers() {
    // A cap above what the limit allows: accepting fails with "too many open files" until
    // idle connections close. The loop backs off instead of spinning, and goes on.
    let server = ServerProcess::start(
        (256, 256),
        &[("TIGR_MAX_CONNECTIONS", "1000"), ("TIGR_IDLE_TIMEOUT", "3")],
    );
    let idle = idle_connections(server.addr, 400).await;
    let health = async {
        let mut stream = connect(server.addr).await;
        get(&mut stream, "/healthz", "").await
    };
    let (status, _, _) = tokio::time::timeout(BOUND, health)
        .await
        .expect("the health check answers once descriptors are free again");
    assert_eq!(status, 200);
    let metrics = scrape(server.addr).await;
    let errors = metric(&metrics, "tigr_accept_errors_total");
    // Backing off from 10 ms to 1 s while the descriptors stay taken (3 s): a dozen
    // failures, where a loop without pause would fail thousands of times.
    assert!((1.0..100.0).contains(&errors), "{errors} accept errors");
    drop(idle);
    let log = server.log();
    assert!(
        log.contains("is above what the open-file limit (256) leaves"),
        "{log}"
    );
    let warnings = log.matches("cannot accept connections; retrying").count();
    assert!((1..=2).contains(&warnings), "{warnings} warnings:\n{log}");
}
