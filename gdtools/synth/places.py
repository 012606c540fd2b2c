"""Place names of a synthetic world: world 0 is the fixed set in ``phrases.yaml``; world K ≥ 1 has
the same shape (provinces, cities, counties, townships and which lies in which) under invented
names of its own, so that corpora generated in parts (one world each) share no agency."""

from __future__ import annotations

import random

from ..errors import GdtoolsError
from .document import phrases

LEVELS = ("provinces", "cities", "counties", "townships")
# which key of an entry names the place it lies in
_PARENT = {"cities": "province", "counties": "city", "townships": "county"}
_STEM = 2  # characters of a place name before its suffix (省, 市, 县/区, 镇/乡/街道办事处)


def _stems() -> list[tuple[str, str]]:
    """Every two-syllable stem (hanzi, ASCII slug) in one fixed pseudo-random order: distinct
    names and distinct slugs, none a stem or slug of world 0."""
    ph = phrases()
    syllables = [(char, str(spelling)) for char, spelling in ph["place_syllables"].items()]
    pairs = [(a + b, sa + sb) for a, sa in syllables for b, sb in syllables if a != b]
    random.Random("gdtools synth place stems").shuffle(pairs)
    world0 = [place for level in LEVELS for place in ph[level]]
    taken_names = {place["name"][:_STEM] for place in world0}
    taken_slugs = {place["slug"] for place in world0}
    stems = []
    for name, slug in pairs:
        if name not in taken_names and slug not in taken_slugs:  # e.g. li+nan and lin+an spell alike
            taken_names.add(name)
            taken_slugs.add(slug)
            stems.append((name, slug))
    return stems


def max_world() -> int:
    """The largest world number with names of its own."""
    return len(_stems()) // sum(len(phrases()[level]) for level in LEVELS)


def places(world: int = 0) -> dict[str, list[dict]]:
    """``{"provinces": [...], "cities": [...], "counties": [...], "townships": [...]}`` of ``world``,
    entries as in ``phrases.yaml`` (name, slug, and the name of the place each lies in)."""
    ph = phrases()
    if world == 0:
        return {level: ph[level] for level in LEVELS}
    size = sum(len(ph[level]) for level in LEVELS)
    stems = _stems()
    if not 1 <= world <= len(stems) // size:
        raise GdtoolsError(f"synthetic world {world} does not exist: choose --world between 0 and "
                           f"{len(stems) // size} (the place_syllables bank in gdtools/synth/phrases.yaml "
                           "has names for that many)")
    drawn = iter(stems[(world - 1) * size:world * size])
    renamed: dict[str, str] = {}  # world-0 name -> this world's name
    result: dict[str, list[dict]] = {}
    for level in LEVELS:
        result[level] = []
        for place in ph[level]:
            stem, slug = next(drawn)
            entry = {"name": stem + place["name"][_STEM:], "slug": slug}
            if level == "provinces":
                entry["short"] = stem
            else:
                entry[_PARENT[level]] = renamed[place[_PARENT[level]]]
            renamed[place["name"]] = entry["name"]
            result[level].append(entry)
    return result
