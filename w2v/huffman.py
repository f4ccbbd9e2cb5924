"""The Huffman tree of hierarchical softmax: for every word, its path from
the root to its leaf (docs/derivation.md, section 11).

A vocabulary of V words has a binary tree with V leaves (the words) and V - 1
inner nodes, numbered 0..V-2 from the root (0) down, in the reverse of the
order they are made: inner node n is row n of the hierarchical-softmax matrix
``W_hs`` (word2vec C's syn1, which numbers them the other way, root V - 2).
A node made later carries more words, so it is on more paths: the rows
updated most are the first ones, and threads keep private copies of them as
they do of ``W_out``'s first rows (docs/derivation.md, 11.4). Word w's path is ``points[offsets[w]:offsets[w+1]]``,
the inner nodes from the root down, and ``codes`` (same slice) the branch
taken at each, 0 or 1. Frequent words get short paths: Huffman's tree
minimises the expected path length sum_w count(w) len(w), which is the number
of inner-node updates per epoch.

The tree is built as word2vec C builds it (Mikolov et al. 2013): the two
least frequent nodes not yet merged are joined under a new inner node, found
in linear time by walking the leaves from the rarest up and the inner nodes
in the order they were made (both queues stay sorted). Ties go to the inner
node, then to the rarer-ranked leaf, so equal counts always give the same
tree. The second node taken gets code 1.

word2vec C stores at most 40 (MAX_CODE_LENGTH) nodes per path in fixed-size
arrays and would write past them for a deeper tree; the paths here are held
end to end (CSR), so any depth works. Deep paths need very skewed counts: on
the shared 10M-token corpus the longest is far below 40, but a million words
with counts from 1 to 10^9 can pass it.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from numba import njit

# word2vec C's bound on a path's length; kept as a reference point (see above).
MAX_CODE_LENGTH = 40


@dataclass(frozen=True)
class HuffmanTree:
    """Paths of the V words through the V - 1 inner nodes.

    offsets : int64 (V + 1,), word w's path is ``[offsets[w], offsets[w + 1])``
    codes : uint8 (total,), the branch (0 or 1) taken at each node of a path
    points : int32 (total,), the inner nodes of each path, root (0) first
    """

    offsets: np.ndarray
    codes: np.ndarray
    points: np.ndarray

    @property
    def inner_nodes(self) -> int:
        return len(self.offsets) - 2 if len(self.offsets) > 1 else 0

    def path(self, word: int) -> tuple[np.ndarray, np.ndarray]:
        """``(points, codes)`` of ``word``'s path, root first."""
        lo, hi = self.offsets[word], self.offsets[word + 1]
        return self.points[lo:hi], self.codes[lo:hi]

    @property
    def lengths(self) -> np.ndarray:
        return np.diff(self.offsets)


def build_tree(counts) -> HuffmanTree:
    """The Huffman tree of ``counts`` (one per word, >= 0; any order: words
    are ranked by count, most frequent first, ties in word order)."""
    counts = np.asarray(counts, dtype=np.int64)
    if counts.ndim != 1:
        raise ValueError(f"counts must be one-dimensional, got shape {counts.shape}")
    if len(counts) and counts.min() < 0:
        raise ValueError("counts must not be negative")
    V = len(counts)
    if V < 2:  # one word needs no decision: an empty path (and none for no word)
        return HuffmanTree(np.zeros(V + 1, np.int64), np.zeros(0, np.uint8), np.zeros(0, np.int32))
    rank = np.argsort(-counts, kind="stable")  # word of each rank, most frequent first
    parent, branch = _merge(counts[rank])
    offsets_by_rank, codes, points = _paths(parent, branch, V)
    # Back from ranks to word ids: word rank[r] has the path of rank r.
    lengths = np.empty(V, np.int64)
    lengths[rank] = np.diff(offsets_by_rank)
    offsets = np.zeros(V + 1, np.int64)
    np.cumsum(lengths, out=offsets[1:])
    rank_of = np.empty(V, np.int64)
    rank_of[rank] = np.arange(V)
    word_at = np.repeat(np.arange(V), lengths)  # the word each path entry belongs to
    gather = offsets_by_rank[rank_of[word_at]] + (np.arange(offsets[-1]) - offsets[word_at])
    return HuffmanTree(offsets, codes[gather], points[gather])


@njit(cache=True)
def _merge(sorted_counts):
    """Join nodes bottom-up. Nodes 0..V-1 are the leaves in rank order (counts
    descending), V..2V-2 the inner nodes in the order made. Returns each
    node's parent (-1 for the root) and the branch bit leading to it."""
    V = sorted_counts.shape[0]
    weight = np.zeros(2 * V - 1, np.int64)
    weight[:V] = sorted_counts
    parent = np.full(2 * V - 1, -1, np.int64)
    branch = np.zeros(2 * V - 1, np.uint8)
    leaf = V - 1  # the rarest leaf not yet merged
    inner = V  # the oldest inner node not yet merged
    for made in range(V, 2 * V - 1):
        for bit in range(2):
            # An inner node wins ties: the tree is the same on every run.
            if leaf >= 0 and (inner >= made or weight[leaf] < weight[inner]):
                node = leaf
                leaf -= 1
            else:
                node = inner
                inner += 1
            parent[node] = made
            branch[node] = bit
            weight[made] += weight[node]
    return parent, branch


@njit(cache=True)
def _paths(parent, branch, V):
    """Each leaf's path, root first, in CSR form (offsets by rank)."""
    depth = np.zeros(2 * V - 1, np.int64)
    for node in range(2 * V - 3, -1, -1):  # a parent is made after its children
        depth[node] = depth[parent[node]] + 1
    offsets = np.zeros(V + 1, np.int64)
    for r in range(V):
        offsets[r + 1] = offsets[r] + depth[r]
    codes = np.empty(offsets[V], np.uint8)
    points = np.empty(offsets[V], np.int32)
    for r in range(V):
        k = offsets[r + 1]
        node = r
        while parent[node] >= 0:  # walk up, writing the path from its end
            k -= 1
            codes[k] = branch[node]
            points[k] = 2 * V - 2 - parent[node]  # inner nodes 0..V-2 from the root
            node = parent[node]
    return offsets, codes, points
