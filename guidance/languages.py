"""The languages a participant may speak: ISO 639 codes, the common ones first.

Codes are ISO 639-1 where one exists, ISO 639-3 otherwise (Dari, Kurmanji, Sorani), as in
the planning instance. Names come from the UI labels (translated) or, for the long tail,
from CLDR through Babel in the user's language, so every code has an nb, nn and en name.
"""
from __future__ import annotations

import functools
import re

from babel import Locale

# The most referred languages in recent years (DOMAIN.md), in rough order of volume.
COMMON = ("uk", "ar", "ti", "prs", "ps", "so", "kmr", "ckb", "fa", "ru", "en", "fr", "tr", "am", "my", "sw")

# ISO 639-3 codes that CLDR does not name but refugee services use.
EXTRA = ("prs", "kmr")


# ISO 639-1 codes nobody is referred in: classical, liturgical and constructed languages, and "no",
# which bokmål (nb) and nynorsk (nn) already cover (the intake's list offered Latin, Volapük and a
# third Norwegian).
NOT_SPOKEN = frozenset({"ae", "cu", "eo", "ia", "ie", "io", "la", "no", "pi", "sa", "vo"})


@functools.cache
def all_codes() -> frozenset[str]:
    """Every accepted code: the ISO 639-1 codes CLDR knows (but those nobody is referred in), plus the
    common and extra ones."""
    two_letter = {code for code in Locale.parse("en").languages if re.fullmatch(r"[a-z]{2}", code)}
    return frozenset((two_letter - NOT_SPOKEN) | set(COMMON) | set(EXTRA) | {"ckb"})


# Names people write for languages CLDR names otherwise (or not at all), in any of the UI languages.
_ALIASES = {"norsk": "nb", "norwegian": "nb", "no": "nb", "dari": "prs", "kurmanji": "kmr", "kurmandsji": "kmr",
            "sorani": "ckb", "farsi": "fa", "persisk": "fa", "persian": "fa"}


@functools.cache
def _codes_by_name() -> dict[str, str]:
    names: dict[str, str] = {}
    for locale in ("en", "nb", "nn"):
        known = Locale.parse(locale).languages
        for code in sorted(all_codes()):
            name = known.get(code)
            if name:
                names.setdefault(name.casefold(), code)
    names.update(_ALIASES)
    return names


def code_for(text: str) -> str | None:
    """The code of a language written as its code ("so") or its name in English, bokmål or nynorsk
    ("Somali", "arabisk"), as people fill in a spreadsheet; None when neither."""
    word = (text or "").strip()
    if word.lower() in all_codes():
        return word.lower()
    return _codes_by_name().get(word.casefold())


def is_known(code: str | None) -> bool:
    return bool(code) and code in all_codes()


def language_name(code: str, locale: str = "nb") -> str:
    """The language's name in `locale` ("nb", "nn" or "en"); the code itself if nothing knows it."""
    from guidance.labels import LANGUAGE

    label = LANGUAGE.get(code)
    if label is not None:
        return str(label)
    name = Locale.parse(locale).languages.get(code)
    return name[0].upper() + name[1:] if name else code


def choices(locale: str = "nb") -> tuple[list[tuple[str, str]], list[tuple[str, str]]]:
    """(common, others): (code, name) pairs, the others sorted by name in `locale`."""
    common = [(code, language_name(code, locale)) for code in COMMON]
    others = sorted(
        ((code, language_name(code, locale)) for code in all_codes() if code not in COMMON),
        key=lambda pair: pair[1].casefold(),
    )
    return common, others
