"""The benchmark's contenders do the same work: clownpiece, PyTorch and the hand-written
numpy MLP produce the same losses step after step from the same weights and data
(benchmarks/mnist_models.py). Each check is shown to fail on a deliberately different model.
"""

import numpy as np
import pytest

import clownpiece as cp
from benchmarks import mnist_models as m


def losses(step, images, labels, steps=3):
    """The loss of each of `steps` SGD steps (a numpy float, or a torch tensor's value)."""
    values = [step(images, labels) for _ in range(steps)]
    return [float(v.item()) if hasattr(v, "item") else float(v) for v in values]


def clownpiece_losses(model, images, labels, flatten=False):
    step = m.clownpiece_step(model, flatten=flatten)
    x, y = cp.Tensor(images), cp.Tensor(labels, dtype=cp.int64)
    return [step(x, y).item() for _ in range(3)]


def test_synthetic_mnist_has_mnist_sizes():
    images, labels = m.synthetic_mnist(10)
    assert images.shape == (10, 28, 28) and images.dtype == np.float32
    assert labels.shape == (10,) and set(labels) <= set(range(10))
    assert m.TOKENS == 16 and m.PATCH_VALUES == 49


def test_patchify_cuts_seven_by_seven_patches_in_reading_order():
    images = cp.Tensor(np.arange(2 * 28 * 28, dtype=np.float32).reshape(2, 28, 28))
    patches = m.patchify(images).numpy()
    assert patches.shape == (2, 16, 49)
    np.testing.assert_array_equal(patches[1, 5].reshape(7, 7), images.numpy()[1, 7:14, 7:14])


def test_numpy_mlp_step_matches_clownpiece():
    images, labels = m.synthetic_mnist(32, seed=3)
    cp.manual_seed(0)
    model = m.mlp()
    by_hand = losses(m.numpy_mlp_step(model.state_dict()), images, labels)
    ours = clownpiece_losses(model, images, labels, flatten=True)
    np.testing.assert_allclose(by_hand, ours, rtol=1e-5)
    assert by_hand[2] < by_hand[0]  # the updates are applied


def test_torch_patch_transformer_matches_clownpiece():
    torch = pytest.importorskip("torch")
    images, labels = m.synthetic_mnist(16, seed=4)
    cp.manual_seed(0)
    model = m.PatchTransformer()
    theirs = losses(
        m.torch_step(m.torch_patch_transformer(model.state_dict())),
        torch.from_numpy(images),
        torch.from_numpy(labels),
    )
    ours = clownpiece_losses(model, images, labels)
    np.testing.assert_allclose(ours, theirs, rtol=1e-5)


def test_transformer_check_catches_a_different_model():
    """PyTorch's model with the tanh GELU instead of the exact one: the losses part."""
    torch = pytest.importorskip("torch")
    images, labels = m.synthetic_mnist(16, seed=4)
    cp.manual_seed(0)
    model = m.PatchTransformer()
    different = m.torch_patch_transformer(model.state_dict())
    for block in different.blocks:
        block.mlp[1] = torch.nn.GELU(approximate="tanh")
    theirs = losses(m.torch_step(different), torch.from_numpy(images), torch.from_numpy(labels))
    ours = clownpiece_losses(model, images, labels)
    assert not np.allclose(ours, theirs, rtol=1e-5)
