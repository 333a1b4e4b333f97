"""The spiders of the fanzha crawler (one, profile-driven: ``site``)."""
