// Compiles TestUSD.sol with the pinned solc (package.json) and writes TestUSD.json: the ABI, the
// creation bytecode and the function selectors, which the runner embeds (local/src/chain.rs).
// Rebuild after changing the contract: npm --prefix local/chain run build-token
'use strict';
const fs = require('fs');
const path = require('path');
const solc = require('solc');

const source = 'TestUSD.sol';
const input = {
  language: 'Solidity',
  sources: { [source]: { content: fs.readFileSync(path.join(__dirname, source), 'utf8') } },
  settings: {
    optimizer: { enabled: true, runs: 200 },
    outputSelection: { '*': { TestUSD: ['abi', 'evm.bytecode.object', 'evm.methodIdentifiers'] } },
  },
};
const output = JSON.parse(solc.compile(JSON.stringify(input)));
const errors = (output.errors || []).filter((e) => e.severity === 'error');
for (const e of output.errors || []) console.error(e.formattedMessage);
if (errors.length > 0) process.exit(1);

const contract = output.contracts[source].TestUSD;
const artifact = {
  contractName: 'TestUSD',
  compiler: `solc ${solc.version()}`,
  optimizer: input.settings.optimizer,
  abi: contract.abi,
  methodIdentifiers: contract.evm.methodIdentifiers,
  bytecode: '0x' + contract.evm.bytecode.object,
};
fs.writeFileSync(path.join(__dirname, 'TestUSD.json'), JSON.stringify(artifact, null, 2) + '\n');
console.log(`wrote TestUSD.json (${contract.evm.bytecode.object.length / 2} bytes of creation code)`);
