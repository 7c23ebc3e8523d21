

def test_uncompiled_translation_catalogues_are_named(tmp_path):
    """A clone set up without `pybabel compile` served English under "Norsk bokmål": the app says which
    catalogues are not compiled when it starts."""
    from guidance import uncompiled_catalogs

    for locale, compiled in (("nb", False), ("nn", True), ("en", False)):
        folder = tmp_path / locale / "LC_MESSAGES"
        folder.mkdir(parents=True)
        (folder / "messages.po").write_text("")
        if compiled:
            (folder / "messages.mo").write_bytes(b"")
    assert uncompiled_catalogs(tmp_path) == ["en", "nb"]
