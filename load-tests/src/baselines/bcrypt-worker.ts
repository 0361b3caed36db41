import bcrypt from 'bcrypt';
import { measureRequest, type WorkerReply } from './bcrypt-messages';

/**
 * The ceiling for `register`: every registration pays exactly one
 * bcrypt.compare, so the API can never register faster than raw compares run
 * on these cores. Like the API (libuv's default pool of 4 threads), this
 * keeps 4 compares in flight. Started by bcrypt-ceiling.ts with the cost and
 * the password as arguments; measures on request, idle otherwise.
 */
const cost = Number(process.argv[2]);
const password = process.argv[3] ?? '';
const IN_FLIGHT = 4;

function reply(message: WorkerReply): void {
  process.send?.(message);
}

async function measure(hash: string, seconds: number): Promise<void> {
  const started = performance.now();
  const deadline = started + seconds * 1000;
  let compares = 0;
  const lane = async () => {
    while (performance.now() < deadline) {
      if (!(await bcrypt.compare(password, hash))) throw new Error('bcrypt ceiling: the compare must succeed, as a good login does');
      compares++;
    }
  };
  await Promise.all(Array.from({ length: IN_FLIGHT }, lane));
  reply({ kind: 'measured', compares, seconds: (performance.now() - started) / 1000 });
}

async function main(): Promise<void> {
  if (!Number.isInteger(cost)) throw new Error('usage: bcrypt-worker <cost> <password>');
  const hash = await bcrypt.hash(password, cost);
  process.on('message', (raw: unknown) => {
    const request = measureRequest.parse(raw);
    void measure(hash, request.seconds);
  });
  process.on('disconnect', () => process.exit(0));
  reply({ kind: 'ready', cost, inFlight: IN_FLIGHT });
}

void main();
