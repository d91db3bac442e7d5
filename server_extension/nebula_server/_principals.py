"""Who a Jupyter user is to Nebula: the claims that map the logged-in user to stars and roles."""

from __future__ import annotations

from collections.abc import Mapping

from nebula_kernel.auth import Principal

__all__ = ["ClaimsMap"]


class ClaimsMap:
    """Claims per Jupyter username, with a default for users not listed.

    In a personal JupyterLab the default gives the logged-in user every star (``{"*":
    "owner"}``); a shared deployment lists users explicitly and sets the default to ``{}``.
    Building the map validates every pattern and role, so bad configuration stops the server at
    start-up instead of failing requests.
    """

    def __init__(self, claims: Mapping[str, Mapping[str, str]], default: Mapping[str, str]) -> None:
        self._known = {user: Principal(user, dict(c)) for user, c in claims.items()}
        self._default = dict(default)
        Principal("config-check", self._default)

    def principal(self, username: str) -> Principal:
        known = self._known.get(username)
        return known if known is not None else Principal(username, self._default)
