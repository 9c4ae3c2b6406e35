"""The training log: every set saved the moment it ends, in SQLite, so nothing trained is lost.

WAL mode and one transaction per event: a kill -9 at any moment loses at most the set in
progress, and the database is never left half-written. The schema version lives in the database
(PRAGMA user_version) and older databases are migrated forward when opened.
"""

from __future__ import annotations

import logging
import os
import sqlite3
import threading
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path

from voice_coach import user_dirs
from voice_coach.core.errors import VoiceCoachError
from voice_coach.core.events import Event, StateChange
from voice_coach.core.progression import PastSession, Target

MIGRATIONS: tuple[str, ...] = (
    # 1: sessions and their sets
    """
    CREATE TABLE sessions (
        id INTEGER PRIMARY KEY,
        script TEXT NOT NULL,
        workout TEXT NOT NULL,
        script_hash TEXT NOT NULL,
        started_at TEXT NOT NULL,
        ended_at TEXT,
        ended_how TEXT
    );
    CREATE TABLE sets (
        id INTEGER PRIMARY KEY,
        session_id INTEGER NOT NULL REFERENCES sessions(id),
        position INTEGER NOT NULL,
        exercise TEXT NOT NULL,
        set_number INTEGER NOT NULL,
        side TEXT NOT NULL DEFAULT '',
        reps_planned INTEGER NOT NULL,
        reps_done INTEGER NOT NULL,
        started_at TEXT,
        ended_at TEXT NOT NULL,
        ended_by TEXT NOT NULL,
        UNIQUE (session_id, position, set_number, side)
    );
    """,
    # 2: the tempo a set was done at, what mode a session ran in, and pauses and commands
    """
    ALTER TABLE sets ADD COLUMN tempo_factor REAL NOT NULL DEFAULT 1.0;
    ALTER TABLE sessions ADD COLUMN mode TEXT NOT NULL DEFAULT 'text';
    ALTER TABLE sessions ADD COLUMN variation TEXT;
    CREATE TABLE session_events (
        id INTEGER PRIMARY KEY,
        session_id INTEGER NOT NULL REFERENCES sessions(id),
        at TEXT NOT NULL,
        kind TEXT NOT NULL,
        detail TEXT
    );
    CREATE INDEX sets_by_exercise ON sets (exercise, ended_at);
    """,
    # 3: progression: what each session aimed at per exercise, and the effort said after a set
    """
    ALTER TABLE sets ADD COLUMN effort TEXT;
    CREATE TABLE targets (
        session_id INTEGER NOT NULL REFERENCES sessions(id),
        exercise TEXT NOT NULL,
        sets INTEGER NOT NULL,
        amount INTEGER NOT NULL,
        rest_seconds REAL NOT NULL,
        rule TEXT NOT NULL,
        change TEXT NOT NULL,
        PRIMARY KEY (session_id, exercise)
    );
    """,
    # 4: loads by voice: the load each set was done with, and the load each session proposed
    """
    ALTER TABLE sets ADD COLUMN load_kg REAL;
    ALTER TABLE targets ADD COLUMN load_kg REAL;
    """,
)
SCHEMA_VERSION = len(MIGRATIONS)
_LOGGER = logging.getLogger(__name__)
RESUME_WINDOW = timedelta(hours=12)
"""An unfinished session younger than this is offered to be continued."""


class LogError(VoiceCoachError):
    """The training log cannot be opened or written."""


def default_db_path() -> Path:
    if os.environ.get("VOICE_COACH_DB"):
        return Path(os.environ["VOICE_COACH_DB"])
    return user_dirs.data_dir() / "voice-coach.db"




@dataclass(frozen=True)
class LoggedSet:
    position: int
    exercise: str
    set_number: int
    side: str | None
    reps_planned: int
    reps_done: int
    ended_by: str
    ended_at: str
    effort: str | None = None
    """easy, good or hard, when the person said (after an exercise's last set)."""
    load_kg: float | None = None
    """The load it was done with (kilograms), for an exercise done with a weight."""


@dataclass(frozen=True)
class SessionRow:
    id: int
    script: str
    workout: str
    script_hash: str
    started_at: str
    ended_at: str | None
    ended_how: str | None
    sets: int
    reps: int


def migrate(connection: sqlite3.Connection, target: int = SCHEMA_VERSION) -> int:
    """Bring the schema up to `target`; returns the version found before."""
    found = connection.execute("PRAGMA user_version").fetchone()[0]
    if found > SCHEMA_VERSION:
        raise LogError(f"the log was written by a newer voice-coach (schema {found}); upgrade voice-coach")
    for version in range(found, target):
        with connection:  # each step commits whole or not at all
            connection.executescript("BEGIN;" + MIGRATIONS[version] + f"PRAGMA user_version = {version + 1};")
    return found


class TrainingLog:
    """One database connection, used from one thread at a time (a lock guards it)."""

    def __init__(self, path: Path | str, clock: Callable[[], datetime] | None = None):
        """`clock`: what time it is (UTC); a simulated session gives its own dated clock."""
        self.path = Path(path)
        self.clock = clock or (lambda: datetime.now(UTC))
        self._lock = threading.Lock()
        try:
            if str(path) != ":memory:":
                self.path.parent.mkdir(parents=True, exist_ok=True)
            self.db = sqlite3.connect(str(path), timeout=10, isolation_level=None, check_same_thread=False)
            self.db.execute("PRAGMA journal_mode=WAL")
            self.db.execute("PRAGMA synchronous=NORMAL")
            self.db.execute("PRAGMA foreign_keys=ON")
            migrate(self.db)
        except (sqlite3.Error, OSError) as err:
            raise LogError(f"cannot use the training log {path}: {err}") from err

    def check_writable(self) -> None:
        """Raises LogError unless a write through this connection and to the file itself works
        (for `voice-coach check`; nothing is left behind)."""
        try:
            self.db.execute("CREATE TEMP TABLE check_write (x)")
            self.db.execute("DROP TABLE check_write")
            if str(self.path) != ":memory:":
                with open(self.path, "ab"):
                    pass
        except (sqlite3.Error, OSError) as err:
            raise LogError(f"{self.path}: cannot be written ({err})") from err

    def close(self) -> None:
        with self._lock:
            self.db.close()

    def now_text(self) -> str:
        """The time now (the log's clock), as the log writes it."""
        return self.clock().astimezone(UTC).isoformat(timespec="milliseconds")

    def _write(self, sql: str, args: Iterable[object] = ()) -> int:
        with self._lock:
            with self.db:
                return self.db.execute(sql, tuple(args)).lastrowid

    # ----- writing -------------------------------------------------------------------------

    def begin_session(self, script: str, workout: str, script_hash: str, mode: str,
                      variation: str | None = None) -> int:
        return self._write(
            "INSERT INTO sessions (script, workout, script_hash, started_at, mode, variation) VALUES (?,?,?,?,?,?)",
            (script, workout, script_hash, self.now_text(), mode, variation),
        )

    def reopen_session(self, session_id: int) -> None:
        self._write("UPDATE sessions SET ended_at = NULL, ended_how = NULL WHERE id = ?", (session_id,))
        self.add_event(session_id, "resumed", "continued after an interruption")

    def end_session(self, session_id: int, how: str) -> None:
        self._write("UPDATE sessions SET ended_at = ?, ended_how = ? WHERE id = ?", (self.now_text(), how, session_id))

    def add_set(self, session_id: int, data: dict, started_at: str | None) -> None:
        """One side of one set as it ended; a set done again (after 'back') replaces its first try."""
        self._write(
            """INSERT INTO sets (session_id, position, exercise, set_number, side, reps_planned, reps_done,
                                 tempo_factor, started_at, ended_at, ended_by, load_kg)
               VALUES (?,?,?,?,?,?,?,?,?,?,?,?)
               ON CONFLICT (session_id, position, set_number, side) DO UPDATE SET
                 reps_planned = excluded.reps_planned, reps_done = excluded.reps_done,
                 tempo_factor = excluded.tempo_factor, started_at = excluded.started_at,
                 ended_at = excluded.ended_at, ended_by = excluded.ended_by, load_kg = excluded.load_kg""",
            (session_id, data["position"], data["exercise"], data["set"], data.get("side") or "",
             data["reps_planned"], data["reps_done"], data.get("tempo", 1.0), started_at, self.now_text(),
             data["ended_by"], data.get("load_kg")),
        )

    def add_event(self, session_id: int, kind: str, detail: str | None = None) -> None:
        self._write("INSERT INTO session_events (session_id, at, kind, detail) VALUES (?,?,?,?)",
                    (session_id, self.now_text(), kind, detail))

    # ----- reading -------------------------------------------------------------------------

    def _rows(self, sql: str, args: Iterable[object] = ()) -> list[tuple]:
        with self._lock:
            return self.db.execute(sql, tuple(args)).fetchall()

    def sets_of(self, session_id: int) -> list[LoggedSet]:
        rows = self._rows(
            """SELECT position, exercise, set_number, side, reps_planned, reps_done, ended_by, ended_at, effort,
                      load_kg
               FROM sets WHERE session_id = ? ORDER BY ended_at, id""", (session_id,))
        return [LoggedSet(r[0], r[1], r[2], r[3] or None, r[4], r[5], r[6], r[7], r[8], r[9]) for r in rows]

    def unfinished_session(self, script: str, within: timedelta | None = RESUME_WINDOW) -> SessionRow | None:
        """The latest session of `script` that never ended (killed, unplugged), if recent enough."""
        sessions = [s for s in self.sessions(script=script, limit=1) if s.ended_at is None]
        if not sessions:
            return None
        started = datetime.fromisoformat(sessions[0].started_at)
        if within is not None and self.clock() - started > within:
            return None
        return sessions[0]

    def sessions(self, script: str | None = None, limit: int = 20, session_id: int | None = None) -> list[SessionRow]:
        """Latest first, with their set and rep totals; of one script, or the one session `session_id`."""
        where, args = ("", [])
        if script:
            where, args = "WHERE s.script = ?", [script]
        elif session_id is not None:
            where, args = "WHERE s.id = ?", [session_id]
        rows = self._rows(
            f"""SELECT s.id, s.script, s.workout, s.script_hash, s.started_at, s.ended_at, s.ended_how,
                       COUNT(DISTINCT t.position || '/' || t.set_number), COALESCE(SUM(t.reps_done), 0)
                FROM sessions s LEFT JOIN sets t ON t.session_id = s.id {where}
                GROUP BY s.id ORDER BY s.started_at DESC, s.id DESC LIMIT ?""", (*args, limit))
        return [SessionRow(*row) for row in rows]

    def session(self, session_id: int) -> SessionRow | None:
        rows = self.sessions(limit=1, session_id=session_id)
        return rows[0] if rows else None

    def exercise_history(self, exercise: str) -> list[tuple[str, int, int, int, str | None, str | None,
                                                            float | None]]:
        """(session start, sets, total reps, best reps in a set, the target "3 x 13" when the
        session had one, the effort said, the load of its last set with one in kg) per session,
        oldest first."""
        return self._rows(
            """SELECT s.started_at, COUNT(DISTINCT t.set_number), SUM(t.reps_done), MAX(t.reps_done),
                      (SELECT g.sets || ' x ' || g.amount FROM targets g
                       WHERE g.session_id = s.id AND g.exercise = t.exercise),
                      (SELECT e.effort FROM sets e WHERE e.session_id = s.id AND e.exercise = t.exercise
                       AND e.effort IS NOT NULL ORDER BY e.ended_at DESC LIMIT 1),
                      (SELECT w.load_kg FROM sets w WHERE w.session_id = s.id AND w.exercise = t.exercise
                       AND w.load_kg IS NOT NULL ORDER BY w.ended_at DESC, w.id DESC LIMIT 1)
               FROM sets t JOIN sessions s ON s.id = t.session_id
               WHERE t.exercise = ? GROUP BY s.id ORDER BY s.started_at""", (exercise,))

    def update_set(self, session_id: int, where: dict, **values: object) -> None:
        """Change a logged set (effort, or reps_done corrected by the person): `where` names it
        as a set event does (position, set, side)."""
        columns = {"effort": "effort", "reps_done": "reps_done", "load_kg": "load_kg"}
        assignments = ", ".join(f"{columns[key]} = ?" for key in values)
        self._write(f"UPDATE sets SET {assignments} "
                    "WHERE session_id = ? AND position = ? AND set_number = ? AND side = ?",
                    (*values.values(), session_id, where["position"], where["set"], where.get("side") or ""))

    def record_targets(self, session_id: int, targets: Iterable[Target]) -> None:
        """What this session aims at per exercise (the next session's progression starts from it)."""
        for target in targets:
            self._write(
                """INSERT OR REPLACE INTO targets (session_id, exercise, sets, amount, rest_seconds, rule, change,
                                                  load_kg)
                   VALUES (?,?,?,?,?,?,?,?)""",
                (session_id, target.exercise, target.sets, int(target.amount), target.rest_seconds, target.rule,
                 target.change, target.load_kg))

    def past_sessions(self, exercise: str, before_session: int | None = None,
                      counted_per_rep: int = 1) -> list[PastSession]:
        """The earlier sessions of `exercise`, oldest first: what each aimed at (its recorded
        target; for a session from before progression, the sets done and the reps planned) and
        whether every set reached its reps. Sessions with no set of it done are not counted.
        `counted_per_rep`: 2 for an exercise that alternates sides, whose sets log both sides'
        reps (8 a side is 16) while its target counts one side."""
        rows = self._rows(
            """SELECT s.id, s.started_at, t.set_number, t.side, t.reps_planned, t.reps_done, t.effort,
                      g.sets, g.amount, t.load_kg
               FROM sets t JOIN sessions s ON s.id = t.session_id
               LEFT JOIN targets g ON g.session_id = s.id AND g.exercise = t.exercise
               WHERE t.exercise = ? AND s.id != COALESCE(?, -1)
               ORDER BY s.started_at, s.id, t.ended_at""", (exercise, before_session))
        sessions: dict[int, list[tuple]] = {}
        for row in rows:
            sessions.setdefault(row[0], []).append(row)
        past = []
        for sets in sessions.values():
            started = datetime.fromisoformat(sets[0][1])
            aimed_sets = sets[0][7] if sets[0][7] is not None else len({row[2] for row in sets})
            amount = sets[0][8] if sets[0][8] is not None else max(row[4] for row in sets) // counted_per_rep
            full = {row[2] for row in sets if row[5] >= row[4]} - {row[2] for row in sets if row[5] < row[4]}
            efforts = [row[6] for row in sets if row[6]]
            loads = [row[9] for row in sets if row[9] is not None]
            past.append(PastSession(started.astimezone().date(), aimed_sets, amount,
                                    len(full) >= aimed_sets, efforts[-1] if efforts else None,
                                    loads[-1] if loads else None))
        return past

    def last_time(self, exercise: str, before_session: int | None = None) -> tuple[int, int] | None:
        """(sets, most reps in a set) the last time `exercise` was done, in an earlier session."""
        rows = self._rows(
            """SELECT t.session_id, COUNT(DISTINCT t.set_number), MAX(t.reps_done)
               FROM sets t WHERE t.exercise = ? AND t.session_id != COALESCE(?, -1)
               GROUP BY t.session_id ORDER BY MAX(t.ended_at) DESC LIMIT 1""", (exercise, before_session))
        return (rows[0][1], rows[0][2]) if rows else None


class SessionRecorder:
    """Listens to a session's events and writes them to the log as they happen.

    If the log fails mid-session (disk full, read-only), it warns once and keeps the rest in an
    in-memory log, so the workout goes on and nothing already saved is touched.
    """

    def __init__(self, log: TrainingLog, session_id: int):
        self.log, self.session_id = log, session_id
        self._set_started: str | None = None
        self.failed = False

    def deliver(self, events: list[Event]) -> None:
        for event in events:
            try:
                self._record(event)
            except (sqlite3.Error, OSError) as err:
                self._fall_back(err)
                self._record(event)

    def _record(self, event: Event) -> None:
        data = event.data
        if event.kind == "command":
            self.log.add_event(self.session_id, "command", event.text)
        elif event.kind == "state":
            state = data.get("state")
            if state == StateChange.SET_START:
                self._set_started = self.log.now_text()
            elif state == StateChange.SET_END:
                self.log.add_set(self.session_id, data, self._set_started)
            elif state == StateChange.EFFORT:
                self.log.update_set(self.session_id, data, effort=data["effort"])
            elif state == StateChange.REPS_CORRECTED:
                self.log.update_set(self.session_id, data, reps_done=data["reps_done"])
            elif state == StateChange.LOAD and "set" in data:  # said after that set: it was done with this
                self.log.update_set(self.session_id, data, load_kg=data["load_kg"])
            elif state in (StateChange.PAUSED, StateChange.RESUMED):
                self.log.add_event(self.session_id, str(state))
            elif state == StateChange.FINISHED:
                self.log.end_session(self.session_id, str(data.get("ended_by", "complete")))

    def _fall_back(self, err: Exception) -> None:
        if self.failed:
            raise LogError(f"the in-memory log failed too: {err}") from err
        self.failed = True
        _LOGGER.error("cannot write the training log (%s); this session is kept in memory only", err)
        memory = TrainingLog(":memory:")
        self.session_id = memory.begin_session("?", "?", "?", "memory")
        self.log = memory
