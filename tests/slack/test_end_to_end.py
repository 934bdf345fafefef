"""End to end: the real slack-bolt AsyncApp and AsyncSocketModeHandler running our bot
against a local fake of Slack's Web API and Socket Mode (tests/support/fake_slack.py):
envelopes in, acks and response_url posts out."""

from __future__ import annotations

import re
from typing import Any

import pytest

from bot.adapters.slack.app import run_slack
from bot.adapters.slack.publisher import SlackPublisher
from bot.commands import COMMANDS, Commands, CommandSpec
from bot.config import AdminConfig, Settings, SettingsError
from bot.store import Store
from tests.support.fake_slack import FakeSlack, mentions

from .conftest import add_article

ACK_SECONDS = 3.0  # Slack drops a command that is not acknowledged within 3 s


def header(message: dict[str, Any]) -> str:
    return str(message["blocks"][0]["text"]["text"])


def button_labels(message: dict[str, Any]) -> list[str]:
    return [
        element["text"]["text"]
        for block in message["blocks"]
        if block["type"] == "actions"
        for element in block["elements"]
    ]


def all_text(message: dict[str, Any]) -> str:
    return str(message["text"])


async def ask(fake: FakeSlack, line: str, **where: str) -> dict[str, Any]:
    envelope = await fake.slash(line, **where)
    ack = await fake.wait_for_ack(envelope, within=ACK_SECONDS)
    assert ack == {"envelope_id": envelope.id}  # an empty ack: the answer comes later
    return await fake.wait_for_response(envelope)


@pytest.mark.parametrize(
    ("line", "title"),
    [
        ("latest", "Latest news"),
        ("latest 1", "Latest news"),
        ("search air defense", "Search: “air defense”"),
        ("article 1", "Rutte: Putin Shows No Interest in Peace Amid Rising Casualties in Ukraine"),
        (
            "summary 1 2",
            "Rutte: Putin Shows No Interest in Peace Amid Rising Casualties in Ukraine",
        ),
        ("topics all", "Topics in all news"),
        ("topic rutte", "Topic: Mark Rutte"),
        ("digest all", "Digest of all news"),
        ("subscriptions", "No subscriptions in this channel"),
        ("help", "newsbot commands"),
        ("", "newsbot commands"),
    ],
)
async def test_every_command_is_acked_then_answered_in_the_channel(
    fake: FakeSlack, publisher: SlackPublisher, line: str, title: str
) -> None:
    response = await ask(fake, line)
    assert response["response_type"] == "in_channel"
    assert header(response) == title
    assert response["text"].startswith(title)  # the fallback text, for notifications
    assert fake.rejected == []


async def test_search_marks_matched_words_in_slack_bold(
    fake: FakeSlack, publisher: SlackPublisher
) -> None:
    response = await ask(fake, "search air defense")
    item = response["blocks"][2]["text"]["text"]
    assert "*air* *defense*" in item and "**" not in item


async def test_help_lists_every_command(fake: FakeSlack, publisher: SlackPublisher) -> None:
    response = await ask(fake, "help")
    fields = [f["text"] for b in response["blocks"] if "fields" in b for f in b["fields"]]
    for spec in COMMANDS:
        assert any(spec.usage.replace("<", "&lt;").replace(">", "&gt;") in f for f in fields)


@pytest.mark.parametrize(
    ("line", "problem"),
    [
        ("article 999", "No article #999"),
        ("frobnicate", "Unknown command 'frobnicate'"),
        ("latest 500", "count must be between 1 and 25, got 500"),
        ("status", "/news status is for admins"),
        ("subscribe topics=NATO", "/news subscribe is for admins"),
        ("subscriptions all", "Only admins can list every channel's subscriptions"),
    ],
)
async def test_errors_and_refusals_are_shown_only_to_the_asker(
    fake: FakeSlack, publisher: SlackPublisher, line: str, problem: str
) -> None:
    response = await ask(fake, line, user="UBOB00001")
    assert response["response_type"] == "ephemeral"
    assert problem.replace("<", "&lt;") in header(response) + response["text"]
    assert fake.messages_in("CNEWS0001") == []


@pytest.mark.parametrize(
    "admin",
    ["UADA00001", "UOWEN0001", "UCONF0001", "UGRACE001"],
    ids=["workspace admin", "owner", "named in the config", "in the config's user group"],
)
async def test_admins_may_subscribe_and_see_status(
    fake: FakeSlack, publisher: SlackPublisher, admin: str
) -> None:
    subscribed = await ask(
        fake, 'subscribe topics=NATO mode=digest schedule="0 8 * * *"', user=admin
    )
    assert subscribed["response_type"] == "in_channel"
    assert header(subscribed).startswith("Subscribed #")
    assert "digest at '0 8 * * *'" in all_text(subscribed) and "nato" in all_text(subscribed)
    status = await ask(fake, "status", user=admin)
    assert header(status) == "newsbot status"
    listed = await ask(fake, "subscriptions", user="UBOB00001")
    assert "slack:CNEWS0001" in all_text(listed)
    removed = await ask(fake, "unsubscribe", user=admin)
    assert header(removed) == "Removed 1 subscription"


async def test_subscribing_joins_a_public_channel_and_says_when_it_cannot(
    fake: FakeSlack, publisher: SlackPublisher
) -> None:
    joined = await ask(fake, "subscribe", user="UADA00001", channel="CGENERAL1")
    assert header(joined).startswith("Subscribed #")
    assert [c.args["channel"] for c in fake.calls("conversations.join")] == ["CGENERAL1"]
    assert fake.channels["CGENERAL1"].info()["is_member"]
    private = await ask(fake, "subscribe", user="UADA00001", channel="CSECRET01")
    assert header(private).startswith("Subscribed #")
    assert "invite it with /invite @newsbot" in all_text(private)
    assert len(fake.calls("conversations.join")) == 1


async def test_prev_and_next_turn_pages_for_the_asker_only(
    fake: FakeSlack, publisher: SlackPublisher, seeded: Store
) -> None:
    body = "\n".join(
        f"Paragraph {n} about the alliance and its many plans. " * 12 for n in range(9)
    )
    article = await add_article(seeded, "A very long report", body)
    first = await ask(fake, f"article {article}")
    assert "page 1 of" in all_text(first)
    assert button_labels(first) == ["Next ▶"]

    stranger = await fake.click(first, "Next", user="UADA00001")
    await fake.wait_for_ack(stranger, within=ACK_SECONDS)
    refusal = await fake.wait_for_response(stranger)
    assert refusal["response_type"] == "ephemeral" and refusal["replace_original"] is False
    assert header(refusal).endswith("These buttons belong to someone else")

    click = await fake.click(first, "Next", user="UBOB00001")
    await fake.wait_for_ack(click, within=ACK_SECONDS)
    second = await fake.wait_for_response(click)
    assert second["replace_original"] is True
    assert "page 2 of" in all_text(second)
    assert button_labels(second)[0] == "◀ Prev"
    back = await fake.click(second, "Prev", user="UBOB00001")
    assert "page 1 of" in all_text(await fake.wait_for_response(back))


async def test_summary_without_an_article_offers_the_latest_as_buttons(
    fake: FakeSlack, publisher: SlackPublisher
) -> None:
    picker = await ask(fake, "summary")
    assert picker["response_type"] == "ephemeral"
    [label] = button_labels(picker)
    assert label.startswith("#1 Rutte: Putin") and len(label) <= 75
    click = await fake.click(picker, "#1 Rutte")
    await fake.wait_for_ack(click, within=ACK_SECONDS)
    summary = await fake.wait_for_response(click)
    assert summary["response_type"] == "in_channel"
    assert header(summary).startswith("Rutte: Putin Shows No Interest")
    assert "/news article 1" in all_text(summary)


async def test_an_app_mention_is_answered_in_the_channel(
    fake: FakeSlack, publisher: SlackPublisher
) -> None:
    await fake.mention("latest")
    [posted] = await fake.wait_for(lambda: fake.messages_in("CNEWS0001"))
    assert header(posted) == "Latest news"
    await fake.mention("article 999")
    [private] = await fake.wait_for(lambda: fake.messages_in("ephemeral"))
    assert private["user"] == "UBOB00001" and "No article #999" in private["text"]
    assert len(fake.messages_in("CNEWS0001")) == 1
    await fake.mention("help", thread_ts=posted["ts"])
    await fake.wait_for(lambda: len(fake.messages_in("CNEWS0001")) == 2)
    in_thread = fake.messages_in("CNEWS0001")[1]
    assert in_thread["thread_ts"] == posted["ts"] and header(in_thread) == "newsbot commands"


async def test_hostile_article_text_mentions_nobody(
    fake: FakeSlack, publisher: SlackPublisher, seeded: Store
) -> None:
    article = await add_article(
        seeded,
        "<!channel> Breaking & <@UBOB00001> <!subteam^SEDITORS1>",
        "Alert <!here> and <!everyone>; see <https://evil.example|a link> & more.",
    )
    for line in ("latest", f"article {article}", f"summary {article}", "search alert"):
        response = await ask(fake, line)
        assert mentions(response) == []
        assert "&lt;!channel&gt;" in all_text(response) or "&lt;!here&gt;" in all_text(response)


async def test_a_failed_admin_lookup_refuses_once_and_is_asked_again(
    fake: FakeSlack, publisher: SlackPublisher
) -> None:
    fake.fail_next("users.info", "internal_error", status=500)
    refused = await ask(fake, "status", user="UADA00001")
    assert refused["response_type"] == "ephemeral"
    allowed = await ask(fake, "status", user="UADA00001")
    assert header(allowed) == "newsbot status"
    await ask(fake, "status", user="UADA00001")
    assert len(fake.calls("users.info")) == 2  # a real answer is kept for a while


async def test_what_a_member_types_arrives_unescaped(
    fake: FakeSlack, publisher: SlackPublisher
) -> None:
    response = await ask(fake, "search air & <defense>")
    assert header(response) == "Search: “air & <defense>”"  # plain text: shown as typed
    await fake.mention("search air & defense")
    [posted] = await fake.wait_for(lambda: fake.messages_in("CNEWS0001"))
    assert header(posted) == "Search: “air & defense”"


@pytest.mark.parametrize("spec", COMMANDS, ids=[spec.name for spec in COMMANDS])
async def test_every_command_answers_an_admin_within_block_kit_limits(
    fake: FakeSlack, publisher: SlackPublisher, spec: CommandSpec
) -> None:
    response = await ask(fake, spec.name, user="UADA00001")
    assert header(response)
    assert fake.rejected == []
    if response["response_type"] == "ephemeral":  # only an error, or the article picker
        assert header(response).startswith(("⚠️", f"Which article? /news {spec.name}"))


async def test_a_rejected_token_stops_the_start_naming_it(
    fake: FakeSlack, commands: Commands, slack_config: AdminConfig
) -> None:
    for bot_token, app_token, named in (
        ("xoxb-wrong", fake.app_token, "Slack rejected SLACK_BOT_TOKEN (invalid_auth)"),
        (fake.bot_token, "xapp-wrong", "Slack rejected SLACK_APP_TOKEN (invalid_auth)"),
    ):
        settings = Settings(
            slack_bot_token=bot_token, slack_app_token=app_token, slack_api_url=fake.api_url
        )
        with pytest.raises(SettingsError, match=re.escape(named)):
            await run_slack(commands, settings, slack_config)
    assert fake.calls("chat.postMessage") == []
