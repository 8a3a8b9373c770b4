"""Every broken input makes `karabakh-kg build` fail clearly (file:line or node), exit 1, previous build intact."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from karabakh_kg import cli, releases
from support.kg import build, check_failed, copy_inputs, replace_in

FACTS = Path("data/facts")


def test_turtle_syntax_error_names_file_line_and_column(capsys, tmp_path, good_build):
    source = copy_inputs(tmp_path)
    replace_in(
        source / FACTS / "events.ttl",
        'rdfs:label "Ceasefire of 10 November 2020"@en ;',
        'rdfs:label "Ceasefire of 10 November 2020@en ;',
    )
    err = check_failed(capsys, tmp_path, good_build, "events.ttl:", "Turtle syntax error")
    line = next(
        n
        for n, text in enumerate((source / FACTS / "events.ttl").read_text().splitlines(), 1)
        if "Ceasefire of 10 November 2020@en" in text
    )
    assert f"events.ttl:{line}:" in err or f"events.ttl:{line + 1}:" in err


# (file under data/facts, text, broken text, what the message must name)
BROKEN = {
    "relationship with one party": (
        "events.ttl",
        'kgo:between kg:azerbaijan, kg:armenia ;\n    kgo:characterisedAs "tense"',
        'kgo:between kg:azerbaijan ;\n    kgo:characterisedAs "tense"',
        ["events.ttl:", "kg:azerbaijan-armenia-relations", "a relationship is between at least two agents"],
    ),
    "undeclared prefix": ("events.ttl", "kgo:party kg:armenia", "kgx:party kg:armenia", ["events.ttl:", "kgx"]),
    "quote not in the article": (
        "events.ttl",
        'kgo:quote "Aghdam is ours!"',
        'kgo:quote "Aghdam is ours !"',
        ["kg:utterance-aghdam-is-ours", "quote not found verbatim", "'Aghdam is ours !'", "events.ttl:"],
    ),
    "normalised apostrophe": (
        "actors-and-regions.ttl",
        "outside Nagorno-Karabakh’s borders",
        "outside Nagorno-Karabakh's borders",
        [
            "kg:aghdam",
            "quote not found verbatim",
            "nearest passage",
            "Nagorno-Karabakh[’]s borders",
            "Nagorno-Karabakh[']s borders",
            "U+0027 APOSTROPHE) where the article has '’' (U+2019",
        ],
    ),
    "label without a language tag": (
        "events.ttl",
        'rdfs:label "Davit Tonoyan tenders his resignation"@en ;',
        'rdfs:label "Davit Tonoyan tenders his resignation" ;',
        [
            "events.ttl:",
            "kg:tonoyan-resignation",
            'has no language tag: write "Davit Tonoyan tenders his resignation"@en',
        ],
    ),
    "misspelt class": (
        "actors-and-regions.ttl",
        "kg:the-armenians a kgo:Group ;",
        "kg:the-armenians a kgo:Grup ;",
        ["actors-and-regions.ttl:", "kgo:Grup", "did you mean `kgo:Group`?"],
    ),
    "clash through a property's domain": (
        "actors-and-regions.ttl",
        "    kgo:headcount kg:q-displaced-1993 ;\n",
        "    kgo:headcount kg:q-displaced-1993 ;\n    kgo:hasMember kg:aghdam ;\n",
        [
            "inconsistent under OWL 2 RL",
            "kg:displaced-azerbaijanis is both kgo:Group and kgo:Region",
            "owl:AllDisjointClasses at ",
            "actors-and-regions.ttl:",
            ": kg:displaced-azerbaijanis a kgo:Group\n",
            "kg:displaced-azerbaijanis kgo:hasMember kg:aghdam — with the axiom ",
            "karabakh.ttl:",
            "kgo:hasMember rdfs:domain kgo:RegionCollection",
        ],
    ),
    "SHACL violation": (
        "events.ttl",
        '    rdfs:label "Davit Tonoyan tenders his resignation"@en ;\n',
        "",
        ["kg:tonoyan-resignation", "English rdfs:label"],
    ),
    "violation query": (
        "events.ttl",
        "kgo:carriedOutBy kg:davit-tonoyan ;",
        "kgo:agentt kg:davit-tonoyan ;",
        ["events.ttl:", "kgo:agentt", "undeclared-term-violation", "did you mean `kgo:agent`?"],
    ),
    "evidence not in the article": (
        "statements.ttl",
        'kgo:evidence "on November 25"',
        'kgo:evidence "on 25 November"',
        ["statements.ttl:", "kgs:kalbajar-deadline", "evidence not found verbatim", "'on 25 November'"],
    ),
    "statement without words": (
        "statements.ttl",
        '    kgo:evidence "Aghdam is ours!" .',
        "    .",
        ["statements.ttl:", "kgs:aliyev-aghdam-is-ours", "needs the words that support it"],
    ),
    "statement without voice": (
        "statements.ttl",
        "    kgo:voice kg:ilham-aliyev ; kgo:certainty kgo:Certain ; kgo:polarity kgo:Positive ; kgo:temporalStatus kgo:NonFuture ;\n    kgo:expressedIn kg:utterance-aghdam-is-ours ;",
        "    kgo:expressedIn kg:utterance-aghdam-is-ours ;",
        ["kgs:aliyev-aghdam-is-ours", "exactly one voice"],
    ),
    "reported claim written as the article's fact": (
        "events.ttl",
        "    kgo:transferredRegion kg:aghdam ;\n    kgo:factuality kgo:Planned ;",
        "    kgo:transferredRegion kg:aghdam ;\n    kgo:factuality kgo:Planned, kgo:Actual ;",
        ["kgs:aliyev-aghdam-taken", "a reported statement is written as a plain fact", "statement-voice-violation"],
    ),
    "denial written as a fact": (
        "events.ttl",
        "    kgo:notRecognisedBy kg:armenia ;",
        "    kgo:notRecognisedBy kg:armenia ; kgo:recognisedBy kg:armenia ;",
        ["kgs:claim-not-recognised-by-armenia", "a denied statement is written as a plain fact"],
    ),
    "the article's own statement missing its plain triple": (
        "events.ttl",
        "    kgo:deadline kg:t-2020-11-25 ; kgo:deadlineKind kgo:OnDate ;",
        "    kgo:deadlineKind kgo:OnDate ;",
        ["kgs:kalbajar-deadline", "not written as a plain fact"],
    ),
    "approximate number given as exact": (
        "quantities-and-times.ttl",
        "kgo:approximateValue 30000 ;",
        "schema:value 30000 ;",
        ["kg:q-deaths-1990s", "schema:value is for exact numbers only"],
    ),
    "inconsistency": (
        "actors-and-regions.ttl",
        "kg:ilham-aliyev a kgo:Person ;",
        "kg:ilham-aliyev a kgo:Person, kgo:Town ;",
        ["inconsistent under OWL 2 RL", "ilham-aliyev"],
    ),
}


@pytest.mark.parametrize("case", BROKEN)
def test_broken_fact_is_named(capsys, tmp_path, good_build, case):
    name, old, new, expected = BROKEN[case]
    replace_in(copy_inputs(tmp_path) / FACTS / name, old, new)
    check_failed(capsys, tmp_path, good_build, *expected)


def test_missing_input_folder(capsys, tmp_path, good_build):
    (tmp_path / "src").mkdir()
    check_failed(capsys, tmp_path, good_build, "missing folder")


def test_missing_article(capsys, tmp_path, good_build):
    source = copy_inputs(tmp_path)
    (source / "data" / "articles" / "2020-11-20-aghdam.txt").unlink()
    check_failed(capsys, tmp_path, good_build, "no articles files found")


def test_unwritable_output(capsys, tmp_path):
    blocker = tmp_path / "not-a-folder"
    blocker.write_text("a file where the build folder should be")
    code, err = build(capsys, copy_inputs(tmp_path), blocker)
    assert code == 1 and "cannot write the build" in err


def test_usage_error_exits_2(capsys):
    with pytest.raises(SystemExit) as stop:
        cli.main(["build", "--no-such-flag"])
    assert stop.value.code == 2


def test_truncated_build_is_refused_on_open(tmp_path, good_build):
    import shutil

    copy = tmp_path / "b"
    shutil.copytree(good_build, copy, symlinks=True)
    dataset = releases.open_current(copy).dataset
    os.truncate(dataset, dataset.stat().st_size // 2)
    with pytest.raises(releases.ReleaseError, match="truncated"):
        releases.open_current(copy)


def test_dumps_that_cannot_be_written_fail_the_build_and_keep_the_last_good_one(
    capsys, tmp_path, good_build, monkeypatch
):
    """The dumps are written in a forked process: its failure still reaches the build's message."""
    import shutil

    from karabakh_kg.build import release_writer

    out = tmp_path / "b"
    shutil.copytree(good_build, out, symlinks=True)
    before = (releases.open_current(out).version, sorted(p.name for p in out.rglob("*")))

    def full_disk(folder, *args):
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(release_writer, "_write_dumps", full_disk)
    code = cli.main(["build", "--source", str(copy_inputs(tmp_path)), "--build-dir", str(out), "--force"])
    err = capsys.readouterr().err
    assert code == 1 and "cannot write the build" in err and "No space left on device" in err
    assert "Traceback" not in err
    assert (releases.open_current(out).version, sorted(p.name for p in out.rglob("*"))) == before
