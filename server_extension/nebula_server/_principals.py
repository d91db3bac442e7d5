"""Who a Jupyter user is to Nebula: the claims that map the logged-in user to stars and roles."""

from __future__ import annotations

import getpass
import re
from collections.abc import Mapping

from nebula_kernel.auth import Principal

__all__ = ["ClaimsMap", "account_name"]

# jupyter_server's name for a caller it knows only by the shared token: a random hex id
# per browser session, or per request for a client that keeps no cookies.
_ANONYMOUS_ID = re.compile(r"[0-9a-f]{32}")


def account_name() -> str:
    """The operating-system account running this process (``jupyter`` if it has no name)."""
    try:
        return getpass.getuser()
    except (KeyError, OSError):  # no passwd entry, as in some containers
        return "jupyter"


def _anonymous(user: object) -> bool:
    name = getattr(user, "name", "")
    username = getattr(user, "username", "")
    return (
        isinstance(name, str)
        and name.startswith("Anonymous ")
        and bool(isinstance(username, str) and _ANONYMOUS_ID.fullmatch(username))
    )


class ClaimsMap:
    """Claims per Jupyter username, with a default for users not listed.

    In a personal JupyterLab the default gives the logged-in user every star (``{"*":
    "owner"}``); a shared deployment lists users explicitly and sets the default to ``{}``.
    Building the map validates every pattern and role, so bad configuration stops the server at
    start-up instead of failing requests.
    """

    def __init__(
        self,
        claims: Mapping[str, Mapping[str, str]],
        default: Mapping[str, str],
        *,
        token_holder: str,
    ) -> None:
        self._known = {user: Principal(user, dict(c)) for user, c in claims.items()}
        self._default = dict(default)
        self._token_holder = token_holder
        Principal("config-check", self._default)
        Principal(token_holder, {})

    def principal(self, username: str) -> Principal:
        known = self._known.get(username)
        return known if known is not None else Principal(username, self._default)

    def principal_of(self, user: object) -> Principal:
        """The principal of a Jupyter user (``current_user``).

        A caller jupyter_server knows only by its shared token gets a made-up anonymous id,
        new for every client without cookies (a CLI call, a script): all such callers are the
        token's holder, so they are one principal, ``token_holder``, and history does not show
        a stranger per request.
        """
        if _anonymous(user):
            return self.principal(self._token_holder)
        return self.principal(getattr(user, "username", None) or str(user))
