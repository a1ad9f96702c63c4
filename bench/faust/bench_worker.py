"""Python Faust side of `npm run bench -- faust` (bench/faust.ts). One workload per process, chosen by BENCH_MODE:

  passthrough  agent over BENCH_SRC (raw values) sending each value to BENCH_DST
  count        agent over BENCH_SRC (JSON Keyed records) counting per key in the table `counts` (with changelog)
  ask          agent `echo` over BENCH_SRC yielding each value; a task asks it BENCH_N times, one after another
  recovery     a table `recover` whose changelog was filled by the harness; the worker recovers it and reports

Lines on stdout for the harness: BENCH_FIRST {"t": epoch s} at the first event, BENCH_DONE {...} at the end.
Environment: FAUST_APP_ID, KAFKA_BOOTSTRAP, FAUST_DATADIR, BENCH_* as above.
"""
import asyncio
import json
import os
import sys
import time

import faust

MODE = os.environ["BENCH_MODE"]
N = int(os.environ.get("BENCH_N", "0"))
SRC = os.environ.get("BENCH_SRC", "")
DST = os.environ.get("BENCH_DST", "")
PARTITIONS = int(os.environ.get("BENCH_PARTITIONS", "4"))
ASK_TIMEOUT = float(os.environ.get("BENCH_ASK_TIMEOUT_S", "2"))


def emit(kind: str, **data) -> None:
    sys.stdout.write(f"{kind} {json.dumps(data)}\n")
    sys.stdout.flush()


app = faust.App(
    os.environ["FAUST_APP_ID"],
    broker="kafka://" + os.environ["KAFKA_BOOTSTRAP"],
    datadir=os.environ["FAUST_DATADIR"],
    web_enabled=False,
    topic_partitions=PARTITIONS,
    consumer_auto_offset_reset="earliest",
    table_standby_replicas=0,
)


class Keyed(faust.Record, namespace="bench.Keyed"):
    key: str
    seq: int


if MODE == "passthrough":
    src = app.topic(SRC, value_serializer="raw")
    dst = app.topic(DST, value_serializer="raw")

    # The same shape as the Faustus agent: yield each value, the output topic is the agent's sink.
    @app.agent(src, sink=[dst])
    async def passthrough(stream):
        n = 0
        async for value in stream:
            if n == 0:
                emit("BENCH_FIRST", t=time.time())
            yield value
            n += 1

elif MODE == "count":
    src = app.topic(SRC, value_type=Keyed)
    counts = app.Table("counts", default=int, partitions=PARTITIONS)

    @app.agent(src)
    async def count(stream):
        n = 0
        async for value in stream:
            if n == 0:
                emit("BENCH_FIRST", t=time.time())
            counts[value.key] += 1
            n += 1
            if n == N:
                emit("BENCH_DONE", t=time.time(), n=n)

elif MODE == "ask":
    src = app.topic(SRC, value_serializer="json", partitions=1)

    @app.agent(src)
    async def echo(stream):
        async for value in stream:
            yield value

    @app.task
    async def asker():
        await asyncio.sleep(float(os.environ.get("BENCH_ASK_DELAY", "3")))
        for i in range(50):  # warm up (the reply topic subscription, the first fetches)
            await echo.ask(i)
        latencies = []
        timeouts = 0
        in_a_row = 0
        emit("BENCH_FIRST", t=time.time())
        for i in range(N):
            started = time.perf_counter()
            try:
                # Faust's ask has no deadline. Here, after about 3,300 sequential asks, no reply comes any more (seen
                # in every full run): asks time out, and after 3 in a row the run stops with what it measured.
                await asyncio.wait_for(echo.ask(i), ASK_TIMEOUT)
            except asyncio.TimeoutError:
                timeouts += 1
                in_a_row += 1
                if in_a_row >= 3:
                    break
                continue
            in_a_row = 0
            latencies.append((time.perf_counter() - started) * 1000)
        latencies.sort()
        emit(
            "BENCH_DONE",
            t=time.time(),
            n=len(latencies),
            timeouts=timeouts,
            p50=latencies[len(latencies) // 2],
            p99=latencies[min(len(latencies) - 1, int(len(latencies) * 0.99))],
        )

elif MODE == "recovery":
    table = app.Table("recover", default=int, partitions=PARTITIONS)
    STARTED = {}

    # Timed from the (latest) partition assignment, as the Faustus side: recovery starts there.
    @app.on_partitions_assigned.connect
    async def assigned(sender, assigned, **kwargs):
        STARTED["t"] = time.time()

    @table.on_recover
    async def recovered():
        # Called after each recovery; the first one with the data is the measure (an empty one may come first).
        if len(table) > 0:
            emit("BENCH_DONE", t=time.time(), started=STARTED.get("t", 0), keys=len(table))

else:
    raise SystemExit(f"unknown BENCH_MODE {MODE}")


if __name__ == "__main__":
    worker = faust.Worker(app, loglevel=os.environ.get("FAUST_LOGLEVEL", "warning"), redirect_stdouts=False, quiet=True)
    worker.execute_from_commandline()
