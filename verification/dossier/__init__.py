"""Pure rules on a parsed SWV dossier: the SWV profile (PaO.*), the category flags (OS.cat_*), code lists
and field formats (CODELIJST_n, OG.nn). Input is the ``dossier`` element of an lxml tree (as the gateway's
reader builds it, with attachment contents and any BSN value already replaced by placeholders); output is
a list of findings with the official rule identifier, a Dutch message and an XPath location.
"""

from __future__ import annotations

from verification.findings import Finding

from ._tree import NS, Element, path_of
from .categories import check_categories
from .codelists import check_codelists
from .profile import check_profile

__all__ = ["NS", "check_categories", "check_codelists", "check_dossier", "check_profile", "path_of"]


def check_dossier(root: Element) -> list[Finding]:
    """Every content rule for an SWV dossier, in a stable order (profile, categories, code lists)."""
    return [*check_profile(root), *check_categories(root), *check_codelists(root)]
