"""Forward pre-hooks and forward hooks: PyTorch's signatures, order and results.

Every scenario records what the hooks see and return; the record is compared with a
hand-written expectation, with torch running the same scenario when it is importable, and
with deliberately wrong implementations (each must produce a different record).
"""

from __future__ import annotations

import warnings

import pytest

import clownpiece as cp
from clownpiece.nn import Linear
from clownpiece.nn import hooks as hooks_mod
from clownpiece.nn import module as module_mod


def affine(nn):
    """forward(x, scale=1.0, fail=False) -> x * scale, on plain floats (no tensors needed)."""

    class Affine(nn.Module):
        def forward(self, x, scale=1.0, fail=False):
            if fail:
                raise ValueError("forward failed")
            return x * scale

    return Affine()


def replace_inputs(nn, log):
    m = affine(nn)
    m.register_forward_pre_hook(lambda mod, args: log.append(f"pre1 {args}") or args[0] + 1)
    m.register_forward_pre_hook(lambda mod, args: log.append(f"pre2 {args}") or (args[0] * 10,))
    m.register_forward_pre_hook(lambda mod, args: log.append(f"pre3 {args}"))
    log.append(f"out {m(1.0, scale=2.0)}")


def kwargs_hooks(nn, log):
    m = affine(nn)

    def pre(mod, args, kwargs):
        log.append(f"pre {args} {sorted(kwargs.items())}")
        return (args[0] + 1,), {**kwargs, "scale": 3.0}

    def post(mod, args, kwargs, output):
        log.append(f"post {args} {sorted(kwargs.items())} {output}")
        return output + 0.5

    m.register_forward_pre_hook(pre, with_kwargs=True)
    m.register_forward_hook(post, with_kwargs=True)
    m.register_forward_hook(lambda mod, args, output: log.append(f"plain {args} {output}"))
    log.append(f"out {m(1.0, scale=2.0)}")


def bad_kwargs_pre_hook(nn, log):
    m = affine(nn)
    m.register_forward_pre_hook(lambda mod, args, kwargs: 5, with_kwargs=True)
    try:
        m(1.0)
    except RuntimeError as error:
        log.append("RuntimeError " + ("(new_args, new_kwargs)" in str(error)) * "names the pair")


def prepend_order(nn, log):
    m = affine(nn)
    for name, prepend in (("a", False), ("b", False), ("c", True), ("d", True)):
        m.register_forward_pre_hook(
            lambda mod, args, n=name: log.append("pre " + n), prepend=prepend
        )
        m.register_forward_hook(
            lambda mod, args, out, n=name: log.append("post " + n), prepend=prepend
        )
    m(1.0)


def always_call_when_forward_fails(nn, log):
    m = affine(nn)
    m.register_forward_pre_hook(lambda mod, args: (args[0] * 2,))
    m.register_forward_hook(lambda mod, args, out: log.append(f"normal {args} {out}"))
    m.register_forward_hook(
        lambda mod, args, out: log.append(f"always {args} {out}"), always_call=True
    )
    m.register_forward_hook(
        lambda mod, args, kw, out: log.append(f"always-kw {args} {sorted(kw)} {out}"),
        always_call=True,
        with_kwargs=True,
    )
    try:
        m(1.0, fail=True)
    except ValueError as error:
        log.append(f"raised {error}")


def always_call_when_a_hook_fails(nn, log):
    m = affine(nn)
    m.register_forward_hook(
        lambda mod, args, out: log.append(f"first {out}") or out + 1, always_call=True
    )

    def broken(mod, args, out):
        log.append(f"broken {out}")
        raise KeyError("hook failed")

    m.register_forward_hook(broken)
    m.register_forward_hook(lambda mod, args, out: log.append(f"later {out}"), always_call=True)
    try:
        m(1.0, scale=5.0)
    except KeyError:
        log.append("raised KeyError")


def always_call_hook_that_fails_too(nn, log):
    m = affine(nn)

    def also_broken(mod, args, out):
        raise RuntimeError("second failure")

    m.register_forward_hook(also_broken, always_call=True)
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        try:
            m(1.0, fail=True)
        except ValueError:
            log.append("raised the forward's ValueError")
    log.append(f"warned {any('second failure' in str(w.message) for w in caught)}")


def always_call_when_a_pre_hook_fails(nn, log):
    m = affine(nn)

    def broken(mod, args):
        raise IndexError("pre-hook failed")

    m.register_forward_pre_hook(broken)
    m.register_forward_hook(
        lambda mod, args, out: log.append(f"always {args} {out}"), always_call=True
    )
    try:
        m(1.0)
    except IndexError:
        log.append("raised IndexError")


def remove_and_snapshot(nn, log):
    m = affine(nn)
    handles = {}

    def remover(mod, args):
        log.append("remover")
        handles["victim"].remove()

    m.register_forward_pre_hook(remover)
    handles["victim"] = m.register_forward_pre_hook(lambda mod, args: log.append("victim"))
    m(1.0)  # the victim still runs in this call: the hooks were listed when the call began
    log.append("second call")
    m(1.0)
    handles["remover"] = m.register_forward_hook(lambda mod, args, out: log.append("post"))
    handles["remover"].remove()
    handles["remover"].remove()  # removing twice is harmless
    with m.register_forward_hook(lambda mod, args, out: log.append("scoped")):
        m(1.0)
    m(1.0)
    log.append(f"end {len(m._forward_hooks)}")


SCENARIOS = {
    replace_inputs: [
        "pre1 (1.0,)",
        "pre2 (2.0,)",
        "pre3 (20.0,)",
        "out 40.0",
    ],
    kwargs_hooks: [
        "pre (1.0,) [('scale', 2.0)]",
        "post (2.0,) [('scale', 3.0)] 6.0",
        "plain (2.0,) 6.5",
        "out 6.5",
    ],
    bad_kwargs_pre_hook: ["RuntimeError names the pair"],
    prepend_order: ["pre d", "pre c", "pre a", "pre b", "post d", "post c", "post a", "post b"],
    always_call_when_forward_fails: [
        "always (2.0,) None",
        "always-kw (2.0,) ['fail'] None",
        "raised forward failed",
    ],
    always_call_when_a_hook_fails: ["first 5.0", "broken 6.0", "later 6.0", "raised KeyError"],
    always_call_hook_that_fails_too: ["raised the forward's ValueError", "warned True"],
    always_call_when_a_pre_hook_fails: ["always (1.0,) None", "raised IndexError"],
    remove_and_snapshot: [
        "remover",
        "victim",
        "second call",
        "remover",
        "remover",
        "scoped",
        "remover",
        "end 0",
    ],
}


def record(nn, scenario) -> list:
    log: list = []
    scenario(nn, log)
    return log


@pytest.mark.parametrize("scenario", list(SCENARIOS), ids=lambda f: f.__name__)
def test_hook_scenario_matches_the_expectation(scenario):
    assert record(cp.nn, scenario) == SCENARIOS[scenario]


@pytest.mark.parametrize("scenario", list(SCENARIOS), ids=lambda f: f.__name__)
def test_hook_scenario_matches_torch(scenario):
    torch = pytest.importorskip("torch")
    assert record(torch.nn, scenario) == record(cp.nn, scenario)


# ---------------------------------------------------------------------------- wrong versions
def no_always_call(module, args, kwargs):
    """Hooks without the try/except: always_call is ignored."""
    for hook, with_kwargs in list(module._forward_pre_hooks.values()):
        result = hook(module, args, kwargs) if with_kwargs else hook(module, args)
        if result is not None:
            args, kwargs = (
                result
                if with_kwargs
                else (result if isinstance(result, tuple) else (result,), kwargs)
            )
    output = module.forward(*args, **kwargs)
    for hook, with_kwargs, _ in list(module._forward_hooks.values()):
        result = hook(module, args, kwargs, output) if with_kwargs else hook(module, args, output)
        output = output if result is None else result
    return output


def unwrapped_pre_hook_result(module, args, kwargs):
    """A pre-hook's non-tuple result is used as the args tuple itself (a classic bug)."""
    for hook, _ in list(module._forward_pre_hooks.values()):
        result = hook(module, args)
        if result is not None:
            args = result if isinstance(result, tuple) else (result, result)
    return module.forward(*args, **kwargs)


def ignoring_prepend(hooks, entry, prepend):
    return hooks_mod.add_hook(hooks, entry, False)


def live_hook_dict(module, args, kwargs):
    """Iterates the live registry: a hook removed during the call is skipped at once."""
    for key in list(module._forward_pre_hooks):
        if key in module._forward_pre_hooks:
            hook, _ = module._forward_pre_hooks[key]
            result = hook(module, args)
            if result is not None:
                args = result if isinstance(result, tuple) else (result,)
    return module.forward(*args, **kwargs)


@pytest.mark.parametrize(
    "attribute, wrong, scenario",
    [
        ("call_with_hooks", no_always_call, always_call_when_forward_fails),
        ("call_with_hooks", no_always_call, always_call_when_a_hook_fails),
        ("call_with_hooks", no_always_call, always_call_when_a_pre_hook_fails),
        ("call_with_hooks", unwrapped_pre_hook_result, replace_inputs),
        ("call_with_hooks", live_hook_dict, remove_and_snapshot),
        ("add_hook", ignoring_prepend, prepend_order),
    ],
)
def test_scenarios_catch_wrong_implementations(monkeypatch, attribute, wrong, scenario):
    monkeypatch.setattr(module_mod, attribute, wrong)
    try:
        got = record(cp.nn, scenario)
    except Exception as error:  # a wrong version may also just crash
        got = [repr(error)]
    assert got != SCENARIOS[scenario]


def test_registration_arguments_are_keyword_only_as_in_pytorch():
    lin = Linear(2, 2)
    with pytest.raises(TypeError):
        lin.register_forward_pre_hook(lambda m, a: None, True)
    with pytest.raises(TypeError):
        lin.register_forward_hook(lambda m, a, o: None, True)


def test_hooks_see_tensors_and_replace_them():
    lin = Linear(3, 2)
    seen = []
    lin.register_forward_pre_hook(lambda mod, args: (args[0] * 0,))
    lin.register_forward_hook(lambda mod, args, out: seen.append(tuple(out.shape)) or out * 2)
    y = lin(cp.ones(1, 3))
    assert seen == [(1, 2)]
    assert (y.numpy() == 2 * lin.bias.numpy()).all()
