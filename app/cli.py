"""`flask geo ...`, `flask demo ...` and `flask people ...` commands."""

import json
import sys

import click
from flask import Blueprint, current_app
from flask.cli import AppGroup

from app import demo
from app.households.cli import households_cli
from app.people.cli import people_cli
from app.privacy.cli import privacy_cli
from app.units.importer import ImportFailed, import_units
from geo import demo as geo_demo
from geo.features import GeoJSONError

bp = Blueprint("cli", __name__, cli_group=None)
geo_cli = AppGroup("geo", help="Import and check the map.")
demo_cli = AppGroup("demo", help="The demo district and its people.")
incidents_cli = AppGroup("incidents", help="Jobs over incidents.")
bp.cli.add_command(geo_cli)
bp.cli.add_command(demo_cli)
bp.cli.add_command(incidents_cli)
bp.cli.add_command(people_cli)
bp.cli.add_command(privacy_cli)
bp.cli.add_command(households_cli)

LEVELS = click.Choice(["district", "street", "community", "grid"])


@geo_cli.command("import")
@click.argument("file", type=click.Path(exists=True, dir_okay=False))
@click.option("--level", type=LEVELS, required=True)
@click.option(
    "--crs",
    type=click.Choice(["wgs84", "gcj02"]),
    default="wgs84",
    show_default=True,
    help="coordinates of the file; gcj02 is converted to WGS-84",
)
@click.option("--dry-run", is_flag=True, help="check and report, write nothing")
def geo_import(file, level, crs, dry_run):
    """Import a GeoJSON FeatureCollection of units: all or nothing."""
    try:
        result = import_units(file, level, crs=crs, dry_run=dry_run)
    except GeoJSONError as error:
        click.echo(str(error), err=True)
        sys.exit(1)
    except ImportFailed as error:
        click.echo(error.report.as_text(), err=True)
        click.echo("Nothing was imported.", err=True)
        sys.exit(1)
    click.echo(result.as_text())
    if dry_run:
        click.echo("Dry run: nothing was written.")


@demo_cli.command("generate")
@click.option(
    "--out", "out_dir", type=click.Path(file_okay=False), default="instance/demo", show_default=True
)
@click.option("--seed", type=int, default=42, show_default=True)
@click.option("--grids", type=int, default=514, show_default=True)
def demo_generate(out_dir, seed, grids):
    """Write the demo district's GeoJSON files (real outline and names, generated grids)."""
    for level, path in geo_demo.generate(out_dir, seed=seed, grids=grids).items():
        click.echo(f"{level:<10} {path}")


@demo_cli.command("load")
@click.option("--seed", type=int, default=42, show_default=True)
@click.option(
    "--members",
    type=int,
    default=13000,
    show_default=True,
    help="size of the grid comprehensive team (grid members + team members)",
)
@click.option("--grids", type=int, default=514, show_default=True)
@click.option("--if-empty", is_flag=True, help="do nothing if the map already has units")
def demo_load(seed, members, grids, if_empty):
    """Generate the demo district, import it through `geo import`, and add its people."""
    if not demo.is_empty():
        if if_empty:
            click.echo("The database already holds a map: demo not loaded.")
            return
        raise click.ClickException("The database already holds a map: use an empty database.")
    results, logins = demo.load(current_app.instance_path, seed=seed, members=members, grids=grids)
    for level, result in results.items():
        click.echo(f"{level}: created {result.created}, {len(result.report.repairs)} repaired")
    click.echo(f"{len(logins) - 1} demo logins saved; `flask demo logins` prints them.")


@demo_cli.command("logins")
@click.option("--json", "as_json", is_flag=True)
def demo_logins(as_json):
    """Print the demo logins of this database."""
    logins = demo.read_logins(current_app.instance_path)
    if logins is None:
        raise click.ClickException("No demo logins: run `flask demo load` first.")
    if as_json:
        click.echo(json.dumps(logins, ensure_ascii=False, indent=1))
        return
    click.echo("Demo logins (phone / password):")
    for login in logins:
        role, phone, password = login["role"], login["phone"], login["password"]
        click.echo(f"  {role:<15} {phone:<12} {password:<14} {login['name']} {login['unit']}")


@incidents_cli.command("escalate")
def incidents_escalate():
    """Raise overdue cases up the responsibility chain (run every minute, e.g. from cron)."""
    from app.incidents.services import escalate_overdue

    click.echo(f"{escalate_overdue()} case(s) moved up.")
