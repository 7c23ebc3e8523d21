"""UI labels for domain values, in one place, through the translation layer."""
from flask_babel import lazy_gettext as _l

STATUS = {
    "received": _l("Received"),
    "planned": _l("Planned"),
    "booked": _l("Booked"),
    "completed": _l("Completed"),
    "note_shared": _l("Guidance note shared"),
    "withdrawn": _l("Withdrawn"),
    "no_show": _l("Did not attend"),
}

LEGAL_BASIS = {
    "integration_act": _l("Integration Act"),
    "temporary_act": _l("Temporary act"),
    "ordinary": _l("Ordinary"),
}

SESSION_TYPE = {
    "individual": _l("Individual guidance"),
    "group": _l("Group guidance"),
}

LANGUAGE = {
    "nb": _l("Norwegian"), "en": _l("English"), "uk": _l("Ukrainian"), "ru": _l("Russian"), "ar": _l("Arabic"),
    "ti": _l("Tigrinya"), "prs": _l("Dari"), "ps": _l("Pashto"), "so": _l("Somali"), "kmr": _l("Kurmanji"),
    "ckb": _l("Sorani"), "fa": _l("Farsi"), "ln": _l("Lingala"), "sw": _l("Swahili"),
}


def all_labels() -> dict:
    return {"status_label": STATUS, "basis_label": LEGAL_BASIS, "session_label": SESSION_TYPE, "language_label": LANGUAGE}
