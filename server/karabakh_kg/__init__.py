"""Karabakh KG: a linked-data knowledge graph of the November 2020 Nagorno-Karabakh ceasefire."""

from importlib.metadata import PackageNotFoundError, version

try:
    __version__ = version("karabakh-kg")
except PackageNotFoundError:  # running from a source tree that is not installed
    __version__ = "0.0.0"
