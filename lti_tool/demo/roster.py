"""Seed data: one course ("CourseA") with an instructor, learners and mentors, and for `make demo` a
second, smaller course ("CourseB") where Ritmo starts empty, for trying set-up from scratch."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

LIS_MEMBERSHIP = "http://purl.imsglobal.org/vocab/lis/v2/membership#"
ROLE_URIS = {
    "Instructor": LIS_MEMBERSHIP + "Instructor",
    "Learner": LIS_MEMBERSHIP + "Learner",
    "Mentor": LIS_MEMBERSHIP + "Mentor",
}
COURSE_OFFERING = "http://purl.imsglobal.org/vocab/lis/v2/course#CourseOffering"


@dataclass(frozen=True)
class Person:
    """A platform user as seen in one course."""

    user_id: str
    given_name: str
    family_name: str
    locale: str = "en"
    roles: tuple[str, ...] = ("Learner",)
    custom: dict[str, str] = field(default_factory=dict, hash=False)
    status: str = "Active"

    @property
    def name(self) -> str:
        return f"{self.given_name} {self.family_name}"

    @property
    def email(self) -> str:
        local = f"{self.given_name}.{self.family_name}".lower()
        # ASCII-only local part: the demo's mail addresses must be plain and valid.
        local = "".join(ch for ch in local if ch.isascii() and (ch.isalnum() or ch in ".-"))
        return f"{local}@demo.ritmo.invalid"

    @property
    def role_uris(self) -> list[str]:
        return [ROLE_URIS.get(r, r) for r in self.roles]  # a full URI stands for itself

    @property
    def label(self) -> str:
        """Human role label for pages ("Mentor" wins over "Learner")."""
        if "Instructor" in self.roles:
            return "Instructor"
        if "Mentor" in self.roles or self.custom.get("ritmo_role") == "mentor":
            return "Mentor"
        return "Learner"


@dataclass
class ResourceLink:
    """A placement of the tool in a course."""

    id: str
    title: str
    graded: bool = False
    url: str | None = None  # None -> the tool's launch URL
    custom: dict[str, str] = field(default_factory=dict)
    text: str = ""
    from_deep_link: bool = False


@dataclass
class Course:
    """A context with its members and resource links."""

    context_id: str
    label: str
    title: str
    members: list[Person]
    links: dict[str, ResourceLink]

    def member(self, user_id: str) -> Person | None:
        return next((p for p in self.members if p.user_id == user_id), None)

    def context_claim(self) -> dict[str, Any]:
        return {
            "id": self.context_id,
            "label": self.label,
            "title": self.title,
            "type": [COURSE_OFFERING],
        }


# (given, family, locale): deliberately varied (accents, apostrophes, hyphens, "it" locales).
_LEARNERS: list[tuple[str, str, str]] = [
    ("Giulia", "Bianchi", "it"),
    ("Liam", "O'Connor", "en"),
    ("Chiara", "Romano", "it"),
    ("Amara", "Okafor", "en"),
    ("Matteo", "Esposito", "it"),
    ("Wei", "Zhang", "en"),
    ("Sofia", "Ricci", "it"),
    ("José", "Álvarez", "en"),
    ("Priya", "Raghunathan", "en"),
    ("Anne-Marie", "Dubois", "en"),
    ("Lorenzo", "De Luca", "it"),
    ("Zoë", "Fitzgerald", "en"),
    ("Łukasz", "Nowak", "en"),
    ("Fatima", "Al-Sayed", "en"),
    ("Francesca", "Greco", "it"),
    ("Noah", "Schmidt", "en"),
    ("Aiko", "Tanaka", "en"),
    ("Alessandro", "Marino", "it"),
    ("Siobhán", "Murphy", "en"),
    ("Mateus", "Oliveira", "en"),
    ("Elena", "Conti", "it"),
    ("Kwame", "Mensah", "en"),
    ("Ingrid", "Johansson", "en"),
    ("Davide", "Gallo", "it"),
    ("Nguyen", "Thi Mai", "en"),
    ("Hannah", "Cohen", "en"),
    ("Martina", "Fontana", "it"),
    ("Olusegun", "Adeyemi", "en"),
    ("Emma", "van der Berg", "en"),
    ("Federico", "Moretti", "it"),
]

_MENTORS: list[tuple[str, str, str, tuple[str, ...]]] = [
    # Platforms differ: some have the LIS Mentor role, others only a custom parameter.
    ("Marco", "Ferrari", "it", ("Mentor",)),
    ("Grace", "Whitfield", "en", ("Mentor",)),
    ("Paola", "Russo", "it", ("Mentor",)),
    ("Samuel", "Adebayo", "en", ("Learner",)),
    ("Beatrice", "Lombardi", "it", ("Learner",)),
]

SEED_CONTEXT_ID = "CourseA"  # capitals on purpose: clients that lower-case URLs break
GRADED_LINK_ID = "rl-ritmo-main"


def seed_course() -> Course:
    """The deterministic seeded course used by `make demo` and the tests."""
    members = [Person("u-instructor", "Irene", "Instructor", "en", ("Instructor",))]
    for n, (given, family, locale) in enumerate(_LEARNERS, start=1):
        # One inactive learner so NRPS status handling gets exercised.
        status = "Inactive" if n == len(_LEARNERS) else "Active"
        members.append(Person(f"u-learner-{n:02d}", given, family, locale, status=status))
    for n, (given, family, locale, roles) in enumerate(_MENTORS, start=1):
        members.append(
            Person(f"u-mentor-{n:02d}", given, family, locale, roles, {"ritmo_role": "mentor"})
        )
    links = {
        GRADED_LINK_ID: ResourceLink(
            GRADED_LINK_ID, "Ritmo mentoring", graded=True, text="Weekly mentoring sessions"
        ),
        "rl-ritmo-journal": ResourceLink(
            "rl-ritmo-journal", "Reflection journal", custom={"ritmo_view": "journal"}
        ),
    }
    return Course(SEED_CONTEXT_ID, "MENT101", "Mentoring 101", members, links)


EMPTY_CONTEXT_ID = "CourseB"


def empty_course(seeded: Course) -> Course:
    """A second course with a few of the same people: Ritmo knows nothing of it until its first launch."""
    wanted = {"u-instructor", *(f"u-learner-{n:02d}" for n in range(1, 7)), "u-mentor-01", "u-mentor-02"}
    members = [p for p in seeded.members if p.user_id in wanted]
    links = {"rl-ritmo-b": ResourceLink("rl-ritmo-b", "Ritmo mentoring", graded=True)}
    return Course(EMPTY_CONTEXT_ID, "MENT102", "Mentoring 102", members, links)
