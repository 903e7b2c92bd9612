"""The registry (入库登记): the practitioner's entry with photo and signature, image and scan
checks, file storage, the qualification roster and its import."""
