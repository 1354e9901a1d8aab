"""ITIL priority from impact and urgency (1 high .. 3 low), by a configurable matrix."""

LEVELS = {1: "High", 2: "Medium", 3: "Low"}
# DEFAULT_MATRIX[impact][urgency] -> priority 1 (critical) .. 5 (planning)
DEFAULT_MATRIX = {
    1: {1: 1, 2: 2, 3: 3},
    2: {1: 2, 2: 3, 3: 4},
    3: {1: 3, 2: 4, 3: 5},
}
PRIORITY_LABEL = {1: "P1 Critical", 2: "P2 High", 3: "P3 Moderate", 4: "P4 Low", 5: "P5 Planning"}


def priority_for(impact: int | None, urgency: int | None, matrix: dict | None = None) -> int | None:
    """The priority for an impact and urgency, or None when either is unknown."""
    if impact is None or urgency is None:
        return None
    matrix = matrix or DEFAULT_MATRIX
    try:
        return int(matrix[int(impact)][int(urgency)])
    except (KeyError, ValueError, TypeError):
        raise ValueError("impact and urgency must each be 1 (high), 2 (medium) or 3 (low)") from None
