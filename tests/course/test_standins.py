"""Stand-ins answer only a correct solution's own calls for the case being graded (pure)."""

import numpy as np

from autograder.course import default_course
from autograder.course.standins import Standins, bind, signature_of
from autograder.isolation import wire

COURSE = default_course()


def decode(reply):
    return wire.decode(reply["value"])


def graded(name, seed=0, number=1):
    exercise = COURSE.exercises[name]
    return exercise, COURSE.graded_cases(exercise, seed)[number - 1]


def test_binding_fills_defaults_and_refuses_what_the_course_signature_does_not_have():
    update = signature_of(COURSE.exercises["update_parameters"])
    assert bind(update, ("p", "g"), {}) == {"parameters": "p", "grads": "g",
                                            "learning_rate": 1.2}
    assert bind(update, ("p",), {"grads": "g", "learning_rate": 0.5})["learning_rate"] == 0.5
    assert bind(update, ("p", "g", 1, 2), {}) is None
    assert bind(update, ("p", "g"), {"lr": 1}) is None
    assert bind(update, ("p",), {"parameters": "q"}) is None
    assert bind(signature_of(COURSE.exercises["forward_propagation"]), ("X",), {}) is None


def test_predict_gets_the_forward_pass_of_its_own_case_and_nothing_else():
    exercise, item = graded("predict")
    answer = Standins.for_course(COURSE, [item])
    parameters, X = item.case.args
    reply = answer(item.case.id, "forward_propagation", [X, parameters], {}, None)
    assert reply["hit"] is True
    A2, cache = decode(reply)
    assert np.allclose(A2, COURSE.exercises["forward_propagation"].reference(X, parameters)[0])
    as_keywords = answer(item.case.id, "forward_propagation", [],
                         {"X": X, "parameters": parameters}, None)
    assert as_keywords["hit"] is True
    made_up = answer(item.case.id, "forward_propagation", [X + 1, parameters], {}, None)
    assert made_up == {"op": "reply", "hit": False}
    other_case = answer("predict/2", "forward_propagation", [X, parameters], {}, None)
    assert other_case["hit"] is False  # a trace belongs to its case only
    assert answer(item.case.id, "backward_propagation", [X], {}, None)["hit"] is False


def test_an_input_recorded_from_another_exercise_s_hidden_case_is_a_miss():
    _, forward = graded("forward_propagation", seed=9, number=2)  # a hidden case
    _, item = graded("predict", seed=9)
    answer = Standins.for_course(COURSE, [item])
    X, parameters = forward.case.args
    assert answer(item.case.id, "forward_propagation", [X, parameters], {}, None)["hit"] is False


def test_a_correct_nn_model_is_answered_at_every_step_and_gets_the_right_parameters():
    exercise, item = graded("nn_model", number=2)
    answer = Standins.for_course(COURSE, [item])
    X, Y, n_h = item.case.args
    iterations = item.case.kwargs["num_iterations"]
    calls = []

    def ask(name, *args, rng=None):
        reply = answer(item.case.id, name, list(args), {}, rng)
        calls.append(reply["hit"])
        return reply

    np.random.seed(3)
    n_x, _, n_y = decode(ask("layer_sizes", X, Y))
    reply = ask("initialize_parameters", n_x, n_h, n_y, rng=np.random.get_state())
    parameters = decode(reply)
    np.random.set_state(wire.decode(reply["rng"]))
    for _ in range(iterations):
        A2, cache = decode(ask("forward_propagation", X, parameters))
        decode(ask("compute_cost", A2, Y))
        grads = decode(ask("backward_propagation", parameters, cache, X, Y))
        parameters = decode(ask("update_parameters", parameters, grads))
    assert all(calls) and len(calls) == 2 + 4 * iterations
    assert all(np.allclose(parameters[k], item.expected[k]) for k in item.expected)


def test_initialize_parameters_is_answered_only_from_the_generator_state_of_the_case():
    _, item = graded("nn_model")
    answer = Standins.for_course(COURSE, [item])
    X, Y, n_h = item.case.args
    np.random.seed(3)
    right = answer(item.case.id, "initialize_parameters", [2, n_h, 1], {},
                   np.random.get_state())
    assert right["hit"] is True and right["rng"] is not None
    np.random.seed(4)  # a student who seeds otherwise gets their own function run
    wrong = answer(item.case.id, "initialize_parameters", [2, n_h, 1], {},
                   np.random.get_state())
    assert wrong["hit"] is False
    assert answer(item.case.id, "initialize_parameters", [2, n_h, 1], {}, None)["hit"] is False


def test_an_activation_is_answered_for_the_case_s_own_intermediate_values_only():
    _, item = graded("forward_propagation")
    answer = Standins.for_course(COURSE, [item])
    X, p = item.case.args
    Z1 = p["W1"] @ X + p["b1"]
    assert answer(item.case.id, "tanh", [Z1], {}, None)["hit"] is True
    assert answer(item.case.id, "tanh", [Z1 * (1 + 1e-12)], {}, None)["hit"] is True  # tolerance
    assert answer(item.case.id, "tanh", [Z1 + 0.01], {}, None)["hit"] is False
    assert answer(item.case.id, "tanh", [np.zeros((50, 50))], {}, None)["hit"] is False
