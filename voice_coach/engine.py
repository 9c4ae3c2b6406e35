"""The session engine: walks a workout's timeline on a clock and reacts to commands.

Pure logic. It is given a clock and a phrase table, it is told the time has moved (`advance`) or
that a command was heard (`hear`), and it answers with events: what to say, which tone to play,
what state the session is in. It never reads the time itself and knows nothing of audio devices,
so a whole workout runs in milliseconds on a fake clock.
"""

from __future__ import annotations

import enum
from collections.abc import Iterable
from dataclasses import dataclass, field, replace

from .clock import Clock
from .events import Event
from .phrases import Phrases
from .plan import ExercisePlan, Plan
from .timeline import (
    GAP,
    Beat,
    RepContext,
    SpeechEstimator,
    Step,
    StepBeats,
    build_steps,
    countdown_beats,
    hold_beats,
    rep_beats,
    talk_beats,
    words_per_minute_estimator,
)

TEMPO_STEP = 1.2
"""slower multiplies rep time by this, faster divides by it."""
TEMPO_LIMITS = (0.5, 2.0)
"""Bounds of the tempo factor, so a run of 'faster' cannot make reps impossible."""
MORE_REST_SECONDS = 30.0
STOP_CONFIRM_SECONDS = 6.0
"""A second 'stop' within this window ends the workout; a stray single word cannot."""
VOLUME_STEP = 0.1
SHORT_REST_SECONDS = 5.0
"""A rest shorter than this passes without being announced (it would take longer to say)."""


class Mode(enum.Enum):
    RUNNING = "running"
    WAITING = "waiting"
    """Waiting for the person to say ready before a set."""
    PAUSED = "paused"
    FINISHED = "finished"


@dataclass(frozen=True)
class Settings:
    auto_start_seconds: float | None = None
    """Start each set by itself this long after its announcement (seconds); None waits for 'ready'."""
    volume: float = 0.8
    """Initial output volume (0 to 1)."""
    estimate_speech: SpeechEstimator = field(default_factory=words_per_minute_estimator)


@dataclass(frozen=True)
class SetRecord:
    """One side of one set, as it ended."""

    exercise: int
    exercise_name: str
    set: int
    side: str | None
    reps_planned: int
    reps_done: int
    ended_by: str
    """complete, next, done, skip or stop."""


class Engine:
    def __init__(self, plan: Plan, phrases: Phrases, clock: Clock, settings: Settings | None = None,
                 done: Iterable[SetRecord] = (), last_time: dict[str, tuple[int, int]] | None = None):
        """`done`: set parts finished in an earlier, interrupted run of this workout (they are left out).
        `last_time`: per exercise name, (sets, best reps) the previous time, said at its first set."""
        self.plan = plan
        self.phrases = phrases
        self.clock = clock
        self.settings = settings or Settings()
        earlier = {(record.exercise, record.set, record.side): record for record in done}
        self.steps: list[Step] = build_steps(plan, phrases, frozenset(earlier))
        self.last_time = dict(last_time or {})
        self.resumed = bool(earlier)
        self.mode = Mode.RUNNING
        self.index = 0
        self.beats: StepBeats = StepBeats([], 0.0)
        self.beat_index = 0
        self.step_started = 0.0
        self.waiting_since = 0.0
        self.paused_mode = Mode.RUNNING
        self.paused_at = 0.0
        self.tempo_factor = 1.0
        self.volume = self.settings.volume
        self.reps_done = 0
        self.last_instruction: str | None = None
        self.stop_asked_at: float | None = None
        self.records: dict[tuple[int, int, str | None], SetRecord] = earlier
        self.started_at = 0.0
        self._tips: dict[str, int] = {}
        self._taught_ready = False
        self._started = False
        self._replanned = False

    # ----- the outside world calls these -----------------------------------------------------

    def start(self) -> list[Event]:
        """Begin the workout: the first step's beats, and whatever is due right away."""
        if self._started:
            return []
        self._started = True
        self.started_at = self.clock.now()
        out: list[Event] = [self._state("started", workout=self.plan.name)]
        self._enter(0, out)
        out += self.advance()
        return out

    def next_due(self) -> float | None:
        """When `advance` next has something to do (session seconds), or None if only a command can help."""
        if self.mode is Mode.RUNNING:
            if self.beat_index < len(self.beats.beats):
                return self.step_started + self.beats.beats[self.beat_index].at
            return self.step_started + self.beats.duration
        if self.mode is Mode.WAITING and self.settings.auto_start_seconds is not None:
            return self.waiting_since + self.settings.auto_start_seconds
        return None

    @property
    def finished(self) -> bool:
        return self.mode is Mode.FINISHED

    def advance(self, until: float | None = None) -> list[Event]:
        """Emit every beat due by `until` (default: now) and move through finished steps.

        A speaker asks a little ahead (`until` = now + its lookahead) so it can start each sound
        on its exact sample; should a command change course, the events say so ("replanned").
        """
        out: list[Event] = []
        now = self.clock.now() if until is None else until
        for _ in range(100_000):  # a bound, not a loop condition: a bug must not hang the coach
            due = self.next_due()
            if due is None or due > now + 1e-9:
                break
            if self.mode is Mode.WAITING:
                self._start_work(due, out)
            elif self.beat_index < len(self.beats.beats):
                self._emit_beat(self.beats.beats[self.beat_index], due, out)
                self.beat_index += 1
            else:
                self._finish_step(due, "complete", out)
        return out

    def hear(self, heard: str) -> list[Event]:
        """A command from the person (a phrase or a command name)."""
        now = self.clock.now()
        command = self.phrases.command_for(heard)
        out = [Event(now, "command", heard, {"command": command})]
        if self.mode is Mode.FINISHED:
            return out
        if command is None:
            self._say(self.phrases.say("not_understood"), now, out)
            return out
        if command != "stop":
            self.stop_asked_at = None
        self._replanned = False
        getattr(self, f"_on_{command}")(now, out)
        if self._replanned:
            # Whatever was handed out for after this moment no longer holds.
            out.insert(1, self._state("replanned", now))
        return out

    def interrupt(self) -> list[Event]:
        """Pause for a reason of the session's own (the speaker went away), not the person's."""
        out: list[Event] = []
        if self.mode not in (Mode.PAUSED, Mode.FINISHED):
            self._on_pause(self.clock.now(), out)
        return out

    def carry_on(self, first_words: tuple[str, ...] = ()) -> list[Event]:
        """Resume after `interrupt` once the cause is gone, saying `first_words` before anything else."""
        out: list[Event] = []
        if self.mode is Mode.PAUSED:
            self._on_resume(self.clock.now(), out, list(first_words))
        return out

    # ----- where are we ----------------------------------------------------------------------

    @property
    def step(self) -> Step:
        return self.steps[self.index]

    @property
    def exercise(self) -> ExercisePlan | None:
        index = self.step.exercise
        return self.plan.exercises[index] if index is not None else None

    @property
    def reps_planned(self) -> int:
        exercise = self.exercise
        if exercise is None or exercise.reps is None:
            return 0
        return exercise.reps * (2 if exercise.sides == "alternating" else 1)

    @property
    def total_reps(self) -> int:
        return sum(record.reps_done for record in self.records.values())

    @property
    def effective_mode(self) -> Mode:
        return self.paused_mode if self.mode is Mode.PAUSED else self.mode

    # ----- stepping --------------------------------------------------------------------------

    def _enter(self, index: int, out: list[Event], at: float | None = None, lead_in: list[str] | None = None) -> None:
        """Start step `index` at time `at` (now if None)."""
        at = self.clock.now() if at is None else at
        self._replanned = True
        self.index = min(index, len(self.steps) - 1)
        self.mode = Mode.RUNNING
        self.step_started = at
        self.beat_index = 0
        step = self.step
        self.reps_done = 0
        if step.kind == "work":
            out.append(self._state("set_start", at))
        self.beats = self._beats_for(step, lead_in)

    def _beats_for(self, step: Step, lead_in: list[str] | None, first_rep: int = 1,
                   remaining: float | None = None) -> StepBeats:
        say, estimate = self.phrases.say, self.settings.estimate_speech
        exercise = self.exercise
        if step.kind == "intro":
            if self.resumed:  # the person heard the welcome and warnings a moment ago
                return talk_beats((lead_in or []) + [say("welcome_back", workout=self.plan.name)], estimate)
            sentences = [say("welcome", workout=self.plan.name)]
            sentences += [say("safety", warning=warning) for warning in self.plan.safety]
            if self.plan.equipment:
                sentences.append(say("equipment", items=", ".join(self.plan.equipment)))
            return talk_beats((lead_in or []) + sentences, estimate)
        if step.kind == "exercise":
            assert exercise is not None and step.exercise is not None
            return talk_beats((lead_in or []) + self._exercise_intro(exercise, step.exercise), estimate)
        if step.kind == "announce":
            assert exercise is not None
            sentences = [self._announcement(exercise, step)]
            previous = self.last_time.pop(exercise.name, None)  # once per exercise, at its first set
            if previous and previous[1]:
                sentences.insert(0, say("last_time", sets=self._amount("sets", previous[0]), reps=previous[1]))
            if self.settings.auto_start_seconds is None and not self._taught_ready:
                self._taught_ready = True
                sentences.append(say("say_ready"))
            return talk_beats((lead_in or []) + sentences, estimate)
        if step.kind == "work":
            assert exercise is not None
            context = self._rep_context(step, exercise)
            opening = lead_in if lead_in is not None else [say("go")]
            if exercise.hold_seconds is not None:
                seconds = exercise.hold_seconds if remaining is None else remaining
                return hold_beats(context, seconds, opening, fresh=remaining is None)
            return rep_beats(context, first_rep, opening)
        if step.kind in ("rest", "switch"):
            seconds = step.seconds if remaining is None else remaining
            if step.kind == "switch":
                opening = [say("switch_sides", side=step.side)]
            elif remaining is None and seconds >= SHORT_REST_SECONDS:
                opening = [say("rest", seconds=round(seconds))]
                if step.next_label:
                    opening.append(say("next_up", what=step.next_label))
            else:
                opening = []
            tips = exercise if step.kind == "rest" and remaining is None else None
            return countdown_beats(seconds, (lead_in or []) + opening, self.phrases, estimate,
                                   reminder=step.kind == "rest",
                                   next_tip=(lambda room: self._next_tip(tips, room)) if tips else None)
        # end
        return talk_beats([self._summary(stopped=False)], estimate)

    def _rep_context(self, step: Step, exercise: ExercisePlan) -> RepContext:
        return RepContext(
            exercise, self.phrases, self.settings.estimate_speech, self.tempo_factor,
            # The first rep of an exercise is guided: every phase cue in full, at the cue's pace.
            guided_first_rep=step.set == 1 and step.side in (None, exercise.side_names[0]),
            next_tip=lambda seconds: self._next_tip(exercise, seconds),
        )

    def _exercise_intro(self, exercise: ExercisePlan, index: int) -> list[str]:
        say = self.phrases.say
        count = len(self.plan.exercises)
        sentences = []
        previous = self.plan.exercises[index - 1] if index > 0 else None
        new_round = previous is None or (previous.block, previous.round) != (exercise.block, exercise.round)
        if exercise.block and exercise.round and new_round:
            sentences.append(say("round", block=exercise.block, round=exercise.round, rounds=exercise.rounds))
        if count > 1:
            sentences.append(say("exercise", number=index + 1, count=count, exercise=exercise.name))
        else:
            sentences.append(say("exercise_single", exercise=exercise.name))
        seen_before = any(other.name == exercise.name for other in self.plan.exercises[:index])
        started_before = any(key[0] == index for key in self.records)  # resumed in the middle of it
        if not seen_before and not started_before:  # set-up once per exercise, not every round of a circuit
            sentences += list(exercise.setup)
        return sentences

    def _announcement(self, exercise: ExercisePlan, step: Step) -> str:
        say = self.phrases.say
        numbers = {"set": step.set, "sets": exercise.sets}
        if exercise.hold_seconds is not None:
            seconds = round(exercise.hold_seconds)
            if step.side:
                return say("set_hold_side", side=step.side, seconds=seconds, **numbers)
            return say("set_hold", seconds=seconds, **numbers)
        if exercise.sides == "alternating":
            return say("set_reps_alternating", reps=exercise.reps, side=exercise.side_names[0], **numbers)
        if step.side:
            return say("set_reps_side", side=step.side, reps=exercise.reps, **numbers)
        return say("set_reps", reps=exercise.reps, **numbers)

    def _summary(self, stopped: bool) -> str:
        seconds = self.clock.now() - self.started_at
        minutes = round(seconds / 60)
        if seconds < 60:
            duration = self.phrases.say("duration_seconds", seconds=round(seconds))
        else:
            duration = self.phrases.say("duration_minute" if minutes == 1 else "duration_minutes", minutes=minutes)
        sets = len({(key[0], key[1]) for key in self.records})
        key = "summary_stopped" if stopped else "summary"
        return self.phrases.say(key, sets=self._amount("sets", sets), reps=self._amount("reps", self.total_reps),
                                duration=duration)

    def _amount(self, unit: str, count: int) -> str:
        return self.phrases.say(f"{unit}_one" if count == 1 else f"{unit}_many", count=count)

    def _next_tip(self, exercise: ExercisePlan, max_seconds: float | None = None) -> str | None:
        """The next tip in rotation (tips and mistakes interleaved) that fits in `max_seconds`."""
        say = self.phrases.say
        tips = list(exercise.tips)
        warnings = [say("avoid_instead", avoid=avoid, instead=instead) if instead else say("avoid", avoid=avoid)
                    for avoid, instead in exercise.mistakes]
        rotation = [item for pair in zip(tips, warnings) for item in pair]
        rotation += tips[len(warnings):] + warnings[len(tips):]
        if not rotation:
            return None
        position = self._tips.get(exercise.name, 0)
        for offset in range(len(rotation)):
            tip = rotation[(position + offset) % len(rotation)]
            if max_seconds is None or self.settings.estimate_speech(tip) <= max_seconds:
                self._tips[exercise.name] = position + offset + 1
                return tip
        return None

    def _emit_beat(self, beat: Beat, at: float, out: list[Event]) -> None:
        if beat.counts_rep and beat.rep is not None:
            self.reps_done = max(self.reps_done, min(beat.rep, self.reps_planned))
        if beat.kind == "tone" and beat.tone is not None:
            out.append(Event(at, "tone", None, {"tone": beat.tone.name, "hz": beat.tone.hz,
                                                "seconds": beat.tone.seconds}))
            return
        assert beat.text is not None
        if beat.instruction:
            self.last_instruction = beat.text
        data = {"rep": beat.rep} if beat.counts_rep else {}
        out.append(Event(at, "say", beat.text, data))

    def _finish_step(self, at: float, ended_by: str, out: list[Event]) -> None:
        step = self.step
        if step.kind == "work":
            self._record(at, ended_by, out)
        if step.kind == "end":
            self.mode = Mode.FINISHED
            out.append(self._state("finished", at, reps_done=self.total_reps, ended_by="complete"))
            return
        if step.gate:
            self.mode = Mode.WAITING
            self.waiting_since = at
            self.index += 1  # the work step waits at its door
            self.beats, self.beat_index = StepBeats([], 0.0), 0
            out.append(self._state("waiting", at))
            return
        self._enter(self.index + 1, out, at)

    def _record(self, at: float, ended_by: str, out: list[Event]) -> None:
        step, exercise = self.step, self.exercise
        assert exercise is not None and step.exercise is not None and step.set is not None
        reps_done = min(self.reps_done, self.reps_planned)
        if ended_by in ("next", "done") and reps_done == self.reps_planned and self.reps_planned:
            ended_by = "complete"  # every rep was counted; the command only cut the closing words
        record = SetRecord(step.exercise, exercise.name, step.set, step.side, self.reps_planned, reps_done, ended_by)
        # Keyed by place in the plan: a set done again replaces its first try, so reps never double.
        self.records[(step.exercise, step.set, step.side)] = record
        out.append(self._state("set_end", at, reps_done=record.reps_done, reps_planned=record.reps_planned,
                               ended_by=ended_by, tempo=round(self.tempo_factor, 3)))

    def _start_work(self, at: float, out: list[Event]) -> None:
        self._enter(self.index, out, at)

    def _state(self, state: str, at: float | None = None, **data: object) -> Event:
        at = self.clock.now() if at is None else at
        step = self.steps[self.index] if self.steps else None
        exercise = self.exercise if step is not None else None
        details: dict[str, object] = {"state": state}
        if exercise is not None and state in ("set_start", "set_end"):
            details.update(exercise=exercise.name, position=step.exercise, set=step.set, side=step.side)
            if exercise.round is not None:
                details["round"] = exercise.round
        details.update(data)
        return Event(at, "state", None, details)

    def _say(self, text: str, at: float, out: list[Event], instruction: bool = False) -> None:
        if instruction:
            self.last_instruction = text
        out.append(Event(at, "say", text))

    def _restart_here(self, now: float, out: list[Event], lead_in: list[str]) -> None:
        """Re-make the current step's beats from where it was interrupted, starting now."""
        step = self.step
        if step.kind == "work":
            exercise = self.exercise
            assert exercise is not None
            remaining = None
            if exercise.hold_seconds is not None:
                elapsed = self.paused_at - self.step_started - self._lead_in_length()
                remaining = max(3.0, exercise.hold_seconds - max(0.0, elapsed))
            self.beats = self._beats_for(step, lead_in, first_rep=self.reps_done + 1, remaining=remaining)
        elif step.kind in ("rest", "switch"):
            remaining = max(3.0, self.step_started + self.beats.duration - self.paused_at)
            self.beats = self._beats_for(step, lead_in, remaining=remaining)
        else:
            # Talk steps: say again the sentence that was cut off, then the rest of them.
            said = [beat for beat in self.beats.beats[: self.beat_index] if beat.kind == "say"]
            spoken_from = said[-1] if said else None
            rest = [b.text for b in self.beats.beats if b.kind == "say" and b.text and
                    (spoken_from is None or b.at >= spoken_from.at)]
            self.beats = talk_beats(lead_in + rest, self.settings.estimate_speech)
        self.step_started = now
        self.beat_index = 0
        self.mode = Mode.RUNNING
        self._replanned = True

    def _lead_in_length(self) -> float:
        first = next((b for b in self.beats.beats if b.kind == "say"), None)
        return self.settings.estimate_speech(first.text) if first and first.text else 0.0

    # ----- commands --------------------------------------------------------------------------

    def _on_pause(self, now: float, out: list[Event]) -> None:
        if self.mode is Mode.PAUSED:
            self._say(self.phrases.say("paused"), now, out)
            return
        self.paused_mode = self.mode
        self.paused_at = now
        self.mode = Mode.PAUSED
        out.append(self._state("paused", now))  # the voice falls silent on this
        self._say(self.phrases.say("paused"), now, out)

    def _on_resume(self, now: float, out: list[Event], first_words: list[str] | None = None) -> None:
        if self.mode is not Mode.PAUSED:
            self._say(self.phrases.say("not_paused"), now, out)
            return
        out.append(self._state("resumed", now))
        lead_in = (first_words or []) + [self.phrases.say("resumed")]
        if self.paused_mode is Mode.WAITING:
            self.mode = Mode.WAITING
            self.waiting_since = now
            self._say(" ".join(lead_in), now, out)
            return
        self._restart_here(now, out, lead_in)
        out += self.advance()

    def _leave_pause(self, out: list[Event], now: float) -> None:
        """A command that goes somewhere ends a pause: pick up the current step from now."""
        if self.mode is not Mode.PAUSED:
            return
        out.append(self._state("resumed", now))
        if self.paused_mode is Mode.WAITING:
            self.mode, self.waiting_since = Mode.WAITING, now
        else:
            self._restart_here(now, out, [])

    def _on_next(self, now: float, out: list[Event]) -> None:
        self._leave_pause(out, now)
        if self.mode is Mode.WAITING:
            self._start_work(now, out)
        else:
            self._finish_step(now, "next", out)
        out += self.advance()

    def _on_done(self, now: float, out: list[Event]) -> None:
        if self.effective_mode is Mode.RUNNING and self.step.kind == "work":
            self._leave_pause(out, now)
            self._finish_step(now, "done", out)
            out += self.advance()
        else:
            self._say(self.phrases.say("not_in_set"), now, out)

    def _on_ready(self, now: float, out: list[Event]) -> None:
        if self.mode is Mode.WAITING:
            self._start_work(now, out)
            out += self.advance()
        elif self.mode is Mode.PAUSED:
            self._on_resume(now, out)
        else:
            self._say(self.phrases.say("already_going"), now, out)

    def _on_back(self, now: float, out: list[Event]) -> None:
        self._leave_pause(out, now)
        step = self.step
        in_progress = self.mode is Mode.RUNNING and step.kind == "work" and (
            self.reps_done > 0 or now - self.step_started > 5.0)
        target = None if in_progress else self._previous_part_start()
        if target is not None:
            self._enter(target, out, now, lead_in=[self.phrases.say("previous_set")])
        elif self.mode is Mode.RUNNING and step.kind == "work":
            self._enter(self.index, out, now, lead_in=[self.phrases.say("restart_set")])
        else:
            self._say(self.phrases.say("first_set"), now, out)
        out += self.advance()

    def _part_start(self, index: int) -> int | None:
        """The announce or switch step that begins the set part containing step `index`."""
        for i in range(min(index, len(self.steps) - 1), -1, -1):
            if self.steps[i].kind in ("announce", "switch"):
                return i
            if self.steps[i].kind in ("rest", "exercise", "intro") and i != index:
                break
        return None

    def _previous_part_start(self) -> int | None:
        """Where 'back' goes when nothing of the current set part is done: the set before it."""
        if self.step.kind == "rest":
            return self._set_start(self.index - 1)  # the set just finished is the one to do again
        current = self._part_start(self.index)
        for i in range((self.index if current is None else current) - 1, -1, -1):
            if self.steps[i].kind == "work":
                return self._set_start(i)
        return None

    def _set_start(self, index: int) -> int | None:
        """The announce step of the set that step `index` belongs to."""
        return next((i for i in range(index, -1, -1) if self.steps[i].kind == "announce"), None)

    def _on_skip(self, now: float, out: list[Event]) -> None:
        self._leave_pause(out, now)
        current = self.step.exercise
        if current is None:
            self._say(self.phrases.say("not_in_set"), now, out)
            return
        name = self.plan.exercises[current].name
        if self.mode is Mode.RUNNING and self.step.kind == "work":
            self._record(now, "skip", out)
        target = next((i for i in range(self.index + 1, len(self.steps))
                       if self.steps[i].kind in ("exercise", "end") and self.steps[i].exercise != current),
                      len(self.steps) - 1)
        self._enter(target, out, now, lead_in=[self.phrases.say("skipping", exercise=name)])
        out += self.advance()

    def _on_repeat(self, now: float, out: list[Event]) -> None:
        if self.last_instruction:
            self._say(self.last_instruction, now, out)
        else:
            self._say(self.phrases.say("nothing_to_repeat"), now, out)

    def _on_tempo(self, now: float, out: list[Event], factor: float, key: str) -> None:
        exercise = self.exercise
        if exercise is None or not exercise.tempo:
            self._say(self.phrases.say("no_tempo"), now, out)
            return
        low, high = TEMPO_LIMITS
        new = min(high, max(low, self.tempo_factor * factor))
        if abs(new - self.tempo_factor) < 1e-9:
            self._say(self.phrases.say("tempo_limit"), now, out)
            return
        self.tempo_factor = new
        seconds = f"{exercise.rep_seconds * new:.1f}".rstrip("0").rstrip(".")
        self._say(self.phrases.say(key, seconds=seconds), now, out)
        if self.mode is Mode.RUNNING and self.step.kind == "work" and exercise.hold_seconds is None:
            self._retime_from_next_rep(now)

    def _retime_from_next_rep(self, now: float) -> None:
        """Keep the rep in progress as it is; the reps after it follow the new tempo."""
        elapsed = now - self.step_started
        current = max((rep for rep, start in self.beats.rep_starts.items() if start <= elapsed), default=None)
        next_start = self.beats.rep_starts.get(current + 1) if current is not None else None
        if current is None or next_start is None:
            return  # in the lead-in (reps not begun) or the last rep: nothing later to re-time
        exercise = self.exercise
        assert exercise is not None
        kept = [b for b in self.beats.beats if b.rep is None or b.rep <= current]
        voice_free = max((b.at + self.settings.estimate_speech(b.text or "") for b in kept if b.kind == "say"),
                         default=0.0)
        context = self._rep_context(self.step, exercise)
        later = rep_beats(context, current + 1, [], busy_until=max(0.0, voice_free - next_start + GAP),
                          restarted=False)
        shifted = [replace(b, at=b.at + next_start) for b in later.beats]
        starts = {rep: start + next_start for rep, start in later.rep_starts.items()}
        beats = sorted(kept + shifted, key=lambda b: b.at)
        self.beats = StepBeats(beats, next_start + later.duration, {**self.beats.rep_starts, **starts})
        self.beat_index = sum(1 for b in beats if b.at < elapsed - 1e-9)
        self._replanned = True

    def _on_slower(self, now: float, out: list[Event]) -> None:
        self._on_tempo(now, out, TEMPO_STEP, "slower")

    def _on_faster(self, now: float, out: list[Event]) -> None:
        self._on_tempo(now, out, 1 / TEMPO_STEP, "faster")

    def _on_more_rest(self, now: float, out: list[Event]) -> None:
        if self.mode is not Mode.RUNNING or self.step.kind not in ("rest", "switch"):
            self._say(self.phrases.say("not_resting"), now, out)
            return
        remaining = self.step_started + self.beats.duration - now + MORE_REST_SECONDS
        self.beats = self._beats_for(self.step, [self.phrases.say("more_rest", seconds=round(MORE_REST_SECONDS))],
                                     remaining=remaining)
        self.step_started, self.beat_index = now, 0
        self._replanned = True
        out += self.advance()

    def _on_status(self, now: float, out: list[Event]) -> None:
        self._say(self._status(now), now, out)

    def _status(self, now: float) -> str:
        say, step, exercise = self.phrases.say, self.step, self.exercise
        if self.mode is Mode.PAUSED:
            return say("status_paused")
        if self.mode is Mode.WAITING:
            return say("status_waiting")
        if step.kind == "work" and exercise is not None:
            numbers = {"set": step.set, "sets": exercise.sets}
            if exercise.hold_seconds is not None:
                left = max(0, round(self.step_started + self.beats.duration - now))
                return say("status_hold", seconds=left, **numbers)
            rep = min(self.reps_done + 1, self.reps_planned)
            if step.side and exercise.sides == "each":
                return say("status_set_side", rep=rep, reps=self.reps_planned, side=step.side, **numbers)
            return say("status_set", rep=rep, reps=self.reps_planned, **numbers)
        if step.kind in ("rest", "switch"):
            return say("status_rest", seconds=max(0, round(self.step_started + self.beats.duration - now)))
        return say("status_intro")

    def _on_tip(self, now: float, out: list[Event]) -> None:
        exercise = self.exercise
        tip = self._next_tip(exercise) if exercise is not None else None
        self._say(tip or self.phrases.say("no_tips"), now, out, instruction=tip is not None)

    def _on_help(self, now: float, out: list[Event]) -> None:
        names = [self.phrases.spoken_name(command) for command in self._useful_commands()]
        self._say(self.phrases.say("help", commands=", ".join(names)), now, out)

    def _useful_commands(self) -> list[str]:
        if self.mode is Mode.PAUSED:
            return ["resume", "next", "back", "skip", "status", "stop"]
        if self.mode is Mode.WAITING:
            return ["ready", "back", "skip", "status", "repeat", "tip", "slower", "faster", "pause", "stop"]
        if self.step.kind == "work":
            return ["pause", "next", "done", "back", "repeat", "status", "tip", "slower", "faster",
                    "louder", "quieter", "skip", "stop"]
        if self.step.kind in ("rest", "switch"):
            return ["next", "more_rest", "pause", "back", "status", "tip", "skip", "stop"]
        return ["next", "pause", "repeat", "louder", "quieter", "stop"]

    def _on_volume(self, now: float, out: list[Event], change: float, key: str) -> None:
        new = round(min(1.0, max(0.1, self.volume + change)), 2)
        if new == self.volume:
            self._say(self.phrases.say("volume_limit"), now, out)
            return
        self.volume = new
        out.append(self._state("volume", now, volume=new))
        self._say(self.phrases.say(key), now, out)

    def _on_louder(self, now: float, out: list[Event]) -> None:
        self._on_volume(now, out, VOLUME_STEP, "louder")

    def _on_quieter(self, now: float, out: list[Event]) -> None:
        self._on_volume(now, out, -VOLUME_STEP, "quieter")

    def _on_stop(self, now: float, out: list[Event]) -> None:
        if self.stop_asked_at is None or now - self.stop_asked_at > STOP_CONFIRM_SECONDS:
            self.stop_asked_at = now
            self._say(self.phrases.say("stop_confirm"), now, out)
            return
        if self.effective_mode is Mode.RUNNING and self.step.kind == "work":
            self._record(now, "stop", out)
        self._say(self._summary(stopped=True), now, out)
        self.mode = Mode.FINISHED
        out.append(self._state("finished", now, reps_done=self.total_reps, ended_by="stop"))
