from django.urls import reverse


def test_an_english_browser_still_gets_chinese(client, db):
    response = client.get(reverse("login"), headers={"accept-language": "en-US,en;q=0.9"})
    assert "用户名" in response.content.decode()


def test_the_language_switch_turns_the_portal_english(client, db):
    client.post(reverse("set_language"), {"language": "en", "next": "/"})
    response = client.get(reverse("login"))
    assert 'lang="en"' in response.content.decode()
    assert "Username" in response.content.decode()
