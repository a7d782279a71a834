import numpy as np
import pytest

from shallow_ref import datasets


def test_flower_follows_the_specification():
    X, Y = datasets.load_planar_dataset()
    assert X.shape == (2, 400) and X.dtype == np.float64
    assert Y.shape == (1, 400) and Y.dtype == np.uint8
    assert (Y[0, :200] == 0).all() and (Y[0, 200:] == 1).all()
    # Recompute class 0 from the specification: seed 1, theta's noise before r's.
    np.random.seed(1)
    theta = np.linspace(0, 3.12, 200) + 0.2 * np.random.randn(200)
    r = 4 * np.sin(4 * theta) + 0.2 * np.random.randn(200)
    np.testing.assert_array_equal(X[0, :200], r * np.sin(theta))
    np.testing.assert_array_equal(X[1, :200], r * np.cos(theta))
    # Every point lies within the petals' radius plus noise.
    assert np.sqrt((X**2).sum(axis=0)).max() < 4 + 1


OTHERS = ["noisy_circles", "noisy_moons", "blobs", "gaussian_quantiles"]


@pytest.mark.parametrize("name", OTHERS)
def test_other_data_sets_shapes_seeds_and_global_rng(name):
    loader = datasets.DATASETS[name]
    np.random.seed(42)
    state = np.random.get_state()[1].copy()
    X, Y = loader()
    assert np.array_equal(np.random.get_state()[1], state), "global generator was touched"
    assert X.shape == (2, 200) and X.dtype == np.float64
    assert Y.shape == (1, 200) and Y.dtype == np.uint8
    assert set(np.unique(Y)) == {0, 1}
    assert 60 <= Y.sum() <= 140
    X2, Y2 = loader()
    np.testing.assert_array_equal(X, X2)
    np.testing.assert_array_equal(Y, Y2)
    X3, _ = loader(m=50, seed=1)
    assert X3.shape == (2, 50)
    assert not np.allclose(loader(seed=1)[0], X)


def test_circles_and_quantiles_are_radial():
    X, Y = datasets.noisy_circles(noise=0.0, shuffle=False)
    radius = np.sqrt((X**2).sum(axis=0))
    np.testing.assert_allclose(radius[Y[0] == 0], 1.0)
    np.testing.assert_allclose(radius[Y[0] == 1], 0.5)
    X, Y = datasets.gaussian_quantiles()
    radius = np.sqrt((X**2).sum(axis=0))
    assert radius[Y[0] == 0].max() <= radius[Y[0] == 1].min()


def test_unknown_name_is_a_clear_error():
    with pytest.raises(ValueError, match="unknown data set 'spiral'"):
        datasets.load("spiral")
