"""Evidence files (证据材料, Art. 24; proof of rectification, Art. 14): what a file is, judged
by its content, and where its bytes are kept, outside the database."""

from .kinds import KINDS, FileKind, sniff
from .store import FileStore, FolderStore, S3Store, store_for

__all__ = ["KINDS", "FileKind", "FileStore", "FolderStore", "S3Store", "sniff", "store_for"]
