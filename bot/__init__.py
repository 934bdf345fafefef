"""newsbot: a news bot for Discord, Slack and the console."""
