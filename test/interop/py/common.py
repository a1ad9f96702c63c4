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
    return faust.App(os.environ["FAUST_APP_ID"], **options)


def emit(kind: str, **data) -> None:
    """One line `KIND {json}` on stdout, read by the test (PythonProcess.events). The real stdout: the `faust`
    command redirects sys.stdout into its logger."""
    sys.__stdout__.write(f"{kind} {json.dumps(data, default=str, sort_keys=True)}\n")
    sys.__stdout__.flush()


def run_worker(app: faust.App) -> None:
    loglevel = os.environ.get("FAUST_LOGLEVEL", "info")
    worker = faust.Worker(app, loglevel=loglevel, redirect_stdouts=False, quiet=True)
    worker.execute_from_commandline()
