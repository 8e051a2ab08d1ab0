"""Command-line interface: click groups whose commands each call one service."""

from __future__ import annotations

from pathlib import Path

import click
from flask import Flask, current_app
from flask.cli import AppGroup
from sqlalchemy.exc import SQLAlchemyError

from consult_app.extensions import db
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


def register_cli(app: Flask) -> None:
    app.cli.add_command(guidance_cli)
