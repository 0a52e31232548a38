"""The interface definitions the gateway serves and validates against, shipped as package data: the OSO'21
WSDLs and types (``oso/``), the SWV dossier XSD (``dossier/``) and the ESIS OpenAPI (``esis/``). Read them
with `gateway.resources.resource_path("schemas", …)`, never by a path beside the source."""
