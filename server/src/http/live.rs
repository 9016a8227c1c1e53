//! The cap on live channels per client address: event streams and long polls hold a
//! connection for as long as a login (or an invitation) may change, so one address opening
//! them by the hundred could fill the connection cap by itself (docs/security.md,
//! "Connections"). Beyond `max_live_per_client` open at once, the next one gets 429
//! `rate_limited` with `Retry-After` and a message saying why; each refusal is counted in
//! `tigr_live_channels_refused_total`.
//!
//! A client is an address as the rate limits see it ([`client_key`]: the proxy-reported one
//! when `trust_proxy` is on, an IPv6 client per /64). A channel counts from its request's
//! head until its reply's body is dropped (the end of the stream, or the long poll's answer).
//!
//! Layer the live routes with `middleware::from_fn_with_state(state.clone(), live::admit)`.

use std::collections::HashMap;
use std::sync::{Arc, Mutex, MutexGuard};

use axum::extract::{FromRequestParts, Request, State};
use axum::http::HeaderValue;
use axum::http::header::RETRY_AFTER;
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};

use crate::login::ClientInfo;
use crate::ratelimit::client_key;

use super::AppState;
use super::connections::BodyWith;
use super::error::ApiError;

/// Seconds a refused client is told to wait (until one of its channels ends: a long poll
/// answers within 30 s, an event stream ends with its login).
pub const LIVE_RETRY_AFTER: u64 = 10;

/// The live channels open per client address.
#[derive(Debug)]
pub struct LiveChannels {
    max: Option<u32>,
    open: Mutex<HashMap<String, u32>>,
}

impl LiveChannels {
    /// At most `max` channels per client at once (`None`: no cap).
    pub fn new(max: Option<u32>) -> Arc<Self> {
        Arc::new(Self {
            max,
            open: Mutex::default(),
        })
    }

    fn open_channels(&self) -> MutexGuard<'_, HashMap<String, u32>> {
        // Every update leaves the map consistent: a panicking holder cannot corrupt it.
        self.open.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// A channel for `client`, or `None` when it already holds the most allowed. The
    /// channel counts until dropped.
    pub fn open(self: &Arc<Self>, client: &str) -> Option<LiveChannel> {
        let Some(max) = self.max else {
            return Some(LiveChannel { owner: None });
        };
        let mut open = self.open_channels();
        let count = open.entry(client.to_owned()).or_insert(0);
        if *count >= max {
            return None;
        }
        *count += 1;
        Some(LiveChannel {
            owner: Some((Arc::clone(self), client.to_owned())),
        })
    }

    /// Channels `client` holds now.
    pub fn held_by(&self, client: &str) -> u32 {
        self.open_channels().get(client).copied().unwrap_or(0)
    }
}

/// One open live channel; dropping it frees its place.
#[derive(Debug)]
pub struct LiveChannel {
    /// The registry and the client, when a cap applies.
    owner: Option<(Arc<LiveChannels>, String)>,
}

impl Drop for LiveChannel {
    fn drop(&mut self) {
        let Some((channels, client)) = self.owner.take() else {
            return;
        };
        let mut open = channels.open_channels();
        if let Some(count) = open.get_mut(&client) {
            *count = count.saturating_sub(1);
            if *count == 0 {
                open.remove(&client);
            }
        }
    }
}

/// Layer of the live routes: admits the request as a live channel of its client, held until
/// its reply's body is dropped, or refuses it with 429.
pub async fn admit(State(app): State<AppState>, request: Request, next: Next) -> Response {
    let (mut parts, body) = request.into_parts();
    let client = match ClientInfo::from_request_parts(&mut parts, &app).await {
        Ok(client) => client,
        Err(never) => match never {},
    };
    let Some(channel) = app.live.open(&client_key(&client.ip)) else {
        app.connection_counters.live_refused();
        tracing::debug!(client = %client.ip, "live channel refused: too many open from this address");
        let mut response = ApiError::TooManyLiveChannels {
            retry_after: LIVE_RETRY_AFTER,
        }
        .into_response();
        response
            .headers_mut()
            .insert(RETRY_AFTER, HeaderValue::from(LIVE_RETRY_AFTER));
        return response;
    };
    let response = next.run(Request::from_parts(parts, body)).await;
    response.map(|body| BodyWith::holding(body, channel))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn channels_count_per_client_until_dropped() {
        let live = LiveChannels::new(Some(2));
        let a1 = live.open("10.0.0.1").expect("first");
        let a2 = live.open("10.0.0.1").expect("second");
        assert!(live.open("10.0.0.1").is_none(), "third refused");
        let b = live.open("10.0.0.2").expect("other clients are apart");
        assert_eq!(live.held_by("10.0.0.1"), 2);
        drop(a1);
        assert_eq!(live.held_by("10.0.0.1"), 1);
        let a3 = live.open("10.0.0.1").expect("a place freed");
        drop((a2, a3, b));
        assert_eq!(live.held_by("10.0.0.1"), 0);
        assert!(live.open_channels().is_empty(), "no entry left behind");
    }

    #[test]
    fn no_cap_admits_everything() {
        let live = LiveChannels::new(None);
        let channels: Vec<_> = (0..1000).map(|_| live.open("10.0.0.1")).collect();
        assert!(channels.iter().all(Option::is_some));
        assert!(live.open_channels().is_empty(), "nothing is counted");
    }
}
