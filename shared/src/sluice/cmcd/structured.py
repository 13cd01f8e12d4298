"""Structured Field Values for HTTP (RFC 8941): the Dictionary syntax CMCD is written in.

A CMCD report is one Dictionary: ``br=3200,bs,cid="movie-1",ot=v,bl=(1200;ot=a 1800;ot=v)``.
Members are ``key=value`` or a bare ``key`` (boolean true); a value is an Item (integer, decimal,
string, token, byte sequence, boolean) or an Inner List of Items, each with optional parameters.
Anything else is a ``StructuredFieldError`` naming the position and what was expected.
"""

from __future__ import annotations

import base64
import binascii
import re
from dataclasses import dataclass, field
from typing import Union

from sluice.runtime.errors import SluiceError

__all__ = [
    "MAX_INNER_ITEMS",
    "MAX_MEMBERS",
    "BareItem",
    "InnerList",
    "Item",
    "Member",
    "StructuredFieldError",
    "Token",
    "canonical",
    "parse_dictionary",
]

# Parsing bounds: a dictionary has at most this many members and an inner list this many items
# (a report is a few dozen keys; the bounds stop a hostile line from becoming a loop bound).
MAX_MEMBERS = 256
MAX_INNER_ITEMS = 64

_KEY = re.compile(r"[a-z*][a-z0-9_\-.*]*")
_TOKEN = re.compile(r"[A-Za-z*][A-Za-z0-9!#$%&'*+\-.^_`|~:/]*")
_NUMBER = re.compile(r"-?[0-9]+(\.[0-9]+)?")


class StructuredFieldError(SluiceError, ValueError):
    """A report that is not a Structured Field Dictionary: where it broke and why."""

    def __init__(self, position: int, reason: str) -> None:
        super().__init__(f"at character {position + 1}: {reason}")
        self.position = position
        self.reason = reason


@dataclass(frozen=True)
class Token:
    """A bare token (``ot=v``): kept apart from strings (``cid="v"``), as the syntax does."""

    value: str


BareItem = Union[int, float, str, bool, bytes, Token]  # noqa: UP007 - a runtime alias


@dataclass(frozen=True)
class Item:
    value: BareItem
    params: dict[str, BareItem] = field(default_factory=dict)


@dataclass(frozen=True)
class InnerList:
    items: tuple[Item, ...]
    params: dict[str, BareItem] = field(default_factory=dict)


Member = Item | InnerList


def parse_dictionary(text: str) -> dict[str, Member]:
    """The members of a Dictionary, in order (a repeated key keeps its last value, per RFC 8941)."""
    parser = _Parser(text)
    members: dict[str, Member] = {}
    parser.skip(" ")
    if parser.done():
        return members
    while True:
        if len(members) >= MAX_MEMBERS:
            raise StructuredFieldError(parser.at, f"more than {MAX_MEMBERS} members")
        key = parser.key()
        if parser.peek() == "=":
            parser.at += 1
            members[key] = parser.inner_list() if parser.peek() == "(" else parser.item()
        else:
            members[key] = Item(True, parser.parameters())
        parser.skip(" \t")
        if parser.done():
            return members
        parser.expect(",")
        parser.skip(" \t")
        if parser.done():
            raise StructuredFieldError(parser.at, "a member must follow ','")


class _Parser:
    def __init__(self, text: str) -> None:
        self.text = text
        self.at = 0

    def done(self) -> bool:
        return self.at >= len(self.text)

    def peek(self) -> str:
        return self.text[self.at] if self.at < len(self.text) else ""

    def skip(self, characters: str) -> None:
        while self.at < len(self.text) and self.text[self.at] in characters:
            self.at += 1

    def expect(self, character: str) -> None:
        if self.peek() != character:
            found = repr(self.peek()) if self.peek() else "the end"
            raise StructuredFieldError(self.at, f"expected {character!r}, found {found}")
        self.at += 1

    def key(self) -> str:
        match = _KEY.match(self.text, self.at)
        if not match:
            raise StructuredFieldError(self.at, "a key starts with a lowercase letter or '*'")
        self.at = match.end()
        return match.group()

    def parameters(self) -> dict[str, BareItem]:
        params: dict[str, BareItem] = {}
        while self.peek() == ";":
            self.at += 1
            self.skip(" ")
            name = self.key()
            value: BareItem = True
            if self.peek() == "=":
                self.at += 1
                value = self.bare_item()
            params[name] = value
        return params

    def inner_list(self) -> InnerList:
        self.expect("(")
        items: list[Item] = []
        while True:
            self.skip(" ")
            if self.peek() == ")":
                self.at += 1
                return InnerList(tuple(items), self.parameters())
            if len(items) >= MAX_INNER_ITEMS:
                raise StructuredFieldError(self.at, f"more than {MAX_INNER_ITEMS} items in an inner list")
            items.append(self.item())
            if self.peek() not in (" ", ")"):
                raise StructuredFieldError(self.at, "items of an inner list are separated by spaces and end with ')'")

    def item(self) -> Item:
        return Item(self.bare_item(), self.parameters())

    def bare_item(self) -> BareItem:
        c = self.peek()
        if c == '"':
            return self.string()
        if c == "?":
            self.at += 1
            if self.peek() not in ("0", "1"):
                raise StructuredFieldError(self.at, "a boolean is ?0 or ?1")
            self.at += 1
            return self.text[self.at - 1] == "1"
        if c == ":":
            return self.byte_sequence()
        if c == "-" or c.isdigit():
            return self.number()
        match = _TOKEN.match(self.text, self.at)
        if match:
            self.at = match.end()
            return Token(match.group())
        found = repr(c) if c else "the end"
        raise StructuredFieldError(self.at, f'expected a value (number, "string", token, ?1, :bytes:), found {found}')

    def number(self) -> int | float:
        match = _NUMBER.match(self.text, self.at)
        if not match:
            raise StructuredFieldError(self.at, "a number has digits after '-'")
        text = match.group()
        whole = text.lstrip("-").split(".")[0]
        if match.group(1) is None:
            if len(whole) > 15:
                raise StructuredFieldError(self.at, "an integer has at most 15 digits")
            self.at = match.end()
            return int(text)
        if len(whole) > 12 or len(match.group(1)) > 4:
            raise StructuredFieldError(self.at, "a decimal has at most 12 integer and 3 fractional digits")
        self.at = match.end()
        return float(text)

    def string(self) -> str:
        self.at += 1
        out: list[str] = []
        while True:
            c = self.peek()
            if not c:
                raise StructuredFieldError(self.at, "a string is not closed with '\"'")
            self.at += 1
            if c == '"':
                return "".join(out)
            if c == "\\":
                escaped = self.peek()
                if escaped not in ('"', "\\"):
                    raise StructuredFieldError(self.at, 'only \\" and \\\\ are escapes in a string')
                self.at += 1
                out.append(escaped)
            elif not " " <= c <= "~":
                raise StructuredFieldError(self.at - 1, "a string holds printable ASCII only")
            else:
                out.append(c)

    def byte_sequence(self) -> bytes:
        end = self.text.find(":", self.at + 1)
        if end < 0:
            raise StructuredFieldError(self.at, "a byte sequence is not closed with ':'")
        try:
            value = base64.b64decode(self.text[self.at + 1 : end], validate=True)
        except (binascii.Error, ValueError):
            raise StructuredFieldError(self.at, "a byte sequence is base64") from None
        self.at = end + 1
        return value


def canonical(members: dict[str, Member]) -> str:
    """The Dictionary serialised as RFC 8941 section 4.1 writes it, members in key order: one text
    for every way of writing the same report (spacing, key order, ``?1`` or a bare key,
    ``1.50`` or ``1.5``), so that what tells two reports apart is their content only."""
    return ",".join(_member(key, members[key]) for key in sorted(members))


def _member(key: str, member: Member) -> str:
    if isinstance(member, Item) and member.value is True:
        return key + _parameters(member.params)  # a true boolean is the bare key
    return f"{key}={_inner_list(member) if isinstance(member, InnerList) else _item(member)}"


def _inner_list(inner: InnerList) -> str:
    return "(" + " ".join(_item(item) for item in inner.items) + ")" + _parameters(inner.params)


def _item(item: Item) -> str:
    return _bare_item(item.value) + _parameters(item.params)


def _parameters(params: dict[str, BareItem]) -> str:
    return "".join(f";{name}" if value is True else f";{name}={_bare_item(value)}" for name, value in params.items())


def _bare_item(value: BareItem) -> str:
    if isinstance(value, bool):
        return "?1" if value else "?0"
    if isinstance(value, int):
        return str(value)
    if isinstance(value, float):
        text = f"{value:.3f}".rstrip("0")  # at most three fractional digits, at least one
        return text + "0" if text.endswith(".") else text
    if isinstance(value, str):
        return '"' + value.replace("\\", "\\\\").replace('"', '\\"') + '"'
    if isinstance(value, Token):
        return value.value
    return ":" + base64.b64encode(value).decode("ascii") + ":"
