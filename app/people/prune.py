"""Forgetting logins: sessions that ended and login attempts, once older than
LOGIN_RECORDS_DAYS. Without it both tables grow by every login of 13,000 people for ever."""

from datetime import timedelta

from flask import current_app
from sqlalchemy import and_, delete, false, or_, true

from app import clock, transaction
from app.extensions import db
from app.people.models import LoginAttempt, UserSession


def prune(now=None):
    """Delete the sessions that ended (logged out, revoked, idle or past their lifetime) and
    the login attempts made before the kept period. Returns (sessions, attempts) deleted.
    The throttle's window is minutes long, so no attempt it reads is ever this old."""
    config = current_app.config
    now = now or clock.now()
    before = now - timedelta(days=config["LOGIN_RECORDS_DAYS"])
    ended_before = or_(
        UserSession.revoked_at < before,
        UserSession.expires_at < before,
        and_(
            UserSession.remember == true(),
            UserSession.last_seen_at < before - config["REMEMBER_IDLE"],
        ),
        and_(
            UserSession.remember == false(),
            UserSession.last_seen_at < before - config["SESSION_IDLE"],
        ),
    )
    quick = {"synchronize_session": False}
    sessions = db.session.execute(
        delete(UserSession).where(ended_before), execution_options=quick
    ).rowcount
    attempts = db.session.execute(
        delete(LoginAttempt).where(LoginAttempt.at < before), execution_options=quick
    ).rowcount
    transaction.commit()
    return sessions, attempts
