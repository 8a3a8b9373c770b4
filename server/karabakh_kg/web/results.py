"""Write query answers (pyoxigraph terms) in every supported format, cut at the row limit.

Every engine hands its answer over as pyoxigraph terms, so the bytes a client gets do not depend
on the engine. Rows are counted while they are written, which is how truncation is detected and
reported instead of silently cutting the answer.
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from dataclasses import dataclass
from itertools import islice
from xml.sax.saxutils import escape, quoteattr

import pyoxigraph as ox

from karabakh_kg import rdf_writer

XSD_STRING = "http://www.w3.org/2001/XMLSchema#string"

RDF_FORMATS = {
    "turtle": ox.RdfFormat.TURTLE,
    "ntriples": ox.RdfFormat.N_TRIPLES,
    "jsonld": ox.RdfFormat.JSON_LD,
    "rdfxml": ox.RdfFormat.RDF_XML,
    "trig": ox.RdfFormat.TRIG,
    "nquads": ox.RdfFormat.N_QUADS,
}


@dataclass(frozen=True)
class Rendered:
    """An answer ready to send: its bytes, how many rows or triples it holds, and whether it was cut."""

    body: bytes
    rows: int
    truncated: bool


def _json_term(term) -> dict:
    if isinstance(term, ox.NamedNode):
        return {"type": "uri", "value": term.value}
    if isinstance(term, ox.BlankNode):
        return {"type": "bnode", "value": term.value}
    if isinstance(term, ox.Literal):
        out = {"type": "literal", "value": term.value}
        if term.language:
            out["xml:lang"] = term.language
        elif term.datatype.value != XSD_STRING:
            out["datatype"] = term.datatype.value
        return out
    if isinstance(term, ox.Triple):
        return {
            "type": "triple",
            "value": {
                "subject": _json_term(term.subject),
                "predicate": _json_term(term.predicate),
                "object": _json_term(term.object),
            },
        }
    raise TypeError(f"unexpected term {term!r}")


def _xml_term(term) -> str:
    if isinstance(term, ox.NamedNode):
        return f"<uri>{escape(term.value)}</uri>"
    if isinstance(term, ox.BlankNode):
        return f"<bnode>{escape(term.value)}</bnode>"
    if isinstance(term, ox.Literal):
        if term.language:
            return f"<literal xml:lang={quoteattr(term.language)}>{escape(term.value)}</literal>"
        if term.datatype.value != XSD_STRING:
            return f"<literal datatype={quoteattr(term.datatype.value)}>{escape(term.value)}</literal>"
        return f"<literal>{escape(term.value)}</literal>"
    if isinstance(term, ox.Triple):
        return (
            f"<triple><subject>{_xml_term(term.subject)}</subject><predicate>{_xml_term(term.predicate)}"
            f"</predicate><object>{_xml_term(term.object)}</object></triple>"
        )
    raise TypeError(f"unexpected term {term!r}")


def _csv_field(term) -> str:
    if term is None:
        return ""
    if isinstance(term, ox.BlankNode):
        text = "_:" + term.value
    elif isinstance(term, (ox.NamedNode, ox.Literal)):
        text = term.value
    else:
        text = str(term)
    if any(c in text for c in ',"\r\n'):
        return '"' + text.replace('"', '""') + '"'
    return text


def _tsv_field(term) -> str:
    return "" if term is None else str(term)  # N-Triples syntax, which escapes tabs and newlines


def _take(rows: Iterable, limit: int) -> tuple[list, bool]:
    taken = list(islice(rows, limit + 1))
    if len(taken) > limit:
        return taken[:limit], True
    return taken, False


def solutions(variables: list[str], rows: Iterable, fmt: str, limit: int) -> Rendered:
    """Write SELECT results; `rows` yields sequences of terms (or None) in `variables` order."""
    taken, truncated = _take(rows, limit)
    if fmt == "json":
        bindings = []
        for row in taken:
            bindings.append({v: _json_term(t) for v, t in zip(variables, row, strict=False) if t is not None})
        body = json.dumps(
            {"head": {"vars": variables}, "results": {"bindings": bindings}}, ensure_ascii=False, separators=(",", ":")
        ).encode("utf-8")
    elif fmt == "xml":
        parts = [
            '<?xml version="1.0" encoding="UTF-8"?>\n<sparql xmlns="http://www.w3.org/2005/sparql-results#">\n<head>'
        ]
        parts.extend(f"<variable name={quoteattr(v)}/>" for v in variables)
        parts.append("</head>\n<results>\n")
        for row in taken:
            parts.append("<result>")
            for v, t in zip(variables, row, strict=False):
                if t is not None:
                    parts.append(f"<binding name={quoteattr(v)}>{_xml_term(t)}</binding>")
            parts.append("</result>\n")
        parts.append("</results>\n</sparql>\n")
        body = "".join(parts).encode("utf-8")
    elif fmt == "csv":
        lines = [",".join(_csv_field(ox.Literal(v)) for v in variables)]
        lines.extend(",".join(_csv_field(t) for t in row) for row in taken)
        body = ("\r\n".join(lines) + "\r\n").encode("utf-8")
    elif fmt == "tsv":
        lines = ["\t".join("?" + v for v in variables)]
        lines.extend("\t".join(_tsv_field(t) for t in row) for row in taken)
        body = ("\n".join(lines) + "\n").encode("utf-8")
    else:
        raise ValueError(f"not a results format: {fmt}")
    return Rendered(body, len(taken), truncated)


# Formats that pyoxigraph writes byte for byte as `solutions` does (a test compares them); its
# TSV abbreviates numbers (`1971`) and its XML has no line breaks, so those stay with `solutions`.
NATIVE_RESULTS = {"json": ox.QueryResultsFormat.JSON}


class _Enough(Exception):
    """Raised into pyoxigraph's writer to stop it once the row limit is passed."""


class _RowSink:
    """A file-like sink for pyoxigraph's TSV writer: keeps the bytes, counts the lines, and stops
    the writer one row past `limit` (so a huge answer is never written whole)."""

    def __init__(self, limit: int):
        self.parts: list[bytes] = []
        self.lines = 0
        self.stop_at = limit + 2  # the header line, `limit` rows, one more to know it was cut

    def write(self, data) -> int:
        self.parts.append(bytes(data))
        self.lines += data.count(b"\n")
        if self.lines >= self.stop_at:
            raise _Enough
        return len(data)

    def flush(self) -> None:
        pass


def native_solutions(result: ox.QuerySolutions, fmt: str, limit: int) -> Rendered | None:
    """Write SELECT results with pyoxigraph's own writers (Rust: about twice as fast as `solutions`
    on large answers), still cut at `limit` rows; None when `fmt` is not one of NATIVE_RESULTS.

    TSV is written first because it has exactly one line per row (N-Triples syntax escapes line
    breaks), so the rows are counted and cut on bytes; it is then read back and written in `fmt`.
    """
    if fmt not in NATIVE_RESULTS:
        return None
    sink = _RowSink(limit)
    try:
        result.serialize(sink, format=ox.QueryResultsFormat.TSV)
    except _Enough:
        pass
    except OSError as err:  # pyoxigraph wraps what the sink raised
        if not isinstance(err.__cause__, _Enough) and "_Enough" not in repr(err):
            raise
    data = b"".join(sink.parts)
    rows = data.count(b"\n") - 1
    truncated = rows > limit
    if truncated:
        end = -1
        for _ in range(limit + 1):
            end = data.index(b"\n", end + 1)
        data, rows = data[: end + 1], limit
    body = ox.parse_query_results(data, format=ox.QueryResultsFormat.TSV).serialize(format=NATIVE_RESULTS[fmt])
    return Rendered(body, rows, truncated)


def bounded_json_solutions(result: ox.QuerySolutions) -> Rendered:
    """SELECT results in JSON written by pyoxigraph in one pass, the rows counted by the standard
    JSON parser. Only for an answer its query's own LIMIT keeps small (the pattern lane's): nothing
    is cut here, while `native_solutions` stops any answer at the row limit as it is written."""
    body = result.serialize(format=ox.QueryResultsFormat.JSON)
    return Rendered(body, len(json.loads(body)["results"]["bindings"]), False)


def boolean(value: bool, fmt: str) -> Rendered:
    """Write an ASK answer."""
    word = "true" if value else "false"
    if fmt == "json":
        body = '{"head":{},"boolean":' + word + "}"
    elif fmt == "xml":
        body = (
            '<?xml version="1.0" encoding="UTF-8"?>\n<sparql xmlns="http://www.w3.org/2005/sparql-results#">\n'
            f"<head/>\n<boolean>{word}</boolean>\n</sparql>\n"
        )
    elif fmt == "csv":
        body = f"_askResult\r\n{word}\r\n"
    elif fmt == "tsv":
        body = f"?_askResult\n{word}\n"
    else:
        raise ValueError(f"not a results format: {fmt}")
    return Rendered(body.encode("utf-8"), 1, False)


def triples(items: Iterable, fmt: str, limit: int, prefixes: dict[str, str] | None = None) -> Rendered:
    """Write CONSTRUCT/DESCRIBE results (pyoxigraph Triples) as an RDF document."""
    taken, truncated = _take(items, limit)
    body = rdf_writer.serialize(taken, RDF_FORMATS[fmt], prefixes)
    return Rendered(body, len(taken), truncated)
