"""Tenancy and authorization: star ids, principals, roles."""

from nebula_kernel.auth._principal import LOCAL_PRINCIPAL, Principal, Role, authorize
from nebula_kernel.auth._stars import StarId, check_star_pattern, star_matches

__all__ = [
    "LOCAL_PRINCIPAL",
    "Principal",
    "Role",
    "StarId",
    "authorize",
    "check_star_pattern",
    "star_matches",
]
