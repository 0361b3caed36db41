/**
 * Seat arithmetic (display rule 3). With `boundCount` machines already bound
 * and the request's new machines in request order, the first
 * `maxRegistrations - boundCount` of them fit; the rest overflow. A request
 * that brings no new machine always fits, even when staff have since lowered
 * the limit below what is bound: re-registration never takes a seat.
 *
 * The Lua script `bind-nodes.lua` applies the same rule inside Redis and the
 * MySQL ledger check applies this function; keep the two in step.
 */
export interface SeatCheck {
  /** Indices (into the request's nodes) of machines not yet bound. */
  newIndices: number[];
  /** Indices of new machines that do not fit, in request order. */
  overflowIndices: number[];
}

export function checkSeats(input: {
  machineCodes: readonly string[];
  isBound: (machineCode: string) => boolean;
  boundCount: number;
  maxRegistrations: number;
}): SeatCheck {
  const newIndices = input.machineCodes.flatMap((code, index) => (input.isBound(code) ? [] : [index]));
  const free = Math.max(0, input.maxRegistrations - input.boundCount);
  return { newIndices, overflowIndices: newIndices.slice(free) };
}

/** Seats in use once the request's new machines are bound. */
export function seatsUsedAfter(boundCount: number, seatCheck: SeatCheck): number {
  return boundCount + seatCheck.newIndices.length;
}
