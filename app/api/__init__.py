"""The REST API's own parts (issue 17): its OpenAPI document and what every route answers.
The routes themselves call the same code as the web screens."""
