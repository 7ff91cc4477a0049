"""Mark epochs of a run recorded by train-profiler from inside a Python training script.

Standard library only; copy this one file next to your script. Under `profiler run -- python train.py` the daemon's
URL and the run id are in the environment (PROFILER_URL, PROFILER_RUN_ID; PROFILER_TOKEN when the daemon requires a
bearer token). Without PROFILER_URL every function here does nothing. Nothing here ever raises into the training
loop: network errors, timeouts and bad arguments are swallowed (set PROFILER_CLIENT_DEBUG=1 to print them).

    from profiler_client import mark_epoch_start, mark_epoch_end
    for epoch in range(1, 11):
        mark_epoch_start(epoch)
        train_one_epoch()
        mark_epoch_end(epoch)

Framework callbacks (the frameworks are imported only when a callback is created, never at import time):
    model.fit(..., callbacks=[ProfilerKerasCallback()])                     # Keras / tf.keras
    Trainer(callbacks=[ProfilerLightningCallback()])                         # PyTorch Lightning
    transformers.Trainer(..., callbacks=[ProfilerHFCallback()])             # Hugging Face Trainer
"""

import importlib
import json
import os
import sys
import time
import urllib.request

__all__ = [
    "mark_epoch_start",
    "mark_epoch_end",
    "ProfilerKerasCallback",
    "ProfilerLightningCallback",
    "ProfilerHFCallback",
]

_DEFAULT_TIMEOUT_S = 2.0


def _debug(msg):
    if os.environ.get("PROFILER_CLIENT_DEBUG"):
        try:
            sys.stderr.write("profiler_client: %s\n" % msg)
        except Exception:
            pass


def _timeout():
    try:
        t = float(os.environ.get("PROFILER_CLIENT_TIMEOUT", _DEFAULT_TIMEOUT_S))
        return t if 0 < t <= 30 else _DEFAULT_TIMEOUT_S
    except Exception:
        return _DEFAULT_TIMEOUT_S


def _as_int(v, minimum):
    """An int >= minimum, or None (bools, floats with fractions, strings and junk are dropped)."""
    try:
        if v is None or isinstance(v, bool):
            return None
        if isinstance(v, float):
            if v != v or v != int(v):
                return None
        i = int(v)
        return i if minimum <= i <= 10000000 else None
    except Exception:
        return None


def _mark(event, epoch, total):
    try:
        url = os.environ.get("PROFILER_URL")
        run_id = os.environ.get("PROFILER_RUN_ID")
        if not url or not run_id:
            return None
        # The mark's time is taken now, before any network delay.
        body = {"event": event, "at": int(time.time() * 1000), "source": "python"}
        e = _as_int(epoch, 0)
        if e is not None:
            body["epoch"] = e
        n = _as_int(total, 1)
        if n is not None:
            body["total"] = n
        headers = {"content-type": "application/json"}
        token = os.environ.get("PROFILER_TOKEN")
        if token:
            headers["authorization"] = "Bearer " + token
        req = urllib.request.Request(
            url.rstrip("/") + "/v1/runs/" + urllib.request.quote(run_id, safe="") + "/epochs",
            data=json.dumps(body).encode("utf-8"),
            headers=headers,
            method="POST",
        )
        with urllib.request.urlopen(req, timeout=_timeout()) as res:
            return json.loads(res.read().decode("utf-8") or "null")
    except Exception as err:  # never raise into the training loop
        _debug("%s mark failed: %r" % (event, err))
        return None


def mark_epoch_start(epoch=None, total=None):
    """An epoch starts now. epoch: the number your script prints (optional); total: expected epochs (optional)."""
    return _mark("start", epoch, total)


def mark_epoch_end(epoch=None, total=None):
    """The current epoch ends now."""
    return _mark("end", epoch, total)


def _lazy_base(candidates):
    """The first importable framework base class of (module, attribute) candidates, else object (duck typing)."""
    for module, attr in candidates:
        try:
            return getattr(importlib.import_module(module), attr)
        except Exception:
            continue
    return object


class _Lazy(object):
    """Subclassed on first instantiation with the framework's own callback base, so isinstance checks pass."""

    _bases = ()
    _real = None

    def __new__(cls, *args, **kwargs):
        if cls.__dict__.get("_is_real"):
            return super(_Lazy, cls).__new__(cls)
        real = cls.__dict__.get("_real")
        if real is None:
            base = _lazy_base(cls._bases)
            real = cls if base is object else type(cls.__name__, (cls, base), {"_is_real": True})
            cls._real = real
        # The instance is of a subclass of cls, so Python runs __init__ on it after this.
        return object.__new__(real) if real is cls else real.__new__(real, *args, **kwargs)

    def __init__(self, *args, **kwargs):
        try:
            super(_Lazy, self).__init__()
        except Exception:
            pass


def _plus1(v):
    i = _as_int(v, 0)
    return None if i is None else i + 1


def _quiet_hooks(self, name):
    """Hooks this class does not define do nothing (duck typing when the framework is not installed)."""
    if name.startswith("on_"):
        return lambda *a, **k: None
    raise AttributeError(name)


def _safe(fn):
    def wrapper(*args, **kwargs):
        try:
            fn(*args, **kwargs)
        except Exception as err:
            _debug("callback failed: %r" % (err,))
        return None

    wrapper.__name__ = fn.__name__
    return wrapper


class ProfilerKerasCallback(_Lazy):
    """Keras / tf.keras callback: marks every epoch (Keras counts from 0; marks carry epoch + 1, as Keras prints)."""

    _bases = (("keras.callbacks", "Callback"), ("tensorflow.keras.callbacks", "Callback"))

    @_safe
    def on_epoch_begin(self, epoch, logs=None):
        params = getattr(self, "params", None) or {}
        mark_epoch_start(_plus1(epoch), params.get("epochs") if isinstance(params, dict) else None)

    @_safe
    def on_epoch_end(self, epoch, logs=None):
        mark_epoch_end(_plus1(epoch))

    # Duck-typed Keras without keras installed (or a custom loop): the rest of the Callback protocol does nothing.
    def set_model(self, model):
        self.model = model

    def set_params(self, params):
        self.params = params

    __getattr__ = _quiet_hooks


class ProfilerLightningCallback(_Lazy):
    """PyTorch Lightning callback: marks training epochs on the global-zero process only."""

    _bases = (("lightning.pytorch.callbacks", "Callback"), ("pytorch_lightning.callbacks", "Callback"))

    @staticmethod
    def _info(trainer):
        epoch = _as_int(getattr(trainer, "current_epoch", None), 0)
        total = _as_int(getattr(trainer, "max_epochs", None), 1)
        zero = getattr(trainer, "is_global_zero", True)
        return (epoch + 1 if epoch is not None else None), total, zero

    @_safe
    def on_train_epoch_start(self, trainer, pl_module=None):
        epoch, total, zero = self._info(trainer)
        if zero:
            mark_epoch_start(epoch, total)

    @_safe
    def on_train_epoch_end(self, trainer, pl_module=None):
        epoch, total, zero = self._info(trainer)
        if zero:
            mark_epoch_end(epoch, total)

    __getattr__ = _quiet_hooks


class ProfilerHFCallback(_Lazy):
    """Hugging Face transformers TrainerCallback: marks epochs on the main process only."""

    _bases = (("transformers", "TrainerCallback"), ("transformers.trainer_callback", "TrainerCallback"))

    @staticmethod
    def _info(args, state, at_end):
        e = getattr(state, "epoch", None)
        epoch = None
        if isinstance(e, (int, float)) and not isinstance(e, bool) and e == e and e >= 0:
            # state.epoch is fractional: 0.0 when epoch 1 begins, about 1.0 when it ends.
            epoch = int(round(e)) if at_end else int(e) + 1
        total = None
        if getattr(args, "max_steps", 0) in (None, 0) or (getattr(args, "max_steps", 0) or 0) < 0:
            total = _as_int(getattr(args, "num_train_epochs", None), 1)
        return epoch, total, getattr(state, "is_world_process_zero", True)

    @_safe
    def on_epoch_begin(self, args, state, control=None, **kwargs):
        epoch, total, zero = self._info(args, state, False)
        if zero:
            mark_epoch_start(epoch, total)

    @_safe
    def on_epoch_end(self, args, state, control=None, **kwargs):
        epoch, total, zero = self._info(args, state, True)
        if zero:
            mark_epoch_end(epoch, total)

    __getattr__ = _quiet_hooks
