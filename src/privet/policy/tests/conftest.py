def edited(source: str, old: str, new: str) -> str:
    """The default declaration with one textual edit (the test fails if ``old`` is absent)."""
    assert old in source, old
    return source.replace(old, new, 1)
