"""微心愿 over HTTP: thin wrappers around app.wishes.services."""

from flask_login import current_user
from flask_smorest import Blueprint

from app.wishes import services
from app.wishes.schemas import (
    WallItem,
    WishClaimIn,
    WishConfirmIn,
    WishCountOut,
    WishCountQuery,
    WishDetail,
    WishFulfilIn,
    WishIn,
    WishOut,
    WishQuery,
    WishReasonIn,
    WishTallyOut,
    WishTallyQuery,
    WishVerifyIn,
    WishWallQuery,
)

blp = Blueprint("wishes", __name__, url_prefix="/api/wishes", description="微心愿")


def _detail(wish):
    return services.present(current_user, [wish], detail=True)[0]


@blp.post("")
@blp.arguments(WishIn)
@blp.response(201, WishDetail)
@blp.alt_response(200, schema=WishDetail, description="the same id again: the original")
def create(body):
    """A wish collected for a resident, to be verified."""
    wish, created = services.create(current_user, body)
    return _detail(wish), 201 if created else 200


@blp.get("")
@blp.arguments(WishQuery, location="query")
@blp.response(200, WishOut(many=True))
def listing(filters):
    return services.present(current_user, services.listing(current_user, filters))


@blp.get("/wall")
@blp.arguments(WishWallQuery, location="query")
@blp.response(200, WallItem(many=True))
def wall(query):
    """心愿墙: a community's open wishes, the beneficiary masked."""
    return services.wall(current_user, query["community"], query.get("category"))


@blp.get("/counts")
@blp.arguments(WishCountQuery, location="query")
@blp.response(200, WishCountOut(many=True))
def counts(query):
    """Fulfilled wishes by the date fulfilled, per community, street or claimant."""
    return services.counts(current_user, query["by"], query["since"], query["until"])


@blp.get("/tally")
@blp.arguments(WishTallyQuery, location="query")
@blp.response(200, WishTallyOut)
def tally(query):
    """A community's wishes by state: to verify, on the wall, claimed, to confirm, fulfilled."""
    return services.tally(current_user, query["community"])


@blp.get("/<wish_id>")
@blp.response(200, WishDetail)
def detail(wish_id):
    return _detail(services.get_visible(current_user, wish_id))


@blp.post("/<wish_id>/verify")
@blp.arguments(WishVerifyIn)
@blp.response(200, WishDetail)
def verify(body, wish_id):
    """核实: publish it on the wall, or withdraw it with the reason."""
    return _detail(services.verify(current_user, wish_id, body["passed"], body["reason"]))


@blp.post("/<wish_id>/withdraw")
@blp.arguments(WishReasonIn)
@blp.response(200, WishDetail)
def withdraw(body, wish_id):
    """Only while nobody has claimed it."""
    return _detail(services.withdraw(current_user, wish_id, body["reason"]))


@blp.post("/<wish_id>/claim")
@blp.arguments(WishClaimIn)
@blp.response(200, WishDetail)
@blp.alt_response(409, description="wish_claimed: someone else holds it")
def claim(body, wish_id):
    wish = services.claim(current_user, wish_id, body["joint_unit_id"], body["device_time"])
    return _detail(wish)


@blp.post("/<wish_id>/cancel")
@blp.arguments(WishReasonIn)
@blp.response(200, WishDetail)
def cancel(body, wish_id):
    """The claim ends and the wish goes back on the wall, with the reason."""
    return _detail(services.cancel(current_user, wish_id, body["reason"], body["device_time"]))


@blp.post("/<wish_id>/fulfil")
@blp.arguments(WishFulfilIn)
@blp.response(200, WishDetail)
def fulfil(body, wish_id):
    """Done, with photos; fulfilled at once if the beneficiary confirmed it here."""
    wish = services.fulfil(
        current_user,
        wish_id,
        body["note"],
        body["photos"],
        body["confirmed"],
        body["device_time"],
    )
    return _detail(wish)


@blp.post("/<wish_id>/confirm")
@blp.arguments(WishConfirmIn)
@blp.response(200, WishDetail)
def confirm(body, wish_id):
    """A grid member records the beneficiary's confirmation."""
    return _detail(services.confirm(current_user, wish_id, body["note"]))
