"""Command-line interface: click groups whose commands each call one service."""

from __future__ import annotations

from pathlib import Path

import click
from email_validator import EmailNotValidError, validate_email
from flask import Flask, current_app
from flask.cli import AppGroup
from sqlalchemy.exc import SQLAlchemyError

from consult_app.extensions import db
from consult_app.models.user import COUNTRY_MAX, EMAIL_MAX, NAME_MAX, ORGANISATION_MAX, RespondentType
from consult_app.permissions import Role
from consult_app.services import accounts
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


def register_cli(app: Flask) -> None:
    app.cli.add_command(guidance_cli)
    app.cli.add_command(users_cli)
