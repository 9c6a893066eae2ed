"""HTTP edges shared by every domain: middleware, health, metrics, page shell."""
