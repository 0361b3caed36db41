import { randomBytes } from 'node:crypto';
import { z } from 'zod';
import { createNonce, type TokenCodec } from '#shared/security/binding-token';
import { accountName } from '../dataset/naming';
import type { BoundMachine, Cluster } from '../dataset/samples';
import { SEED_APP_VERSION, SEED_PASSWORD } from '../settings';
import type { PlannedRequest } from './run-load';

/**
 * Request bodies for each kind of traffic. Heartbeat bodies are built once
 * and rotated (a cursor that carries over from run to run, so paired runs
 * touch different bindings); registration bodies are built per request.
 */
export type BodySource = () => PlannedRequest;

function rotate(bodies: readonly PlannedRequest[]): BodySource {
  if (bodies.length === 0) throw new Error('no bodies to send: is the data set seeded?');
  let cursor = 0;
  return () => {
    const body = bodies[cursor] as PlannedRequest;
    cursor = (cursor + 1) % bodies.length;
    return body;
  };
}

/** Heartbeats of bound nodes: 200 valid. */
export function heartbeats(machines: readonly BoundMachine[]): BodySource {
  return rotate(machines.map(({ machineCode, token }) => ({ body: JSON.stringify({ machineCode, token }) })));
}

/** Heartbeats with a token this service never minted (corrupted MAC): refused before any store is asked. */
export function forgedHeartbeats(machines: readonly BoundMachine[]): BodySource {
  return rotate(
    machines.map(({ machineCode, token }) => ({
      body: JSON.stringify({ machineCode, token: `${token.slice(0, -1)}${token.endsWith('A') ? 'B' : 'A'}` }),
    })),
  );
}

/**
 * Heartbeats of machines whose binding was released (a well-formed token,
 * signed with the right secret, for a nonce no store holds): Redis says not
 * bound and the service confirms it in MySQL before answering NOT_BOUND.
 */
export function releasedHeartbeats(tokens: TokenCodec, accounts: number, count = 1_000): BodySource {
  return rotate(
    Array.from({ length: count }, () => {
      const accountId = 1 + Math.floor(Math.random() * accounts);
      const machineCode = randomBytes(16).toString('hex');
      return { body: JSON.stringify({ machineCode, token: tokens.derive(accountId, createNonce(), machineCode) }) };
    }),
  );
}

const registered = z.object({
  result: z.literal('success'),
  nodes: z.array(z.object({ machineCode: z.string(), token: z.string() })),
});

function parseRegistered(body: string): z.infer<typeof registered> | null {
  try {
    const parsed = registered.safeParse(JSON.parse(body));
    return parsed.success ? parsed.data : null;
  } catch {
    return null;
  }
}

/**
 * New clusters of 1 to 16 nodes (uniform) with fresh 32-hex machine codes,
 * each for an account drawn uniformly from the seeded ones.
 */
export function newClusters(accounts: number): BodySource {
  return () => {
    const accountId = 1 + Math.floor(Math.random() * accounts);
    const size = 1 + Math.floor(Math.random() * 16);
    const tag = randomBytes(6).toString('hex');
    const nodes = Array.from({ length: size }, (_, i) => {
      const machineCode = randomBytes(16).toString('hex');
      return {
        nodeId: `new-${tag}-${i}`,
        ip: `198.51.100.${1 + (i % 254)}`,
        domain: `n${i}.${tag}.example.net`,
        appName: 'webroot',
        machineCode,
        mac: `02:00:${machineCode.slice(0, 2)}:${machineCode.slice(2, 4)}:${machineCode.slice(4, 6)}:${machineCode.slice(6, 8)}`,
      };
    });
    return {
      body: JSON.stringify({ account: accountName(accountId), password: SEED_PASSWORD, appVersion: SEED_APP_VERSION, nodes }),
      check: (answer) => (parseRegistered(answer)?.nodes.length === size ? null : '200 (unexpected success body)'),
    };
  };
}

/**
 * Whole clusters re-registering (a data centre back from a power cut): every
 * machine is already bound, so the answer must hand back the very tokens the
 * nodes hold (the contract: a running node is never logged out).
 */
export function reRegistrations(clusters: readonly Cluster[]): BodySource {
  return rotate(
    clusters.map((cluster) => {
      const expected = new Map(cluster.nodes.map((node) => [node.machineCode, node.token]));
      const nodes = cluster.nodes.map(({ nodeId, ip, domain, appName, machineCode, mac }) => ({
        nodeId,
        ip,
        appName,
        machineCode,
        ...(domain === null ? {} : { domain }),
        ...(mac === null ? {} : { mac }),
      }));
      return {
        body: JSON.stringify({ account: cluster.account, password: SEED_PASSWORD, appVersion: SEED_APP_VERSION, nodes }),
        check: (answer: string) => {
          const parsed = parseRegistered(answer);
          if (parsed?.nodes.length !== nodes.length) return '200 (unexpected success body)';
          return parsed.nodes.every((node) => expected.get(node.machineCode) === node.token) ? null : '200 token changed (node logged out)';
        },
      };
    }),
  );
}
