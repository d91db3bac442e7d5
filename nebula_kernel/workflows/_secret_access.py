"""How an action gets a credential: only through its workflow's ``secrets`` grant.

One :class:`SecretBroker` serves one execution. Every secret it hands out is added to the
execution's :class:`Redactor`, and the runtime redacts outputs and error messages with it
before they reach the journal, the events or a downstream node's ``$nodes``.
"""

from __future__ import annotations

from nebula_kernel.errors import ActionFailed
from nebula_kernel.ports import SecretsStore
from nebula_kernel.workflows._capabilities import Needs, check_needs
from nebula_kernel.workflows._definition import Grants
from nebula_kernel.workflows._secrets import Redactor, SecretValue

__all__ = ["SecretBroker"]


class SecretBroker:
    def __init__(self, secrets: SecretsStore | None, star: str, grants: Grants) -> None:
        self._secrets = secrets
        self._star = star
        self._grants = grants
        self.redactor = Redactor()
        self.used = False  # nothing to redact until a secret was handed out

    def get(self, name: str, *, node: str, action: str) -> SecretValue:
        check_needs(Needs(secrets=(name,)), self._grants, node=node, action=action)
        found = None if self._secrets is None else self._secrets.get(self._star, name)
        if found is None:
            raise ActionFailed(
                f"Secret {name!r} is not set in star {self._star!r}; store it there before "
                "running this workflow.",
                error_code="secret_not_found",
                retryable=False,
                secret=name,
            )
        self.redactor.add(found)
        self.used = True
        return found
