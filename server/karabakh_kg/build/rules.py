"""A scalable OWL 2 RL reasoner: the ontology's own axioms compiled into SPARQL rules, run to a
fixpoint inside an Oxigraph store.

owlrl applies every OWL 2 RL rule to every triple in Python and does not finish on a million
triples. Here the schema is closed first (the generic `scm-*` rules, which only ever touch the few
ontology triples), then each axiom of the closed schema becomes one SPARQL update with constants
(`cax-sco` for one class, `prp-trp` for one property, ...), and the updates run semi-naively: each
round joins only against the triples that are new since the previous round, so work stays linear
in what is derived. The rule templates are the `.rq` files in `queries/rules/`; `{{name}}` marks a
placeholder this module fills with an N-Triples term.

Entry points: `closure(ontology, asserted)` has the contract of `reasoning.closure` (what the build
calls for `--reasoner rules`); `reason(data, ontology_graph)` returns the inferred triples as an
rdflib Graph; `reason_in_store(store, ...)` works on a pyoxigraph Store in place, for data too
large to go through rdflib; `inconsistencies(store)` lists OWL 2 RL clashes. Coverage and the differences from owlrl are listed
in docs/benchmarks.md ("The rules reasoner").
"""

from __future__ import annotations

import re
import time
from dataclasses import dataclass, field
from functools import cache
from importlib import resources

import pyoxigraph as ox
import rdflib

from karabakh_kg import rdf_bridge
from karabakh_kg.errors import InputError

WORK = "urn:x-karabakh-kg:rules:"
ALL, DELTA, NEW = (ox.NamedNode(WORK + name) for name in ("all", "delta", "new"))
SCRATCH_INFERRED = ox.NamedNode(WORK + "inferred")

# Schema rules: generic (no constants), they close the ontology before it is compiled.
SCHEMA_RULES = (
    "scm-cls",
    "scm-op",
    "scm-sco",
    "scm-eqc1",
    "scm-eqc2",
    "scm-spo",
    "scm-eqp1",
    "scm-eqp2",
    "scm-dom1",
    "scm-dom2",
    "scm-rng1",
    "scm-rng2",
    "scm-svf1",
    "scm-svf2",
    "scm-avf1",
    "scm-avf2",
    "scm-hv",
    "scm-int",
    "scm-uni",
)
# Class-expression rules: generic, since their classes are blank nodes that cannot be constants.
CLASS_RULES = ("cax-sco-blank", "cls-hv1", "cls-hv2", "cls-svf1", "cls-avf", "cls-int1", "cls-int2", "cls-uni")
MAX_CHAIN = 4
_PLACEHOLDER = re.compile(r"\{\{(\w+)\}\}")
_ATOM = re.compile(r"\{\{(g\d+)\}\}")


class RulesError(Exception):
    """The ontology uses an axiom this reasoner cannot compile (named in the message)."""


@dataclass
class Stats:
    """What one run did: rounds per phase, rules compiled, triples inferred, seconds taken."""

    schema_rounds: int = 0
    data_rounds: int = 0
    rules: dict[str, int] = field(default_factory=dict)
    inferred: int = 0
    seconds: float = 0.0


@cache
def template(name: str) -> str:
    """The text of rule template `queries/rules/<name>.rq`."""
    return resources.files("karabakh_kg.queries.rules").joinpath(f"{name}.rq").read_text("utf-8")


def render(name: str, **values) -> str:
    """Fill a template's placeholders with terms (or lists of terms, space-separated)."""

    def fill(match: re.Match) -> str:
        key = match.group(1)
        if key not in values:
            raise KeyError(f"rule template {name}.rq: no value for placeholder {{{{{key}}}}}")
        value = values[key]
        if isinstance(value, (list, tuple)):
            return " ".join(_sparql_term(v) for v in value)
        return _sparql_term(value)

    return _PLACEHOLDER.sub(fill, template(name))


def _sparql_term(value) -> str:
    if value == "DEFAULT" or isinstance(value, ox.DefaultGraph):
        return "DEFAULT"
    if isinstance(value, ox.NamedNode):
        return str(value)
    raise TypeError(f"cannot put {value!r} in a rule template (IRIs only)")


@dataclass(frozen=True)
class Rule:
    """One rule instance: a template with its constants filled, graphs left as {{gN}} atoms."""

    name: str
    text: str

    @property
    def atoms(self) -> list[str]:
        return sorted(set(_ATOM.findall(self.text)))

    def variants(self, naive: bool) -> list[str]:
        """The updates to run this round: naive joins everything; semi-naive puts the delta in
        each body atom in turn (the other atoms see everything known)."""
        graphs = {"all": ALL, "new": NEW, "delta": DELTA}
        atoms = self.atoms
        if naive or len(atoms) == 0:
            picks = [{a: ALL if naive else DELTA for a in atoms}]
        else:
            picks = [{a: (DELTA if a == hot else ALL) for a in atoms} for hot in atoms]
        out = []
        for pick in picks:
            text = self.text
            for key, node in {**graphs, **pick}.items():
                text = text.replace("{{" + key + "}}", str(node))
            out.append(text)
        return out


def _instance(name: str, **values) -> Rule:
    """Fill a template's constants now; its graph placeholders stay for the fixpoint loop."""
    keep = {"all": "{{all}}", "new": "{{new}}", "delta": "{{delta}}"}
    text = template(name)
    for key in set(_PLACEHOLDER.findall(text)):
        if key in keep or _ATOM.fullmatch("{{" + key + "}}"):
            continue
        if key not in values:
            raise KeyError(f"rule template {name}.rq: no value for placeholder {{{{{key}}}}}")
        value = values[key]
        filled = " ".join(_sparql_term(v) for v in value) if isinstance(value, (list, tuple)) else _sparql_term(value)
        text = text.replace("{{" + key + "}}", filled)
    return Rule(name, text)


def _count(store: ox.Store, graph: ox.NamedNode) -> int:
    (row,) = store.query(render("count", graph=graph))
    return int(row["n"].value)


def _fixpoint(store: ox.Store, rules: list[Rule], target: ox.NamedNode, max_rounds: int) -> int:
    """Run the rules until a round derives nothing new; return the number of rounds."""
    subtract = render("step-subtract", new=NEW, all=ALL)
    commit = render("step-commit", new=NEW, all=ALL, inferred=target, delta=DELTA)
    for round_no in range(1, max_rounds + 1):
        for rule in rules:
            for update in rule.variants(naive=round_no == 1):
                store.update(update)
        store.update(subtract)
        if _count(store, NEW) == 0:
            return round_no
        store.update(commit)
    raise RulesError(f"no fixpoint after {max_rounds} rounds; the rules or the data loop")


def _select(store: ox.Store, name: str) -> list[dict]:
    rows = store.query(render(name, all=ALL))
    return [{str(v)[1:]: row[v] for v in rows.variables} for row in rows]


def compile_rules(store: ox.Store) -> list[Rule]:
    """Turn the closed schema in the working graph into rule instances with constants."""
    rules: list[Rule] = []

    def grouped(name: str, key: str, val: str) -> dict:
        out: dict = {}
        for row in _select(store, name):
            out.setdefault(row[key], []).append(row[val])
        return out

    for cls, supers in grouped("compile-subclass", "sub", "super").items():
        rules.append(_instance("cax-sco", **{"class": cls, "supers": sorted(supers, key=str)}))
    for prop, supers in grouped("compile-subproperty", "sub", "super").items():
        rules.append(_instance("prp-spo1", property=prop, supers=sorted(supers, key=str)))
    for prop, classes in grouped("compile-domain", "property", "class").items():
        rules.append(_instance("prp-dom", property=prop, classes=sorted(classes, key=str)))
    for prop, classes in grouped("compile-range", "property", "class").items():
        rules.append(_instance("prp-rng", property=prop, classes=sorted(classes, key=str)))
    pairs = {(r["p"], r["q"]) for r in _select(store, "compile-inverse")}
    for p, q in sorted(pairs | {(q, p) for p, q in pairs}, key=str):
        rules.append(_instance("prp-inv", p=p, q=q))
    for row in _select(store, "compile-symmetric"):
        rules.append(_instance("prp-symp", property=row["property"]))
    for row in _select(store, "compile-transitive"):
        rules.append(_instance("prp-trp", property=row["property"]))
    rules.extend(_chain_rules(_select(store, "compile-chain")))
    rules.extend(_instance(name) for name in CLASS_RULES)
    return rules


def _chain_rules(rows: list[dict]) -> list[Rule]:
    cells: dict = {}
    heads: dict = {}
    for row in rows:
        cells[row["cell"]] = (row["first"], row["rest"])
        if row["cell"] == row["list"]:
            heads.setdefault(row["property"], []).append(row["list"])
    nil = ox.NamedNode("http://www.w3.org/1999/02/22-rdf-syntax-ns#nil")
    rules = []
    for prop, lists in heads.items():
        for head in lists:
            steps, cell = [], head
            while cell != nil:
                if cell not in cells or len(steps) > MAX_CHAIN:
                    raise RulesError(
                        f"property chain of {prop}: malformed list or longer than {MAX_CHAIN} steps (not compiled)"
                    )
                first, cell = cells[cell]
                steps.append(first)
            if not 2 <= len(steps) <= MAX_CHAIN or not all(isinstance(s, ox.NamedNode) for s in steps):
                raise RulesError(
                    f"property chain of {prop}: {len(steps)} steps; 2 to {MAX_CHAIN} named properties are supported"
                )
            values = {f"p{i}": s for i, s in enumerate(steps, 1)}
            rules.append(_instance(f"prp-spo2-{len(steps)}", property=prop, **values))
    return rules


def reason_in_store(store: ox.Store, sources: list, target: ox.NamedNode, max_rounds: int = 1000, check=None) -> Stats:
    """Write into graph `target` of `store` every non-noise triple OWL 2 RL derives from the
    union of the `sources` graphs (ontology included); the sources are left untouched.
    `check(store)`, if given, runs on the closed working graph before it is dropped."""
    started = time.perf_counter()
    stats = Stats()
    for graph in (ALL, DELTA, NEW, target):
        store.update(render("step-drop", graph=graph))
    for source in sources:
        store.update(render("step-copy", **{"from": source, "to": ALL}))
    schema = [_instance(name) for name in SCHEMA_RULES]
    stats.schema_rounds = _fixpoint(store, schema, target, max_rounds)
    compiled = compile_rules(store)
    for rule in compiled:
        stats.rules[rule.name] = stats.rules.get(rule.name, 0) + 1
    stats.data_rounds = _fixpoint(store, compiled, target, max_rounds)
    if check is not None:
        check(store)
    for graph in (ALL, DELTA, NEW):
        store.update(render("step-drop", graph=graph))
    store.update(render("drop-noise", inferred=target))
    stats.inferred = _count(store, target)
    stats.seconds = time.perf_counter() - started
    return stats


def inconsistencies(store: ox.Store) -> list[str]:
    """The OWL 2 RL clashes in the working graph, worded like owlrl's, one line each."""
    out = []
    for row in _select(store, "clash-disjoint"):
        out.append(
            f"Disjoint classes {row['c1'].value} and {row['c2'].value} have a common individual {row['x'].value}"
        )
    for row in _select(store, "clash-nothing"):
        out.append(f"{row['x']} is a member of owl:Nothing")
    for row in _select(store, "clash-property"):
        out.append(f"{row['x']} {row['p']} {row['y']} breaks an irreflexive or asymmetric property")
    return out


def closure(ontology: rdflib.Graph, asserted: rdflib.Graph):
    """`reasoning.closure` with this reasoner: (useful inferred triples, dropped noise counts).

    Same input selection (`reasoning.reasoner_input`), same noise filter (`reasoning.noise_kind`,
    also applied in SPARQL by drop-noise.rq), and an inconsistent input raises the same
    `InputError` naming the clashing resources.
    """
    from karabakh_kg.build import reasoning  # owlrl is a heavy import that this reasoner does not need

    work = reasoning.reasoner_input(ontology, asserted)
    inferred, clashes = _reason(work, None, check=True)
    if clashes:
        raise InputError([f"inconsistent under OWL 2 RL: {c}" for c in clashes])
    return reasoning.without_noise(inferred)


def reason(data, ontology_graph: rdflib.Graph | None = None) -> rdflib.Graph:
    """Return the triples OWL 2 RL adds to `data` plus `ontology_graph`, without owlrl's noise.

    `data` is an rdflib Graph or Dataset (every graph is read) or a pyoxigraph Store (its default
    graph and every named graph). Neither input is modified.
    """
    return _reason(data, ontology_graph, check=False)[0]


def _reason(data, ontology_graph, check: bool) -> tuple[rdflib.Graph, list[str]]:
    from karabakh_kg.build import reasoning

    store = ox.Store()
    source = ox.NamedNode(WORK + "source")
    terms = _Terms()
    if isinstance(data, ox.Store):
        store.extend(ox.Quad(q.subject, q.predicate, q.object, source) for q in data)
    else:
        triples = data.quads((None, None, None, None)) if isinstance(data, rdflib.Dataset) else data
        store.extend(terms.quad(t[0], t[1], t[2], source) for t in triples)
    if ontology_graph is not None:
        store.extend(terms.quad(s, p, o, source) for s, p, o in ontology_graph)
    clashes: list[str] = []
    reason_in_store(
        store, [source], SCRATCH_INFERRED, check=(lambda s: clashes.extend(inconsistencies(s))) if check else None
    )
    out = rdflib.Graph()
    for q in store.quads_for_pattern(None, None, None, SCRATCH_INFERRED):
        triple = (terms.back(q.subject), terms.back(q.predicate), terms.back(q.object))
        if reasoning.noise_kind(triple) is None:  # e.g. the schema closure, which the build drops too
            out.add(triple)
    return out, clashes


class _Terms:
    """rdflib <-> pyoxigraph terms; blank nodes keep their identity both ways."""

    def __init__(self):
        self.blank: dict = {}
        self.unblank: dict = {}

    def quad(self, s, p, o, graph) -> ox.Quad:
        return ox.Quad(self.to_ox(s), self.to_ox(p), self.to_ox(o), graph)

    def to_ox(self, term):
        if isinstance(term, rdflib.BNode):
            if term not in self.blank:
                node = ox.BlankNode()
                self.blank[term], self.unblank[node.value] = node, term
            return self.blank[term]
        return rdf_bridge.to_oxigraph(term)

    def back(self, term):
        if isinstance(term, ox.BlankNode) and term.value in self.unblank:
            return self.unblank[term.value]
        return rdf_bridge.to_rdflib(term)
