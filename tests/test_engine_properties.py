"""Any commands at any times: the engine never crashes, never double-counts, always reaches its end."""

from __future__ import annotations

from engine_helpers import bundled_plan, inline_plan, make_engine
from hypothesis import HealthCheck, settings
from hypothesis import strategies as st
from hypothesis.stateful import RuleBasedStateMachine, initialize, invariant, rule

from voice_coach.core.engine.machine import Mode
from voice_coach.core.phrases import COMMANDS, load_phrases

PLANS = {
    "quick-try": bundled_plan("quick-try"),
    "reverse-lunge-glutes": bundled_plan("reverse-lunge-glutes"),
    "circuit": inline_plan(
        "name: Circuit\nexercises:\n"
        "  - {name: Squat, sets: 2, reps: 3, tempo: [{name: down, seconds: 1-2, cue: Sit back.}, "
        "{name: up, seconds: 1}], tips: [Chest up., Knees out.], rest: {between_sets: 10, after_exercise: 5}}\n"
        "  - block: finisher\n    rounds: 2\n    rest_between_rounds: 8\n    exercises:\n"
        "      - {name: Side plank, hold_seconds: 21, sides: each, rest: {between_sides: 3}}\n"
        "      - {name: Lunge, reps: 2, sides: alternating}\n"
    ),
}
ENGLISH = load_phrases("en")
HEARD = st.one_of(
    st.sampled_from(COMMANDS),
    st.sampled_from([phrase for phrases in ENGLISH.commands.values() for phrase in phrases]),
    st.text(max_size=12),
)


def planned_reps(plan) -> int:
    return sum(e.sets * (e.reps or 0) * (2 if e.sides in ("each", "alternating") else 1) for e in plan.exercises)


class SessionMachine(RuleBasedStateMachine):
    @initialize(name=st.sampled_from(sorted(PLANS)), auto_start=st.sampled_from([None, 0.0, 2.0]))
    def begin(self, name, auto_start):
        self.plan = PLANS[name]
        self.engine, self.clock = make_engine(self.plan, auto_start)
        self.events = self.engine.start()

    @rule(seconds=st.floats(0, 90, allow_nan=False))
    def time_passes(self, seconds):
        self.clock.set(self.clock.now() + seconds)
        self.events += self.engine.advance()

    @rule(heard=HEARD)
    def person_speaks(self, heard):
        self.events += self.engine.hear(heard)

    @invariant()
    def no_set_logs_more_than_planned(self):
        if not hasattr(self, "engine"):
            return
        for record in self.engine.records.values():
            assert 0 <= record.reps_done <= record.reps_planned
        assert self.engine.total_reps <= planned_reps(self.plan)
        assert self.engine.reps_done <= self.engine.reps_planned or self.engine.finished

    @invariant()
    def time_in_events_never_runs_backwards(self):
        if hasattr(self, "events"):
            times = [event.t for event in self.events]
            assert times == sorted(times)

    def teardown(self):
        if not hasattr(self, "engine"):
            return
        engine = self.engine
        for _ in range(5000):  # a person who now just follows along: resume, ready, wait
            if engine.finished:
                break
            if engine.mode is Mode.PAUSED:
                self.events += engine.hear("resume")
            elif engine.mode is Mode.WAITING and engine.next_due() is None:
                self.events += engine.hear("ready")
            else:
                due = engine.next_due()
                assert due is not None
                self.clock.set(max(self.clock.now(), due))
                self.events += engine.advance()
        assert engine.finished, "every workout reaches its end"
        finished = [e for e in self.events if e.kind == "state" and e.data.get("state") == "finished"]
        assert len(finished) == 1 and finished[0].data["reps_done"] == engine.total_reps
        logged = {}
        for event in self.events:
            if event.kind == "state" and event.data.get("state") == "set_end":
                key = (event.data["position"], event.data["set"], event.data["side"])
                logged[key] = event.data["reps_done"]  # a set done again replaces its first try
        assert sum(logged.values()) == engine.total_reps


SessionMachine.TestCase.settings = settings(
    max_examples=300, stateful_step_count=40, deadline=None, suppress_health_check=[HealthCheck.too_slow]
)
TestSession = SessionMachine.TestCase


def test_untouched_workouts_finish_with_every_planned_rep():
    for plan in PLANS.values():
        engine, clock = make_engine(plan, 0.0)
        engine.start()
        while not engine.finished:
            clock.set(engine.next_due())
            engine.advance()
        assert engine.total_reps == planned_reps(plan)
