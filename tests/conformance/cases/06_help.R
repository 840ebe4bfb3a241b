# Item 6: help() for a topic in an unattached package; a topic nowhere.
help("bs")
help("no_such_topic_anywhere")
cat("still running\n")
