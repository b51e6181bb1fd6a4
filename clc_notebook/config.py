"""Connection settings: explicit arguments first, then the environment, else the embedded sandbox.

Environment names are the ones the CLC Ansible modules used, so existing setups carry over:
``CLC_V2_API_URL``, ``CLC_V2_API_USERNAME``, ``CLC_V2_API_PASSWD``, ``CLC_V2_API_TOKEN`` with
``CLC_ACCT_ALIAS``, and ``CLC_LOCATION`` (our addition) for the default data center. They are spelled
here only: the widgets and the tests import them from this module.
"""

from __future__ import annotations

import difflib
import os
from collections.abc import Mapping
from dataclasses import dataclass, field

from .errors import ConfigurationError

DEFAULT_URL = "https://api.ctl.io"

ENV_URL = "CLC_V2_API_URL"
ENV_USERNAME = "CLC_V2_API_USERNAME"
ENV_PASSWORD = "CLC_V2_API_PASSWD"
ENV_TOKEN = "CLC_V2_API_TOKEN"
ENV_ALIAS = "CLC_ACCT_ALIAS"
ENV_LOCATION = "CLC_LOCATION"
# every variable that points the client away from the embedded sandbox (tests clear these)
ENV_NAMES = (ENV_URL, ENV_USERNAME, ENV_PASSWORD, ENV_TOKEN, ENV_ALIAS, ENV_LOCATION)
# Not a connection setting: where exported code (s.curl(), runbooks, the widgets' code) reads a server's password.
ENV_SERVER_PASSWORD = "CLC_SERVER_PASSWORD"
# ... and, in s.curl()'s password change, the server's current password (the change sends both)
ENV_SERVER_CURRENT_PASSWORD = "CLC_SERVER_CURRENT_PASSWORD"

# numeric settings -> (bound, whether the bound itself is allowed): a bad value fails here, named,
# not later inside urllib3 or time.sleep
NUMBER_LIMITS = {
    "retries": (0, True),
    "backoff": (0, True),
    "backoff_max": (0, True),
    "poll": (0, False),
    "poll_backoff": (1, True),
    "poll_max": (0, False),
}


@dataclass(frozen=True)
class Settings:
    """Everything a Session needs to reach one account. Secrets are kept out of the repr."""

    url: str = DEFAULT_URL
    username: str | None = None
    password: str | None = field(default=None, repr=False)
    token: str | None = field(default=None, repr=False)
    alias: str | None = None
    location: str | None = None
    timeout: tuple[float, float] = (5.0, 30.0)
    verify: bool | str = True
    # transport re-sends (see transport.py); back-off grows from `backoff` s up to `backoff_max`
    retries: int = 4
    backoff: float = 0.2
    backoff_max: float = 2.0
    # job polling defaults (seconds): first interval, growth factor, ceiling
    poll: float = 1.0
    poll_backoff: float = 2.0
    poll_max: float = 5.0

    @property
    def has_credentials(self) -> bool:
        return bool(self.username and self.password)


def _pick(arg, env: Mapping[str, str], name: str):
    if arg is not None and arg != "":
        return arg
    value = env.get(name)
    return value if value else None


def resolve(
    url=None,
    username=None,
    password=None,
    *,
    token=None,
    alias=None,
    location=None,
    env: Mapping[str, str] | None = None,
    **options,
) -> Settings | None:
    """Combine explicit arguments with the environment, field by field (an argument wins).

    Returns None when neither arguments nor environment name an account (the caller then starts
    the embedded sandbox). Raises ConfigurationError for an incomplete combination, naming the
    argument and the environment variable that would complete it.
    """
    env = os.environ if env is None else env
    url = _pick(url, env, ENV_URL)
    username = _pick(username, env, ENV_USERNAME)
    password = _pick(password, env, ENV_PASSWORD)
    token = _pick(token, env, ENV_TOKEN)
    alias = _pick(alias, env, ENV_ALIAS)
    location = _pick(location, env, ENV_LOCATION)

    if not any((url, username, password, token)):
        return None
    if username and not password:
        raise ConfigurationError(
            f"a username ({username!r}) was given without a password: pass password=... or set {ENV_PASSWORD}"
        )
    if password and not username and not token:
        raise ConfigurationError(f"a password was given without a username: pass username=... or set {ENV_USERNAME}")
    if token and not (username and password) and not alias:
        raise ConfigurationError(f"a bearer token needs the account alias: pass alias=... or set {ENV_ALIAS}")
    if not username and not token:
        raise ConfigurationError(
            f"no credentials for {url}: pass username= and password= (or set {ENV_USERNAME} and "
            f"{ENV_PASSWORD}), or a token with its alias ({ENV_TOKEN} and {ENV_ALIAS})"
        )

    url = (url or DEFAULT_URL).rstrip("/")
    if not url.lower().startswith(("http://", "https://")):
        raise ConfigurationError(f"url must start with http:// or https://, got {url!r}")
    timeout = options.pop("timeout", None)
    if timeout is not None:
        options["timeout"] = _timeout(timeout)
    check_setting_names(options)
    for name, (bound, inclusive) in NUMBER_LIMITS.items():
        if name in options:
            _check_number(name, options[name], bound, inclusive)
    return Settings(
        url=url,
        username=username,
        password=password,
        token=token,
        alias=alias.upper() if alias else None,
        location=location.upper() if location else None,
        **options,
    )


def check_setting_names(options: Mapping[str, object]) -> None:
    """Raise ConfigurationError for a name that is not a Settings field, suggesting the close one
    (``retrys`` -> ``retries``) and otherwise listing the settings there are."""
    known = sorted(set(Settings.__dataclass_fields__) - {"url", "username", "password", "token", "alias", "location"})
    problems = []
    for name in sorted(set(options) - set(Settings.__dataclass_fields__)):
        close = difflib.get_close_matches(name, known, n=1)
        problems.append(f"{name!r} (did you mean {close[0]!r}?)" if close else repr(name))
    if problems:
        raise ConfigurationError(f"unknown setting(s) {', '.join(problems)}; the settings are: {', '.join(known)}")


def _check_number(name: str, value, bound: float, inclusive: bool) -> None:
    """Raise ConfigurationError unless `value` is a number above (or at, if `inclusive`) `bound`."""
    kinds = int if name == "retries" else (int, float)
    if isinstance(value, bool) or not isinstance(value, kinds) or not (value >= bound if inclusive else value > bound):
        rule = f"{'a whole number' if name == 'retries' else 'a number'} {'>=' if inclusive else '>'} {bound}"
        raise ConfigurationError(f"{name} must be {rule}, got {value!r}")


def _timeout(value) -> tuple[float, float]:
    """A (connect, read) pair from a number or a pair; rejects non-positive values."""
    try:
        pair = (value, value) if isinstance(value, (int, float)) else tuple(value)
    except TypeError:  # not a number and not iterable: the same message as any bad value
        pair = ()
    if len(pair) != 2 or not all(isinstance(v, (int, float)) and v > 0 for v in pair):
        raise ConfigurationError(f"timeout must be a positive number or a (connect, read) pair of them, got {value!r}")
    return (float(pair[0]), float(pair[1]))
