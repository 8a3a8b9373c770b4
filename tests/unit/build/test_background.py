"""The reasoner's background process: its answer and its errors come back (the build failing while
it answers: tests/integration/test_reasoner_process.py)."""

from __future__ import annotations

from collections import Counter

import pytest
from rdflib import Graph, URIRef

from karabakh_kg.build import reasoning
from karabakh_kg.errors import InputError

EX = "http://example.org/"


def _many(ontology, asserted):
    inferred = Graph()
    for i in range(20_000):  # a few MB of N-Triples: more than a pipe holds, so the child blocks sending
        inferred.add((URIRef(f"{EX}s{i}"), URIRef(f"{EX}p"), URIRef(f"{EX}o{i}")))
    return inferred, Counter({"kind": len(reasoning.reasoner_input(ontology, asserted))})


def test_the_childs_answer_and_counts_come_back():
    asserted = Graph()
    asserted.add((URIRef(f"{EX}a"), URIRef(f"{EX}p"), URIRef(f"{EX}b")))
    extra = Graph()
    extra.add((URIRef(f"{EX}c"), URIRef(f"{EX}p"), URIRef(f"{EX}d")))
    with reasoning.Background(Graph(), (asserted, extra), _many) as background:
        inferred, dropped = background.result()
    assert len(inferred) == 20_000 and dropped == Counter({"kind": 2})  # the child reasoned over both graphs


def _clash(ontology, asserted):
    raise InputError(["first clash", "second clash"])


def test_an_input_error_in_the_child_is_raised_with_its_problems():
    with reasoning.Background(Graph(), Graph(), _clash) as background:
        with pytest.raises(InputError) as raised:
            background.result()
    assert raised.value.problems == ["first clash", "second clash"]
