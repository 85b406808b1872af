"""Incidents, whistles, tasks and claims, photos, the catalogue's versions, and the
append-only history.

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-27
"""
import sqlalchemy as sa
from alembic import op

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None


def _fk(column, target, table, **kw):
    referred = target.split(".")[0]
    kind = sa.String(36) if referred in ("incident", "task") else sa.Integer
    return sa.Column(column, kind, sa.ForeignKey(target, name=f"fk_{table}_{column}_{referred}"), **kw)


def _when():
    return sa.DateTime(timezone=True)


def upgrade():
    op.create_table(
        "history",
        sa.Column("id", sa.BigInteger().with_variant(sa.Integer, "sqlite"), primary_key=True),
        sa.Column("entity", sa.String(16), nullable=False),
        sa.Column("entity_id", sa.String(36), nullable=False),
        sa.Column("action", sa.String(32), nullable=False),
        _fk("actor_id", "user_account.id", "history"),
        sa.Column("actor_role", sa.String(20)),
        sa.Column("from_state", sa.String(20)),
        sa.Column("to_state", sa.String(20)),
        sa.Column("note", sa.Text),
        sa.Column("data", sa.JSON),
        sa.Column("at", _when(), nullable=False),
        sa.Column("device_time", _when()),
        sa.Column("lat", sa.Float),
        sa.Column("lng", sa.Float),
        sa.PrimaryKeyConstraint("id", name="pk_history"),
    )
    op.create_index("ix_history_entity", "history", ["entity", "entity_id", "id"])
    if op.get_bind().dialect.name == "postgresql":
        op.execute(
            """
            CREATE FUNCTION history_is_append_only() RETURNS trigger AS $$
            BEGIN RAISE EXCEPTION 'history is append-only'; END $$ LANGUAGE plpgsql;
            CREATE TRIGGER history_append_only BEFORE UPDATE OR DELETE ON history
            FOR EACH ROW EXECUTE FUNCTION history_is_append_only();
            """
        )
    else:
        for event in ("UPDATE", "DELETE"):
            op.execute(
                f"CREATE TRIGGER history_append_only_{event.lower()} BEFORE {event} ON history "
                "BEGIN SELECT RAISE(ABORT, 'history is append-only'); END"
            )

    op.create_table(
        "reference_document",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("kind", sa.String(16), nullable=False),
        sa.Column("version", sa.Integer, nullable=False),
        sa.Column("data", sa.JSON, nullable=False),
        _fk("created_by_id", "user_account.id", "reference_document"),
        sa.Column("created_at", _when(), nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_reference_document"),
        sa.UniqueConstraint("kind", "version", name="uq_reference_document_kind"),
    )

    op.create_table(
        "photo",
        sa.Column("sha256", sa.String(64), nullable=False),
        sa.Column("mime", sa.String(32), nullable=False),
        sa.Column("size", sa.Integer, nullable=False),
        sa.Column("width", sa.Integer, nullable=False),
        sa.Column("height", sa.Integer, nullable=False),
        sa.Column("taken_at", _when()),
        sa.Column("exif_lat", sa.Float),
        sa.Column("exif_lng", sa.Float),
        _fk("uploaded_by_id", "user_account.id", "photo", nullable=False),
        sa.Column("uploaded_at", _when(), nullable=False),
        sa.PrimaryKeyConstraint("sha256", name="pk_photo"),
    )
    op.create_table(
        "attachment",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("sha256", sa.String(64), nullable=False),
        sa.Column("entity", sa.String(16), nullable=False),
        sa.Column("entity_id", sa.String(36), nullable=False),
        sa.Column("kind", sa.String(16), nullable=False),
        sa.Column("taken_at", _when()),
        sa.Column("lat", sa.Float),
        sa.Column("lng", sa.Float),
        _fk("added_by_id", "user_account.id", "attachment", nullable=False),
        sa.Column("added_at", _when(), nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_attachment"),
    )
    op.create_index("ix_attachment_sha256", "attachment", ["sha256"])
    op.create_index("ix_attachment_entity", "attachment", ["entity", "entity_id"])

    op.create_table(
        "incident",
        sa.Column("id", sa.String(36), nullable=False),
        sa.Column("category_code", sa.String(64), nullable=False),
        sa.Column("urgent", sa.Boolean, nullable=False),
        sa.Column("description", sa.Text, nullable=False),
        sa.Column("lat", sa.Float, nullable=False),
        sa.Column("lng", sa.Float, nullable=False),
        sa.Column("accuracy_m", sa.Float),
        sa.Column("address", sa.String(200)),
        _fk("grid_id", "unit.id", "incident", nullable=False),
        _fk("community_id", "unit.id", "incident", nullable=False),
        _fk("street_id", "unit.id", "incident", nullable=False),
        _fk("reporter_id", "user_account.id", "incident", nullable=False),
        sa.Column("resident_name", sa.String(50)),
        sa.Column("resident_phone", sa.String(20)),
        sa.Column("state", sa.String(16), nullable=False),
        sa.Column("self_handled", sa.Boolean, nullable=False),
        _fk("assignee_id", "user_account.id", "incident"),
        _fk("merged_into_id", "incident.id", "incident"),
        sa.Column("stage_started_at", _when()),
        sa.Column("deadline", _when()),
        sa.Column("escalation", sa.Integer, nullable=False),
        sa.Column("rework_count", sa.Integer, nullable=False),
        sa.Column("supervised", sa.Boolean, nullable=False),
        sa.Column("reason", sa.Text),
        sa.Column("reported_at", _when(), nullable=False),
        sa.Column("device_time", _when()),
        sa.Column("updated_at", _when(), nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_incident"),
    )
    for column in ("category_code", "grid_id", "community_id", "street_id", "reporter_id",
                   "state", "assignee_id", "deadline"):
        op.create_index(f"ix_incident_{column}", "incident", [column])
    op.create_index("ix_incident_nearby", "incident", ["category_code", "reported_at"])
    op.create_index("ix_incident_latlng", "incident", ["lat", "lng"])

    op.create_table(
        "incident_follower",
        _fk("incident_id", "incident.id", "incident_follower", nullable=False),
        _fk("user_id", "user_account.id", "incident_follower", nullable=False),
        sa.Column("at", _when(), nullable=False),
        sa.PrimaryKeyConstraint("incident_id", "user_id", name="pk_incident_follower"),
    )
    op.create_table(
        "whistle",
        sa.Column("id", sa.Integer, primary_key=True),
        _fk("incident_id", "incident.id", "whistle", nullable=False),
        _fk("department_id", "department.id", "whistle", nullable=False),
        sa.Column("called_by_id", sa.Integer,
                  sa.ForeignKey("user_account.id", name="fk_whistle_called_by_id_user_account"),
                  nullable=False),
        sa.Column("called_at", _when(), nullable=False),
        sa.Column("report_deadline", _when(), nullable=False),
        sa.Column("note", sa.Text),
        sa.Column("reported_at", _when()),
        sa.Column("reported_by_id", sa.Integer,
                  sa.ForeignKey("user_account.id", name="fk_whistle_reported_by_id_user_account")),
        sa.Column("arrived_at", _when()),
        sa.Column("outcome", sa.Text),
        sa.Column("done_at", _when()),
        sa.Column("rating", sa.Integer),
        sa.Column("rating_note", sa.Text),
        sa.PrimaryKeyConstraint("id", name="pk_whistle"),
        sa.UniqueConstraint("incident_id", "department_id", name="uq_whistle_incident_id"),
    )
    op.create_index("ix_whistle_incident_id", "whistle", ["incident_id"])
    op.create_index("ix_whistle_department_id", "whistle", ["department_id"])

    op.create_table(
        "task",
        sa.Column("id", sa.String(36), nullable=False),
        sa.Column("title", sa.String(200), nullable=False),
        sa.Column("kind", sa.String(16), nullable=False),
        _fk("incident_id", "incident.id", "task"),
        _fk("community_id", "unit.id", "task", nullable=False),
        _fk("grid_id", "unit.id", "task"),
        sa.Column("target", sa.Text, nullable=False),
        sa.Column("capacity", sa.Integer, nullable=False),
        sa.Column("claimed", sa.Integer, nullable=False),
        _fk("responsible_id", "user_account.id", "task", nullable=False),
        sa.Column("deadline", _when(), nullable=False),
        sa.Column("measures", sa.Text),
        sa.Column("state", sa.String(16), nullable=False),
        sa.Column("created_by_id", sa.Integer,
                  sa.ForeignKey("user_account.id", name="fk_task_created_by_id_user_account"),
                  nullable=False),
        sa.Column("created_at", _when(), nullable=False),
        sa.Column("updated_at", _when(), nullable=False),
        sa.Column("completed_by_id", sa.Integer,
                  sa.ForeignKey("user_account.id", name="fk_task_completed_by_id_user_account")),
        sa.Column("completed_at", _when()),
        sa.Column("completion_note", sa.Text),
        sa.Column("completion_lat", sa.Float),
        sa.Column("completion_lng", sa.Float),
        sa.Column("off_site_m", sa.Float),
        sa.Column("reason", sa.Text),
        sa.PrimaryKeyConstraint("id", name="pk_task"),
        sa.CheckConstraint("capacity >= 1", name="ck_task_capacity_positive"),
        sa.CheckConstraint("claimed >= 0 AND claimed <= capacity",
                           name="ck_task_claimed_within_capacity"),
    )
    for column in ("incident_id", "community_id", "grid_id", "deadline", "state"):
        op.create_index(f"ix_task_{column}", "task", [column])
    op.create_table(
        "task_claim",
        sa.Column("id", sa.Integer, primary_key=True),
        _fk("task_id", "task.id", "task_claim", nullable=False),
        _fk("user_id", "user_account.id", "task_claim", nullable=False),
        sa.Column("claimed_at", _when(), nullable=False),
        sa.Column("assigned_by_id", sa.Integer,
                  sa.ForeignKey("user_account.id", name="fk_task_claim_assigned_by_id_user_account")),
        sa.Column("released_at", _when()),
        sa.Column("live", sa.Boolean, nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_task_claim"),
    )
    op.create_index("ix_task_claim_task_id", "task_claim", ["task_id"])
    op.create_index("ix_task_claim_user_id", "task_claim", ["user_id"])
    op.create_index("uq_task_claim_live", "task_claim", ["task_id", "user_id"], unique=True,
                    sqlite_where=sa.text("live"), postgresql_where=sa.text("live"))


def downgrade():
    if op.get_bind().dialect.name == "postgresql":
        op.execute("DROP TRIGGER IF EXISTS history_append_only ON history")
        op.execute("DROP FUNCTION IF EXISTS history_is_append_only()")
    for table in ("task_claim", "task", "whistle", "incident_follower", "incident", "attachment",
                  "photo", "reference_document", "history"):
        op.drop_table(table)
