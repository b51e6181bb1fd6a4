"""The account: login and bearer tokens, the account itself, its custom field definitions.

Bearer tokens are shaped like production's: a JWT (`header.payload.signature`, base64url, HS256) with
the claims production's carried (`unique_name`, `role`, `urn:tier3:account-alias`,
`urn:tier3:location-alias`, `iss`, `aud`, `nbf`, `exp`, `exp - nbf` = the token lifetime) plus a
random `jti`, so that two logins in the same second get two tokens. The signature uses a secret of
this sandbox (made at start, never shown). The sandbox does not trust the token's content: a token
is valid while its digest is in the store and not expired there (so `expire_tokens` and a reset of
the clock work as before, and a token survives a restart with `--state`).
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import math
import secrets
from typing import Any

from .. import fixtures
from ..common import Principal
from ..context import Context
from ..errors import BAD_LOGIN_MESSAGE, BadRequest, Unauthorized
from ..handling import Call
from ..registry import route
from ..shapes import link
from ..validation import Body


def _digest(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def _b64url(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def _segment(value: dict[str, Any]) -> str:
    return _b64url(json.dumps(value, separators=(",", ":")).encode())


def jwt(claims: dict[str, Any], secret: bytes) -> str:
    """An HS256 JSON Web Token of `claims`, signed with `secret`."""
    signed = f"{_segment({'typ': 'JWT', 'alg': 'HS256'})}.{_segment(claims)}"
    return f"{signed}.{_b64url(hmac.new(secret, signed.encode(), hashlib.sha256).digest())}"


class Accounts:
    """Users, tokens and the account record."""

    name = "accounts"

    def __init__(self, ctx: Context) -> None:
        self.ctx = ctx
        self._secret = secrets.token_bytes(32)  # signs this sandbox's tokens; never leaves the process

    @route("POST", "/v2/authentication/login", auth=False, body=True)
    def login(self, call: Call) -> dict:
        """Check the credentials and issue a bearer token (400 with the documented message if wrong)."""
        body = Body(call.body)
        username, password = body.get("username"), body.get("password")
        if not isinstance(username, str) or not isinstance(password, str):
            raise BadRequest(BAD_LOGIN_MESSAGE)
        with self.ctx.store.transaction() as db:
            user = db.execute("SELECT * FROM users WHERE lower(username)=?", (username.lower(),)).fetchone()
            if user is None or not secrets.compare_digest(user["password"].encode(), password.encode()):
                raise BadRequest(BAD_LOGIN_MESSAGE)
            now = self.ctx.clock.now()
            expires = now + self.ctx.settings.token_ttl
            roles = json.loads(user["roles"])
            claims = {
                "unique_name": user["username"],
                "role": roles,
                "urn:tier3:account-alias": user["alias"],
                "urn:tier3:location-alias": user["location"],
                "iss": "urn:api-tier3",
                "aud": "urn:tier3-users",
                "nbf": math.floor(now),
                "exp": math.floor(now) + math.ceil(self.ctx.settings.token_ttl),
                "jti": secrets.token_hex(16),
            }
            token = jwt(claims, self._secret)
            db.execute(
                "INSERT INTO tokens VALUES (?,?,?,?,?)", (_digest(token), user["username"], user["alias"], now, expires)
            )
            return {
                "userName": user["username"],
                "accountAlias": user["alias"],
                "locationAlias": user["location"],
                "roles": roles,
                "bearerToken": token,
            }

    def authenticate(self, authorization: str | None) -> Principal:
        """Who holds the bearer token of an Authorization header; 401 when missing, invalid or expired."""
        if not authorization:
            raise Unauthorized()
        scheme, _, token = authorization.strip().partition(" ")
        token = token.strip()
        if scheme.lower() != "bearer" or not token:
            raise Unauthorized()
        with self.ctx.store.transaction() as db:
            row = db.execute("SELECT * FROM tokens WHERE digest=?", (_digest(token),)).fetchone()
            if row is None or row["expires"] <= self.ctx.clock.now():
                raise Unauthorized()
            return Principal(row["username"], row["alias"])

    def expire_tokens(self) -> int:
        """Invalidate every token issued so far; returns how many there were."""
        with self.ctx.store.transaction() as db:
            return db.execute("DELETE FROM tokens").rowcount

    @route("GET", "/v2/accounts/{alias}")
    def account(self, call: Call) -> dict:
        """The account (undocumented `GET /v2/accounts/{alias}`, the server's `account` link)."""
        with self.ctx.call(call) as tx:
            a = tx.alias
            user = tx.db.execute("SELECT * FROM users WHERE username=?", (tx.who.username,)).fetchone()
            return {
                "accountAlias": a,
                "parentAlias": None,
                "businessName": f"{a} sandbox account",
                "primaryDataCenter": user["location"] if user else fixtures.LOCATION,
                "status": "active",
                "isManaged": False,
                "links": [
                    link("self", f"/v2/accounts/{a.lower()}"),
                    link("customFields", f"/v2/accounts/{a.lower()}/customFields"),
                ],
            }

    @route("GET", "/v2/accounts/{alias}/customFields")
    def custom_fields(self, call: Call) -> list[dict]:
        """The account's custom field definitions."""
        with self.ctx.call(call) as tx:
            return [
                {
                    "id": r["id"],
                    "name": r["name"],
                    "isRequired": bool(r["is_required"]),
                    "type": r["type"],
                    "options": json.loads(r["options"]),
                }
                for r in tx.db.execute("SELECT * FROM custom_fields ORDER BY position")
            ]
