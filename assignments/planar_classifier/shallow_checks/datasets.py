"""Small 2-D data sets for binary classification, numpy only and seeded.

Every loader returns X: (2, m) float64 (one example per column) and Y: (1, m) uint8 labels,
and leaves numpy's global random generator as it found it, except ``load_planar_dataset``,
which follows the course exactly (it seeds the global generator with 1).
"""

from __future__ import annotations

import numpy as np


def load_planar_dataset():
    """The planar "flower": m = 400 points, 200 per class, a = 4 petals' radius.

    For class j = 0, then 1: theta = linspace(3.12 j, 3.12 (j + 1), 200) + 0.2 randn(200), then
    r = a sin(4 theta) + 0.2 randn(200) (theta's noise is drawn before r's), and the points are
    (r sin theta, r cos theta) with label j. Seeds numpy's global generator with 1 first.
    Returns X (2, 400) float64, Y (1, 400) uint8.
    """
    np.random.seed(1)
    m = 400
    N = m // 2
    a = 4
    X = np.zeros((m, 2))
    Y = np.zeros((m, 1), dtype=np.uint8)
    for j in range(2):
        ix = slice(N * j, N * (j + 1))
        theta = np.linspace(j * 3.12, (j + 1) * 3.12, N) + np.random.randn(N) * 0.2
        r = a * np.sin(4 * theta) + np.random.randn(N) * 0.2
        X[ix] = np.c_[r * np.sin(theta), r * np.cos(theta)]
        Y[ix] = j
    return X.T, Y.T


def _finish(points, labels, rng, shuffle):
    if shuffle:
        order = rng.permutation(labels.size)
        points, labels = points[order], labels[order]
    return np.ascontiguousarray(points.T, dtype=np.float64), labels.astype(np.uint8)[np.newaxis, :]


def noisy_circles(m=200, *, noise=0.2, factor=0.5, seed=0, shuffle=True):
    """Two concentric circles: the outer (radius 1) is class 0, the inner (radius ``factor``)
    class 1, with Gaussian noise of standard deviation ``noise``."""
    rng = np.random.default_rng(seed)
    m_out = m // 2
    m_in = m - m_out
    t_out = np.linspace(0, 2 * np.pi, m_out, endpoint=False)
    t_in = np.linspace(0, 2 * np.pi, m_in, endpoint=False)
    points = np.vstack([
        np.c_[np.cos(t_out), np.sin(t_out)],
        factor * np.c_[np.cos(t_in), np.sin(t_in)],
    ])
    labels = np.r_[np.zeros(m_out), np.ones(m_in)]
    points = points + rng.normal(scale=noise, size=points.shape)
    return _finish(points, labels, rng, shuffle)


def noisy_moons(m=200, *, noise=0.2, seed=0, shuffle=True):
    """Two interleaving half circles, with Gaussian noise of standard deviation ``noise``."""
    rng = np.random.default_rng(seed)
    m_out = m // 2
    m_in = m - m_out
    t_out = np.linspace(0, np.pi, m_out)
    t_in = np.linspace(0, np.pi, m_in)
    points = np.vstack([
        np.c_[np.cos(t_out), np.sin(t_out)],
        np.c_[1 - np.cos(t_in), 0.5 - np.sin(t_in)],
    ])
    labels = np.r_[np.zeros(m_out), np.ones(m_in)]
    points = points + rng.normal(scale=noise, size=points.shape)
    return _finish(points, labels, rng, shuffle)


def blobs(m=200, *, centers=6, cluster_std=1.0, box=(-10.0, 10.0), seed=0, shuffle=True):
    """``centers`` Gaussian blobs with centres drawn uniformly in ``box``; blob k has label k % 2,
    so the two classes are not linearly separable in general."""
    rng = np.random.default_rng(seed)
    middles = rng.uniform(box[0], box[1], size=(centers, 2))
    sizes = np.full(centers, m // centers)
    sizes[: m % centers] += 1
    points = np.vstack([rng.normal(middles[k], cluster_std, size=(sizes[k], 2))
                        for k in range(centers)])
    labels = np.concatenate([np.full(sizes[k], k % 2) for k in range(centers)])
    return _finish(points, labels, rng, shuffle)


def gaussian_quantiles(m=200, *, seed=0, shuffle=True):
    """Points from a standard 2-D Gaussian, labelled by whether their squared distance from the
    origin is above the median: an inner disc (class 0) inside a ring (class 1), equal halves."""
    rng = np.random.default_rng(seed)
    points = rng.normal(size=(m, 2))
    distance = np.sum(points**2, axis=1)
    order = np.argsort(distance, kind="stable")
    labels = np.zeros(m)
    labels[order[m // 2:]] = 1
    return _finish(points, labels, rng, shuffle)


DATASETS = {
    "flower": load_planar_dataset,
    "noisy_circles": noisy_circles,
    "noisy_moons": noisy_moons,
    "blobs": blobs,
    "gaussian_quantiles": gaussian_quantiles,
}
"""Every loader by name, each callable with no arguments."""


def load(name):
    """X, Y for the data set called ``name`` (see ``DATASETS``)."""
    try:
        loader = DATASETS[name]
    except KeyError:
        raise ValueError(f"unknown data set {name!r}; choose one of {sorted(DATASETS)}") from None
    return loader()
