"""Python side of the cross-language ask/cast/send test (test/interop/ask.test.ts).

Python agents, all on topics named by FAUST_PREFIX (P):
  py_add      P-py-add      Add -> yields a + b (Faustus asks it, casts to it, sends to it with reply_to)
  py_cast     P-py-cast     prints PY_CAST for what it receives (Faustus casts here)
  py_results  P-py-results  prints PY_RESULT for the replies Faustus sends here (send with reply_to=py_results)
  py_driver   P-py-driver   for each Add: asks the Faustus agent ts_add, casts to ts_cast, and sends to ts_add with
                            reply_to=py_results; prints PY_ASKED with the answer
The Faustus agents are reached through Agent objects that this worker does not run (not registered in the app), as a
Faust client reaches agents that live in another service.
"""
import os

from faust.agents import Agent

from common import emit, make_app, run_worker
from interop_models import Add

P = os.environ["FAUST_PREFIX"]
app = make_app()

py_add_topic = app.topic(f"{P}-py-add", value_type=Add)
py_cast_topic = app.topic(f"{P}-py-cast", value_type=Add)
py_results_topic = app.topic(f"{P}-py-results")
py_driver_topic = app.topic(f"{P}-py-driver", value_type=Add)


async def _remote(stream):  # never runs here: the agent lives in the Faustus worker
    async for _ in stream:
        pass


ts_add = Agent(_remote, app=app, name="ts_add", channel=app.topic(f"{P}-ts-add", value_type=Add))
ts_cast = Agent(_remote, app=app, name="ts_cast", channel=app.topic(f"{P}-ts-cast", value_type=Add))


@app.agent(py_add_topic)
async def py_add(stream):
    async for value in stream:
        emit("PY_ADD", a=value.a, b=value.b)
        yield value.a + value.b


@app.agent(py_cast_topic)
async def py_cast(stream):
    async for value in stream:
        emit("PY_CAST", a=value.a, b=value.b)


@app.agent(py_results_topic)
async def py_results(stream):
    async for value in stream:
        # A reply sent to an agent is Faust's ReqRepResponse record: key, value, correlation_id.
        emit(
            "PY_RESULT",
            type=type(value).__name__,
            value=getattr(value, "value", value),
            correlation_id=getattr(value, "correlation_id", None),
        )


@app.agent(py_driver_topic)
async def py_driver(stream):
    async for value in stream:
        result = await ts_add.ask(value)
        emit("PY_ASKED", a=value.a, b=value.b, result=result)
        await ts_cast.cast(Add(a=value.a, b=-value.b))
        await ts_add.send(value=Add(a=value.a, b=100), reply_to=py_results, correlation_id=f"corr-{value.a}")


@app.task
async def ready():
    emit("PY_READY", reply_to=app.conf.reply_to)


if __name__ == "__main__":
    run_worker(app)
