"""`whimsy local`: the generated platform applied to a local AWS emulator (ministack).

One concern per module: where the emulator lives and how it runs (emulator.py), the working
copy of out/ and the local-only override file (workdir.py, override.py), Lambda packages the
emulator's interpreter can import (lambdas.py), Terraform (terraform.py), the demo user
(seed.py, run with the emulator's own interpreter; srp.py is its Cognito sign-in), what is
running (state.py) and where to reach it (urls.py). Only the standard library is imported at
module level anywhere here: the CLI builds its parser from commands.py on every command.
"""
