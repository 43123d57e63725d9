"""Contract fuzzing hooks (.ci/contract loads them).

- A 422 to schema-valid input is a finding unless every field it names has a rule
  that depends on data: a record that must exist or belong to the case, a cursor the
  service issued, a rule across fields or against the record's current state. Every
  other rule is stated in the OpenAPI document, so schema-valid input must pass it.
- Cursors are fuzzed by what they hold: a schema-valid cursor is base64url text, and
  random base64 almost never decodes to a key list; keys holding hostile text (a NUL
  character, quotes, very long or empty text) are what reach the database.
"""

import base64
import json
import random

import schemathesis

# Operation -> fields whose rules depend on data or on other fields.
DATA_RULES = {
    # closed_reason goes with a closed status; the current state decides on PATCH.
    "POST /api/v1/cases": {"closed_reason"},
    "PATCH /api/v1/cases/{id}": {"closed_reason"},
    # A search term is what is left after folding to letters and digits.
    "GET /api/v1/cases": {"q"},
    "GET /api/v1/defenders": {"q"},
    # The defender must be in the case.
    "POST /api/v1/cases/{id}/charges": {"defender_id"},
    # A fine's amount and currency come together.
    "POST /api/v1/cases/{id}/sentences": {"defender_id", "amount", "currency"},
    "PATCH /api/v1/sentences/{id}": {"amount", "currency"},
    # A trial ends after it starts; a decided trial has an outcome.
    "POST /api/v1/cases/{id}/trials": {"ended_on", "outcome"},
    "PATCH /api/v1/trials/{id}": {"ended_on", "outcome"},
    # The offset must be the court's at that instant; the trial must be the case's.
    "POST /api/v1/trials/{id}/hearings": {"scheduled_at"},
    "PATCH /api/v1/hearings/{id}": {"scheduled_at", "trial_id"},
    # The followed appeal must exist; a deadline follows the issue date.
    "POST /api/v1/interventions": {"follows_id", "deadline"},
    "PATCH /api/v1/interventions/{id}": {"follows_id", "deadline"},
    # Defenders of the case, an existing intervention.
    "POST /api/v1/cases/{id}/events": {"defender_ids", "intervention_id"},
    # Exactly one target, an existing case; staff name the subscriber.
    "POST /api/v1/subscriptions": {"case_id", "country", "subject", "subscriber"},
    # A partner token speaks for a subscriber; an expiry lies in the future.
    "POST /api/v1/tokens": {"subscriber", "expires_at"},
    # A period ends after it starts.
    "GET /api/v1/cases/{id}/events": {"until"},
    "GET /api/v1/defenders/{id}/events": {"until"},
    "GET /api/v1/hearings": {"to"},
    "GET /api/v1/hearings.ics": {"to"},
}


def _top(field):
    return field.split(".")[0].split("[")[0]


def _wholly_positive(case):
    """Schema-valid in every part: a positive case may still carry a negative
    component (a coverage scenario)."""
    meta = case.meta
    return (
        meta is not None
        and meta.generation.mode.is_positive
        and not any(meta.is_negative_at(location) for location in meta.components)
    )


@schemathesis.check
def refusals_of_valid_input_name_data_rules(ctx, response, case):
    """A 422 to schema-valid input names only fields with rules that depend on data."""
    if response.status_code != 422 or not _wholly_positive(case):
        return None
    try:
        errors = response.json().get("errors") or []
    except ValueError:
        raise AssertionError("a 422 without a problem document")
    named = {_top(e.get("field", "")) for e in errors}
    allowed = DATA_RULES.get(case.operation.label, set()) | {"cursor"}
    unexpected = sorted(named - allowed)
    if unexpected:
        raise AssertionError(
            f"schema-valid input refused for {unexpected}, a rule the OpenAPI document does not state: {errors}"
        )
    return None


HOSTILE_KEYS = [
    "\u0000",
    "a\u0000b",
    "",
    "'",
    "\"; DROP TABLE cases; --",
    "%",
    "\\",
    "\u00e9\u4e2d",
    "\U0001f600",
    "2016-10-12",
    "2016-10-12T10:00:00.000000",
    "-1",
    "1e309",
    "NaN",
    "x" * 300,
]


@schemathesis.hook
def map_case(context, case):
    if not _wholly_positive(case) or not isinstance(case.query, dict) or "cursor" not in case.query:
        return case
    rng = random.Random(repr(sorted(case.query.items())))
    keys = [
        rng.choice(HOSTILE_KEYS) if rng.random() < 0.7 else str(rng.randint(0, 10**6))
        for _ in range(rng.randint(1, 4))
    ]
    raw = json.dumps(keys).encode()
    case.query["cursor"] = base64.urlsafe_b64encode(raw).decode().rstrip("=")
    return case
