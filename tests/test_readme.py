"""The README's Python example runs as written and trains."""
import pathlib
import re

README = pathlib.Path(__file__).resolve().parents[1] / "README.md"


def test_readme_python_example_trains():
    blocks = re.findall(r"```python\n(.*?)```", README.read_text(), re.S)
    assert blocks, "README has no python example"
    namespace = {}
    exec(compile(blocks[0], "README.md", "exec"), namespace)  # noqa: S102 - our own docs
    # 20 epochs of an MLP on the digits: the last mini-batch loss is far below ln(10)
    assert namespace["loss"].item() < 0.5


def test_quick_start_has_exactly_two_commands():
    text = README.read_text()
    block = re.search(r"^## Quick start.*?^```[a-z]*\n(.*?)^```", text, re.S | re.M).group(1)
    lines = [line for line in block.splitlines() if line.strip()]
    assert len(lines) == 2
    assert "xpnet train" in lines[0] and "pytest" in lines[1]
