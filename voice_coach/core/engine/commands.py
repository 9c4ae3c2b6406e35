"""What each spoken command does to a running session: the table of command handlers.

`COMMANDS` maps each command name (the keys of a language's phrase table) to the function that
carries it out; `Engine.hear` looks the command up there and calls it. A handler is a plain
function of the engine, the moment the command was heard and the list of events to add to: it
changes the engine's state through the engine's public methods, and none reads a clock. Kept
apart from machine.py so that walking the timeline and reacting to the person each read on their
own.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import replace
from typing import TYPE_CHECKING

from voice_coach.core.engine.state import Mode
from voice_coach.core.events import Event, StateChange
from voice_coach.core.timeline import GAP, StepBeats, rep_beats

if TYPE_CHECKING:  # the engine imports this table: a type-only import keeps the cycle out of run time
    from voice_coach.core.engine.machine import Engine

TEMPO_STEP = 1.2
"""slower multiplies rep time by this, faster divides by it."""
TEMPO_LIMITS = (0.5, 2.0)
"""Bounds of the tempo factor, so a run of 'faster' cannot make reps impossible."""
MORE_REST_SECONDS = 30.0
STOP_CONFIRM_SECONDS = 6.0
"""A second 'stop' within this window ends the workout; a stray single word cannot."""
VOLUME_STEP = 0.1


def on_pause(engine: Engine, now: float, out: list[Event]) -> None:
    if engine.mode is Mode.PAUSED:
        engine.say(engine.phrases.say("paused"), now, out)
        return
    engine.paused_mode = engine.mode
    engine.paused_at = now
    engine.mode = Mode.PAUSED
    out.append(engine.state_event(StateChange.PAUSED, now))  # the voice falls silent on this
    engine.say(engine.phrases.say("paused"), now, out)


def on_resume(engine: Engine, now: float, out: list[Event], first_words: list[str] | None = None) -> None:
    if engine.mode is not Mode.PAUSED:
        engine.say(engine.phrases.say("not_paused"), now, out)
        return
    out.append(engine.state_event(StateChange.RESUMED, now))
    lead_in = (first_words or []) + [engine.phrases.say("resumed")]
    if engine.paused_mode is Mode.WAITING:
        engine.mode = Mode.WAITING
        engine.waiting_since = now
        engine.say(" ".join(lead_in), now, out)
        return
    engine.restart_here(now, out, lead_in)
    out += engine.advance()


def _leave_pause(engine: Engine, out: list[Event], now: float) -> None:
    """A command that goes somewhere ends a pause: pick up the current step from now."""
    if engine.mode is not Mode.PAUSED:
        return
    out.append(engine.state_event(StateChange.RESUMED, now))
    if engine.paused_mode is Mode.WAITING:
        engine.mode, engine.waiting_since = Mode.WAITING, now
    else:
        engine.restart_here(now, out, [])


def on_next(engine: Engine, now: float, out: list[Event]) -> None:
    _leave_pause(engine, out, now)
    if engine.mode is Mode.WAITING:
        engine.start_work(now, out)
    else:
        engine.finish_step(now, "next", out)
    out += engine.advance()


def on_done(engine: Engine, now: float, out: list[Event]) -> None:
    if engine.effective_mode is Mode.RUNNING and engine.step.kind == "work":
        _leave_pause(engine, out, now)
        engine.finish_step(now, "done", out)
        out += engine.advance()
    else:
        engine.say(engine.phrases.say("not_in_set"), now, out)


def on_ready(engine: Engine, now: float, out: list[Event]) -> None:
    if engine.mode is Mode.WAITING:
        engine.start_work(now, out)
        out += engine.advance()
    elif engine.mode is Mode.PAUSED:
        on_resume(engine, now, out)
    else:
        engine.say(engine.phrases.say("already_going"), now, out)


def on_back(engine: Engine, now: float, out: list[Event]) -> None:
    _leave_pause(engine, out, now)
    step = engine.step
    in_progress = engine.mode is Mode.RUNNING and step.kind == "work" and (
        engine.reps_done > 0 or now - engine.step_started > 5.0)
    target = None if in_progress else _previous_part_start(engine)
    if target is not None:
        engine.enter(target, out, now, lead_in=[engine.phrases.say("previous_set")])
    elif engine.mode is Mode.RUNNING and step.kind == "work":
        engine.enter(engine.index, out, now, lead_in=[engine.phrases.say("restart_set")])
    else:
        engine.say(engine.phrases.say("first_set"), now, out)
    out += engine.advance()


def _part_start(engine: Engine, index: int) -> int | None:
    """The announce or switch step that begins the set part containing step `index`."""
    for i in range(min(index, len(engine.steps) - 1), -1, -1):
        if engine.steps[i].kind in ("announce", "switch"):
            return i
        if engine.steps[i].kind in ("rest", "exercise", "intro") and i != index:
            break
    return None


def _previous_part_start(engine: Engine) -> int | None:
    """Where 'back' goes when nothing of the current set part is done: the set before it."""
    if engine.step.kind == "rest":
        return _set_start(engine, engine.index - 1)  # the set just finished is the one to do again
    current = _part_start(engine, engine.index)
    for i in range((engine.index if current is None else current) - 1, -1, -1):
        if engine.steps[i].kind == "work":
            return _set_start(engine, i)
    return None


def _set_start(engine: Engine, index: int) -> int | None:
    """The announce step of the set that step `index` belongs to."""
    return next((i for i in range(index, -1, -1) if engine.steps[i].kind == "announce"), None)


def on_skip(engine: Engine, now: float, out: list[Event]) -> None:
    _leave_pause(engine, out, now)
    current = engine.step.exercise
    if current is None:
        engine.say(engine.phrases.say("not_in_set"), now, out)
        return
    name = engine.plan.exercises[current].name
    if engine.mode is Mode.RUNNING and engine.step.kind == "work":
        engine.record(now, "skip", out)
    target = next((i for i in range(engine.index + 1, len(engine.steps))
                   if engine.steps[i].kind in ("exercise", "end") and engine.steps[i].exercise != current),
                  len(engine.steps) - 1)
    engine.enter(target, out, now, lead_in=[engine.phrases.say("skipping", exercise=name)])
    out += engine.advance()


def on_repeat(engine: Engine, now: float, out: list[Event]) -> None:
    if engine.last_instruction:
        engine.say(engine.last_instruction, now, out)
    else:
        engine.say(engine.phrases.say("nothing_to_repeat"), now, out)


def _change_tempo(engine: Engine, now: float, out: list[Event], factor: float, key: str) -> None:
    exercise = engine.exercise
    if exercise is None or not exercise.tempo:
        engine.say(engine.phrases.say("no_tempo"), now, out)
        return
    low, high = TEMPO_LIMITS
    new = min(high, max(low, engine.tempo_factor * factor))
    if abs(new - engine.tempo_factor) < 1e-9:
        engine.say(engine.phrases.say("tempo_limit"), now, out)
        return
    engine.tempo_factor = new
    seconds = f"{exercise.rep_seconds * new:.1f}".rstrip("0").rstrip(".")
    engine.say(engine.phrases.say(key, seconds=seconds), now, out)
    if engine.mode is Mode.RUNNING and engine.step.kind == "work" and exercise.hold_seconds is None:
        _retime_from_next_rep(engine, now)


def _retime_from_next_rep(engine: Engine, now: float) -> None:
    """Keep the rep in progress as it is; the reps after it follow the new tempo."""
    elapsed = now - engine.step_started
    current = max((rep for rep, start in engine.beats.rep_starts.items() if start <= elapsed), default=None)
    next_start = engine.beats.rep_starts.get(current + 1) if current is not None else None
    if current is None or next_start is None:
        return  # in the lead-in (reps not begun) or the last rep: nothing later to re-time
    exercise = engine.exercise
    assert exercise is not None
    kept = [b for b in engine.beats.beats if b.rep is None or b.rep <= current]
    voice_free = max((b.at + engine.settings.estimate_speech(b.text or "") for b in kept if b.kind == "say"),
                     default=0.0)
    context = engine.rep_context(engine.step, exercise)
    later = rep_beats(context, current + 1, [], busy_until=max(0.0, voice_free - next_start + GAP),
                      restarted=False)
    shifted = [replace(b, at=b.at + next_start) for b in later.beats]
    starts = {rep: start + next_start for rep, start in later.rep_starts.items()}
    beats = sorted(kept + shifted, key=lambda b: b.at)
    engine.beats = StepBeats(beats, next_start + later.duration, {**engine.beats.rep_starts, **starts})
    engine.beat_index = sum(1 for b in beats if b.at < elapsed - 1e-9)
    engine.beats_changed()


def on_slower(engine: Engine, now: float, out: list[Event]) -> None:
    _change_tempo(engine, now, out, TEMPO_STEP, "slower")


def on_faster(engine: Engine, now: float, out: list[Event]) -> None:
    _change_tempo(engine, now, out, 1 / TEMPO_STEP, "faster")


def on_more_rest(engine: Engine, now: float, out: list[Event]) -> None:
    if engine.mode is not Mode.RUNNING or engine.step.kind not in ("rest", "switch"):
        engine.say(engine.phrases.say("not_resting"), now, out)
        return
    remaining = engine.step_started + engine.beats.duration - now + MORE_REST_SECONDS
    engine.beats = engine.beats_for(engine.step, [engine.phrases.say("more_rest", seconds=round(MORE_REST_SECONDS))],
                                 remaining=remaining)
    engine.step_started, engine.beat_index = now, 0
    engine.beats_changed()
    out += engine.advance()


def on_status(engine: Engine, now: float, out: list[Event]) -> None:
    engine.say(_status(engine, now), now, out)


def _status(engine: Engine, now: float) -> str:
    say, step, exercise = engine.phrases.say, engine.step, engine.exercise
    if engine.mode is Mode.PAUSED:
        return say("status_paused")
    if engine.mode is Mode.WAITING:
        return say("status_waiting")
    if step.kind == "work" and exercise is not None:
        numbers = {"set": step.set, "sets": exercise.sets}
        if exercise.hold_seconds is not None:
            left = max(0, round(engine.step_started + engine.beats.duration - now))
            return say("status_hold", seconds=left, **numbers)
        rep = min(engine.reps_done + 1, engine.reps_planned)
        if step.side and exercise.sides == "each":
            return say("status_set_side", rep=rep, reps=engine.reps_planned, side=step.side, **numbers)
        return say("status_set", rep=rep, reps=engine.reps_planned, **numbers)
    if step.kind in ("rest", "switch"):
        return say("status_rest", seconds=max(0, round(engine.step_started + engine.beats.duration - now)))
    return say("status_intro")


def on_tip(engine: Engine, now: float, out: list[Event]) -> None:
    exercise = engine.exercise
    tip = engine.next_tip(exercise) if exercise is not None else None
    engine.say(tip or engine.phrases.say("no_tips"), now, out, instruction=tip is not None)


def on_help(engine: Engine, now: float, out: list[Event]) -> None:
    names = [engine.phrases.spoken_name(command) for command in _useful_commands(engine)]
    engine.say(engine.phrases.say("help", commands=", ".join(names)), now, out)


def _useful_commands(engine: Engine) -> list[str]:
    if engine.mode is Mode.PAUSED:
        return ["resume", "next", "back", "skip", "status", "stop"]
    if engine.mode is Mode.WAITING:
        return ["ready", "back", "skip", "status", "repeat", "tip", "slower", "faster", "pause", "stop"]
    if engine.step.kind == "work":
        return ["pause", "next", "done", "back", "repeat", "status", "tip", "slower", "faster",
                "louder", "quieter", "skip", "stop"]
    if engine.step.kind in ("rest", "switch"):
        return ["next", "more_rest", "pause", "back", "status", "tip", "skip", "stop"]
    return ["next", "pause", "repeat", "louder", "quieter", "stop"]


def _change_volume(engine: Engine, now: float, out: list[Event], change: float, key: str) -> None:
    new = round(min(1.0, max(0.1, engine.volume + change)), 2)
    if new == engine.volume:
        engine.say(engine.phrases.say("volume_limit"), now, out)
        return
    engine.volume = new
    out.append(engine.state_event(StateChange.VOLUME, now, volume=new))
    engine.say(engine.phrases.say(key), now, out)


def on_louder(engine: Engine, now: float, out: list[Event]) -> None:
    _change_volume(engine, now, out, VOLUME_STEP, "louder")


def on_quieter(engine: Engine, now: float, out: list[Event]) -> None:
    _change_volume(engine, now, out, -VOLUME_STEP, "quieter")


def on_stop(engine: Engine, now: float, out: list[Event]) -> None:
    if engine.stop_asked_at is None or now - engine.stop_asked_at > STOP_CONFIRM_SECONDS:
        engine.stop_asked_at = now
        engine.say(engine.phrases.say("stop_confirm"), now, out)
        return
    if engine.effective_mode is Mode.RUNNING and engine.step.kind == "work":
        engine.record(now, "stop", out)
    engine.say(engine.summary(stopped=True), now, out)
    engine.mode = Mode.FINISHED
    out.append(engine.state_event(StateChange.FINISHED, now, reps_done=engine.total_reps, ended_by="stop"))


Handler = Callable[["Engine", float, list[Event]], None]
"""A command's effect: (engine, the moment it was heard, the events to add to)."""

COMMANDS: dict[str, Handler] = {
    "pause": on_pause,
    "resume": on_resume,
    "next": on_next,
    "done": on_done,
    "ready": on_ready,
    "back": on_back,
    "skip": on_skip,
    "repeat": on_repeat,
    "slower": on_slower,
    "faster": on_faster,
    "more_rest": on_more_rest,
    "status": on_status,
    "tip": on_tip,
    "help": on_help,
    "louder": on_louder,
    "quieter": on_quieter,
    "stop": on_stop,
}
