"""Command-line interface: click groups whose commands each call one service."""

from __future__ import annotations

import os
import sys
from pathlib import Path

import click
from email_validator import EmailNotValidError, validate_email
from flask import Flask, current_app
from flask.cli import AppGroup, with_appcontext
from sqlalchemy.exc import SQLAlchemyError

from consult_app.extensions import db
from consult_app.models.user import COUNTRY_MAX, EMAIL_MAX, NAME_MAX, ORGANISATION_MAX, RespondentType
from consult_app.permissions import Role
from consult_app.services import accounts, demo, export
from consult_app.services.guidance import GuidanceLoadError, default_sources, load_guidance

guidance_cli = AppGroup("guidance", help="Load the guidance documents under consultation.")


@guidance_cli.command("load")
@click.argument("paths", nargs=-1, type=click.Path(path_type=Path))
def load_command(paths: tuple[Path, ...]) -> None:
    """Load or reload guidance files (default: every guidance/*.md).

    All files are checked before anything is written; one bad file refuses the whole load.
    """
    sources = list(paths) or default_sources(current_app.config["GUIDANCE_DIR"])
    if not sources:
        raise click.ClickException(f"no guidance files found in {current_app.config['GUIDANCE_DIR']}")
    try:
        reports = load_guidance(sources)
        db.session.commit()
    except GuidanceLoadError as error:
        db.session.rollback()
        raise click.ClickException(f"nothing was loaded:\n{error}") from None
    except SQLAlchemyError as error:
        db.session.rollback()
        raise click.ClickException(f"nothing was loaded: the database refused the change ({error.orig})") from None
    for report in reports:
        for warning in report.warnings:
            click.echo(f"Warning: {warning}", err=True)
        click.echo(report.summary())


users_cli = AppGroup("users", help="Create accounts and change roles.")
ROLE = click.Choice([role.value for role in Role], case_sensitive=False)


def _bounded(limit: int):
    def check(ctx, param, value: str | None) -> str | None:
        if value is not None and len(value.strip()) > limit:
            raise click.BadParameter(f"use at most {limit} characters")
        return value.strip() if value is not None else None

    return check


@users_cli.command("create")
@click.option("--email", required=True, callback=_bounded(EMAIL_MAX), help="Email address (the log-in name).")
@click.option("--name", required=True, callback=_bounded(NAME_MAX), help="Display name.")
@click.option("--role", type=ROLE, default=Role.REVIEWER.value, show_default=True)
@click.option("--organisation", default="", callback=_bounded(ORGANISATION_MAX))
@click.option("--respondent-type", type=click.Choice([t.value for t in RespondentType]), default="individual")
@click.option("--country", default="", callback=_bounded(COUNTRY_MAX))
@click.password_option("--password", prompt="Password", help="Prompted for; read from standard input when piped.")
def create_user_command(email, name, role, organisation, respondent_type, country, password) -> None:
    """Create a confirmed account. The password is asked twice (two lines of standard input when piped)."""
    if not name:
        raise click.BadParameter("must not be empty", param_hint="--name")
    try:
        validate_email(email, check_deliverability=False)
    except EmailNotValidError as error:
        raise click.BadParameter(f"{email!r} is not an email address ({error})", param_hint="--email") from None
    profile = accounts.Profile(name, organisation, respondent_type, country)
    try:
        user = accounts.create_account(email, password, profile, Role(role.lower()))
        db.session.commit()
    except accounts.AccountError as error:
        db.session.rollback()
        raise click.ClickException(str(error)) from None
    click.echo(f"Created {user.role} account {user.email}.")


@users_cli.command("set-role")
@click.argument("email")
@click.argument("role", type=ROLE)
def set_role_command(email: str, role: str) -> None:
    """Change the role of the account with EMAIL to ROLE."""
    try:
        user = accounts.set_role_by_email(email, Role(role.lower()))
        db.session.commit()
    except accounts.AccountError as error:
        db.session.rollback()
        raise click.ClickException(str(error)) from None
    click.echo(f"{user.email} is now {user.role}.")


export_cli = AppGroup("export", help="Write the response log.")


@export_cli.command("comments")
@click.option("--document", default="", help="Only this document (its slug).")
@click.option("--status", default="", help="Only comments in this status.")
@click.option("--section", default="", help="Only this section key.")
@click.option("--out", type=click.Path(dir_okay=False, writable=True, path_type=Path), help="Write to FILE.")
@click.option("--bom", is_flag=True, help="Start with a byte-order mark, for Excel.")
def export_comments_command(document: str, status: str, section: str, out: Path | None, bom: bool) -> None:
    """Write the response log CSV to standard output, or to FILE (never half a file: it is written to a
    temporary file next to FILE and renamed when complete)."""
    filters = export.ExportFilters(document.strip(), status.strip(), section.strip())
    try:
        export.check_filters(filters)
    except export.ExportError as error:
        raise click.BadParameter(str(error)) from None
    if out is None:
        for chunk in export.csv_chunks(export.rows(filters), bom=bom):
            click.echo(chunk, nl=False)
        return
    written = write_atomically(out, filters, bom, show_progress=sys.stderr.isatty())
    click.echo(f"Wrote {written} comments to {out}.", err=True)


def write_atomically(out: Path, filters: export.ExportFilters, bom: bool, *, show_progress: bool) -> int:
    """Write the CSV to a temporary file beside `out`, then rename it over `out`; return the row count."""
    total = export.count_rows(filters) if show_progress else 0
    temporary = out.with_name(f".{out.name}.{os.getpid()}.partial")
    counted = _Counter(export.rows(filters))
    try:
        progress = click.progressbar(length=total, label="Exporting", file=sys.stderr, hidden=not show_progress)
        with temporary.open("w", encoding="utf-8", newline="") as handle, progress as bar:
            for chunk in export.csv_chunks(counted.each(bar.update), bom=bom):
                handle.write(chunk)
        os.replace(temporary, out)
    except BaseException:
        temporary.unlink(missing_ok=True)
        raise
    return counted.count


class _Counter:
    """Counts rows as they pass, and reports each to a progress callback."""

    def __init__(self, rows) -> None:
        self.rows, self.count = rows, 0

    def each(self, progress):
        for row in self.rows:
            self.count += 1
            progress(1)
            yield row


@click.command("demo")
@with_appcontext
@click.option("--reset", is_flag=True, help="Empty the database first (everything in it is lost).")
def demo_command(reset: bool) -> None:
    """Set up a ready-to-try consultation: the guidance, one account per role, about 40 comments."""
    if current_app.config.get("ENV_NAME") == "production":
        raise click.ClickException("the demo is not for production databases (CONSULT_ENV=production)")
    if demo.has_data() and not reset:
        click.echo("The database already has accounts; keeping it. Use --reset to start again from scratch.")
        return
    if reset:
        demo.reset()
    report = demo.build(default_sources(current_app.config["GUIDANCE_DIR"]))
    db.session.commit()
    click.echo(f"Demo ready: {report.documents} document(s), {report.comments} comments.")
    click.echo("Log in at /auth/login with:")
    for email, role, password in report.accounts:
        click.echo(f"  {role:<10} {email:<24} password: {password}")


def register_cli(app: Flask) -> None:
    app.cli.add_command(demo_command)
    app.cli.add_command(guidance_cli)
    app.cli.add_command(users_cli)
    app.cli.add_command(export_cli)
