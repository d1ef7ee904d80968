"""HTTP transport shared by every domain's router: problems, middleware, dependencies."""
