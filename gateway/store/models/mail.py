"""The mail outbox (owned by the ESIS capability; used by the web pages too)."""
