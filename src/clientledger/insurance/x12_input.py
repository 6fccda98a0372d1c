"""pyx12 plumbing for the 835 reader: where the text comes from, what pyx12 reports, and the messages
a billing person sees when a file cannot be read."""

from __future__ import annotations

import io
import os
import re
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import IO, Any, Final, cast

import pyx12.params
import pyx12.x12context

#: What an 835 can be read from. ``str`` and ``bytes`` are the file's *contents*; a path must be a
#: ``pathlib.Path`` (or other ``os.PathLike``) so that a file's text is never mistaken for a name.
Source = str | bytes | os.PathLike[str] | IO[str] | IO[bytes]

#: CAS01 groups: contractual, patient responsibility, other, payer-initiated, correction/reversal
#: (CR exists only in 4010; the 5010 map reports it as a claim problem).
ADJUSTMENT_GROUPS: Final = frozenset({"CO", "PR", "OA", "PI", "CR"})

NO_MAP = re.compile(r"Map not found\.\s+icvn=\S*, fic=(\S*), vriic=(\S*)")

# GS01 functional identifier -> what a billing person would call the file.
_GS01_NAMES: Final = {
    "HC": "an 837 health care claim",
    "HS": "a 270 eligibility inquiry",
    "HB": "a 271 eligibility response",
    "HR": "a 276 claim status inquiry",
    "HN": "a 277 claim status response",
    "BE": "an 834 benefit enrollment",
    "FA": "a 997/999 acknowledgment",
}
ST01_NAMES: Final = {
    "837": "an 837 health care claim",
    "270": "a 270 eligibility inquiry",
    "271": "a 271 eligibility response",
    "276": "a 276 claim status inquiry",
    "277": "a 277 claim status response",
    "834": "an 834 benefit enrollment",
    "997": "a 997 acknowledgment",
    "999": "a 999 acknowledgment",
}
SUPPORTED_VERSIONS: Final = ("005010X221", "004010X091")

# pyx12 segment error codes (X12 IK3) that mean data sits where the map cannot place it. Outside a
# claim that data would be lost, so the file is refused; other codes outside a claim are warnings.
_MISPLACED_SEGMENT_CODES: Final = frozenset({"1", "2", "6", "7"})
# Reader error codes for a trailer (IEA, GE, SE) that never arrived: the file was cut off.
_TRUNCATION_CODES: Final = frozenset({("isa", "023"), ("gs", "3"), ("st", "2")})

RESEND = "Download the 835 again from your clearinghouse or payer portal, or ask them to resend it."


# ---------------------------------------------------------------------------------------------
# pyx12 plumbing
# ---------------------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Issue:
    kind: str  # "isa", "gs", "st" (envelope) or "seg", "ele"
    line: int
    segment: str
    code: str
    message: str

    def describe(self) -> str:
        return f"segment {self.line} {self.segment}: {self.message}" if self.segment else self.message


class IssueLog:
    """A pyx12 error handler (the ``errh_null`` interface) that remembers each error's segment.

    pyx12 calls ``add_seg`` before validating each segment, then ``seg_error``/``ele_error`` for
    what it finds, so every finding can be tied to a segment number and from there to the claim
    loop that contains it. Envelope errors (``isa/gs/st``) are kept apart: they are always fatal.
    """

    def __init__(self) -> None:
        self.issues: list[Issue] = []
        self.envelope: list[Issue] = []
        self._line = 0
        self._segment = ""

    # cursor -------------------------------------------------------------------------------
    def add_seg(self, map_node: Any, seg: Any, seg_count: int, cur_line: int, ls_id: str | None) -> None:
        self._line = int(cur_line or 0)
        self._segment = str(seg.get_seg_id() or "") if seg is not None else ""

    def _at_envelope(self, seg: Any, src: Any) -> None:
        self._line = int(src.get_cur_line())
        self._segment = str(seg.get_seg_id() or "")

    def add_isa_loop(self, seg: Any, src: Any) -> None:
        self._at_envelope(seg, src)

    def add_gs_loop(self, seg: Any, src: Any) -> None:
        self._at_envelope(seg, src)

    def add_st_loop(self, seg: Any, src: Any) -> None:
        self._at_envelope(seg, src)

    def close_isa_loop(self, node: Any, seg: Any, src: Any) -> None:
        self._at_envelope(seg, src)

    def close_gs_loop(self, node: Any, seg: Any, src: Any) -> None:
        self._at_envelope(seg, src)

    def close_st_loop(self, node: Any, seg: Any, src: Any) -> None:
        self._at_envelope(seg, src)

    def add_ele(self, map_node: Any) -> None:
        return None

    # findings -----------------------------------------------------------------------------
    def _envelope_error(self, kind: str, code: str, message: str) -> None:
        self.envelope.append(Issue(kind, self._line, "", str(code), str(message)))

    def isa_error(self, err_cde: str, err_str: str) -> None:
        self._envelope_error("isa", err_cde, err_str)

    def gs_error(self, err_cde: str, err_str: str) -> None:
        self._envelope_error("gs", err_cde, err_str)

    def st_error(self, err_cde: str, err_str: str) -> None:
        self._envelope_error("st", err_cde, err_str)

    def seg_error(self, err_cde: str, err_str: str, err_value: str | None = None, src_line: int | None = None) -> None:
        line = int(src_line) if src_line else self._line
        self.issues.append(Issue("seg", line, self._segment, str(err_cde), str(err_str)))

    def ele_error(self, err_cde: str, err_str: str, bad_value: str | None, refdes: str | None = None) -> None:
        self.issues.append(Issue("ele", self._line, self._segment, str(err_cde), str(err_str)))

    def handle_errors(self, err_list: list[tuple[str, str, str, Any, int | None]]) -> None:
        for err_type, err_cde, err_str, err_val, src_line in err_list:
            if err_type in ("isa", "gs", "st"):
                self._envelope_error(err_type, err_cde, err_str)
            else:
                self.seg_error(err_cde, err_str, err_val, src_line)

    # bookkeeping --------------------------------------------------------------------------
    def take(self, first: int, last: int) -> list[Issue]:
        """Remove and return the findings on segments ``first..last`` (one claim loop)."""
        taken = [i for i in self.issues if first <= i.line <= last]
        if taken:
            self.issues = [i for i in self.issues if not first <= i.line <= last]
        return taken

    def take_before(self, line: int | None) -> list[Issue]:
        """Remove and return findings before ``line`` (all of them when ``line`` is None)."""
        taken = [i for i in self.issues if line is None or i.line < line]
        if taken:
            self.issues = [i for i in self.issues if line is not None and i.line >= line]
        return taken


def pyx12_params() -> Any:
    """pyx12 settings built in code, not read from ~/.pyx12.conf.xml, so every host parses alike.

    Remark codes (RARC) change quarterly; an unknown one must not quarantine a claim.
    """
    params = pyx12.params.ParamsBase()
    params.set("exclude_external_codes", "remark_code")
    return params


def open_text(source: Source) -> tuple[IO[str], Callable[[], None]]:
    """A text stream over ``source`` and how to let go of it when done.

    Bytes are UTF-8 when they decode as such, else Latin-1 (X12 is byte-oriented and some payers
    send Windows-1252 names); a byte-order mark and blank lines before ISA are dropped, and line
    endings are normalised so a CR-LF file reads like any other.
    """
    if isinstance(source, bytes):
        try:
            text = source.decode("utf-8-sig")
        except UnicodeDecodeError:
            text = source.decode("latin-1")
        stream: IO[str] = io.StringIO(_normalise(text))
        return stream, stream.close
    if isinstance(source, str):
        stream = io.StringIO(_normalise(source))
        return stream, stream.close
    if isinstance(source, os.PathLike):
        stream = open(Path(source), encoding="utf-8-sig", errors="replace")  # noqa: SIM115
        return stream, stream.close
    if isinstance(source, io.TextIOBase):
        return source, _leave_open
    # A binary stream the caller owns (an upload's spooled file): decode it, and on close detach
    # the wrapper so the caller's stream stays open.
    wrapper = io.TextIOWrapper(cast(IO[bytes], source), encoding="utf-8-sig", errors="replace")
    return wrapper, _detacher(wrapper)


def _leave_open() -> None:
    return None


def _detacher(wrapper: io.TextIOWrapper[Any]) -> Callable[[], None]:
    def detach() -> None:
        if not wrapper.closed:
            wrapper.detach()

    return detach


def _normalise(text: str) -> str:
    return text.lstrip("\ufeff \t\r\n").replace("\r\n", "\n").replace("\r", "\n")


def classify_outside(issues: list[Issue]) -> tuple[list[Issue], list[Issue]]:
    """(fatal, warnings) for findings outside every claim loop."""
    fatal = [i for i in issues if i.kind == "seg" and i.code in _MISPLACED_SEGMENT_CODES]
    return fatal, [i for i in issues if i not in fatal]


def summarise(issues: list[Issue], limit: int = 3) -> str:
    text = "; ".join(i.describe() for i in issues[:limit])
    if len(issues) > limit:
        text += f"; and {len(issues) - limit} more"
    return text


def unsupported_message(code: str, version: str) -> str:
    """GS01/GS08 name a transaction or version other than an 835 we can read."""
    if code != "HP":
        what = _GS01_NAMES.get(code, f"an X12 file of type {code or '(blank)'}")
        return (
            f"This is {what} file, not an 835 remittance (ERA). Upload the 835/ERA file from your "
            "clearinghouse or payer portal."
        )
    return (
        f"This 835 uses X12 version {version or '(blank)'}; only 005010X221A1 (and the older "
        "004010X091A1) can be imported. Ask your clearinghouse for a 5010 835."
    )


def envelope_message(issues: list[Issue]) -> str:
    if any((i.kind, i.code) in _TRUNCATION_CODES for i in issues):
        missing = [i for i in issues if (i.kind, i.code) in _TRUNCATION_CODES]
        return f"The file is incomplete ({summarise(missing)}); it was probably cut off. {RESEND}"
    return f"The file's envelope is damaged ({summarise(issues)}). {RESEND}"


def not_x12_message(stream: IO[str], exc: Exception) -> str:
    start = ""
    try:
        stream.seek(0)
        start = stream.read(20)
    except (OSError, ValueError):
        start = ""
    if not start.strip():
        return f"The uploaded file is empty. {RESEND}"
    if not start.startswith("ISA"):
        shown = "".join(ch if ch.isprintable() else "?" for ch in start[:12])
        return (
            "This file is not an X12 835 remittance (ERA): an 835 starts with 'ISA', this one starts "
            f"with '{shown}'. Upload the 835/ERA file from your clearinghouse or payer portal, not a "
            "PDF, spreadsheet or printed remittance."
        )
    reason = str(exc).split(":", 1)[0].strip() or type(exc).__name__
    return (
        "The file's ISA header is damaged: X12 requires it to be exactly 106 characters with "
        f"space-padded fields, and this one is not ({reason}). {RESEND}"
    )
