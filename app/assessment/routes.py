"""The assessment over HTTP: thin wrappers around app.assessment's services."""

from flask import send_file
from flask_login import current_user
from flask_smorest import Blueprint

from app.assessment import exports, ranking
from app.assessment import plan as plans
from app.assessment.indicators import INDICATORS
from app.assessment.schemas import (
    AdjustmentIn,
    AdjustmentOut,
    AppealDecisionIn,
    AppealIn,
    AppealOut,
    BulletinOut,
    DrillOut,
    DrillQuery,
    ExportIn,
    ExportOut,
    IndicatorOut,
    MineOut,
    RankingOut,
    RankingQuery,
    SheetQuery,
    SheetRow,
    TrendPoint,
    TrendQuery,
)
from app.catalogue.routes import DocumentIn, Versioned
from app.errors import Forbidden
from app.people.models import DISTRICT_ADMIN

blp = Blueprint("assessment", __name__, url_prefix="/api/assessment", description="考核")


@blp.get("/plan")
@blp.response(200, Versioned)
def plan():
    """The assessment plan (考核方案) in force."""
    version, data = plans.in_force()
    return {"version": version, "data": data}


@blp.put("/plan")
@blp.arguments(DocumentIn)
@blp.response(200, Versioned)
def replace_plan(body):
    """A new version of the plan (validated; every problem is named by its path)."""
    if current_user.role != DISTRICT_ADMIN:
        raise Forbidden("Only district admins edit the plan.", code="not_allowed")
    return {"version": plans.replace(body["data"], current_user), "data": body["data"]}


@blp.get("/indicators")
@blp.response(200, IndicatorOut(many=True))
def indicators():
    return list(INDICATORS.values())


@blp.get("/periods/<key>")
@blp.arguments(RankingQuery(), location="query")
@blp.response(200, RankingOut)
def period(args, key):
    """A period's ranking (2026-03, 2026-Q1, 2026-H1, 2026): a draft from the facts until it
    is opened for appeal, then the frozen one."""
    return ranking.ranking_for(current_user, key, args["level"], args["parent"])


@blp.post("/periods/<key>/open")
@blp.response(200, RankingOut)
def open_appeals(key):
    """Freeze the draft and open it to appeals for the plan's number of days."""
    ranking.open_appeals(current_user, key)
    return ranking.ranking_for(current_user, key)


@blp.post("/periods/<key>/publish")
@blp.response(200, RankingOut)
def publish(key):
    """Publish: the accepted appeals' corrections applied, frozen for good."""
    ranking.publish(current_user, key)
    return ranking.ranking_for(current_user, key)


@blp.get("/periods/<key>/bulletin")
@blp.response(200, BulletinOut)
def bulletin(key):
    """通报: the top and bottom units per level (红黑榜) and their change since the last."""
    return ranking.bulletin_for(current_user, key)


@blp.get("/periods/<key>/drill")
@blp.arguments(DrillQuery(), location="query")
@blp.response(200, DrillOut(many=True))
def drill(args, key):
    """穿透: the cases, tasks, calls or acknowledgements behind a figure."""
    return ranking.drill(
        current_user, key, args["level"], args["id"], args["indicator"], args["side"]
    )


@blp.get("/periods/<key>/trend")
@blp.arguments(TrendQuery(), location="query")
@blp.response(200, TrendPoint(many=True))
def trend(args, key):
    """An indicator of one unit over the six periods up to this one (its trend line)."""
    return ranking.trend(current_user, key, args["level"], args["id"], args["indicator"])


@blp.get("/periods/<key>/mine")
@blp.response(200, MineOut)
def mine(key):
    """My own figures, and my grids' rows."""
    return ranking.mine(current_user, key)


@blp.get("/periods/<key>/sheet")
@blp.arguments(SheetQuery(), location="query")
@blp.response(200, SheetRow(many=True))
def sheet(args, key):
    """A 包保 leader's sheet: the units they answer for (mine, or anyone's for the district)."""
    return ranking.sheet_for(current_user, key, args["person"])


@blp.get("/periods/<key>/appeals")
@blp.response(200, AppealOut(many=True))
def appeals(key):
    ranking.require_reader(current_user)
    return ranking.appeals(key)


@blp.post("/periods/<key>/appeals")
@blp.arguments(AppealIn())
@blp.response(201, AppealOut)
def appeal(body, key):
    """申诉: the unit's head questions a figure, naming the cases, while the window is open."""
    return ranking.file_appeal(
        current_user,
        key,
        body["level"],
        body["id"],
        body["indicator"],
        body["cases"],
        body["reason"],
    )


@blp.post("/appeals/<int:appeal_id>/decide")
@blp.arguments(AppealDecisionIn())
@blp.response(200, AppealOut)
def decide(body, appeal_id):
    """The district accepts an appeal (with the corrected value) or refuses it."""
    return ranking.decide(current_user, appeal_id, body["accepted"], body["value"], body["note"])


@blp.get("/periods/<key>/adjustments")
@blp.response(200, AdjustmentOut(many=True))
def adjustments(key):
    ranking.require_reader(current_user)
    return ranking.adjustments(key)


@blp.post("/periods/<key>/adjustments")
@blp.arguments(AdjustmentIn())
@blp.response(201, AdjustmentOut)
def adjust(body, key):
    """A manual score or 加减分, with its reason and evidence."""
    return ranking.adjust(
        current_user,
        key,
        body["level"],
        body["id"],
        body["kind"],
        body["value"],
        body["reason"],
        body["evidence"],
    )


@blp.post("/exports")
@blp.arguments(ExportIn())
@blp.response(202, ExportOut)
def export(body):
    """Ask the worker for an export: the ranking as Excel, the bulletin as Word."""
    return exports.request(current_user, body["kind"], body["period"])


@blp.get("/exports/<int:export_id>")
@blp.response(200, ExportOut)
def export_state(export_id):
    return exports.get(current_user, export_id)


@blp.get("/exports/<int:export_id>/file")
@blp.response(200, description="the file")
def export_file(export_id):
    path, name, mime = exports.file(current_user, export_id)
    return send_file(path, mimetype=mime, as_attachment=True, download_name=name)
