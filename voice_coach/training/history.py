"""`voice-coach history`: what the training log holds, as a table, CSV or JSON."""

from __future__ import annotations

import csv
import json
import sys
from datetime import datetime
from typing import TextIO

from voice_coach.core.loads import amount_text, from_kg
from voice_coach.training.log import TrainingLog


def _local(stamp: str | None) -> str:
    if not stamp:
        return "-"
    return datetime.fromisoformat(stamp).astimezone().strftime("%Y-%m-%d %H:%M")


def _duration(start: str, end: str | None) -> str:
    if not end:
        return "-"
    seconds = (datetime.fromisoformat(end) - datetime.fromisoformat(start)).total_seconds()
    return f"{int(seconds // 60)}:{int(seconds % 60):02d}"


def load_text(kg: float | None, units: str) -> str:
    """A logged load in the person's unit: "20 kg", "45 lb"; "-" for none."""
    return "-" if kg is None else f"{amount_text(from_kg(kg, units))} {units}"


def sessions_view(log: TrainingLog, limit: int) -> tuple[list[str], list[list[object]]]:
    header = ["id", "date", "workout", "duration", "sets", "reps", "ended"]
    rows = [[s.id, _local(s.started_at), s.workout, _duration(s.started_at, s.ended_at), s.sets, s.reps,
             s.ended_how or "unfinished"] for s in log.sessions(limit=limit)]
    return header, rows


def session_view(log: TrainingLog, session_id: int, units: str = "kg") -> tuple[list[str], list[list[object]]]:
    header = ["time", "exercise", "set", "side", "reps", "planned", "load", "ended by", "effort"]
    rows = [[_local(s.ended_at)[11:], s.exercise, s.set_number, s.side or "-", s.reps_done, s.reps_planned,
             load_text(s.load_kg, units), s.ended_by, s.effort or "-"] for s in log.sets_of(session_id)]
    return _load_if_any(header, rows)


def exercise_view(log: TrainingLog, name: str, limit: int, units: str = "kg") -> tuple[list[str], list[list[object]]]:
    """Per exercise over time: `name` is a script (every exercise in it) or an exercise."""
    sessions = log.sessions(script=name, limit=limit)
    exercises = sorted({s.exercise for session in sessions for s in log.sets_of(session.id)}) or [name]
    header = ["date", "exercise", "load", "sets", "reps", "best set", "target", "effort"]
    rows = []
    for exercise in exercises:
        for started, sets, reps, best, target, effort, load in log.exercise_history(exercise)[-limit:]:
            rows.append([_local(started), exercise, load_text(load, units), sets, reps, best, target or "-",
                         effort or "-"])
    return _load_if_any(header, sorted(rows, key=lambda row: (row[1], row[0])))


def _load_if_any(header: list[str], rows: list[list[object]]) -> tuple[list[str], list[list[object]]]:
    """The load column only where something was done with a weight (body weight needs none)."""
    column = header.index("load")
    if any(row[column] != "-" for row in rows):
        return header, rows
    return header[:column] + header[column + 1:], [row[:column] + row[column + 1:] for row in rows]


def write(header: list[str], rows: list[list[object]], form: str, out: TextIO = sys.stdout) -> None:
    if form == "csv":
        writer = csv.writer(out)
        writer.writerow(header)
        writer.writerows(rows)
    elif form == "json":
        for row in rows:
            print(json.dumps(dict(zip(header, row)), ensure_ascii=False), file=out)
    else:
        widths = [max(len(str(cell)) for cell in [title, *(row[i] for row in rows)]) for i, title in enumerate(header)]
        for row in [header, *rows]:
            print("  ".join(str(cell).ljust(width) for cell, width in zip(row, widths)).rstrip(), file=out)
        if not rows:
            print("(nothing logged yet)", file=out)
