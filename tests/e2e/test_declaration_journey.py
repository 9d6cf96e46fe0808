"""Standing declarations (issue 18, points 1, 2 and 9): a teacher declares her own child and the
child's friend, the head acknowledges both with a condition, and a later lift for the two of them
is "record", not a fresh approval."""

from contacts.people.models import StaffRelative
from tests.e2e.scenes import current_pupil, fill_contact_questions, next_week

LIFT = {"kind": "A lift in your vehicle", "purpose": "Personal: not part of your job"}
FRIEND_CONTACT = "Ella comes home with us after football on Saturdays; I drive them both."
CONDITION = "Only on the way home from football, with Ella's mother told each time."


def _declare(person, pupil, relationship, contact=""):
    person.follow("My file")
    person.follow("Declare a relationship")
    person.find_pupil(pupil.full_name)
    person.field("Relationship").select_option(label=relationship)
    if contact:
        person.field("What contact it involves").fill(contact)
    person.page.get_by_role("checkbox", name="Lifts in your vehicle").check()
    person.click("Save")
    person.sees("The relationship was declared.", pupil.full_name, "Awaiting acknowledgement")


def test_a_teacher_declares_her_child_and_friend_and_a_later_lift_is_recorded(
    people, teacher, head
):
    school = teacher.school
    daughter = current_pupil(school, "Rosie", "Baker")
    friend = current_pupil(school, "Ella", "Morgan")

    tom = people(teacher)
    _declare(tom, daughter, "Own child")
    _declare(tom, friend, "Friend of own child", FRIEND_CONTACT)

    # Before the head acknowledges, a lift for the friend is not allowed.
    tom.follow("Can I do this?")
    tom.find_pupil(friend.full_name)
    fill_contact_questions(tom, **LIFT, on=next_week())
    tom.click("Check")
    tom.sees("What the policies say: Not allowed")

    helen = people(head)
    helen.sees("2 declared relationships with pupils await your acknowledgement")
    helen.follow("Declared relationships")
    helen.sees("Waiting for your acknowledgement (2)", FRIEND_CONTACT)
    helen.screenshot("declared-relationships")
    friend_row = helen.page.locator("li", has_text=FRIEND_CONTACT)
    friend_row.get_by_label("Conditions (optional)").fill(CONDITION)
    helen.click(friend_row.get_by_role("button", name="Acknowledge"))
    helen.sees("was acknowledged")
    helen.click(helen.page.get_by_role("button", name="Acknowledge").first)
    helen.sees("Waiting for your acknowledgement (0)")

    # Later, a lift for both of them is recorded, not asked about.
    tom.follow("Can I do this?")
    tom.find_pupil(daughter.full_name)
    tom.find_pupil(friend.full_name)
    fill_contact_questions(tom, **LIFT, on=next_week())
    tom.click("Check")
    tom.sees("What the policies say: Allowed, but it must be recorded", "001 §3")
    tom.sees(f"Conditions: {CONDITION}")
    tom.follow("My file")
    tom.sees(f"Conditions: {CONDITION}", "Covers: Lifts in your vehicle")
    assert StaffRelative.objects.filter(staff=teacher, acknowledged_at__isnull=False).count() == 2
