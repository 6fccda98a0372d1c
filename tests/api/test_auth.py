"""Tokens: log in, expire, revoke; failed logins rate-limited per email."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import select

from clientledger.auth.service import MAX_FAILED_LOGINS
from clientledger.db import Ctx, Database
from clientledger.models import users
from clientledger.practices.service import issue_token
from tests.api.conftest import API, Api


def _login(owner: Api, email: str, password: str) -> tuple[int, dict[str, object]]:
    r = owner.http.post(f"{API}/auth/tokens", json={"email": email, "password": password})
    return r.status_code, r.json()


def test_login_gives_a_bearer_token_that_works(owner: Api) -> None:
    status, body = _login(owner, owner.email.upper(), "owner-pass-1")
    assert status == 201
    assert body["role"] == "owner" and body["practice_id"] == owner.practice_id
    me = Api(owner.http, str(body["token"]), owner.practice_id)
    assert me.get("/practice")["id"] == owner.practice_id


def test_missing_bad_expired_and_revoked_tokens_are_401(owner: Api, db: Database) -> None:
    assert owner.http.get(f"{API}/practice").status_code == 401
    bad = owner.http.get(f"{API}/practice", headers={"Authorization": "Bearer clt_nope"})
    assert (bad.status_code, bad.json()["error"]["code"]) == (401, "unauthorized")

    with db.transaction(Ctx(practice_id=owner.practice_id)) as tx:
        user_id = tx.conn.execute(select(users.c.id).where(users.c.practice_id == owner.practice_id)).scalar_one()
        expired = issue_token(tx, user_id=user_id, ttl=timedelta(seconds=-1))
    assert Api(owner.http, expired, owner.practice_id).get("/practice", expect=401)["error"]["code"] == "unauthorized"

    r = owner.http.delete(f"{API}/auth/tokens/current", headers=owner.headers())
    assert r.status_code == 204
    assert owner.get("/practice", expect=401)["error"]["message"] == "The bearer token has been revoked."


def test_wrong_password_and_unknown_email_look_the_same(owner: Api) -> None:
    s1, b1 = _login(owner, owner.email, "wrong-password")
    s2, b2 = _login(owner, "nobody@example.com", "wrong-password")
    assert s1 == s2 == 401
    assert b1 == b2


def test_failed_logins_are_rate_limited_per_email(owner: Api) -> None:
    for _ in range(MAX_FAILED_LOGINS):
        assert _login(owner, owner.email, "wrong-password")[0] == 401
    status, body = _login(owner, owner.email, "owner-pass-1")
    assert status == 429 and body["error"]["code"] == "rate_limited"  # type: ignore[index]
    biller = owner.login_as("biller")
    assert biller.get("/practice")["id"] == owner.practice_id


def test_only_the_owner_adds_users_and_roles_are_checked(owner: Api) -> None:
    biller = owner.login_as("biller")
    clinician = owner.login_as("clinician")
    body = {"email": "x@example.com", "password": "long-enough", "role": "biller"}
    assert biller.post("/users", body, expect=403)["error"]["code"] == "forbidden"
    assert clinician.post("/clients", {"name": "No"}, expect=403)["error"]["code"] == "forbidden"
    assert owner.post("/users", {**body, "role": "admin"}, expect=422)["error"]["code"] == "validation_error"
    dup = owner.post("/users", {**body, "email": owner.email}, expect=409)
    assert dup["error"]["code"] == "conflict"
