"""Packages come from the service registry, so adding a service edits neither this file nor
pyproject.toml (the project's metadata and dependencies live there)."""

import sys
from pathlib import Path

from setuptools import find_packages, setup

sys.path.insert(0, str(Path(__file__).resolve().parent / "services" / "kernel"))
from kernel import registry  # stdlib only: importable before installation

package_dir: dict[str, str] = {}
for folder, top in registry.import_roots():
    for package in find_packages(folder, include=[top, f"{top}.*"]):
        package_dir[package] = f"{folder}/{package.replace('.', '/')}"

setup(packages=sorted(package_dir), package_dir=package_dir)
