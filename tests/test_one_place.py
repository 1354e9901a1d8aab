"""Issue 11 item 13: a helper lives in one place, so the next engineer knows where a change goes. The source of
statuspage/ and notifiers/ is read with ``ast``: each name below is defined (def or module-level assignment)
exactly once, and no second dict ranks the component statuses under another name."""
import ast
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
COMPONENT_STATUSES = {"operational", "under_maintenance", "degraded_performance", "partial_outage", "major_outage"}


def _modules():
    for package in ("statuspage", "notifiers"):
        for path in sorted((ROOT / package).rglob("*.py")):
            yield path.relative_to(ROOT).as_posix(), ast.parse(path.read_text(encoding="utf-8"))


def _definitions(name: str) -> list[str]:
    found = []
    for where, tree in _modules():
        for node in ast.walk(tree):
            if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef) and node.name == name:
                found.append(f"{where}:{node.lineno}")
            elif isinstance(node, ast.Assign | ast.AnnAssign):
                targets = node.targets if isinstance(node, ast.Assign) else [node.target]
                if any(isinstance(t, ast.Name) and t.id == name for t in targets):
                    found.append(f"{where}:{node.lineno}")
    return found


@pytest.mark.parametrize("name", ["_where", "available_channels", "unavailable_reason", "COMPONENT_STATUS_RANK",
                                  "page_status"])
def test_the_helper_is_defined_exactly_once(name):
    assert len(_definitions(name)) == 1, f"{name} is defined at {_definitions(name)}"


def test_no_second_ranking_of_the_component_statuses():
    rankings = []
    for where, tree in _modules():
        for node in ast.walk(tree):
            if not isinstance(node, ast.Dict) or not node.keys:
                continue
            keys = {k.value for k in node.keys if isinstance(k, ast.Constant)}
            numbers = all(isinstance(v, ast.Constant) and isinstance(v.value, int) for v in node.values)
            if keys == COMPONENT_STATUSES and numbers:
                rankings.append(f"{where}:{node.lineno}")
    assert rankings == ["statuspage/domain/status.py:4"], rankings


def test_the_ranking_orders_maintenance_below_every_degradation():
    from statuspage.domain.status import COMPONENT_STATUS_RANK, worst_component_status

    assert sorted(COMPONENT_STATUS_RANK, key=COMPONENT_STATUS_RANK.get) == [
        "operational", "under_maintenance", "degraded_performance", "partial_outage", "major_outage"]
    assert worst_component_status(["under_maintenance", "degraded_performance", "operational"]) == \
        "degraded_performance"
