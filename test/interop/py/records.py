"""Record test vectors, Python side.

  python records.py gen                 print the vectors (test/interop/vectors/records.json) as Python Faust writes them
                                        (then `npx biome format --write test/interop/vectors`: the file is data, its
                                        layout does not matter to either side)
  python records.py check VECTORS TS    check that Python still writes every vector byte for byte, reads it back to the
                                        same fields, and reads the bytes Faustus wrote (TS: JSON {name: wire}) to the
                                        same fields and re-writes them to the same bytes; prints a JSON report
"""
import json
import sys
from datetime import datetime, timedelta, timezone
from decimal import Decimal

import faust
from faust.agents.models import ModelReqRepRequest, ModelReqRepResponse, ReqRepRequest, ReqRepResponse
from interop_models import (
    Add,
    BankPayment,
    CardPayment,
    Item,
    Ledger,
    Order,
    Payment,
    Point,
    Reading,
)

UTC = timezone.utc

# name -> (model to decode with, how a Python user builds the value, direction)
# "both": Python writes these bytes and Faustus must write the same; "py": Python-only forms Faustus reads.
CASES = {
    "point": (Point, lambda: Point(x=1, y=-2), "both"),
    "item-integral-float": (Item, lambda: Item(name="kettle", price=60.0), "both"),
    "item-unicode": (Item, lambda: Item(name='Crème brûlée 😀 "q" \\ \n\t\x01 ü', price=1e16), "both"),
    "item-tiny-float": (Item, lambda: Item(name="tiny", price=1e-05), "both"),
    "item-fraction": (Item, lambda: Item(name="x", price=0.1), "both"),
    "item-negative-big": (Item, lambda: Item(name="neg", price=-123456789.125), "both"),
    "item-repr-17": (Item, lambda: Item(name="r", price=1 / 3), "both"),
    "item-exponent": (Item, lambda: Item(name="e", price=1.5e-7), "both"),
    "order-full": (
        Order,
        lambda: Order(
            id=7,
            items=[Item(name="a", price=1.5), Item(name="b", price=2.0)],
            tags={"x": 1, "é": 2},
            main=Item(name="m", price=3.25),
            note="gift",
            qty=3,
        ),
        "both",
    ),
    "order-defaults": (
        Order,
        lambda: Order(id=8, items=[], tags={}, main=Item(name="m", price=0.0)),
        "both",
    ),
    "reading-micros": (
        Reading,
        lambda: Reading(
            at=datetime(2024, 1, 2, 3, 4, 5, 120000, tzinfo=UTC),
            amount=Decimal("12.50"),
            temp=-4.5,
            flags=[True, False],
        ),
        "both",
    ),
    "reading-whole-seconds": (
        Reading,
        lambda: Reading(at=datetime(2023, 12, 31, 23, 59, 59, tzinfo=UTC), amount=Decimal("1"), temp=60.0, flags=[]),
        "both",
    ),
    "ledger-dicts": (
        Ledger,
        lambda: Ledger(
            entries={"a": [1, 2, 3], "b": []},
            items={"k": Item(name="v", price=9.0)},
            grid=[[1, 2], [3]],
            extra={"note": "ok"},
        ),
        "both",
    ),
    "ledger-optional-null": (
        Ledger,
        lambda: Ledger(entries={}, items={}, grid=[]),
        "both",
    ),
    "payment-card-as-base": (Payment, lambda: CardPayment(amount=10.0, card="4111"), "both"),
    "payment-bank-as-base": (Payment, lambda: BankPayment(amount=2.5, iban="DE00"), "both"),
    "payment-base": (Payment, lambda: Payment(amount=1.0), "both"),
    # Forms Python writes that Faustus reads but writes differently (it always writes UTC with Z).
    "reading-offset": (
        Reading,
        lambda: Reading(
            at=datetime(2024, 1, 2, 5, 4, 5, 120000, tzinfo=timezone(timedelta(hours=2))),
            amount=Decimal("3.14"),
            temp=1.0,
            flags=[True],
        ),
        "py",
    ),
    "item-int-in-float-field": (Item, lambda: Item(name="int", price=60), "py"),
}


# Request/reply envelopes (faust/agents/models.py): name -> (how Faust builds it, the value inside)
ENVELOPES = {
    "request-plain": (lambda: ReqRepRequest(value=5, reply_to="f-reply-1", correlation_id="c-1"), 5),
    "request-model": (
        lambda: ModelReqRepRequest(value=Add(a=1, b=2), reply_to="f-reply-1", correlation_id="c-2"),
        Add(a=1, b=2),
    ),
    "response-plain": (lambda: ReqRepResponse(key=None, value=3, correlation_id="c-1"), 3),
    "response-model": (
        lambda: ModelReqRepResponse(key="k", value=Add(a=3, b=4), correlation_id="c-2"),
        Add(a=3, b=4),
    ),
}


def neutral(value):
    """A record as plain JSON data: fields read through the descriptors (Faust converts nested data lazily)."""
    if isinstance(value, faust.Record):
        out = {name: neutral(getattr(value, name)) for name in value._options.fields}
        out["__ns"] = value._options.namespace
        return out
    if isinstance(value, datetime):
        aware = value if value.tzinfo is not None else value.replace(tzinfo=UTC)
        return {"datetime": aware.astimezone(UTC).isoformat()}
    if isinstance(value, Decimal):
        return {"decimal": str(value)}
    if isinstance(value, dict):
        return {str(k): neutral(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [neutral(v) for v in value]
    if isinstance(value, float):
        return {"float": repr(value)}
    return value


def gen() -> None:
    vectors = []
    for name, (model, build, direction) in CASES.items():
        value = build()
        vectors.append(
            {
                "name": name,
                "model": model._options.namespace,
                "direction": direction,
                "wire": value.dumps(serializer="json").decode("ascii"),
                "fields": neutral(value),
            }
        )
    envelopes = []
    for name, (build, inner) in ENVELOPES.items():
        envelope = build()
        envelopes.append(
            {
                "name": name,
                "wire": envelope.dumps(serializer="json").decode("ascii"),
                "value_wire": faust.serializers.codecs.dumps("json", inner).decode("ascii"),
                "reply_to": getattr(envelope, "reply_to", None),
                "correlation_id": envelope.correlation_id,
                "key": getattr(envelope, "key", None),
            }
        )
    doc = {
        "producer": f"faust-streaming {faust.__version__}",
        "note": "generated by test/interop/py/records.py gen; fields: floats as {float: repr}, dates as UTC ISO",
        "vectors": vectors,
        "envelopes": envelopes,
    }
    print(json.dumps(doc, indent=2, ensure_ascii=True))


def check(vectors_path: str, ts_path: str) -> None:
    doc = json.load(open(vectors_path))
    ts_wire = json.load(open(ts_path))
    failures = []
    checked = 0
    for vector in doc["vectors"]:
        name = vector["name"]
        model, build, direction = CASES[name]
        wire = vector["wire"].encode("ascii")
        checked += 1
        written = build().dumps(serializer="json")
        if written != wire:
            failures.append({"name": name, "what": "python writes", "got": written.decode(), "want": vector["wire"]})
        read = neutral(model.loads(wire, serializer="json"))
        if read != vector["fields"]:
            failures.append({"name": name, "what": "python reads the vector", "got": read, "want": vector["fields"]})
        if direction != "both":
            continue
        got = ts_wire.get(name)
        if got is None:
            failures.append({"name": name, "what": "faustus bytes missing"})
            continue
        from_ts = model.loads(got.encode("utf-8"), serializer="json")
        if neutral(from_ts) != vector["fields"]:
            failures.append(
                {"name": name, "what": "python reads faustus bytes", "got": neutral(from_ts), "want": vector["fields"]}
            )
        if from_ts.dumps(serializer="json") != wire:
            failures.append({"name": name, "what": "python re-writes faustus bytes", "got": from_ts.dumps(serializer="json").decode()})
    print(json.dumps({"checked": checked, "failures": failures}))


if __name__ == "__main__":
    if sys.argv[1] == "gen":
        gen()
    else:
        check(sys.argv[2], sys.argv[3])
