"""Each person's language and time zone (SPEC §14): the preference, the page that sets it, the middleware
that activates it on every page, and ``in_locale_of`` that mail code anywhere uses to write in the
recipient's language and zone. Low in the layers (just above core) so every app may read it."""
