"""Return visits over HTTP: thin wrappers around app.return_visits.services."""

from flask_login import current_user
from flask_smorest import Blueprint

from app.incidents import services as incidents
from app.incidents.schemas import IncidentOut
from app.return_visits import services
from app.return_visits.schemas import PendingQuery, VisitIn, VisitOut

blp = Blueprint("return_visits", __name__, url_prefix="/api", description="Return visits (回访)")


@blp.post("/incidents/<incident_id>/return-visits")
@blp.arguments(VisitIn())
@blp.response(201, VisitOut)
def record(body, incident_id):
    """Record the resident's verdict on a closed case, or that nobody was reached."""
    return services.record(
        current_user, incident_id, body["verdict"], body["note"], body["reached"]
    )


@blp.get("/incidents/<incident_id>/return-visits")
@blp.response(200, VisitOut(many=True))
def visits(incident_id):
    return services.visits(current_user, incident_id)


@blp.get("/return-visits/pending")
@blp.arguments(PendingQuery(), location="query")
@blp.response(200, IncidentOut(many=True))
def pending(args):
    """Closed cases of my area still waiting for their 回访, longest closed first."""
    return incidents.present(current_user, services.pending(current_user, args["limit"]))
