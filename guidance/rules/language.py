"""Which written language a page, an e-mail or a letter is in: the one place that decides.

Norwegian has two written forms, bokmål (nb) and nynorsk (nn); the UI also speaks English (en).
Under the Language Act (språklova) a county writes to a municipality in the form the
municipality has chosen: bokmål, nynorsk or neutral (then the county writes its own form).

Pages (`guidance.web.i18n.select_locale`), in this order:
1. the language chosen with the switcher in this browser session;
2. the logged-in user's saved choice (`User.language`);
3. for a logged-in user without a choice: their municipality's form (referrers), else their
   county's default form (`County.language_form`), so new users follow the county;
4. the browser's Accept-Language (nb, nn or en; "no" counts as bokmål); 5. bokmål.
The county's default comes before the browser because Norwegian browsers almost always ask for
"nb"/"no" whatever form their user writes: the county's choice says more.

E-mails and documents (`for_recipient`, `for_municipality`): a letter to a municipality's staff,
and the guidance note's PDF for the referring municipality, are in the municipality's form
(neutral: the county's default), whatever form the person reads the UI in; a person who chose
English gets English. Everyone else (interpreters, centre staff) gets their own choice, else
their county's default.
"""
from __future__ import annotations

BOKMAL, NYNORSK, ENGLISH, NEUTRAL = "nb", "nn", "en", "neutral"
UI_LANGUAGES = (BOKMAL, NYNORSK, ENGLISH)
COUNTY_FORMS = (BOKMAL, NYNORSK)
MUNICIPALITY_FORMS = (BOKMAL, NYNORSK, NEUTRAL)

# The reference data's starting point (admins change them on the language forms page).
COUNTY_DEFAULTS = {"46": NYNORSK}  # Vestland: nynorsk is the county's official form
# Vestland's municipalities: nynorsk where the council chose it; Bergen, Askøy and Øygarden are
# neutral; Stord and Bjørnafjorden are left neutral until an admin confirms their choice.
MUNICIPALITY_DEFAULTS = {
    number: NYNORSK for number in (
        "4602", "4611", "4612", "4613", "4615", "4616", "4617", "4618", "4619", "4620", "4621", "4622",
        "4623", "4625", "4628", "4629", "4630", "4631", "4632", "4633", "4634", "4635", "4636", "4637",
        "4638", "4639", "4640", "4641", "4642", "4643", "4644", "4645", "4646", "4647", "4648", "4649",
        "4650", "4651",
    )
}


def county_form(county) -> str:
    """The county's default written form: nb or nn."""
    form = getattr(county, "language_form", None)
    return form if form in COUNTY_FORMS else BOKMAL


def municipality_form(municipality) -> str:
    """The form the county writes to this municipality in: its choice, neutral meaning the county's."""
    form = municipality.language_form
    return form if form in COUNTY_FORMS else county_form(municipality.county)


def default_for_user(user) -> str | None:
    """The form a logged-in user without a choice of their own sees (None: no county to follow)."""
    if getattr(user, "municipality", None) is not None:
        return municipality_form(user.municipality)
    if getattr(user, "county", None) is not None:
        return county_form(user.county)
    return None


def for_recipient(user) -> str:
    """The language of an e-mail to `user`."""
    if user.language == ENGLISH:
        return ENGLISH
    if user.municipality is not None:
        return municipality_form(user.municipality)
    if user.language in UI_LANGUAGES:
        return user.language
    return default_for_user(user) or BOKMAL


def for_municipality(municipality) -> str:
    """The language of a letter or document for `municipality` (the guidance note's PDF)."""
    return municipality_form(municipality)
