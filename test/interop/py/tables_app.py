"""Python side of the cross-language tables test (test/interop/tables.test.ts), run as `faust -A tables_app worker`
so agent names are `tables_app.<function>` as in a deployed Faust app.

Tables: `counts` (word -> total n) and `views` (the same, in 60 s tumbling windows of the event time), both with
changelogs. TABLES_MODE=write: the agent `count_words` over P-words (Word records keyed by word) updates both, and
prints PY_TABLES with their contents after TABLES_EVENTS events. TABLES_MODE=read: no events; prints PY_TABLES once
recovery is complete (the contents recovered from the changelogs). The agent `regroup` re-keys P-clicks by
Click.user through a group_by repartition topic (the test compares its name with Faustus's).
"""
import asyncio
import os
from datetime import timedelta

import faust

from common import emit, make_app

P = os.environ["FAUST_PREFIX"]
MODE = os.environ.get("TABLES_MODE", "write")
EVENTS = int(os.environ.get("TABLES_EVENTS", "0"))

app = make_app(table_standby_replicas=0)


class Word(faust.Record, namespace="interop.Word"):
    word: str
    n: int


class Click(faust.Record, namespace="interop.Click"):
    user: str
    page: str


words = app.topic(f"{P}-words", value_type=Word)
clicks = app.topic(f"{P}-clicks", value_type=Click)
counts = app.Table("counts", default=int)
views = app.Table("views", default=int).tumbling(60, expires=timedelta(days=7))


def contents():
    plain = sorted([key, value] for key, value in counts.items())
    windowed = sorted([key[0], key[1][0], key[1][1], value] for key, value in views.table.data.items())
    return {"counts": plain, "views": windowed}


@app.agent(words)
async def count_words(stream):
    seen = 0
    async for word in stream:
        counts[word.word] += word.n
        views[word.word] += word.n
        seen += 1
        if seen == EVENTS:
            emit("PY_TABLES", **contents())


@app.agent(clicks)
async def regroup(stream):
    async for click in stream.group_by(Click.user):
        emit("PY_CLICK", user=click.user, page=click.page)


@app.task
async def report_recovered():
    if MODE != "read":
        return
    await app.tables.recovery.completed.wait()
    await asyncio.sleep(0.5)
    emit("PY_TABLES", **contents())
