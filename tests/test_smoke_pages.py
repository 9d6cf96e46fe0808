import pytest
from django.urls import reverse

from tests.factories import TEST_PASSWORD


@pytest.mark.django_db
def test_head_signs_in_and_reaches_pupils(client, head, pupil):
    response = client.post(
        reverse("login"), {"username": "HEAD@test.example", "password": TEST_PASSWORD}, follow=True
    )
    assert response.status_code == 200
    assert "Ava Current" in response.content.decode()
