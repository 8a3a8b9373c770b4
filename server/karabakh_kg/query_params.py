"""Set a named query's declared parameters safely: typed values, checked IRIs, terms written by Oxigraph.

A parameter (declared in the query's header, see `query_files`) stands for the query's
`VALUES ?name { … }` block, whose content is its default. Binding replaces the content of that
block with terms built as pyoxigraph terms and written by pyoxigraph: a value is checked against
its type and never spliced into the query as text. Every block is located in the original text
before any is replaced, so a value can never be taken for another block.
"""

from __future__ import annotations

import datetime
import re
from collections.abc import Mapping, Sequence

import pyoxigraph

from karabakh_kg.query_files import Parameter, QueryFile

XSD = "http://www.w3.org/2001/XMLSchema#"
PREFIXED = re.compile(r"([A-Za-z][\w.-]*)?:([\w\-./]*)")


class ParameterError(ValueError):
    """A parameter that is unknown, or a value that does not fit its parameter's type."""


def values_block(text: str, name: str) -> re.Match | None:
    """The one-variable `VALUES ?name { … }` block of a query text (its content is group 1)."""
    return re.search(r"VALUES\s+\?" + re.escape(name) + r"\s*\{([^{}]*)\}", text)


def term(parameter: Parameter, value: str, prefixes: Mapping[str, str]):
    """The pyoxigraph term for one value of a parameter; ParameterError if it does not fit."""
    value = value.strip()
    if parameter.type == "iri":
        iri = _iri(parameter, value, prefixes)
        try:
            return pyoxigraph.NamedNode(iri)
        except ValueError as err:
            raise ParameterError(f"{parameter.name}={value!r} is not a valid IRI ({err})") from None
    if parameter.type == "xsd:date":
        try:
            if not re.fullmatch(r"\d{4}-\d{2}-\d{2}", value):
                raise ValueError
            datetime.date.fromisoformat(value)
        except ValueError:
            raise ParameterError(f"{parameter.name}={value!r} is not a date: write YYYY-MM-DD") from None
        return pyoxigraph.Literal(value, datatype=pyoxigraph.NamedNode(XSD + "date"))
    if parameter.type == "xsd:integer":
        if not re.fullmatch(r"[+-]?\d{1,18}", value):
            raise ParameterError(f"{parameter.name}={value!r} is not an integer")
        return pyoxigraph.Literal(str(int(value)), datatype=pyoxigraph.NamedNode(XSD + "integer"))
    return pyoxigraph.Literal(value)


def _iri(parameter: Parameter, value: str, prefixes: Mapping[str, str]) -> str:
    if value.startswith("<") and value.endswith(">"):
        value = value[1:-1]
    elif (match := PREFIXED.fullmatch(value)) and (match.group(1) or "") in prefixes:
        value = prefixes[match.group(1) or ""] + match.group(2)
    if not re.match(r"https?://", value):
        raise ParameterError(
            f"{parameter.name}={value!r} is not an IRI: give an http(s) IRI, or a prefixed name such as "
            f"kg:kalbajar with a known prefix ({', '.join(p + ':' for p in list(prefixes)[:8])} …)"
        )
    return value


def bind(query: QueryFile, values: Mapping[str, Sequence[str]], prefixes: Mapping[str, str]) -> str:
    """The query's text with each given parameter's VALUES block holding the given values."""
    declared = {p.name: p for p in query.parameters}
    for name in values:
        if name not in declared:
            raise ParameterError(f"unknown parameter {name!r}; {accepted(query)}")
    replacements = []
    for name, given in values.items():
        terms = [term(declared[name], v, prefixes) for v in given if v.strip()]
        if not terms:
            continue  # an empty field: the default
        block = values_block(query.text, name)
        if block is None:  # a header naming no block: a mistake of the query file (tested)
            raise ParameterError(f"the query {query.name!r} has no VALUES ?{name} block")
        replacements.append((block.start(1), block.end(1), " " + " ".join(str(t) for t in terms) + " "))
    text = query.text
    for start, end, written in sorted(replacements, reverse=True):
        text = text[:start] + written + text[end:]
    return text


def accepted(query: QueryFile) -> str:
    """A sentence naming the parameters a query accepts, with their types."""
    if not query.parameters:
        return f"the query {query.name!r} takes no parameters"
    return f"the query {query.name!r} accepts: " + ", ".join(f"{p.name} ({p.type})" for p in query.parameters)
