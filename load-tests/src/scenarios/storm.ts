import { sampleClusters } from '../dataset/samples';
import { reRegistrations } from '../load/bodies';
import { CONNECTIONS } from '../settings';
import { bindingCount, measure, type Harness, type Measured } from './harness';

/**
 * `storm`: whole data centres re-registering after a power cut. Every node of
 * `accounts` accounts re-registers at once (one request per cluster, as any
 * one node sends it for all), 128 connections at a time, until every cluster
 * is through. Each answer must carry the tokens the nodes already hold.
 */
export interface StormResult extends Measured {
  bindings: number;
  clusters: number;
  nodes: number;
  nodesPerSecond: number;
  /** Time until the last cluster was answered. */
  completedInSeconds: number;
}

export async function measureStorm(harness: Harness, label: string, accounts: number): Promise<StormResult> {
  const bindings = await bindingCount(harness);
  const clusters = await sampleClusters(harness.db, harness.tokens, accounts);
  const nodes = clusters.reduce((sum, cluster) => sum + cluster.nodes.length, 0);
  harness.log(
    `${label}: ${clusters.length} clusters (${nodes} nodes) re-registering over ${Math.min(CONNECTIONS.storm, clusters.length)} connections`,
  );
  const result = await measure(harness, {
    label,
    url: harness.api.url,
    path: '/v1/registrations',
    connections: Math.min(CONNECTIONS.storm, clusters.length),
    amount: clusters.length,
    // A storm queues for bcrypt: give each request the time the whole queue may take, and count what still times out.
    timeoutSeconds: 60,
    next: reRegistrations(clusters),
  });
  harness.log(
    `${label}: ${result.rps.toFixed(1)} clusters/s, ${(nodes / result.seconds).toFixed(0)} nodes/s, p99 ${result.latencyMs.p99.toFixed(0)} ms, ${result.errorCount} errors`,
  );
  return {
    ...result,
    bindings,
    clusters: clusters.length,
    nodes,
    nodesPerSecond: nodes / result.seconds,
    completedInSeconds: result.seconds,
  };
}
