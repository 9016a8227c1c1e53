//! Plain HTTP/1.1 client connections for the load generator: one TCP connection per role of a
//! virtual user (browser page, browser live channel, phone), kept alive across flows, with
//! `TCP_NODELAY`, no pool and no TLS (loopback only).

use std::net::SocketAddr;

use anyhow::Context as _;
use bytes::Bytes;
use http_body_util::{BodyExt as _, Full};
use hyper::body::Incoming;
use hyper::client::conn::http1::{self, SendRequest};
use hyper::header::{CONTENT_TYPE, HOST, HeaderMap, HeaderName, HeaderValue};
use hyper::{Method, Request, Response, StatusCode};
use hyper_util::rt::TokioIo;
use tigr_core::wire::BROWSER_TOKEN_HEADER;
use tokio::net::TcpStream;

/// A status, the headers and a fully read body.
#[derive(Debug)]
pub struct Reply {
    /// HTTP status.
    pub status: StatusCode,
    /// Response headers (`location`, `set-cookie`, ...).
    pub headers: HeaderMap,
    /// Body bytes.
    pub body: Bytes,
}

/// A request body with its content type.
#[derive(Debug)]
pub struct Body {
    /// `content-type` header.
    pub content_type: &'static str,
    /// The bytes.
    pub bytes: Vec<u8>,
}

impl Body {
    /// A JSON body.
    pub fn json(bytes: Vec<u8>) -> Self {
        Self {
            content_type: "application/json",
            bytes,
        }
    }

    /// An `application/x-www-form-urlencoded` body of `fields` (already encoded).
    pub fn form(fields: &[(&str, &str)]) -> Self {
        let encoded: Vec<String> = fields.iter().map(|(k, v)| format!("{k}={v}")).collect();
        Self {
            content_type: "application/x-www-form-urlencoded",
            bytes: encoded.join("&").into_bytes(),
        }
    }
}

/// One keep-alive connection to the server, reopened when the server closed it or when a
/// request was abandoned half-way.
pub struct Conn {
    addr: SocketAddr,
    host: HeaderValue,
    sender: Option<SendRequest<Full<Bytes>>>,
}

impl std::fmt::Debug for Conn {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Conn")
            .field("addr", &self.addr)
            .field("open", &self.sender.is_some())
            .finish()
    }
}

impl Conn {
    /// A connection to `addr` (opened on first use); `host` is sent as the Host header.
    pub fn new(addr: SocketAddr, host: &str) -> anyhow::Result<Self> {
        Ok(Self {
            addr,
            host: HeaderValue::from_str(host).context("Host header")?,
            sender: None,
        })
    }

    /// Forgets the connection (after a request was abandoned, its state is unknown).
    pub fn reset(&mut self) {
        self.sender = None;
    }

    async fn ready(&mut self) -> anyhow::Result<&mut SendRequest<Full<Bytes>>> {
        let usable = match self.sender.as_mut() {
            Some(sender) => sender.ready().await.is_ok(),
            None => false,
        };
        if !usable {
            let stream = TcpStream::connect(self.addr)
                .await
                .with_context(|| format!("connect {}", self.addr))?;
            stream.set_nodelay(true)?;
            let (sender, connection) = http1::handshake(TokioIo::new(stream)).await?;
            tokio::spawn(async move {
                let _ = connection.await;
            });
            self.sender = Some(sender);
        }
        Ok(self.sender.as_mut().expect("connected above"))
    }

    /// Sends a request and returns the response head; the body is left to the caller
    /// (a server-sent event stream is read as it comes).
    pub async fn send(
        &mut self,
        method: Method,
        path: &str,
        token: Option<&str>,
        body: Option<Vec<u8>>,
    ) -> anyhow::Result<Response<Incoming>> {
        let headers: Vec<(HeaderName, &str)> = token
            .map(|t| (HeaderName::from_static(BROWSER_TOKEN_HEADER), t))
            .into_iter()
            .collect();
        self.send_with(method, path, &headers, body.map(Body::json))
            .await
    }

    /// Sends a request with `headers` and an optional body; returns the response head.
    pub async fn send_with(
        &mut self,
        method: Method,
        path: &str,
        headers: &[(HeaderName, &str)],
        body: Option<Body>,
    ) -> anyhow::Result<Response<Incoming>> {
        let mut request = Request::builder()
            .method(method)
            .uri(path)
            .header(HOST, self.host.clone());
        for (name, value) in headers {
            request = request.header(name, *value);
        }
        let body = match body {
            Some(body) => {
                request = request.header(CONTENT_TYPE, body.content_type);
                Full::new(Bytes::from(body.bytes))
            }
            None => Full::new(Bytes::new()),
        };
        let request = request.body(body)?;
        let sender = self.ready().await?;
        match sender.send_request(request).await {
            Ok(response) => Ok(response),
            Err(error) => {
                self.sender = None;
                Err(error.into())
            }
        }
    }

    /// Sends a request and reads the whole reply.
    pub async fn call(
        &mut self,
        method: Method,
        path: &str,
        token: Option<&str>,
        body: Option<Vec<u8>>,
    ) -> anyhow::Result<Reply> {
        let response = self.send(method, path, token, body).await?;
        self.read(response).await
    }

    /// [`Conn::send_with`], then reads the whole reply.
    pub async fn call_with(
        &mut self,
        method: Method,
        path: &str,
        headers: &[(HeaderName, &str)],
        body: Option<Body>,
    ) -> anyhow::Result<Reply> {
        let response = self.send_with(method, path, headers, body).await?;
        self.read(response).await
    }

    async fn read(&mut self, response: Response<Incoming>) -> anyhow::Result<Reply> {
        let (head, body) = response.into_parts();
        match body.collect().await {
            Ok(collected) => Ok(Reply {
                status: head.status,
                headers: head.headers,
                body: collected.to_bytes(),
            }),
            Err(error) => {
                self.sender = None;
                Err(error.into())
            }
        }
    }
}

/// The server's count of offline-code replies that left later than their paced time
/// (`tigr_offline_replies_late_total` in `GET /metrics`).
pub async fn late_offline_replies(conn: &mut Conn) -> anyhow::Result<u64> {
    let reply = conn.call(Method::GET, "/metrics", None, None).await?;
    if reply.status != StatusCode::OK {
        anyhow::bail!("GET /metrics: {}", reply.status);
    }
    let text = std::str::from_utf8(&reply.body).context("/metrics is not UTF-8")?;
    let value = text
        .lines()
        .find_map(|line| line.strip_prefix("tigr_offline_replies_late_total "))
        .context("tigr_offline_replies_late_total in /metrics")?;
    Ok(value.trim().parse()?)
}

/// Reads a `text/event-stream` body until an event reports a final login state (approved,
/// denied, expired) and returns that state's name. Accepts `event: <state>` lines and
/// `data:` lines holding either a status JSON object (`{"state": ...}`) or the bare state.
pub async fn read_sse_until_final(body: &mut Incoming) -> anyhow::Result<String> {
    let mut buffer: Vec<u8> = Vec::new();
    loop {
        let Some(frame) = body.frame().await else {
            anyhow::bail!("event stream ended before a final state");
        };
        let frame = frame?;
        let Ok(data) = frame.into_data() else {
            continue;
        };
        buffer.extend_from_slice(&data);
        while let Some(end) = find_event_end(&buffer) {
            let event: Vec<u8> = buffer.drain(..end.0 + end.1).collect();
            if let Some(state) = final_state_of(&event[..end.0]) {
                return Ok(state);
            }
        }
    }
}

/// Position and length of the first blank-line separator.
fn find_event_end(buffer: &[u8]) -> Option<(usize, usize)> {
    let lf = buffer.windows(2).position(|w| w == b"\n\n").map(|p| (p, 2));
    let crlf = buffer
        .windows(4)
        .position(|w| w == b"\r\n\r\n")
        .map(|p| (p, 4));
    match (lf, crlf) {
        (Some(a), Some(b)) => Some(if a.0 <= b.0 { a } else { b }),
        (a, b) => a.or(b),
    }
}

fn final_state_of(event: &[u8]) -> Option<String> {
    const FINAL: [&str; 3] = ["approved", "denied", "expired"];
    let text = std::str::from_utf8(event).ok()?;
    for line in text.lines() {
        let line = line.trim_end_matches('\r');
        if let Some(name) = line.strip_prefix("event:") {
            let name = name.trim();
            if FINAL.contains(&name) {
                return Some(name.to_owned());
            }
        } else if let Some(data) = line.strip_prefix("data:") {
            let data = data.trim();
            let state = serde_json::from_str::<serde_json::Value>(data)
                .ok()
                .and_then(|v| v.get("state").and_then(|s| s.as_str()).map(str::to_owned))
                .unwrap_or_else(|| data.trim_matches('"').to_owned());
            if FINAL.contains(&state.as_str()) {
                return Some(state);
            }
        }
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sse_events() {
        assert_eq!(find_event_end(b"data: x\n\nrest"), Some((7, 2)));
        assert_eq!(find_event_end(b"data: x\r\n\r\n"), Some((7, 4)));
        assert_eq!(
            final_state_of(b"event: status\ndata: {\"state\":\"approved\"}"),
            Some("approved".into())
        );
        assert_eq!(final_state_of(b"event: denied"), Some("denied".into()));
        assert_eq!(final_state_of(b"data: scanned"), None);
        assert_eq!(final_state_of(b": keep-alive"), None);
    }
}
