"""The `guidance load` command and the service behind it, against a real database."""

from sqlalchemy import func, select

from consult_app.extensions import db
from consult_app.models import Document, Section, Version
from tests.factories import guidance_text, write_guidance


def row_counts(app) -> tuple[int, int, int]:
    with app.app_context():
        return tuple(
            db.session.scalar(select(func.count()).select_from(model)) for model in (Document, Version, Section)
        )


def load(runner, *paths):
    return runner.invoke(args=["guidance", "load", *map(str, paths)])


def test_first_load_creates_version_one(app, runner, tmp_path):
    result = load(runner, write_guidance(tmp_path))
    assert result.exit_code == 0, result.output
    assert "test-guidance: created version 1 with 3 sections" in result.output
    assert row_counts(app) == (1, 1, 3)


def test_loading_an_unchanged_file_changes_nothing(app, runner, tmp_path):
    path = write_guidance(tmp_path)
    load(runner, path)
    with app.app_context():
        before = db.session.scalar(select(Document.updated_at))
    result = load(runner, path)
    assert result.exit_code == 0
    assert "test-guidance: unchanged (version 1)" in result.output
    assert row_counts(app) == (1, 1, 3)
    with app.app_context():
        assert db.session.scalar(select(Document.updated_at)) == before


def test_a_changed_file_makes_a_new_version_and_keys_survive(app, runner, tmp_path):
    load(runner, write_guidance(tmp_path))
    changed = [
        ("Introduction {#introduction}", "Why this guidance exists, reworded."),
        ("Public good {#public-good}", "Statistics should serve the *public*."),
        ("Transparency", "Say what the model does."),
    ]
    result = load(runner, write_guidance(tmp_path, sections=changed))
    assert result.exit_code == 0, result.output
    assert "new version 2 (1 changed, 1 added, 1 removed" in result.output
    with app.app_context():
        document = db.session.scalar(select(Document))
        assert document.current_version_number == 2
        keys = [[s.key for s in v.sections] for v in document.versions]
        assert keys == [
            ["introduction", "public-good", "bias-and-fairness"],
            ["introduction", "public-good", "transparency"],
        ]
    assert row_counts(app) == (1, 2, 6)


def test_new_dates_or_summary_update_the_document_without_a_version(app, runner, tmp_path):
    load(runner, write_guidance(tmp_path))
    result = load(runner, write_guidance(tmp_path, summary="A better summary."))
    assert "version 1 unchanged; summary, consultation dates or details updated" in result.output
    with app.app_context():
        assert db.session.scalar(select(Document.summary)) == "A better summary."
    assert row_counts(app) == (1, 1, 3)


def test_default_paths_are_every_markdown_file_in_the_guidance_folder(app, runner, tmp_path):
    write_guidance(tmp_path, "a.md", slug="first")
    write_guidance(tmp_path, "b.md", slug="second")
    (tmp_path / "notes.txt").write_text("not guidance")
    app.config["GUIDANCE_DIR"] = str(tmp_path)
    result = load(runner)
    assert result.exit_code == 0, result.output
    assert "first: created" in result.output and "second: created" in result.output


def test_an_empty_guidance_folder_is_an_error(app, runner, tmp_path):
    app.config["GUIDANCE_DIR"] = str(tmp_path)
    result = load(runner)
    assert result.exit_code == 1
    assert "no guidance files found" in result.output


def test_one_bad_file_refuses_the_whole_load_and_leaves_the_database_as_it_was(app, runner, tmp_path):
    load(runner, write_guidance(tmp_path, "existing.md", slug="existing"))
    before = row_counts(app)
    good = write_guidance(tmp_path, "good.md", slug="good")
    changed = write_guidance(tmp_path, "existing.md", slug="existing", sections=[("Changed", "text")])
    bad = tmp_path / "bad.md"
    bad.write_text("---\ntitle: Bad\n---\n## One\n\n## One\n", encoding="utf-8")
    result = load(runner, good, changed, bad)
    assert result.exit_code == 1
    assert "nothing was loaded" in result.output
    assert "bad.md:6: duplicate section key 'one'" in result.output
    assert row_counts(app) == before


def test_every_error_in_every_file_is_reported(runner, tmp_path):
    first = tmp_path / "one.md"
    first.write_text("no front matter\n", encoding="utf-8")
    second = tmp_path / "two.md"
    second.write_bytes(b"---\ntitle: \xff\n---\n")
    result = load(runner, first, second, tmp_path / "missing.md")
    assert result.exit_code == 1
    assert "one.md:1: missing front matter" in result.output
    assert "two.md:2: the file is not valid UTF-8" in result.output
    assert "missing.md: cannot read the file" in result.output


def test_two_files_with_one_slug_are_refused(app, runner, tmp_path):
    result = load(runner, write_guidance(tmp_path, "a.md"), write_guidance(tmp_path, "b.md"))
    assert result.exit_code == 1
    assert "slug 'test-guidance' is also used by" in result.output
    assert row_counts(app) == (0, 0, 0)


def test_removed_html_is_warned_and_never_stored(app, runner, tmp_path):
    path = tmp_path / "hostile.md"
    path.write_text(guidance_text(sections=[("One", "Hello\n\n<script>alert(1)</script>\n\n[x](javascript:alert(2))")]))
    result = load(runner, path)
    assert result.exit_code == 0
    assert "Warning: " in result.output and "hostile.md:14: removed <script> element" in result.output
    assert 'hostile.md:16: removed href="javascript:alert(2)"' in result.output
    with app.app_context():
        html = db.session.scalar(select(Section.html))
    assert "<script" not in html and "javascript:" not in html


def test_the_project_guidance_loads_cleanly(app, runner):
    result = load(runner)
    assert result.exit_code == 0, result.output
    assert "Warning" not in result.output
    with app.app_context():
        document = db.session.scalar(select(Document).where(Document.slug == "ml-ethics"))
        assert document.consultation_state().value == "open"
        sections = document.versions[0].sections
        assert len(sections) >= 10
        words = sum(len(section.source_md.split()) for section in sections)
        assert words >= 4000
