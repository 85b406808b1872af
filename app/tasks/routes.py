"""Tasks over HTTP: thin wrappers around app.tasks.services."""

from flask_login import current_user
from flask_smorest import Blueprint

from app import transaction
from app.tasks import services
from app.tasks.schemas import (
    CancelIn,
    ClaimIn,
    CompleteIn,
    ProgressIn,
    TaskAssignIn,
    TaskDetail,
    TaskIn,
    TaskOut,
    TaskQuery,
    UnassignIn,
    VerifyIn,
)
from app.transaction import reads_only

blp = Blueprint("tasks", __name__, url_prefix="/api/tasks", description="Tasks (任务)")


def _detail(task_id):
    task = services.get_visible(current_user, task_id)
    return services.present(current_user, [task], detail=True)[0]


@blp.post("")
@blp.arguments(TaskIn)
@blp.response(201, TaskDetail)
@blp.alt_response(200, schema=TaskDetail, description="the same id again: the original")
def create(body):
    """A task with the 五定, for a grid or a community's pool."""
    task, created = services.create(current_user, body)
    return _detail(task.id), 201 if created else 200


@blp.get("")
@reads_only
@blp.arguments(TaskQuery, location="query")
@blp.response(200, TaskOut(many=True))
def listing(filters):
    return services.present(current_user, services.listing(current_user, filters))


@blp.get("/<task_id>")
@reads_only
@blp.response(200, TaskDetail)
def detail(task_id):
    return _detail(task_id)


@blp.post("/<task_id>/claim")
@blp.arguments(ClaimIn)
@blp.response(200, TaskDetail)
@blp.alt_response(409, description="full: the error names who holds it")
def claim(body, task_id):
    """Claim a place; claiming again is harmless."""
    services.claim(current_user, task_id, body["device_time"])
    transaction.answer_reads_only()
    return services.claimed_detail(current_user, task_id)


@blp.post("/<task_id>/release")
@blp.response(200, TaskDetail)
def release(task_id):
    # The task as released, without asking again who may see it: a member who no longer
    # serves its grid saw it only through the place just given back.
    services.release(current_user, task_id)
    transaction.answer_reads_only()
    return services.claimed_detail(current_user, task_id)


@blp.post("/<task_id>/assign")
@blp.arguments(TaskAssignIn)
@blp.response(200, TaskDetail)
def assign(body, task_id):
    """A secretary gives a place to a member (or moves one with `replace`)."""
    services.assign(current_user, task_id, body["user_id"], body["replace"])
    return _detail(task_id)


@blp.post("/<task_id>/unassign")
@blp.arguments(UnassignIn)
@blp.response(200, TaskDetail)
def unassign(body, task_id):
    services.unassign(current_user, task_id, body["user_id"], body["note"])
    return _detail(task_id)


@blp.post("/<task_id>/progress")
@blp.arguments(ProgressIn)
@blp.response(200, TaskDetail)
def progress(body, task_id):
    point = (
        (body["lat"], body["lng"]) if body["lat"] is not None and body["lng"] is not None else None
    )
    services.progress(
        current_user, task_id, body["note"], body["photos"], body["device_time"], point
    )
    return _detail(task_id)


@blp.post("/<task_id>/complete")
@blp.arguments(CompleteIn)
@blp.response(200, TaskDetail)
def complete(body, task_id):
    """Done: at least one photo and the point; a point off the grid is flagged, not refused."""
    services.complete(
        current_user,
        task_id,
        body["note"],
        body["lat"],
        body["lng"],
        body["photos"],
        body["device_time"],
    )
    return _detail(task_id)


@blp.post("/<task_id>/verify")
@blp.arguments(VerifyIn)
@blp.response(200, TaskDetail)
def verify(body, task_id):
    """The secretary passes completed work, or returns it with a reason."""
    services.verify(current_user, task_id, body["passed"], body["reason"])
    return _detail(task_id)


@blp.post("/<task_id>/cancel")
@blp.arguments(CancelIn)
@blp.response(200, TaskDetail)
def cancel(body, task_id):
    services.cancel(current_user, task_id, body["reason"])
    return _detail(task_id)
