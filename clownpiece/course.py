"""Every spelling that exists only because the course types it, in one list, with the reason.

The course (Week 3 of a "build your own PyTorch" course) has a few typos and older names in
its skeletons and graders. Students type them, so they keep working; PyTorch's spelling is
the documented one. Each alias is defined next to what it aliases, marked "course spelling",
kept out of `__all__` and the docs, and listed here; `tests/test_course_spellings.py` checks
that this list and the package agree.
"""

from __future__ import annotations

from typing import NamedTuple


class CourseSpelling(NamedTuple):
    """One course spelling: where it lives, what it means, and why it exists."""

    where: str  # "module:qualname" of the object that accepts the spelling
    spelling: str  # what the course types
    canonical: str  # the documented (PyTorch) spelling it stands for
    # "alias" (a second name), "subclass" (a class with the course's signature),
    # "keyword" (an argument name) or "value" (a string value)
    kind: str
    why: str


COURSE_SPELLINGS: tuple[CourseSpelling, ...] = (
    CourseSpelling(
        "clownpiece.nn.init",
        "calcuate_gain",
        "calculate_gain",
        "alias",
        "the seed's skeleton and grade_part3 call init.calcuate_gain (typo)",
    ),
    CourseSpelling(
        "clownpiece.nn.init",
        "consants_",
        "constant_",
        "alias",
        "the seed's skeleton defines consants_ (typo)",
    ),
    CourseSpelling(
        "clownpiece.nn.init",
        "constants_",
        "constant_",
        "alias",
        "the course's graders call constants_",
    ),
    CourseSpelling(
        "clownpiece.nn.init:calculate_gain",
        "idenity",
        "identity",
        "value",
        "the seed's gain table spells the key 'idenity'",
    ),
    CourseSpelling(
        "clownpiece.nn.init:UnknownNonlinearityError",
        "KeyError",
        "ValueError",
        "alias",
        "the seed's calcuate_gain raises KeyError for an unknown name, PyTorch a ValueError: "
        "the error is both",
    ),
    CourseSpelling(
        "clownpiece.nn",
        "Conv2D",
        "Conv2d",
        "subclass",
        "the course's optional challenge names the layer Conv2D(in, out, kh, kw); a subclass "
        "of Conv2d with that signature",
    ),
    CourseSpelling(
        "clownpiece.nn.module:Module",
        "register_modules",
        "register_module",
        "alias",
        "the seed's skeleton names the method register_modules",
    ),
    CourseSpelling(
        "clownpiece.nn.module:Module.named_parameters",
        "recursive",
        "recurse",
        "keyword",
        "the seed's iterators take recursive=; so do parameters, named_buffers, buffers, "
        "named_modules and modules (keyword only: positions bind as in PyTorch)",
    ),
    CourseSpelling(
        "clownpiece.tensor:Tensor.sum",
        "keepdims",
        "keepdim",
        "keyword",
        "Weeks 1-2 of the course (numpy style) write keepdims=; so do mean, var, max and min",
    ),
)
