"""The GS1 mod-10 check digit (GS1 General Specifications, 7.9.1), shared by every numeric GS1 key."""

from __future__ import annotations

__all__ = ["gs1_check_digit", "has_valid_check_digit"]

_ASCII_DIGITS = frozenset("0123456789")


def gs1_check_digit(digits: str) -> str:
    """Return the check digit for a GS1 key given without it.

    Weights alternate 3, 1, 3, ... from the rightmost digit; the check digit rounds the sum up to a tens.

    Args:
        digits: ASCII digits of the key, without its check digit (any length).

    Returns:
        One ASCII digit.

    Raises:
        ValueError: When ``digits`` holds anything but ASCII digits.
    """
    if not _ASCII_DIGITS.issuperset(digits):
        raise ValueError(f"check digit needs ASCII digits only, got {digits!r}")
    odd = sum(map(int, digits[-1::-2]))
    even = sum(map(int, digits[-2::-2]))
    return str(-(3 * odd + even) % 10)


def has_valid_check_digit(key: str) -> bool:
    """Tell whether the last digit of ``key`` is the GS1 check digit of the others (False for non-digits)."""
    return len(key) >= 2 and _ASCII_DIGITS.issuperset(key) and gs1_check_digit(key[:-1]) == key[-1]
