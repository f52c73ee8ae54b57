"""Tools that check the running bot as a user sees it: the conversation tests
(`conversations.py`, run by pytest and by `frontdesk test conversations`)."""
