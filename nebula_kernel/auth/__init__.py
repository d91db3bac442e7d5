"""Tenancy and authorization: star ids, principals, roles."""

from nebula_kernel.auth._principal import LOCAL_PRINCIPAL, Principal, Role, authorize
from nebula_kernel.auth._stars import StarId, star_matches

__all__ = ["LOCAL_PRINCIPAL", "Principal", "Role", "StarId", "authorize", "star_matches"]
