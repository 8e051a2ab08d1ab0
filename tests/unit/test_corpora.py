"""The corpora loader: what it reads, and what happens when a file is missing."""

import pytest

from tests import corpora


def test_the_corpora_are_read_whole_and_without_duplicates():
    vectors, naughty, formulas = corpora.xss_vectors(), corpora.naughty_strings(), corpora.formula_payloads()
    assert len(vectors) >= 390 and len(naughty) >= 500 and len(formulas) >= 12
    for entries in (vectors, naughty, formulas):
        assert len(set(entries)) == len(entries)
    assert all(vector.strip() for vector in vectors + formulas)
    assert "" in naughty  # the naughty list starts with the empty string: kept, it is one of its tests
    assert any(vector.startswith("<svg") for vector in vectors)
    assert any(payload.startswith("=cmd|") for payload in formulas)


def test_own_cases_decode_code_points_and_keep_line_breaks():
    cases = dict(corpora.own_named_cases())
    assert len(cases) >= 80 and len(corpora.own_cases()) == len(cases)
    assert cases["Invisible character in the scheme: zero-width space"] == "[click](java\u200bscript:alert(1))"
    assert cases["Reference-style link to javascript:"] == "[click][evil]\n\n[evil]: javascript:alert(1)"
    assert cases["Fifty levels of quotes"].count(">") == 50
    assert not any("{U+" in text for text in cases.values())


def test_a_missing_folder_fails_the_test(monkeypatch, tmp_path):
    monkeypatch.setattr(corpora, "CORPORA_DIR", tmp_path / "nowhere")
    with pytest.raises(pytest.fail.Exception, match="corpora are missing"):
        corpora.folder()


def test_the_corpora_are_in_the_repository_with_their_licences():
    root = corpora.PROJECT_ROOT
    assert corpora.CORPORA_DIR.is_relative_to(root)
    for name in ("xss", "naughty", "csv"):
        assert (corpora.CORPORA_DIR / name / "LICENSE").read_text().startswith(("MIT License", "The MIT License"))
    provenance = (corpora.CORPORA_DIR / "README.md").read_text()
    assert "f9fa514" in provenance and "db33ec7" in provenance


def test_an_incomplete_corpus_fails():
    with pytest.raises(pytest.fail.Exception, match="incomplete"):
        corpora._checked("xss", ("<script>alert(1)</script>",))
