"""The Source area: script and data tabs in one tab bar above the console."""
