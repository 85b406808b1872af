"""The assessment plan (考核方案) in force: a versioned reference document like the catalogue,
seeded from data/plan.json and edited by district admins."""

from pathlib import Path

from app.catalogue import services as documents

KIND = "assessment_plan"
documents.ship(KIND, Path(__file__).parent / "data" / "plan.json")


def plan():
    """The plan in force (a dict)."""
    return documents.document(KIND)[1]
