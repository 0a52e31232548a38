"""Small helpers over a parsed dossier (an lxml element tree in the dossier namespace).

Rules read the dossier through these so that each rule stays one readable line, and every finding gets the
location the official validators report: ``/dossier[1]/huidigeschool[1]/leerling[1]/bsn[1]``.
"""

from __future__ import annotations

from collections.abc import Iterator

from lxml import etree

NS = "http://www.edustandaard.nl/oso_gegevensset/2019/dossier"
_P = f"{{{NS}}}"

Element = etree._Element


def q(name: str) -> str:
    return _P + name


def child(el: Element | None, name: str) -> Element | None:
    return None if el is None else el.find(_P + name)


def children(el: Element | None, name: str) -> list[Element]:
    return [] if el is None else el.findall(_P + name)


def has(el: Element | None, path: str) -> bool:
    """True when ``path`` ('a/b') leads to at least one element below ``el``."""
    return el is not None and el.find("/".join(_P + p for p in path.split("/"))) is not None


def text(el: Element | None, name: str | None = None) -> str | None:
    target = el if name is None else child(el, name)
    return None if target is None else (target.text or "")


def descendants(el: Element | None, name: str) -> Iterator[Element]:
    return iter(()) if el is None else el.iter(_P + name)


def is_true(el: Element | None, name: str) -> bool:
    """xs:boolean(od:name): 'true' or '1' (whitespace collapsed); absent is false."""
    value = text(el, name)
    return value is not None and value.strip() in ("true", "1")


def path_of(el: Element) -> str:
    """XPath with local names and positions, as the official XSLT reports locations."""
    steps: list[str] = []
    node: Element | None = el
    while node is not None:
        name = etree.QName(node).localname
        parent = node.getparent()
        index = 1
        if parent is not None:
            for sibling in parent.iterchildren(node.tag):
                if sibling is node:
                    break
                index += 1
        steps.append(f"{name}[{index}]")
        node = parent
    return "/" + "/".join(reversed(steps))


def path_below(el: Element, name: str) -> str:
    """Location of a (missing) child ``name`` of ``el``, for rules about absent data."""
    return f"{path_of(el)}/{name}"
