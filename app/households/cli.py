"""`flask households import FILE`: the community's register from its spreadsheet."""

import sys

import click
from flask.cli import AppGroup

from app.households.importer import import_households
from app.people.importer import ImportFailed

households_cli = AppGroup("households", help="The household register.")


@households_cli.command("import")
@click.argument("file", type=click.Path(exists=True, dir_okay=False))
@click.option("--dry-run", is_flag=True, help="check and count, write nothing")
def households_import(file, dry_run):
    """Import households from FILE.xlsx or FILE.csv, one row per person: all or nothing;
    importing again finds each household by its address. Columns (Chinese or English
    headers): 网格/grid (code), 地址/address, 楼栋/building, 单元/unit, 房号/room,
    户标签 (出租屋), 姓名/name, 与户主关系/relationship, 电话/phone, 身份证号/id_number,
    人员标签/tags (独居老人, 低保户, 残疾人, 精神障碍患者, 社区矫正, ...)."""
    try:
        result = import_households(file, dry_run=dry_run)
    except ImportFailed as error:
        click.echo("\n".join(error.errors), err=True)
        click.echo("Nothing was imported.", err=True)
        sys.exit(1)
    prefix = "Dry run, nothing written: would have " if dry_run else ""
    click.echo(f"{prefix}{result.as_text()}.")
