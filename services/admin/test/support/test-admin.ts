import { randomBytes } from 'node:crypto';
import express, { type Express } from 'express';
import request from 'supertest';
import type { StaffRole } from '#shared/domain/staff';
import { testConfig } from '#shared/testing/test-environment';
import { buildAdminApp } from '../../src/app';
import { createStaffMember } from '../../src/commands/staff';
import { createAdminServiceDeps, type AdminServiceDeps } from '../../src/server-deps';
import { openApiChecks } from './admin-openapi';

/**
 * A staff service over this run's real stores, with a clock the test moves,
 * and helpers for staff members, logged-in agents and API tokens.
 */
export interface TestAdmin {
  app: Express;
  deps: AdminServiceDeps;
  clock: { nowMs: number };
  createStaff(role: StaffRole): Promise<{ email: string; password: string }>;
  logIn(credentials: { email: string; password: string }, address?: string): Promise<LoggedIn>;
  staffAgent(role: StaffRole): Promise<LoggedIn>;
  token(role: StaffRole, creatorRole?: StaffRole): Promise<string>;
  close(): Promise<void>;
}

export interface LoggedIn {
  agent: ReturnType<typeof request.agent>;
  csrfToken: string;
  email: string;
  role: StaffRole;
}

export const API = '/admin/api/v1';

export async function startTestAdmin(overrides: Record<string, string> = {}): Promise<TestAdmin> {
  const clock = { nowMs: Date.now() };
  const deps = await createAdminServiceDeps(testConfig({ TRUST_PROXY: 'loopback', ...overrides }), { now: () => clock.nowMs });
  // Every answer of every test is checked against the served OpenAPI document; close() fails on a problem.
  const openApiProblems: string[] = [];
  const app = express().use(openApiChecks(openApiProblems)).use(buildAdminApp(deps));

  async function createStaff(role: StaffRole) {
    const email = `${role}-${randomBytes(5).toString('hex')}@vendor.example`;
    const password = `pw-${randomBytes(9).toString('base64url')}`;
    const created = await createStaffMember({ staff: deps.staff, actor: 'test', passwords: deps.passwords }, { email, role, password });
    if (created.kind !== 'created') throw new Error(`could not create staff: ${created.kind}`);
    return { email, password };
  }

  async function logIn(credentials: { email: string; password: string }, address = '198.51.100.1'): Promise<LoggedIn> {
    const agent = request.agent(app);
    const answer = await agent.post(`${API}/sessions`).set('X-Forwarded-For', address).send(credentials);
    if (answer.status !== 200) throw new Error(`login failed: ${answer.status} ${JSON.stringify(answer.body)}`);
    const { csrfToken, staff } = answer.body as { csrfToken: string; staff: { role: StaffRole } };
    return { agent, csrfToken, email: credentials.email, role: staff.role };
  }

  return {
    app,
    deps,
    clock,
    createStaff,
    logIn,
    staffAgent: async (role) => logIn(await createStaff(role)),
    async token(role, creatorRole = role) {
      const creator = await staffAgentOf(creatorRole);
      const answer = await creator.agent
        .post(`${API}/tokens`)
        .set('X-CSRF-Token', creator.csrfToken)
        .send({ name: `t-${randomBytes(3).toString('hex')}`, role });
      if (answer.status !== 201) throw new Error(`token failed: ${answer.status} ${JSON.stringify(answer.body)}`);
      return (answer.body as { token: string }).token;
    },
    async close() {
      await deps.close();
      if (openApiProblems.length > 0)
        throw new Error(`answers the OpenAPI document does not describe:\n${[...new Set(openApiProblems)].join('\n')}`);
    },
  };

  async function staffAgentOf(role: StaffRole) {
    return logIn(await createStaff(role));
  }
}
