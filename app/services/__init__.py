"""Write side: verb_noun functions with an explicit actor. They flush, never commit: the
request or command that calls them commits once."""
