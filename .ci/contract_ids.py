"""Prints the contract-fuzzing configuration: the base file, plus, for every
operation whose path takes ids, the ids of real records (the demo case's)."""

import json
import sys
import urllib.request

base, token, config = sys.argv[1], sys.argv[2], sys.argv[3]


def call(method, path, body=None):
    request = urllib.request.Request(
        base + path,
        method=method,
        data=None if body is None else json.dumps(body).encode(),
        headers={"Authorization": f"Bearer {token}", "Content-Type": "application/json"},
    )
    with urllib.request.urlopen(request) as response:
        return json.load(response)


case = call("GET", "/api/v1/cases?q=Bokayev&limit=1")["items"][0]["id"]
detail = call("GET", f"/api/v1/cases/{case}")
ids = {
    "case": case,
    "defender": detail["defenders"][0]["id"],
    "charge": detail["charges"][0]["id"],
    "trial": detail["trials"][0]["id"],
    "hearing": detail["trials"][0]["hearings"][0]["id"],
    "intervention": detail["interventions"][0]["id"],
    "event": call("GET", f"/api/v1/cases/{case}/events?limit=1")["items"][0]["id"],
    "subscription": call(
        "POST",
        "/api/v1/subscriptions",
        {"subscriber": {"name": "Contract", "email": "contract@partners.example"}, "case_id": case},
    )["id"],
}
other = call("GET", "/api/v1/cases?limit=200")["items"]
for item in other:
    found = call("GET", f"/api/v1/cases/{item['id']}/sentences?limit=1")["items"]
    if found:
        ids["sentence"] = found[0]["id"]
        break
ids["alert"] = call("GET", "/api/v1/alerts?limit=1")["items"][0]["id"]

# Path template -> {parameter: record kind}.
templates = {
    "/api/v1/cases/{id}": {"id": "case"},
    "/api/v1/cases/{id}/charges": {"id": "case"},
    "/api/v1/cases/{id}/trials": {"id": "case"},
    "/api/v1/cases/{id}/sentences": {"id": "case"},
    "/api/v1/cases/{id}/events": {"id": "case"},
    "/api/v1/cases/{id}/events/{event_id}": {"id": "case", "event_id": "event"},
    "/api/v1/cases/{id}/defenders/{defender_id}": {"id": "case", "defender_id": "defender"},
    "/api/v1/defenders/{id}": {"id": "defender"},
    "/api/v1/defenders/{id}/cases": {"id": "defender"},
    "/api/v1/defenders/{id}/events": {"id": "defender"},
    "/api/v1/charges/{id}": {"id": "charge"},
    "/api/v1/trials/{id}": {"id": "trial"},
    "/api/v1/trials/{id}/hearings": {"id": "trial"},
    "/api/v1/hearings/{id}": {"id": "hearing"},
    "/api/v1/sentences/{id}": {"id": "sentence"},
    "/api/v1/interventions/{id}": {"id": "intervention"},
    "/api/v1/interventions/{id}/cases/{case_id}": {"id": "intervention", "case_id": "case"},
    "/api/v1/subscriptions/{id}": {"id": "subscription"},
    "/api/v1/alerts/{id}/retry": {"id": "alert"},
}

print(open(config).read())
for template, params in templates.items():
    values = {name: ids[kind] for name, kind in params.items() if kind in ids}
    if not values:
        continue
    print("[[operations]]")
    print(f"include-path = {json.dumps(template)}")
    pairs = ", ".join(f'"path.{name}" = {json.dumps(value)}' for name, value in values.items())
    print(f"parameters = {{ {pairs} }}")
    print()
print("[[operations]]")
print('include-path = "/api/v1/countries/{code}"')
print('parameters = { "path.code" = "KZ" }')
