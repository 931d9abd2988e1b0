"""Data for the book's training chapters, one concern per module:

* `estate`   - the course's synthetic real-estate regression set;
* `split`    - a seeded train/test split and standardisation;
* `batching` - shuffled mini-batches of Tensors;
* `digits`   - scikit-learn's bundled 8×8 digits (offline);
* `idx`, `mnist` - the IDX file format and MNIST from a local folder ($CLOWNPIECE_MNIST);
* `progress_line` - a live progress line that keeps stored notebook outputs stable.

    from clownpiece import data
    estate = data.make_estate(1000, seed=0)
    x_tr, x_te, y_tr, y_te = data.train_test_split(estate.features, estate.price)
    x_tr, x_te, _ = data.standardize(x_tr, x_te)
    for xb, yb in data.batches(x_tr, y_tr, batch_size=64):
        ...
"""

from .batching import batches
from .digits import Digits, load_digits
from .estate import ESTATE_FEATURES, Estate, estate_price, make_estate
from .idx import IDX_DTYPES, read_idx, write_idx
from .mnist import MNIST_ENV, MNIST_FILES, Mnist, load_mnist, mnist_path
from .progress_line import progress
from .split import standardize, train_test_split

__all__ = [
    "ESTATE_FEATURES",
    "IDX_DTYPES",
    "MNIST_ENV",
    "MNIST_FILES",
    "Digits",
    "Estate",
    "Mnist",
    "batches",
    "estate_price",
    "load_digits",
    "load_mnist",
    "make_estate",
    "mnist_path",
    "progress",
    "read_idx",
    "standardize",
    "train_test_split",
    "write_idx",
]
