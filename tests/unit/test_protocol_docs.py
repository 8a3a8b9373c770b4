"""Documentation that cannot drift: every setting, route, format and serve option is in docs/endpoint.md."""

from __future__ import annotations

import argparse
import re

import pytest

from karabakh_kg import config
from karabakh_kg.commands import serve as serving
from karabakh_kg.web import conneg
from support.paths import ROOT

ENDPOINT_DOC = ROOT / "docs" / "endpoint.md"


def endpoint_section() -> str:
    assert "(docs/endpoint.md)" in (ROOT / "README.md").read_text(encoding="utf-8"), "README links the reference"
    return ENDPOINT_DOC.read_text(encoding="utf-8")


@pytest.mark.parametrize("setting", [s.name for s in config.SETTINGS])
def test_every_setting_is_documented(setting):
    assert f"`{config.PREFIX}{setting}`" in endpoint_section()


@pytest.mark.parametrize("media_type", [f.media_type for f in conneg.FORMATS])
def test_every_format_is_documented(media_type):
    assert f"`{media_type}`" in endpoint_section()


def test_every_serve_option_is_documented():
    parser = argparse.ArgumentParser()
    serving.add_arguments(parser)
    options = [a.option_strings[0] for a in parser._actions if a.option_strings and a.dest != "help"]
    assert options
    for option in options:
        assert option in endpoint_section(), option


def test_settings_table_names_exactly_the_settings_there_are():
    """Each row of the settings table (docs/endpoint.md) is a real setting with a description, and none is missing."""
    rows = re.findall(r"^\| `" + config.PREFIX + r"([A-Z_]+)` \|(.*)$", endpoint_section(), flags=re.M)
    documented = {name for name, _ in rows}
    assert documented == {s.name for s in config.SETTINGS}
    for name, rest in rows:
        cells = [cell.strip() for cell in rest.split("|") if cell.strip()]
        assert len(cells) >= 2 and len(cells[-1]) > 10, f"{name}: the row needs a default and a description"


def test_environment_overrides_and_bad_values():
    loaded = config.load(environ={"KARABAKH_KG_QUERY_TIMEOUT": "2.5", "KARABAKH_KG_ACCESS_LOG": "off"})
    assert loaded["QUERY_TIMEOUT"] == 2.5 and loaded["ACCESS_LOG"] is False
    assert config.load({"QUERY_TIMEOUT": 1}, environ={"KARABAKH_KG_QUERY_TIMEOUT": "2.5"})["QUERY_TIMEOUT"] == 1
    with pytest.raises(ValueError, match="KARABAKH_KG_PORT"):
        config.load(environ={"KARABAKH_KG_PORT": "eighty"})


def test_every_command_is_documented():
    from karabakh_kg import cli

    commands = (ROOT / "docs" / "commands.md").read_text(encoding="utf-8")
    for name in cli.COMMANDS:
        assert f"`karabakh-kg {name}" in commands, name
