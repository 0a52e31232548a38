"""An attribute value reads the same on the fast path and in the streaming reader, also with an ampersand
(libxml2 hands a parser target each "&" of an attribute value as "&#38;" when entities are not resolved)."""

from __future__ import annotations

import pytest

from gateway.dossier import DossierLimits
from gateway.dossier.reader import StreamingReader
from gateway.dossier.small import read_small

NS = "http://www.edustandaard.nl/oso_gegevensset/2019/dossier"


def _streamed(data: bytes) -> dict[str, str]:
    reader = StreamingReader(blobs=None, limits=DossierLimits())
    reader.parser.feed(data)
    root = reader.parser.close()
    assert root is not None
    return dict(root[0].attrib)


@pytest.mark.parametrize(
    "written",
    ["Bosnië &amp; Herzegovina", "A &#38; B", "&lt;niet&gt; &quot;zo&quot;", "&amp;#38; letterlijk", "gewoon"],
)
def test_an_attribute_value_reads_the_same_on_both_readers(written: str) -> None:
    data = f'<dossier xmlns="{NS}"><land omschrijving="{written}">BA</land></dossier>'.encode()
    fast, _ = read_small(data, blobs=None, limits=DossierLimits())
    assert fast.root is not None
    assert _streamed(data) == dict(fast.root[0].attrib)
