"""The answer model's training maths (``eval.train``) on hand-made cases with known answers."""

import numpy as np

from eval.train import Outcome, _fit, best_threshold, log_loss, reach, utility_at
from rag.answering.model import apply


def test_threshold_maximises_utility_of_right_answers_against_costly_wrong_ones():
    conf = np.array([0.9, 0.8, 0.7, 0.6])
    right = np.array([True, True, False, True])
    # shown from 0.9: +1; from 0.8: +2; from 0.7: +2 − 1.5; from 0.6: +3 − 1.5
    right_at = np.where(right, conf, -1.0)
    assert best_threshold(conf, right_at, wrong_cost=1.5) == (0.8, 2.0)
    # a cheap mistake is worth making to show the last right answer
    assert best_threshold(conf, right_at, wrong_cost=0.5) == (0.6, 2.5)
    # the utility at a held threshold: from 0.7 two right and one wrong are shown
    assert utility_at(conf, right_at, 0.7, wrong_cost=1.5) == 0.5


def test_a_question_in_parts_is_right_from_the_threshold_where_its_quoted_parts_hold_every_fact():
    hits = np.array([[True, False], [False, True], [False, False]])  # parts × key facts
    # parts quoted from 0.9 down: 0.9 holds the first fact, 0.4 adds the second
    assert reach(np.array([0.9, 0.4, 0.7]), hits) == (0.9, 0.4)
    # the second fact in the part of 0.7: right from 0.7 on, though the part of 0.2 holds nothing
    assert reach(np.array([0.9, 0.2, 0.7]), hits[[0, 2, 1]]) == (0.9, 0.7)
    # an unanswerable question (no key facts) is answered from its best part and never right
    assert reach(np.array([0.3, 0.8]), np.zeros((2, 0), dtype=bool)) == (0.8, -1.0)
    assert reach(np.array([0.6]), np.array([[False]])) == (0.6, -1.0)


def test_a_part_whose_quotes_the_app_withholds_is_never_shown():
    hits = np.array([[True, False], [False, True]])
    withheld = Outcome(np.zeros((2, 1)), hits, np.array([1, 1]), np.array([False, True]))
    conf = withheld.shown_from(np.array([0.9, 0.5]))
    # the second part's quotes lack what it asks: the first part is shown from 0.9, the question never right
    assert reach(conf, hits) == (0.9, -1.0)
    both = Outcome(np.zeros((2, 1)), hits, np.array([1, 1]), np.array([True, True]))
    assert reach(both.shown_from(np.array([0.9, 0.5])), hits) == (-1.0, -1.0)


def test_standardised_fit_does_not_depend_on_a_features_units():
    rng = np.random.default_rng(0)
    x = rng.normal(size=(400, 3))
    y = (x[:, 0] - x[:, 1] + 0.5 * rng.normal(size=400) > 0).astype(int)
    scaled = x * np.array([1000.0, 0.001, 1.0])  # the same features in other units
    plain, rescaled = _fit(x, y, 0.1, standardise=True), _fit(scaled, y, 0.1, standardise=True)
    assert np.allclose(apply(plain, x), apply(rescaled, scaled), atol=1e-4)
    # the folded-back weights read raw rows: the first feature raises the score, the second lowers it
    assert plain.weights[0] > 0 > plain.weights[1]
    # unstandardised, the penalty falls unevenly and the scores change with the units
    assert not np.allclose(apply(_fit(x, y, 0.1), x), apply(_fit(scaled, y, 0.1), scaled), atol=1e-2)


def test_fit_with_one_class_gives_a_neutral_model():
    model = _fit(np.ones((5, 2)), np.zeros(5, dtype=int), standardise=True)
    assert model.weights == [0.0, 0.0] and model.bias == 0.0


def test_log_loss_rewards_confidence_only_where_it_is_right():
    right = np.array([True, False])
    assert np.isclose(log_loss(np.array([0.5, 0.5]), right), np.log(2))
    assert log_loss(np.array([0.9, 0.1]), right) < np.log(2) < log_loss(np.array([0.1, 0.9]), right)
