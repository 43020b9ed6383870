"""Numbers and money as a reader writes them, for every message of the product.

The lowest layer holds them so that the data rules of ``models`` (a contract's bound, a figure that
looks like the wrong unit) word their numbers as the check's sentences do;
``optimiser.deliverability.wording`` builds its sentences on these.
"""

from __future__ import annotations

# A rate in £ per weighted patient is shown to the penny.
RATE_STEP = 0.01


def money(value: float) -> str:
    if abs(value) < 0.005:  # nothing, and a solver's -4e-12: "£0", as beside £19.00m or £79,683, never "-£0.00"
        return "£0"
    # £bn from the first figure that would read £1,000.00m (£999,995,000), as NHS finance papers write
    # "£1.25bn": to 2 decimals, as £m is
    if round(abs(value) / 1e6, 2) >= 1_000:
        return f"£{value / 1e9:,.2f}bn"
    if abs(value) >= 1e6:
        return f"£{value / 1e6:,.2f}m"
    if abs(value) >= 100:
        return f"£{value:,.0f}"
    return f"£{value:,.2f}"


def number(value: float, digits: int = 3) -> str:
    """A readable number: 2 decimals from 1 up, else ``digits`` significant figures."""
    if value == 0:
        return "0"
    if abs(value) >= 100:
        return f"{value:,.0f}"
    if abs(value) >= 1:
        return f"{value:,.2f}".rstrip("0").rstrip(".")
    return f"{value:.{digits}g}"


def rate_money(value: float) -> str:
    """A rate in £ per weighted patient to the nearest penny: "£112.50", "£35.50", "£0.00"."""
    pennies = round(value / RATE_STEP) * RATE_STEP + 0.0
    return f"£{0.0 if abs(pennies) < RATE_STEP / 2 else pennies:,.2f}"


def numbers_apart(first: float, second: float, digits: int = 3) -> tuple[str, str]:
    """Two figures a message compares ("0.8 > 0.7"), each as ``number`` shows it, unless that shows
    two different figures alike ("1,000 > 1,000" for 1,000.4 and 1,000): then both to the fewest
    decimals that tell them apart ("1,000.4 > 1,000.0"), so a message never reads x > x."""
    shown = number(first, digits), number(second, digits)
    if shown[0] != shown[1] or first == second:
        return shown
    for places in range(1, 16):
        apart = f"{first:,.{places}f}", f"{second:,.{places}f}"
        if apart[0] != apart[1]:
            return apart
    return repr(first), repr(second)
