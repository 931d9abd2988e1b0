"""The workbook's exercises: one set of checks used by the chapters and by the grader.

    from clownpiece.exercises import check
    check("registration")          # the student's book/student/nn, reloaded; prints PASS/FAIL

    python -m clownpiece.grade [part1 ...] [--impl PATH|reference]

See README.md in this folder for the groups, the parts and what each exercise asks for.
`clownpiece.nn` and `clownpiece.autograd` never import this package.
"""

from . import (  # noqa: F401  (importing a check module registers its checks)
    chapter1_function,
    part1_registration,
    part1_repr_forward,
    part1_state_dict,
    part2_linear_tanh,
    part3_init,
    part4_activations,
    part4_containers,
    part4_layers,
    part4_losses,
    part4_normalisation,
    part5_training,
)
from .catalog import GROUPS, PARTS, Group, groups_of
from .checking import check, check_function, grade_subjects, run, student_subject
from .expect import CheckFailed, Missing, Namespace
from .part3_init import CDF_THRESHOLD, INIT_TARGETS, InitTarget, cdf_distance, draw, empirical_cdf
from .report import Report, Row
from .runner import Subject
from .source import resolve, show_source, source_text
from .student import load_nn, load_train, student_folder, training_nn

__all__ = [
    "CDF_THRESHOLD",
    "CheckFailed",
    "GROUPS",
    "Group",
    "INIT_TARGETS",
    "InitTarget",
    "Missing",
    "Namespace",
    "PARTS",
    "Report",
    "Row",
    "Subject",
    "cdf_distance",
    "check",
    "check_function",
    "draw",
    "empirical_cdf",
    "grade_subjects",
    "groups_of",
    "load_nn",
    "load_train",
    "resolve",
    "run",
    "show_source",
    "source_text",
    "student_folder",
    "student_subject",
    "training_nn",
]
