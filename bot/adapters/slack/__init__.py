"""The Slack adapter: Bolt's AsyncApp in Socket Mode, Block Kit, SlackPublisher.

Thin by design: it translates `/news` commands, app mentions and button clicks
into `Commands.run` calls and `Reply` objects into Block Kit. `render` is the only
module that knows Slack's size limits. Start it with `bot.adapters.slack.app.run_slack`.
"""
