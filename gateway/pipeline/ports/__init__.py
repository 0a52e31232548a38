"""The core's ports: what adapters read from and write to the store, as typed functions and classes.

Adapters (``adapters/<system>/``) never touch the store's tables: they import no ``gateway.store.models``,
no SQLAlchemy or SQLModel, and open no session of `gateway.store.db.Database` (`reader`, `session`, `run`).
A `Database` is only a handle they pass to these ports. Each module here is one idea:

- `catalogue`: the SWV's reference data (SWV, vestiging, aanvraagtype catalogue, coördinator), one loader
  each behind one short in-process cache — used by the pipeline and by an adapter's intake alike;
- `requests`: a stored request as an adapter may see it (`StoredRequest`), and `Amend`, an update decided
  against it inside the transaction that stores it;
- `exchanges`: exchanges as read-only views, and the few marks an adapter may set on them;
- `outbox`: follow-up messages an adapter's periodic job writes itself;
- `remote_sessions`: sessions held open at an outside system, as rows (`RemoteSessions`);
- `registry`: vestigingen with their routeringskenmerken, OSR mandates as learned, the verificatiecode states;
- `audit`: an audit entry in a transaction of its own.

The boundary is held by ``tests/architecture/test_adapters_use_ports.py``.
"""
