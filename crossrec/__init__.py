"""CrossRec: cross-domain recommendation transfer, as a library.

Import what you need from the subpackages (`crossrec.data`, `crossrec.methods`, ...); this
package does no work at import time.
"""

__version__ = "0.1.0"
