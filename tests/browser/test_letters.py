"""A referrer downloads the summons letters from the referral list and from a referral page, as a
person would (issue 27): the files are real PDFs with the letters' text; a picture of the first two
pages is kept in test-artifacts/letters/."""
from __future__ import annotations

import io
from pathlib import Path

from pypdf import PdfReader

from tests.browser.conftest import ROOT, login

LETTERS = ROOT / "test-artifacts" / "letters"


def _save_pictures(pdf: Path, name: str) -> list[Path]:
    """PNGs of the first two pages, rendered with pdfium, for people to look at (test artefacts)."""
    import pypdfium2

    LETTERS.mkdir(parents=True, exist_ok=True)
    document = pypdfium2.PdfDocument(str(pdf))
    paths = []
    for number in range(min(2, len(document))):
        path = LETTERS / f"{name}-page{number + 1}.png"
        document[number].render(scale=1.5).to_pil().save(path)
        paths.append(path)
    return paths


def test_referrer_downloads_the_letters_of_the_municipality_and_of_one_referral(browser, live, page):
    from guidance.extensions import db
    from tests.app import factories as f

    with live.app_context():
        referrer = db.session.merge(live.world.referrer)
        counsellor = db.session.merge(live.world.counsellor)
        referral = f.referral(municipality_number="4601", name="Oksana Bondarenko", language="uk")
        referral.referred_by = referrer
        db.session.commit()
        day = f.future_weekday(4)
        f.published_session(counsellor, referral, start=f.oslo(day.year, day.month, day.day, 9))
        referral_id, reference = referral.id, referral.reference
        municipality_id = referrer.municipality_id
    login(page, live, live.world.referrer)

    page.goto(f"{live.url}/referrals/")
    link = page.get_by_role("link", name="Brev for alle bookede timer framover, Bergen (PDF)")
    with page.expect_download() as waiting:
        link.click()
    download = waiting.value
    assert download.suggested_filename.startswith("brev-4601-")
    all_letters = LETTERS / "all-letters-bergen.pdf"
    LETTERS.mkdir(parents=True, exist_ok=True)
    download.save_as(all_letters)
    texts = [p.extract_text() for p in PdfReader(io.BytesIO(all_letters.read_bytes())).pages]
    assert any(reference in t and "Запрошення" in t for t in texts)
    assert all("Innkalling til karriererettleiing" in t for t in texts[::2])

    page.goto(f"{live.url}/referrals/{referral_id}")
    with page.expect_download() as waiting:
        page.get_by_role("link", name="Last ned brevet til deltakeren (PDF)").click()
    one = LETTERS / f"letter-{reference}.pdf"
    waiting.value.save_as(one)
    texts = [p.extract_text() for p in PdfReader(str(one)).pages]
    assert len(texts) == 2 and "Oksana Bondarenko" in texts[0] and "Кому: Oksana Bondarenko" in texts[1]
    assert len(_save_pictures(one, "letter-ukrainian")) == 2  # Norwegian page and Ukrainian page
    assert _save_pictures(all_letters, "all-letters")
    assert municipality_id
