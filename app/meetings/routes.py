"""联席会议 over HTTP: thin wrappers around app.meetings.services."""

from flask_login import current_user
from flask_smorest import Blueprint

from app.meetings import services
from app.meetings.schemas import (
    CloseIn,
    DecisionIn,
    HoldIn,
    MeetingCounts,
    MeetingDetail,
    MeetingIn,
    MeetingOut,
    MeetingQuery,
    PeriodQuery,
    ProblemIn,
)
from app.schemas import Shown

blp = Blueprint("meetings", __name__, url_prefix="/api/meetings", description="联席会议")


def _shown(meetings, detail=False):
    problems = services.problems_of(m.id for m in meetings)
    out = []
    for meeting in meetings:
        shown = Shown(meeting, problems=problems.get(meeting.id, []))
        if detail:
            shown.attendees = services.attendees_of(meeting.id)
        out.append(shown)
    return out


def _detail(meeting_id):
    return _shown([services.get_visible(current_user, meeting_id)], detail=True)[0]


@blp.post("")
@blp.arguments(MeetingIn)
@blp.response(201, MeetingDetail)
def plan(body):
    """A meeting as planned, for a street or a community, and who is due."""
    return _detail(services.plan(current_user, body).id)


@blp.get("")
@blp.arguments(MeetingQuery, location="query")
@blp.response(200, MeetingOut(many=True))
def listing(filters):
    """Meetings with their problems and where each stands."""
    return _shown(services.listing(current_user, filters))


@blp.get("/counts")
@blp.arguments(PeriodQuery, location="query")
@blp.response(200, MeetingCounts)
def counts(query):
    """Held against planned, problems raised and closed (销号), over a period."""
    return services.counts(current_user, query["since"], query["until"])


@blp.get("/<meeting_id>")
@blp.response(200, MeetingDetail)
def detail(meeting_id):
    return _detail(meeting_id)


@blp.post("/<meeting_id>/hold")
@blp.arguments(HoldIn)
@blp.response(200, MeetingDetail)
def hold(body, meeting_id):
    services.hold(current_user, meeting_id, body["held_at"], body["attended"])
    return _detail(meeting_id)


@blp.post("/<meeting_id>/problems")
@blp.arguments(ProblemIn)
@blp.response(201, MeetingDetail)
def raise_problem(body, meeting_id):
    services.raise_problem(current_user, meeting_id, body["description"], body["raised_by_id"])
    return _detail(meeting_id)


@blp.post("/<meeting_id>/problems/<int:problem_id>/decisions")
@blp.arguments(DecisionIn)
@blp.response(201, MeetingDetail)
def decide(body, meeting_id, problem_id):
    """议定事项: a task with the 五定; when it is verified the problem is closed (销号)."""
    services.decide(current_user, meeting_id, problem_id, body)
    return _detail(meeting_id)


@blp.post("/<meeting_id>/problems/<int:problem_id>/close")
@blp.arguments(CloseIn)
@blp.response(200, MeetingDetail)
def close(body, meeting_id, problem_id):
    """销号 of a problem solved at the table."""
    services.close(current_user, meeting_id, problem_id, body["note"])
    return _detail(meeting_id)
