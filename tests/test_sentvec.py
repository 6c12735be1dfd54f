"""Dense search that also reads sentences: hand-made vectors whose combined scores are known."""

from __future__ import annotations

import numpy as np
import pytest

from rag.index.sentvec import DenseIndex, sentences


def test_sentences_split_at_chinese_and_english_ends_and_drop_fragments():
    assert sentences("第三次会议在布加勒斯特举行。会议采用混合形式！(a) ok. It was held in May.") == [
        "第三次会议在布加勒斯特举行。", "会议采用混合形式！", "(a) ok.", "It was held in May."]
    assert sentences("1.") == []


def test_a_chunk_with_one_matching_sentence_beats_a_chunk_that_is_only_vaguely_close():
    e = np.eye(3, dtype=np.float32)
    vague = np.array([0.8, 0.6, 0.0], dtype=np.float32)  # the whole chunk leans toward the question
    index = DenseIndex(["blurred", "vague", "bare"],
                       chunks=np.stack([np.array([0.6, 0.0, 0.8], np.float32), vague, e[1]]),
                       sentences=np.stack([e[0], e[2], vague]), owner=np.array([0, 0, 1]))
    q = e[0]
    # blurred: own 0.6, best sentence 1.0; vague: own 0.8, best 0.8; bare (no sentence): its own 0.0
    assert index.scores(q, 0.0).tolist() == pytest.approx([0.6, 0.8, 0.0])
    assert index.scores(q, 0.5).tolist() == pytest.approx([0.8, 0.8, 0.0])
    assert [cid for cid, _ in index.search(q, 2, 0.75)] == ["blurred", "vague"]
    assert index.search(q, 0, 0.5) == []
