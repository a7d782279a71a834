"""The grader's side of the conversation with one child, as a pure state machine.

Messages in, decisions out; no I/O, no clock. ``Conversation`` follows one child through its
life: it must first report its definitions loaded, then answer the calls it is sent, one at a
time and in order, asking any number of stand-in questions in between (each one answered by
the ``standin`` function before the child may go on). The rules:

- a child started as a process of its own (``announced``) first says ``started``, before it
  reads anything (so before any student code runs): its interpreter's start is the grader's
  time, not the notebook's load budget;
- the first message (after ``started``) is ``loaded``; a load child (no calls) is then done;
- after a call is sent, the only messages allowed are ``standin`` questions (at most
  ``max_standins`` for the whole child, each argument list at most ``max_standin_bytes`` of
  JSON) and one ``result`` for that very call: its id and the random nonce sent with it (a
  result forged ahead for a call not yet sent cannot know it); the next call is sent only then;
- anything else (an unknown event, a result for another id, a second result, a message after
  the last result, a malformed value) is a protocol violation: the child is stopped and none of
  the results it reported counts;
- the end of the channel, a timeout or a flood before the last result ends the conversation
  with that cause; results already received count only if every call was answered.

``receive`` returns the actions for the I/O loop: ``Send(message)`` to write to the child,
``Done(outcome)`` once the conversation is over (``Outcome`` holds the loaded names, cell
errors, review values and one ``CallOutcome`` per call).
"""

from __future__ import annotations

from dataclasses import dataclass, field

from ..results import CallOutcome
from . import wire

__all__ = ["CallOutcome", "Conversation", "Done", "Outcome", "Send", "Started"]


@dataclass
class Outcome:
    """Everything one child reported, and how its conversation ended."""

    loaded: bool = False
    names: set = field(default_factory=set)
    cell_errors: list = field(default_factory=list)  # [(cell, one-line error)]
    review: dict = field(default_factory=dict)  # variable -> decoded value
    calls: dict = field(default_factory=dict)  # call id -> CallOutcome
    end: str = "done"  # "done", "eof", "timeout", "flood", "violation"
    detail: str = ""  # one line about a violation
    standins: int = 0  # stand-in questions asked
    hits: int = 0  # of which a correct solution's own calls


@dataclass(frozen=True)
class Send:
    message: dict


@dataclass(frozen=True)
class Done:
    outcome: Outcome


@dataclass(frozen=True)
class Started:
    """The child is up: the load budget's clock starts now."""


class Conversation:
    """See the module docstring.

    ``standin(call_id, function, args, kwargs, rng) -> reply message`` answers a stand-in
    question asked during the call ``call_id``.
    """

    def __init__(self, calls, *, standin=None, max_standins=100_000,
                 max_standin_bytes=4 << 20, review=(), announced=False):
        self.calls = list(calls)
        self.standin = standin
        self.max_standins = max_standins
        self.max_standin_bytes = max_standin_bytes
        self.review = tuple(review)
        self.outcome = Outcome()
        self.state = "starting" if announced else "loading"
        self.index = 0  # the call whose result is awaited
        self.received = {}

    @property
    def finished(self) -> bool:
        return self.state in ("done", "ended")

    def receive(self, message: dict, size: int = 0) -> list:
        """Actions for one message from the child (``size``: its length in bytes)."""
        if self.finished:
            return []
        event = message.get("event")
        try:
            if self.state == "starting":
                if event != "started" or set(message) != {"event"}:
                    return self._violation(f"sent {_name(event)} before starting")
                self.state = "loading"
                return [Started()]
            if self.state == "loading":
                if event != "loaded":
                    return self._violation(f"sent {_name(event)} before loading")
                return self._loaded(message)
            if event == "standin":
                return self._standin(message, size)
            if event == "result":
                return self._result(message)
            return self._violation(f"sent {_name(event)} while a call was running")
        except (wire.WireError, TypeError, ValueError, KeyError, AttributeError,
                RecursionError):
            return self._violation("sent a malformed message")

    def _loaded(self, message):
        names = message.get("names", [])
        cells = message.get("cells", [])
        if type(names) is not list or type(cells) is not list:
            return self._violation("sent a malformed list of definitions")
        self.outcome.loaded = True
        self.outcome.names = {wire.clean_text(n, 200) for n in names[:10000]}
        for item in cells[:200]:
            if type(item) is list and len(item) == 2 and type(item[0]) is int:
                self.outcome.cell_errors.append((item[0], wire.clean_text(item[1], 500)))
        review = message.get("review", {})
        if type(review) is dict:
            for name in self.review:
                if name in review:
                    self.outcome.review[name] = wire.decode(review[name])
        if not self.calls:
            return self._finish("done")
        self.state = "calling"
        return [Send(self.calls[0])]

    def _standin(self, message, size):
        call = self.calls[self.index]
        function = message.get("function")
        if function not in call.get("standins", ()):
            return self._violation(f"asked a stand-in for {_name(function)}, which "
                                   f"{call['function']} may not call")
        self.outcome.standins += 1
        if self.outcome.standins > self.max_standins:
            return self._violation(f"asked more than {self.max_standins} stand-in questions")
        if size > self.max_standin_bytes:
            reply = {"op": "reply", "hit": False}
        else:
            args = message.get("args", [])
            kwargs = message.get("kwargs", {})
            if type(args) is not list or type(kwargs) is not dict:
                return self._violation("sent a malformed stand-in question")
            exact = getattr(self.standin, "exact", None)
            reply = exact(call["id"], function, args, kwargs, message.get("rng")) \
                if exact is not None else None
        if reply is None:
            decoded = [wire.decode(a) for a in args]
            decoded_kw = {wire.clean_text(k, 100): wire.decode(v) for k, v in kwargs.items()}
            rng = message.get("rng")
            rng = wire.decode(rng) if rng is not None else None
            reply = self.standin(call["id"], function, decoded, decoded_kw, rng) \
                if self.standin else None
            reply = reply or {"op": "reply", "hit": False}
        if reply.get("hit"):
            self.outcome.hits += 1
        return [Send(reply)]

    def _result(self, message):
        call = self.calls[self.index]
        if message.get("id") != call["id"] or message.get("nonce") != call.get("nonce"):
            return self._violation("sent a result for another call")
        self.received[call["id"]] = _call_outcome(call["id"], message)
        self.index += 1
        if self.index < len(self.calls):
            return [Send(self.calls[self.index])]
        self.outcome.calls.update(self.received)
        return self._finish("done")

    def _violation(self, detail):
        self.outcome.detail = wire.clean_text(detail, 300)
        self.received.clear()
        return self._finish("violation")

    def _finish(self, end):
        self.outcome.end = end
        self.state = "done" if end == "done" else "ended"
        return [Done(self.outcome)]

    def end(self, cause: str) -> list:
        """The channel closed ("eof"), the clock ran out ("timeout") or the child sent too much
        ("flood") before the conversation was over."""
        if self.finished:
            return []
        self.received.clear()
        return self._finish(cause)

    @property
    def current(self):
        """The call being answered (None before loading or after the last one)."""
        if self.state == "calling" and self.index < len(self.calls):
            return self.calls[self.index]
        return None


def _name(event):
    return repr(wire.clean_text(event, 40)) if event is not None else "a message without event"


def _call_outcome(call_id, message):
    error = message.get("error")
    stdout = wire.clean_text(message.get("stdout") or "", 65536)
    seconds = message.get("seconds")
    seconds = float(seconds) if type(seconds) in (int, float) else 0.0
    if error is not None:
        return CallOutcome(call_id, "error", error=wire.clean_text(error, 500), stdout=stdout,
                           seconds=seconds)
    try:
        value = wire.decode(message.get("value"))
        after = message.get("args_after")
        args_after = [wire.decode(a) for a in after] if type(after) is list else None
    except (wire.WireError, RecursionError) as exc:
        return CallOutcome(call_id, "error", error=f"returned a value that could not be read "
                           f"back ({exc})", stdout=stdout, seconds=seconds)
    return CallOutcome(call_id, "ok", value=value, stdout=stdout, seconds=seconds,
                       args_after=args_after)
