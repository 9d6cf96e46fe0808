"""The clause catalogue: every citable rule, by a stable id, with its source, section and a
one-sentence paraphrase (cited by document number and section, never quoted).
"""

from __future__ import annotations

from dataclasses import dataclass

from policies.engine.vocabulary import Source, cite


@dataclass(frozen=True)
class Clause:
    """One citable rule: a stable id, where it comes from and a one-sentence paraphrase."""

    id: str
    source: Source
    section: str
    text: str

    @property
    def citation(self) -> str:
        return cite(self.source, self.section)


def _catalogue(*clauses: Clause) -> dict[str, Clause]:
    return {clause.id: clause for clause in clauses}


CLAUSES: dict[str, Clause] = _catalogue(
    # Rule 1: relationships.
    Clause(
        "relationship.current_or_child",
        "001",
        "§6",
        "Never start an intimate relationship with a pupil, or with a former pupil under 18; "
        "it abuses your position of trust and can be a criminal offence.",
    ),
    Clause(
        "relationship.breach_of_trust",
        "004",
        "§13",
        "Being intimate with a young person you work with is a serious betrayal of trust and will "
        "always lead to disciplinary action.",
    ),
    Clause(
        "relationship.vulnerable_window",
        "003",
        "§2",
        "A personal relationship with a vulnerable former pupil is not permitted in the "
        "restricted period after they leave.",
    ),
    Clause(
        "relationship.former_pupil",
        "000",
        "contact with former pupils",
        "A close relationship with an adult former pupil must be raised with the head, who asks "
        "the LADO whether it calls your fitness to work with young people into question.",
    ),
    # Rule 2: social media.
    Clause(
        "social_media.current_or_child",
        "001",
        "§5.2",
        "Do not connect or chat with pupils of any age, or former pupils under 18, on social "
        "networks or chat services.",
    ),
    Clause(
        "social_media.vulnerable_window",
        "003",
        "§2",
        "Online social contact with a vulnerable pupil, or a vulnerable ex-pupil in the "
        "restricted period after leaving, is not permitted.",
    ),
    Clause(
        "social_media.former_adult",
        "000",
        "correspondence",
        "Online contact with an adult former pupil is not barred, but keep your profiles private "
        "and keep a note of the contact.",
    ),
    # Rule 3: planned personal contact, and the exemptions that relax it.
    Clause(
        "personal_contact.current_or_child",
        "000",
        "introduction",
        "Do not arrange personal contact outside work with pupils or school-age former pupils "
        "unless a recognised exemption applies.",
    ),
    Clause(
        "personal_contact.vulnerable_window",
        "003",
        "§2",
        "Social contact with a vulnerable pupil, or a vulnerable ex-pupil in the restricted period "
        "after leaving, is not permitted unless a parent or carer arranges the meeting.",
    ),
    Clause(
        "personal_contact.vulnerable_parent_organised",
        "003",
        "§2",
        "A specific meeting that a vulnerable pupil's parent or carer has arranged is the one "
        "exception to the bar on social contact, and it still needs approval.",
    ),
    Clause(
        "personal_contact.former_pupil",
        "000",
        "contact with former pupils",
        "Further personal contact with a former pupil needs the head's agreement and a written "
        "plan of involvement with expected outcomes and timescales.",
    ),
    Clause(
        "exemption.activity",
        "000",
        "introduction",
        "Contact through a shared interest such as sport, volunteering, scouts or an organised "
        "social event is an accepted exception to the no-personal-contact rule.",
    ),
    Clause(
        "exemption.family_invitation",
        "001",
        "§4.2",
        "A pupil's party or social occasion is only open to you when it is a family event and "
        "the family asked you personally.",
    ),
    Clause(
        "personal_contact.current_parent_organised",
        "003",
        "§2",
        "A parent organising it does not open personal contact with a current pupil, as that "
        "exception is for pupils who have left; a family event you are invited to is asked about "
        "as a family invitation.",
    ),
    Clause(
        "personal_contact.former_child_parent_organised",
        "003",
        "§2",
        "A former pupil who is still a child may be met socially when their parent or carer "
        "organises a specific meeting, with the head's agreement first.",
    ),
    Clause(
        "exemption.own_family",
        "000",
        "intended contact",
        "Contact that comes from your own family life, for example with your own children or "
        "relatives who are pupils, is normal and only needs a record.",
    ),
    Clause(
        "declaration.standing",
        "001",
        "§3",
        "This contact is covered by a relationship you declared and the head acknowledged (an "
        "individual exemption, with any conditions the head set): keep a record, no fresh "
        "approval is needed.",
    ),
    Clause(
        "exemption.own_family_individual",
        "001",
        "§3",
        "For a pupil in your own family the head can agree an individual exemption, so ask "
        "first rather than assume this is allowed.",
    ),
    # Rule 4: planned work contact outside the usual setting.
    Clause(
        "work_contact.approval",
        "000",
        "intended contact",
        "Work contact with a pupil away from the usual work setting needs the head's agreement "
        "beforehand and a note of the reasons on your own and the pupil's records.",
    ),
    Clause(
        "work_contact.former_pupil",
        "000",
        "contact with former pupils",
        "If the head agrees to more contact with a former pupil, you and the head must settle a "
        "written plan stating its aims and timeline.",
    ),
    Clause(
        "work_contact.vulnerable_social",
        "003",
        "§2",
        "A social event with a vulnerable pupil or recent vulnerable ex-pupil is social contact "
        "even when it is for work, so only a parent or carer can arrange it.",
    ),
    # Rule 5: parents and families.
    Clause(
        "family.planned",
        "002",
        "external contact",
        "Tell the head before meeting or contacting a pupil's family outside school; if it goes "
        "ahead it is logged on the restricted liaison form.",
    ),
    Clause(
        "family.unplanned",
        "002",
        "external contact",
        "Any contact with a pupil's family outside school must be disclosed to the head and "
        "logged on the restricted liaison form.",
    ),
    Clause(
        "family.relationship",
        "001",
        "§7",
        "Be alert to conflicts of interest in personal relationships with pupils' parents or "
        "families and raise them with the head.",
    ),
    Clause(
        "family.relationship_vulnerable",
        "003",
        "§2",
        "A personal, non-professional relationship with the family of a vulnerable pupil is not "
        "permitted.",
    ),
    Clause(
        "family.social_media",
        "000",
        "correspondence",
        "Keep your social media profiles private and do not let pupils' families connect with you.",
    ),
    Clause(
        "family.personal_email",
        "004",
        "covering letter",
        "Do not send private messages to a pupil's parents by email or any other online route.",
    ),
    # Rule 6: lifts.
    Clause(
        "transport.planned_work",
        "001",
        "§6",
        "Lifts for pupils should be the exception, so a planned lift for work needs approval and a "
        "note on the pupil's file.",
    ),
    Clause(
        "transport.emergency",
        "001",
        "§6",
        "If you had to drive a pupil somewhere for their safety, tell the head and have it noted "
        "on the pupil's file promptly.",
    ),
    # Rule 7: personal details.
    Clause(
        "personal_details.planned",
        "000",
        "correspondence",
        "Only give a pupil your personal phone number, address or email if the head agrees there "
        "is a need.",
    ),
    Clause(
        "personal_details.emergency_only",
        "001",
        "§5.1",
        "Your personal phone number is not shared with pupils except in an emergency, which is "
        "never planned, so record it and tell the head at once if it had to be given.",
    ),
    Clause(
        "personal_details.already_given",
        "000",
        "correspondence",
        "If a pupil has your personal details, tell the head straight away, and report any "
        "further contact that follows.",
    ),
    # Rule 8: calls, texts, emails and letters.
    Clause(
        "messaging.school_email",
        "000",
        "correspondence",
        "When you email a pupil about work from your school account, copy in the head so there "
        "is a complete trail.",
    ),
    Clause(
        "messaging.school_call_text",
        "004",
        "§11",
        "A work call or text to a pupil on a school phone, in a form of communication their "
        "parents agreed to, is noted on the pupil's file.",
    ),
    Clause(
        "messaging.no_text_conversation",
        "001",
        "§5.2",
        "A text may pass on information but never becomes a conversation with the pupil, and "
        "one that does is recorded on the pupil's file.",
    ),
    Clause(
        "messaging.parent_permission",
        "004",
        "§11",
        "Calls and texts to a pupil on school equipment need their parents' permission for that "
        "form of communication: record it on the pupil's page, or ask the head.",
    ),
    Clause(
        "messaging.personal_channel",
        "001",
        "§5.2",
        "Do not text or email pupils from personal phones or accounts; such contact must go "
        "through school systems.",
    ),
    Clause(
        "messaging.personal_purpose",
        "004",
        "§11",
        "Contact children only for professional reasons; private messages to a child, by any "
        "route, are not acceptable.",
    ),
    Clause(
        "messaging.already_happened",
        "001",
        "§5.2",
        "If a text or personal message exchange with a pupil has taken place, record it on the "
        "pupil's file and tell the head.",
    ),
    Clause(
        "messaging.former_adult",
        "000",
        "contact with former pupils",
        "Discuss significant personal contact with an adult former pupil with the head and take "
        "their advice before it continues.",
    ),
    Clause(
        "letter.record",
        "000",
        "correspondence",
        "Show letters or cards exchanged with a pupil to your line manager and file them, with "
        "any reply, in the school's records.",
    ),
    # Rule 9: photography.
    Clause(
        "photography.planned",
        "003",
        "§5",
        "Photographing or filming pupils needs express permission in advance from the head or "
        "senior leaders.",
    ),
    Clause(
        "photography.personal_purpose",
        "003",
        "§5",
        "Photos or video of pupils are only permitted for a genuine work purpose, never for your "
        "own use.",
    ),
    Clause(
        "photography.personal_device",
        "004",
        "§11",
        "Use school-provided equipment, not your own phone or camera, when recording or "
        "contacting pupils.",
    ),
    Clause(
        "photography.unapproved",
        "003",
        "§5",
        "If pupils were photographed or filmed without permission given in advance, report it to "
        "the head straight away.",
    ),
    # Rule 10: gifts.
    Clause(
        "gift.record",
        "004",
        "§12",
        "Personal items such as presents or birthday cards exchanged with a pupil or family "
        "should be recorded and discussed with your line manager.",
    ),
    Clause(
        "gift.planned_protected",
        "003",
        "§2",
        "A personal gift singles one pupil out and can look like favouritism, so check with the "
        "head before giving one.",
    ),
    # Rule 11: who approves.
    Clause(
        "approval.headteacher",
        "000",
        "introduction",
        "The headteacher decides whether the contact can go ahead and advises when you are unsure.",
    ),
    Clause(
        "approval.chair_of_governors",
        "000",
        "introduction",
        "When the headteacher is the one asking, the chair of governors takes the head's place "
        "in giving advice and approval.",
    ),
    # Rule 12: unplanned contact.
    Clause(
        "unplanned.record",
        "000",
        "unplanned contact",
        "Chance encounters with pupils will happen; keep them brief, like a greeting in the "
        "street, and note them on your file.",
    ),
    # Consequences applied after the merge, and the safety net.
    Clause(
        "general.breach",
        "003",
        "§6",
        "A boundary has been crossed: tell the head now and make sure a written record is kept, "
        "which also protects you.",
    ),
    Clause(
        "general.keep_record",
        "003",
        "§6",
        "Keep a written record of the contact so it stays open and can be monitored.",
    ),
    Clause(
        "general.unmatched",
        "004",
        "§12",
        "This situation is not specifically covered, so agree planned contact with a senior "
        "colleague and report anything that has already happened.",
    ),
)
