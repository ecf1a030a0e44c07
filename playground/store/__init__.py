"""The session store: every run recorded in SQLite as it happens (see store.py for the API)."""

from playground.store.opening import StoreError
from playground.store.store import Store, plan_from_run

__all__ = ["Store", "StoreError", "plan_from_run"]
