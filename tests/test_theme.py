"""The theme's colours (assets/theme.css) meet WCAG AA for every hue the pages use: white text
on a solid button (step 9) and a soft button's, badge's or callout's text (step 11) on its
ground (step 3, and the translucent step a3 over white), 4.5:1 at least.

The browser audit (tests/e2e/test_accessibility.py) checks what axe can see; axe leaves out
text over a card's layered background, which this covers for every hue."""

from __future__ import annotations

import re

from lbt_app.frontend_build import COLOUR_SCALES
from lbt_app.settings import PROJECT_ROOT

THEME = PROJECT_ROOT / "assets" / "theme.css"
AA = 4.5
# Radix Themes 3.3's light grounds (step 3, a3) of the hues with white solid text, and of amber
# (whose solid text is dark: only its step 11 is ours).
RADIX_GROUNDS = {
    "teal": ("#e0f8f3", "#00c69d1f"),
    "green": ("#e6f6eb", "#00a43319"),
    "red": ("#feebec", "#f3000d14"),
    "amber": ("#fff7c2", "#ffde003d"),
}
WHITE_TEXT = {"teal", "green", "red"}


def _luminance(colour: str) -> float:
    channels = [int(colour[i : i + 2], 16) / 255 for i in (1, 3, 5)]
    r, g, b = (c / 12.92 if c <= 0.03928 else ((c + 0.055) / 1.055) ** 2.4 for c in channels)
    return 0.2126 * r + 0.7152 * g + 0.0722 * b


def contrast(a: str, b: str) -> float:
    light, dark = sorted((_luminance(a), _luminance(b)), reverse=True)
    return (light + 0.05) / (dark + 0.05)


def over_white(colour: str) -> str:
    """A translucent #rrggbbaa as it shows over white."""
    alpha = int(colour[7:9], 16) / 255
    return "#" + "".join(
        f"{round(int(colour[i : i + 2], 16) * alpha + 255 * (1 - alpha)):02x}" for i in (1, 3, 5)
    )


def _tokens() -> dict[str, str]:
    return dict(re.findall(r"--([a-z]+-a?\d+):\s*(#[0-9a-f]{6});", THEME.read_text()))


RADIX_HUES = (
    *("tomato", "red", "ruby", "crimson", "pink", "plum", "purple", "violet", "iris", "indigo"),
    *("blue", "cyan", "teal", "jade", "green", "grass", "brown", "orange", "sky", "mint"),
    *("lime", "yellow", "amber", "gold", "bronze", "gray"),
)


def _hues_used() -> set[str]:
    """The accent (rxconfig.py) and every Radix hue the app's code names."""
    hue = "|".join(RADIX_HUES)
    used = set(re.findall(rf'accent_color="({hue})"', (PROJECT_ROOT / "rxconfig.py").read_text()))
    assert used, "rxconfig.py names no accent colour"
    for source in (PROJECT_ROOT / "lbt_app").rglob("*.py"):
        used |= set(re.findall(rf'"({hue})"', source.read_text()))
    return used


def test_every_hue_the_pages_use_has_colours_of_ours():
    tokens = _tokens()
    for hue in _hues_used() - {"gray"}:  # Radix's gray passes: 5.19:1 and more
        assert f"{hue}-11" in tokens and f"{hue}-a11" in tokens, hue
        if hue in WHITE_TEXT:
            assert f"{hue}-9" in tokens and f"{hue}-10" in tokens, hue


def test_every_hue_the_pages_use_is_served():
    """The stylesheet carries only the scales listed (lbt_app/frontend_build.py): a hue missing
    there would show without colour."""
    theme_gray = re.findall(r'gray_color="([a-z]+)"', (PROJECT_ROOT / "rxconfig.py").read_text())
    assert theme_gray, "rxconfig.py names no gray: Radix would pick one by the accent"
    assert _hues_used() | set(theme_gray) <= set(COLOUR_SCALES)


def test_white_on_solid_and_text_on_soft_grounds_meet_aa():
    tokens = _tokens()
    for hue in WHITE_TEXT:
        assert contrast("#ffffff", tokens[f"{hue}-9"]) >= AA, hue
        assert contrast("#ffffff", tokens[f"{hue}-10"]) >= AA, hue  # pressed, hovered
    for hue, (step3, a3) in RADIX_GROUNDS.items():
        for ground in (step3, over_white(a3)):
            assert contrast(tokens[f"{hue}-11"], ground) >= AA, (hue, ground)
            assert tokens[f"{hue}-a11"] == tokens[f"{hue}-11"], hue


def test_radix_own_colours_fail_where_ours_replace_them():
    """Why the file exists (Radix Themes 3.3, light): white on teal 9 is 3.07:1."""
    assert round(contrast("#ffffff", "#12a594"), 2) == 3.07
    assert round(contrast("#008573", "#e0f8f3"), 2) == 4.10  # teal 11 on teal 3
