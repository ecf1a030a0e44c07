"""How much of the main screen the form (editor, matrix) takes, and the results the rest.

Below ``BESIDE_MIN_WIDTH`` columns the form sits above the results and the split is a number
of rows; from there on it sits left of them and the split is a number of columns. Unless the
user moved the split (remembered as a percentage of the screen, so it survives a resize), the
form is sized to its content within bounds: a short prompt leaves the results the room.
"""

from __future__ import annotations

BESIDE_MIN_WIDTH = 150  # this wide and wider: the form left of the results
SPLIT_STEP = 5  # percent of the screen per key press
SPLIT_MIN, SPLIT_MAX = 10, 90  # the percentages a user can choose

ROWS_SHORT = 10  # the form's least height on a short terminal (under 30 rows): 80x24 keeps
ROWS_LEAST = 11  # a whole 8-row cell under the no-keys notice
ROWS_MOST = 24
COLS_LEAST = 48  # the model names and their "set KEY" reasons stay readable
RESULTS_LEAST = 8  # a cell: its border, five lines of answer, the figures


def beside(width: int) -> bool:
    """Is the terminal wide enough for the form to sit left of the results?"""
    return width >= BESIDE_MIN_WIDTH


def form_rows(height: int, want: int, split: int | None, shared: int = 0) -> int:
    """The form's height, above the results: the user's split, else what its content wants
    within bounds (never more than 45% of the screen, nor more than 24 rows). ``shared``, the
    rows the form and the results have between them now, keeps the results a whole cell."""
    if split is not None:
        rows = _clamp(round(height * split / 100), 6, height - RESULTS_LEAST)
    else:
        least = ROWS_SHORT if height < 30 else ROWS_LEAST
        rows = _clamp(want, least, max(least, min(ROWS_MOST, int(height * 0.45))))
    if shared > RESULTS_LEAST:
        rows = min(rows, max(6, shared - RESULTS_LEAST))
    return rows


def form_cols(width: int, want: int, split: int | None) -> int:
    """The form's width, left of the results: the user's split, else what its longest line
    wants within bounds (always less than half the screen)."""
    if split is not None:
        return _clamp(round(width * split / 100), 30, width - 30)
    return _clamp(want, COLS_LEAST, max(COLS_LEAST, (width - 1) // 2))


def moved(split: int | None, size: int, total: int, step: int) -> int:
    """The split after one key press (``step`` is +1 larger or -1 smaller), from the size
    the form has now when the user had not chosen one yet."""
    now = split if split is not None else round(100 * size / max(1, total))
    now = SPLIT_STEP * round(now / SPLIT_STEP)  # whole steps: the same presses, the same sizes
    return _clamp(now + step * SPLIT_STEP, SPLIT_MIN, SPLIT_MAX)


def _clamp(value: int, low: int, high: int) -> int:
    return max(low, min(high, value))
