"""平急结合: emergency switches and the grids they cover, reinforcements, roll-calls, the
inbox (also the Web Push outbox), push subscriptions, emergency tasks and muted kinds.

Revision ID: 0004
Revises: 0003
Create Date: 2026-11-27
"""
import sqlalchemy as sa
from alembic import op

revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None


def _fk(column, target, table, **kw):
    referred = target.split(".")[0]
    kind = sa.String(36) if referred in ("emergency_switch", "roll_call", "task") else sa.Integer
    return sa.Column(column, kind, sa.ForeignKey(target, name=f"fk_{table}_{column}_{referred}"), **kw)


def _when():
    return sa.DateTime(timezone=True)


def upgrade():
    op.create_table(
        "emergency_switch",
        sa.Column("id", sa.String(36), nullable=False),
        sa.Column("kind", sa.String(16), nullable=False),
        sa.Column("level", sa.SmallInteger, nullable=False),
        sa.Column("drill", sa.Boolean, nullable=False),
        sa.Column("reason", sa.Text, nullable=False),
        sa.Column("state", sa.String(16), nullable=False),
        sa.Column("scope", sa.String(16), nullable=False),
        sa.Column("scope_codes", sa.JSON),
        sa.Column("polygon", sa.JSON),
        _fk("street_id", "unit.id", "emergency_switch"),
        _fk("requested_by_id", "user_account.id", "emergency_switch", nullable=False),
        sa.Column("requested_at", _when(), nullable=False),
        _fk("decided_by_id", "user_account.id", "emergency_switch"),
        sa.Column("decided_at", _when()),
        sa.Column("started_at", _when()),
        _fk("ended_by_id", "user_account.id", "emergency_switch"),
        sa.Column("ended_at", _when()),
        sa.Column("note", sa.Text),
        sa.Column("updated_at", _when(), nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_emergency_switch"),
        sa.CheckConstraint("level BETWEEN 1 AND 4", name="ck_emergency_switch_level"),
    )
    op.create_index("ix_emergency_switch_state", "emergency_switch", ["state"])
    op.create_index("ix_emergency_switch_street_id", "emergency_switch", ["street_id"])

    op.create_table(
        "emergency_switch_grid",
        _fk("switch_id", "emergency_switch.id", "emergency_switch_grid", nullable=False),
        _fk("grid_id", "unit.id", "emergency_switch_grid", nullable=False),
        sa.Column("community_id", sa.Integer, nullable=False),
        sa.Column("street_id", sa.Integer, nullable=False),
        sa.PrimaryKeyConstraint("switch_id", "grid_id", name="pk_emergency_switch_grid"),
    )
    op.create_index("ix_emergency_switch_grid_grid_id", "emergency_switch_grid", ["grid_id"])
    op.create_index(
        "ix_emergency_switch_grid_community_id", "emergency_switch_grid", ["community_id"]
    )

    op.create_table(
        "emergency_reinforcement",
        _fk("switch_id", "emergency_switch.id", "emergency_reinforcement", nullable=False),
        _fk("user_id", "user_account.id", "emergency_reinforcement", nullable=False),
        _fk("grid_id", "unit.id", "emergency_reinforcement", nullable=False),
        sa.Column("added", sa.Boolean, nullable=False),
        sa.Column("at", _when(), nullable=False),
        sa.PrimaryKeyConstraint(
            "switch_id", "user_id", "grid_id", name="pk_emergency_reinforcement"
        ),
    )

    op.create_table(
        "roll_call",
        sa.Column("id", sa.String(36), nullable=False),
        _fk("switch_id", "emergency_switch.id", "roll_call"),
        sa.Column("message", sa.Text, nullable=False),
        sa.Column("drill", sa.Boolean, nullable=False),
        _fk("created_by_id", "user_account.id", "roll_call", nullable=False),
        sa.Column("created_at", _when(), nullable=False),
        sa.Column("escalate_after_min", sa.Integer, nullable=False),
        sa.Column("issues", sa.Integer, nullable=False),
        sa.Column("last_issued_at", _when(), nullable=False),
        sa.Column("closed_at", _when()),
        sa.PrimaryKeyConstraint("id", name="pk_roll_call"),
    )
    op.create_index("ix_roll_call_switch_id", "roll_call", ["switch_id"])
    op.create_table(
        "roll_call_person",
        _fk("roll_call_id", "roll_call.id", "roll_call_person", nullable=False),
        _fk("user_id", "user_account.id", "roll_call_person", nullable=False),
        sa.Column("grid_id", sa.Integer),
        sa.Column("community_id", sa.Integer),
        sa.Column("street_id", sa.Integer),
        sa.Column("acknowledged_at", _when()),
        sa.Column("device_time", _when()),
        sa.Column("escalated_at", _when()),
        sa.PrimaryKeyConstraint("roll_call_id", "user_id", name="pk_roll_call_person"),
    )
    op.create_index("ix_roll_call_person_user", "roll_call_person", ["user_id"])
    op.create_index(
        "ix_roll_call_person_community", "roll_call_person", ["roll_call_id", "community_id"]
    )

    op.create_table(
        "inbox_message",
        sa.Column("id", sa.BigInteger().with_variant(sa.Integer, "sqlite"), primary_key=True),
        _fk("user_id", "user_account.id", "inbox_message", nullable=False),
        sa.Column("batch", sa.String(36), nullable=False),
        sa.Column("kind", sa.String(16), nullable=False),
        sa.Column("title", sa.String(200), nullable=False),
        sa.Column("body", sa.Text),
        sa.Column("entity", sa.String(16)),
        sa.Column("entity_id", sa.String(36)),
        sa.Column("critical", sa.Boolean, nullable=False),
        sa.Column("created_at", _when(), nullable=False),
        sa.Column("read_at", _when()),
        sa.Column("push", sa.String(8), nullable=False),
        sa.Column("pushed_at", _when()),
        sa.PrimaryKeyConstraint("id", name="pk_inbox_message"),
    )
    op.create_index("ix_inbox_message_user", "inbox_message", ["user_id", "id"])
    op.create_index("ix_inbox_message_push", "inbox_message", ["push", "user_id"])

    op.create_table(
        "push_subscription",
        sa.Column("id", sa.Integer, primary_key=True),
        _fk("user_id", "user_account.id", "push_subscription", nullable=False),
        sa.Column("endpoint", sa.String(1000), nullable=False),
        sa.Column("p256dh", sa.String(200), nullable=False),
        sa.Column("auth", sa.String(100), nullable=False),
        sa.Column("created_at", _when(), nullable=False),
        sa.Column("last_push_at", _when()),
        sa.Column("failures", sa.Integer, nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_push_subscription"),
        sa.UniqueConstraint("endpoint", name="uq_push_subscription_endpoint"),
    )
    op.create_index("ix_push_subscription_user_id", "push_subscription", ["user_id"])

    # Plain ALTERs, not batch copies (SQLite cannot add a foreign key by ALTER: the task's
    # link to its switch is kept by the code there, and by the database on PostgreSQL).
    if op.get_bind().dialect.name == "postgresql":
        op.add_column(
            "task", _fk("emergency_id", "emergency_switch.id", "task")
        )
    else:
        op.add_column("task", sa.Column("emergency_id", sa.String(36)))
    op.create_index("ix_task_emergency_id", "task", ["emergency_id"])
    op.add_column("user_account", sa.Column("muted", sa.JSON))


def downgrade():
    op.drop_column("user_account", "muted")
    op.drop_index("ix_task_emergency_id", "task")
    op.drop_column("task", "emergency_id")
    for table in (
        "push_subscription",
        "inbox_message",
        "roll_call_person",
        "roll_call",
        "emergency_reinforcement",
        "emergency_switch_grid",
        "emergency_switch",
    ):
        op.drop_table(table)
