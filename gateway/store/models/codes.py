"""ESIS verificatiecodes (owned by the ESIS capability)."""
