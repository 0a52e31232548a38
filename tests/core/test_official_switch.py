"""Tests marked `official` need ../shared: skipped with a reason when it is absent, failed when
GATEWAY_TEST_REQUIRE_SHARED=1 (CI), run when present."""

from __future__ import annotations

import pytest

from tests.support import official


class _Item:
    def __init__(self, marked: bool) -> None:
        self.marked = marked
        self.asked: list[str] = []  # the markers the check looked up

    def get_closest_marker(self, name: str) -> object | None:
        self.asked.append(name)
        return object() if self.marked and name == "official" else None


def test_absent_official_files_skip_a_marked_test_with_the_reason(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(official, "PRESENT", False)
    monkeypatch.delenv("GATEWAY_TEST_REQUIRE_SHARED", raising=False)
    with pytest.raises(pytest.skip.Exception, match=r"\.\./shared/oso-gegevensset-2019\.1"):
        official.check_official(_Item(marked=True))  # type: ignore[arg-type]  # a stand-in pytest.Item: only get_closest_marker is called


def test_absent_official_files_fail_a_marked_test_when_required(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(official, "PRESENT", False)
    monkeypatch.setenv("GATEWAY_TEST_REQUIRE_SHARED", "1")
    with pytest.raises(pytest.fail.Exception, match="GATEWAY_TEST_REQUIRE_SHARED=1"):
        official.check_official(_Item(marked=True))  # type: ignore[arg-type]  # a stand-in pytest.Item: only get_closest_marker is called


def test_unmarked_tests_and_present_files_run(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("GATEWAY_TEST_REQUIRE_SHARED", "1")
    monkeypatch.setattr(official, "PRESENT", False)
    unmarked = _Item(marked=False)
    official.check_official(unmarked)  # type: ignore[arg-type]  # a stand-in pytest.Item: only get_closest_marker is called
    assert unmarked.asked == ["official"]  # files absent: it looked, found no mark, and let the test run
    monkeypatch.setattr(official, "PRESENT", True)
    marked = _Item(marked=True)
    official.check_official(marked)  # type: ignore[arg-type]  # a stand-in pytest.Item: only get_closest_marker is called
    assert marked.asked == []  # files present: every test runs, the mark is not even consulted
