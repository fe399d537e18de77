"""The enterprise portal (粤品通): my scoring objects and why they score what they do, my
notices, my cases (repair, objection, reward) and the information filing. Everything is read
for the signed-in user's operator only; an id of another operator's record answers 404."""

from . import applications, cases, filing, objects  # noqa: F401  (register the pages)
from .base import bp

__all__ = ["bp"]
