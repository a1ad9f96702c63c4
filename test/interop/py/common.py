"""Shared by the Python Faust fixture apps: the app from the environment the tests set, and event lines.

Environment: FAUST_APP_ID, KAFKA_BOOTSTRAP, FAUST_DATADIR (a temp dir: Faust writes {id}-data there),
FAUST_PARTITIONS (default topic partitions), FAUST_WEB_PORT (canonical url port; the web server itself is off).
"""
import json
import os
import sys

import faust


def make_app(**settings) -> faust.App:
    port = int(os.environ.get("FAUST_WEB_PORT", "6066"))
    options = dict(
        broker="kafka://" + os.environ["KAFKA_BOOTSTRAP"],
        datadir=os.environ.get("FAUST_DATADIR", "/tmp/faust-interop"),
        topic_partitions=int(os.environ.get("FAUST_PARTITIONS", "2")),
        web_enabled=False,
        web_port=port,
        canonical_url=f"http://127.0.0.1:{port}",
        reply_create_topic=True,
        consumer_auto_offset_reset="earliest",
        broker_commit_interval=0.5,
    )
    options.update(settings)
    app = faust.App(os.environ["FAUST_APP_ID"], **options)
    _report_rebalances(app)
    return app


def _report_rebalances(app: faust.App) -> None:
    """PY_GENERATION when a rebalance assigns partitions, PY_RESUMED when that generation's recovery is over.

    Until PY_RESUMED, Faust drops records it fetches for partitions it is still recovering, and for a partition without
    a committed offset it does not seek back to them (faust-streaming 0.15: perform_seek leaves uncommitted partitions where they are):
    records produced in that window are lost by the Python worker. Tests produce only after PY_RESUMED.
    """

    @app.on_partitions_assigned.connect
    async def on_assigned(sender, assigned, **kwargs):
        emit("PY_GENERATION", generation=app.consumer_generation_id)

    rebalance_end = app.on_rebalance_end

    def on_rebalance_end() -> None:
        rebalance_end()
        emit("PY_RESUMED", generation=app.consumer_generation_id)

    app.on_rebalance_end = on_rebalance_end


def emit(kind: str, **data) -> None:
    """One line `KIND {json}` on stdout, read by the test (PythonProcess.events). The real stdout: the `faust`
    command redirects sys.stdout into its logger."""
    sys.__stdout__.write(f"{kind} {json.dumps(data, default=str, sort_keys=True)}\n")
    sys.__stdout__.flush()


def run_worker(app: faust.App) -> None:
    loglevel = os.environ.get("FAUST_LOGLEVEL", "info")
    worker = faust.Worker(app, loglevel=loglevel, redirect_stdouts=False, quiet=True)
    worker.execute_from_commandline()
