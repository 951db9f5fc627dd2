"""Tests for docclean.areawriting: letters grouped into writing, and the marks a dark area holds."""

import numpy as np

from docclean.areawriting import HOLE_MAX, enclosed, grouped_letters, mostly_outside, with_holes


def marks_at(shape: tuple[int, int], corners: list[tuple[int, int]], size: int = 3) -> np.ndarray:
    marks = np.zeros(shape, np.uint8)
    for y, x in corners:
        marks[y:y + size, x:x + size] = 1
    return marks


def test_letters_in_a_group_are_writing_and_a_lone_fleck_is_not():
    word = marks_at((60, 120), [(10, 10), (10, 16), (10, 22)])
    fleck = marks_at((60, 120), [(40, 90)])
    found = grouped_letters(word | fleck)
    assert found[word.astype(bool)].all() and not found[fleck.astype(bool)].any()
    assert not grouped_letters(marks_at((60, 120), [(10, 10), (10, 40), (10, 70)])).any()  # too far apart


def test_small_holes_are_filled_and_the_outside_is_not():
    band = np.ones((40, 200), np.uint8)
    band[10:20, 30:40] = 0  # a letter-sized hole
    band[:, 150:] = 0  # open to the box's border: outside
    filled = with_holes(band)
    assert filled[10:20, 30:40].all() and not filled[:, 150:].any()


def test_a_mark_is_mostly_outside_a_mask_when_at_most_half_of_it_lies_in_it():
    marks = marks_at((20, 40), [(5, 5), (5, 25)], size=4)
    mask = np.zeros((20, 40), bool)
    mask[:, :6] = True  # a quarter of the first mark
    mask[:, 25:29] = True  # all of the second
    kept = mostly_outside(marks, mask)
    assert kept[5:9, 5:9].all() and not kept[5:9, 25:29].any()


def test_enclosed_marks_are_those_the_area_surrounds_and_not_the_page_it_encloses():
    region = np.ones((300, 300), np.uint8)
    region[100:110, 20:26] = 0  # a light letter in the dark area
    region[60:280, 120:290] = 0  # the page, far larger than HOLE_MAX
    light = 1 - region
    light[100:110, 26:30] = 1  # the letter joined to a light patch beside it, half out of the area
    region[100:110, 26:30] = 0
    assert (light[60:280, 120:290].sum()) > HOLE_MAX
    inner = enclosed(light, region)
    assert inner[100:110, 20:30].all() and not inner[60:280, 120:290].any()
    edge = np.zeros((300, 300), np.uint8)
    edge[0:3, 0:300] = 1  # a strip along the area's border: dark on one side only
    region2 = 1 - edge
    assert not enclosed(edge, region2).any()
