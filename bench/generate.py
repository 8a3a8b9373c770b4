"""Synthetic data in the article's shape, at any size, deterministic from a seed.

The benchmark needs graphs of 10k, 100k and 1M triples that look like the article graph to the
queries and the reasoner: a region hierarchy (countries > districts > towns, transitive `partOf`),
actors (states, governments, armed forces, news media, persons with tenures), events of every
kind the ontology has (handovers with parties and regions, addresses with utterances, reports,
resignations, protests, wars with casualty figures), control periods, ceasefires with obligations
and deadlines, time instants with real precision, spread over many articles. Provenance as the
build writes it: a name mention (Web Annotation: quote and position selectors, prefix, suffix,
occurrence) for every resource, a statement node in the article's voice for every plain triple
about a mentioned resource (supported by that mention, derived from the article), and statements
in a speaker's voice that are never plain triples (certainty, polarity, temporal status, the
utterance, evidence words with their spans; some interpretations with a note, some denied). Only
the ontology's own vocabulary is used, so the real ontology reasons over it.

    python bench/generate.py --triples 100000 --seed 7 --out bench/.work/100k.nt
"""

from __future__ import annotations

import argparse
import random
import sys
from datetime import date, timedelta
from pathlib import Path

BASE = "https://w3id.org/karabakh-kg/"
KG, KGO = BASE + "id/", BASE + "ontology#"
RDF_TYPE = "http://www.w3.org/1999/02/22-rdf-syntax-ns#type"
LABEL = "http://www.w3.org/2000/01/rdf-schema#label"
TIME = "http://www.w3.org/2006/time#"
SCHEMA = "https://schema.org/"
XSD = "http://www.w3.org/2001/XMLSchema#"
OA = "http://www.w3.org/ns/oa#"
RDF = "http://www.w3.org/1999/02/22-rdf-syntax-ns#"
PROV = "http://www.w3.org/ns/prov#"
COMMENT = "http://www.w3.org/2000/01/rdf-schema#comment"

EVENTS = (
    "Handover",
    "Occupation",
    "Recapture",
    "Address",
    "Report",
    "Resignation",
    "Protest",
    "War",
    "Clashes",
    "Displacement",
    "Deployment",
    "Mediation",
    "Signing",
)
WORDS = (
    "Aghdam",
    "Kalbajar",
    "Lachin",
    "Shusha",
    "Karabakh",
    "Ganja",
    "Tovuz",
    "Fuzuli",
    "Jabrayil",
    "Zangilan",
    "Qubadli",
    "Khojavend",
    "Tartar",
    "Barda",
    "Goris",
    "Sisian",
)


NAMED = {
    ("country", 0): "azerbaijan",
    ("country", 1): "armenia",
    ("country", 2): "russia",
    ("district", 0): "aghdam",
    ("person", 0): "ilham-aliyev",
    ("ceasefire", 0): "ceasefire",
    ("event", 0): "aghdam-handover",
}


def _iri(value: str) -> str:
    return f"<{value}>"


def _lit(text: str, datatype: str | None = None, lang: str | None = None) -> str:
    escaped = text.replace("\\", "\\\\").replace('"', '\\"')
    if lang:
        return f'"{escaped}"@{lang}'
    return f'"{escaped}"^^<{datatype}>' if datatype else f'"{escaped}"'


class Generator:
    """Emit N-Triples lines until the target size is reached; same seed, same lines."""

    def __init__(self, triples: int, seed: int = 1):
        self.target = triples
        self.rng = random.Random(seed)
        self.lines: list[str] = []
        self.mentions = 0
        self.annotations = 0
        self.statements = 0
        self.claims = 0
        self.mentioned: dict[str, tuple[str, str]] = {}
        self.ceasefires: set[int] = set()

    def t(self, s: str, p: str, o: str) -> None:
        self.lines.append(f"{s} {p} {o} .")

    def kgo(self, term: str) -> str:
        return _iri(KGO + term)

    def node(self, kind: str, n: int) -> str:
        """`kind-n`, except that the first entities carry the article's names (the competency
        queries name Azerbaijan, Aghdam, Aliyev, the ceasefire), which become hubs at scale."""
        return _iri(KG + NAMED.get((kind, n), f"{kind}-{n}"))

    def typed(self, node: str, cls: str, label: str) -> None:
        self.fact(node, _iri(RDF_TYPE), self.kgo(cls))
        self.t(node, _iri(LABEL), _lit(label, lang="en"))

    def annotation(self, node: str, body: str, kind: str, motive: str, quote: str, article: str) -> str:
        """A Web Annotation in the build's shape: the annotation (a name mention of a resource, or
        an evidence span of a statement), its target in the article, a quote selector (exact text,
        prefix, suffix, occurrence) and a position selector (start, end exclusive)."""
        self.annotations += 1
        start = self.rng.randrange(0, 50_000)
        end = start + len(quote)
        M, target, qs, ps = _iri(node), _iri(node + "#target"), _iri(node + "#quote"), _iri(node + "#position")
        self.t(M, _iri(RDF_TYPE), self.kgo(kind))
        self.t(M, _iri(LABEL), _lit(f"“{quote}” ({start}–{end})", lang="en"))
        self.t(M, _iri(OA + "hasBody"), body)
        self.t(M, _iri(OA + "hasTarget"), target)
        self.t(M, _iri(OA + "motivatedBy"), _iri(OA + motive))
        self.t(M, self.kgo("inArticle"), article)
        self.t(target, _iri(RDF_TYPE), _iri(OA + "SpecificResource"))
        self.t(target, _iri(OA + "hasSource"), article)
        self.t(target, _iri(OA + "hasSelector"), qs)
        self.t(target, _iri(OA + "hasSelector"), ps)
        self.t(qs, _iri(RDF_TYPE), _iri(OA + "TextQuoteSelector"))
        self.t(qs, _iri(OA + "exact"), _lit(quote))
        self.t(qs, _iri(OA + "prefix"), _lit(f"{self.rng.choice(WORDS)} said that "))
        self.t(qs, _iri(OA + "suffix"), _lit(f" in {self.rng.choice(WORDS)}."))
        self.t(qs, self.kgo("occurrence"), _lit(str(1 + self.annotations % 3), XSD + "integer"))
        self.t(ps, _iri(RDF_TYPE), _iri(OA + "TextPositionSelector"))
        self.t(ps, _iri(OA + "start"), _lit(str(start), XSD + "integer"))
        self.t(ps, _iri(OA + "end"), _lit(str(end), XSD + "integer"))
        return M

    def mention(self, node: str, quote: str, article: str) -> None:
        """A name mention of `node` in `article` (the build's `<node>/mention/n`)."""
        self.mentions += 1
        m = self.annotation(f"{node[1:-1]}/mention/{self.mentions}", node, "NameMention", "identifying", quote, article)
        self.t(node, self.kgo("denotedBy"), m)
        self.mentioned[node] = (m, article)

    def fact(self, s: str, p: str, o: str) -> None:
        """A plain triple in the article's voice, with the statement node the build supplies for it:
        `<s>/statement/<property>-<n>`, naming the triple, the voice (the article) and the subject's
        mention as its support."""
        self.t(s, p, o)
        if s not in self.mentioned:
            return
        mention, article = self.mentioned[s]
        self.statements += 1
        st = _iri(f"{s[1:-1]}/statement/{p[1:-1].rsplit('#', 1)[-1].rsplit('/', 1)[-1]}-{self.statements:08x}")
        self.t(st, _iri(RDF_TYPE), self.kgo("Statement"))
        self.t(st, _iri(LABEL), _lit(f"{s[1:-1].rsplit('/', 1)[1]} {p[1:-1].rsplit('#', 1)[-1]}", lang="en"))
        self.t(st, _iri(RDF + "subject"), s)
        self.t(st, _iri(RDF + "predicate"), p)
        self.t(st, _iri(RDF + "object"), o)
        self.t(st, self.kgo("voice"), article)
        self.t(st, _iri(PROV + "wasDerivedFrom"), article)
        self.t(st, self.kgo("supportedBy"), mention)

    def voiced(self, i: int, s: str, p: str, o: str, voice: str, utterance: str, article: str) -> None:
        """A statement in a source's voice (never written as a plain triple): `<id/statement/...>`
        with certainty, polarity, temporal status, the utterance it is expressed in, its evidence
        words and an evidence span for each; every fifth an interpretation with a note, every
        seventh denied."""
        self.claims += 1
        i = self.claims
        st = f"{KG}statement/claim-{i}"
        S = _iri(st)
        self.t(S, _iri(RDF_TYPE), self.kgo("Statement"))
        if i % 5 == 1:
            self.t(S, _iri(RDF_TYPE), self.kgo("Interpretation"))
            self.t(S, _iri(COMMENT), _lit(f"Read from the speaker's words about region {i}.", lang="en"))
        self.t(S, _iri(LABEL), _lit(f"Claim {i}: {o[1:-1].rsplit('/', 1)[1]} controls region {i}", lang="en"))
        self.t(S, _iri(RDF + "subject"), s)
        self.t(S, _iri(RDF + "predicate"), p)
        self.t(S, _iri(RDF + "object"), o)
        self.t(S, self.kgo("voice"), voice)
        self.t(S, self.kgo("certainty"), self.kgo(("Certain", "Probable", "Possible")[i % 3]))
        self.t(S, self.kgo("polarity"), self.kgo("Negative" if i % 7 == 2 else "Positive"))
        self.t(S, self.kgo("temporalStatus"), self.kgo("Future" if i % 4 == 0 else "NonFuture"))
        self.t(S, self.kgo("expressedIn"), utterance)
        self.t(S, _iri(PROV + "wasDerivedFrom"), article)
        for k in range(1 + i % 2):
            words = f"{self.rng.choice(WORDS)} is ours, said speaker {i} ({k})"
            self.t(S, self.kgo("evidence"), _lit(words))
            span = self.annotation(f"{st}/evidence/{k + 1}", S, "EvidenceSpan", "describing", words, article)
            self.t(S, self.kgo("supportedBy"), span)

    def run(self) -> list[str]:
        n = self.target
        scale = max(1, n // 1000)
        self.articles = [self.node("article", i) for i in range(max(2, n // 5000))]
        for i, a in enumerate(self.articles):
            self.t(a, _iri(RDF_TYPE), self.kgo("Article"))
            self.t(a, _iri(LABEL), _lit(f"Article {i}", lang="en"))
            day = date(2020, 1, 1) + timedelta(days=i % 1500)
            self.t(a, _iri(SCHEMA + "datePublished"), _lit(day.isoformat(), XSD + "date"))
        self.countries = self.places("country", "Country", max(3, scale // 20), None)
        self.districts = self.places("district", "District", max(6, scale), self.countries)
        self.towns = self.places("town", "Town", max(12, scale * 3), self.districts)
        self.days = [self.instant(i) for i in range(max(30, min(3000, scale * 5)))]
        self.people = [self.person(i) for i in range(max(6, scale * 2))]
        self.forces = []
        for i, c in enumerate(self.countries):
            f = self.node("forces", i)
            self.typed(f, "ArmedForces", f"Forces of country {i}")
            self.t(f, self.kgo("forcesOf"), c)
            self.forces.append(f)
        self.media = [self.node("media", i) for i in range(max(2, scale // 4))]
        for i, m in enumerate(self.media):
            self.typed(m, "NewsMedia", f"Daily {i}")
        story = 0
        while len(self.lines) < n:
            self.story(story)
            story += 1
        return self.lines

    def places(self, kind: str, cls: str, count: int, parents: list[str] | None) -> list[str]:
        out = []
        for i in range(count):
            node = self.node(kind, i)
            name = f"{self.rng.choice(WORDS)} {kind} {i}"
            self.mention(node, name, self.rng.choice(self.articles))
            self.typed(node, cls, name)
            if parents:
                self.fact(node, self.kgo("partOf"), parents[i % len(parents)])
            out.append(node)
        return out

    def instant(self, i: int) -> str:
        node = self.node("t", i)
        day = date(1990, 1, 1) + timedelta(days=11 * i)
        self.t(node, _iri(RDF_TYPE), _iri(TIME + "Instant"))
        self.t(node, _iri(LABEL), _lit(day.isoformat(), lang="en"))
        if i % 7 == 0:
            self.t(node, _iri(TIME + "inXSDgYear"), _lit(str(day.year), XSD + "gYear"))
            first, last = date(day.year, 1, 1), date(day.year, 12, 31)
        else:
            self.t(node, _iri(TIME + "inXSDDate"), _lit(day.isoformat(), XSD + "date"))
            first = last = day
        self.t(node, self.kgo("earliest"), _lit(first.isoformat(), XSD + "date"))
        self.t(node, self.kgo("latest"), _lit(last.isoformat(), XSD + "date"))
        self.t(node, self.kgo("wording"), _lit(f"on {day:%B} {day.day}, {day.year}"))
        return node

    def interval(self, name: str, begin: str, end: str | None) -> str:
        node = _iri(f"{KG}t-{name}")
        self.t(node, _iri(RDF_TYPE), _iri(TIME + "ProperInterval"))
        self.t(node, _iri(TIME + "hasBeginning"), begin)
        if end:
            self.t(node, _iri(TIME + "hasEnd"), end)
        return node

    def person(self, i: int) -> str:
        node = self.node("person", i)
        self.mention(node, f"Person {i}", self.rng.choice(self.articles))
        self.typed(node, "Person", f"Person {i}")
        post, tenure = self.node("position", i), self.node("tenure", i)
        self.typed(post, "Position", f"Minister {i}")
        self.t(post, self.kgo("positionIn"), self.rng.choice(self.countries))
        self.typed(tenure, "Tenure", f"Person {i} as minister {i}")
        self.t(tenure, self.kgo("holder"), node)
        self.t(tenure, self.kgo("position"), post)
        self.t(tenure, self.kgo("hasTime"), self.interval(f"tenure-{i}", self.rng.choice(self.days), None))
        return node

    def story(self, i: int) -> None:
        """One event with its participants, place, time, figures, quotes and mentions."""
        rng = self.rng
        kind = EVENTS[i % len(EVENTS)]
        ev = self.node("event", i)
        article = rng.choice(self.articles)
        a, b = rng.sample(self.countries, 2)
        region = rng.choice(self.towns if i % 3 else self.districts)
        self.mention(ev, f"the {kind.lower()} number {i}", article)
        self.fact(ev, _iri(RDF_TYPE), self.kgo(kind))
        self.fact(ev, _iri(LABEL), _lit(f"{kind} {i}", lang="en"))
        self.fact(ev, self.kgo("hasTime"), rng.choice(self.days))
        self.fact(ev, self.kgo("factuality"), self.kgo("Actual"))
        if kind in ("Handover", "Occupation", "Recapture"):
            self.fact(ev, self.kgo("fromParty"), a)
            self.fact(ev, self.kgo("toParty"), b)
            self.fact(ev, self.kgo("transferredRegion"), region)
            cp = self.node("control", i)
            self.mention(cp, f"control of region {i}", article)
            kind_of_control = "MilitaryControl" if kind == "Occupation" else "Holding"
            self.typed(cp, kind_of_control, f"{b[1:-1].rsplit('/', 1)[1]} controls region {i}")
            self.fact(cp, self.kgo("controller"), b)
            self.fact(cp, self.kgo("controlledRegion"), region)
            self.fact(cp, self.kgo("startedBy"), ev)
            self.fact(
                cp,
                self.kgo("hasTime"),
                self.interval(f"control-{i}", rng.choice(self.days), rng.choice(self.days) if i % 2 else None),
            )
            if kind == "Handover":
                self.agreement(i, a, b, region, ev, article)
        elif kind in ("Address", "Report"):
            speaker = rng.choice(self.people if kind == "Address" else self.media)
            self.fact(ev, self.kgo("speaker"), speaker)
            self.fact(ev, self.kgo("audience"), a)
            u = self.node("utterance", i)
            quote = f"{rng.choice(WORDS)} is ours! ({i})"
            self.mention(u, quote, article)
            self.typed(u, "Utterance", f"Utterance {i}")
            self.fact(u, self.kgo("text"), _lit(f"{rng.choice(WORDS)} is ours! ({i})"))
            self.fact(u, self.kgo("saidIn"), ev)
            self.fact(u, self.kgo("accordingTo"), speaker)
            self.fact(u, self.kgo("about"), region)
            self.fact(u, self.kgo("directQuote"), _lit("true" if i % 2 else "false", XSD + "boolean"))
            self.fact(u, self.kgo("quote"), _lit(quote))
            self.voiced(i, region, self.kgo("partOf"), a, speaker, u, article)
        elif kind == "Resignation":
            self.fact(ev, self.kgo("agent"), rng.choice(self.people))
            self.fact(ev, self.kgo("resignsFrom"), self.node("position", rng.randrange(len(self.people))))
            self.fact(ev, self.kgo("accordingTo"), rng.choice(self.media))
        elif kind == "Protest":
            self.fact(ev, self.kgo("target"), rng.choice(self.people))
            self.fact(ev, self.kgo("headcount"), self.quantity(i, "AtLeast", 1000, article))
            self.fact(ev, self.kgo("hasPlace"), region)
        elif kind in ("War", "Clashes", "Displacement"):
            if kind != "Displacement":
                self.fact(ev, self.kgo("belligerent"), rng.choice(self.forces))
                self.fact(ev, self.kgo("belligerent"), a)
                self.fact(ev, self.kgo("deaths"), self.quantity(i, "About", rng.randrange(100, 40_000), article))
            else:
                self.fact(ev, self.kgo("agent"), rng.choice(self.forces))
                self.fact(ev, self.kgo("displaced"), self.quantity(i, "Nearly", rng.randrange(1000, 200_000), article))
            self.fact(ev, self.kgo("hasPlace"), region)
        elif kind == "Deployment":
            self.fact(ev, self.kgo("agent"), a)
            self.fact(ev, self.kgo("deploys"), rng.choice(self.forces))
            self.fact(ev, self.kgo("hasPlace"), region)
        elif kind == "Mediation":
            self.fact(ev, self.kgo("mediator"), a)
            self.fact(ev, self.kgo("hasParticipant"), b)
        else:  # Signing
            self.fact(ev, self.kgo("signatory"), a)
            self.fact(ev, self.kgo("signatory"), b)

    def quantity(self, i: int, approximation: str, value: int, article: str) -> str:
        q = self.node("q", i)
        wording = {"AtLeast": "thousands of", "About": "some", "Nearly": "nearly"}[approximation]
        self.mention(q, f"{wording} {value:,}", article)
        self.typed(q, "Quantity", f"{wording} {value:,}")
        self.fact(q, _iri(SCHEMA + "value"), _lit(str(value), XSD + "integer"))
        self.fact(q, self.kgo("approximation"), self.kgo(approximation))
        self.fact(q, self.kgo("wording"), _lit(f"{wording} {value:,}"))
        return q

    def agreement(self, i: int, a: str, b: str, region: str, handover: str, article: str) -> None:
        rng = self.rng
        k = rng.randrange(max(1, self.target // 20_000))  # several obligations per ceasefire
        c, o = self.node("ceasefire", k), self.node("obligation", i)
        if k not in self.ceasefires:
            self.ceasefires.add(k)
            self.mention(c, f"the ceasefire number {k}", article)
            self.typed(c, "Ceasefire", f"Ceasefire {k}")
            self.fact(c, self.kgo("party"), a)
            self.fact(c, self.kgo("party"), b)
            self.fact(c, self.kgo("hasTime"), rng.choice(self.days))
            med, sig = self.node("mediation", k), self.node("signing", k)
            self.typed(med, "Mediation", f"Mediation of ceasefire {k}")
            self.t(med, self.kgo("mediator"), rng.choice(self.countries))
            self.fact(c, self.kgo("resultOf"), med)
            self.typed(sig, "Signing", f"Signing of ceasefire {k}")
            self.t(sig, self.kgo("signatory"), a)
            self.t(sig, self.kgo("signatory"), b)
            self.fact(c, self.kgo("resultOf"), sig)
        self.fact(c, self.kgo("hasObligation"), o)
        self.mention(o, f"will hand over region {i}", article)
        self.typed(o, "Obligation", f"Obligation {i}")
        self.fact(o, self.kgo("obligedParty"), a)
        self.fact(o, self.kgo("beneficiary"), b)
        self.fact(o, self.kgo("concernsRegion"), region)
        self.fact(o, self.kgo("deadline"), rng.choice(self.days))
        self.fact(o, self.kgo("deadlineKind"), self.kgo(rng.choice(("OnDate", "ByDate"))))
        self.fact(o, self.kgo("fulfilledBy"), handover)
        self.fact(o, self.kgo("requiredAction"), _lit("hand over"))
        self.fact(o, self.kgo("quote"), _lit(f"will hand over region {i}"))


def generate(triples: int, seed: int = 1) -> list[str]:
    """N-Triples lines (asserted facts only), about `triples` of them (never fewer)."""
    return Generator(triples, seed).run()


def write(path: Path | str, triples: int, seed: int = 1) -> Path:
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text("\n".join(generate(triples, seed)) + "\n", encoding="utf-8")
    return path


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--triples", type=int, required=True)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--out", type=Path, required=True)
    args = parser.parse_args(argv)
    if args.triples < 100:
        parser.error("--triples: at least 100")
    write(args.out, args.triples, args.seed)
    return 0


if __name__ == "__main__":
    sys.exit(main())
