"""Turn one input line into the JSON text we land, or into the reason it is quarantined.

Lines that need no change are landed byte for byte. Lines that do (privacy) are re-read with
exact decimals and re-written, so a number such as 0.0123456789012345678 is never rounded.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable
from decimal import Decimal
from typing import Any

import orjson
import simplejson

from loader.privacy import (
    REDACTED_IDENTIFIER,
    Pseudonymiser,
    RedactionCounts,
    is_sensitive_identifier,
    redact_text,
    scrub_entries,
)
from loader.streams import StreamSpec

NUL_ESCAPE = b"\\u0000"
# A plain decimal as the contract's CSV prices are written (0.000002, 2e-6); no thousands or
# decimal commas. Anchored and without nested repetition: linear on any value.
PLAIN_DECIMAL = re.compile(r"[+-]?(?:[0-9]+(?:[.][0-9]*)?|[.][0-9]+)(?:[eE][+-]?[0-9]+)?")
# A record of the contract nests a few levels (metadata objects); deeper is hostile, and the
# recursive steps below must never meet it.
MAX_NESTING = 32
# PostgreSQL numeric (the jsonb the raw tables hold): at most 131072 digits before the decimal
# point and 16383 after it. Only lines with a long exponent can break that.
MAX_INTEGER_DIGITS = 131_072
MAX_FRACTION_DIGITS = 16_383
# A digit, then an exponent of four digits or more: a candidate huge number, or the middle of
# an id (a UUID's "9e1234"), which _has_long_exponent tells apart.
EXPONENT_TAIL = re.compile(rb"[0-9][eE][+-]?[0-9]{4}")
NUMBER_BYTES = frozenset(b"0123456789.")
WORD_BYTES = frozenset(b"0123456789.abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ_")
# How many number warnings one file reports line by line; the rest are counted.
MAX_LISTED_WARNINGS = 20
JSON_KINDS = {list: "array", str: "string", int: "number", float: "number", bool: "boolean"}


class LineProcessor:
    def __init__(self, spec: StreamSpec, pseudonymiser: Pseudonymiser) -> None:
        self.spec = spec
        self.pseudonymiser = pseudonymiser
        self.counts = RedactionCounts()
        self.warnings: list[str] = []
        self.unlisted_warnings = 0

    def prepare_json(self, content: bytes) -> bytes | str:
        """The JSON object text to land, or a quarantine reason (a str)."""
        record = _parse_object(content)
        if isinstance(record, str):
            return record
        tally = RedactionCounts()
        if not self._scrub(record, tally):
            # A carriage return between tokens is JSON whitespace, but COPY refuses it.
            return content if b"\r" not in content else _write_exactly(_read_exactly(content))
        if not _any_leaf(record, _is_not_exact_for_orjson):
            # No float anywhere: orjson read every number exactly, so it writes them back.
            self.counts.add(tally)
            return orjson.dumps(record)
        # Floats may have lost digits in orjson; redo the scrub on an exact-decimal reading.
        exact = _read_exactly(content)
        self._scrub(exact, self.counts)
        return _write_exactly(exact)

    def prepare_csv(self, header: list[str], values: list[str], line_number: int) -> bytes | str:
        if len(values) != len(header):
            return f"CSV row has {len(values)} fields, the header has {len(header)}"
        record: dict[str, Any] = dict(zip(header, values, strict=True))
        if any("\x00" in value for value in values):
            return "contains a NUL character, which PostgreSQL text cannot hold"
        self._warn_about_numbers(record, line_number)
        self._scrub(record, self.counts)
        return orjson.dumps(record)

    def _warn_about_numbers(self, record: dict[str, Any], line_number: int) -> None:
        for column in sorted(self.spec.csv_number_columns & record.keys()):
            value = record[column].strip()
            if not value or PLAIN_DECIMAL.fullmatch(value):
                continue
            if len(self.warnings) >= MAX_LISTED_WARNINGS:
                self.unlisted_warnings += 1
                continue
            shown = value if len(value) <= 40 else value[:40] + "..."
            self.warnings.append(
                f"line {line_number}: {column} {shown!r} is not a plain decimal number"
                " (landed; staging rejects the record)"
            )

    def _scrub(self, record: dict[str, Any], counts: RedactionCounts) -> bool:
        """Apply the privacy rules in place; True when anything changed."""
        removed = 0
        for name in self.spec.free_form_objects:
            removed += _scrub_object(record.get(name))
        decision = record.get("routing_decision")
        if isinstance(decision, dict):
            removed += _scrub_object(decision.get("user_preferences"))
        unknown = record.keys() - self.spec.fields
        if unknown:
            removed += scrub_entries(record, sorted(unknown))
        redactions = _redact_identifiers(record, self.spec.identifier_fields)
        if isinstance(decision, dict):
            redactions += _redact_identifiers(decision, ("routing_strategy",))
        message = record.get("error_message")
        if isinstance(message, str) and message:
            record["error_message"], message_redactions = redact_text(message)
            redactions += message_redactions
        pseudonymised = 0
        if record.get("user_id") is not None:
            record["user_id"] = self.pseudonymiser.pseudonymise(record["user_id"])
            pseudonymised = 1
        counts.metadata_entries_removed += removed
        counts.error_message_redactions += redactions
        counts.user_ids_pseudonymised += pseudonymised
        return bool(removed or redactions or pseudonymised)


def _redact_identifiers(record: dict[str, Any], fields: tuple[str, ...]) -> int:
    redacted = 0
    for name in fields:
        value = record.get(name)
        if isinstance(value, str) and is_sensitive_identifier(value):
            record[name] = REDACTED_IDENTIFIER
            redacted += 1
    return redacted


def _parse_object(content: bytes) -> dict[str, Any] | str:
    """The line as a JSON object (for inspection only), or why it is not one we can land."""
    if not content.strip():
        return "blank line"
    read_as_doubles = True
    try:
        record = orjson.loads(content)
    except orjson.JSONDecodeError as error:
        read_as_doubles = False
        record = (
            "not valid JSON: nested too deeply"
            if "recursion" in str(error)
            else _parse_exactly(content)
        )
        if isinstance(record, str):
            return record
    if not isinstance(record, dict):
        return f"not a JSON object (a JSON {JSON_KINDS.get(type(record), 'null')})"
    return _unlandable_reason(record, content, read_as_doubles=read_as_doubles) or record


def _unlandable_reason(
    record: dict[str, Any], content: bytes, *, read_as_doubles: bool
) -> str | None:
    """Why a parsed object cannot be landed as it is, if it cannot."""
    # Nesting needs an opening bracket per level: most lines have too few to be worth a walk.
    brackets = content.count(b"{") + content.count(b"[")
    if brackets > MAX_NESTING and _nesting_exceeds(record, MAX_NESTING):
        return f"nested deeper than {MAX_NESTING} levels"
    # orjson refuses a number too big for a double, so a line it read can only hold one
    # with too many fraction digits: a long literal, or a negative exponent.
    may_hold_huge_number = len(content) > MAX_FRACTION_DIGITS or (
        (not read_as_doubles or b"e-" in content or b"E-" in content)
        and _has_long_exponent(content)
    )
    if may_hold_huge_number and _has_unstorable_number(content):
        return (
            "a number PostgreSQL cannot store (more than"
            f" {MAX_INTEGER_DIGITS} digits before or {MAX_FRACTION_DIGITS} after the point)"
        )
    if NUL_ESCAPE in content and _any_leaf(record, _has_nul):
        return "contains a \\u0000 character, which PostgreSQL text cannot hold"
    return None


def _scrub_object(value: object) -> int:
    return scrub_entries(value) if isinstance(value, dict) and value else 0


def _parse_exactly(content: bytes) -> object:
    """Second opinion for lines orjson refuses: explain why, or accept what it cannot hold."""
    try:
        text = content.decode("utf-8")
    except UnicodeDecodeError as error:
        return f"invalid UTF-8 at byte {error.start}"
    try:
        record = _read_exactly(text)
    except simplejson.JSONDecodeError as error:
        return f"not valid JSON: {error.msg} (column {error.colno})"
    except RecursionError:
        return "not valid JSON: nested too deeply"
    if _nesting_exceeds(record, MAX_NESTING):
        return f"nested deeper than {MAX_NESTING} levels"
    if _any_leaf(record, _is_lone_surrogate_text):
        return "not valid JSON: a \\u escape is half of a surrogate pair"
    return record


def _read_exactly(content: bytes | str) -> Any:
    """Every number as a Decimal, as sent (Python ints stop at 4,300 digits); no NaN."""
    return simplejson.loads(content, use_decimal=True, parse_int=Decimal, allow_nan=False)


def _write_exactly(value: object) -> bytes:
    """JSON text of an exact reading, every number as sent, without insignificant spaces."""
    text: str = simplejson.dumps(value, use_decimal=True, ensure_ascii=False)
    return text.encode()


def _nesting_exceeds(value: object, limit: int) -> bool:
    """True when arrays and objects nest deeper than `limit` (iterative: any depth is safe)."""
    stack: list[tuple[object, int]] = [(value, 1)]
    while stack:
        item, depth = stack.pop()
        if isinstance(item, dict):
            children: Iterable[object] = item.values()
        elif isinstance(item, list):
            children = item
        else:
            continue
        if depth > limit:
            return True
        stack.extend((child, depth + 1) for child in children)
    return False


def _has_long_exponent(content: bytes) -> bool:
    """A number with a four-digit exponent somewhere in the line: the digits before an
    exponent tail start after a byte that cannot be part of a word. Linear: each walk back
    stops at the previous tail's "e"."""
    if EXPONENT_TAIL.search(content) is None:
        return False
    for match in EXPONENT_TAIL.finditer(content):
        start = match.start()
        while start > 0 and content[start - 1] in NUMBER_BYTES:
            start -= 1
        if start == 0 or content[start - 1] not in WORD_BYTES:
            return True
    return False


def _has_unstorable_number(content: bytes) -> bool:
    numbers: list[Decimal] = []
    keep = _numbers_kept(numbers)
    simplejson.loads(content, parse_int=keep, parse_float=keep)
    return any(
        number.is_finite()
        and (
            number.adjusted() >= MAX_INTEGER_DIGITS
            or -int(number.as_tuple().exponent) > MAX_FRACTION_DIGITS
        )
        for number in numbers
    )


def _numbers_kept(numbers: list[Decimal]) -> Callable[[str], Decimal]:
    def parse(text: str) -> Decimal:
        number = Decimal(text)
        numbers.append(number)
        return number

    return parse


def _is_lone_surrogate_text(value: object) -> bool:
    if not isinstance(value, str):
        return False
    try:
        value.encode("utf-8")
    except UnicodeEncodeError:
        return True
    return False


def _has_nul(value: object) -> bool:
    return isinstance(value, str) and "\x00" in value


def _is_not_exact_for_orjson(value: object) -> bool:
    """A float (orjson may have lost digits) or a Decimal (orjson cannot write one)."""
    return isinstance(value, (float, Decimal))


def _any_leaf(value: object, predicate: Callable[[object], bool]) -> bool:
    """True when any key or scalar in the JSON value satisfies `predicate`."""
    if isinstance(value, dict):
        return any(predicate(key) or _any_leaf(item, predicate) for key, item in value.items())
    if isinstance(value, list):
        return any(_any_leaf(item, predicate) for item in value)
    return predicate(value)
