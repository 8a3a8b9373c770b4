"""Military control by forces and a state's holding of the same region are told apart."""

from __future__ import annotations

import pyoxigraph as ox
import pytest

from karabakh_kg import query_files

KG, KGO = "https://w3id.org/karabakh-kg/id/", "https://w3id.org/karabakh-kg/ontology#"


def period(slug: str, kind: str, who: str) -> str:
    return (
        f"<{KG}{slug}> a <{KGO}{kind}> ; <{KGO}controller> <{KG}{who}> ; <{KGO}controlledRegion> <{KG}r> ;"
        f" <{KGO}hasTime> <{KG}t> .\n"
    )


TIME = (
    f"<{KG}t> <http://www.w3.org/2006/time#hasBeginning> <{KG}b> .\n"
    f'<{KG}b> <{KGO}earliest> "2000-01-01"^^<http://www.w3.org/2001/XMLSchema#date> .\n'
)


@pytest.mark.parametrize(
    ("kinds", "violations"),
    [(("Holding", "Holding"), 1), (("MilitaryControl", "MilitaryControl"), 1), (("MilitaryControl", "Holding"), 0)],
)
def test_the_overlap_check_compares_periods_of_one_kind(kinds, violations):
    store = ox.Store()
    data = TIME + period("p1", kinds[0], "state") + period("p2", kinds[1], "forces")
    store.load(data.encode(), ox.RdfFormat.TURTLE)
    rows = list(store.query(query_files.load("control-overlap-violation", "checks").text))
    assert len(rows) == violations
