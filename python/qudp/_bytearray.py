"""qudp.QByteArray: Qt's byte array as an immutable ``bytes`` subclass.

Every payload qudp hands out is one. PyQt-style code uses it as the bytes
it is (``decode()``, ``find()``, slicing, ``==``, hashing, the buffer
protocol); PySide-style code calls Qt's read-only methods on it
(``data()``, ``size()``, ``mid()``, ``toInt()``, ...). Qt's mutating methods
(``append``, ``chop``, ``resize``, ...) are absent: a payload is immutable,
and being ``bytes`` is what lets it go anywhere bytes go without a copy.

Where Qt and ``bytes`` disagree, ``bytes`` wins except where this class
defines the method: ``x[i]`` is an int (PySide gives a one-byte
QByteArray), ``repr()`` is the bytes form. ``count(sub)`` and ``split(sep)``
follow Qt (``count`` counts overlapping matches, as Qt does; with no
argument it is the size); ``split()`` with no argument or more arguments is
``bytes.split``.

Instances made by qudp come from Rust (``payload.rs``) without calling
``__new__``; the class must therefore stay a plain ``bytes`` subclass with
``__slots__ = ()`` (the Rust side checks this at import and falls back to
``bytes.__new__`` if it ever changes).
"""

from __future__ import annotations

import binascii
import math
import operator
import struct
from enum import IntFlag

from ._qudp import _lean_bytes_subclass
from ._qudp import _qbytearray as _make

# typing is only for the checker: `import qudp` does not import it.
TYPE_CHECKING = False
if TYPE_CHECKING:
    from typing import Any, SupportsIndex, TypeAlias

_ABSENT: Any = object()
# What the buffer protocol accepts (collections.abc.Buffer is 3.12+).
Buffer: TypeAlias = bytes | bytearray | memoryview
_bytes_getitem = bytes.__getitem__
_WS = b" \t\n\v\f\r"  # Qt's ascii_isspace (QByteArray::trimmed, toInt)


class Base64Option(IntFlag):
    """QByteArray::Base64Option, with Qt's values."""

    Base64Encoding = 0
    Base64UrlEncoding = 1
    KeepTrailingEquals = 0
    OmitTrailingEquals = 2
    IgnoreBase64DecodingErrors = 0
    AbortOnBase64DecodingErrors = 4


def _needle(x: object, name: str) -> bytes:
    """A search argument as bytes: bytes-like, str (UTF-8, as PySide
    converts it) or an int 0..255 (Qt's char overloads)."""
    if isinstance(x, bytes):
        return x
    if isinstance(x, str):
        return x.encode()
    if isinstance(x, int):
        if not 0 <= x <= 255:
            raise ValueError(f"{name} must be in 0..=255 as a byte, got {x}")
        return bytes((x,))
    try:
        return bytes(memoryview(x))  # type: ignore[arg-type]
    except TypeError:
        raise TypeError(f"{name} must be bytes-like, str or int, not {type(x).__name__}") from None


def _char(x: object, name: str) -> int:
    """One of Qt's `char` arguments: a 1-character str or bytes, or an int."""
    if isinstance(x, int):
        if not 0 <= x <= 255:
            raise ValueError(f"{name} must be in 0..=255, got {x}")
        return x
    if isinstance(x, str | bytes) and len(x) == 1:
        return ord(x)
    raise TypeError(f"{name} must be a single character (str or bytes of length 1) or an int")


def _index(x: object, name: str) -> int:
    if isinstance(x, bool) or not hasattr(type(x), "__index__"):
        raise TypeError(f"{name} must be an int, not {type(x).__name__}")
    return operator.index(x)  # type: ignore[arg-type]


def _base(base: object) -> int:
    b = _index(base, "base")
    if b != 0 and not 2 <= b <= 36:
        raise ValueError(f"base must be 0 or in 2..=36, got {b}")
    return b


_DIGITS = b"0123456789abcdefghijklmnopqrstuvwxyz"


def _parse_int(text: bytes, base: int, signed: bool) -> int | None:
    """Qt's QByteArray::toLongLong / toULongLong: ASCII whitespace around,
    an optional sign ('-' only when signed), a 0x/0b prefix (base 0, 16, 2),
    a leading 0 meaning octal in base 0; all the rest must be digits."""
    s = text.strip(_WS).lower()
    neg = False
    if s[:1] in (b"+", b"-"):
        neg = s[:1] == b"-"
        if neg and not signed:
            return None
        s = s[1:]
    if base in (0, 16) and s[:2] == b"0x":
        s, base = s[2:], 16
    elif base in (0, 2) and s[:2] == b"0b":
        s, base = s[2:], 2
    elif base == 0:
        base = 8 if s[:1] == b"0" and len(s) > 1 else 10
    if not s or s.strip(_DIGITS[:base]):
        return None
    s = s.lstrip(b"0") or b"0"
    if len(s) > 64:  # more than 64 bits in any base; int() would refuse > 4300 digits
        return None
    v = int(s, base)
    return -v if neg else v


def _parse_double(text: bytes) -> float | None:
    """Qt's QByteArray::toDouble: decimal with optional exponent, or
    inf / nan (case-insensitive, inf may be signed); overflow to infinity
    and underflow to zero are failures."""
    s = text.strip(_WS)
    low = s.lower()
    if low in (b"inf", b"+inf", b"-inf"):
        return -math.inf if low[0:1] == b"-" else math.inf
    if low == b"nan":
        return math.nan
    m = s.lstrip(b"+-")
    if len(s) - len(m) > 1 or not m or m.strip(b"0123456789.eE+-"):
        return None
    mant, _, exp = m.lower().partition(b"e")
    if mant.count(b".") > 1 or not mant.strip(b".") or mant.strip(b"0123456789."):
        return None
    if (exp and not exp.lstrip(b"+-").isdigit()) or (b"e" in m.lower() and not exp):
        return None
    if exp and len(exp) - len(exp.lstrip(b"+-")) > 1:
        return None
    v = float(s)
    if math.isinf(v):
        return None
    if v == 0.0 and mant.strip(b"0."):
        return None
    return v


class QByteArray(bytes):
    """Qt's QByteArray, immutable: a ``bytes`` subclass with Qt's read-only
    methods. ``QByteArray()`` is the null byte array (``isNull()``);
    ``QByteArray(b"")`` is empty but not null, as in Qt."""

    __slots__ = ()

    Base64Option = Base64Option
    Base64Encoding = Base64Option.Base64Encoding
    Base64UrlEncoding = Base64Option.Base64UrlEncoding
    KeepTrailingEquals = Base64Option.KeepTrailingEquals
    OmitTrailingEquals = Base64Option.OmitTrailingEquals
    IgnoreBase64DecodingErrors = Base64Option.IgnoreBase64DecodingErrors
    AbortOnBase64DecodingErrors = Base64Option.AbortOnBase64DecodingErrors

    def __new__(cls, data: Any = _ABSENT, size: Any = _ABSENT) -> QByteArray:
        if data is _ABSENT:
            if size is not _ABSENT:
                raise TypeError("QByteArray(size=...) needs data")
            return _NULL if cls is QByteArray else bytes.__new__(cls)
        if size is not _ABSENT and isinstance(data, int) and not isinstance(data, bool):
            # QByteArray(size, ch): size copies of one character.
            n = _index(data, "size")
            raw = bytes((_char(size, "ch"),)) * max(n, 0)
        else:
            if data is _NULL and size is _ABSENT and cls is QByteArray:
                return _NULL
            if isinstance(data, str):
                raw = data.encode()
            elif isinstance(data, int):
                raise TypeError("QByteArray(int) needs a character: QByteArray(size, ch)")
            else:
                try:
                    raw = bytes(memoryview(data))
                except TypeError:
                    raise TypeError(
                        "data must be bytes-like or str, not " + type(data).__name__
                    ) from None
            if size is not _ABSENT:
                n = _index(size, "size")
                if n >= 0:
                    raw = raw[:n]
        return _make(raw) if cls is QByteArray else bytes.__new__(cls, raw)

    # -- bytes protocol where Qt's type must survive ---------------------------

    def __getitem__(self, key: SupportsIndex | slice) -> Any:  # int, or QByteArray for a slice
        r = _bytes_getitem(self, key)
        return r if type(r) is int else _make(r)  # type: ignore[arg-type]

    def __reduce__(self) -> tuple[Any, ...]:
        # Pickles as qudp.QByteArray(b"...") (null stays null).
        return (QByteArray, () if self is _NULL else (bytes(self),))

    def __copy__(self) -> QByteArray:
        return self

    def __deepcopy__(self, memo: object) -> QByteArray:
        return self

    # -- Qt's read-only API -----------------------------------------------------

    def data(self) -> bytes:
        """The bytes, as plain ``bytes`` (PySide's ``data()``)."""
        return bytes(self)

    def size(self) -> int:
        """Number of bytes (QByteArray::size)."""
        return len(self)

    def length(self) -> int:
        """Number of bytes (QByteArray::length, same as size())."""
        return len(self)

    def count(self, *args: Any) -> int:
        """``count()`` is the size; ``count(sub)`` counts overlapping
        occurrences as Qt does; with start/end it is ``bytes.count``."""
        if not args:
            return len(self)
        if len(args) > 1:
            return bytes.count(self, *args)
        sub = _needle(args[0], "sub")
        if len(sub) <= 1:
            return bytes.count(self, sub)
        n, i = 0, self.find(sub)
        while i >= 0:
            n += 1
            i = self.find(sub, i + 1)
        return n

    def isEmpty(self) -> bool:
        """True when there are no bytes; the null byte array is empty too."""
        return not self

    def isNull(self) -> bool:
        """True only for ``QByteArray()`` (Qt's null byte array), not for ``QByteArray(b"")``."""
        return self is _NULL

    def at(self, i: SupportsIndex) -> str:
        """The byte at ``i`` as a one-character str, as PySide returns
        Qt's ``char`` (IndexError out of range, where Qt is undefined)."""
        k = _index(i, "i")
        if not 0 <= k < len(self):
            raise IndexError(f"i must be in 0..{len(self)}, got {k}")
        return chr(_bytes_getitem(self, k))

    def left(self, n: SupportsIndex) -> QByteArray:
        """The first ``n`` bytes (all of them if ``n`` is out of range), as Qt."""
        k = _index(n, "n")
        return self if k >= len(self) else _make(_bytes_getitem(self, slice(0, max(k, 0))))

    def right(self, n: SupportsIndex) -> QByteArray:
        """The last ``n`` bytes (all of them if ``n`` is out of range), as Qt."""
        k = _index(n, "n")
        if k >= len(self):
            return self
        return _make(_bytes_getitem(self, slice(len(self) - max(k, 0), None)))

    def mid(self, pos: SupportsIndex, len: SupportsIndex = -1) -> QByteArray:
        """Qt's mid(): ``len`` bytes from ``pos`` (-1: to the end), clipped;
        a position past the end gives the null byte array, as in Qt."""
        p, n, size = _index(pos, "pos"), _index(len, "len"), bytes.__len__(self)
        if p > size:
            return _NULL
        if p < 0:
            if n < 0 or n + p >= size:
                return self
            if n + p <= 0:
                return _NULL
            n, p = n + p, 0
        elif n < 0 or n > size - p:
            n = size - p
        if p == 0 and n == size:
            return self
        return _make(_bytes_getitem(self, slice(p, p + n)))

    def startsWith(self, bv: Buffer | str | SupportsIndex) -> bool:
        """Whether the bytes start with ``prefix`` (bytes-like, str or one character)."""
        return self.startswith(_needle(bv, "bv"))

    def endsWith(self, bv: Buffer | str | SupportsIndex) -> bool:
        """Whether the bytes end with ``suffix`` (bytes-like, str or one character)."""
        return self.endswith(_needle(bv, "bv"))

    def contains(self, bv: Buffer | str | SupportsIndex) -> bool:
        """Whether ``sub`` (bytes-like, str or one character) occurs in the bytes."""
        return _needle(bv, "bv") in self

    def indexOf(self, bv: Buffer | str | SupportsIndex, from_: SupportsIndex = 0) -> int:
        """Position of the first ``bv`` at or after ``from_`` (negative:
        counted from the end), or -1."""
        sub, f, size = _needle(bv, "bv"), _index(from_, "from_"), len(self)
        if f < 0:
            f += size
            if f < 0:
                return -1
        if not sub:
            return f if f <= size else -1
        return self.find(sub, f)

    def lastIndexOf(
        self, bv: Buffer | str | SupportsIndex, from_: SupportsIndex | None = None
    ) -> int:
        """Position of the last ``bv`` starting at or before ``from_``
        (default: the end; negative: counted from the end), or -1."""
        sub, size = _needle(bv, "bv"), len(self)
        f = size if from_ is None else _index(from_, "from_")
        if size == 0:
            return 0 if not sub and f == 0 else -1
        if len(sub) == 1:
            if f < 0:
                f += size
            elif f > size:
                f = size - 1
            return self.rfind(sub, 0, f + 1) if f >= 0 else -1
        delta = size - len(sub)
        if f < 0:
            f = delta
        if f < 0 or f > size:
            return -1
        f = min(f, delta)
        return self.rfind(sub, 0, f + len(sub))

    def toHex(self, separator: str | bytes | SupportsIndex = "\0") -> QByteArray:
        """Lower-case hex digits, with ``separator`` between bytes unless it
        is '\\0' (Qt's default)."""
        sep = _char(separator, "separator")
        if not self:
            return _NULL  # Qt: an empty array's hex form is the null array
        if not sep:
            return _make(binascii.hexlify(self))
        if sep < 0x80:
            return _make(binascii.hexlify(self, chr(sep)))
        h = binascii.hexlify(self)
        return _make(bytes((sep,)).join(h[i : i + 2] for i in range(0, len(h), 2)))

    @staticmethod
    def fromHex(hexEncoded: Buffer | str) -> QByteArray:
        """Qt's fromHex(): characters that are not hex digits are skipped;
        an odd count of digits means a leading 0."""
        raw = hexEncoded.encode() if isinstance(hexEncoded, str) else bytes(memoryview(hexEncoded))
        digits = raw.translate(None, _NOT_HEX)
        if len(digits) % 2:
            digits = b"0" + digits
        return _make(binascii.unhexlify(digits))

    def toBase64(self, options: int = 0) -> QByteArray:
        """Base64 text as a QByteArray; ``options`` are Qt's Base64Option
        flags (URL alphabet, omit trailing ``=``)."""
        opt = _index(options, "options")
        out = binascii.b2a_base64(self, newline=False)
        if opt & Base64Option.Base64UrlEncoding:
            out = out.translate(_TO_URL)
        if opt & Base64Option.OmitTrailingEquals:
            out = out.rstrip(b"=")
        return _make(out)

    @staticmethod
    def fromBase64(base64: Buffer | str, options: int = 0) -> QByteArray:
        """Qt's fromBase64() in its default (ignore errors) mode: characters
        outside the alphabet, '=' included, are skipped; bits that do not
        fill a byte are dropped. With AbortOnBase64DecodingErrors an invalid
        input gives an empty byte array."""
        opt = _index(options, "options")
        raw = base64.encode() if isinstance(base64, str) else bytes(memoryview(base64))
        url = bool(opt & Base64Option.Base64UrlEncoding)
        if opt & Base64Option.AbortOnBase64DecodingErrors:
            try:
                std = raw.translate(_FROM_URL) if url else raw
                if (url and (b"+" in raw or b"/" in raw)) or len(raw.rstrip(b"=")) % 4 == 1:
                    raise binascii.Error
                return _make(binascii.a2b_base64(std + b"=" * (-len(std) % 4), strict_mode=True))
            except binascii.Error:
                return _NULL
        kept = raw.translate(None, _NOT_B64URL if url else _NOT_B64)
        if url:
            kept = kept.translate(_FROM_URL)
        kept = kept[: len(kept) - (len(kept) % 4 == 1)]
        return _make(binascii.a2b_base64(kept + b"=" * (-len(kept) % 4)))

    def _integral(self, base: object, signed: bool, bits: int) -> tuple[int, bool]:
        v = _parse_int(bytes(self), _base(base), signed)
        if v is None:
            return 0, False
        lo, hi = (-(1 << (bits - 1)), (1 << (bits - 1)) - 1) if signed else (0, (1 << bits) - 1)
        return (v, True) if lo <= v <= hi else (0, False)

    def toInt(self, base: SupportsIndex = 10) -> tuple[int, bool]:
        """(value, ok) as PySide returns Qt's toInt(bool *ok, int base)."""
        return self._integral(base, True, 32)

    def toUInt(self, base: SupportsIndex = 10) -> tuple[int, bool]:
        """Parse as a 32-bit unsigned integer, Qt's rules (base 10, or 0 for
        C-style prefixes): ``(value, ok)``; ``(0, False)`` if it does not fit."""
        return self._integral(base, False, 32)

    def toShort(self, base: SupportsIndex = 10) -> tuple[int, bool]:
        """Parse as a 16-bit signed integer, Qt's rules: ``(value, ok)``."""
        return self._integral(base, True, 16)

    def toUShort(self, base: SupportsIndex = 10) -> tuple[int, bool]:
        """Parse as a 16-bit unsigned integer, Qt's rules: ``(value, ok)``."""
        return self._integral(base, False, 16)

    def toLong(self, base: SupportsIndex = 10) -> tuple[int, bool]:
        """Parse as a C long (the platform's width), Qt's rules: ``(value, ok)``."""
        return self._integral(base, True, _LONG_BITS)

    def toULong(self, base: SupportsIndex = 10) -> tuple[int, bool]:
        """Parse as a C unsigned long, Qt's rules: ``(value, ok)``."""
        return self._integral(base, False, _LONG_BITS)

    def toLongLong(self, base: SupportsIndex = 10) -> tuple[int, bool]:
        """Parse as a 64-bit signed integer, Qt's rules: ``(value, ok)``."""
        return self._integral(base, True, 64)

    def toULongLong(self, base: SupportsIndex = 10) -> tuple[int, bool]:
        """Parse as a 64-bit unsigned integer, Qt's rules: ``(value, ok)``."""
        return self._integral(base, False, 64)

    def toDouble(self) -> tuple[float, bool]:
        """Parse as a double, Qt's rules (surrounding whitespace allowed): ``(value, ok)``."""
        v = _parse_double(bytes(self))
        return (0.0, False) if v is None else (v, True)

    def toFloat(self) -> tuple[float, bool]:
        """Parse as a float (single precision range), Qt's rules: ``(value, ok)``."""
        v = _parse_double(bytes(self))
        if v is None:
            return 0.0, False
        if math.isfinite(v) and abs(v) > _FLT_MAX:
            return math.copysign(math.inf, v), False
        f = struct.unpack("f", struct.pack("f", v))[0] if math.isfinite(v) else v
        if v != 0.0 and f == 0.0:
            return f, False  # underflow: Qt keeps the sign of zero
        return f, True

    def toStdString(self) -> str:
        """UTF-8 text, as PySide converts std::string."""
        return self.decode()

    def toUpper(self) -> QByteArray:
        """ASCII letters upper-cased (Qt leaves other bytes alone)."""
        return _make(self.upper())

    def toLower(self) -> QByteArray:
        """ASCII letters lower-cased (Qt leaves other bytes alone)."""
        return _make(self.lower())

    def trimmed(self) -> QByteArray:
        """Without leading and trailing ASCII whitespace."""
        return _make(self.strip(_WS))

    def simplified(self) -> QByteArray:
        """Trimmed, with each inner run of ASCII whitespace replaced by one space."""
        return _make(b" ".join(bytes.split(self)))

    def split(self, sep: Any = None, maxsplit: SupportsIndex = -1) -> list[QByteArray]:  # type: ignore[override]
        """Qt's split(sep) with sep a single character (str, bytes or int);
        anything else is ``bytes.split``. The parts are QByteArray."""
        if isinstance(sep, str):
            sep = bytes((_char(sep, "sep"),))
        elif isinstance(sep, int):
            sep = bytes((_char(sep, "sep"),))
        return [_make(p) for p in bytes.split(self, sep, maxsplit)]


QByteArray.__module__ = "qudp"
if not TYPE_CHECKING:
    # The same class without garbage collection (payloads hold no
    # references; see src/bytearray.rs). If that ever fails, the class
    # statement's type stays: correct, a little slower per payload.
    try:
        QByteArray = _lean_bytes_subclass(QByteArray)
    except TypeError:
        pass

_NULL: QByteArray = bytes.__new__(QByteArray)
_NOT_HEX = bytes(sorted(set(range(256)) - set(b"0123456789abcdefABCDEF")))
_B64 = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789"
_NOT_B64 = bytes(sorted(set(range(256)) - set(_B64 + b"+/")))
_NOT_B64URL = bytes(sorted(set(range(256)) - set(_B64 + b"-_")))
_TO_URL = bytes.maketrans(b"+/", b"-_")
_FROM_URL = bytes.maketrans(b"-_", b"+/")
_FLT_MAX = struct.unpack("f", b"\xff\xff\x7f\x7f")[0]
# C long: 64-bit on LP64 (Linux, macOS), 32-bit on Windows (LLP64).
_LONG_BITS = struct.calcsize("l") * 8
