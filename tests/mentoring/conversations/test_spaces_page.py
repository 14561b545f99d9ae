"""The list of match spaces names each space by its people: a member sees their partner, a
coordinator every member; never only a number."""

from __future__ import annotations

from tests.mentoring.conversations.factories import World


def _names(client, world: World, user) -> str:
    page = client.post("/spaces", data={"ritmo_session": world.token(user)})
    assert page.status_code == 200
    return page.get_data(as_text=True)


def test_a_member_sees_their_partner_and_a_coordinator_sees_everyone(client, world: World) -> None:
    mentee_page = _names(client, world, world.mentee)
    item = mentee_page.split(f'data-space="{world.match.id}"')[1].split("</li>")[0]
    assert f"<bdi>{world.mentor.display_name}</bdi>" in item
    assert world.mentee.display_name not in item and "Match #" not in item
    assert f'data-space="{world.other_match.id}"' not in mentee_page  # not their match

    coordinator_page = _names(client, world, world.coordinator)
    both = coordinator_page.split(f'data-space="{world.match.id}"')[1].split("</li>")[0]
    assert f"<bdi>{world.mentor.display_name}</bdi>, <bdi>{world.mentee.display_name}</bdi>" in both
    assert f'data-space="{world.other_match.id}"' in coordinator_page
