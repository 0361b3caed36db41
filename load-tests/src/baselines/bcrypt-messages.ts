import { z } from 'zod';

/** What the load generator and the bcrypt ceiling process say to each other over IPC. */
export const measureRequest = z.object({ kind: z.literal('measure'), seconds: z.number().positive() });
export type MeasureRequest = z.infer<typeof measureRequest>;

export const workerReply = z.discriminatedUnion('kind', [
  z.object({ kind: z.literal('ready'), cost: z.number().int(), inFlight: z.number().int() }),
  z.object({ kind: z.literal('measured'), compares: z.number().int(), seconds: z.number() }),
]);
export type WorkerReply = z.infer<typeof workerReply>;
