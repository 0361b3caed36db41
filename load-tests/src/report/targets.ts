import type { SeedReport } from '../dataset/seed';
import type { Measured } from '../scenarios/harness';
import type { RegisterComparison } from '../scenarios/register';
import type { VerifyComparison } from '../scenarios/verify';
import { ratio } from './stats';

/**
 * The targets, checked against same-run figures: throughput as a
 * ratio to its same-run ceiling, latency at half the top rate, growth as the
 * ratio of the large data set's figure to the small one's (same offered load),
 * Redis bytes per binding.
 */
export interface ScalePoint {
  seed: SeedReport;
  verify: VerifyComparison;
  verifyAtRate: Measured & { bindings: number };
  register: RegisterComparison;
  registerAtRate: Measured & { bindings: number };
}

export interface TargetCheck {
  target: string;
  measured: number;
  limit: number;
  unit: '%' | 'ms' | 'x' | 'bytes';
  met: boolean;
}

const atMost = (target: string, measured: number, limit: number, unit: TargetCheck['unit']): TargetCheck => ({
  target,
  measured,
  limit,
  unit,
  met: measured <= limit,
});
const atLeast = (target: string, measured: number, limit: number, unit: TargetCheck['unit']): TargetCheck => ({
  target,
  measured,
  limit,
  unit,
  met: measured >= limit,
});

export function checkTargets(small: ScalePoint, large: ScalePoint, largeLabel: string): TargetCheck[] {
  const memory = large.seed.redisMemory ?? small.seed.redisMemory;
  return [
    atLeast('verify req/s vs bare express (1,000 bindings)', small.verify.median.ratio * 100, 80, '%'),
    atLeast(`verify req/s vs bare express (${largeLabel} bindings)`, large.verify.median.ratio * 100, 80, '%'),
    atMost('verify p99 at half top rate (1,000 bindings)', small.verifyAtRate.latencyMs.p99, 10, 'ms'),
    atMost(`verify p99 at half top rate (${largeLabel} bindings)`, large.verifyAtRate.latencyMs.p99, 10, 'ms'),
    atLeast('register req/s vs bcrypt ceiling (1,000 bindings)', small.register.median.ratio * 100, 90, '%'),
    atLeast(`register req/s vs bcrypt ceiling (${largeLabel} bindings)`, large.register.median.ratio * 100, 90, '%'),
    atMost(
      `growth verify p50 at fixed rate (${largeLabel} / 1,000)`,
      ratio(large.verifyAtRate.latencyMs.p50, small.verifyAtRate.latencyMs.p50),
      1.2,
      'x',
    ),
    atMost(
      `growth verify p99 at fixed rate (${largeLabel} / 1,000)`,
      ratio(large.verifyAtRate.latencyMs.p99, small.verifyAtRate.latencyMs.p99),
      1.2,
      'x',
    ),
    atMost(
      `growth register p50 at fixed rate (${largeLabel} / 1,000)`,
      ratio(large.registerAtRate.latencyMs.p50, small.registerAtRate.latencyMs.p50),
      1.2,
      'x',
    ),
    atMost(
      `growth register p99 at fixed rate (${largeLabel} / 1,000)`,
      ratio(large.registerAtRate.latencyMs.p99, small.registerAtRate.latencyMs.p99),
      1.2,
      'x',
    ),
    ...(memory
      ? [atMost('Redis memory per binding (incl. account state), seeded', memory.bytesPerBindingWithAccountState, 200, 'bytes')]
      : []),
    atMost('Redis memory per binding with its lease kept', large.verify.keptLeaseMemory.bytesPerBinding, 200, 'bytes'),
  ];
}
