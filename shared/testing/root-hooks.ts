import { cleanUpRun, prepareRun } from './test-environment';

/** Mocha root hooks: one database and key prefix for the whole run, removed at the end. */
export const mochaHooks = {
  async beforeAll(this: Mocha.Context) {
    this.timeout(60_000);
    await prepareRun();
  },
  async afterAll(this: Mocha.Context) {
    this.timeout(60_000);
    await cleanUpRun();
  },
};
