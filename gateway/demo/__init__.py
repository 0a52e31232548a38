"""`gateway demo`: the gateway on the embedded default with simulated schools pushing real requests."""
