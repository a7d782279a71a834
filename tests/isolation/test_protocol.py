"""The grader's conversation with one child, rule by rule (pure: messages in, actions out)."""

from autograder.isolation import wire
from autograder.isolation.protocol import Conversation, Done, Send, Started


def calls(n=2, standins=("sigmoid",)):
    return [{"op": "call", "id": f"f/{i}", "function": "f", "nonce": f"n{i}",
             "standins": list(standins)} for i in range(1, n + 1)]


def loaded(**extra):
    return {"event": "loaded", "names": ["f"], "cells": [], **extra}


def result(i, value=1.5, **extra):
    return {"event": "result", "id": f"f/{i}", "nonce": f"n{i}",
            "value": wire.encode(value), "error": None, "stdout": "", "seconds": 0.1, **extra}


def done(actions):
    [action] = [a for a in actions if isinstance(a, Done)]
    return action.outcome


def test_the_happy_path_sends_each_call_after_the_previous_result():
    talk = Conversation(calls(2))
    assert talk.receive(loaded()) == [Send(talk.calls[0])]
    assert talk.receive(result(1)) == [Send(talk.calls[1])]
    outcome = done(talk.receive(result(2, value=[1, 2])))
    assert outcome.end == "done" and outcome.loaded and outcome.names == {"f"}
    assert outcome.calls["f/1"].value == 1.5 and outcome.calls["f/2"].value == [1, 2]
    assert talk.receive(result(2)) == []  # after the end nothing is read


def test_a_load_child_reports_names_cell_errors_and_review_values():
    talk = Conversation([], review=("q_a", "q_b"))
    outcome = done(talk.receive(loaded(cells=[[3, "NameError: x"], ["bad", 1], 7],
                                       review={"q_a": wire.encode((4, 1)),
                                               "q_c": wire.encode(1)})))
    assert outcome.cell_errors == [(3, "NameError: x")]
    assert outcome.review == {"q_a": (4, 1)}  # only what was asked for


def test_anything_before_loading_is_a_violation():
    outcome = done(Conversation(calls()).receive(result(1)))
    assert outcome.end == "violation" and "before loading" in outcome.detail


def test_a_result_for_another_call_or_without_its_nonce_voids_every_result():
    for bad in (result(2), {**result(1), "nonce": "guess"}, {**result(1), "nonce": None}):
        talk = Conversation(calls(2))
        talk.receive(loaded())
        outcome = done(talk.receive(bad))
        assert outcome.end == "violation" and "another call" in outcome.detail
        assert outcome.calls == {}


def test_results_count_only_when_every_call_was_answered():
    talk = Conversation(calls(3))
    talk.receive(loaded())
    talk.receive(result(1))
    outcome = done(talk.end("timeout"))
    assert outcome.end == "timeout" and outcome.calls == {}
    assert talk.end("eof") == []  # ended once


def test_unknown_events_and_malformed_messages_are_violations():
    for message in ({"event": "begin"}, {"event": None}, {"event": "loaded", "names": 5},
                    {"no": "event"}):
        talk = Conversation(calls())
        talk.receive(loaded())
        assert done(talk.receive(message)).end == "violation", message
    talk = Conversation(calls())
    assert done(talk.receive({"event": "loaded", "names": 5})).end == "violation"


def test_a_malformed_value_is_that_call_s_error_not_a_crash():
    talk = Conversation(calls(1))
    talk.receive(loaded())
    outcome = done(talk.receive({**result(1), "value": {"t": "nd", "dtype": "O"}}))
    assert outcome.end == "done" and outcome.calls["f/1"].status == "error"
    assert "could not be read back" in outcome.calls["f/1"].error


def test_a_standin_question_is_answered_before_the_child_goes_on():
    asked = []

    def answer(call_id, function, args, kwargs, rng):
        asked.append((call_id, function, args, kwargs, rng))
        return {"op": "reply", "hit": True, "value": wire.encode(0.5)}

    talk = Conversation(calls(1), standin=answer)
    talk.receive(loaded())
    question = {"event": "standin", "function": "sigmoid", "args": [wire.encode(2.0)],
                "kwargs": {"k": wire.encode(1)}, "rng": None}
    [reply] = talk.receive(question)
    assert reply.message["hit"] is True and asked == [("f/1", "sigmoid", [2.0], {"k": 1}, None)]
    outcome = done(talk.receive(result(1)))
    assert outcome.standins == 1 and outcome.hits == 1


def test_a_standin_for_a_function_the_call_may_not_ask_is_a_violation():
    talk = Conversation(calls(1, standins=("sigmoid",)), standin=lambda *a: None)
    talk.receive(loaded())
    outcome = done(talk.receive({"event": "standin", "function": "f", "args": []}))
    assert outcome.end == "violation" and "may not call" in outcome.detail


def test_too_many_or_too_large_standin_questions():
    talk = Conversation(calls(1), standin=lambda *a: {"op": "reply", "hit": True},
                        max_standins=2, max_standin_bytes=100)
    talk.receive(loaded())
    question = {"event": "standin", "function": "sigmoid", "args": [], "kwargs": {}}
    [big] = talk.receive(question, size=101)
    assert big.message == {"op": "reply", "hit": False}  # never decoded, never answered
    talk.receive(question)
    assert done(talk.receive(question)).end == "violation"


def test_without_an_answer_function_every_standin_is_a_miss():
    talk = Conversation(calls(1))
    talk.receive(loaded())
    [reply] = talk.receive({"event": "standin", "function": "sigmoid", "args": [],
                            "kwargs": {}})
    assert reply.message == {"op": "reply", "hit": False}


def test_a_child_of_its_own_says_started_first_and_only_once():
    talk = Conversation(calls(1), announced=True)
    assert talk.receive({"event": "started"}) == [Started()]
    assert talk.receive(loaded()) == [Send(talk.calls[0])]
    assert done(talk.receive(result(1))).end == "done"

    for first in (loaded(), {"event": "started", "names": ["f"]}, {"event": "result"}):
        talk = Conversation(calls(1), announced=True)
        outcome = done(talk.receive(first))
        assert outcome.end == "violation" and not outcome.loaded

    talk = Conversation(calls(1), announced=True)  # a second "started" is student code talking
    talk.receive({"event": "started"})
    assert done(talk.receive({"event": "started"})).end == "violation"
    assert done(Conversation(calls(1)).receive({"event": "started"})).end == "violation"
