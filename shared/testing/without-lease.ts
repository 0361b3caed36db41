/**
 * An answer without its `lease` fields (top level and each node's), for
 * tests written before leases that compare whole bodies: the contract makes
 * the field additive. Everything else is kept exactly as it was answered.
 */
export function withoutLease(body: unknown): unknown {
  if (!isRecord(body)) return body;
  const rest = dropLease(body);
  const { nodes } = rest;
  if (!Array.isArray(nodes)) return rest;
  return { ...rest, nodes: nodes.map((node: unknown) => (isRecord(node) ? dropLease(node) : node)) };
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return value !== null && typeof value === 'object' && !Array.isArray(value);
}

function dropLease(record: Record<string, unknown>): Record<string, unknown> {
  return Object.fromEntries(Object.entries(record).filter(([key]) => key !== 'lease'));
}
