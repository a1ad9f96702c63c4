"""Python side of the web interop test (test/interop/web.test.ts): a Faust worker with its web server on, in the
same group as a Faustus worker. The agent `web_app.count` counts events per key (JSON keys) in the table `counts`;
Faust's built-in `/table/{name}/{key}/` view routes a lookup to the worker owning the key.
"""
import os

from common import emit, make_app, run_worker

P = os.environ["FAUST_PREFIX"]
PORT = int(os.environ["FAUST_WEB_PORT"])

app = make_app(
    web_enabled=True,
    web_bind="127.0.0.1",
    web_host="127.0.0.1",
    web_port=PORT,
    table_standby_replicas=0,
)

words = app.topic(f"{P}-words", key_type=str, key_serializer="json", value_serializer="json")
counts = app.Table("counts", default=int)


@app.agent(words, name="web_app.count")
async def count(stream):
    async for event in stream.events():
        counts[event.key] += 1


@app.task
async def announce():
    emit("PY_STARTED", url=str(app.conf.canonical_url))


if __name__ == "__main__":
    run_worker(app)
