"""书记项目 over HTTP: thin wrappers around app.projects.services."""

from flask_login import current_user
from flask_smorest import Blueprint

from app.projects import services
from app.projects.schemas import (
    ComparisonOut,
    MilestoneIn,
    ProjectIn,
    ProjectOut,
    ReviewIn,
    ScoreIn,
    YearQuery,
)
from app.schemas import Shown

blp = Blueprint("projects", __name__, url_prefix="/api/projects", description="书记项目")


def _shown(project):
    milestones = services.milestones_of([project.id]).get(project.id, [])
    return Shown(
        project,
        milestones=milestones,
        reviews=services.reviews_of(project.id),
        **services.standing(current_user, project),
    )


@blp.post("")
@blp.arguments(ProjectIn)
@blp.response(201, ProjectOut)
def create(body):
    """The year's project of a street or community: problem, measures, team."""
    return _shown(services.create(current_user, body))


@blp.get("")
@blp.arguments(YearQuery, location="query")
@blp.response(200, ProjectOut(many=True))
def listing(query):
    return [_shown(p) for p in services.listing(current_user, query["year"])]


@blp.get("/comparison")
@blp.arguments(YearQuery, location="query")
@blp.response(200, ComparisonOut(many=True))
def comparison(query):
    """擂台比武: the year's projects by the judges' mean score, with grades."""
    return services.comparison(current_user, query["year"])


@blp.get("/<project_id>")
@blp.response(200, ProjectOut)
def detail(project_id):
    return _shown(services.get_visible(current_user, project_id))


@blp.post("/<project_id>/milestones")
@blp.arguments(MilestoneIn)
@blp.response(201, ProjectOut)
def add_milestone(body, project_id):
    """A milestone, carried out as a task with the 五定."""
    return _shown(services.add_milestone(current_user, project_id, body))


@blp.post("/<project_id>/reviews")
@blp.arguments(ReviewIn)
@blp.response(201, ProjectOut)
def review(body, project_id):
    """季度调度: the quarter's review record."""
    project = services.review(
        current_user, project_id, body["quarter"], body["progress"], body["problems"]
    )
    return _shown(project)


@blp.post("/<project_id>/score")
@blp.arguments(ScoreIn)
@blp.response(200, ProjectOut)
def score(body, project_id):
    """A judge's score, 0-100."""
    return _shown(services.score(current_user, project_id, body["score"], body["note"]))
