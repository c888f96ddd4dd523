"""The examples in the evaluation modules' docstrings run and give what they say."""
import doctest
import importlib

import pytest

MODULES = ["alignment", "metrics", "peaks", "intervals"]


@pytest.mark.parametrize("name", MODULES)
def test_docstring_examples(name):
    module = importlib.import_module(f"ecgdigitizer.evaluation.{name}")
    failures, tried = doctest.testmod(module, optionflags=doctest.ELLIPSIS)
    assert tried > 0 and failures == 0
