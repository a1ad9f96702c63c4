"""Table changelog key vectors, Python side (test/interop/vectors/table-keys.json).

  python table_keys.py gen     print the vectors: for each logical key, the changelog key bytes a Faust table writes
                               for it (plain, windowed and set tables), as latin1 text

The bytes come from Faust's own objects: a table's changelog topic serializes keys with the table's key serializer
(`changelog_topic.prepare_key`), windowed keys are `(key, (start, end))` of the window ranges Faust computes, set table
keys are `(operation, key)`. `faust_bytes_key` records what Faust writes for a *bytes* key (a raw topic's key given
to a table as it is): the bytes unencoded, which Faust's own recovery cannot decode (KeyDecodeError); Faustus
writes the JSON of the key's UTF-8 text instead, which is what Faust writes for the same key declared `key_type=str`.
"""
import json
import sys

import faust

app = faust.App("table-keys", broker="memory://", store="memory://", web_enabled=False)


class UserKey(faust.Record, namespace="interop.UserKey"):
    id: str


table = app.Table("t", default=int)
windowed = app.Table("w", default=int).tumbling(60)
sets = app.SetTable("s")

# name -> logical key as a Python user holds it
KEYS = {
    "alice": "alice",
    "bob": "bob",
    "unicode": "zoë ü 😀",
    "number": 7,
    "number-big": 123456789012,
    "json": {"id": "alice", "n": 2},
    "json-b": {"id": "bob", "tags": ["x", "é"]},
    "record": UserKey(id="alice"),
    "record-b": UserKey(id="bob"),
}
# A time inside the first window of a 60 s tumbling window after the epoch + 1000 s.
EVENT_TIME = 1000.5


def wire(topic, key) -> str:
    data, _ = topic.prepare_key(key, None)
    return data.decode("latin1")


def gen() -> None:
    out = []
    for name, key in KEYS.items():
        ranges = windowed.table._window_ranges(EVENT_TIME)
        out.append(
            {
                "name": name,
                "table": wire(table.changelog_topic, key),
                "windowed": [wire(windowed.table.changelog_topic, (key, r)) for r in ranges],
                "set_add": wire(sets.changelog_topic, (1, key)),
            }
        )
    bytes_key, _ = table.changelog_topic.prepare_key(b"alice", None)
    doc = {
        "generated_by": "test/interop/py/table_keys.py gen (faust-streaming " + faust.__version__ + ")",
        "event_time_s": EVENT_TIME,
        "window_s": 60,
        "keys": out,
        "faust_bytes_key": bytes_key.decode("latin1"),
    }
    json.dump(doc, sys.stdout, indent=1, ensure_ascii=False)
    sys.stdout.write("\n")


if __name__ == "__main__":
    if sys.argv[1:] != ["gen"]:
        sys.exit(__doc__)
    gen()
