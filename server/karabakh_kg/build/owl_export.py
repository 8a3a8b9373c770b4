"""The ontology and the data in one file that OWL 2 DL tools (Protégé, HermiT) open and reason over.

OWL 2 reasoners accept only the datatypes of the OWL 2 datatype map; `xsd:date`, `xsd:gYear`,
`xsd:gYearMonth` (the article's dates, kept at their real precision) are outside it, and HermiT
stops on the first such literal. This export keeps the ontology, the asserted facts and the links
(not the OWL-RL closure: the reasoner computes its own) and writes those literals as `xsd:string`
with the same lexical form (and a range naming such a datatype as `xsd:string`), saying so in the
ontology header. Nothing else changes.
"""

from __future__ import annotations

import pyoxigraph as ox

XSD = "http://www.w3.org/2001/XMLSchema#"
# The datatypes of the OWL 2 datatype map (OWL 2 Structural Specification, section 4).
OWL2_DATATYPES = {
    XSD + name
    for name in (
        "decimal integer nonNegativeInteger nonPositiveInteger positiveInteger negativeInteger long int "
        "short byte unsignedLong unsignedInt unsignedShort unsignedByte double float string normalizedString "
        "token language Name NCName NMTOKEN boolean hexBinary base64Binary anyURI dateTime dateTimeStamp"
    ).split()
} | {
    "http://www.w3.org/1999/02/22-rdf-syntax-ns#PlainLiteral",
    "http://www.w3.org/1999/02/22-rdf-syntax-ns#XMLLiteral",
    "http://www.w3.org/1999/02/22-rdf-syntax-ns#langString",
    "http://www.w3.org/2000/01/rdf-schema#Literal",
    "http://www.w3.org/2002/07/owl#real",
    "http://www.w3.org/2002/07/owl#rational",
}
GRAPHS = ("ontology", "asserted", "links")
RDFS_COMMENT = ox.NamedNode("http://www.w3.org/2000/01/rdf-schema#comment")
NOTE = (
    "This copy of the ontology holds the asserted facts and the external links too, for OWL 2 DL tools "
    "(Protégé, HermiT). Literals typed xsd:date, xsd:gYear or xsd:gYearMonth, which are outside the OWL 2 "
    "datatype map, are written here as xsd:string with the same lexical form, and so are axioms naming those datatypes."
)


XSD_STRING = ox.NamedNode(XSD + "string")


def owl_compatible(term):
    """xsd:string for a datatype outside the OWL 2 datatype map: the literals typed with it (same
    lexical form) and the axioms that name it (a range `xsd:date` becomes `xsd:string`), so the
    two stay consistent."""
    if isinstance(term, ox.Literal) and not term.language and term.datatype.value not in OWL2_DATATYPES:
        return ox.Literal(term.value)
    if isinstance(term, ox.NamedNode) and term.value.startswith(XSD) and term.value not in OWL2_DATATYPES:
        return XSD_STRING
    return term


def triples(quads: list, base: str) -> list:
    """The export's triples from the release's quads."""
    wanted = {ox.NamedNode(f"{base}graph/{name}") for name in GRAPHS}
    out, seen = [], set()
    for quad in quads:
        if quad.graph_name in wanted:
            triple = ox.Triple(owl_compatible(quad.subject), quad.predicate, owl_compatible(quad.object))
            if triple not in seen:
                seen.add(triple)
                out.append(triple)
    out.append(ox.Triple(ox.NamedNode(base + "ontology"), RDFS_COMMENT, ox.Literal(NOTE, language="en")))
    return out
