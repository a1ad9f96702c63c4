"""Python side of the mixed consumer group test (test/interop/group.test.ts).

Same app id (so the same consumer group) as the Faustus worker, one agent over the keyed topic P-events counting
events per key in the table `seen` (one standby replica, Faust's default, so the assignment has changelog standbys).
Prints PY_ASSIGNED with the full assignment after each rebalance and PY_EVENT for each event it processes.
"""
import os

from common import emit, make_app, run_worker
from interop_models import Keyed

P = os.environ["FAUST_PREFIX"]
app = make_app()
events_topic = app.topic(f"{P}-events", value_type=Keyed)
seen = app.Table("seen", default=int)


@app.agent(events_topic)
async def py_events(stream):
    async for event in stream.events():
        seen[event.value.key] += 1
        emit(
            "PY_EVENT",
            key=event.key.decode() if isinstance(event.key, bytes) else event.key,
            seq=event.value.seq,
            partition=event.message.partition,
            offset=event.message.offset,
        )


@app.on_partitions_assigned.connect
async def on_assigned(sender, assigned, **kwargs):
    emit("PY_ASSIGNED", partitions=sorted([tp.topic, tp.partition] for tp in assigned))


if __name__ == "__main__":
    run_worker(app)
