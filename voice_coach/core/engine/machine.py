"""The session engine: walks a workout's timeline on a clock and reacts to commands.

Pure logic. It is given a clock and a phrase table, it is told the time has moved (`advance`) or
that a command was heard (`hear`), and it answers with events: what to say, which tone to play,
what state the session is in. It never reads the system time and knows nothing of audio devices,
so a whole workout runs in milliseconds on a fake clock.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import replace

from voice_coach.core import loads as load_words
from voice_coach.core.clock import Clock
from voice_coach.core.engine import commands
from voice_coach.core.engine.state import Mode, SetRecord, Settings  # noqa: F401  (part of the engine's interface)
from voice_coach.core.events import Event, StateChange
from voice_coach.core.phrases import Phrases
from voice_coach.core.plan import ExercisePlan, Plan
from voice_coach.core.timeline import (
    Beat,
    RepContext,
    Step,
    StepBeats,
    Verbosity,
    build_steps,
    countdown_beats,
    hold_beats,
    rep_beats,
    talk_beats,
)

SHORT_REST_SECONDS = 5.0
"""A rest shorter than this passes without being announced (it would take longer to say)."""


ANSWER_SECONDS = 5.0
"""How long the coach listens for an answer after its question (or after a set): silence skips it."""

class Engine:
    def __init__(self, plan: Plan, phrases: Phrases, clock: Clock, settings: Settings | None = None,
                 done: Iterable[SetRecord] = (), last_time: dict[str, tuple[int, int]] | None = None,
                 progress: dict[str, tuple[str, dict]] | None = None, loads: dict[str, float] | None = None):
        """`done`: set parts finished in an earlier, interrupted run of this workout (they are left out).
        `last_time`: per exercise name, (sets, best reps) the previous time, said at its first set.
        `progress`: per exercise name, how today's target follows from the last time (a phrase key
        and its values, see core/progression.announcement), said instead at its first set.
        `loads`: per exercise done with a weight, the load to use (kilograms), from the progression."""
        self.plan = plan
        self.phrases = phrases
        self.clock = clock
        self.settings = settings or Settings()
        earlier = {(record.exercise, record.set, record.side): record for record in done}
        self.steps: list[Step] = build_steps(plan, phrases, frozenset(earlier))
        self.last_time = dict(last_time or {})
        self.progress = dict(progress or {})
        self.just_done: tuple[int, int, str | None] | None = None
        """The set (part) just finished, whose reps "I did ten" corrects until the next set starts."""
        self.effort_for: tuple[int, int, str | None] | None = None
        """The last set of an exercise just finished, whose effort the coach has asked for."""
        self.answer_until: float | None = None
        self.loads = dict(loads or {})
        """Per exercise name, the load its sets are done with (kilograms): proposed, then as said."""
        self._load_told: set[str] = set()
        """Exercises whose load (or how to say one) the coach has said, once each."""
        self._listening_loads = False
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
        self.beat_changes = 0
        """How many times the current step's beats were made anew (entered, restarted, re-timed)."""

    # ----- the outside world calls these -----------------------------------------------------

    def start(self) -> list[Event]:
        """Begin the workout: the first step's beats, and whatever is due right away."""
        if self._started:
            return []
        self._started = True
        self.started_at = self.clock.now()
        out: list[Event] = [self.state_event(StateChange.STARTED, workout=self.plan.name)]
        self.enter(0, out)
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
                self.start_work(due, out)
            elif self.beat_index < len(self.beats.beats):
                self._emit_beat(self.beats.beats[self.beat_index], due, out)
                self.beat_index += 1
            else:
                self.finish_step(due, "complete", out)
        return out

    def hear(self, heard: str) -> list[Event]:
        """A command from the person (a phrase or a command name)."""
        now = self.clock.now()
        command = self.phrases.command_for(heard)
        answer = self.phrases.answer_for(heard) if command is None else None
        load = load_words.load_for(self.phrases, heard) if command is None and answer is None else None
        out = [Event(now, "command", heard, {"command": command or ("answer" if answer or load else None)})]
        if self.mode is Mode.FINISHED:
            return out
        if answer is not None and self._answer(answer, now, out):
            return out
        if load is not None and self._take_load(load, now, out):
            return out
        if command is None:
            self.say(self.phrases.say("not_understood"), now, out)
            return out
        if command != "stop":
            self.stop_asked_at = None
        changes_before = self.beat_changes
        commands.COMMANDS[command](self, now, out)
        if self.beat_changes != changes_before:
            # Whatever was handed out for after this moment no longer holds.
            out.insert(1, self.state_event(StateChange.REPLANNED, now))
        return out

    def _answer(self, answer: tuple[str, str | int], now: float, out: list[Event]) -> bool:
        """An answer to the coach's question; False when none is open for it (then it is
        not understood, as any word out of place)."""
        kind, value = answer
        if kind == "effort":
            if self.effort_for is None or self.answer_until is None or now > self.answer_until:
                return False
            out.append(self._set_event(StateChange.EFFORT, now, self.effort_for, effort=value))
            self.say(self.phrases.say("effort_noted", effort=self.phrases.say(f"effort_{value}")), now, out)
            self.effort_for = None  # said once; a second answer is not taken as a correction
            return True
        record = self.records.get(self.just_done) if self.just_done is not None else None
        if record is None or not 0 <= int(value) <= 2 * max(record.reps_planned, 1):
            return False  # no set just done, or a count no set of it can have had
        self.records[self.just_done] = replace(record, reps_done=int(value))
        out.append(self._set_event(StateChange.REPS_CORRECTED, now, self.just_done, reps_done=int(value),
                                   reps_planned=record.reps_planned))
        self.say(self.phrases.say("reps_noted", reps=int(value)), now, out)
        return True

    def _take_load(self, load: load_words.Heard, now: float, out: list[Event]) -> bool:
        """A load said ("twenty kilos"): for the exercise under way (or whose set was just done)
        when it is done with a weight; False otherwise (not understood, as any word out of place)."""
        listening_after = self.answer_until is not None and now <= self.answer_until
        done = self.just_done or self.effort_for
        position = done[0] if done is not None and listening_after else self.step.exercise
        if position is None or not self.plan.exercises[position].loaded:
            return False
        said = self.phrases.say(f"load_{load.unit}", amount=load_words.amount_text(load.value))
        if not load_words.in_range(load.kg):
            self.say(self.phrases.say("load_refused", load=said), now, out)
            return True  # heard, and refused by name: a misheard number must not be logged
        name = self.plan.exercises[position].name
        self.loads[name] = load.kg
        self._load_told.add(name)
        if done is not None and listening_after and done[0] == position and done in self.records:
            out.append(self._set_event(StateChange.LOAD, now, done, load_kg=round(load.kg, 3)))
        else:
            out.append(self.state_event(StateChange.LOAD, now, exercise=name, position=position,
                                        load_kg=round(load.kg, 3)))
        self.say(self.phrases.say("load_noted", load=said), now, out)
        return True

    def _say_load(self, kg: float) -> str:
        return load_words.say_load(self.phrases, kg, self.settings.units)

    def _set_event(self, state: StateChange, at: float, key: tuple[int, int, str | None], **data: object) -> Event:
        position, number, side = key
        details = {"state": state, "exercise": self.plan.exercises[position].name, "position": position,
                   "set": number, "side": side, **data}
        return Event(at, "state", None, details)

    def interrupt(self) -> list[Event]:
        """Pause for a reason of the session's own (the speaker went away), not the person's."""
        out: list[Event] = []
        if self.mode not in (Mode.PAUSED, Mode.FINISHED):
            commands.on_pause(self, self.clock.now(), out)
        return out

    def carry_on(self, first_words: tuple[str, ...] = ()) -> list[Event]:
        """Resume after `interrupt` once the cause is gone, saying `first_words` before anything else."""
        out: list[Event] = []
        if self.mode is Mode.PAUSED:
            commands.on_resume(self, self.clock.now(), out, list(first_words))
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
        return exercise.reps_per_part if exercise is not None else 0

    @property
    def total_reps(self) -> int:
        return sum(record.reps_done for record in self.records.values())

    @property
    def effective_mode(self) -> Mode:
        return self.paused_mode if self.mode is Mode.PAUSED else self.mode

    def beats_changed(self) -> None:
        """The beats handed out for after this moment no longer hold (`hear` says "replanned")."""
        self.beat_changes += 1

    # ----- stepping --------------------------------------------------------------------------

    def enter(self, index: int, out: list[Event], at: float | None = None, lead_in: list[str] | None = None) -> None:
        """Start step `index` at time `at` (now if None)."""
        at = self.clock.now() if at is None else at
        self.beats_changed()
        self.index = min(index, len(self.steps) - 1)
        self.mode = Mode.RUNNING
        self.step_started = at
        self.beat_index = 0
        step = self.step
        self.reps_done = 0
        loaded = self.exercise is not None and self.exercise.loaded
        if loaded != self._listening_loads:
            self._listening_loads = loaded
            out.append(self.state_event(StateChange.LISTENING, at, loads=loaded))
        if step.kind == "work":
            self.just_done = self.effort_for = None  # answers belong to the set before
            out.append(self.state_event(StateChange.SET_START, at))
        self.beats = self.beats_for(step, lead_in)

    def beats_for(self, step: Step, lead_in: list[str] | None, first_rep: int = 1,
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
            progress = self.progress.pop(exercise.name, None)
            if progress:
                key, values = progress
                if "load" in values:
                    values = {**values, "load": self._say_load(values["load"]), "step": self._say_load(values["step"])}
                sentences.insert(0, say(key, **{**values, "sets": self._amount("sets", values["sets"])}))
            elif previous and previous[1]:
                sentences.insert(0, say("last_time", sets=self._amount("sets", previous[0]), reps=previous[1]))
            if exercise.loaded and exercise.name not in self._load_told:
                sentences += self._load_sentence(exercise, said=bool(progress and "load" in progress[1]))
            if self.settings.auto_start_seconds is None and not self._taught_ready:
                self._taught_ready = True
                sentences.append(say("say_ready"))
            return talk_beats((lead_in or []) + sentences, estimate)
        if step.kind == "work":
            assert exercise is not None
            context = self.rep_context(step, exercise)
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
            # Unasked tips only at full verbosity ("tip" still gives one at any).
            tips = exercise if step.kind == "rest" and remaining is None and self._full else None
            return countdown_beats(seconds, (lead_in or []) + opening, self.phrases, estimate,
                                   reminder=step.kind == "rest" and self.settings.verbosity != Verbosity.MINIMAL,
                                   next_tip=(lambda room: self.next_tip(tips, room)) if tips else None)
        # end: after the last exercise's question, a moment for the answer before the summary
        if lead_in:
            asked = talk_beats(lead_in, estimate)
            summary = talk_beats([self.summary(stopped=False)], estimate, lead=asked.duration + ANSWER_SECONDS)
            return StepBeats(asked.beats + summary.beats, summary.duration)
        return talk_beats([self.summary(stopped=False)], estimate)

    def _load_sentence(self, exercise: ExercisePlan, said: bool) -> list[str]:
        """At the first set of an exercise done with a weight: the load to take, or how to say one."""
        self._load_told.add(exercise.name)
        load = self.loads.get(exercise.name)
        if load is not None:
            return [] if said else [self.phrases.say("load_today", load=self._say_load(load))]
        if self.settings.verbosity == Verbosity.MINIMAL:
            return []
        example = load_words.example(self.phrases, self.settings.units)
        return [self.phrases.say("load_ask", example=example)] if example else []

    def rep_context(self, step: Step, exercise: ExercisePlan) -> RepContext:
        return RepContext(
            exercise, self.phrases, self.settings.estimate_speech, self.tempo_factor,
            # The first rep of an exercise is guided: every phase cue in full, at the cue's pace.
            guided_first_rep=(self._full and step.set == 1 and step.side in (None, exercise.side_names[0])),
            next_tip=lambda seconds: self.next_tip(exercise, seconds) if self._full else None,
            verbosity=Verbosity(self.settings.verbosity),
        )

    @property
    def _full(self) -> bool:
        return self.settings.verbosity == Verbosity.FULL

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
        if self.settings.verbosity == Verbosity.MINIMAL:
            return sentences  # the person knows the moves: name the exercise and go
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

    def summary(self, stopped: bool) -> str:
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

    def next_tip(self, exercise: ExercisePlan, max_seconds: float | None = None) -> str | None:
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

    def finish_step(self, at: float, ended_by: str, out: list[Event]) -> None:
        step = self.step
        lead_in = None
        if step.kind == "work":
            self.record(at, ended_by, out)
            lead_in = self._ask_after_set(step, at, out)
        if step.kind == "end":
            self.mode = Mode.FINISHED
            out.append(self.state_event(StateChange.FINISHED, at, reps_done=self.total_reps, ended_by="complete"))
            return
        if step.gate:
            self.mode = Mode.WAITING
            self.waiting_since = at
            self.index += 1  # the work step waits at its door
            self.beats, self.beat_index = StepBeats([], 0.0), 0
            out.append(self.state_event(StateChange.WAITING, at))
            return
        self.enter(self.index + 1, out, at, lead_in)

    def _ask_after_set(self, step: Step, at: float, out: list[Event]) -> list[str] | None:
        """After a set the coach listens for a correction of its reps for a moment; after an
        exercise's last set it also asks how it felt (not at minimal verbosity). Returns the
        question, which opens what comes next."""
        assert step.exercise is not None and step.set is not None
        done = (step.exercise, step.set, step.side)
        exercise_loaded = self.plan.exercises[step.exercise].loaded
        self.just_done = done if self.reps_planned else None  # a timed hold has no reps to correct
        later = any(s.kind == "work" and s.exercise == step.exercise for s in self.steps[self.index + 1:])
        question = None
        if not later and self.settings.verbosity != Verbosity.MINIMAL:
            question = self.phrases.say("effort_question")
            self.effort_for = done
        if question is None and self.just_done is None and not exercise_loaded:
            return None
        self.answer_until = at + ANSWER_SECONDS + (self.settings.estimate_speech(question) if question else 0.0)
        out.append(self.state_event(StateChange.ASKING, at, until=round(self.answer_until, 3),
                                    effort=question is not None, **({"loads": True} if exercise_loaded else {})))
        return [question] if question else None

    def record(self, at: float, ended_by: str, out: list[Event]) -> None:
        step, exercise = self.step, self.exercise
        assert exercise is not None and step.exercise is not None and step.set is not None
        reps_done = min(self.reps_done, self.reps_planned)
        if ended_by in ("next", "done") and reps_done == self.reps_planned and self.reps_planned:
            ended_by = "complete"  # every rep was counted; the command only cut the closing words
        record = SetRecord(step.exercise, exercise.name, step.set, step.side, self.reps_planned, reps_done, ended_by)
        # Keyed by place in the plan: a set done again replaces its first try, so reps never double.
        self.records[(step.exercise, step.set, step.side)] = record
        load = self.loads.get(exercise.name) if exercise.loaded else None
        extra = {"load_kg": round(load, 3)} if load is not None else {}
        out.append(self.state_event(StateChange.SET_END, at, reps_done=record.reps_done,
                                    reps_planned=record.reps_planned, ended_by=ended_by,
                                    tempo=round(self.tempo_factor, 3), **extra))

    def start_work(self, at: float, out: list[Event]) -> None:
        self.enter(self.index, out, at)

    def state_event(self, state: StateChange, at: float | None = None, **data: object) -> Event:
        at = self.clock.now() if at is None else at
        step = self.steps[self.index] if self.steps else None
        exercise = self.exercise if step is not None else None
        details: dict[str, object] = {"state": state}
        if exercise is not None and state in (StateChange.SET_START, StateChange.SET_END):
            details.update(exercise=exercise.name, position=step.exercise, set=step.set, side=step.side)
            if exercise.round is not None:
                details["round"] = exercise.round
        details.update(data)
        return Event(at, "state", None, details)

    def say(self, text: str, at: float, out: list[Event], instruction: bool = False) -> None:
        if instruction:
            self.last_instruction = text
        out.append(Event(at, "say", text))

    def restart_here(self, now: float, out: list[Event], lead_in: list[str]) -> None:
        """Re-make the current step's beats from where it was interrupted, starting now."""
        step = self.step
        if step.kind == "work":
            exercise = self.exercise
            assert exercise is not None
            remaining = None
            if exercise.hold_seconds is not None:
                elapsed = self.paused_at - self.step_started - self._lead_in_length()
                remaining = max(3.0, exercise.hold_seconds - max(0.0, elapsed))
            self.beats = self.beats_for(step, lead_in, first_rep=self.reps_done + 1, remaining=remaining)
        elif step.kind in ("rest", "switch"):
            remaining = max(3.0, self.step_started + self.beats.duration - self.paused_at)
            self.beats = self.beats_for(step, lead_in, remaining=remaining)
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
        self.beats_changed()

    def _lead_in_length(self) -> float:
        first = next((b for b in self.beats.beats if b.kind == "say"), None)
        return self.settings.estimate_speech(first.text) if first and first.text else 0.0
