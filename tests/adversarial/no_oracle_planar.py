# ruff: noqa
# The attack of the unforgeable-scores issue: forward_propagation, compute_cost,
# backward_propagation and update_parameters are NOT implemented. Each records its inputs and
# answers from a cache of the reference's answers when it finds one; nn_model and predict
# (correct compositions, graded with stand-ins) ask the stand-ins about every recorded input and
# store the answers. The cache lives everywhere a value could outlive a call: the notebook's
# globals, files in the working folder, $HOME, /tmp and /dev/shm, a SysV shared memory segment,
# and a daemon serving an abstract unix socket. With an oracle, or with state that survives an
# exercise or a submission, the unimplemented four would score.
import ctypes as _adv_ctypes
import hashlib as _adv_hashlib
import json as _adv_json
import os as _adv_os

def _adv_places():
    home = _adv_os.environ.get("HOME", ".")
    return ["adv_cache.json", _adv_os.path.join(home, "adv_cache.json"), "/tmp/adv_cache.json",
            "/dev/shm/adv_cache.json", "adv_locked/adv_cache.json", "/tmp/adv_locked/adv_cache.json"]


_ADV_SHM_KEY = 0x5AD0
_ADV_SHM_SIZE = 4 << 20
_ADV_SOCKET = "\0adv-cache-ADV_MARKER"


def _adv_key(name, args):
    digest = _adv_hashlib.sha256(name.encode())

    def feed(value):
        if isinstance(value, dict):
            for k in sorted(value):
                digest.update(k.encode())
                feed(value[k])
        elif isinstance(value, (tuple, list)):
            for item in value:
                feed(item)
        elif hasattr(value, "tobytes"):
            digest.update(np.ascontiguousarray(value).tobytes())
        else:
            digest.update(repr(value).encode())

    feed(args)
    return digest.hexdigest()


def _adv_shm():
    libc = _adv_ctypes.CDLL(None, use_errno=True)
    libc.shmat.restype = _adv_ctypes.c_void_p
    shmid = libc.shmget(_ADV_SHM_KEY, _ADV_SHM_SIZE, 0o1000 | 0o666)  # IPC_CREAT
    if shmid < 0:
        return None
    address = libc.shmat(shmid, None, 0)
    return None if address in (None, _adv_ctypes.c_void_p(-1).value) else address


def _adv_load():
    cache = dict(globals().get("_adv_memory", {}))
    for place in _adv_places():
        try:
            with open(place) as handle:
                cache.update(_adv_json.load(handle))
        except (OSError, ValueError):
            pass
    try:
        address = _adv_shm()
        if address:
            raw = _adv_ctypes.string_at(address, _ADV_SHM_SIZE).split(b"\0", 1)[0]
            if raw:
                cache.update(_adv_json.loads(raw))
    except Exception:
        pass
    try:
        import socket

        with socket.socket(socket.AF_UNIX, socket.SOCK_STREAM) as client:
            client.settimeout(0.2)
            client.connect(_ADV_SOCKET)
            client.sendall(b"GET\n")
            data = b""
            while chunk := client.recv(1 << 16):
                data += chunk
            cache.update(_adv_json.loads(data or b"{}"))
    except Exception:
        pass
    return cache


def _adv_save(cache):
    globals()["_adv_memory"] = cache
    text = _adv_json.dumps(cache)
    for place in _adv_places():
        folder = _adv_os.path.dirname(place)
        try:
            if folder.endswith("adv_locked"):  # a folder nobody may write: survives a wipe?
                _adv_os.makedirs(folder, exist_ok=True)
                _adv_os.chmod(folder, 0o755)
            with open(place, "w") as handle:
                handle.write(text)
            _adv_os.chmod(place, 0o444)
            if folder.endswith("adv_locked"):
                _adv_os.chmod(folder, 0o555)
        except OSError:
            pass
    try:
        address = _adv_shm()
        if address and len(text) < _ADV_SHM_SIZE:
            _adv_ctypes.memmove(address, text.encode() + b"\0", len(text) + 1)
    except Exception:
        pass
    _adv_daemon(text)


def _adv_daemon(text):
    import socket

    try:
        if _adv_os.fork():
            return
    except OSError:
        return
    try:
        _adv_os.setsid()
        if _adv_os.fork():
            _adv_os._exit(0)
        _adv_mark("ADV_MARKER")
        server = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        server.bind(_ADV_SOCKET)
        server.listen(4)
        server.settimeout(20)
        while True:
            connection, _ = server.accept()
            with connection:
                connection.sendall(text.encode())
    except BaseException:
        pass
    finally:
        _adv_os._exit(0)


def _adv_record(name, args):
    cache = _adv_load()
    seen = cache.setdefault("seen", {})
    seen[_adv_key(name, args)] = [name, _adv_encode(list(args))]
    _adv_save(cache)
    return cache.get("answers", {}).get(_adv_key(name, args))


def _adv_answer(name, args):
    hit = _adv_record(name, args)
    if hit is not None:
        value = _adv_grader_decode(hit)
        return tuple(value) if isinstance(value, list) and name == "forward_propagation" else value
    raise NotImplementedError(f"{name} is not implemented")


def _adv_grader_decode(obj):
    return _adv_grader_function("decode")(obj)


def forward_propagation(X, parameters):
    return _adv_answer("forward_propagation", (X, parameters))


def compute_cost(A2, Y):
    return _adv_answer("compute_cost", (A2, Y))


def backward_propagation(parameters, cache, X, Y):
    return _adv_answer("backward_propagation", (parameters, cache, X, Y))


def update_parameters(parameters, grads, learning_rate=1.2):
    return _adv_answer("update_parameters", (parameters, grads))


def _adv_harvest():
    """Ask the stand-ins (while nn_model or predict is graded) about every input seen."""
    cache = _adv_load()
    answers = cache.setdefault("answers", {})
    decode = _adv_grader_function("decode")
    for key, (name, encoded) in list(cache.get("seen", {}).items()):
        try:
            args = [np.array(a) if isinstance(a, np.ndarray) else a for a in decode(encoded)]
            value = globals()[name](*args)
            answers[key] = _adv_encode(value)
        except Exception:
            pass
    _adv_save(cache)


def nn_model(X, Y, n_h, num_iterations=10000, print_cost=False):
    _adv_harvest()
    np.random.seed(3)
    n_x, _, n_y = layer_sizes(X, Y)
    parameters = initialize_parameters(n_x, n_h, n_y)
    for i in range(num_iterations):
        A2, cache = forward_propagation(X, parameters)
        cost = compute_cost(A2, Y)
        grads = backward_propagation(parameters, cache, X, Y)
        parameters = update_parameters(parameters, grads)
        if print_cost and i % 1000 == 0:
            print("Cost after iteration %i: %f" % (i, cost))
    return parameters


def predict(parameters, X):
    _adv_harvest()
    A2, cache = forward_propagation(X, parameters)
    return A2 > 0.5
