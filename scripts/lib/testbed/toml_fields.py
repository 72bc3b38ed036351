"""Typed, range-checked reading of TOML tables with errors that name the key.

Every error names the file, the full key path, the bad value and what is
accepted. tomllib does not report where a parsed value came from, so the line
is added only when the key and value occur on exactly one line of the file.
"""

import re
import tomllib
from pathlib import Path

MISSING = object()


class ScenarioError(Exception):
    """An invalid scenario: the message is ready to show to the user."""


class TomlSource:
    """A parsed TOML file plus its text, for locating keys in error messages."""

    def __init__(self, path):
        self.path = Path(path)
        try:
            self.text = self.path.read_text(encoding="utf-8")
        except OSError as error:
            raise ScenarioError(f"{self.path}: cannot read scenario: {error.strerror}") from error
        try:
            self.data = tomllib.loads(self.text)
        except tomllib.TOMLDecodeError as error:
            raise ScenarioError(f"{self.path}: invalid TOML: {error}") from error

    def line_of(self, leaf_key, value=MISSING):
        """Return the 1-based line that assigns leaf_key, or None when that is ambiguous.

        A single line with both the key and the value wins. Otherwise the key
        alone must occur on exactly one line (as an assignment or a table header).
        """
        key = re.escape(leaf_key)
        assignment = re.compile(rf"(^|[\s{{,]){key}\s*=\s*(?P<value>[^,}}#]*)")
        header = re.compile(rf"^\s*\[\[?\s*([\w.]+\.)?{key}\s*\]\]?")
        lines = self.text.splitlines()
        key_lines = []
        value_lines = []
        for number, line in enumerate(lines, start=1):
            match = assignment.search(line)
            if match or header.search(line):
                key_lines.append(number)
            if match and value is not MISSING and match.group("value").strip() == format_value(value):
                value_lines.append(number)
        for candidates in (value_lines, key_lines):
            if len(candidates) == 1:
                return candidates[0]
        return None

    def error(self, key, value, problem):
        """Build a ScenarioError for `key = value` with the line where it can be found."""
        leaf = re.sub(r"\[\d+\]$", "", key.rsplit(".", 1)[-1])
        line = self.line_of(leaf, value)
        where = f"{self.path}:{line}" if line else f"{self.path}"
        if value is MISSING:
            return ScenarioError(f"{where}: missing key '{key}': {problem}")
        return ScenarioError(f"{where}: key '{key}' = {format_value(value)}: {problem}")


def format_value(value):
    """Render a TOML value the way it is written in a file."""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, str):
        return f'"{value}"'
    if isinstance(value, dict):
        return "{" + ", ".join(f"{k} = {format_value(v)}" for k, v in value.items()) + "}"
    if isinstance(value, list):
        return "[" + ", ".join(format_value(v) for v in value) + "]"
    return str(value)


def is_number(value):
    return isinstance(value, (int, float)) and not isinstance(value, bool)


class Table:
    """One TOML table being read: each read marks its key as known."""

    def __init__(self, source, data, path):
        self.source = source
        self.data = data
        self.path = path
        self.known = set()

    def key_path(self, key):
        return f"{self.path}.{key}" if self.path else key

    def get(self, key, default):
        self.known.add(key)
        if key in self.data:
            return self.data[key]
        if default is MISSING:
            raise self.source.error(self.key_path(key), MISSING, "required")
        return default

    def has(self, key):
        return key in self.data

    def number(self, key, *, minimum=None, maximum=None, above=None, default=MISSING, unit=""):
        """Read a number; `above` is an exclusive lower bound, minimum/maximum are inclusive."""
        if not self.has(key) and default is not MISSING:
            self.known.add(key)
            return default
        value = self.get(key, default)
        if not is_number(value):
            raise self.source.error(self.key_path(key), value, f"must be a number{unit_suffix(unit)}")
        if above is not None and not value > above:
            raise self.source.error(self.key_path(key), value, f"must be greater than {above}{unit_suffix(unit)}")
        if minimum is not None and value < minimum:
            raise self.source.error(self.key_path(key), value, f"must be at least {minimum}{unit_suffix(unit)}")
        if maximum is not None and value > maximum:
            raise self.source.error(self.key_path(key), value, f"must be at most {maximum}{unit_suffix(unit)}")
        return float(value) if isinstance(value, float) else value

    def integer(self, key, *, minimum, maximum, default=MISSING, unit=""):
        if not self.has(key) and default is not MISSING:
            self.known.add(key)
            return default
        value = self.get(key, default)
        if not isinstance(value, int) or isinstance(value, bool):
            raise self.source.error(self.key_path(key), value, f"must be an integer{unit_suffix(unit)}")
        return self.number(key, minimum=minimum, maximum=maximum, unit=unit)

    def string(self, key, *, default=MISSING):
        value = self.get(key, default)
        if not isinstance(value, str):
            raise self.source.error(self.key_path(key), value, "must be a string")
        return value

    def choice(self, key, choices, *, default=MISSING):
        value = self.string(key, default=default)
        if value not in choices:
            accepted = ", ".join(f'"{choice}"' for choice in choices)
            raise self.source.error(self.key_path(key), value, f"must be one of {accepted}")
        return value

    def string_list(self, key):
        value = self.get(key, MISSING)
        if not isinstance(value, list) or not value or not all(isinstance(item, str) and item for item in value):
            raise self.source.error(self.key_path(key), value,
                                    "must be a non-empty array of non-empty strings")
        return value

    def table(self, key, *, default=MISSING):
        """Read a sub-table; a missing optional table reads as empty."""
        value = self.get(key, {} if default is not MISSING else MISSING)
        if not isinstance(value, dict):
            raise self.source.error(self.key_path(key), value, "must be a table")
        return Table(self.source, value, self.key_path(key))

    def table_list(self, key, *, required):
        """Read an array of tables (`[[key]]` or an array of inline tables)."""
        value = self.get(key, MISSING if required else [])
        if not isinstance(value, list) or not all(isinstance(item, dict) for item in value):
            raise self.source.error(self.key_path(key), value, "must be an array of tables")
        if required and not value:
            raise self.source.error(self.key_path(key), value, "must contain at least one entry")
        return [Table(self.source, item, f"{self.key_path(key)}[{index}]") for index, item in enumerate(value)]

    def reject(self, key, reason):
        """Fail if key is present: used for keys that do not apply in a given mode."""
        self.known.add(key)
        if key in self.data:
            raise self.source.error(self.key_path(key), self.data[key], reason)

    def finish(self):
        """Reject every key of this table that no read asked for."""
        for key, value in self.data.items():
            if key not in self.known:
                known = ", ".join(sorted(self.known)) or "none"
                raise self.source.error(self.key_path(key), value, f"unknown key (known keys here: {known})")


def unit_suffix(unit):
    return f" {unit}" if unit else ""
