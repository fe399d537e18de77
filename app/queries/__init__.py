"""Read side: what a page or an API answer needs, in as few queries as it takes."""
