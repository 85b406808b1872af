"""`flask privacy rekey`: write every encrypted value again under the current key."""

import click
from flask.cli import AppGroup
from sqlalchemy import Text, select, type_coerce

from app import transaction
from app.extensions import db
from app.privacy import crypto

privacy_cli = AppGroup("privacy", help="Personal data: keys.")


def rekey():
    """Re-encrypt the values under an old key (and their blind indexes, columns whose info
    names `blind_index_of`: (source column, normaliser)); {table: rows rewritten}."""
    current = crypto._keyring().current
    counts = {}
    for table in db.metadata.sorted_tables:
        secret = [c for c in table.c if isinstance(c.type, crypto.Encrypted)]
        if not secret:
            continue
        indexes = [c for c in table.c if "blind_index_of" in c.info]
        keys = list(table.primary_key.columns)
        raw = [type_coerce(c, Text).label(c.name) for c in secret]
        counts[table.name] = 0
        for row in db.session.execute(select(*keys, *raw)).mappings().all():
            if all(crypto.key_id(row[c.name]) in (None, current) for c in secret):
                continue
            plain = {c.name: crypto.decrypt(row[c.name]) for c in secret}
            for index in indexes:
                source, normalize = index.info["blind_index_of"]
                plain[index.name] = crypto.blind_index(plain[source], normalize)
            db.session.execute(
                table.update().where(*(k == row[k.name] for k in keys)).values(plain)
            )
            counts[table.name] += 1
    transaction.commit()
    return counts


@privacy_cli.command("rekey")
def rekey_command():
    """After a key rotation: re-encrypt what an old key (PERSONAL_DATA_KEY_FALLBACKS) wrote."""
    for table, count in rekey().items():
        click.echo(f"{table}: {count} rewritten")
