import type { NodeToBind } from '#shared/storage/binding-store';
import type { BindingInput } from '#shared/storage/mysql/bindings';

/** A node as the stores take it, in range of every test account's certificate; its node id is its machine code. */
export const nodeToBind = (machineCode: string): NodeToBind => ({
  machineCode,
  nodeId: machineCode,
  ip: '203.0.113.7',
  domain: null,
  appName: 'webroot',
  mac: null,
  appVersion: '11.0',
});

/** The same node as the ledger writes it, with a nonce of its own (16 characters, like a real one). */
export const bindingInput = (machineCode: string): BindingInput => ({
  ...nodeToBind(machineCode),
  nonce: `${machineCode}-nonce`.padEnd(16, 'x').slice(0, 16),
});
