"""The summons letter's catalogues (guidance/letters/*.po): every language a participant may get has
every sentence of the Norwegian letter, with the same placeholders; right-to-left lines keep numbers
and addresses readable."""
import dataclasses
import datetime as dt
import re
from zoneinfo import ZoneInfo

import pytest

from guidance.services import letters

PLACEHOLDER = re.compile(r"%\((\w+)\)s")
REQUIRED = {"nb", "nn", "uk", "ar", "ti", "prs", "so", "en", "ru", "fa", "ps", "ckb", "kmr", "fr", "sw", "tr", "am"}


def _facts(**changes) -> letters.Facts:
    oslo = ZoneInfo("Europe/Oslo")
    base = letters.Facts(
        reference="H-7KQ2X", name="Olena Kovalenko", sender="Karrieresenter Bergen", session_type="individual",
        start=dt.datetime(2027, 3, 2, 9, tzinfo=oslo), end=dt.datetime(2027, 3, 2, 10, 30, tzinfo=oslo), video=False,
        video_link=None,
        location="Karrieresenter Bergen", address="Kaigaten 4, 5015 Bergen", room="Rom 1", directions="Bybanen til Byparken.",
        step_free=True, interpreter_language="uk", interpreter_mode="onsite", contact_name="Kari Nordmann",
        contact_phone="+47 400 00 000", contact_email="kari@bergen.kommune.no", municipality="Bergen", norwegian="nb",
        second="uk")
    return dataclasses.replace(base, **changes)


# Every branch of the letter: group/individual, video, steps, interpreter modes, with and without a contact.
VARIANTS = [
    {}, {"session_type": "group", "step_free": False, "interpreter_mode": "video"},
    {"interpreter_mode": "phone", "contact_name": None, "contact_phone": None, "contact_email": None},
    {"video": True}, {"video": True, "session_type": "group"}, {"video": True, "video_link": "https://meet.example.no/kari"}, {"second": None}, {"interpreter_language": None}, {"interpreter_mode": "arranging"},
    {"replaces": (dt.datetime(2027, 2, 25, 13, 0, tzinfo=ZoneInfo("Europe/Oslo")),)},
    {"replaces": (dt.datetime(2027, 2, 25, 13, 0, tzinfo=ZoneInfo("Europe/Oslo")),
                  dt.datetime(2027, 2, 26, 9, 0, tzinfo=ZoneInfo("Europe/Oslo"))), "new_place": True},
    {"sender_phone": "+47 55 30 60 00"},
]


def test_a_video_letter_does_not_ask_the_participant_to_bring_the_letter_or_an_id_card():
    """Nobody at home looks at them; glasses and papers from school still help the talk."""
    def items(**changes):
        return [text for style, text in letters.paragraphs(_facts(**changes), "nb", strict=True) if style == "item"]

    on_site, by_video = items(), items(video=True, video_link="https://meet.example.no/kari")
    assert "Dette brevet." in on_site and "Dette brevet." not in by_video
    assert any("ID-kort" in item for item in on_site) and not any("ID-kort" in item for item in by_video)
    assert any("Briller" in item for item in by_video) and any("Vitnemål" in item for item in by_video)


def test_a_video_letter_does_not_invite_the_participant_to_the_career_centre():
    """Told to come to the centre, they would travel there for a talk held on a screen at home."""
    def text(code, **changes):
        return " ".join(t for _, t in letters.paragraphs(_facts(**changes), code, strict=True))

    for session_type in ("individual", "group"):
        assert "karrieresenteret" in text("nb", session_type=session_type)
        by_video = text("nb", session_type=session_type, video=True, video_link="https://meet.example.no/kari")
        assert "karrieresenteret" not in by_video and "på video" in by_video
        assert "at the career centre" not in text("en", session_type=session_type, video=True)
        assert "в карьерном центре" not in text("ru", session_type=session_type, video=True)


def test_every_letter_language_the_task_names_has_a_catalogue():
    assert REQUIRED <= set(letters.languages())


@pytest.mark.parametrize("code", sorted(REQUIRED))
def test_catalogue_has_every_sentence_of_the_norwegian_letter_with_the_same_placeholders(code):
    norwegian = letters.catalogue("nb")
    translated = letters.catalogue(code)
    missing = [msgid for msgid in norwegian if not translated.get(msgid)]
    assert not missing, f"{code}.po lacks: {missing}"
    for msgid, text in translated.items():
        assert set(PLACEHOLDER.findall(text)) == set(PLACEHOLDER.findall(msgid)), (code, msgid)


@pytest.mark.parametrize("code", ["nb", "nn"])
def test_the_norwegian_catalogues_hold_every_sentence_the_letter_uses(code):
    for variant in VARIANTS:
        for style, text in letters.paragraphs(_facts(**variant), code, strict=True):
            assert text.strip(), (code, style)


def test_a_nynorsk_letter_is_in_nynorsk():
    words = " ".join(text for _, text in letters.paragraphs(_facts(norwegian="nn"), "nn"))
    assert "Innkalling til karriererettleiing" in words and "tysdag 2. mars 2027" in words


def test_right_to_left_lines_keep_phone_numbers_and_brackets_the_right_way_round():
    line = letters._shape("الهاتف: " + letters.isolate("+47 400 00 000") + " (ورقية)")
    drawn = letters._visual(line, rtl=True)
    assert "+47 400 00 000" in drawn
    assert drawn.index("(") < drawn.index(")")
    assert "\u2066" not in drawn and "\u2069" not in drawn


def _structure(pdf: bytes) -> list:
    import io

    from pypdf import PdfReader

    root = PdfReader(io.BytesIO(pdf)).trailer["/Root"]
    assert bool(root["/MarkInfo"]["/Marked"])
    document = root["/StructTreeRoot"].get_object()["/K"]
    document = document[0].get_object() if isinstance(document, list) else document.get_object()
    return [kid.get_object() for kid in document["/K"]], root


def test_the_pdf_is_tagged_with_headings_languages_and_arabic_in_reading_order():
    pdf = letters.render_facts([_facts(second="ar", name="أحمد محمد")])
    elements, root = _structure(pdf)
    assert root["/Lang"] == "nb"
    headings = [(e["/S"], e["/Lang"]) for e in elements if e["/S"] == "/H1"]
    assert headings == [("/H1", "nb"), ("/H1", "ar")]
    arabic_title = next(e for e in elements if e["/S"] == "/H1" and e["/Lang"] == "ar")
    assert arabic_title["/ActualText"] == "دعوة إلى الإرشاد المهني"
    # The Arabic name on the Norwegian page is read in its own order too.
    to = next(e for e in elements if e.get("/ActualText", "").startswith("Til: "))
    assert to["/ActualText"] == "Til: أحمد محمد" and to["/Lang"] == "nb"


def test_the_pdf_embeds_fonts_for_cyrillic_arabic_and_ethiopic_text():
    import io

    from pypdf import PdfReader

    pdf = letters.render_facts([_facts(second=code) for code in ("uk", "ar", "ti")])
    fonts = set()
    for page in PdfReader(io.BytesIO(pdf)).pages:
        for font in page["/Resources"]["/Font"].values():
            descriptor = font.get_object()["/DescendantFonts"][0].get_object()["/FontDescriptor"].get_object()
            assert "/FontFile2" in descriptor  # embedded, not just named
            fonts.add(str(font.get_object()["/BaseFont"]).split("+")[-1])
    assert {"DejaVuSansBook", "NotoSansArabic", "NotoSansEthiopic"} <= fonts


def test_a_pashto_line_keeps_a_time_and_a_phone_number_whole_and_in_reading_order():
    """fpdf2's own shaping drew "10:30–09:00" and "567 34 412 +47" on the Pashto page: the bidi
    algorithm runs with the letter's isolates, and each run is drawn where it belongs, right to left."""
    from fpdf import FPDF

    document = FPDF(format="A4")
    document.add_font("arabic", "", str(letters.FONTS / "NotoSansArabic-Regular.ttf"))
    document.add_font("dejavu", "", str(letters.FONTS / "DejaVuSans.ttf"))
    document.add_page()
    document.set_font("arabic", "", 13)
    drawn: list[tuple[float, str]] = []
    cell = document.cell
    document.cell = lambda width, height, text, **kw: (drawn.append((document.get_x(), text)), cell(width, height, text, **kw))
    phone = "تلیفون: " + letters.isolate("+47 412 34 567")
    letters._draw_shaped(document, "ps", phone, 6)
    letters._draw_shaped(document, "ps", "وخت: " + letters.isolate("09:00–10:30"), 6)
    (number_x, number), (label_x, label) = sorted(drawn[:2])
    assert number == "+47 412 34 567" and label == "تلیفون:" and number_x < label_x  # the label on the right
    assert [text for _x, text in sorted(drawn[2:])] == ["09:00–10:30", "وخت:"]


def test_a_moved_letter_with_long_directions_stays_on_one_sheet_in_every_language():
    """A moved Kurmanji letter with a centre's 389-character directions spilled two lines onto a page of their own."""
    import io

    from pypdf import PdfReader

    oslo = ZoneInfo("Europe/Oslo")
    directions = ("Ta bybanen til Byparken og gå ned Kaigaten mot Bryggen. Inngangen er i bakgården bak det gule "
                  "bygget. ") * 4
    assert len(directions) > 389
    for code in sorted(REQUIRED - {"nb", "nn"}):
        facts = _facts(second=code, directions=directions, new_place=True,
                       replaces=(dt.datetime(2027, 2, 25, 13, tzinfo=oslo), dt.datetime(2027, 2, 26, 9, tzinfo=oslo)))
        assert len(PdfReader(io.BytesIO(letters.render_facts([facts]))).pages) == 2, code
