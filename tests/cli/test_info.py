"""xpnet info: the facts it reports, failures reported as text, JSON output, no CuPy on import."""
import argparse
import json
import os
import subprocess
import sys
import types

import numpy

import xpnet
from xpnet.backend import backend_names, backend_unavailable_reason
from xpnet.cli import info


def run_info(argv, capsys):
    parser = argparse.ArgumentParser(prog="xpnet")
    info.add_parser(parser.add_subparsers(dest="command"))
    args = parser.parse_args(["info", *argv])
    assert args.run(args) == 0
    return capsys.readouterr().out


def test_json_reports_this_machine(capsys):
    data = json.loads(run_info(["--json"], capsys))
    assert data["xpnet"] == {"version": xpnet.__version__,
                             "path": os.path.dirname(xpnet.__file__)}
    assert data["numpy"]["version"] == numpy.__version__
    assert data["python"]["executable"] == sys.executable
    assert data["platform"]["cpus"] == os.cpu_count()
    assert list(data["backends"]) == list(backend_names())
    for name, b in data["backends"].items():
        assert b == {"usable": backend_unavailable_reason(name) is None,
                     "reason": backend_unavailable_reason(name)}
    assert data["backends"]["numpy"]["usable"]


def test_text_has_one_line_per_fact_and_backend(capsys):
    data = info.collect()
    out = run_info([], capsys)
    assert out == info.format_text(data) + "\n"
    lines = out.splitlines()
    assert lines[0] == f"xpnet     {xpnet.__version__}  {os.path.dirname(xpnet.__file__)}"
    assert lines[3].startswith(f"numpy     {numpy.__version__}")
    for name, b in data["backends"].items():
        want = "usable" if b["usable"] else f"not usable: {b['reason']}"
        assert any(line.split()[:1] == [name] and line.endswith(want) for line in lines), name


def test_cuda_failures_are_reported_not_raised():
    def fail(*_):
        raise RuntimeError("cudaErrorNoDevice: no CUDA-capable device is detected")
    runtime = types.SimpleNamespace(runtimeGetVersion=lambda: 12040, driverGetVersion=lambda: 0,
                                    getDeviceCount=fail)
    fake = types.SimpleNamespace(__version__="13.1.0", cuda=types.SimpleNamespace(runtime=runtime))
    assert info.cupy_info(fake) == {
        "version": "13.1.0", "cuda_runtime": "12.4", "cuda_driver": "none (no CUDA driver found)",
        "devices": "error: RuntimeError: cudaErrorNoDevice: no CUDA-capable device is detected"}


def test_devices_listed_when_present():
    props = {"name": b"NVIDIA A100", "major": 8, "minor": 0, "totalGlobalMem": 40 * 2**30}
    runtime = types.SimpleNamespace(runtimeGetVersion=lambda: 12060, driverGetVersion=lambda: 12080,
                                    getDeviceCount=lambda: 2, getDeviceProperties=lambda i: props)
    got = info.cupy_info(types.SimpleNamespace(__version__="13", cuda=types.SimpleNamespace(runtime=runtime)))
    assert got["cuda_driver"] == "12.8"
    assert got["devices"] == ["0: NVIDIA A100 (sm_80, 40.0 GiB)", "1: NVIDIA A100 (sm_80, 40.0 GiB)"]


def test_without_cupy(monkeypatch):
    monkeypatch.setitem(sys.modules, "cupy", None)  # import cupy -> ImportError
    data = info.collect()
    assert data["cupy"]["version"] is None and "not installed" in data["cupy"]["error"]
    assert "cupy      not installed" in info.format_text(data)


def test_nvrtc_version_when_the_library_loads():
    from xpnet.backend.cuda import nvrtc
    got = info.nvrtc_info()
    if nvrtc.unavailable_reason() is not None:
        assert got["version"].startswith("error: NvrtcUnavailable: libnvrtc not found")
    else:
        major, minor = map(int, got["version"].split("."))
        assert major >= 11 and minor >= 0


def test_importing_the_cli_does_not_import_cupy():
    code = ("import sys, argparse, xpnet, xpnet.cli.info as i; "
            "i.add_parser(argparse.ArgumentParser().add_subparsers()); "
            "assert 'cupy' not in sys.modules, 'cupy imported'")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                         env={**os.environ, "PYTHONPATH": os.getcwd()})
    assert out.returncode == 0, out.stderr
