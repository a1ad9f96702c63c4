"""Python Faust side of `npm run bench -- anchors` (bench/anchors.ts), with Faust's defaults otherwise.

  python faust_anchor.py <passthrough|count> <bootstrap> <app id> <source> <sink or -> <records> <data dir> <partitions>

passthrough: an agent yielding every value (raw bytes) with the sink topic as its sink. count: a per-key count in a
table (with its changelog). Prints "ANCHOR_FIRST <epoch ms>" at the first record and "ANCHOR_DONE <epoch ms>" at the
last.
"""
import sys
import time

import faust

mode, bootstrap, app_id, source, sink, records, data_dir, partitions = sys.argv[1:9]
total = int(records)
seen = 0


def announce(what: str) -> None:
    sys.stdout.write(f"{what} {int(time.time() * 1000)}\n")
    sys.stdout.flush()


def mark() -> None:
    global seen
    seen += 1
    if seen == 1:
        announce("ANCHOR_FIRST")
    if seen == total:
        announce("ANCHOR_DONE")


app = faust.App(
    app_id,
    broker="kafka://" + bootstrap,
    datadir=data_dir,
    web_enabled=False,
    topic_partitions=int(partitions),
    consumer_auto_offset_reset="earliest",
    table_standby_replicas=0,
)
src = app.topic(source, key_serializer="raw", value_serializer="raw")

if mode == "passthrough":

    @app.agent(src, sink=[app.topic(sink, key_serializer="raw", value_serializer="raw")])
    async def passthrough(stream):
        async for value in stream:
            mark()
            yield value

elif mode == "count":
    counts = app.Table("counts", default=int, partitions=int(partitions))

    @app.agent(src)
    async def count(stream):
        async for key, _value in stream.items():
            counts[key.decode()] += 1
            mark()

else:
    raise SystemExit(f"unknown mode {mode}")


if __name__ == "__main__":
    sys.argv = [sys.argv[0], "worker"]
    worker = faust.Worker(app, loglevel="warning", redirect_stdouts=False, quiet=True)
    worker.execute_from_commandline()
