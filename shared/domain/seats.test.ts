import assert from 'node:assert/strict';
import { checkSeats, seatsUsedAfter } from './seats';

function seatsFor(input: { machineCodes: string[]; bound: string[]; maxRegistrations: number }) {
  const bound = new Set(input.bound);
  return checkSeats({
    machineCodes: input.machineCodes,
    isBound: (machineCode) => bound.has(machineCode),
    boundCount: bound.size,
    maxRegistrations: input.maxRegistrations,
  });
}

describe('checkSeats', () => {
  const cases: ReadonlyArray<{
    why: string;
    machineCodes: string[];
    bound: string[];
    maxRegistrations: number;
    newIndices: number[];
    overflowIndices: number[];
  }> = [
    {
      why: 'fits new machines when b + k equals the limit',
      machineCodes: ['m1', 'm2'],
      bound: ['b1'],
      maxRegistrations: 3,
      newIndices: [0, 1],
      overflowIndices: [],
    },
    {
      why: 'fits new machines when b + k is under the limit',
      machineCodes: ['m1'],
      bound: [],
      maxRegistrations: 10,
      newIndices: [0],
      overflowIndices: [],
    },
    {
      why: 'overflows the new machines that do not fit, counted in request order',
      machineCodes: ['m1', 'm2', 'm3', 'm4'],
      bound: ['b1'],
      maxRegistrations: 3,
      newIndices: [0, 1, 2, 3],
      overflowIndices: [2, 3],
    },
    {
      why: 'refuses the third node of a two-seat account',
      machineCodes: ['m1', 'm2', 'm3'],
      bound: [],
      maxRegistrations: 2,
      newIndices: [0, 1, 2],
      overflowIndices: [2],
    },
    {
      why: 'never overflows an already-bound machine, wherever it stands in the request',
      machineCodes: ['m1', 'b1', 'm2', 'b2', 'm3'],
      bound: ['b1', 'b2'],
      maxRegistrations: 3,
      newIndices: [0, 2, 4],
      overflowIndices: [2, 4],
    },
    {
      why: 'fits a request with no new machine even when the limit was lowered below what is bound',
      machineCodes: ['b1', 'b2', 'b3'],
      bound: ['b1', 'b2', 'b3', 'b4'],
      maxRegistrations: 2,
      newIndices: [],
      overflowIndices: [],
    },
    {
      why: 'overflows every new machine when the limit was lowered below what is bound',
      machineCodes: ['b1', 'm1'],
      bound: ['b1', 'b2', 'b3'],
      maxRegistrations: 2,
      newIndices: [1],
      overflowIndices: [1],
    },
    {
      why: 'overflows every new machine when the account is full',
      machineCodes: ['m1', 'm2'],
      bound: ['b1', 'b2'],
      maxRegistrations: 2,
      newIndices: [0, 1],
      overflowIndices: [0, 1],
    },
    {
      why: 'overflows every machine of an account with no seat',
      machineCodes: ['m1', 'm2'],
      bound: [],
      maxRegistrations: 0,
      newIndices: [0, 1],
      overflowIndices: [0, 1],
    },
    {
      why: 'fits an empty request on an account with no seat',
      machineCodes: [],
      bound: [],
      maxRegistrations: 0,
      newIndices: [],
      overflowIndices: [],
    },
  ];

  for (const { why, machineCodes, bound, maxRegistrations, newIndices, overflowIndices } of cases) {
    it(`${why} (b=${bound.length}, request [${machineCodes.join(', ')}], max ${maxRegistrations})`, () => {
      assert.deepEqual(seatsFor({ machineCodes, bound, maxRegistrations }), { newIndices, overflowIndices });
    });
  }

  it('asks isBound about each machine of the request', () => {
    const asked: string[] = [];
    checkSeats({
      machineCodes: ['m1', 'm2'],
      isBound: (machineCode) => {
        asked.push(machineCode);
        return false;
      },
      boundCount: 0,
      maxRegistrations: 5,
    });
    assert.deepEqual(asked, ['m1', 'm2']);
  });
});

describe('seatsUsedAfter', () => {
  it('adds the new machines to those bound', () => {
    const seats = seatsFor({ machineCodes: ['b1', 'm1', 'm2'], bound: ['b1', 'b2'], maxRegistrations: 10 });
    assert.equal(seatsUsedAfter(2, seats), 4);
  });

  it('takes no new seat for a request that only re-registers bound machines', () => {
    const seats = seatsFor({ machineCodes: ['b1', 'b2'], bound: ['b1', 'b2', 'b3'], maxRegistrations: 3 });
    assert.equal(seatsUsedAfter(3, seats), 3);
  });

  it('keeps the bound count when re-registering on an account whose limit was lowered', () => {
    const seats = seatsFor({ machineCodes: ['b1'], bound: ['b1', 'b2', 'b3'], maxRegistrations: 1 });
    assert.deepEqual(seats.overflowIndices, []);
    assert.equal(seatsUsedAfter(3, seats), 3);
  });
});
