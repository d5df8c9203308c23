"""The default settings: default.toml, shipped in the wheel as the package bot.defaults."""
