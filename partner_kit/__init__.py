"""Code for integration partners of the SWV intake gateway (docs/partners/parnassys.md). Each module stands
alone: it imports nothing of the gateway and may be copied into a partner's project as is."""
