//! A cookie-keeping HTTP client that behaves like a browser tab seen from the server: the
//! login page, its CSRF token, completion into a session. Shared by the web page suites
//! (`api/web.rs`, `admin/web_pages.rs`).

use std::collections::HashMap;

use reqwest::header::{HeaderMap, HeaderValue};
use reqwest::redirect::Policy;
use tigr_core::payload::QrPayload;

use crate::common::{Challenge, Phone, TestServer};

pub const CHROME_UA: &str = "Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) \
                         Chrome/131.0.0.0 Safari/537.36";

/// A cookie-keeping client that does not follow redirects, like a browser tab seen from the
/// server.
pub struct Tab {
    pub http: reqwest::Client,
    pub base: String,
    pub cookies: HashMap<String, String>,
    pub lang: Option<&'static str>,
}

/// A reply: status, headers, body.
pub struct Reply {
    pub status: u16,
    pub headers: HeaderMap,
    pub body: String,
}

impl Reply {
    pub fn header(&self, name: &str) -> &str {
        self.headers
            .get(name)
            .and_then(|v| v.to_str().ok())
            .unwrap_or("")
    }

    pub fn set_cookies(&self) -> Vec<String> {
        self.headers
            .get_all("set-cookie")
            .iter()
            .filter_map(|v| v.to_str().ok().map(str::to_owned))
            .collect()
    }

    pub fn json(&self) -> serde_json::Value {
        serde_json::from_str(&self.body).unwrap_or(serde_json::Value::Null)
    }
}

/// The login page as its script sees it.
pub struct LoginPage {
    pub challenge: Challenge,
    pub csrf: String,
    pub html: String,
}

pub fn attr(html: &str, name: &str) -> String {
    let start = html
        .find(&format!("{name}=\""))
        .unwrap_or_else(|| panic!("attribute {name} in the page"))
        + name.len()
        + 2;
    let end = start + html[start..].find('"').expect("closing quote");
    unescape(&html[start..end])
}

pub fn unescape(text: &str) -> String {
    text.replace("&#x2f;", "/")
        .replace("&#x27;", "'")
        .replace("&quot;", "\"")
        .replace("&lt;", "<")
        .replace("&gt;", ">")
        .replace("&amp;", "&")
}

impl Tab {
    pub fn new(s: &TestServer) -> Self {
        Self {
            http: reqwest::Client::builder()
                .redirect(Policy::none())
                .build()
                .expect("client"),
            base: s.url(""),
            cookies: HashMap::new(),
            lang: None,
        }
    }

    pub fn cookie_header(&self) -> String {
        self.cookies
            .iter()
            .map(|(k, v)| format!("{k}={v}"))
            .collect::<Vec<_>>()
            .join("; ")
    }

    pub async fn send(&mut self, request: reqwest::RequestBuilder) -> Reply {
        let mut request = request.header("user-agent", CHROME_UA);
        if !self.cookies.is_empty() {
            request = request.header("cookie", self.cookie_header());
        }
        if let Some(lang) = self.lang {
            request = request.header("accept-language", lang);
        }
        let response = request.send().await.expect("request sent");
        let status = response.status().as_u16();
        let headers = response.headers().clone();
        let body = response.text().await.unwrap_or_default();
        let reply = Reply {
            status,
            headers,
            body,
        };
        for cookie in reply.set_cookies() {
            let pair = cookie.split(';').next().unwrap_or("");
            if let Some((name, value)) = pair.split_once('=') {
                if value.is_empty() || cookie.contains("Max-Age=0") {
                    self.cookies.remove(name);
                } else {
                    self.cookies.insert(name.to_owned(), value.to_owned());
                }
            }
        }
        reply
    }

    pub async fn get(&mut self, path: &str) -> Reply {
        let request = self.http.get(format!("{}{path}", self.base));
        self.send(request).await
    }

    /// A form post as the page's script makes it (same origin, JSON reply).
    pub async fn post(&mut self, path: &str, fields: &[(&str, &str)], csrf: Option<&str>) -> Reply {
        let mut request = self
            .http
            .post(format!("{}{path}", self.base))
            .header("origin", self.base.trim_end_matches('/'))
            .header("accept", "application/json")
            .header(
                "content-type",
                HeaderValue::from_static("application/x-www-form-urlencoded"),
            )
            .body(serde_urlencoded::to_string(fields).expect("form"));
        if let Some(csrf) = csrf {
            request = request.header("x-csrf-token", csrf);
        }
        self.send(request).await
    }

    /// A plain HTML form post, as a browser sends it when a form is submitted: the fields
    /// (the CSRF token among them) and the `Origin` of the page (`None`: no Origin header,
    /// `Some(other)`: a post from another site).
    pub async fn submit(
        &mut self,
        path: &str,
        fields: &[(&str, &str)],
        origin: Option<&str>,
    ) -> Reply {
        let mut request = self
            .http
            .post(format!("{}{path}", self.base))
            .header(
                "content-type",
                HeaderValue::from_static("application/x-www-form-urlencoded"),
            )
            .body(serde_urlencoded::to_string(fields).expect("form"));
        if let Some(origin) = origin {
            request = request.header("origin", origin);
        }
        self.send(request).await
    }

    /// This server's origin, as its pages' `Origin` header says it.
    pub fn origin(&self) -> String {
        self.base.trim_end_matches('/').to_owned()
    }

    pub async fn login_page(&mut self, query: &str) -> LoginPage {
        let reply = self.get(&format!("/login{query}")).await;
        assert_eq!(reply.status, 200, "{}", reply.body);
        let payload = attr(
            &reply.body,
            "id=\"demo-payload\" type=\"text\" readonly value",
        );
        let QrPayload::Login(qr) = QrPayload::parse(&payload).expect("payload") else {
            panic!("not a login payload");
        };
        assert_eq!(attr(&reply.body, "data-challenge"), qr.challenge_id);
        LoginPage {
            challenge: Challenge {
                id: qr.challenge_id,
                nonce: qr.nonce,
                token: self
                    .cookies
                    .get("tigr_login")
                    .cloned()
                    .expect("login cookie"),
                expires_at: qr.expires_at,
            },
            csrf: attr(&reply.body, "data-csrf"),
            html: reply.body,
        }
    }

    pub async fn complete(&mut self, page: &LoginPage, return_to: &str) -> Reply {
        self.post(
            "/login/complete",
            &[("challenge_id", &page.challenge.id), ("return", return_to)],
            Some(&page.csrf),
        )
        .await
    }

    /// Logs in with the phone; returns the session page.
    pub async fn log_in(&mut self, s: &TestServer, phone: &Phone) -> Reply {
        let page = self.login_page("").await;
        let (status, _) = s
            .respond(&page.challenge, &phone.approve(s.origin(), &page.challenge))
            .await;
        assert_eq!(status, 200);
        let done = self.complete(&page, "").await;
        assert_eq!(done.status, 200, "{}", done.body);
        let session = self.get("/session").await;
        assert_eq!(session.status, 200, "{}", session.body);
        session
    }
}
