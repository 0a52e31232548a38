"""Small helpers over a parsed dossier (an lxml element tree in the dossier namespace).

Rules read the dossier through these so that each rule stays one readable line, and every finding gets the
location the official validators report: ``/dossier[1]/huidigeschool[1]/leerling[1]/bsn[1]``.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import TypeAlias

from lxml import etree

NS = "http://www.edustandaard.nl/oso_gegevensset/2019/dossier"
_P = f"{{{NS}}}"
_BRACED_NS = _P

# lxml ships no type information (no py.typed; the third-party stubs lag the library): an element is Any to mypy
Element: TypeAlias = etree._Element


def q(name: str) -> str:
    return _P + name


def child(el: Element | None, name: str) -> Element | None:
    return None if el is None else next(el.iterchildren(_P + name), None)


def children(el: Element | None, name: str) -> list[Element]:
    return [] if el is None else list(el.iterchildren(_P + name))


def has(el: Element | None, path: str) -> bool:
    """True when ``path`` ('a/b') leads to at least one element below ``el`` (as ``el.find`` would)."""
    if el is None:
        return False
    first, _, rest = path.partition("/")
    return any(not rest or has(c, rest) for c in el.iterchildren(_P + first))


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
    """XPath with local names and positions, as the official XSLT reports locations.

    lxml's ``getelementpath`` walks the tree in C and gives the same positions (``tag[n]``, counted among
    siblings with the same namespace and name), but leaves out ``[1]`` for an only child and the root;
    those are filled in here. With only the dossier namespace (or none) in the path, the steps are its
    parts once the namespace is taken out; otherwise each step is matched against the element's own
    ancestors, so an odd namespace URI cannot confuse it."""
    tree = el.getroottree()
    try:
        found = tree.getelementpath(el)
    except ValueError:
        return _path_by_counting(el)
    head = f"/{_local(tree.getroot().tag)}[1]"
    if found == ".":
        return head if el.getparent() is None else _path_by_counting(el)
    plain = found.replace(_BRACED_NS, "")
    if "{" in plain or "}" in plain:
        return _path_by_matching(el, found)
    return head + "".join(f"/{step}" if step[-1] == "]" else f"/{step}[1]" for step in plain.split("/"))


def _path_by_matching(el: Element, found: str) -> str:
    chain = [el, *el.iterancestors()]
    steps = [f"{_local(chain[-1].tag)}[1]"]
    at, end = 0, len(found)
    for node in reversed(chain[:-1]):
        tag = node.tag
        if not found.startswith(tag, at):
            return _path_by_counting(el)
        at += len(tag)
        index = "1"
        if at < end and found[at] == "[":
            close = found.find("]", at)
            index = found[at + 1 : close]
            if close < 0 or not index.isdigit():
                return _path_by_counting(el)
            at = close + 1
        if at < end:
            if found[at] != "/":
                return _path_by_counting(el)
            at += 1
        steps.append(f"{_local(tag)}[{index}]")
    if at != end:
        return _path_by_counting(el)
    return "/" + "/".join(steps)


def _local(tag: str) -> str:
    return tag.rpartition("}")[2]


def _path_by_counting(el: Element) -> str:
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
