"""The Discord adapter: `/news` app commands, embeds, paging views, DiscordPublisher.

Thin by design: it translates Discord interactions into `Commands.run` calls and
`Reply` objects into embeds. `render` is the only module that knows Discord's
size limits. Start it with `bot.adapters.discord.app.run_discord`.
"""
