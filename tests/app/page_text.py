"""Reading a page as its user reads it: the words of one part, tags stripped, spaces squeezed."""
import re


def words(html: str) -> str:
    return " ".join(re.sub(r"<[^>]+>", " ", html).split())


def card(page: str, heading_id: str) -> str:
    """The words of the home-page card whose heading has `heading_id` (heading and body, no markup)."""
    start = page.index(">", page.index(f'id="{heading_id}"')) + 1
    return words(page[start:page.index("</section>", start)])
