"""Quix Streams side of `npm run bench -- anchors` (bench/anchors.ts), with Quix's defaults otherwise.

  python quix_anchor.py <passthrough|count> <bootstrap> <consumer group> <source> <sink or -> <records> <state dir>

passthrough: every record (raw bytes) to the sink topic. count: a per-key count in Quix's state (RocksDB, with its
changelog topic). Prints "ANCHOR_FIRST <epoch ms>" at the first record and "ANCHOR_DONE <epoch ms>" at the last.
"""
import sys
import time

from quixstreams import Application

mode, bootstrap, group, source, sink, records, state_dir = sys.argv[1:8]
total = int(records)
seen = 0


def announce(what: str) -> None:
    sys.stdout.write(f"{what} {int(time.time() * 1000)}\n")
    sys.stdout.flush()


def mark(_value) -> None:
    global seen
    seen += 1
    if seen == 1:
        announce("ANCHOR_FIRST")
    if seen == total:
        announce("ANCHOR_DONE")


app = Application(
    broker_address=bootstrap,
    consumer_group=group,
    auto_offset_reset="earliest",
    state_dir=state_dir,
    loglevel="WARNING",
)
sdf = app.dataframe(app.topic(source, key_deserializer="bytes", value_deserializer="bytes"))
if mode == "passthrough":
    sdf = sdf.update(mark)
    sdf.to_topic(app.topic(sink, key_serializer="bytes", value_serializer="bytes"))
elif mode == "count":

    def count(value, state):
        n = state.get("count", 0) + 1
        state.set("count", n)
        mark(value)
        return n

    sdf = sdf.apply(count, stateful=True)
else:
    raise SystemExit(f"unknown mode {mode}")

app.run()
