"""The Microsoft Teams adapter, on Microsoft's Teams SDK for Python (``microsoft-teams-apps``).

The SDK announces its preview APIs with a ``FutureWarning`` subclass when it is imported, and its
API client builds a deprecated sub-client on every request; neither is ours to act on, so both
are silenced here, before any module of this package imports the SDK.
"""

import warnings

warnings.filterwarnings("ignore", category=FutureWarning, module=r"microsoft_teams(\.|$)")
warnings.filterwarnings("ignore", category=DeprecationWarning, module=r"microsoft_teams(\.|$)")
