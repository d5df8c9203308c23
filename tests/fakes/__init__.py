"""Loopback stand-ins for arXiv, the LLM and the Telegram Bot API."""

# Seconds a test waits for the bot before calling it broken. A passing test never waits it out
# (every wait returns once its condition holds), so it is generous: on a loaded machine (2
# cores, six workers and busy neighbours) a digest of the 1,504-paper feed took over 15 s.
PATIENCE = 60.0
