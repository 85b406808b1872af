"""Rules of 书记项目: one project per street or community a year, led by its secretary;
milestones as tasks with the 五定; a review record per quarter; the year-end comparison
(擂台比武): the district's judges score each project and the mean is its grade."""

import uuid

from sqlalchemy import func, or_, select

from app import clock, transaction
from app.errors import Conflict, Invalid, NotFound
from app.extensions import db
from app.history.services import record, register_scope
from app.people import services as people
from app.people.models import DISTRICT_ADMIN
from app.projects.models import GRADES, Milestone, Project, Review, Score
from app.rules import require
from app.tasks import services as tasks
from app.tasks.models import VERIFIED, Task
from app.units.models import Unit


def grade(mean):
    return next(letter for floor, letter in GRADES if mean >= floor)


def visible(user, project):
    return people.can_view(user, project.unit) or project.leader_id == user.id


def get_visible(user, project_id):
    project = db.session.get(Project, project_id)
    if project is None or not visible(user, project):
        raise NotFound("No such project.", fields={"id": [project_id]})
    return project


def _leads(user, project):
    require(
        project.leader_id == user.id or people.manages(user, project.unit),
        "The project is run by its secretary.",
    )


def create(user, body):
    """The year's project of a street or community, led by the user (its secretary)."""
    unit = db.session.execute(select(Unit).where(Unit.code == body["unit"])).scalar()
    if unit is None or unit.level not in ("street", "community"):
        raise Invalid("A project is a street's or a community's.", fields={"unit": [body["unit"]]})
    require(
        people.manages(user, unit), "A project is led by the street's or community's secretary."
    )
    taken = select(Project.id).where(Project.unit_id == unit.id, Project.year == body["year"])
    if db.session.execute(taken).first():
        raise Conflict(
            f"{unit.name} has its project for {body['year']}.",
            code="project_exists",
            fields={"year": [body["year"]]},
        )
    now = clock.now()
    project = Project(
        id=str(uuid.uuid4()),
        unit_id=unit.id,
        year=body["year"],
        leader_id=user.id,
        title=body["title"],
        problem=body["problem"],
        measures=body["measures"],
        team=body["team"],
        created_at=now,
        updated_at=now,
    )
    db.session.add(project)
    db.session.flush()
    record("project", project.id, "create", user, note=project.title)
    transaction.commit()
    return project


def add_milestone(user, project_id, body):
    """A milestone: a task with the 五定, in the project's community (or one of its street's)."""
    project = get_visible(user, project_id)
    _leads(user, project)
    community = project.unit if project.unit.level == "community" else None
    if body.get("community"):
        community = db.session.execute(select(Unit).where(Unit.code == body["community"])).scalar()
        if community is None or community.parent_id != project.unit_id:
            raise Invalid(
                "A community of the project's street.", fields={"community": [body["community"]]}
            )
    if community is None:
        raise Invalid("Name the community of the milestone.", fields={"community": ["required"]})
    with transaction.grouped():  # the task and the milestone, or neither
        task, _ = tasks.create(
            user,
            {
                "title": body["title"],
                "kind": "routine",
                "community": community.code,
                "target": body["target"],
                "capacity": body["capacity"],
                "responsible_id": body.get("responsible_id"),
                "deadline": body["deadline"],
                "measures": body.get("measures") or project.measures,
            },
        )
        db.session.add(Milestone(project_id=project.id, task_id=task.id))
        project.updated_at = clock.now()
        db.session.flush()
        record("project", project.id, "milestone", user, note=task.title, data={"task": task.id})
    transaction.commit()
    return project


def review(user, project_id, quarter, progress, problems=None):
    """The quarter's review (调度) record, written once."""
    project = get_visible(user, project_id)
    _leads(user, project)
    if db.session.execute(
        select(Review.id).where(Review.project_id == project.id, Review.quarter == quarter)
    ).first():
        raise Conflict(
            f"Quarter {quarter} has its review.", code="reviewed", fields={"quarter": [quarter]}
        )
    db.session.add(
        Review(
            project_id=project.id,
            quarter=quarter,
            progress=progress,
            problems=problems,
            reviewed_by_id=user.id,
            reviewed_at=clock.now(),
        )
    )
    project.updated_at = clock.now()
    db.session.flush()
    record("project", project.id, "review", user, note=progress, data={"quarter": quarter})
    transaction.commit()
    return project


def score(user, project_id, value, note=None):
    """A judge of the district scores the project; scoring again replaces one's own score."""
    project = get_visible(user, project_id)
    require(user.role == DISTRICT_ADMIN, "Projects are scored by the district's judges.")
    mine = db.session.execute(
        select(Score).where(Score.project_id == project.id, Score.judge_id == user.id)
    ).scalar()
    if mine is None:
        mine = Score(project_id=project.id, judge_id=user.id)
        db.session.add(mine)
    mine.score, mine.note, mine.scored_at = value, note, clock.now()
    db.session.flush()
    record("project", project.id, "score", user, data={"score": value})
    transaction.commit()
    return project


# -- reading -------------------------------------------------------------------------------------


def _visible_to(user):
    query = select(Project)
    if user.role == DISTRICT_ADMIN:
        return query
    inside = []
    for area in people.areas(user):
        inside.append(Project.unit_id == area.id)
        inside.append(Project.unit_id.in_(select(Unit.id).where(Unit.parent_id == area.id)))
    return query.where(or_(Project.leader_id == user.id, *inside))


def listing(user, year):
    query = _visible_to(user).where(Project.year == year) if year else _visible_to(user)
    return db.session.execute(query.order_by(Project.year.desc(), Project.id)).scalars().all()


def milestones_of(project_ids):
    """{project id: [Task]}, by deadline."""
    found = {}
    for project_id, task in db.session.execute(
        select(Milestone.project_id, Task)
        .join(Task, Task.id == Milestone.task_id)
        .where(Milestone.project_id.in_(list(project_ids)))
        .order_by(Task.deadline)
    ):
        found.setdefault(project_id, []).append(task)
    return found


def reviews_of(project_id):
    return (
        db.session.execute(
            select(Review).where(Review.project_id == project_id).order_by(Review.quarter)
        )
        .scalars()
        .all()
    )


def scores_of(project_ids):
    """{project id: (mean, judges)}."""
    return {
        project_id: (mean, judges)
        for project_id, mean, judges in db.session.execute(
            select(Score.project_id, func.avg(Score.score), func.count())
            .where(Score.project_id.in_(list(project_ids)))
            .group_by(Score.project_id)
        )
    }


def _standing(mean, judges):
    mean = round(float(mean), 1) if mean is not None else None
    return {"mean": mean, "judges": judges, "grade": grade(mean) if mean is not None else None}


def standing(user, project):
    """The judges' mean so far, how many scored, its grade, and the user's own score."""
    mine = db.session.execute(
        select(Score.score).where(Score.project_id == project.id, Score.judge_id == user.id)
    ).scalar()
    return {**_standing(*scores_of([project.id]).get(project.id, (None, 0))), "my_score": mine}


def comparison(user, year):
    """擂台比武: the year's projects the user may see, by mean score: each with its grade and
    how many of its milestones were verified."""
    projects = listing(user, year)
    scores = scores_of(p.id for p in projects)
    milestones = milestones_of(p.id for p in projects)
    rows = []
    for project in projects:
        done = [t for t in milestones.get(project.id, []) if t.state == VERIFIED]
        rows.append(
            {
                "project": project,
                **_standing(*scores.get(project.id, (None, 0))),
                "milestones": len(milestones.get(project.id, [])),
                "milestones_done": len(done),
            }
        )
    return sorted(rows, key=lambda row: (row["mean"] is None, -(row["mean"] or 0)))


def _scope(project_id):
    unit = db.session.get(Project, project_id).unit
    return (None, unit.id) if unit.level == "community" else (None, None)


register_scope("project", _scope)
