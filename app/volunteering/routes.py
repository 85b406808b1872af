"""志愿服务 over HTTP: thin wrappers around app.volunteering.services."""

from flask_login import current_user
from flask_smorest import Blueprint

from app.volunteering import services
from app.volunteering.schemas import (
    ActivityDetail,
    ActivityIn,
    ActivityOut,
    ActivityQuery,
    CheckInIn,
    CheckOutIn,
    HoursConfirmIn,
    HoursOut,
    HoursQuery,
    SignUpIn,
)

blp = Blueprint("activities", __name__, url_prefix="/api/activities", description="志愿服务")


def _detail(activity):
    return services.present(current_user, [activity], detail=True)[0]


@blp.post("")
@blp.arguments(ActivityIn)
@blp.response(201, ActivityDetail)
def create(body):
    """An activity with a place, a time, places for N people and the check-in distance."""
    return _detail(services.create(current_user, body))


@blp.get("")
@blp.arguments(ActivityQuery, location="query")
@blp.response(200, ActivityOut(many=True))
def listing(filters):
    return services.present(current_user, services.listing(current_user, filters))


@blp.get("/hours")
@blp.arguments(HoursQuery, location="query")
@blp.response(200, HoursOut(many=True))
def hours(query):
    """Confirmed hours per person, branch or community."""
    return services.hours(current_user, query["by"], query["since"], query["until"])


@blp.get("/<activity_id>")
@blp.response(200, ActivityDetail)
def detail(activity_id):
    return _detail(services.get_visible(current_user, activity_id))


@blp.post("/<activity_id>/sign-up")
@blp.arguments(SignUpIn)
@blp.response(200, ActivityDetail)
@blp.alt_response(409, description="activity_full")
def sign_up(body, activity_id):
    return _detail(services.sign_up(current_user, activity_id, body["device_time"]))


@blp.post("/<activity_id>/check-in")
@blp.arguments(CheckInIn)
@blp.response(200, ActivityDetail)
def check_in(body, activity_id):
    """At the place: within the activity's distance of it."""
    activity = services.check_in(
        current_user, activity_id, body["lat"], body["lng"], body["device_time"]
    )
    return _detail(activity)


@blp.post("/<activity_id>/check-out")
@blp.arguments(CheckOutIn)
@blp.response(200, ActivityDetail)
def check_out(body, activity_id):
    return _detail(services.check_out(current_user, activity_id, body["device_time"]))


@blp.post("/<activity_id>/confirm")
@blp.arguments(HoursConfirmIn)
@blp.response(200, ActivityDetail)
def confirm(body, activity_id):
    """The organiser confirms (or corrects) a person's hours."""
    return _detail(services.confirm(current_user, activity_id, body["user_id"], body["hours"]))
