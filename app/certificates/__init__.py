"""Certificates and the register: versions, the signed PDF and its images, printing, public
verification, lapse on expiry, the register export."""
