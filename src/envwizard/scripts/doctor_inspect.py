"""Describe a Python environment for `envwizard doctor`, from inside it, changing nothing.

Run by the environment's own interpreter, as the person's programs would run it (their
PYTHONPATH, user site and library path kept), from a neutral working directory:

    python doctor_inspect.py static [--cwd DIR]   what is installed and where (no torch import)
    python doctor_inspect.py live                 import torch and its companions, compute a
                                                  little on each device, run torchvision's nms

Each mode prints one line, `envwizard-doctor:` and a JSON object. The static read never imports
torch: it works when importing torch is what is broken. The live read is a separate process so
that a crash in a native library costs only that read. Stdlib only (plus torch in `live`);
parses on Python 3.6+ and reads metadata without importlib.metadata, so it runs in any
environment torch ever supported. Nothing is written: envwizard sets PYTHONDONTWRITEBYTECODE.
"""

import ast
import hashlib
import json
import os
import struct
import sys

MARK = "envwizard-doctor:"
FAMILY = ("torch", "torchvision", "torchaudio")
WATCHED_MODULES = (*FAMILY, "numpy")
ENV_VARS = (
    "PYTHONPATH",
    "PYTHONHOME",
    "PYTHONNOUSERSITE",
    "PYTHONSAFEPATH",
    "LD_LIBRARY_PATH",
    "LD_PRELOAD",
    "CUDA_HOME",
    "CUDA_PATH",
    "CUDA_VISIBLE_DEVICES",
    "HIP_VISIBLE_DEVICES",
    "HSA_OVERRIDE_GFX_VERSION",
    "VIRTUAL_ENV",
    "CONDA_PREFIX",
)
CUDA_LIB_PREFIXES = (
    "libcudart",
    "libcublas",
    "libcudnn",
    "libnvJitLink",
    "libnccl",
    "libcusparse",
    "libcufft",
    "libnvrtc",
)
TORCH_LIBS = ("libc10", "libtorch", "libcudart", "libomp", "c10", "torch", "fbgemm")
"""The files of torch/lib that tell its build apart (CUDA parts, Windows DLLs)."""
CONDA_WATCHED = ("pytorch", "torch", "torchvision", "torchaudio", "numpy", "libtorch")
NUMPY1_MARK = b"numpy.core._multiarray_umath"
NUMPY2_MARK = b"numpy._core._multiarray_umath"
SCAN_LIMIT = 400 * 2**20
"""Larger files are not read for the NumPy ABI strings (torch's CPU library is ~400 MB and
holds no Python extension)."""


def norm(name):
    """PEP 503 normalised project name."""
    out = []
    dash = False
    for ch in name.lower():
        if ch in "-_.":
            if not dash:
                out.append("-")
            dash = True
        else:
            out.append(ch)
            dash = False
    return "".join(out)


def read_text(path, limit=4 * 2**20):
    try:
        with open(path, "rb") as f:
            return f.read(limit).decode("utf-8", "replace")
    except (IOError, OSError):
        return None


def parse_metadata(text):
    """Name, Version and Requires-Dist of a METADATA / PKG-INFO file."""
    from email.parser import Parser

    msg = Parser().parsestr(text, headersonly=True)
    return msg.get("Name") or "", msg.get("Version") or "", msg.get_all("Requires-Dist") or []


def dists_in(entry):
    """Every distribution whose metadata sits directly in one sys.path entry."""
    out = []
    try:
        names = sorted(os.listdir(entry))
    except (OSError, TypeError):
        return out
    for name in names:
        if not name.endswith((".dist-info", ".egg-info")):
            continue
        path = os.path.join(entry, name)
        meta = os.path.join(path, "METADATA" if name.endswith(".dist-info") else "PKG-INFO")
        if not os.path.isdir(path):
            meta = path  # an old egg-info file
        text = read_text(meta)
        if text is None:
            continue
        dname, version, requires = parse_metadata(text)
        if not dname:
            continue
        installer = read_text(os.path.join(path, "INSTALLER")) if os.path.isdir(path) else None
        out.append(
            {
                "name": norm(dname),
                "version": version,
                "path": path,
                "entry": entry,
                "installer": (installer or "").strip() or None,
                "requested": os.path.isfile(os.path.join(path, "REQUESTED")),
                "requires": requires,
            }
        )
    return out


def site_paths():
    """The environment's own site directories, and the user site (whether or not it is on)."""
    import site
    import sysconfig

    paths = sysconfig.get_paths()
    try:
        user = site.getusersitepackages()
    except Exception:
        user = None
    try:
        sites = list(site.getsitepackages())
    except Exception:
        sites = []
    return {
        "purelib": paths.get("purelib"),
        "platlib": paths.get("platlib"),
        "site_packages": sites,
        "user_site": user,
        "user_site_enabled": bool(site.ENABLE_USER_SITE),
    }


def pyvenv_cfg():
    """pyvenv.cfg of this environment as a mapping, or None (a conda or system Python)."""
    for folder in (sys.prefix, os.path.dirname(os.path.dirname(os.path.abspath(sys.executable)))):
        text = read_text(os.path.join(folder, "pyvenv.cfg"))
        if text is None:
            continue
        cfg = {}
        for line in text.splitlines():
            key, sep, value = line.partition("=")
            if sep:
                cfg[key.strip().lower()] = value.strip()
        return cfg
    return None


def conda_meta():
    """The conda records of the torch family and NumPy, when this is a conda environment."""
    folder = os.path.join(sys.prefix, "conda-meta")
    if not os.path.isdir(folder):
        return None
    records = []
    for name in sorted(os.listdir(folder)):
        if not name.endswith(".json"):
            continue
        base = name[: -len(".json")]
        pkg = base.rsplit("-", 2)[0] if base.count("-") >= 2 else base
        if pkg not in CONDA_WATCHED and not pkg.startswith(("nvidia-", "cuda-", "pytorch-")):
            continue
        try:
            with open(os.path.join(folder, name)) as f:
                rec = json.load(f)
        except (IOError, OSError, ValueError):
            continue
        records.append(
            {
                "name": rec.get("name") or pkg,
                "version": rec.get("version"),
                "build": rec.get("build"),
                "channel": rec.get("channel"),
                "file": os.path.join(folder, name),
            }
        )
    return {
        "path": folder,
        "history": os.path.isfile(os.path.join(folder, "history")),
        "records": records,
    }


def module_origin(name):
    """Where `import name` would load a top-level package from, without importing it."""
    try:
        import importlib.util

        spec = importlib.util.find_spec(name)
    except Exception as e:  # a broken finder or a .pth that raises
        return {"error": type(e).__name__ + ": " + str(e)}
    if spec is None:
        return None
    locations = list(spec.submodule_search_locations or [])
    origin = spec.origin if spec.origin not in (None, "namespace") else None
    folder = locations[0] if locations else (os.path.dirname(origin) if origin else None)
    return {"origin": origin, "folder": folder, "namespace": origin is None}


def version_py(folder):
    """The assignments of a package's version.py, read with ast (importing it may load C code)."""
    text = read_text(os.path.join(folder, "version.py"))
    if text is None:
        return None
    out = {}
    try:
        tree = ast.parse(text)
    except SyntaxError:
        return None
    for node in tree.body:
        target = None
        value = None
        if isinstance(node, ast.Assign) and len(node.targets) == 1:
            target, value = node.targets[0], node.value
        elif isinstance(node, getattr(ast, "AnnAssign", ())) and node.value is not None:
            target, value = node.target, node.value
        if isinstance(target, ast.Name):
            try:
                out[target.id] = ast.literal_eval(value)
            except (ValueError, SyntaxError):
                continue
    keep = ("__version__", "cuda", "hip", "rocm", "xpu", "git_version")
    return dict((k, v) for k, v in out.items() if k in keep and isinstance(v, (str, type(None))))


def elf_needed(path):
    """DT_NEEDED of a 64-bit little-endian ELF file (what the loader will look for), or None."""
    try:
        with open(path, "rb") as f:
            head = f.read(64)
            if head[:4] != b"\x7fELF" or head[4:5] != b"\x02" or head[5:6] != b"\x01":
                return None
            shoff = struct.unpack_from("<Q", head, 0x28)[0]
            shentsize, shnum = struct.unpack_from("<HH", head, 0x3A)
            f.seek(shoff)
            table = f.read(shentsize * shnum)
            sections = []
            for i in range(shnum):
                sh = struct.unpack_from("<IIQQQQIIQQ", table, i * shentsize)
                sections.append(sh)
            dynamic = [s for s in sections if s[1] == 6]  # SHT_DYNAMIC
            if not dynamic:
                return []
            dyn = dynamic[0]
            strtab = sections[dyn[6]]  # sh_link: the string table
            f.seek(strtab[4])
            strings = f.read(strtab[5])
            f.seek(dyn[4])
            data = f.read(dyn[5])
    except (IOError, OSError, struct.error, IndexError):
        return None
    needed = []
    for i in range(0, len(data) - 15, 16):
        tag, val = struct.unpack_from("<qQ", data, i)
        if tag == 0:
            break
        if tag == 1:  # DT_NEEDED
            end = strings.find(b"\x00", val)
            needed.append(strings[val:end].decode("utf-8", "replace"))
    return needed


FATBIN_MAGIC = 0xBA55ED50


def elf_section(f, wanted):
    """(offset, size) of a named section of a 64-bit little-endian ELF file, or None."""
    f.seek(0)
    head = f.read(64)
    if head[:4] != b"\x7fELF" or head[4:5] != b"\x02" or head[5:6] != b"\x01":
        return None
    shoff = struct.unpack_from("<Q", head, 0x28)[0]
    shentsize, shnum, shstrndx = struct.unpack_from("<HHH", head, 0x3A)
    f.seek(shoff)
    table = f.read(shentsize * shnum)
    headers = [struct.unpack_from("<IIQQQQIIQQ", table, i * shentsize) for i in range(shnum)]
    f.seek(headers[shstrndx][4])
    names = f.read(headers[shstrndx][5])
    for h in headers:
        end = names.find(b"\x00", h[0])
        if names[h[0] : end] == wanted:
            return h[4], h[5]
    return None


def fatbin_archs(path):
    """The GPU architectures compiled into a CUDA library (its .nv_fatbin section): sm_XY for
    machine code, compute_XY for PTX, as torch names them. Read without CUDA or a GPU."""
    import mmap

    found = set()
    try:
        with open(path, "rb") as f:
            where = elf_section(f, b".nv_fatbin")
            if where is None:
                return None
            m = mmap.mmap(f.fileno(), 0, access=mmap.ACCESS_READ)
    except (IOError, OSError, ValueError, struct.error, IndexError):
        return None
    try:
        pos, stop = where[0], where[0] + where[1]
        while pos + 16 <= stop:
            magic, _version, hsize, fsize = struct.unpack_from("<IHHQ", m, pos)
            if magic != FATBIN_MAGIC:
                pos += 8  # fat binaries are 8-byte aligned
                continue
            end = pos + hsize + fsize
            entry = pos + hsize
            while entry + 32 <= end:
                kind, _flags, ehsize, psize = struct.unpack_from("<HHIQ", m, entry)
                arch = struct.unpack_from("<I", m, entry + 28)[0]
                found.add(("compute_%d" if kind == 1 else "sm_%d") % arch)
                if ehsize == 0:
                    break
                entry += ehsize + psize
            pos = end
    except struct.error:
        pass
    finally:
        m.close()
    return sorted(found, key=lambda a: (int(a.split("_")[1]), a))


def extensions_of(folder, names):
    """Compiled extension files of a package whose names start with one of `names`."""
    found = []
    for sub in ("", "lib"):
        d = os.path.join(folder, sub)
        try:
            entries = sorted(os.listdir(d))
        except OSError:
            continue
        for e in entries:
            if e.startswith(names) and (".so" in e or e.endswith(".pyd")):
                found.append(os.path.join(d, e))
    return found


def family_facts(origins):
    """torch, torchvision, torchaudio: their version.py and the native pieces that give the variant away."""
    out = {}
    for name in FAMILY:
        o = origins.get(name)
        if not o or not o.get("folder"):
            continue
        folder = o["folder"]
        info = {"folder": folder, "version_py": version_py(folder)}
        if name == "torch":
            lib = os.path.join(folder, "lib")
            try:
                libs = sorted(os.listdir(lib))
            except OSError:
                libs = []
            info["libs"] = [x for x in libs if x.startswith(TORCH_LIBS)]
            if "libtorch_cuda.so" in libs:
                info["fatbin"] = fatbin_archs(os.path.join(lib, "libtorch_cuda.so"))
        else:
            stems = ("_C",) if name == "torchvision" else ("libtorchaudio", "_torchaudio")
            info["extensions"] = [
                {"file": p, "needed": elf_needed(p)} for p in extensions_of(folder, stems)
            ]
        out[name] = info
    return out


def record_mismatches(dist, files):
    """Files of a distribution whose sha256 differs from its RECORD (two installs mixed)."""
    text = read_text(os.path.join(dist["path"], "RECORD"), 64 * 2**20)
    if not text:
        return []
    import base64

    wanted = {}
    for line in text.splitlines():
        parts = line.rsplit(",", 2)
        if len(parts) == 3 and parts[0] in files and parts[1].startswith("sha256="):
            wanted[parts[0]] = parts[1][len("sha256=") :]
    bad = []
    for rel, digest in sorted(wanted.items()):
        path = os.path.join(dist["entry"], rel)
        try:
            with open(path, "rb") as f:
                got = hashlib.sha256(f.read()).digest()
        except (IOError, OSError):
            bad.append({"file": path, "problem": "missing"})
            continue
        if base64.urlsafe_b64encode(got).rstrip(b"=").decode() != digest:
            bad.append({"file": path, "problem": "differs"})
    return bad


def pth_imports(dirs):
    """Executable lines of .pth files: the only .pth lines that can put a folder first."""
    out = []
    seen = set()
    for d in dirs:
        if not d or d in seen:
            continue
        seen.add(d)
        try:
            names = sorted(os.listdir(d))
        except OSError:
            continue
        for name in names:
            if not name.endswith(".pth"):
                continue
            text = read_text(os.path.join(d, name)) or ""
            for line in text.splitlines():
                if line.startswith(("import ", "import\t")) and "sys.path" in line:
                    out.append({"file": os.path.join(d, name), "line": line.strip()[:300]})
    return out


def python_extension(fname):
    """A file Python imports (or torch's Python binding library): the ones that use NumPy's C API.

    Plain shared libraries (libtorch_cpu.so is hundreds of MB) are not read.
    """
    if fname.startswith("libtorch_python"):
        return True
    if fname.endswith(".pyd"):
        return True
    return fname.endswith(".so") and not fname.startswith("lib")


def numpy_abi(entries, skip_prefixes):
    """Extensions built against NumPy 1 (they name only numpy.core._multiarray_umath)."""
    import mmap

    found = []
    for entry in entries:
        for root, dirs, files in os.walk(entry):
            rel = os.path.relpath(root, entry)
            top = rel.split(os.sep)[0]
            if top.startswith(skip_prefixes):
                dirs[:] = []
                continue
            for fname in files:
                if not python_extension(fname):
                    continue
                path = os.path.join(root, fname)
                try:
                    size = os.path.getsize(path)
                    if size == 0 or size > SCAN_LIMIT:
                        continue
                    with open(path, "rb") as f:
                        m = mmap.mmap(f.fileno(), 0, access=mmap.ACCESS_READ)
                        try:
                            one = m.find(NUMPY1_MARK) >= 0
                            two = m.find(NUMPY2_MARK) >= 0
                        finally:
                            m.close()
                except (IOError, OSError, ValueError):
                    continue
                if one and not two:
                    found.append({"file": path, "package": top})
    return found


def cuda_libs_in(folder):
    try:
        names = sorted(os.listdir(folder))
    except OSError:
        return []
    return [n for n in names if n.startswith(CUDA_LIB_PREFIXES) and ".so" in n]


def static(cwd):
    import platform

    sys_path = [p for p in sys.path if p]
    sites = site_paths()
    dists = []
    for entry in sys_path:
        dists.extend(dists_in(entry))
    if sites["user_site"] and not sites["user_site_enabled"]:
        user_dists = dists_in(sites["user_site"])
    else:
        user_dists = [d for d in dists if d["entry"] == sites["user_site"]]
    origins = dict((name, module_origin(name)) for name in WATCHED_MODULES)
    report = {
        "schema": 1,
        "python": {
            "version": sys.version.split()[0],
            "executable": sys.executable,
            "prefix": sys.prefix,
            "base_prefix": getattr(sys, "base_prefix", sys.prefix),
            "implementation": platform.python_implementation(),
            "system": platform.system(),
            "machine": platform.machine(),
            "bits": struct.calcsize("P") * 8,
        },
        "sys_path": sys_path,
        "site": sites,
        "pyvenv": pyvenv_cfg(),
        "conda": conda_meta(),
        "env_vars": dict((k, os.environ.get(k)) for k in ENV_VARS if os.environ.get(k) is not None),
        "dists": dists,
        "user_site_dists": [d["name"] + " " + d["version"] for d in user_dists],
        "modules": origins,
        "family": family_facts(origins),
        "pth_imports": pth_imports(
            [sites["purelib"], sites["platlib"], sites["user_site"]] + sites["site_packages"]
        ),
        "record_mismatches": [],
        "numpy1_extensions": [],
        "ld_library_path": [],
        "cwd": None,
    }
    torch_dists = [d for d in dists if d["name"] == "torch"]
    if torch_dists:
        report["record_mismatches"] = record_mismatches(
            torch_dists[0], ("torch/__init__.py", "torch/version.py")
        )
    numpy = [d for d in dists if d["name"] == "numpy"]
    major = numpy[0]["version"].split(".")[0] if numpy else ""
    if major.isdigit() and int(major) >= 2:
        entries = []
        for d in dists:
            if d["entry"] not in entries:
                entries.append(d["entry"])
        report["numpy1_extensions"] = numpy_abi(entries, ("numpy", "nvidia", "triton"))
    for folder in (os.environ.get("LD_LIBRARY_PATH") or "").split(os.pathsep):
        if folder:
            report["ld_library_path"].append({"dir": folder, "cuda_libs": cuda_libs_in(folder)})
    if cwd:
        report["cwd"] = {
            "dir": cwd,
            "torch_dir": os.path.isdir(os.path.join(cwd, "torch")),
            "torch_py": os.path.isfile(os.path.join(cwd, "torch.py")),
        }
    return report


def failure(e):
    """An exception as type, first line and the file of its innermost frame."""
    import traceback

    text = str(e).strip().splitlines()
    frames = traceback.extract_tb(e.__traceback__) if hasattr(e, "__traceback__") else []
    return {
        "type": type(e).__name__,
        "message": text[0][:500] if text else "",
        "text": "".join(traceback.format_exception_only(type(e), e))[-4000:],
        "file": frames[-1][0] if frames else None,
    }


def matmul(torch, device):
    out = {"device": device, "ok": False}
    try:
        gen = torch.Generator().manual_seed(0)
        a = torch.randn(32, 32, generator=gen)
        b = torch.randn(32, 32, generator=gen)
        ref = a.double() @ b.double()
        got = (a.to(device) @ b.to(device)).to("cpu").double()
        err = float((got - ref).abs().max() / ref.abs().max())
        out["ok"] = err < 1e-3
        out["rel_err"] = err
    except Exception as e:
        out["error"] = failure(e)
    return out


def nms(torch, torchvision, device):
    out = {"device": device, "ok": False}
    try:
        boxes = torch.tensor([[0.0, 0.0, 10.0, 10.0], [1.0, 1.0, 11.0, 11.0], [50, 50, 60, 60]])
        scores = torch.tensor([0.9, 0.8, 0.7])
        keep = torchvision.ops.nms(boxes.to(device), scores.to(device), 0.5).to("cpu").tolist()
        out["ok"] = keep == [0, 2]
        out["keep"] = keep
    except Exception as e:
        out["error"] = failure(e)
    return out


def loaded_cuda_libs():
    """Which file each CUDA library came from, as the loader mapped it (Linux)."""
    text = read_text("/proc/self/maps", 64 * 2**20) or ""
    seen = {}
    for line in text.splitlines():
        path = line.split(None, 5)[-1] if len(line.split(None, 5)) == 6 else ""
        base = os.path.basename(path)
        if base.startswith(CUDA_LIB_PREFIXES) and base not in seen:
            seen[base] = path
    return seen


def live():
    import warnings

    report = {"schema": 1, "torch": None, "warnings": []}
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        try:
            import torch
        except BaseException as e:  # SystemExit from a broken __init__ counts too
            report["torch"] = {"ok": False, "error": failure(e)}
            report["warnings"] = [str(w.message)[:2000] for w in caught]
            return report
        t = {"ok": True, "version": torch.__version__, "file": torch.__file__}
        t["cuda"] = getattr(torch.version, "cuda", None)
        t["hip"] = getattr(torch.version, "hip", None)
        try:
            t["cuda_available"] = bool(torch.cuda.is_available())
            t["device_count"] = torch.cuda.device_count() if t["cuda_available"] else 0
        except Exception as e:
            t["cuda_available"] = False
            t["device_count"] = 0
            t["cuda_error"] = failure(e)
        flags = None
        try:  # exists since torch 1.6; works without a GPU, unlike get_arch_list() before 2.13
            flags = torch._C._cuda_getArchFlags()
        except Exception:
            flags = None
        t["arch_list"] = (flags or "").split() if flags else []
        t["cxx11_abi"] = getattr(torch._C, "_GLIBCXX_USE_CXX11_ABI", None)
        t["capabilities"] = []
        t["device_names"] = []
        for i in range(t["device_count"]):
            try:
                t["device_names"].append(torch.cuda.get_device_name(i))
                if t["hip"]:
                    props = torch.cuda.get_device_properties(i)
                    t["capabilities"].append(
                        (getattr(props, "gcnArchName", "") or "").split(":")[0]
                    )
                else:
                    t["capabilities"].append("%d.%d" % torch.cuda.get_device_capability(i))
            except Exception as e:
                t.setdefault("device_errors", []).append(failure(e))
        devices = ["cpu"] + ["cuda:%d" % i for i in range(t["device_count"])]
        t["matmul"] = [matmul(torch, d) for d in devices]
        try:
            import numpy

            t["numpy"] = {"version": numpy.__version__}
            t["numpy"]["bridge"] = torch.from_numpy(numpy.arange(3)).tolist() == [0, 1, 2]
        except Exception as e:
            t["numpy"] = {"error": failure(e)}
        report["torch"] = t
        for name in ("torchvision", "torchaudio"):
            if module_origin(name) is None:
                continue
            try:
                mod = __import__(name)
                c = {"ok": True, "version": getattr(mod, "__version__", None)}
                c["cuda"] = getattr(getattr(mod, "version", None), "cuda", None)
                if name == "torchvision":
                    c["nms"] = [nms(torch, mod, d) for d in devices]
            except BaseException as e:
                c = {"ok": False, "error": failure(e)}
            report[name] = c
        report["loaded_cuda_libs"] = loaded_cuda_libs()
    report["warnings"] = [str(w.message)[:2000] for w in caught]
    return report


def main(argv):
    # `python FILE` puts this script's folder first on sys.path; the person's programs do not
    # have it, and nothing must be imported from there.
    here = os.path.dirname(os.path.abspath(__file__))
    sys.path[:] = [p for p in sys.path if p and os.path.abspath(p) != here]
    mode = argv[0] if argv else "static"
    cwd = argv[argv.index("--cwd") + 1] if "--cwd" in argv[:-1] else None
    result = live() if mode == "live" else static(cwd)
    sys.stdout.write(MARK + json.dumps(result) + "\n")
    sys.stdout.flush()
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
