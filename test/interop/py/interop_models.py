"""Faust records shared with the TypeScript side (test/interop/models.ts declares the same namespaces)."""
from datetime import datetime
from decimal import Decimal
from typing import Dict, List, Optional

import faust


class Point(faust.Record, namespace="interop.Point"):
    x: int
    y: int


class Item(faust.Record, namespace="interop.Item"):
    name: str
    price: float


class Order(faust.Record, namespace="interop.Order"):
    id: int
    items: List[Item]
    tags: Dict[str, int]
    main: Item
    note: Optional[str] = None
    qty: int = 1


class Reading(faust.Record, namespace="interop.Reading", isodates=True, decimals=True):
    at: datetime
    amount: Decimal
    temp: float
    flags: List[bool]


class Ledger(faust.Record, namespace="interop.Ledger"):
    entries: Dict[str, List[int]]
    items: Dict[str, Item]
    grid: List[List[int]]
    extra: Optional[Dict[str, str]] = None


class Payment(faust.Record, namespace="interop.Payment"):
    amount: float


class CardPayment(Payment, namespace="interop.CardPayment"):
    card: str


class BankPayment(Payment, namespace="interop.BankPayment"):
    iban: str


class Add(faust.Record, namespace="interop.Add"):
    a: int
    b: int


class Keyed(faust.Record, namespace="interop.Keyed"):
    key: str
    seq: int
