"""What each spoken command does to a running session: the engine's command handlers.

A mix-in of Engine (engine.py), kept apart so that walking the timeline and reacting to the person
each read on their own. Every handler gets the moment the command was heard and the list of
events to add to; none reads a clock.
"""

from __future__ import annotations

from dataclasses import replace

from voice_coach.core.engine.state import Mode
from voice_coach.core.events import Event
from voice_coach.core.timeline import GAP, StepBeats, rep_beats

TEMPO_STEP = 1.2
"""slower multiplies rep time by this, faster divides by it."""
TEMPO_LIMITS = (0.5, 2.0)
"""Bounds of the tempo factor, so a run of 'faster' cannot make reps impossible."""
MORE_REST_SECONDS = 30.0
STOP_CONFIRM_SECONDS = 6.0
"""A second 'stop' within this window ends the workout; a stray single word cannot."""
VOLUME_STEP = 0.1


class CommandHandlers:
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
