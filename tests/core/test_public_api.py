"""The core's public surface: no Textual, no import side effects, __all__ in step with exports."""

import subprocess
import sys

import slackmq_core


def test_core_never_imports_textual():
    code = (
        "import sys, slackmq_core, slackmq_core.emulator; "
        "assert 'textual' not in sys.modules, sorted(m for m in sys.modules if m.startswith('textual'))"
    )
    subprocess.run([sys.executable, "-c", code], check=True)


def test_all_matches_exports():
    public = {name for name in dir(slackmq_core) if not name.startswith("_")} | {"__version__"}
    assert set(slackmq_core.__all__) == public - {m for m in public if isinstance(getattr(slackmq_core, m), type(sys))}
    assert slackmq_core.__all__ == sorted(slackmq_core.__all__)
