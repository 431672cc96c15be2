// Cross-check of supplychain.merkle against OpenZeppelin's @openzeppelin/merkle-tree (the reference).
//
// Reads JSON from stdin: {"batches": [{"values": ["0x<64 hex>", ...], "proofs": [[...], ...],
//   "indices": [int, ...], "multiproof": {"leaves": [...], "proof": [...], "proofFlags": [...]}}]}
// where proofs and multiproof were made by the Python code. Writes JSON to stdout: per batch the reference
// tree's dump, its proof of every value, whether it accepts each Python proof, its multiproof for the same
// indices and whether it accepts the Python multiproof.
'use strict';

const path = require('path');

const ozPath = path.resolve(__dirname, '..', '..', '..', 'hardhat-local', 'node_modules', '@openzeppelin', 'merkle-tree');
const { StandardMerkleTree } = require(ozPath);

const ENCODING = ['bytes32'];

function check(batch) {
  const tree = StandardMerkleTree.of(batch.values.map(v => [v]), ENCODING);
  const root = tree.root;
  return {
    dump: tree.dump(),
    proofs: batch.values.map((_, i) => tree.getProof(i)),
    acceptsOurProofs: batch.values.map((v, i) => StandardMerkleTree.verify(root, ENCODING, [v], batch.proofs[i])),
    multiproof: tree.getMultiProof(batch.indices),
    acceptsOurMultiproof: StandardMerkleTree.verifyMultiProof(root, ENCODING, {
      leaves: batch.multiproof.leaves.map(v => [v]),
      proof: batch.multiproof.proof,
      proofFlags: batch.multiproof.proofFlags,
    }),
  };
}

let input = '';
process.stdin.setEncoding('utf8');
process.stdin.on('data', chunk => { input += chunk; });
process.stdin.on('end', () => {
  const request = JSON.parse(input);
  process.stdout.write(JSON.stringify({ batches: request.batches.map(check) }));
});
