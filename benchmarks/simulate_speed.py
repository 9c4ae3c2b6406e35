"""How fast the engine walks whole workouts on a fake clock (the figure: milliseconds per workout).

    .venv/bin/python benchmarks/simulate_speed.py
"""

from __future__ import annotations

import statistics
import time

from voice_coach.core.clock import FakeClock
from voice_coach.core.engine.machine import Engine, Settings
from voice_coach.core.phrases import load_phrases
from voice_coach.core.simulate import parse_schedule, simulate
from voice_coach.workouts.library import available_scripts
from voice_coach.workouts.loading import load_plan

COMMANDS = "1:00 pause; 1:20 resume; 1:40 slower; 2:30 status; 3:00 next; 3:20 tip; 3:40 back; 5:00 faster"


def main(repeats: int = 20) -> None:
    phrases = load_phrases("en")
    print(f"{'workout':24} {'simulated':>10} {'events':>7} {'median ms':>10} {'max ms':>8}")
    for ref in available_scripts():
        plan = load_plan(ref.path)
        timings, result, clock = [], None, None
        for _ in range(repeats):
            clock = FakeClock()
            started = time.perf_counter()
            result = simulate(Engine(plan, phrases, clock, Settings(auto_start_seconds=3.0)), clock,
                              parse_schedule(COMMANDS))
            timings.append((time.perf_counter() - started) * 1000)
        simulated = f"{clock.now() / 60:.1f} min"
        print(f"{ref.name:24} {simulated:>10} {len(result.events):>7} {statistics.median(timings):>10.1f} "
              f"{max(timings):>8.1f}")


if __name__ == "__main__":
    main()
