// Hardhat 2 configuration of the local dev chain and of an offline compile of ../contracts with the pinned solc-js.
// `npx hardhat compile` never downloads a compiler: the solc build lookup is pointed at node_modules/solc/soljson.js.
'use strict';
const path = require('path');
const { subtask } = require('hardhat/config');
const { TASK_COMPILE_SOLIDITY_GET_SOLC_BUILD } = require('hardhat/builtin-tasks/task-names');

const SOLC_VERSION = require('solc/package.json').version;

subtask(TASK_COMPILE_SOLIDITY_GET_SOLC_BUILD, async (args, hre, runSuper) => {
  if (args.solcVersion !== SOLC_VERSION) return runSuper();
  const solc = require('solc');
  return {
    compilerPath: require.resolve('solc/soljson.js'),
    isSolcJs: true,
    version: args.solcVersion,
    longVersion: solc.version().replace(/\.Emscripten\.clang$/, ''),
  };
});

/** @type import('hardhat/config').HardhatUserConfig */
module.exports = {
  solidity: {
    version: SOLC_VERSION,
    settings: { evmVersion: 'cancun', optimizer: { enabled: true, runs: 200 } },
  },
  paths: {
    sources: path.resolve(__dirname, 'contracts'), // a symlink to ../contracts: Hardhat wants sources inside its root
    cache: path.resolve(__dirname, 'cache'),
    artifacts: path.resolve(__dirname, 'artifacts'),
  },
  networks: {
    hardhat: {
      chainId: 31337,
      hardfork: 'cancun',
      // A node started to take back a reset registry begins before the journal's first block, so that the journaled
      // transactions can be mined again at their original times (chain/journal.py); unset, the chain starts now.
      ...(process.env.SUPPLYCHAIN_GENESIS_TIME
        ? { initialDate: new Date(Number(process.env.SUPPLYCHAIN_GENESIS_TIME) * 1000).toISOString() }
        : {}),
    },
  },
};
