/**
 * At most `limit` tasks per key run at once; the others wait their turn in
 * arrival order. A key with nothing running holds no memory, so keys chosen
 * by callers (account names) cannot grow it.
 */
export interface KeyedLimiter {
  run<T>(key: string, task: () => Promise<T>): Promise<T>;
}

interface Lane {
  running: number;
  waiting: Array<() => void>;
}

export function createKeyedLimiter(limit: number): KeyedLimiter {
  const lanes = new Map<string, Lane>();
  return {
    async run(key, task) {
      let lane = lanes.get(key);
      if (!lane) {
        lane = { running: 0, waiting: [] };
        lanes.set(key, lane);
      }
      const current = lane;
      if (current.running < limit) current.running++;
      else await new Promise<void>((resolve) => current.waiting.push(resolve));
      try {
        return await task();
      } finally {
        // The slot passes straight to the next in line, so `running` only drops when nobody waits.
        const next = current.waiting.shift();
        if (next) next();
        else if (--current.running === 0) lanes.delete(key);
      }
    },
  };
}
