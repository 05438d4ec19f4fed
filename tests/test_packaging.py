"""One distribution, one namespace: every source package is listed and mapped under ``weavergen``."""

from __future__ import annotations

import subprocess
import sys
import tomllib
import zipfile

from pathlib import Path

REPO = Path(__file__).resolve().parents[1]

LAYERS = ["collector", "analyzers", "healers", "generators", "rules"]


def test_every_source_package_is_installed_under_weavergen():
    project = tomllib.loads((REPO / "pyproject.toml").read_text())["tool"]["setuptools"]
    listed = set(project["packages"])
    for layer in LAYERS:
        assert project["package-dir"][f"weavergen.{layer}"] == layer
        for init in (REPO / layer).rglob("__init__.py"):
            if "fixtures" in init.parts or "templates" in init.parts:
                continue
            package = ".".join(["weavergen", *init.parent.relative_to(REPO).parts])
            assert package in listed, f"{package} is missing from [tool.setuptools] packages"


def test_wheel_installs_nothing_outside_the_weavergen_namespace(tmp_path):
    subprocess.run([sys.executable, "-m", "pip", "wheel", "--no-deps", "-q",
                    "-w", str(tmp_path), str(REPO)], check=True, timeout=300)
    (wheel,) = tmp_path.glob("weavergen-*.whl")
    names = zipfile.ZipFile(wheel).namelist()
    tops = {name.split("/")[0] for name in names}
    assert tops == {"weavergen", wheel.name.split("-")[0] + "-" + wheel.name.split("-")[1] + ".dist-info"}
    for layer in LAYERS:
        assert f"weavergen/{layer}/__init__.py" in names
    assert "weavergen/collector/store/writer.py" in names
    # Data read at run time travels with the code.
    assert "weavergen/rules/default/weavergen.yaml" in names
    assert "weavergen/rules/prometheus/weavergen.rules.yml" in names
    assert any(n.startswith("weavergen/generators/templates/registry/python/") for n in names)
    assert "weavergen/generators/templates/registry/markdown/weaver.yaml" in names
