"""Authlib (a generic OAuth 2.0 / OIDC client) against the daemon: discovery, code flow with
PKCE driven through the login page, password and client-credentials grants, userinfo, JWT
validation against the JWKS."""
import re
from urllib.parse import parse_qs, urlparse

import requests
from authlib.integrations.requests_client import OAuth2Session
from authlib.common.security import generate_token
from authlib.jose import JsonWebKey, jwt

from conftest import APP, M2M


def discovery(daemon):
    return requests.get(daemon.base + "/.well-known/openid-configuration", timeout=10).json()


def validate(daemon, token, audience):
    keys = JsonWebKey.import_key_set(requests.get(discovery(daemon)["jwks_uri"], timeout=10).json())
    claims = jwt.decode(token, keys, claims_options={"iss": {"essential": True, "value": daemon.issuer}, "aud": {"essential": True, "value": audience}})
    claims.validate()
    return claims


def test_discovery_document(daemon):
    doc = discovery(daemon)
    assert doc["issuer"] == daemon.issuer
    assert "S256" in doc["code_challenge_methods_supported"]
    assert doc["token_endpoint"] == daemon.base + "/oauth/token"


def test_authorization_code_flow_with_pkce(daemon):
    doc = discovery(daemon)
    session = OAuth2Session(APP["id"], APP["secret"], scope="openid profile email", redirect_uri=APP["callback"],
                            code_challenge_method="S256")
    verifier = generate_token(48)
    nonce = generate_token(16)
    url, state = session.create_authorization_url(doc["authorization_endpoint"], code_verifier=verifier, nonce=nonce)

    browser = requests.Session()
    page = browser.get(url, allow_redirects=False, timeout=10)
    assert page.status_code == 200
    tx = re.search(r'name="tx" value="([a-f0-9]+)"', page.text).group(1)
    csrf = re.search(r'name="_csrf" value="([^"]+)"', page.text).group(1)
    done = browser.post(daemon.base + "/authorize/login", data={"tx": tx, "_csrf": csrf, "username": "bob@example.com", "password": "Passw0rd!"},
                        allow_redirects=False, timeout=10)
    assert done.status_code == 302
    location = done.headers["Location"]
    assert parse_qs(urlparse(location).query)["state"] == [state]

    token = session.fetch_token(doc["token_endpoint"], authorization_response=location, code_verifier=verifier)
    claims = validate(daemon, token["id_token"], APP["id"])
    assert claims["nonce"] == nonce
    assert claims["https://example.com/plan"] == "pro"

    info = session.get(doc["userinfo_endpoint"]).json()
    assert info["email"] == "bob@example.com"
    assert info["https://example.com/roles"] == ["editor"]


def test_password_grant_and_client_credentials(daemon):
    doc = discovery(daemon)
    user = OAuth2Session(APP["id"], APP["secret"], scope="openid email")
    token = user.fetch_token(doc["token_endpoint"], username="ann@example.com", password="Passw0rd!", audience="https://api.example.com")
    access = validate(daemon, token["access_token"], "https://api.example.com")
    assert access["sub"] == "auth0|5f7c8ec7c33c6c004bbafe82"

    machine = OAuth2Session(M2M["id"], M2M["secret"], token_endpoint_auth_method="client_secret_basic")
    cc = machine.fetch_token(doc["token_endpoint"], grant_type="client_credentials", audience="https://api.example.com")
    claims = validate(daemon, cc["access_token"], "https://api.example.com")
    assert claims["gty"] == "client-credentials"
    assert claims["scope"] == "read:orders"
