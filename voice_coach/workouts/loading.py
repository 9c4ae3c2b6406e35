"""Read a workout script from disk and explain every problem as `FILE:LINE:COL: field: what (fix)`.

Pydantic knows field paths but not lines, so the YAML is composed into nodes first (they keep their
positions) and each validation error is walked back to the node it points at.
"""

from __future__ import annotations

import difflib
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml
from pydantic import BaseModel, ValidationError

from voice_coach.core import workout as models
from voice_coach.core.errors import VoiceCoachError
from voice_coach.core.plan import Plan, PlanError, compile_plan
from voice_coach.core.workout import Workout

MAX_SCRIPT_BYTES = 1_000_000
"""Scripts are small hand-written files; anything bigger is a mistake (bytes)."""

MAX_EXPANDED_NODES = 100_000
"""YAML aliases can make a tiny file expand enormously ("billion laughs"); this caps the result."""


@dataclass(frozen=True)
class Problem:
    """One thing wrong with a script, with where it is."""

    path: str
    line: int
    column: int
    field: str
    message: str

    def __str__(self) -> str:
        where = f"{self.path}:{self.line}:{self.column}"
        return f"{where}: {self.field}: {self.message}" if self.field else f"{where}: {self.message}"


class ScriptError(VoiceCoachError):
    """A script could not be loaded; `problems` lists every reason, one line each."""

    def __init__(self, problems: list[Problem]):
        super().__init__("\n".join(str(problem) for problem in problems))
        self.problems = problems

    def lines(self) -> list[str]:
        return [str(problem) for problem in self.problems]


def load_plan(path: str | Path, variation: str | None = None) -> Plan:
    """The plan a script file makes (with `variation` applied): ScriptError when the file is
    unusable, PlanError (naming the file) when the plan cannot be made as asked."""
    try:
        return compile_plan(load_workout(path), variation)
    except PlanError as err:
        raise PlanError(f"{path}: {err}") from err


def load_workout(path: str | Path) -> Workout:
    """Load and validate one script; raises ScriptError (never anything else) when it is unusable."""
    shown = str(path)
    text = _read_text(Path(path), shown)
    return parse_workout(text, shown)


def parse_workout(text: str, shown: str = "<script>") -> Workout:
    """Validate script text; `shown` is the name used in error lines."""
    node, data = _compose(text, shown)
    if data is None:
        raise ScriptError([Problem(shown, 1, 1, "", "the file is empty (start with `name: My workout`)")])
    if not isinstance(data, dict):
        raise ScriptError(
            [_at(shown, node, "", "a workout script is a mapping of keys such as `name:` and `exercises:`")]
        )
    try:
        return Workout.model_validate(data)
    except ValidationError as err:
        problems = [_explain(shown, node, error) for error in err.errors()]
        raise ScriptError(_unique(problems)) from err


def _read_text(path: Path, shown: str) -> str:
    def fail(message: str) -> ScriptError:
        return ScriptError([Problem(shown, 1, 1, "", message)])

    try:
        if path.is_dir():
            raise fail("is a folder, not a script (name a .yaml file inside it)")
        size = path.stat().st_size
        if size > MAX_SCRIPT_BYTES:
            raise fail(
                f"is {size / 1e6:.1f} MB; a workout script is a small text file "
                f"(at most {MAX_SCRIPT_BYTES / 1e6:g} MB): is this the right file?"
            )
        raw = path.read_bytes()
    except FileNotFoundError:
        raise fail("no such file (check the path, or run `voice-coach list` for script names)") from None
    except OSError as err:
        raise fail(f"cannot be read: {err.strerror or err} (check its permissions)") from None
    try:
        return raw.decode("utf-8-sig")
    except UnicodeDecodeError as err:
        line = raw.count(b"\n", 0, err.start) + 1
        column = err.start - (raw.rfind(b"\n", 0, err.start) + 1) + 1
        raise ScriptError(
            [Problem(shown, line, column, "", "not UTF-8 text (is this a binary file? save the script as UTF-8)")]
        ) from None


def _compose(text: str, shown: str) -> tuple[yaml.Node | None, Any]:
    try:
        loader = yaml.SafeLoader(text)  # the reader checks characters already here
        try:
            node = loader.get_single_node()
            if node is None:
                return None, None
            _check_node(node, shown)
            return node, loader.construct_document(node)
        finally:
            loader.dispose()
    except yaml.reader.ReaderError as err:
        line, column = _line_and_column(text, err.position)
        message = f"character U+{_code(err.character):04X} is not allowed in a script (delete it)"
        raise ScriptError([Problem(shown, line, column, "", message)]) from None
    except yaml.MarkedYAMLError as err:
        mark = err.problem_mark or err.context_mark
        problem = err.problem or err.context or "not valid YAML"
        line, column = (mark.line + 1, mark.column + 1) if mark else (1, 1)
        fix = "indent with spaces, not tabs" if "\\t" in problem else "check indentation, colons and quotes"
        raise ScriptError([Problem(shown, line, column, "", f"YAML syntax: {problem} ({fix})")]) from None
    except yaml.YAMLError as err:
        raise ScriptError([Problem(shown, 1, 1, "", f"not readable as YAML: {err}")]) from None
    except RecursionError:
        raise ScriptError([Problem(shown, 1, 1, "", "nested too deeply to be a workout script")]) from None


def _code(character: int | str) -> int:
    return character if isinstance(character, int) else ord(character)


def _line_and_column(text: str, position: int) -> tuple[int, int]:
    line = text.count("\n", 0, position) + 1
    return line, position - (text.rfind("\n", 0, position) + 1) + 1


def _check_node(root: yaml.Node, shown: str) -> None:
    """Reject duplicate keys (PyYAML would silently keep the last) and alias bombs."""
    sizes: dict[int, int] = {}

    def expanded_size(node: yaml.Node) -> int:
        if id(node) in sizes:
            return sizes[id(node)]
        sizes[id(node)] = 1  # guards against recursive aliases
        size = 1
        if isinstance(node, yaml.MappingNode):
            seen: dict[Any, yaml.Node] = {}
            for key, value in node.value:
                if isinstance(key, yaml.ScalarNode):
                    if key.value in seen:
                        first = seen[key.value].start_mark.line + 1
                        raise ScriptError(
                            [_at(shown, key, "", f"key `{key.value}` appears twice (first on line {first}); keep one")]
                        )
                    seen[key.value] = key
                size += expanded_size(key) + expanded_size(value)
        elif isinstance(node, yaml.SequenceNode):
            size += sum(expanded_size(item) for item in node.value)
        if size > MAX_EXPANDED_NODES:
            raise ScriptError([_at(shown, node, "", "expands to far too many values (YAML aliases?); simplify it")])
        sizes[id(node)] = size
        return size

    expanded_size(root)


def _at(shown: str, node: yaml.Node | None, field: str, message: str) -> Problem:
    if node is None:
        return Problem(shown, 1, 1, field, message)
    return Problem(shown, node.start_mark.line + 1, node.start_mark.column + 1, field, message)


def _untag(loc: tuple[Any, ...]) -> tuple[tuple[Any, ...], str]:
    """Drop the union tag pydantic puts after `exercises[i]` and return it ('exercise' or 'block')."""
    if len(loc) > 2 and loc[0] == "exercises" and loc[2] in ("exercise", "block"):
        return loc[:2] + loc[3:], loc[2]
    return loc, "exercise"


def _locate(
    root: yaml.Node | None, loc: tuple[Any, ...]
) -> tuple[yaml.Node | None, str, yaml.Node | None]:
    """Follow a pydantic location through the YAML nodes: the deepest node reached and the field path.

    When the last step is a key that exists, the node is the key itself: that is where an unknown
    key is, and where a reader looks for a wrong value's name.
    """
    node, parts = root, []
    key_node = None
    for step in loc:
        key_node = None
        if isinstance(node, yaml.MappingNode) and isinstance(step, str):
            parts.append(step)
            for key, value in node.value:
                if isinstance(key, yaml.ScalarNode) and key.value == step:
                    node, key_node = value, key
                    break
            else:
                break  # a missing key: point at the mapping that lacks it
        elif isinstance(node, yaml.SequenceNode) and isinstance(step, int) and step < len(node.value):
            parts[-1:] = [f"{parts[-1]}[{step}]"] if parts else [f"[{step}]"]
            node = node.value[step]
        else:
            break  # inside a scalar (e.g. the `min` of a range written as "12-15")
    return node, ".".join(parts), key_node


_EXPECTED = {
    "int_type": "a whole number",
    "int_parsing": "a whole number",
    "int_from_float": "a whole number",
    "float_type": "a number",
    "float_parsing": "a number",
    "string_type": "text",
    "list_type": "a list (one `- item` per line)",
    "tuple_type": "a list of two names",
    "dict_type": "a mapping of keys",
    "model_type": "a mapping of keys",
    "model_attributes_type": "a mapping of keys",
    "bool_type": "true or false",
}


def _explain(shown: str, root: yaml.Node | None, error: dict[str, Any]) -> Problem:
    loc, tag = _untag(tuple(error.get("loc", ())))
    kind = error.get("type", "")
    ctx = error.get("ctx") or {}
    node, field, key_node = _locate(root, loc)
    value = error.get("input")
    if kind == "extra_forbidden":
        key = str(loc[-1]) if loc else "?"
        allowed = _allowed_keys(loc, tag)
        hint = difflib.get_close_matches(key, allowed, n=1)
        fix = f"did you mean `{hint[0]}`?" if hint else f"allowed here: {', '.join(allowed)}"
        return _at(shown, key_node or node, field, f"unknown key ({fix})")
    if kind == "missing" and loc and isinstance(loc[-1], int):
        return _at(shown, node, field, "needs two names, the first side first (e.g. [right leg, left leg])")
    if kind == "missing":
        return _at(shown, node, field, "is required but missing (add it)")
    if kind in _EXPECTED:
        return _at(shown, node, field, f"expected {_EXPECTED[kind]}, got {_describe(value)}")
    if kind in ("greater_than_equal", "greater_than", "less_than_equal", "less_than"):
        bound = ctx.get("ge", ctx.get("gt", ctx.get("le", ctx.get("lt"))))
        word = {"greater_than_equal": "at least", "greater_than": "more than",
                "less_than_equal": "at most", "less_than": "less than"}[kind]
        shown_bound = f"{bound:g}" if isinstance(bound, (int, float)) else bound
        return _at(shown, node, field, f"must be {word} {shown_bound}, got {_describe(value)}")
    if kind in ("string_too_short", "too_short"):
        return _at(shown, node, field, "must not be empty (write something, or leave the key out)")
    if kind in ("string_too_long", "too_long"):
        limit = ctx.get("max_length")
        return _at(shown, node, field, f"is too long (at most {limit}); shorten it")
    if kind == "literal_error":
        return _at(shown, node, field, f"must be one of {ctx.get('expected')}, got {_describe(value)}")
    if kind == "string_pattern_mismatch":
        return _at(shown, node, field, f"got {_describe(value)}; use a two-letter language code such as en")
    if kind == "union_tag_invalid":
        return _at(shown, node, field, "must be an exercise or a block")
    message = str(error.get("msg", "is not valid"))
    message = message.removeprefix("Value error, ")
    return _at(shown, node, field, message)


def _describe(value: Any) -> str:
    if value is None:
        return "nothing"
    if isinstance(value, dict):
        return "a mapping"
    if isinstance(value, list):
        return "a list"
    text = repr(value)
    return text if len(text) <= 40 else text[:37] + "..."


def _allowed_keys(loc: tuple[Any, ...], tag: str) -> list[str]:
    """Field names of the model that holds the unknown key, for a did-you-mean hint."""

    model: Any = models.Workout
    for depth, step in enumerate(loc[:-1]):
        if isinstance(step, int):
            if depth == 1:  # an item of the workout's exercises: the union's tag says which model
                model = models.Block if tag == "block" else models.Exercise
            continue
        field = getattr(model, "model_fields", {}).get(step)
        if field is None:
            continue
        model = _model_in(field.annotation) or model
    return sorted(getattr(model, "model_fields", {}))


def _model_in(annotation: Any) -> Any:
    """The pydantic model inside an annotation such as `list[TempoPhase] | None`."""

    if isinstance(annotation, type) and issubclass(annotation, BaseModel):
        return annotation
    for arg in getattr(annotation, "__args__", ()):
        found = _model_in(arg)
        if found is not None:
            return found
    return None


def _unique(problems: list[Problem]) -> list[Problem]:
    seen: set[str] = set()
    result = []
    for problem in sorted(problems, key=lambda p: (p.line, p.column)):
        if str(problem) not in seen:
            seen.add(str(problem))
            result.append(problem)
    return result
