"""Accounts of the web pages: passwords (scrypt), the TOTP second factor, lock-out, sessions, reset tokens."""
