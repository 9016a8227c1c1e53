"""A relying party built on Authlib, logging a user in with Tigr over OpenID Connect.

Run by the Rust suite `oidc_authlib` (tests/tests/oidc_authlib.rs), which starts the server,
registers this client and approves the login with a virtual phone. Everything the relying
party checks is done by Authlib and joserfc; this script only wires them together:

* discovery, and the issuer it names;
* an authorization request with `state`, `nonce` and PKCE (S256);
* the browser's part (a cookie jar following redirects, the login page's QR payload printed
  for the phone, the page's long poll and completion), as the page's script does it;
* the authorization response: `state` (Authlib) and `iss` (RFC 9207);
* the token request (client_secret_basic, code_verifier);
* the ID token: ES256 signature with a key of the JWKS, `iss`, `aud`, `nonce`, `exp`, `iat`,
  `at_hash` (joserfc + authlib.oidc.core.CodeIDToken), and the same checks failing on an
  altered token, another audience, another nonce and an expired token;
* userinfo with the access token;
* refresh: no refresh token issued, and the refresh grant refused.

Protocol on standard streams: one JSON object per line on stdout. First
`{"event": "qr", "payload": ..., "service": ...}` once the login page shows its QR (the test
approves it with the phone), then `{"event": "result", ...}` with what was checked. Any
failure is printed as `{"event": "error", "step": ..., "error": ...}` with exit status 1.
"""

from __future__ import annotations

import argparse
import base64
import html.parser
import json
import sys
import time
import urllib.parse

import requests
from authlib.common.security import generate_token
from authlib.integrations.requests_client import OAuth2Session
from authlib.oidc.core import CodeIDToken, UserInfo
from joserfc import jwt
from joserfc.errors import JoseError
from joserfc.jwk import KeySet

SCOPE = "openid profile email"
TIMEOUT = 30


class StepFailed(Exception):
    """A step of the flow did not go as the protocol says."""

    def __init__(self, step: str, error: str):
        super().__init__(f"{step}: {error}")
        self.step = step
        self.error = error


def emit(event: str, **fields) -> None:
    print(json.dumps({"event": event, **fields}, ensure_ascii=False), flush=True)


class LoginPage(html.parser.HTMLParser):
    """What the login page's script reads from the page: the `#login` element's data
    attributes, the QR payload shown for desktop demonstrations on loopback servers, and the
    service name of the heading."""

    def __init__(self) -> None:
        super().__init__()
        self.data: dict[str, str] = {}
        self.payload: str | None = None
        self.headings: list[str] = []
        self._in_heading = False

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        if attrs.get("id") == "login":
            self.data = {k[5:]: v or "" for k, v in attrs.items() if k.startswith("data-")}
        if tag == "input" and attrs.get("id") == "demo-payload":
            self.payload = attrs.get("value")
        if tag in ("h1", "h2"):
            self._in_heading = True
            self.headings.append("")

    def handle_endtag(self, tag):
        if tag in ("h1", "h2"):
            self._in_heading = False

    def handle_data(self, data):
        if self._in_heading:
            self.headings[-1] += data


class Browser:
    """A user agent: a cookie jar, redirects followed one by one so that the one to the
    relying party's redirect URI is caught (the relying party reads it, not the browser)."""

    def __init__(self, issuer: str) -> None:
        self.http = requests.Session()
        self.issuer = issuer
        self.origin = "{0.scheme}://{0.netloc}".format(urllib.parse.urlsplit(issuer))

    def follow(self, url: str, stop_at: str, method: str = "GET", **kwargs):
        """Follows redirects from `url` until a page, or until a redirect to `stop_at`
        (returned as ("callback", url))."""
        for _ in range(10):
            if url.startswith(stop_at):
                return "callback", url
            reply = self.http.request(method, url, allow_redirects=False, timeout=TIMEOUT, **kwargs)
            method, kwargs = "GET", {}
            if reply.is_redirect:
                url = urllib.parse.urljoin(url, reply.headers["location"])
                continue
            return "page", reply
        raise StepFailed("browser", f"too many redirects, last {url}")

    def log_in(self, authorization_url: str, redirect_uri: str) -> str:
        """From the authorization request to the redirect back to the relying party: the
        login page, its QR read by the phone, the wait for the approval, the completion."""
        kind, reply = self.follow(authorization_url, redirect_uri)
        if kind == "callback":
            raise StepFailed("login page", "the provider answered without a login")
        if reply.status_code != 200:
            raise StepFailed("login page", f"{reply.status_code} at {reply.url}: {reply.text[:300]}")
        page = LoginPage()
        page.feed(reply.text)
        challenge, csrf = page.data.get("challenge"), page.data.get("csrf")
        if not challenge or not csrf or not page.payload:
            raise StepFailed("login page", f"no QR login at {reply.url}")
        emit("qr", payload=page.payload, url=reply.url, headings=page.headings)

        status_url = f"{self.origin}/login/status/{urllib.parse.quote(challenge)}"
        deadline = time.monotonic() + 60
        while True:
            status = self.http.get(status_url, params={"wait": 25}, timeout=TIMEOUT)
            if status.status_code != 200:
                raise StepFailed("login status", f"{status.status_code}: {status.text[:300]}")
            state = status.json().get("state")
            if state == "approved":
                break
            if state not in ("pending", "scanned") or time.monotonic() > deadline:
                raise StepFailed("login status", f"state {state}")

        # What the page's script posts once approved: the challenge and every field the
        # page carries for its destination.
        form = {"challenge_id": challenge}
        for field in ("return", "authorize"):
            if page.data.get(field):
                form[field] = page.data[field]
        done = self.http.post(
            f"{self.origin}/login/complete",
            data=form,
            headers={"accept": "application/json", "x-csrf-token": csrf, "origin": self.origin},
            timeout=TIMEOUT,
        )
        if done.status_code != 200:
            raise StepFailed("login completion", f"{done.status_code}: {done.text[:300]}")
        destination = urllib.parse.urljoin(self.origin + "/", done.json()["redirect"])
        kind, reply = self.follow(destination, redirect_uri)
        if kind != "callback":
            raise StepFailed(
                "authorization response",
                f"stopped on {reply.status_code} {reply.url}: {reply.text[:300]}",
            )
        return reply


def rejected(check) -> str | None:
    """Runs a validation expected to fail; the error's class name, or None if it passed."""
    try:
        check()
    except (JoseError, ValueError) as error:
        return type(error).__name__
    return None


def b64url(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def b64url_json(part: str) -> dict:
    return json.loads(base64.urlsafe_b64decode(part + "=" * (-len(part) % 4)))


def run(args) -> dict:
    result: dict = {}

    # Discovery (OpenID Connect Discovery 1.0 §4): the document must name the issuer asked.
    discovery_url = args.issuer.rstrip("/") + "/.well-known/openid-configuration"
    metadata = requests.get(discovery_url, timeout=TIMEOUT).json()
    if metadata.get("issuer") != args.issuer:
        raise StepFailed("discovery", f"issuer {metadata.get('issuer')!r} != {args.issuer!r}")
    result["discovery"] = {
        k: metadata.get(k)
        for k in (
            "issuer",
            "authorization_endpoint",
            "token_endpoint",
            "userinfo_endpoint",
            "jwks_uri",
            "end_session_endpoint",
            "response_types_supported",
            "grant_types_supported",
            "code_challenge_methods_supported",
            "id_token_signing_alg_values_supported",
            "token_endpoint_auth_methods_supported",
            "scopes_supported",
            "authorization_response_iss_parameter_supported",
            "backchannel_logout_supported",
        )
    }
    jwks = requests.get(metadata["jwks_uri"], timeout=TIMEOUT).json()
    result["jwks_kids"] = [key.get("kid") for key in jwks.get("keys", [])]
    key_set = KeySet.import_key_set(jwks)

    # Authorization request: state, nonce, PKCE S256 (Authlib makes the challenge).
    client = OAuth2Session(
        client_id=args.client_id,
        client_secret=args.client_secret,
        scope=SCOPE,
        redirect_uri=args.redirect_uri,
        code_challenge_method="S256",
        token_endpoint_auth_method="client_secret_basic",
    )
    code_verifier = generate_token(64)
    nonce = generate_token(24)
    authorization_url, state = client.create_authorization_url(
        metadata["authorization_endpoint"], code_verifier=code_verifier, nonce=nonce
    )
    query = dict(urllib.parse.parse_qsl(urllib.parse.urlsplit(authorization_url).query))
    result["authorization_request"] = {
        k: query.get(k) for k in ("response_type", "scope", "code_challenge_method")
    }
    result["authorization_request"]["has_code_challenge"] = bool(query.get("code_challenge"))

    callback = Browser(args.issuer).log_in(authorization_url, args.redirect_uri)
    response = dict(urllib.parse.parse_qsl(urllib.parse.urlsplit(callback).query))
    # RFC 9207: the issuer in the authorization response must be the one asked (mix-up).
    if response.get("iss") != args.issuer:
        raise StepFailed("authorization response", f"iss {response.get('iss')!r}")
    result["authorization_response"] = {
        "has_code": bool(response.get("code")),
        "state_matches": response.get("state") == state,
        "iss": response.get("iss"),
    }

    # Token request: Authlib checks the state of the response it is given.
    token = client.fetch_token(
        metadata["token_endpoint"],
        authorization_response=callback,
        state=state,
        code_verifier=code_verifier,
    )
    result["token_response"] = {
        "token_type": token.get("token_type"),
        "expires_in": token.get("expires_in"),
        "scope": token.get("scope"),
        "has_access_token": bool(token.get("access_token")),
        "has_id_token": bool(token.get("id_token")),
        "has_refresh_token": "refresh_token" in token,
    }

    # ID token (OpenID Connect Core §3.1.3.7), as Authlib's own parse_id_token does it, with
    # the audience checked too.
    id_token = token["id_token"]
    def validate(compact: str, audience: str, expected_nonce: str, now: float | None = None):
        decoded = jwt.decode(compact, key_set, algorithms=["ES256"])
        claims = CodeIDToken(
            decoded.claims,
            decoded.header,
            {
                "iss": {"essential": True, "values": [args.issuer]},
                "aud": {"essential": True, "values": [audience]},
            },
            {
                "nonce": expected_nonce,
                "client_id": audience,
                "access_token": token["access_token"],
            },
        )
        claims.validate(now=now, leeway=0)
        return decoded.header, claims

    header, claims = validate(id_token, args.client_id, nonce)
    result["id_token_header"] = header
    result["id_token"] = dict(claims)

    # The same checks must refuse what they should (they are not vacuous with these tokens).
    head, body, signature = id_token.split(".")
    altered = dict(b64url_json(body), sub="someone-else")
    altered_token = ".".join([head, b64url(json.dumps(altered).encode()), signature])
    result["refused"] = {
        "altered_payload": rejected(lambda: validate(altered_token, args.client_id, nonce)),
        "other_audience": rejected(lambda: validate(id_token, "another-client", nonce)),
        "other_nonce": rejected(lambda: validate(id_token, args.client_id, "another-nonce")),
        "expired": rejected(
            lambda: validate(id_token, args.client_id, nonce, now=claims["exp"] + 1)
        ),
    }

    # UserInfo (Core §5.3): its `sub` must be the ID token's.
    reply = client.get(metadata["userinfo_endpoint"], timeout=TIMEOUT)
    if reply.status_code != 200:
        raise StepFailed("userinfo", f"{reply.status_code}: {reply.text[:300]}")
    userinfo = UserInfo(reply.json())
    result["userinfo"] = dict(userinfo)

    # Refresh: none issued; asking anyway is refused by the token endpoint.
    refresh = requests.post(
        metadata["token_endpoint"],
        data={"grant_type": "refresh_token", "refresh_token": token.get("refresh_token") or "none"},
        auth=(args.client_id, args.client_secret),
        timeout=TIMEOUT,
    )
    try:
        refresh_error = refresh.json().get("error")
    except ValueError:
        refresh_error = None
    result["refresh"] = {"status": refresh.status_code, "error": refresh_error}
    return result


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--issuer", required=True)
    parser.add_argument("--client-id", required=True)
    parser.add_argument("--client-secret", required=True)
    parser.add_argument("--redirect-uri", required=True)
    args = parser.parse_args()
    try:
        result = run(args)
    except StepFailed as failure:
        emit("error", step=failure.step, error=failure.error)
        return 1
    except Exception as error:  # noqa: BLE001 - reported to the test with its type
        emit("error", step="unexpected", error=f"{type(error).__name__}: {error}")
        return 1
    emit("result", **result)
    return 0


if __name__ == "__main__":
    sys.exit(main())
