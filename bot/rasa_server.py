"""`python -m bot.rasa_server run …`: Rasa's own command line, with two start-up costs removed.

The Procfile starts the Rasa server this way; every argument goes to `rasa` unchanged.

1. skops (Rasa loads the NLU's logistic regression with it) builds a table of numpy and scipy
   ufuncs when it is imported, scanning every module in `sys.modules` for each ufunc. Imported
   where Rasa imports it, at model load, after TensorFlow & co. (~6000 modules), that took 12 s
   of CPU on the 2-core development machine; imported first (~1500 modules), 2 s. Issue 9
   wants `make run` ready in 45 s, and the Rasa server is the last service to get there.
2. `bot.patches.apply()`: every change this project makes to Rasa's code, applied here and
   nowhere else (it refuses a Rasa version other than the one the patches were tested on).
"""

from __future__ import annotations

import sys


def main() -> None:
    # Imported here, not at the top, so that importing this module (doctest collection) stays
    # cheap; what matters is that skops comes before Rasa in this process.
    import skops.io  # noqa: F401
    from rasa.__main__ import main as rasa_main

    from bot import patches

    patches.apply()
    sys.argv[0] = "rasa"  # Rasa's help and error messages name the command as operators know it
    rasa_main()


if __name__ == "__main__":
    main()
