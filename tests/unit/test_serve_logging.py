"""``oms serve`` never lets uvicorn write access lines: they would log query strings, and a
carrier push URL carries a secret there (SF's ``?token=``)."""

from __future__ import annotations

from typing import Any

import pytest
import uvicorn

from oms import cli
from oms.config import Settings
from oms.core.clock import ManualClock
from oms.core.db import make_engine
from oms.core.uow import Database


def test_serve_runs_uvicorn_without_access_lines(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Any
) -> None:
    calls: list[dict[str, Any]] = []
    monkeypatch.setenv("OMS_EMBEDDED_WORKER", "0")  # _serve_many sets it; restored after
    monkeypatch.setattr(uvicorn, "run", lambda *args, **kwargs: calls.append(kwargs))
    db = Database(make_engine(f"sqlite:///{tmp_path / 'oms.db'}"), ManualClock())
    settings = Settings(env="test", migrate_on_start=False, embedded_worker=False)
    cli._serve_one(settings, db, "127.0.0.1", 0, run_worker=False)
    cli._serve_many(settings, db, "127.0.0.1", 0, 2, run_worker=False)
    assert [call["access_log"] for call in calls] == [False, False]
