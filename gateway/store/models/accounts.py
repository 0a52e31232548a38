"""Accounts of the web pages (owned by the web capability)."""
