"""The fuzz tests use the hostile corpus's PKI and gateway fixtures."""

from tests.hostile.conftest import fast_hash, hostile_pki  # noqa: F401
