"""The party organisation over HTTP: thin wrappers around app.party.services."""

from flask_login import current_user
from flask_smorest import Blueprint

from app.party import services
from app.party.schemas import (
    JointUnitIn,
    JointUnitOut,
    JointUnitQuery,
    PartyCommunityQuery,
    PartyMemberEdit,
    PartyMemberIn,
    PartyMemberOut,
    PartyOrgIn,
    PartyOrgOut,
    PartyRecordOut,
    PartySecretaryIn,
    ServiceReportIn,
    ServiceReportOut,
)
from app.schemas import Shown

blp = Blueprint("party", __name__, url_prefix="/api/party", description="党组织")


def _with_members(orgs):
    members = services.members_of(org.id for org in orgs)
    out = []
    for org in orgs:
        mine = members.get(org.id, [])
        secretary = next((m for m in mine if m.secretary), None)
        out.append(Shown(org, members=mine, secretary=secretary))
    return out


@blp.post("/orgs")
@blp.arguments(PartyOrgIn)
@blp.response(201, PartyOrgOut)
def create_org(body):
    """A community's committee (党委), or a grid's branch (党支部) or party group (党小组)."""
    return _with_members([services.create_org(current_user, body)])[0]


@blp.get("/orgs")
@blp.arguments(PartyCommunityQuery, location="query")
@blp.response(200, PartyOrgOut(many=True))
def orgs(query):
    """A community's committee and its grids' branches, with their members."""
    return _with_members(services.orgs(current_user, query["community"]))


@blp.get("/orgs/<int:org_id>")
@blp.response(200, PartyOrgOut)
def org(org_id):
    return _with_members([services.get_org(current_user, org_id)])[0]


@blp.post("/orgs/<int:org_id>/secretary")
@blp.arguments(PartySecretaryIn)
@blp.response(200, PartyOrgOut)
def set_secretary(body, org_id):
    return _with_members([services.set_secretary(current_user, org_id, body["member_id"])])[0]


@blp.post("/members")
@blp.arguments(PartyMemberIn)
@blp.response(201, PartyMemberOut)
def add_member(body):
    """A member of a branch: 正式 or 预备; a 流动党员 with where they come from."""
    return services.add_member(current_user, body)


@blp.patch("/members/<int:member_id>")
@blp.arguments(PartyMemberEdit)
@blp.response(200, PartyMemberOut)
def edit_member(body, member_id):
    """转正 (预备 → 正式), or a member becoming (or no longer) a 流动党员."""
    return services.edit_member(current_user, member_id, body)


@blp.post("/reports")
@blp.arguments(ServiceReportIn)
@blp.response(201, ServiceReportOut)
def report(body):
    """在职党员报到: the member's login then sees the community's wishes and activities."""
    return services.report(current_user, body)


@blp.get("/reports")
@blp.arguments(PartyCommunityQuery, location="query")
@blp.response(200, ServiceReportOut(many=True))
def reports(query):
    community = services.community(current_user, query["community"])
    return services.reports_to(community.id)


@blp.post("/joint-units")
@blp.arguments(JointUnitIn)
@blp.response(201, JointUnitOut)
def add_joint_unit(body):
    """联建单位: a unit whose party organisation is joint-built with the street."""
    return services.add_joint_unit(current_user, body)


@blp.get("/joint-units")
@blp.arguments(JointUnitQuery, location="query")
@blp.response(200, JointUnitOut(many=True))
def joint_units(query):
    return services.joint_units(current_user, query["street"])


@blp.get("/me")
@blp.response(200, PartyRecordOut)
def own_record():
    """我的党员档案: my organisation, where I reported, my wishes."""
    return services.own_record(current_user)
