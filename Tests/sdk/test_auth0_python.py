"""The official auth0-python SDK (authentication and management) against the daemon."""
import uuid

import pytest
from auth0.management import Auth0
from auth0.authentication import GetToken
from auth0.authentication.token_verifier import AsymmetricSignatureVerifier, TokenVerifier
from auth0.authentication.exceptions import Auth0Error

from conftest import APP, M2M


def get_token(daemon, client):
    return GetToken(daemon.host, client["id"], client_secret=client["secret"], protocol="http")


def management(daemon):
    token = get_token(daemon, M2M).client_credentials(audience=daemon.issuer + "api/v2/")["access_token"]
    return Auth0(base_url=daemon.base + "/api/v2", token=token)


def test_password_realm_login_and_id_token_verification(daemon):
    tokens = get_token(daemon, APP).login(
        username="ann@example.com", password="Passw0rd!", realm="Username-Password-Authentication",
        scope="openid profile email offline_access", audience="https://api.example.com")
    assert tokens["token_type"] == "Bearer"
    assert "refresh_token" in tokens
    verifier = TokenVerifier(
        signature_verifier=AsymmetricSignatureVerifier(daemon.base + "/.well-known/jwks.json"),
        issuer=daemon.issuer, audience=APP["id"])
    claims = verifier.verify(tokens["id_token"])
    assert claims["sub"] == "auth0|5f7c8ec7c33c6c004bbafe82"
    assert claims["https://example.com/roles"] == ["admin", "editor"]

    refreshed = get_token(daemon, APP).refresh_token(tokens["refresh_token"])
    assert refreshed["access_token"]


def test_wrong_password_and_rule_denial_raise_auth0_errors(daemon):
    with pytest.raises(Auth0Error) as wrong:
        get_token(daemon, APP).login(username="ann@example.com", password="nope", realm="Username-Password-Authentication")
    assert wrong.value.error_code == "invalid_grant"
    with pytest.raises(Auth0Error) as denied:
        get_token(daemon, APP).login(username="unverified@example.com", password="Passw0rd!", realm="Username-Password-Authentication")
    assert denied.value.error_code == "unauthorized"
    assert "verify your email" in denied.value.message


def test_management_users_through_the_sdk(daemon):
    client = management(daemon)
    found = client.users.list(q='email:"ann@example.com"', search_engine="v3")
    emails = [u.email for u in found]
    assert emails == ["ann@example.com"]

    email = f"sdk-{uuid.uuid4().hex[:8]}@example.com"
    created = client.users.create(connection="Username-Password-Authentication", email=email, password="Sdk-pass-1!")
    assert created.email == email
    updated = client.users.update(created.user_id, user_metadata={"theme": "dark"}, app_metadata={"plan": "sdk"})
    assert updated.user_metadata == {"theme": "dark"}
    again = client.users.update(created.user_id, user_metadata={"lang": "fr"})
    assert again.user_metadata == {"theme": "dark", "lang": "fr"}
    fetched = client.users.get(created.user_id)
    assert fetched.app_metadata == {"plan": "sdk"}
    client.users.delete(created.user_id)
    with pytest.raises(Exception) as gone:
        client.users.get(created.user_id)
    assert "404" in str(gone.value) or "inexistent_user" in str(gone.value)
