"""The process's one cache of the policy (read through :mod:`privet.policy.selectors`).

Its own module so that :meth:`PolicyVersion.declaration` (models) and the selectors share it
without importing each other.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, field
from datetime import date
from typing import Any, Protocol

from privet.errors import PrivetError

from .loader import parse_canonical
from .schema import Declaration


class Published(Protocol):
    """What the cache needs of a :class:`~privet.policy.models.PolicyVersion` row."""

    content_hash: str
    canonical: str

    @property
    def short_hash(self) -> str: ...

class TamperedVersion(PrivetError):
    code = "policy_version_tampered"
    status = 500


# How long a web process may go on using the version it last read for hot paths that do not
# record it (CORS origins of the consent API, the banner's words): a newly published version, or
# one whose date has come, takes effect there within this many seconds. Saves a query per request.
HOT_PATH_MAX_AGE = 5.0


@dataclass
class PolicyCache:
    """The process's only copy of the policy: declarations by content hash, and the hot-path row.

    ``declarations`` never needs invalidating, since a hash names one immutable text; ``hot`` is
    dropped by :func:`forget_hot_path_version` when this process publishes, and re-read after
    :data:`HOT_PATH_MAX_AGE` seconds or when the local date changes (a scheduled version's day).
    """

    declarations: dict[str, Declaration] = field(default_factory=dict)
    hot: tuple[float, date, Any] | None = None  # (read at, local date, version)

    def declaration_of(self, version: Published) -> Declaration:
        found = self.declarations.get(version.content_hash)
        if found is None:
            if hashlib.sha256(version.canonical.encode()).hexdigest() != version.content_hash:
                raise TamperedVersion(
                    f"Policy version {version.short_hash}: its stored text does not match its "
                    "content hash; the row was changed after publication. Restore it from a "
                    "backup or the published file."
                )
            found = self.declarations[version.content_hash] = parse_canonical(
                version.canonical, source=f"policy version {version.short_hash}"
            )
        return found


_cache = PolicyCache()
