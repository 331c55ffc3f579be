"""The caseworker workflow without HTTP: accounts, people, referrals, outcomes, audit, export.

Plain keyword-only functions taking a SQLAlchemy ``Session``; errors are the
:mod:`service.casework.errors` exceptions (mapped to HTTP by the app). Functions flush but do
not commit: the caller owns the transaction (``service.db.session_scope``), except that
:func:`~service.casework.accounts.authenticate` commits its failure bookkeeping.
"""

from __future__ import annotations

from service.casework.common import ANONYMOUS, SYSTEM, Actor, Page
from service.casework.permissions import Permission, allows, require

__all__ = ["ANONYMOUS", "SYSTEM", "Actor", "Page", "Permission", "allows", "require"]
