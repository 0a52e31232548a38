"""The dossier XSD is parsed into a validator per thread, and those validators are built one at a time:
libxml2's schema parser is not safe from several threads at once (two workers' threads building at the same
moment crashed a gateway with SIGSEGV in the crash test and the demo)."""

from __future__ import annotations

import threading
import time

import pytest
from lxml import etree

from gateway.dossier import schema


def test_validators_of_several_threads_are_built_one_at_a_time(monkeypatch: pytest.MonkeyPatch) -> None:
    inside, most, lock = 0, 0, threading.Lock()
    real = etree.XMLSchema

    def counting(doc: etree._ElementTree) -> etree.XMLSchema:
        nonlocal inside, most
        with lock:
            inside += 1
            most = max(most, inside)
        time.sleep(0.02)  # long enough for another thread to arrive if nothing keeps it out
        try:
            return real(doc)
        finally:
            with lock:
                inside -= 1

    monkeypatch.setattr(schema.etree, "XMLSchema", counting)
    start = threading.Barrier(6)
    built: list[etree.XMLSchema] = []

    def worker() -> None:
        start.wait()
        built.append(schema._load(schema.OWN_XSD))  # a fresh thread: its own validator

    threads = [threading.Thread(target=worker) for _ in range(6)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert len(built) == 6 and len({id(v) for v in built}) == 6  # one validator per thread
    assert most == 1
