"""Build step: the JSON Schemas compiled to Python once, when the package is built.

Everything else about the package is in pyproject.toml. fastjsonschema turns a
schema into Python code; doing it in every `cliper-sched` process cost ~25 ms
(generate + compile) per schema read, a tenth of a short command. Here the code
is generated into the build (`planner/_compiled_schemas/`, never committed) and
pip byte-compiles it with the rest. planner/schema.py uses a module only when
its recorded sha256 matches the schema it ships, else compiles as before. The
generated code raises the package's own `Invalid`, so running it never imports
fastjsonschema (whose package loads its whole compiler).
"""

import hashlib
import json
import re
from pathlib import Path

from setuptools import setup
from setuptools.command.build_py import build_py

SCHEMAS = Path(__file__).parent / "planner" / "schemas"
COMPILED = "_compiled_schemas"
INIT = '''"""Generated at build time by setup.py; see planner/schema.py."""


class Invalid(ValueError):
    """The document breaks the schema. Only yes or no matters: jsonschema explains."""

    def __init__(self, message, *args, **details):
        super().__init__(message)
'''
FASTJSONSCHEMA_IMPORT = "from fastjsonschema import JsonSchemaValueException, JsonSchemaValuesException\n"
OWN_IMPORT = ("from planner._compiled_schemas import Invalid as JsonSchemaValueException, "
              "Invalid as JsonSchemaValuesException\n")


class BuildPyWithSchemas(build_py):
    def run(self):
        super().run()
        import fastjsonschema  # build-system requires (pyproject.toml)

        target = Path(self.build_lib) / "planner" / COMPILED
        target.mkdir(parents=True, exist_ok=True)
        (target / "__init__.py").write_text(INIT, encoding="utf-8")
        for schema in sorted(SCHEMAS.glob("*.schema.json")):
            raw = schema.read_bytes()
            # The code raises our own Invalid: importing fastjsonschema for its exception
            # classes loads its whole compiler (~70 M instructions, 8 % of `apply`'s start).
            code = fastjsonschema.compile_to_code(json.loads(raw)).replace(FASTJSONSCHEMA_IMPORT, OWN_IMPORT)
            name = schema.name.removesuffix(".schema.json")
            # The first function generated checks the whole document (what compile() returns).
            root = re.search(r"^def (\w+)\(", code, re.MULTILINE).group(1)
            (target / f"{name}.py").write_text(
                f"# Generated from planner/schemas/{schema.name} by setup.py: do not edit.\n"
                f"SCHEMA_SHA256 = {hashlib.sha256(raw).hexdigest()!r}\n{code}\nvalidate = {root}\n",
                encoding="utf-8")


setup(cmdclass={"build_py": BuildPyWithSchemas})
