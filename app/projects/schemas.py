"""Request and response shapes for 书记项目."""

from marshmallow import Schema, fields, validate

from app.inputs import Int
from app.schemas import Out, PersonRef, Ref, Text, Time

Year = lambda **kw: Int(minimum=2000, maximum=2100, **kw)  # noqa: E731


class TeamMember(Schema):
    name = fields.String(required=True, validate=validate.Length(min=1, max=50))
    role = fields.String(load_default=None, validate=validate.Length(max=50))


class ProjectIn(Schema):
    unit = fields.String(required=True, metadata={"description": "the street's or community's"})
    year = Year(required=True)
    title = fields.String(required=True, validate=validate.Length(min=1, max=200))
    problem = Text(required=True)
    measures = Text(required=True)
    team = fields.List(
        fields.Nested(TeamMember), load_default=list, validate=validate.Length(max=50)
    )


class MilestoneIn(Schema):
    title = fields.String(required=True, validate=validate.Length(min=1, max=200))
    target = Text(required=True, metadata={"description": "定目标"})
    community = fields.String(load_default=None, metadata={"description": "for a street's project"})
    capacity = Int(minimum=1, maximum=50, load_default=1, metadata={"description": "定人员"})
    responsible_id = Int(minimum=1, load_default=None, metadata={"description": "定责任"})
    deadline = fields.AwareDateTime(required=True, metadata={"description": "定时限"})
    measures = Text(load_default=None, metadata={"description": "定措施"})


class ReviewIn(Schema):
    quarter = Int(minimum=1, maximum=4, required=True)
    progress = Text(required=True)
    problems = Text(load_default=None)


class ScoreIn(Schema):
    score = fields.Float(required=True, validate=validate.Range(0, 100))
    note = Text(load_default=None)


class YearQuery(Schema):
    year = Year(load_default=None)


class ReviewOut(Out):
    quarter = fields.Integer()
    progress = fields.String()
    problems = fields.String(allow_none=True)
    reviewed_by = fields.Nested(PersonRef)
    reviewed_at = Time()


class MilestoneOut(Out):
    """A milestone's task as the project lists it (the task's own route shows it whole)."""

    id = fields.String()
    title = fields.String()
    state = fields.String()
    deadline = Time()


class ProjectRef(Out):
    id = fields.String()
    unit = fields.Nested(Ref)
    year = fields.Integer()
    leader = fields.Nested(PersonRef)
    title = fields.String()


class ProjectOut(ProjectRef):
    problem = fields.String()
    measures = fields.String()
    team = fields.List(fields.Dict())
    milestones = fields.List(fields.Nested(MilestoneOut))
    reviews = fields.List(fields.Nested(ReviewOut))
    updated_at = Time()
    mean = fields.Float(allow_none=True, metadata={"description": "the judges' mean so far"})
    judges = fields.Integer()
    grade = fields.String(allow_none=True)
    my_score = fields.Float(allow_none=True, metadata={"description": "the caller's, a judge's"})


class ComparisonOut(Out):
    project = fields.Nested(ProjectRef)
    mean = fields.Float(allow_none=True)
    judges = fields.Integer()
    grade = fields.String(allow_none=True)
    milestones = fields.Integer()
    milestones_done = fields.Integer()
