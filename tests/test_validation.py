"""The shared argument checks: what passes, what it becomes, and the
message of what does not (the argument, what was expected, what came)."""

import ast
import math
import pathlib
import re

import numpy as np
import pytest

from rnnzoo import validation
from rnnzoo.validation import check_bool
from rnnzoo.validation import check_choice
from rnnzoo.validation import check_finite_number
from rnnzoo.validation import check_int
from rnnzoo.validation import check_number
from rnnzoo.validation import check_positive_int
from rnnzoo.validation import check_positive_number
from rnnzoo.validation import check_rate
from rnnzoo.validation import check_string


@pytest.mark.parametrize(
    "check, value, expected",
    [
        (lambda v: check_positive_int("units", v), 3, 3),
        (lambda v: check_positive_int("units", v), np.int64(3), 3),
        (lambda v: check_positive_int("steps", v, allow_none=True), None, None),
        (lambda v: check_int("pad_token", v), -1, -1),
        (lambda v: check_int("velocity", v, 1, 127), 127, 127),
        (lambda v: check_int("end_token", v, low=0, allow_none=True), 0, 0),
        (lambda v: check_number("threshold", v), np.float32(0.5), 0.5),
        (lambda v: check_number("mask_value", v, allow_none=True), -1, -1.0),
        (lambda v: check_finite_number("length_penalty", v), -0.6, -0.6),
        (lambda v: check_positive_number("temperature", v), 0.7, 0.7),
        (lambda v: check_rate("dropout", v), 0, 0.0),
        (lambda v: check_bool("mask_zero", v), False, False),
        (lambda v: check_string("separator", v), "", ""),
        (lambda v: check_choice("pooling", v, ("last", "max")), "max", "max"),
        (lambda v: check_choice("head", v, ("softmax", None)), None, None),
    ],
)
def test_accepted_values_come_back_as_plain_python(check, value, expected):
    result = check(value)
    assert result == expected
    assert type(result) is type(expected)


@pytest.mark.parametrize(
    "check, message",
    [
        (
            lambda: check_positive_int("units", 0),
            "`units` must be a positive integer, got units=0",
        ),
        (
            lambda: check_positive_int("units", True),
            "`units` must be a positive integer, got units=True",
        ),
        (
            lambda: check_positive_int("units", 2.0),
            "`units` must be a positive integer, got units=2.0",
        ),
        (
            lambda: check_positive_int("steps", 0, allow_none=True),
            "`steps` must be a positive integer or None, got steps=0",
        ),
        (
            lambda: check_positive_int("units", None),
            "`units` must be a positive integer, got units=None",
        ),
        (
            lambda: check_int("pad_token", 0.5),
            "`pad_token` must be an integer, got pad_token=0.5",
        ),
        (
            lambda: check_int("program", 128, 0, 127),
            "`program` must be an integer in 0..127, got program=128",
        ),
        (
            lambda: check_int("end_token", -1, low=0, allow_none=True),
            "`end_token` must be an integer >= 0 or None, got end_token=-1",
        ),
        (
            lambda: check_int("offset", 3, high=2),
            "`offset` must be an integer <= 2, got offset=3",
        ),
        (
            lambda: check_number("threshold", "half"),
            "`threshold` must be a number, got threshold='half'",
        ),
        (
            lambda: check_number("mask_value", False, allow_none=True),
            "`mask_value` must be a number or None, got mask_value=False",
        ),
        (
            lambda: check_finite_number("length_penalty", math.nan),
            "`length_penalty` must be a finite number, got length_penalty=nan",
        ),
        (
            lambda: check_positive_number("temperature", 0),
            "`temperature` must be a positive number, got temperature=0",
        ),
        (
            lambda: check_positive_number("temperature", math.inf),
            "`temperature` must be a positive number, got temperature=inf",
        ),
        (
            lambda: check_positive_number(
                "global_clipnorm", -1.0, allow_none=True
            ),
            "`global_clipnorm` must be a positive number or None, got "
            "global_clipnorm=-1.0",
        ),
        (
            lambda: check_positive_number(
                "seconds_per_step", 0, unit="seconds"
            ),
            "`seconds_per_step` must be a positive number of seconds, got "
            "seconds_per_step=0",
        ),
        (
            lambda: check_rate("dropout", 1.0),
            "`dropout` must be a float in [0, 1), got dropout=1.0",
        ),
        (
            lambda: check_bool("return_all_beams", "yes"),
            "`return_all_beams` must be a bool, got return_all_beams='yes'",
        ),
        (
            lambda: check_string("separator", 1),
            "`separator` must be a string, got separator=1",
        ),
        (
            lambda: check_choice("strategy", "nucleus", ("greedy", "beam")),
            "`strategy` must be one of ['greedy', 'beam'], got "
            "strategy='nucleus'",
        ),
        (
            lambda: check_choice("strategy", ["greedy"], ("greedy", "beam")),
            "`strategy` must be one of ['greedy', 'beam'], got "
            "strategy=['greedy']",
        ),
        (
            lambda: check_choice("state", np.array([1, 2]), (1, 2)),
            "`state` must be one of [1, 2], got state=array([1, 2])",
        ),
    ],
)
def test_messages_name_the_argument_what_was_expected_and_what_came(
    check, message
):
    with pytest.raises(ValueError, match=f"^{re.escape(message)}$"):
        check()


def test_imports_only_the_standard_library():
    # The lowest layers (cells, decoding) use these checks, so the module
    # may not pull in Keras, TensorFlow or NumPy.
    tree = ast.parse(pathlib.Path(validation.__file__).read_text())
    imported = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            imported.update(alias.name.split(".")[0] for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            imported.add(node.module.split(".")[0])
    assert imported <= {"math", "numbers", "collections"}, imported
