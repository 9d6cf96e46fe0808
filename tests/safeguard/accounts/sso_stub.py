"""A small OpenID Connect provider inside the test process, reached through `requests` at the
transport level (HTTPAdapter.send), so allauth's real discovery, token and key fetches run, and
its real checks of the ID token (signature, issuer, audience, expiry) refuse what they should.

ID tokens are RS256-signed with a key made here (cryptography, PyJWT).
"""

from __future__ import annotations

import json
import time
import uuid
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import parse_qs, urlsplit

import jwt
import requests
from cryptography.hazmat.primitives.asymmetric import rsa
from django.test import Client
from django.urls import reverse
from jwt.algorithms import RSAAlgorithm

TENANT = "0f1e2d3c-4b5a-6978-8796-a5b4c3d2e1f0"
OTHER_TENANT = "99999999-8888-7777-6666-555555555555"
DOMAIN = "test.example"
SERVERS = {"microsoft": "https://idp.microsoft.test/v2.0", "google": "https://idp.google.test"}
CLIENT_IDS = {"microsoft": "safeguard-microsoft", "google": "safeguard-google"}


def _key() -> rsa.RSAPrivateKey:
    return rsa.generate_private_key(public_exponent=65537, key_size=2048)


_SIGNING_KEY = _key()
_OTHER_KEY = _key()


@dataclass
class Stub:
    """What the provider answers next. Change `claims`, `sign_with`, `token_error`..."""

    claims: dict[str, Any] = field(default_factory=dict)
    sign_with: rsa.RSAPrivateKey = _SIGNING_KEY
    issuer_template: bool = False  # Entra ID's multi-tenant discovery: issuer with {tenantid}
    token_status: int = 200
    down: bool = False
    requests_seen: list[str] = field(default_factory=list)

    def issuer(self, provider_id: str) -> str:
        if provider_id == "microsoft" and self.issuer_template:
            return "https://idp.microsoft.test/{tenantid}/v2.0"
        return SERVERS[provider_id]

    def id_token(self, provider_id: str) -> str:
        issuer = self.issuer(provider_id).replace("{tenantid}", str(self.claims.get("tid", "")))
        now = int(time.time())
        body = {
            "iss": issuer,
            "aud": CLIENT_IDS[provider_id],
            "sub": str(uuid.uuid4()),
            "iat": now,
            "exp": now + 600,
            "jti": str(uuid.uuid4()),
        } | self.claims
        return jwt.encode(body, self.sign_with, algorithm="RS256", headers={"kid": "k1"})

    def answer(self, request: requests.PreparedRequest) -> requests.Response:
        url = str(request.url)
        self.requests_seen.append(url)
        if self.down:
            raise requests.ConnectionError("provider down")
        parts = urlsplit(url)
        provider_id = next(
            (pid for pid, base in SERVERS.items() if url.startswith(f"{base.split('/v2.0')[0]}")),
            None,
        )
        if provider_id is None:
            raise requests.ConnectionError(f"unexpected request to {url}")
        base = SERVERS[provider_id]
        if parts.path.endswith("/.well-known/openid-configuration"):
            return _json(
                {
                    "issuer": self.issuer(provider_id),
                    "authorization_endpoint": f"{base}/authorize",
                    "token_endpoint": f"{base}/token",
                    "jwks_uri": f"{base}/keys",
                    "userinfo_endpoint": f"{base}/userinfo",
                    "token_endpoint_auth_methods_supported": ["client_secret_post"],
                }
            )
        if parts.path.endswith("/keys"):
            public = json.loads(RSAAlgorithm.to_jwk(_SIGNING_KEY.public_key()))
            return _json({"keys": [public | {"kid": "k1", "alg": "RS256", "use": "sig"}]})
        if parts.path.endswith("/token"):
            form = parse_qs(request.body if isinstance(request.body, str) else "")
            if self.token_status != 200:
                return _json({"error": "invalid_grant"}, status=self.token_status)
            assert form.get("client_id") == [CLIENT_IDS[provider_id]]
            assert form.get("code_verifier"), "PKCE: the code verifier is sent"
            return _json(
                {
                    "access_token": "at-" + uuid.uuid4().hex,
                    "token_type": "Bearer",
                    "expires_in": 3600,
                    "id_token": self.id_token(provider_id),
                }
            )
        return _json({"error": "not_found"}, status=404)


def _json(data: dict[str, Any], status: int = 200) -> requests.Response:
    response = requests.Response()
    response.status_code = status
    response.headers["Content-Type"] = "application/json"
    response._content = json.dumps(data).encode()
    response.encoding = "utf-8"
    return response


def sso_settings(settings) -> None:
    """Both providers set up at installation level, pointing at the stub."""
    settings.SSO_PROVIDERS = {
        pid: {
            "name": pid.title(),
            "client_id": CLIENT_IDS[pid],
            "secret": "s3cret",
            "server_url": SERVERS[pid],
        }
        for pid in SERVERS
    }
    settings.SOCIALACCOUNT_PROVIDERS = {
        "openid_connect": {
            "OAUTH_PKCE_ENABLED": True,
            "APPS": [
                {
                    "provider_id": pid,
                    "name": pid.title(),
                    "client_id": CLIENT_IDS[pid],
                    "secret": "s3cret",
                    "settings": {"server_url": SERVERS[pid], "fetch_userinfo": False},
                }
                for pid in SERVERS
            ],
        }
    }


def start(client: Client, provider_id: str, next_url: str = "") -> str:
    """Press the button: returns the state the provider is sent."""
    data = {"process": "login"} | ({"next": next_url} if next_url else {})
    response = client.post(
        reverse("openid_connect_login", kwargs={"provider_id": provider_id}), data
    )
    assert response.status_code == 302, response.content[:500]
    location = urlsplit(response["Location"])
    assert location.netloc in SERVERS[provider_id], response["Location"]
    return parse_qs(location.query)["state"][0]


def come_back(client: Client, provider_id: str, state: str, **extra: str):
    """The provider sends the person back with a code."""
    query = {"code": "code-" + uuid.uuid4().hex, "state": state} | extra
    return client.get(
        reverse("openid_connect_callback", kwargs={"provider_id": provider_id}), query
    )


def sign_in_via(client: Client, provider_id: str, next_url: str = ""):
    return come_back(client, provider_id, start(client, provider_id, next_url))


OTHER_SIGNING_KEY = _OTHER_KEY
