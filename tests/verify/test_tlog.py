"""RFC 6962 inclusion proofs checked against the kit's independent Merkle tree, for every
leaf of every tree up to 33 entries: each valid proof verifies, and every edit of index,
size, sibling order, hash count or hash length is INCLUSION_PROOF."""

from __future__ import annotations

import dataclasses

import pytest

from auditor.verify._errors import Reject
from auditor.verify.bundle import InclusionProof, TlogEntry
from auditor.verify.tlog import verify_inclusion
from tests.support.kit import MerkleTree

SIZES = range(1, 34)
TREE = MerkleTree()
for _i in range(max(SIZES) + 1):
    TREE.append(b"entry %d" % _i)


def _entry(index: int) -> TlogEntry:
    return TlogEntry(index, b"\x00" * 32, "dsse/0.0.1", None, None, None, b"entry %d" % index)


def _proof(index: int, size: int) -> InclusionProof:
    return InclusionProof(index, TREE.root(size), size, tuple(TREE.proof(index, size)), None)


def _rejects(entry: TlogEntry, proof: InclusionProof) -> str:
    with pytest.raises(Reject) as info:
        verify_inclusion(entry, proof, "t")
    assert info.value.code == "INCLUSION_PROOF"
    return info.value.message


@pytest.mark.parametrize("size", SIZES)
def test_every_leaf_of_every_tree(size: int) -> None:
    for index in range(size):
        entry, proof = _entry(index), _proof(index, size)
        verify_inclusion(entry, proof, "t")
        # Another leaf's body, or the same proof claimed for a neighbour's index.
        _rejects(_entry((index + 1) % max(size, 2)), proof)
        if size > 1:
            other = (index + 1) % size
            _rejects(entry, dataclasses.replace(proof, log_index=other))
        # Siblings reordered, one dropped, one added, one truncated.
        hashes = proof.hashes
        if len(hashes) > 1:
            _rejects(entry, dataclasses.replace(proof, hashes=hashes[::-1]))
        if hashes:
            _rejects(entry, dataclasses.replace(proof, hashes=hashes[1:]))
            _rejects(entry, dataclasses.replace(proof, hashes=(hashes[0][:31], *hashes[1:])))
        _rejects(entry, dataclasses.replace(proof, hashes=(*hashes, b"\x00" * 32)))
        # The root of a larger or smaller tree.
        _rejects(entry, dataclasses.replace(proof, root_hash=TREE.root(size + 1)))


@pytest.mark.parametrize(("index", "size"), [(0, 0), (1, 1), (5, 5), (6, 5), (-1, 5)])
def test_index_outside_the_tree(index: int, size: int) -> None:
    proof = InclusionProof(index, TREE.root(1), size, (), None)
    assert "outside tree size" in _rejects(_entry(0), proof)


def test_hash_count_and_length_are_checked_before_hashing() -> None:
    proof = _proof(3, 7)
    message = _rejects(_entry(3), dataclasses.replace(proof, hashes=proof.hashes[:-1]))
    assert message == "t: proof has 2 hashes, expected 3"
    message = _rejects(_entry(3), dataclasses.replace(proof, root_hash=proof.root_hash[:31]))
    assert message == "t: proof hashes must be 32 bytes"
    message = _rejects(_entry(4), proof)
    assert message.startswith("t: inclusion proof leads to root ")
    # Index 4 of 7: two hashes inside the subtree, one on the right border.
    proof = _proof(4, 7)
    message = _rejects(_entry(4), dataclasses.replace(proof, hashes=proof.hashes[:-1]))
    assert message == "t: proof has 2 hashes, expected 3"


def test_a_wrong_root_names_both_roots() -> None:
    proof = dataclasses.replace(_proof(3, 7), root_hash=TREE.root(8))
    message = _rejects(_entry(3), proof)
    got, want = TREE.root(7).hex()[:16], TREE.root(8).hex()[:16]
    assert message == f"t: inclusion proof leads to root {got}\u2026, expected {want}\u2026"
