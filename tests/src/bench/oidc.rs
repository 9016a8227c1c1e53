//! The OpenID Connect flow of `tigr-bench` (`--mix oidc=...`): a service sends a fresh browser
//! to Tigr's authorization endpoint, the browser shows the login page, the phone approves its
//! QR, the page completes the login and the browser goes back to the service with a code; the
//! service exchanges it at the token endpoint and verifies the ID token as a relying party
//! must (ES256 signature with the JWKS key named by `kid`, `iss`, `aud`, `nonce`, `exp`,
//! `iat`). The generator does all of that, so its CPU time includes the service's work.

use std::collections::HashMap;
use std::time::{SystemTime, UNIX_EPOCH};

use hyper::header::{LOCATION, SET_COOKIE};
use hyper::{Method, StatusCode};
use ring::rand::SecureRandom as _;
use ring::signature::{ECDSA_P256_SHA256_FIXED, UnparsedPublicKey};
use serde_json::Value;
use tigr_core::wire::{b64_decode, b64_encode};

use super::http::{Body, Conn, Reply};
use crate::harness::{ClientSpec, register_oidc_client};

/// The service's view of the provider, read once at setup: discovery and JWKS.
pub struct Provider {
    /// The issuer (the server's public URL).
    pub issuer: String,
    /// Paths on the server (the benchmark talks to one origin).
    authorize_path: String,
    /// The token endpoint's path.
    pub(super) token_path: String,
    /// The client registered for the run.
    pub client_id: String,
    /// `Authorization: Basic ...` of the client (client_secret_basic).
    pub(super) basic: String,
    /// Its redirect URI (nothing listens there: the browser stops at the redirect).
    pub redirect_uri: String,
    /// Public keys of the JWKS by `kid`, as uncompressed P-256 points.
    keys: HashMap<String, Vec<u8>>,
}

impl std::fmt::Debug for Provider {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Provider")
            .field("issuer", &self.issuer)
            .field("client_id", &self.client_id)
            .field("kids", &self.keys.keys().collect::<Vec<_>>())
            .finish_non_exhaustive()
    }
}

/// The path (and query) of `url` when it is on `origin`.
fn path_on(url: &str, origin: &str) -> Option<String> {
    url.strip_prefix(origin)
        .filter(|rest| rest.starts_with('/'))
        .map(str::to_owned)
}

fn json_of(reply: &Reply, what: &str) -> anyhow::Result<Value> {
    anyhow::ensure!(
        reply.status == StatusCode::OK,
        "{what}: {} {}",
        reply.status,
        String::from_utf8_lossy(&reply.body)
    );
    Ok(serde_json::from_slice(&reply.body)?)
}

/// The benchmark's service: its redirect URI is never contacted (the browser stops at the
/// redirect and hands the code to the service, which is the generator).
pub const REDIRECT_URI: &str = "https://dossier.example.fr/oidc/callback";

impl Provider {
    /// Registers a confidential client for the run (as `tigr-server oidc client add` does)
    /// and reads the provider's discovery document and keys.
    pub async fn register(
        config: &tigr_server::Config,
        addr: std::net::SocketAddr,
        host: &str,
        origin: &str,
    ) -> anyhow::Result<Self> {
        let spec = ClientSpec {
            name: "Dossier patient (tigr-bench)".to_owned(),
            redirect_uris: vec![REDIRECT_URI.to_owned()],
            ..ClientSpec::default()
        };
        let client = register_oidc_client(config, &spec).await?;
        let mut conn = Conn::new(addr, host)?;
        Self::discover(
            &mut conn,
            origin,
            client.client_id,
            &client.client_secret,
            REDIRECT_URI.to_owned(),
        )
        .await
    }

    /// Reads the discovery document and the JWKS of the server behind `conn`, for the
    /// client `client_id` / `client_secret` registered with `redirect_uri`.
    pub async fn discover(
        conn: &mut Conn,
        origin: &str,
        client_id: String,
        client_secret: &str,
        redirect_uri: String,
    ) -> anyhow::Result<Self> {
        let reply = conn
            .call(Method::GET, "/.well-known/openid-configuration", None, None)
            .await?;
        let discovery = json_of(&reply, "discovery")?;
        let field = |name: &str| {
            discovery[name]
                .as_str()
                .map(str::to_owned)
                .ok_or_else(|| anyhow::anyhow!("discovery has no {name}"))
        };
        let issuer = field("issuer")?;
        let on_server = |name: &str| -> anyhow::Result<String> {
            let url = field(name)?;
            path_on(&url, origin).ok_or_else(|| anyhow::anyhow!("{name} {url} is not on {origin}"))
        };
        let (authorize_path, token_path, jwks_path) = (
            on_server("authorization_endpoint")?,
            on_server("token_endpoint")?,
            on_server("jwks_uri")?,
        );
        let reply = conn.call(Method::GET, &jwks_path, None, None).await?;
        let jwks = json_of(&reply, "JWKS")?;
        let mut keys = HashMap::new();
        for key in jwks["keys"].as_array().into_iter().flatten() {
            if key["kty"] != "EC" || key["crv"] != "P-256" {
                continue;
            }
            let coordinate = |name: &str| key[name].as_str().and_then(b64_decode);
            if let (Some(kid), Some(x), Some(y)) =
                (key["kid"].as_str(), coordinate("x"), coordinate("y"))
            {
                let mut point = vec![4u8];
                point.extend_from_slice(&x);
                point.extend_from_slice(&y);
                keys.insert(kid.to_owned(), point);
            }
        }
        anyhow::ensure!(!keys.is_empty(), "the JWKS has no P-256 key: {jwks}");
        let basic = {
            use base64::Engine as _;
            let encode =
                |s: &str| url::form_urlencoded::byte_serialize(s.as_bytes()).collect::<String>();
            let pair = format!("{}:{}", encode(&client_id), encode(client_secret));
            format!(
                "Basic {}",
                base64::engine::general_purpose::STANDARD.encode(pair)
            )
        };
        Ok(Self {
            issuer,
            authorize_path,
            token_path,
            client_id,
            basic,
            redirect_uri,
            keys,
        })
    }

    /// Verifies an ID token as the service must: signature with the key its `kid` names,
    /// then `iss`, `aud`, `nonce`, `exp` and `iat` against `now` (seconds).
    pub fn verify_id_token(&self, token: &str, nonce: &str, now: i64) -> Result<Value, String> {
        let mut parts = token.split('.');
        let (Some(header), Some(payload), Some(signature), None) =
            (parts.next(), parts.next(), parts.next(), parts.next())
        else {
            return Err("not a compact JWS".into());
        };
        let decode_json = |part: &str| -> Result<Value, String> {
            let bytes = b64_decode(part).ok_or("bad base64url")?;
            serde_json::from_slice(&bytes).map_err(|e| format!("bad JSON: {e}"))
        };
        let head = decode_json(header)?;
        if head["alg"] != "ES256" {
            return Err(format!("alg {}", head["alg"]));
        }
        let key = head["kid"]
            .as_str()
            .and_then(|kid| self.keys.get(kid))
            .ok_or_else(|| format!("unknown kid {}", head["kid"]))?;
        let signature = b64_decode(signature).ok_or("bad signature encoding")?;
        let signed = &token[..header.len() + 1 + payload.len()];
        UnparsedPublicKey::new(&ECDSA_P256_SHA256_FIXED, key)
            .verify(signed.as_bytes(), &signature)
            .map_err(|_| "bad signature".to_owned())?;
        let claims = decode_json(payload)?;
        if claims["iss"] != self.issuer.as_str() {
            return Err(format!("iss {}", claims["iss"]));
        }
        let audience_ok = match &claims["aud"] {
            Value::String(aud) => *aud == self.client_id,
            Value::Array(auds) => auds.iter().any(|a| *a == self.client_id.as_str()),
            _ => false,
        };
        if !audience_ok {
            return Err(format!("aud {}", claims["aud"]));
        }
        if claims["nonce"] != nonce {
            return Err("nonce".into());
        }
        let exp = claims["exp"].as_i64().ok_or("no exp")?;
        let iat = claims["iat"].as_i64().ok_or("no iat")?;
        if exp <= now {
            return Err("expired".into());
        }
        if iat > now + 60 {
            return Err("iat in the future".into());
        }
        if claims["sub"].as_str().is_none_or(str::is_empty) {
            return Err("no sub".into());
        }
        Ok(claims)
    }
}

/// A browser's cookies for one origin (the benchmark's server): name -> value, as
/// `Set-Cookie` left them.
#[derive(Debug, Default)]
pub struct CookieJar {
    cookies: Vec<(String, String)>,
}

impl CookieJar {
    /// Takes the `Set-Cookie` headers of a reply (an empty value or `Max-Age=0` deletes).
    pub fn store(&mut self, reply: &Reply) {
        for header in reply.headers.get_all(SET_COOKIE) {
            let Ok(text) = header.to_str() else { continue };
            let mut attributes = text.split(';');
            let Some((name, value)) = attributes.next().and_then(|nv| nv.split_once('=')) else {
                continue;
            };
            let (name, value) = (name.trim(), value.trim());
            let deleted =
                value.is_empty() || attributes.any(|a| a.trim().eq_ignore_ascii_case("max-age=0"));
            self.cookies.retain(|(n, _)| n != name);
            if !deleted {
                self.cookies.push((name.to_owned(), value.to_owned()));
            }
        }
    }

    /// The `Cookie` header's value.
    pub fn header(&self) -> String {
        let pairs: Vec<String> = self
            .cookies
            .iter()
            .map(|(n, v)| format!("{n}={v}"))
            .collect();
        pairs.join("; ")
    }

    /// One cookie's value.
    pub fn get(&self, name: &str) -> Option<&str> {
        self.cookies
            .iter()
            .find(|(n, _)| n == name)
            .map(|(_, v)| v.as_str())
    }
}

/// What the login page carries for its script (the `#login` element's data attributes) and
/// the QR payload it shows for desktop demonstrations (loopback servers).
#[derive(Debug, Default, PartialEq, Eq)]
pub struct LoginPage {
    /// `data-challenge`.
    pub challenge_id: String,
    /// `data-csrf`.
    pub csrf: String,
    /// `data-return`, if any.
    pub return_to: String,
    /// `data-authorize`, if any.
    pub authorize: String,
    /// The QR payload (`#demo-payload`'s value).
    pub payload: String,
}

/// The value of attribute `name` in the first tag of `html` that contains `marker`.
fn attribute(html: &str, marker: &str, name: &str) -> Option<String> {
    let at = html.find(marker)?;
    let start = html[..at].rfind('<')?;
    let end = at + html[at..].find('>')?;
    let tag = &html[start..end];
    let key = format!(" {name}=\"");
    let value_start = tag.find(&key)? + key.len();
    let value_end = value_start + tag[value_start..].find('"')?;
    Some(unescape(&tag[value_start..value_end]))
}

/// Undoes the HTML escaping of attribute values.
fn unescape(text: &str) -> String {
    text.replace("&quot;", "\"")
        .replace("&#x27;", "'")
        .replace("&#39;", "'")
        .replace("&#x2f;", "/")
        .replace("&#x2F;", "/")
        .replace("&lt;", "<")
        .replace("&gt;", ">")
        .replace("&amp;", "&")
}

impl LoginPage {
    /// Reads the page; `None` when it is not a login page with a QR.
    pub fn parse(html: &str) -> Option<Self> {
        let login = |name| attribute(html, "id=\"login\"", name);
        Some(Self {
            challenge_id: login("data-challenge")?,
            csrf: login("data-csrf")?,
            return_to: login("data-return").unwrap_or_default(),
            authorize: login("data-authorize").unwrap_or_default(),
            payload: attribute(html, "id=\"demo-payload\"", "value")?,
        })
    }

    /// The form the page's script posts to `/login/complete` once approved.
    pub fn completion(&self) -> Body {
        let encode =
            |s: &str| url::form_urlencoded::byte_serialize(s.as_bytes()).collect::<String>();
        let (id, ret, authorize) = (
            encode(&self.challenge_id),
            encode(&self.return_to),
            encode(&self.authorize),
        );
        let mut fields = vec![("challenge_id", id.as_str())];
        if !self.return_to.is_empty() {
            fields.push(("return", ret.as_str()));
        }
        if !self.authorize.is_empty() {
            fields.push(("authorize", authorize.as_str()));
        }
        Body::form(&fields)
    }
}

/// One authorization request's secrets, as a service keeps them until the browser is back.
#[derive(Debug)]
pub struct Request {
    /// `state`.
    pub state: String,
    /// `nonce`.
    pub nonce: String,
    /// The PKCE verifier.
    pub verifier: String,
}

fn random_token(rng: &ring::rand::SystemRandom) -> String {
    let mut bytes = [0u8; 24];
    rng.fill(&mut bytes).expect("system randomness");
    b64_encode(&bytes)
}

impl Request {
    /// Fresh `state`, `nonce` and PKCE verifier.
    pub fn new(rng: &ring::rand::SystemRandom) -> Self {
        Self {
            state: random_token(rng),
            nonce: random_token(rng),
            verifier: format!("{}{}", random_token(rng), random_token(rng)),
        }
    }

    /// The authorization request's path and query (code flow, PKCE S256).
    pub fn authorize_path(&self, provider: &Provider) -> String {
        let challenge = b64_encode(
            ring::digest::digest(&ring::digest::SHA256, self.verifier.as_bytes()).as_ref(),
        );
        let query = url::form_urlencoded::Serializer::new(String::new())
            .append_pair("response_type", "code")
            .append_pair("client_id", &provider.client_id)
            .append_pair("redirect_uri", &provider.redirect_uri)
            .append_pair("scope", "openid profile email")
            .append_pair("state", &self.state)
            .append_pair("nonce", &self.nonce)
            .append_pair("code_challenge", &challenge)
            .append_pair("code_challenge_method", "S256")
            .finish();
        format!("{}?{query}", provider.authorize_path)
    }

    /// Checks the authorization response (`Location` on the redirect URI): `state` and `iss`
    /// (RFC 9207); returns the code.
    pub fn code_of(&self, location: &str, provider: &Provider) -> Result<String, String> {
        let url = url::Url::parse(location).map_err(|e| format!("bad Location: {e}"))?;
        let pairs: HashMap<String, String> = url.query_pairs().into_owned().collect();
        if let Some(error) = pairs.get("error") {
            return Err(format!("error={error}"));
        }
        if pairs.get("state") != Some(&self.state) {
            return Err("state".into());
        }
        if pairs.get("iss") != Some(&provider.issuer) {
            return Err("iss".into());
        }
        pairs.get("code").cloned().ok_or_else(|| "no code".into())
    }

    /// The token request's form (authorization code + PKCE verifier).
    pub fn token_form(&self, code: &str, provider: &Provider) -> Body {
        let body = url::form_urlencoded::Serializer::new(String::new())
            .append_pair("grant_type", "authorization_code")
            .append_pair("code", code)
            .append_pair("redirect_uri", &provider.redirect_uri)
            .append_pair("code_verifier", &self.verifier)
            .finish();
        Body {
            content_type: "application/x-www-form-urlencoded",
            bytes: body.into_bytes(),
        }
    }
}

/// Seconds since the epoch (the service's clock, for `exp`).
pub fn unix_now() -> i64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| d.as_secs() as i64)
}

/// A redirect's target, when the reply is one.
pub fn location(reply: &Reply) -> Option<String> {
    if !reply.status.is_redirection() {
        return None;
    }
    reply
        .headers
        .get(LOCATION)
        .and_then(|v| v.to_str().ok())
        .map(str::to_owned)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn login_page_attributes() {
        let html = r#"<main><div id="login" class="x"
     data-state="pending"
     data-challenge="AbC_1"
     data-csrf="tok-en"
     data-return="/oidc/authorize?a=1&amp;b=2">
     <input id="demo-payload" type="text" readonly value="http://127.0.0.1:8080/t/1/L/AbC_1/n0nce/1"></div>"#;
        let page = LoginPage::parse(html).expect("login page");
        assert_eq!(page.challenge_id, "AbC_1");
        assert_eq!(page.csrf, "tok-en");
        assert_eq!(page.return_to, "/oidc/authorize?a=1&b=2");
        assert_eq!(page.payload, "http://127.0.0.1:8080/t/1/L/AbC_1/n0nce/1");
        let form = String::from_utf8(page.completion().bytes).expect("utf-8");
        assert_eq!(
            form,
            "challenge_id=AbC_1&return=%2Foidc%2Fauthorize%3Fa%3D1%26b%3D2"
        );
        assert_eq!(LoginPage::parse("<p>no login</p>"), None);
    }

    #[test]
    fn cookie_jar_keeps_deletes_and_replaces() {
        let reply = |cookies: &[&str]| {
            let mut headers = hyper::HeaderMap::new();
            for c in cookies {
                headers.append(SET_COOKIE, c.parse().expect("header"));
            }
            Reply {
                status: StatusCode::OK,
                headers,
                body: Default::default(),
            }
        };
        let mut jar = CookieJar::default();
        jar.store(&reply(&["a=1; Path=/; HttpOnly", "b=2"]));
        assert_eq!(jar.header(), "a=1; b=2");
        jar.store(&reply(&["a=; Max-Age=0", "b=3; SameSite=Lax"]));
        assert_eq!(jar.header(), "b=3");
        assert_eq!(jar.get("b"), Some("3"));
        jar.store(&reply(&["b=4; Max-Age=0; Path=/"]));
        assert_eq!(jar.header(), "");
    }
}
