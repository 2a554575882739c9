"""Data layer: readers, validation, linking, splits, synthetic generator, catalog."""

from crossrec.data.catalog import list_pairs, load_from_files, load_pair
from crossrec.data.domain import RawDomain, read_domain
from crossrec.errors import DataError, SettingError
from crossrec.data.pair import DomainPair, Interactions, build_pair
from crossrec.data.readers import read_interactions, read_links
from crossrec.data.synthetic import SyntheticSettings, generate

__all__ = ["DataError", "DomainPair", "Interactions", "RawDomain", "SettingError",
           "SyntheticSettings", "build_pair", "generate", "list_pairs", "load_from_files",
           "load_pair", "read_domain", "read_interactions", "read_links"]
