/**
 * Every response time of a run, kept exactly. autocannon's own histogram
 * counts whole milliseconds (its lowest discernible value is 1 ms), too coarse
 * for a heartbeat answered in under a millisecond, and its rate-limited runs
 * add synthetic coordinated-omission samples; these are the raw times.
 */
export interface LatencySummary {
  p50: number;
  p90: number;
  p99: number;
  max: number;
  mean: number;
}

export class LatencyRecorder {
  private values = new Float64Array(1 << 16);
  private length = 0;

  record(milliseconds: number): void {
    if (this.length === this.values.length) {
      const grown = new Float64Array(this.values.length * 2);
      grown.set(this.values);
      this.values = grown;
    }
    this.values[this.length++] = milliseconds;
  }

  get count(): number {
    return this.length;
  }

  summary(): LatencySummary {
    const sorted = this.values.slice(0, this.length).sort();
    if (sorted.length === 0) return { p50: 0, p90: 0, p99: 0, max: 0, mean: 0 };
    // Nearest rank: the smallest value with at least q of the samples at or below it.
    const at = (q: number) => sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil(q * sorted.length) - 1))] as number;
    let sum = 0;
    for (const value of sorted) sum += value;
    return { p50: at(0.5), p90: at(0.9), p99: at(0.99), max: sorted[sorted.length - 1] as number, mean: sum / sorted.length };
  }
}
