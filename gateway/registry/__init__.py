"""The SWV's registry: schools, vestigingen and routeringskenmerken (`service`, `importer`), the stored OSO-SWV
mandates (`mandates`), the koppelcheck over the store (`koppelcheck`), ESIS verificatiecodes (`codes`) and
the commands (`cli`). Submodules are imported where used, so importing one does not load the others."""
