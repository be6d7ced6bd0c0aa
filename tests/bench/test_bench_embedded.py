"""bench/embedded.py, run small: `make run`'s one process (SQLite, in-memory channel layer, in-process worker) built
from nothing, a call sent through the one-request intake, and its offer seen on a dispatcher's board socket.

Not a timing test (the figures are `make bench`'s): it checks that the embedded mode's hot path works end to end,
where the PostgreSQL suite cannot (an earlier interpreter check used a lookup SQLite does not have)."""

import socket

from bench import embedded
from bench.common import Config, Services


def _port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def test_every_call_reaches_the_board_in_the_embedded_mode(monkeypatch):
    monkeypatch.setenv("BENCH_EMB_CALLS", "3")
    monkeypatch.setenv("BENCH_EMB_FLOOR", "5")
    cfg = Config(quick=True, sections=["embedded"], database_url="", redis_url="", port=_port() - 40, keep_db=False)

    [table] = embedded.run(cfg, Services())

    assert table.data["missing"] == 0
    assert len(table.data["dash"]) == 3
    assert len(table.data["ping"]) == 5 and len(table.data["insert"]) == 5
    assert [row[0] for row in table.rows][0] == "POST /api/calls/intake/ -> call.offered on the board"
