"""Tests marked `official` need ../shared: skipped with a reason when it is absent, failed when
GATEWAY_TEST_REQUIRE_SHARED=1 (CI), run when present."""

from __future__ import annotations

import pytest

from tests.support import official


class _Item:
    def __init__(self, marked: bool) -> None:
        self.marked = marked

    def get_closest_marker(self, name: str) -> object | None:
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
    official.check_official(_Item(marked=False))  # type: ignore[arg-type]  # a stand-in pytest.Item: only get_closest_marker is called
    monkeypatch.setattr(official, "PRESENT", True)
    official.check_official(_Item(marked=True))  # type: ignore[arg-type]  # a stand-in pytest.Item: only get_closest_marker is called
