"""`flask people ...` commands."""

import csv
import io
import os
import sys

import click
from flask.cli import AppGroup

from app.people.importer import ImportFailed, import_people

people_cli = AppGroup("people", help="People and their accounts.")


def _write_codes(out, codes):
    writer = csv.writer(out)
    writer.writerow(["姓名", "手机号", "一次性密码", "有效期至"])
    for name, phone, code, expires_at in codes:
        writer.writerow([name, phone, code, expires_at.isoformat()])


@people_cli.command("import")
@click.argument("file", type=click.Path(exists=True, dir_okay=False))
@click.option(
    "--codes",
    "codes_path",
    type=click.Path(dir_okay=False),
    help="a new CSV file (made mode 0600) for the new people's one-time codes; "
    "without it they are printed",
)
@click.option("--hours", type=click.IntRange(1), help="how long codes last [ONE_TIME_CODE_HOURS]")
@click.option("--dry-run", is_flag=True, help="check and count, write nothing")
def people_import(file, codes_path, hours, dry_run):
    """Import people from FILE.xlsx or FILE.csv: all or nothing; re-importing a phone updates
    its account. Columns (Chinese or English headers): 姓名/name, 手机号/phone, 角色/role,
    力量/force, 网格/unit (unit codes), 部门/department."""
    if codes_path and os.path.exists(codes_path):
        raise click.ClickException(f"{codes_path} exists: name a new file for the codes.")
    try:
        result = import_people(file, hours=hours, dry_run=dry_run)
    except ImportFailed as error:
        click.echo("\n".join(error.errors), err=True)
        click.echo("Nothing was imported.", err=True)
        sys.exit(1)
    if dry_run:
        click.echo(f"Dry run, nothing written: would have {result.as_text()}.")
        return
    click.echo(f"{result.as_text()}.")
    if not result.codes:
        return
    if codes_path is None:
        click.echo("One-time codes of the new people (shown once, changed at first login):")
        printed = io.StringIO()
        _write_codes(printed, result.codes)
        click.echo(printed.getvalue(), nl=False)
        return
    flags = os.O_WRONLY | os.O_CREAT | os.O_EXCL
    with open(os.open(codes_path, flags, 0o600), "w", encoding="utf-8-sig", newline="") as out:
        _write_codes(out, result.codes)
    click.echo(f"One-time codes of the {len(result.codes)} new people: {codes_path}")
