"""The account: login and bearer tokens, the account itself, its custom field definitions."""

from __future__ import annotations

import hashlib
import json
import secrets

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


class Accounts:
    """Users, tokens and the account record."""

    name = "accounts"

    def __init__(self, ctx: Context) -> None:
        self.ctx = ctx

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
            token = secrets.token_urlsafe(48)
            now = self.ctx.clock.now()
            db.execute(
                "INSERT INTO tokens VALUES (?,?,?,?,?)",
                (_digest(token), user["username"], user["alias"], now, now + self.ctx.settings.token_ttl),
            )
            return {
                "userName": user["username"],
                "accountAlias": user["alias"],
                "locationAlias": user["location"],
                "roles": json.loads(user["roles"]),
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
