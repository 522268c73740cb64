"""Database models, one module per aggregate."""

from webapp.models.access import DomainAccess
from webapp.models.domain import Domain, DomainStatus
from webapp.models.login_throttle import LoginThrottle
from webapp.models.user import User

__all__ = ["Domain", "DomainAccess", "DomainStatus", "LoginThrottle", "User"]
