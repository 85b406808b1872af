"""The 民情日志 over HTTP: thin wrappers around app.journal.services (a phone writes
through sync, `journal.write`)."""

from flask_login import current_user
from flask_smorest import Blueprint

from app import clock
from app.journal import services
from app.journal.schemas import (
    JournalCommentIn,
    JournalDayQuery,
    JournalDraftOut,
    JournalOut,
    JournalQuery,
    JournalWriteIn,
)

blp = Blueprint("journal", __name__, url_prefix="/api/journal", description="民情日志")


@blp.post("")
@blp.arguments(JournalWriteIn)
@blp.response(200, JournalOut)
def write(body):
    """Write the day's entry; the same day again is the same entry, written over."""
    return services.present(current_user, [services.write(current_user, body)])[0]


@blp.get("")
@blp.arguments(JournalQuery, location="query")
@blp.response(200, JournalOut(many=True))
def listing(filters):
    """Your entries; a secretary's, their community's members'; newest day first."""
    return services.present(current_user, services.listing(current_user, filters))


@blp.get("/draft")
@blp.arguments(JournalDayQuery, location="query")
@blp.response(200, JournalDraftOut)
def draft(query):
    """A draft of your entry from the day's patrols, incidents and comments."""
    return services.draft(current_user, query["day"] or clock.today())


@blp.get("/<entry_id>")
@blp.response(200, JournalOut)
def detail(entry_id):
    return services.present(current_user, [services.get_visible(current_user, entry_id)])[0]


@blp.post("/<entry_id>/comment")
@blp.arguments(JournalCommentIn)
@blp.response(200, JournalOut)
def comment(body, entry_id):
    """The secretary's 点评."""
    entry = services.comment(current_user, entry_id, body["note"])
    return services.present(current_user, [entry])[0]
