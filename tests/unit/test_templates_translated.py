"""Every template's user-visible text goes through gettext (issue 18): parsed with Jinja's own parser.

A template is parsed (`env.parse`) and flattened into a skeleton: its literal text as written, and one marker for
each `{{ … }}` output. The skeleton is read by an HTML parser, which says where each piece ends up: in the text
of the page, in an attribute a person perceives (alt, title, placeholder, aria-label, a submit button's value, …),
or somewhere a person never reads (class, href, id, …). Visible literal text with letters in it is an error; so
is a string literal that an output prints (`{{ "reply" if x else "comment" }}`), that a `{% set %}` or a `{% for %}`
binds to a name printed visibly, or that a call passes to a macro parameter the macro prints visibly. What
`_()`, `gettext()`, `ngettext()` and `{% trans %}` hold is translated; their keyword arguments are not.

Plain-text mail (.txt) has no markup: everything outside gettext is visible there.

Not counted: whitespace, punctuation, numbers, entities, HTML comments, <script>/<style>, the contents of
<code>/<kbd>/<samp> (commands, file names and keys are the same in every language), anything inside an element
with translate="no", and the technical tokens of TECHNICAL_TOKENS below, each with its reason.

The Python code's messages are checked the same way, at the calls whose text a person reads: flash(), abort()
descriptions, form labels, descriptions and validator messages, ValidationError.
"""

from __future__ import annotations

import ast
import re
from dataclasses import dataclass, field
from html.parser import HTMLParser
from pathlib import Path

import pytest
from jinja2 import nodes

from consult_app import create_app

TEMPLATES = Path(__file__).resolve().parents[2] / "consult_app" / "templates"

# Words that are the same in every language of the interface, and why.
TECHNICAL_TOKENS = {
    "Consult": "the product's name",
    "C-": "the prefix of a comment's reference (C-000123), a code people quote to the moderators",
    "CSV": "a file format's name",
    "JSON": "a file format's name",
    "DOCX": "a file format's name",
    "Markdown": "a file format's name",
    "Atom": "a feed format's name",
    "ETag": "an HTTP header's name",
    "OpenAPI": "a specification's name",
    "UTC": "a time zone's name",
}
# A mail template's first line names the subject (services/mail.py): the word itself is a header, not text.
MAIL_HEADER = re.compile(r"\ASubject:")
# Printf and str.format placeholders: letters, but no words.
PLACEHOLDERS = re.compile(r"%\(\w+\)[-#0 +]*\d*(?:\.\d+)?[sdifr]|%[-#0 +]*\d*(?:\.\d+)?[sdifr]|\{[^{}]*\}")
# The names of gettext's callables in templates: their message arguments are translated.
GETTEXT_CALLS = {"_": 1, "gettext": 1, "ngettext": 2, "pgettext": 2, "npgettext": 3}
# Filters whose result is not the text they are given (their argument is a code or a number).
OPAQUE_FILTERS = {"tojson", "urlencode", "length", "count", "int", "float", "wordcount", "list", "sort", "map"}
FILTER_WITH_VISIBLE_ARGUMENT = {"default", "d"}
# Attributes whose value a person perceives (read aloud, shown as a tooltip or in the field).
VISIBLE_ATTRIBUTES = {
    "alt",
    "title",
    "placeholder",
    "aria-label",
    "aria-description",
    "aria-roledescription",
    "aria-valuetext",
    "aria-placeholder",
    "label",
    "abbr",
}
SKIPPED_ELEMENTS = {"script", "style", "code", "kbd", "samp"}
VOID_ELEMENTS = {"br", "img", "input", "meta", "link", "hr", "wbr", "source", "col", "area"}
CODE_LIKE = re.compile(r"[a-z0-9_\-.:/#?&=+]*")
MARKER = re.compile("\ue000(\\d+)\ue001")


def has_words(text: str) -> bool:
    """Whether `text` holds letters once placeholders and technical tokens are taken out."""
    text = PLACEHOLDERS.sub(" ", MARKER.sub(" ", text))
    for token in TECHNICAL_TOKENS:
        text = re.sub(rf"(?<!\w){re.escape(token)}(?!\w)" if token[-1].isalnum() else re.escape(token), " ", text)
    return any(char.isalpha() for char in text)


def prose_like(text: str) -> bool:
    """Text with words that does not look like a code (`approve`, `public_named`, `comment--pending`): data-*
    attributes carry both."""
    return has_words(text) and not CODE_LIKE.fullmatch(MARKER.sub("", text).strip())


@dataclass
class Output:
    """One `{{ … }}` of a template (or the value a {% set %} binds): the string literals and names it prints."""

    lineno: int
    literals: list[tuple[int, str]] = field(default_factory=list)
    names: set[str] = field(default_factory=set)
    macro: str | None = None  # the macro whose body holds it


@dataclass
class Problem:
    template: str
    line: int
    text: str
    where: str

    def __str__(self) -> str:
        return f"{self.template}:{self.line}: {self.where}: {' '.join(self.text.split())!r}"


def value_positions(node: nodes.Node, out: Output) -> None:
    """Collect what `node` can put on the page: string literals and template names (not a call's arguments,
    nor tests, comparisons and filter arguments, which are codes, numbers or conditions)."""
    if isinstance(node, nodes.Const):
        if isinstance(node.value, str):
            out.literals.append((node.lineno, node.value))
    elif isinstance(node, nodes.TemplateData):
        out.literals.append((node.lineno, node.data))
    elif isinstance(node, nodes.Name):
        out.names.add(node.name)
    elif isinstance(node, nodes.CondExpr):
        value_positions(node.expr1, out)
        if node.expr2 is not None:
            value_positions(node.expr2, out)
    elif isinstance(node, nodes.Concat):
        for part in node.nodes:
            value_positions(part, out)
    elif isinstance(node, nodes.Add | nodes.Or):
        value_positions(node.left, out)
        value_positions(node.right, out)
    elif isinstance(node, nodes.And):
        value_positions(node.right, out)
    elif isinstance(node, nodes.Mod):
        value_positions(node.left, out)
    elif isinstance(node, nodes.MarkSafe | nodes.MarkSafeIfAutoescape):
        value_positions(node.expr, out)
    elif isinstance(node, nodes.List | nodes.Tuple):
        for item in node.items:
            value_positions(item, out)
    elif isinstance(node, nodes.Dict):
        for pair in node.items:
            value_positions(pair.value, out)
    elif isinstance(node, nodes.Getitem):
        value_positions(node.node, out)
    elif isinstance(node, nodes.Filter):
        if node.name not in OPAQUE_FILTERS and node.node is not None:
            value_positions(node.node, out)
        if node.name in FILTER_WITH_VISIBLE_ARGUMENT and node.args:
            value_positions(node.args[0], out)
    elif isinstance(node, nodes.Call):
        callee = node.node
        if isinstance(callee, nodes.Name) and callee.name in GETTEXT_CALLS:
            # The message (and plural) are translated; what fills its placeholders is shown as it is.
            for argument in node.args[GETTEXT_CALLS[callee.name] :]:
                value_positions(argument, out)
            for keyword in node.kwargs:
                value_positions(keyword.value, out)
        elif isinstance(callee, nodes.Getattr) and callee.attr in {"format", "join", "upper", "lower", "title"}:
            value_positions(callee.node, out)  # "{} more".format(n): the string itself is shown


@dataclass
class Macro:
    params: list[str]
    visible: set[str] = field(default_factory=set)


@dataclass
class Parsed:
    """A template flattened: its skeleton text, its outputs, bindings of {% set %}/{% for %} and macro calls."""

    name: str
    skeleton: str = ""
    outputs: list[Output] = field(default_factory=list)
    bindings: dict[str, list[Output]] = field(default_factory=dict)
    macros: dict[str, Macro] = field(default_factory=dict)
    calls: list[tuple[str | tuple[str, str], nodes.Call, str | None]] = field(default_factory=list)
    imports: dict[str, str] = field(default_factory=dict)  # local name -> template (FromImport), or alias -> template
    line: int = 1


class Flattener:
    """Walks a template's nodes in source order, control flow ignored: every branch and loop body once."""

    def __init__(self, parsed: Parsed) -> None:
        self.parsed = parsed
        self.macro: str | None = None

    def emit(self, text: str, lineno: int) -> None:
        # Pad with newlines so that the HTML parser's line numbers are the template's.
        while self.parsed.line < lineno:
            self.parsed.skeleton += "\n"
            self.parsed.line += 1
        self.parsed.skeleton += text
        self.parsed.line += text.count("\n")

    def output(self, expression: nodes.Node) -> None:
        if self.parsed.skeleton.endswith(("<", "</")):  # <{{ heading }} …>: a tag's name, never read
            self.emit("x-tag", expression.lineno)
            self.find_calls(expression)
            return
        out = Output(expression.lineno, macro=self.macro)
        value_positions(expression, out)
        self.parsed.outputs.append(out)
        self.emit(f"\ue000{len(self.parsed.outputs) - 1}\ue001", expression.lineno)
        self.find_calls(expression)

    def bind(self, target: nodes.Node, value: nodes.Node) -> None:
        """{% set name = … %} and {% for a, b in … %}: the literals each name can hold."""
        if isinstance(target, nodes.Tuple) and isinstance(value, nodes.List | nodes.Tuple):
            rows = [item for item in value.items if isinstance(item, nodes.Tuple | nodes.List)]
            for position, name in enumerate(target.items):
                for row in rows:
                    if position < len(row.items):
                        self.bind(name, row.items[position])
            if rows:
                return
        out = Output(value.lineno, macro=self.macro)
        value_positions(value, out)
        names = [target] if isinstance(target, nodes.Name) else list(target.find_all(nodes.Name))
        for name in names:
            self.parsed.bindings.setdefault(name.name, []).append(out)
        self.find_calls(value)

    def find_calls(self, expression: nodes.Node) -> None:
        calls = [expression] if isinstance(expression, nodes.Call) else []
        for call in calls + list(expression.find_all(nodes.Call)):
            callee = call.node
            if isinstance(callee, nodes.Name):
                self.parsed.calls.append((callee.name, call, self.macro))
            elif isinstance(callee, nodes.Getattr) and isinstance(callee.node, nodes.Name):
                self.parsed.calls.append(((callee.node.name, callee.attr), call, self.macro))

    def walk(self, node: nodes.Node) -> None:
        if isinstance(node, nodes.TemplateData):
            self.emit(node.data, node.lineno)
        elif isinstance(node, nodes.Output):
            for child in node.nodes:
                if isinstance(child, nodes.TemplateData):
                    self.emit(child.data, child.lineno)
                else:
                    self.output(child)
        elif isinstance(node, nodes.Macro):
            self.parsed.macros[node.name] = Macro([arg.name for arg in node.args])
            outer, self.macro = self.macro, node.name
            for child in node.body:
                self.walk(child)
            self.macro = outer
        elif isinstance(node, nodes.Assign):
            self.bind(node.target, node.node)
        elif isinstance(node, nodes.With):
            for target, value in zip(node.targets, node.values, strict=False):
                self.bind(target, value)
            for child in node.body:
                self.walk(child)
        elif isinstance(node, nodes.For):
            self.bind(node.target, node.iter)
            for child in node.body + node.else_:
                self.walk(child)
        elif isinstance(node, nodes.CallBlock):
            self.parsed.calls.append(
                (node.call.node.name if isinstance(node.call.node, nodes.Name) else "", node.call, self.macro)
            )
            for child in node.body:
                self.walk(child)
        elif isinstance(node, nodes.FromImport) and isinstance(node.template, nodes.Const):
            for name in node.names:
                local = name[1] if isinstance(name, tuple) else name
                self.parsed.imports[local] = f"{node.template.value}#{name[0] if isinstance(name, tuple) else name}"
        elif isinstance(node, nodes.Import) and isinstance(node.template, nodes.Const):
            self.parsed.imports[node.target] = f"{node.template.value}#*"
        else:
            for child in node.iter_child_nodes():
                if isinstance(child, nodes.Stmt | nodes.Template | nodes.Helper | nodes.Output):
                    self.walk(child)


class Placement(HTMLParser):
    """Where the skeleton's text and markers land: visible text, visible attribute or neither."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.skipping: list[str] = []
        self.texts: list[tuple[int, str, str]] = []  # (line, text with markers, where)

    def handle_starttag(self, tag, attrs):
        self.attributes(tag, attrs)
        translate_no = any(name == "translate" and (value or "").strip() == "no" for name, value in attrs)
        skip = tag in SKIPPED_ELEMENTS or translate_no or self.skipping
        if skip and tag not in VOID_ELEMENTS:
            self.skipping.append(tag)

    def handle_startendtag(self, tag, attrs):
        self.attributes(tag, attrs)

    def handle_endtag(self, tag):
        if self.skipping and self.skipping[-1] == tag:
            self.skipping.pop()
        elif tag in self.skipping:
            while self.skipping and self.skipping.pop() != tag:
                pass

    def attributes(self, tag, attrs):
        line = self.getpos()[0]
        attributes = {name: value or "" for name, value in attrs}
        for name, value in attrs:
            value = value or ""
            visible = name in VISIBLE_ATTRIBUTES or (
                name == "value" and tag == "input" and attributes.get("type") in {"submit", "button", "reset"}
            )
            visible = visible or (
                name == "content" and tag == "meta" and attributes.get("name") in {"description", "keywords"}
            )
            if visible and not self.skipping:
                self.texts.append((line, value, f"<{tag} {name}>"))
            elif name.startswith("data-") and not self.skipping:
                self.texts.append((line, value, f"<{tag} {name}> (read by a script or the stylesheet)"))

    def handle_data(self, data):
        if self.skipping:
            return
        self.texts.append((self.getpos()[0], data, "text"))


def parse_template(env, name: str, source: str) -> Parsed:
    parsed = Parsed(name)
    Flattener(parsed).walk(env.parse(source, name=name))
    return parsed


@dataclass
class Analysis:
    parsed: Parsed
    visible_text: list[tuple[int, str, str]]  # literal text in visible places
    visible_outputs: list[tuple[Output, str, bool]]  # (output, where, strict: any letters count)


def strict(where: str) -> bool:
    """Any letters count in text and visible attributes; data-* attributes also carry codes, so there only
    text that does not look like one (see prose_like)."""
    return "data-" not in where


def analyse(parsed: Parsed) -> Analysis:
    if parsed.name.endswith(".txt"):
        skeleton = MAIL_HEADER.sub("", parsed.skeleton)
        texts = []
        for number, line in enumerate(skeleton.split("\n"), start=1):
            texts.append((number, line, "mail text"))
        visible = [(out, "mail text", True) for out in parsed.outputs]
        return Analysis(parsed, texts, visible)
    placement = Placement()
    placement.feed(parsed.skeleton)
    placement.close()
    visible: list[tuple[Output, str, bool]] = []
    for _line, text, where in placement.texts:
        for number in MARKER.findall(text):
            visible.append((parsed.outputs[int(number)], where, strict(where)))
    return Analysis(parsed, placement.texts, visible)


def problems_in(analyses: dict[str, Analysis]) -> dict[str, list[Problem]]:
    """Every template's problems, macros resolved across templates ({% from "_forms.html" import field %})."""
    found: dict[str, list[Problem]] = {name: [] for name in analyses}
    # A macro's parameters that its body prints in a visible place.
    for analysis in analyses.values():
        for out, _where, _strict in analysis.visible_outputs:
            if out.macro and out.macro in analysis.parsed.macros:
                macro = analysis.parsed.macros[out.macro]
                macro.visible.update(name for name in out.names if name in macro.params)
    for name, analysis in analyses.items():
        parsed = analysis.parsed
        problems = found[name]
        for line, text, where in analysis.visible_text:
            literal = MARKER.sub(" ", text)
            if has_words(literal) if strict(where) else prose_like(literal):
                problems.append(Problem(name, line, literal.strip(), f"{where} outside gettext"))
        for out, where, any_letters in analysis.visible_outputs:
            for line, literal in resolve(parsed, out):
                if has_words(literal) if any_letters else prose_like(literal):
                    problems.append(Problem(name, line, literal, f"string literal shown in {where}"))
        for callee, call, _macro in parsed.calls:
            macro = find_macro(analyses, parsed, callee)
            if macro is None:
                continue
            arguments = list(zip(macro.params, call.args, strict=False))
            arguments += [(keyword.key, keyword.value) for keyword in call.kwargs]
            for parameter, value in arguments:
                if parameter not in macro.visible:
                    continue
                out = Output(value.lineno)
                value_positions(value, out)
                for line, literal in resolve(parsed, out):
                    if has_words(literal):
                        problems.append(
                            Problem(name, line, literal, f"string literal passed to macro parameter {parameter!r}")
                        )
    return found


def resolve(parsed: Parsed, out: Output, seen: frozenset[str] = frozenset()) -> list[tuple[int, str]]:
    """The literals an output can print: its own, and those bound by {% set %}/{% for %} to the names it prints."""
    literals = list(out.literals)
    for name in out.names - seen:
        for bound in parsed.bindings.get(name, []):
            literals += resolve(parsed, bound, seen | {name})
    return literals


def find_macro(analyses: dict[str, Analysis], parsed: Parsed, callee) -> Macro | None:
    if isinstance(callee, tuple):  # forms.field, after {% import "_forms.html" as forms %}
        alias, attribute = callee
        source = parsed.imports.get(alias, "")
        template = source.split("#")[0]
        return analyses[template].parsed.macros.get(attribute) if template in analyses else None
    if callee in parsed.macros:
        return parsed.macros[callee]
    if callee in parsed.imports:
        template, _, original = parsed.imports[callee].partition("#")
        if template in analyses:
            return analyses[template].parsed.macros.get(original)
    return None


def check_sources(env, sources: dict[str, str]) -> dict[str, list[Problem]]:
    analyses = {name: analyse(parse_template(env, name, source)) for name, source in sources.items()}
    return problems_in(analyses)


@pytest.fixture(scope="module")
def jinja_env():
    app = create_app("testing", {"SQLALCHEMY_DATABASE_URI": "sqlite://"})
    return app.jinja_env


def template_names() -> list[str]:
    return sorted(str(path.relative_to(TEMPLATES)) for path in TEMPLATES.rglob("*") if path.suffix in {".html", ".txt"})


@pytest.fixture(scope="module")
def all_problems(jinja_env) -> dict[str, list[Problem]]:
    sources = {name: (TEMPLATES / name).read_text(encoding="utf-8") for name in template_names()}
    return check_sources(jinja_env, sources)


@pytest.mark.parametrize("name", template_names())
def test_every_visible_text_of_the_template_is_translated(all_problems, name):
    problems = all_problems[name]
    assert not problems, f"{len(problems)} texts outside gettext in templates/{name}:\n" + "\n".join(
        f"  {problem}" for problem in problems
    )


# --- the checker itself ---------------------------------------------------------------------------------------


def texts_found(jinja_env, source: str, name: str = "sample.html", **more: str) -> list[str]:
    found = check_sources(jinja_env, {name: source, **more})
    return [" ".join(problem.text.split()) for problem in found[name]]


UNTRANSLATED = """{% extends "base.html" %}
{% from "_sample_macros.html" import field %}
{% block title %}Your account{% endblock %}
{% block content %}
<h1>Comments &amp; replies</h1>
<img src="x.png" alt="A chart of comments">
<a href="/" title="Back home">{{ _("Home") }}</a>
<input type="search" placeholder="Search comments">
<input type="submit" value="Send">
<nav aria-label="Pages"></nav>
<td data-label="Status">{{ comment.status }}</td>
<p>{{ "reply" if comment.parent_id else "comment" }}</p>
{% set whose = " of yours" if own else "" %}
<p>{{ count ~ whose }}</p>
{% with note = "Read this first" %}<p>{{ note }}</p>{% endwith %}
{% for value, text in [("approve", "Approve it"), ("reject", "Reject it")] %}
<option value="{{ value }}">{{ text }}</option>{% endfor %}
<p>{{ _("Comment %(ref)s", ref="number " ~ comment.id) }}</p>
{{ field(form.email, "Email address") }}
{% endblock %}
"""
MACROS = """{% macro field(f, label_text, autocomplete="off") %}<label for="{{ f.id }}">{{ label_text }}</label>"""
MACROS += """<input id="{{ f.id }}" autocomplete="{{ autocomplete }}">{% endmacro %}"""


def test_the_checker_finds_every_kind_of_untranslated_text(jinja_env):
    found = texts_found(jinja_env, UNTRANSLATED, **{"_sample_macros.html": MACROS})
    for text in (
        "Your account",
        "Comments & replies",
        "A chart of comments",
        "Back home",
        "Search comments",
        "Send",
        "Pages",
        "Status",
        "reply",
        "comment",
        "of yours",
        "Approve it",
        "Reject it",
        "number",
        "Email address",
        "Read this first",
    ):
        assert text in found, f"{text!r} not found among {found}"
    for code in ("approve", "reject", "off", "x.png", "/"):
        assert code not in found, f"the code {code!r} was taken for text: {found}"


TRANSLATED = """{% extends "base.html" %}
{% from "_sample_macros.html" import field %}
{% block title %}{{ _("Your account") }}{% endblock %}
{% block content %}
<!-- A comment for developers: not shown -->
<h1 class="{{ 'page-title' if big else 'title' }}" id="account-title">
  {{ _("Comments & replies") }}&nbsp;–&nbsp;Consult</h1>
<img src="{{ url_for('static', filename='x.png') }}" alt="{{ _('A chart of comments') }}">
<input type="search" name="q" placeholder="{{ _('Search comments') }}" value="{{ query }}" autocomplete="off">
<button type="submit" name="decision" value="approve">{{ _("Approve") }}</button>
<input type="submit" value="{{ _('Send') }}">
<td data-label="{{ _('Status') }}" data-status="pending">{{ label("status", comment.status) }}</td>
<p {{ "hidden" if closed }}>{{ ngettext("%(num)d comment", "%(num)d comments", n) }}
  · C-{{ "%06d" | format(comment.id) }}</p>
<p>{% trans name=user.display_name %}Hello {{ name }}{% endtrans %}</p>
<code>flask guidance load</code> <kbd>j</kbd> 42 %, (1/2) CSV JSON
<script type="application/json">{"words": "are not shown"}</script>
{{ field(form.email, _("Email address"), autocomplete="email") }}
{% macro box(level="h3") %}<{{ level }} class="box">{{ _("Box") }}</{{ level }}>{% endmacro %}{{ box("h2") }}
{% endblock %}
"""


def test_the_checker_accepts_translated_text_codes_and_technical_tokens(jinja_env):
    assert texts_found(jinja_env, TRANSLATED, **{"_sample_macros.html": MACROS}) == []


def test_the_checker_reads_mail_templates_as_text(jinja_env):
    mail = 'Subject: {{ _("Your comment") }}\n\nHello {{ name }},\n\n{{ _("Thank you.") }}\n{{ link }}\n'
    assert texts_found(jinja_env, mail, "sample.txt") == ["Hello ,"]
    translated = 'Subject: {{ _("Your comment") }}\n\n{{ _("Hello %(name)s,", name=name) }}\n\n{{ link }}\n'
    assert texts_found(jinja_env, translated, "sample.txt") == []


# --- messages written in Python ---------------------------------------------------------------------------------

PACKAGE = TEMPLATES.parent
# Validators whose `message` (or, for these three, first argument) a person reads under a form field.
VALIDATORS = {"DataRequired", "InputRequired", "Optional", "Length", "Email", "Regexp", "EqualTo", "NumberRange"}


def literal_text(node) -> str | None:
    """A string literal with letters, or an f-string: text that did not go through gettext."""
    if isinstance(node, ast.Constant) and isinstance(node.value, str) and has_words(node.value):
        return node.value
    if isinstance(node, ast.JoinedStr):
        return ast.unparse(node)
    return None


def python_messages_outside_gettext(source: str, name: str) -> list[str]:
    """Flash messages, abort() descriptions, form labels, descriptions and validator messages, and
    ValidationError texts written as plain strings."""
    found = []
    for node in ast.walk(ast.parse(source)):
        if not isinstance(node, ast.Call):
            continue
        callee = node.func.id if isinstance(node.func, ast.Name) else getattr(node.func, "attr", "")
        texts = []
        if callee in {"flash", "ValidationError"} and node.args:
            texts.append(node.args[0])
        elif callee == "abort":
            texts += node.args[1:] + [k.value for k in node.keywords if k.arg == "description"]
        elif callee.endswith("Field") and callee[:1].isupper():
            texts += node.args[:1] + [k.value for k in node.keywords if k.arg in {"label", "description"}]
        elif callee in VALIDATORS:
            texts += [k.value for k in node.keywords if k.arg == "message"]
            texts += node.args[:1] if callee in {"DataRequired", "InputRequired", "Optional"} else []
        found += [f"{name}:{node.lineno}: {callee}: {text!r}" for text in map(literal_text, texts) if text]
    return found


def test_python_messages_people_read_go_through_gettext():
    found = []
    for path in sorted(PACKAGE.rglob("*.py")):
        found += python_messages_outside_gettext(path.read_text(encoding="utf-8"), str(path.relative_to(PACKAGE)))
    assert not found, f"{len(found)} messages outside gettext:\n  " + "\n  ".join(found)


def test_the_python_check_finds_plain_strings_and_accepts_gettext():
    source = """
flash("Saved.", "success")
flash(f"Comment {ref} saved.")
abort(404, description="There is no such comment.")
name = StringField("Your name", validators=[DataRequired(message="Give your name.")], description="As shown")
raise ValidationError("Too long")
flash(gettext("Saved."), "success")
abort(404, description=gettext("There is no such comment."))
other = StringField(_l("Your name"), validators=[InputRequired(_l("Give your name."))], render_kw={"a": "b"})
abort(400)
"""
    found = python_messages_outside_gettext(source, "sample.py")
    assert sorted(line.split(": ", 2)[2] for line in found) == sorted(
        [
            "'Saved.'",
            "\"f'Comment {ref} saved.'\"",
            "'There is no such comment.'",
            "'Your name'",
            "'As shown'",
            "'Give your name.'",
            "'Too long'",
        ]
    )
