"""Command-line interface: click groups whose commands each call one service."""

from __future__ import annotations

import os
import signal
import sys
import threading
from pathlib import Path

import click
from email_validator import EmailNotValidError, validate_email
from flask import Flask, current_app
from flask.cli import AppGroup, with_appcontext
from flask_babel import gettext, ngettext
from sqlalchemy.exc import SQLAlchemyError

from consult_app.extensions import db
from consult_app.models import Comment
from consult_app.models.types import is_storable
from consult_app.models.user import COUNTRY_MAX, EMAIL_MAX, NAME_MAX, ORGANISATION_MAX, RespondentType
from consult_app.permissions import Role, can_moderate
from consult_app.services import accounts, change_mail, demo, export, importer, outbox, profile_text
from consult_app.services.guidance import GuidanceLoadError, default_sources, load_guidance

guidance_cli = AppGroup("guidance", help="Load the guidance documents under consultation.")


@guidance_cli.command("load")
@click.argument("paths", nargs=-1, type=click.Path(path_type=Path))
@click.option(
    "--replace-web-uploads",
    is_flag=True,
    help="Load a file even over a version uploaded through the web (otherwise that document is kept, with a warning).",
)
@click.option(
    "--notify-reviewers",
    is_flag=True,
    help="Mail the reviewers of each section a new version changes or removes, as the web upload does.",
)
def load_command(paths: tuple[Path, ...], replace_web_uploads: bool, notify_reviewers: bool) -> None:
    """Load or reload guidance files (default: every guidance/*.md).

    All files are checked before anything is written; one bad file refuses the whole load.
    """
    sources = list(paths) or default_sources(current_app.config["GUIDANCE_DIR"])
    if not sources:
        raise click.ClickException(
            gettext("no guidance files found in %(folder)s", folder=current_app.config["GUIDANCE_DIR"])
        )
    try:
        reports = load_guidance(sources, replace_web_uploads=replace_web_uploads)
        if notify_reviewers:
            change_mail.tell_reviewers_of_loads(reports)
        db.session.commit()
    except GuidanceLoadError as error:
        db.session.rollback()
        raise click.ClickException(gettext("nothing was loaded:\n%(problems)s", problems=error)) from None
    except SQLAlchemyError as error:
        db.session.rollback()
        raise click.ClickException(
            gettext("nothing was loaded: the database refused the change (%(error)s)", error=error.orig)
        ) from None
    for report in reports:
        for warning in report.warnings:
            click.echo(gettext("Warning: %(warning)s", warning=warning), err=True)
        click.echo(report.summary())
        if notify_reviewers and report.action == "new_version":
            told = ngettext(
                "%(slug)s: %(num)d reviewer(s) told of the sections they commented on",
                "%(slug)s: %(num)d reviewer(s) told of the sections they commented on",
                report.mailed,
                slug=report.slug,
            )
            click.echo(told)


users_cli = AppGroup("users", help="Create accounts and change roles.")
ROLE = click.Choice([role.value for role in Role], case_sensitive=False)


def _storable(ctx, param, value: str | None) -> str | None:
    """Refuse what the database cannot store: an argument of bytes that are not UTF-8 arrives as lone
    surrogates, and would otherwise end in a UnicodeEncodeError and a traceback."""
    if value is not None and not is_storable(value):
        # models.types.UNSTORABLE, in one sentence for the catalogue.
        raise click.BadParameter(
            gettext("contains the NUL character (U+0000) or a lone surrogate (bytes that are not UTF-8)")
        )
    return value


def _bounded(limit: int):
    def check(ctx, param, value: str | None) -> str | None:
        value = _storable(ctx, param, value)
        if value is not None and len(value.strip()) > limit:
            raise click.BadParameter(gettext("use at most %(limit)d characters", limit=limit))
        return value.strip() if value is not None else None

    return check


def _profile_text(limit: int):
    """A name, organisation or country: normalised and checked as the profile forms do (services/profile_text.py)."""

    def check(ctx, param, value: str | None) -> str | None:
        value = _storable(ctx, param, value)
        if value is None:
            return None
        value = profile_text.normalise(value)
        if len(value) > limit:
            raise click.BadParameter(gettext("use at most %(limit)d characters", limit=limit))
        problem = profile_text.problem(value)
        if problem:
            raise click.BadParameter(problem)
        return value

    return check


@users_cli.command("create")
@click.option("--email", required=True, callback=_bounded(EMAIL_MAX), help="Email address (the log-in name).")
@click.option("--name", required=True, callback=_profile_text(NAME_MAX), help="Display name.")
@click.option("--role", type=ROLE, default=Role.REVIEWER.value, show_default=True)
@click.option("--organisation", default="", callback=_profile_text(ORGANISATION_MAX))
@click.option("--respondent-type", type=click.Choice([t.value for t in RespondentType]), default="individual")
@click.option("--country", default="", callback=_profile_text(COUNTRY_MAX))
@click.password_option("--password", prompt="Password", help="Prompted for; read from standard input when piped.")
def create_user_command(email, name, role, organisation, respondent_type, country, password) -> None:
    """Create a confirmed account. The password is asked twice (two lines of standard input when piped)."""
    if not name:
        raise click.BadParameter(gettext("must not be empty"), param_hint="--name")
    try:
        validate_email(email, check_deliverability=False)
    except EmailNotValidError as error:
        raise click.BadParameter(
            gettext("%(email)s is not an email address (%(error)s)", email=repr(email), error=error),
            param_hint="--email",
        ) from None
    profile = accounts.Profile(name, organisation, respondent_type, country)
    try:
        user = accounts.create_account(email, password, profile, Role(role.lower()))
        db.session.commit()
    except accounts.AccountError as error:
        db.session.rollback()
        raise click.ClickException(str(error)) from None
    click.echo(gettext("Created %(role)s account %(email)s.", role=user.role, email=user.email))


@users_cli.command("set-role")
@click.argument("email", callback=_storable)
@click.argument("role", type=ROLE)
def set_role_command(email: str, role: str) -> None:
    """Change the role of the account with EMAIL to ROLE."""
    try:
        user, changed = accounts.set_role_by_email(email, Role(role.lower()))
        db.session.commit()
    except accounts.AccountError as error:
        db.session.rollback()
        raise click.ClickException(str(error)) from None
    if changed:
        click.echo(gettext("%(email)s is now %(role)s.", email=user.email, role=user.role))
    else:
        click.echo(gettext("%(email)s is already %(role)s; nothing changed.", email=user.email, role=user.role))


export_cli = AppGroup("export", help="Write the response log, or a snapshot of the public API.")


@export_cli.command("comments")
@click.option("--document", default="", callback=_storable, help="Only this document (its slug).")
@click.option("--status", default="", callback=_storable, help="Only comments in this status.")
@click.option("--section", default="", callback=_storable, help="Only this section key.")
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
        for chunk in export.csv_text(filters, bom=bom):
            click.echo(chunk, nl=False)
        return
    try:
        written = write_atomically(out, filters, bom, show_progress=sys.stderr.isatty())
    except OSError as error:  # a missing folder, no permission, a full disk: nothing was written
        raise click.ClickException(
            gettext("cannot write %(file)s: %(error)s", file=out, error=error.strerror or error)
        ) from None
    click.echo(
        ngettext("Wrote %(num)d comment to %(file)s.", "Wrote %(num)d comments to %(file)s.", written, file=out),
        err=True,
    )


@export_cli.command("api-snapshot")
@click.argument("folder", type=click.Path(file_okay=False, path_type=Path))
def export_api_snapshot_command(folder: Path) -> None:
    """Write the public API's answers under FOLDER as JSON files, for a static mirror: FOLDER/api/v1/documents.json
    and so on, at the API's paths with .json added; each document's comments.json holds every published comment."""
    from consult_app.api.snapshot import write_snapshot

    try:
        written = write_snapshot(folder)
    except OSError as error:  # not a folder, no permission, a full disk
        raise click.ClickException(
            gettext("cannot write to %(folder)s: %(error)s", folder=folder, error=error.strerror or error)
        ) from None
    click.echo(
        ngettext(
            "Wrote %(num)d file under %(folder)s.", "Wrote %(num)d files under %(folder)s.", written, folder=folder
        )
    )


def write_atomically(out: Path, filters: export.ExportFilters, bom: bool, *, show_progress: bool) -> int:
    """Write the CSV to a temporary file beside `out`, then rename it over `out`; return the row count."""
    total = export.count_rows(filters) if show_progress else 0
    temporary = out.with_name(f".{out.name}.{os.getpid()}.partial")
    counted = _Counter()
    try:
        progress = click.progressbar(
            length=total, label=gettext("Exporting"), file=sys.stderr, hidden=not show_progress
        )
        with temporary.open("w", encoding="utf-8", newline="") as handle, progress as bar:
            for chunk in export.csv_text(filters, bom=bom, progress=counted.each(bar.update)):
                handle.write(chunk)
        os.replace(temporary, out)
    except BaseException:
        temporary.unlink(missing_ok=True)
        raise
    return counted.count


class _Counter:
    """Counts the rows the export reports, a batch at a time, and passes each count on to a progress callback."""

    def __init__(self) -> None:
        self.count = 0

    def each(self, progress):
        def counted(rows: int) -> None:
            self.count += rows
            progress(rows)

        return counted


@click.command("demo")
@with_appcontext
@click.option("--reset", is_flag=True, help="Empty the database first (everything in it is lost).")
def demo_command(reset: bool) -> None:
    """Set up a ready-to-try consultation: the guidance, one account per role, about 40 comments."""
    if current_app.config.get("ENV_NAME") == "production":
        raise click.ClickException(gettext("the demo is not for production databases (CONSULT_ENV=production)"))
    if demo.has_data() and not reset:
        click.echo(gettext("The database already has accounts; keeping it. Use --reset to start again from scratch."))
        return
    if reset:
        demo.reset()
    report = demo.build(default_sources(current_app.config["GUIDANCE_DIR"]))
    db.session.commit()
    click.echo(
        ngettext(
            "Demo ready: %(num)d document(s), %(comments)d comments.",
            "Demo ready: %(num)d document(s), %(comments)d comments.",
            report.documents,
            comments=report.comments,
        )
    )
    click.echo(gettext("Log in at /auth/login with:"))
    for email, role, password in report.accounts:
        click.echo(f"  {role:<10} {email:<24} " + gettext("password: %(password)s", password=password))


mail_cli = AppGroup("mail", help="Deliver the mail waiting in the outbox.")


@mail_cli.command("deliver")
@click.option("--watch", is_flag=True, help="Keep delivering until stopped (Ctrl-C or SIGTERM): run it as a service.")
@click.option(
    "--interval",
    type=click.FloatRange(min=0.1, max=3600),
    default=5.0,
    show_default=True,
    help="With --watch: seconds between looks at the outbox.",
)
def deliver_mail_command(watch: bool, interval: float) -> None:
    """Send the mail that is due, retrying failures later; with --watch, keep doing so."""
    if watch:
        stop = threading.Event()
        # systemd stops a service with SIGTERM, a person with Ctrl-C: either way, finish the mail in hand first.
        for number in (signal.SIGTERM, signal.SIGINT):
            signal.signal(number, lambda *_: stop.set())
        click.echo(
            gettext("Delivering mail every %(seconds)s s; stop with Ctrl-C or SIGTERM.", seconds=f"{interval:g}"),
            err=True,
        )
        outbox.watch(interval, stop)
        return
    try:
        total = outbox.deliver_all_due()
        purged = outbox.purge_old()
        db.session.commit()
    except SQLAlchemyError as error:
        db.session.rollback()
        raise click.ClickException(
            gettext("the database failed: %(error)s", error=str(error).splitlines()[0])
        ) from None
    click.echo(
        gettext(
            "Sent %(sent)d, to retry later %(retried)d, given up %(dead)d; removed %(purged)d old.",
            sent=total.sent,
            retried=total.retried,
            dead=total.dead,
            purged=purged,
        )
    )


@mail_cli.command("status")
def mail_status_command() -> None:
    """Count the outbox's mail by state (pending, sent, dead) and how much of it is due now."""
    for state, count in outbox.status_counts().items():
        click.echo(f"{state:<8} {count}")


# --- accounts purge -----------------------------------------------------------------------------------------

accounts_cli = AppGroup("accounts", help="Apply the privacy notice's retention period to idle accounts.")


@accounts_cli.command("purge")
@click.option("--dry-run", is_flag=True, help="List the accounts that would be deleted; change nothing.")
def purge_accounts_command(dry_run: bool) -> None:
    """Delete the reviewers' accounts nobody has logged in to for longer than CONSULT_RETENTION, as if each person
    had deleted their own: published comments stay, shown as written by "Deleted account". Idle moderator and
    admin accounts are listed, never deleted. Run it daily (cron or a systemd timer)."""
    from consult_app.services import privacy, retention

    period = privacy.retention_setting()
    try:
        report = retention.purge_idle_accounts(period, dry_run=dry_run)
        if not dry_run:
            db.session.commit()
    except SQLAlchemyError as error:
        db.session.rollback()
        raise click.ClickException(
            gettext("nothing was deleted: the database refused the change (%(error)s)", error=error.orig)
        ) from None
    cutoff = f"{report.cutoff:%Y-%m-%d %H:%M}"
    count = len(report.deleted)
    if dry_run:
        click.echo(
            ngettext(
                "Dry run: %(num)d account(s) idle since before %(cutoff)s UTC (CONSULT_RETENTION is %(period)s) "
                "would be deleted:",
                "Dry run: %(num)d account(s) idle since before %(cutoff)s UTC (CONSULT_RETENTION is %(period)s) "
                "would be deleted:",
                count,
                cutoff=cutoff,
                period=period,
            )
        )
        for idle in report.deleted:
            click.echo(
                "  " + gettext("%(email)s (last active %(day)s)", email=idle.email, day=f"{idle.last_active:%Y-%m-%d}")
            )
    else:
        # Ids only: this output ends up in logs, which should not keep the addresses just deleted.
        ids = ", ".join(str(idle.id) for idle in report.deleted) or gettext("none")
        click.echo(
            ngettext(
                "Deleted %(num)d account(s) idle since before %(cutoff)s UTC (CONSULT_RETENTION is %(period)s); "
                "ids: %(ids)s.",
                "Deleted %(num)d account(s) idle since before %(cutoff)s UTC (CONSULT_RETENTION is %(period)s); "
                "ids: %(ids)s.",
                count,
                cutoff=cutoff,
                period=period,
                ids=ids,
            )
        )
    if report.kept:
        click.echo(
            ngettext(
                "Kept %(num)d idle moderator or admin account(s), which the purge never deletes:",
                "Kept %(num)d idle moderator or admin account(s), which the purge never deletes:",
                len(report.kept),
            )
        )
        for idle in report.kept:
            click.echo(
                "  "
                + gettext(
                    "%(email)s (%(role)s, last active %(day)s)",
                    email=idle.email,
                    role=idle.role,
                    day=f"{idle.last_active:%Y-%m-%d}",
                )
            )
        click.echo(gettext("Make one a reviewer (users set-role EMAIL reviewer) to let the next purge delete it."))


def register_cli(app: Flask) -> None:
    app.cli.add_command(demo_command)
    app.cli.add_command(accounts_cli)
    app.cli.add_command(mail_cli)
    app.cli.add_command(guidance_cli)
    app.cli.add_command(users_cli)
    app.cli.add_command(export_cli)
    app.cli.add_command(import_cli)
    app.cli.add_command(sessions_cli)
    app.cli.add_command(comments_cli)


# --- near-duplicate comments ---------------------------------------------------------------------------------

comments_cli = AppGroup("comments", help="Work on the comments as a whole.")


@comments_cli.command("similar")
@click.option("--rebuild", is_flag=True, help="Recompute every group from scratch (default: compare new comments).")
def similar_command(rebuild: bool) -> None:
    """Group near-identical comments (campaigns): compare the comments not compared yet with the others of
    their document, or with --rebuild recompute every group. Each document is committed on its own: an
    interrupted run leaves every document as it was before or as it is after, and running again goes on."""
    from consult_app.services import similarity_batch

    reports = similarity_batch.run(rebuild)
    while True:
        try:
            report = next(reports, None)
            db.session.commit()
        except SQLAlchemyError as error:
            db.session.rollback()
            raise click.ClickException(
                gettext("stopped: the database refused the change (%(error)s)", error=error.orig)
            ) from None
        except BaseException:
            db.session.rollback()
            raise
        if report is None:
            break
        click.echo(report.line())


# --- sessions purge -----------------------------------------------------------------------------------------

sessions_cli = AppGroup("sessions", help="Log-in sessions kept in the database.")


@sessions_cli.command("purge")
def purge_sessions_command() -> None:
    """Delete the sessions that have ended (unused for SESSION_IDLE_MINUTES, or older than SESSION_ABSOLUTE_DAYS).
    They no longer log anyone in; this only keeps the table small. Run it daily (cron or a systemd timer)."""
    from consult_app.services import sessions

    try:
        purged = sessions.purge_ended()
        db.session.commit()
    except SQLAlchemyError as error:
        db.session.rollback()
        raise click.ClickException(
            gettext("nothing was deleted: the database refused the change (%(error)s)", error=error.orig)
        ) from None
    click.echo(ngettext("Deleted %(num)d ended session.", "Deleted %(num)d ended sessions.", purged))


# --- import dispositions ------------------------------------------------------------------------------------
# Imported here rather than at the top so that this command stays one self-contained block.

import_cli = AppGroup("import", help="Read back a response log edited in a spreadsheet.")


@import_cli.command("dispositions")
@click.argument("file", type=click.File("rb"))
@click.option("--apply", "apply_changes", is_flag=True, help="Write the changes (default: a dry run).")
@click.option("--override", "overrides", multiple=True, metavar="REF", help="Apply this conflict anyway (repeatable).")
@click.option(
    "--as",
    "as_email",
    metavar="EMAIL",
    callback=_storable,
    help="Moderator or admin account to record the changes under.",
)
def import_dispositions_command(file, apply_changes: bool, overrides: tuple[str, ...], as_email: str | None) -> None:
    """Check FILE (the response log CSV, with dispositions and responses filled in) against the database
    and print the plan: changes, conflicts and rows with problems. Nothing is written without --apply.

    With --apply and --as, every change is written, all or nothing; a conflict (a comment answered in the
    app after the export) only with --override REF. Exit status: 0 done, 1 problems in the file (nothing
    applied), 2 wrong usage.
    """
    moderator = _import_account(as_email) if apply_changes or as_email else None
    chosen = _references(overrides)
    try:
        plan = importer.plan(importer.parse(file.read()), moderator)
    except importer.ImportFileError as error:
        raise click.ClickException(gettext("nothing was imported: %(problem)s", problem=error)) from None
    _echo_plan(plan, chosen)
    try:
        importer.check(plan, chosen)  # the service's checks, before --apply: a dry run reports them too
    except importer.ApplyError as error:
        if error.field == "override":
            raise click.BadParameter(str(error), param_hint="--override") from None
        raise click.ClickException(gettext("%(problem)s The rows are listed above.", problem=error)) from None
    if moderator is None or not apply_changes:
        click.echo(gettext("Dry run: nothing was changed. Add --apply --as EMAIL to apply."))
        return
    try:
        applied = importer.apply(moderator, plan, chosen)
        db.session.commit()
    except importer.ApplyError as error:
        db.session.rollback()
        raise click.ClickException(str(error)) from None
    except SQLAlchemyError as error:
        db.session.rollback()
        raise click.ClickException(
            gettext("nothing was applied: the database refused the change (%(error)s)", error=error.orig)
        ) from None
    click.echo(gettext("%(changes)s, recorded under %(email)s.", changes=applied.words(), email=moderator.email))
    if left := len(plan.conflicts) - len(chosen):
        click.echo(
            ngettext(
                "%(num)d conflict left as in the app (--override REF applies one).",
                "%(num)d conflicts left as in the app (--override REF applies one).",
                left,
            )
        )


def _import_account(email: str | None):
    """The active moderator or admin with `email`; anything else is a usage error (exit 2)."""
    if not email:
        raise click.UsageError(
            gettext("--apply needs --as EMAIL: the moderator or admin account to record the changes under.")
        )
    user = accounts.find_by_email(email)
    if user is None:
        raise click.BadParameter(gettext("there is no account %(email)s", email=repr(email)), param_hint="--as")
    if not can_moderate(user):
        if not user.active:
            problem = gettext("%(email)s is deactivated, not an active moderator or admin", email=user.email)
        else:
            problem = gettext(
                "%(email)s is a %(role)s, not an active moderator or admin", email=user.email, role=user.role
            )
        raise click.BadParameter(problem, param_hint="--as")
    return user


def _references(values: tuple[str, ...]) -> set[str]:
    """--override values written as the plan writes them (C-000042); one option may list several, with commas."""
    references = set()
    for value in (part.strip() for option in values for part in option.split(",")):
        if value:
            comment_id = Comment.id_from_reference(value)
            references.add(Comment.reference_of(comment_id) if comment_id is not None else value)
    return references


def _shown(disposition: str, response: str) -> str:
    text = " ".join(response.split())
    return f"{disposition or 'none'} / {(text[:77] + '...') if len(text) > 80 else text!r}"


def _shown_change(change: importer.Change) -> str:
    parts = []
    if change.answer_changes:
        before, after = (
            _shown(change.before_disposition, change.before_response),
            _shown(change.after_disposition, change.after_response),
        )
        parts.append(f"{before} -> {after}")
    if change.themes_change:
        before, after = (";".join(names) or "none" for names in (change.before_themes, change.after_themes))
        parts.append(f"themes {before!r} -> {after!r}")
    return "; ".join(parts)


def _echo_plan(plan: importer.Plan, overrides: set[str]) -> None:
    click.echo(ngettext("%(num)d changes:", "%(num)d changes:", len(plan.ready)))
    for change in plan.ready:
        click.echo(f"  line {change.line}: {change.reference}: {_shown_change(change)}")
    click.echo(
        ngettext(
            "%(num)d conflicts (applied only with --override REF):",
            "%(num)d conflicts (applied only with --override REF):",
            len(plan.conflicts),
        )
    )
    for change in plan.conflicts:
        chosen = " (--override: will be applied)" if change.reference in overrides else ""
        click.echo(f"  line {change.line}: {change.reference}{chosen}")
        now = _shown(change.before_disposition, change.before_response)
        click.echo(f"    in the app now: {now}, answered {change.database_responded_at or 'never'}")
        moment = f", answer time in the file {change.file_responded_at or 'none'}" if plan.has_responded_at else ""
        click.echo(f"    in the file:    {_shown(change.after_disposition, change.after_response)}{moment}")
    click.echo(ngettext("%(num)d rows with problems:", "%(num)d rows with problems:", len(plan.errors)))
    for error in plan.errors:
        click.echo(f"  line {error.line}: {error.reference + ': ' if error.reference else ''}{error.message}")
    click.echo(
        gettext(
            "%(unchanged)d unchanged, %(unanswered)d without an answer (skipped).",
            unchanged=plan.unchanged,
            unanswered=plan.unanswered,
        )
    )
    if not plan.has_responded_at:
        click.echo(gettext("The file has no responded_at column: every change to an answered comment is a conflict."))
