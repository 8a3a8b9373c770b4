"""Reading the article: its `date` header, its checksum, and clear errors for a broken file."""

import hashlib

import pytest

from karabakh_kg.build.grounding import load_article
from karabakh_kg.errors import InputError
from karabakh_kg.namespaces import IRIs


def test_the_date_header_and_checksum_are_read(tmp_path):
    path = tmp_path / "a.txt"
    path.write_bytes("date 2020-11-20\nKarabakh’s text\n".encode())
    article = load_article(path, IRIs())
    assert article.date == "2020-11-20"
    assert article.sha256 == hashlib.sha256(path.read_bytes()).hexdigest()
    assert article.text.index("’") == 24  # offsets count characters, not bytes


@pytest.mark.parametrize(
    ("content", "message"),
    [(b"no header\n", ":1: the article must start"), (b"date 2020-11-20\n\xff", "not UTF-8")],
)
def test_a_broken_article_is_named(tmp_path, content, message):
    path = tmp_path / "a.txt"
    path.write_bytes(content)
    with pytest.raises(InputError) as error:
        load_article(path, IRIs())
    assert message in str(error.value) and str(path) in str(error.value)
