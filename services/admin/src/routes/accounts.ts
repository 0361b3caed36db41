import { Router, type Request, type Response } from 'express';
import { actionForAccountChange } from '#shared/domain/staff';
import { requestIdOf } from '#shared/http/request-id';
import { assertAllowed, requires, type Principal } from '../auth/principal';
import { accountNameProblems, givenFieldProblems, passwordProblems } from '../account-input';
import { createAccount, showAccount, updateAccount, type Origin, type UpdateOutcome } from '../commands/accounts';
import { releaseBinding, releaseBindings } from '../commands/bindings';
import { AdminError, validationFailed } from '../http/admin-errors';
import { bodyOf, bodyWithValuesOf, queryOf } from '../http/request-input';
import { queries, requests } from '../http/schemas';
import { accountView, bindingView } from '../http/views';
import type { AdminServiceDeps } from '../server-deps';

/** Accounts, their bindings and releases (admin contract, "Routes"), over the same use cases as the CLI. */
export function useCaseDeps(deps: AdminServiceDeps, principal: Principal) {
  return { ...deps, actor: principal.actor, hashPassword: (password: string) => deps.passwords.hash(password) };
}

export function originOf(deps: Pick<AdminServiceDeps, 'sourceAddresses'>, req: Request, res: Response): Origin {
  return { sourceAddress: deps.sourceAddresses.of(req), requestId: requestIdOf(res) };
}

/** `If-Match: "<revision>"` (rule 1); a weak tag names the same revision. */
/**
 * The revision If-Match names. Without one (428) or with one that is no
 * revision (412), the account must exist first: preconditions never turn a
 * 404 into something else (RFC 9110 §13.2.1), so `ensureExists` throws it.
 */
async function expectedRevision(req: Request, ensureExists: () => Promise<unknown>): Promise<number> {
  const header = req.get('if-match');
  const revision = header === undefined ? undefined : /^(?:W\/)?"(\d{1,15})"$/.exec(header.trim())?.[1];
  if (revision !== undefined) return Number(revision);
  await ensureExists();
  throw new AdminError(header === undefined ? 'PRECONDITION_REQUIRED' : 'PRECONDITION_FAILED');
}

function answerUpdate(res: Response, outcome: UpdateOutcome, status = 200): void {
  switch (outcome.kind) {
    case 'invalid':
      throw validationFailed(outcome.problems);
    case 'not-found':
      throw new AdminError('NOT_FOUND', undefined, 'No such account.');
    case 'revision-mismatch':
      throw new AdminError('PRECONDITION_FAILED', { revision: outcome.revision });
    case 'seats-below-bound':
      throw new AdminError(
        'CONFLICT',
        { used: outcome.used, requested: outcome.requested, releaseFirst: outcome.used - outcome.requested },
        'More machines are bound than the new limit: release some first.',
      );
    case 'applied':
      res.status(status).setHeader('ETag', `"${outcome.value.record.editRevision}"`);
      if (status === 204) res.end();
      else res.json(accountView(outcome.value));
  }
}

/** Today (UTC) plus `days`, as the calendar day a certificate's expiry is compared with. */
function dayIn(days: number, nowMs: number): string {
  return new Date(nowMs + days * 86_400_000).toISOString().slice(0, 10);
}

/** The fields of an account a change body names, unknown ones left out (they are the body check's to refuse). */
function accountFieldsNamed(body: unknown): string[] {
  if (typeof body !== 'object' || body === null || Array.isArray(body)) return [];
  return Object.keys(body).filter((field) => Object.hasOwn(requests.accountChange.shape, field));
}

export function accountRoutes(deps: AdminServiceDeps): Router {
  const router = Router();

  async function accountNamed(name: string) {
    const found = await showAccount(deps, name);
    if (!found) throw new AdminError('NOT_FOUND', undefined, 'No such account.');
    return found;
  }

  router.get('/accounts', requires('read'), async (req, res) => {
    const { query, status, expiringWithinDays, limit, cursor } = queryOf(queries.accounts, req);
    const page = await deps.directory.search({
      ...(query === undefined ? {} : { query }),
      ...(status === undefined ? {} : { status }),
      // Expiring within N days: still valid today (a certificate is valid through its last day), and ending by then.
      ...(expiringWithinDays === undefined ? {} : { expiring: { from: dayIn(0, deps.now()), to: dayIn(expiringWithinDays, deps.now()) } }),
      limit,
      ...(cursor === undefined ? {} : { cursor }),
    });
    res.json({ items: page.items.map(accountView), nextCursor: page.nextCursor });
  });

  router.post('/accounts', requires('account.create'), async (req, res) => {
    const principal = assertAllowed(res, 'account.create');
    const body = bodyWithValuesOf(requests.newAccount, req, ({ name, password, ...fields }) => [
      ...(name === undefined ? [] : accountNameProblems(name)),
      ...(password === undefined ? [] : passwordProblems(password)),
      ...givenFieldProblems(fields),
    ]);
    const outcome = await createAccount(useCaseDeps(deps, principal), {
      name: body.name,
      password: body.password,
      settings: {
        status: body.status ?? 'active',
        version: body.version,
        expiresAt: body.expiresAt,
        maxRegistrations: body.maxRegistrations,
        allowedIps: body.allowedIps ?? [],
        allowedDomains: body.allowedDomains ?? [],
        allowedAppNames: body.allowedAppNames ?? [],
      },
      policy: { maxUnbindsPerDay: body.maxUnbindsPerDay ?? null, releaseAfterSilentSeconds: body.releaseAfterSilentSeconds ?? null },
      ...originOf(deps, req, res),
    });
    if (outcome.kind === 'invalid') throw validationFailed(outcome.problems);
    if (outcome.kind === 'name-taken') throw new AdminError('CONFLICT', undefined, 'An account with this name exists.');
    res.status(201).setHeader('ETag', `"${outcome.value.record.editRevision}"`);
    res.json(accountView(outcome.value));
  });

  router.get('/accounts/:name', requires('read'), async (req, res) => {
    const account = await accountNamed(req.params.name as string);
    res.setHeader('ETag', `"${account.record.editRevision}"`);
    res.json(accountView(account));
  });

  router.patch('/accounts/:name', async (req, res) => {
    // The role decides, by the account fields the body names, before anything else is said about the request, If-Match included.
    const principal = assertAllowed(res, actionForAccountChange(accountFieldsNamed(req.body)));
    const change = bodyWithValuesOf(requests.accountChange, req, givenFieldProblems);
    const revision = await expectedRevision(req, () => accountNamed(req.params.name));
    const { maxUnbindsPerDay, releaseAfterSilentSeconds, ...settings } = change;
    const policy = {
      ...(maxUnbindsPerDay === undefined ? {} : { maxUnbindsPerDay }),
      ...(releaseAfterSilentSeconds === undefined ? {} : { releaseAfterSilentSeconds }),
    };
    const outcome = await updateAccount(useCaseDeps(deps, principal), {
      name: req.params.name,
      settings,
      policy,
      expectedRevision: revision,
      ...originOf(deps, req, res),
    });
    answerUpdate(res, outcome);
  });

  router.post('/accounts/:name/password', requires('account.password'), async (req, res) => {
    const { password } = bodyOf(requests.newPassword, req);
    const outcome = await updateAccount(useCaseDeps(deps, assertAllowed(res, 'account.password')), {
      name: req.params.name as string,
      password,
      settings: {},
      ...originOf(deps, req, res),
    });
    answerUpdate(res, outcome, 204);
  });

  router.get('/accounts/:name/bindings', requires('read'), async (req, res) => {
    const { limit, cursor } = queryOf(queries.page, req);
    const account = await accountNamed(req.params.name as string);
    const page = await deps.bindings.listPage(account.record.certificate.id, { limit, ...(cursor === undefined ? {} : { cursor }) });
    res.json({ items: page.items.map(bindingView), nextCursor: page.nextCursor });
  });

  router.get('/accounts/:name/attempts', requires('read'), async (req, res) => {
    const { limit, cursor } = queryOf(queries.page, req);
    const account = await accountNamed(req.params.name as string);
    res.json(await deps.attempts.list(account.record.certificate.id, { limit, ...(cursor === undefined ? {} : { cursor }) }));
  });

  router.delete('/accounts/:name/bindings/:machineCode', requires('binding.release'), async (req, res) => {
    const principal = assertAllowed(res, 'binding.release');
    const outcome = await releaseBinding(useCaseDeps(deps, principal), {
      name: req.params.name as string,
      machineCode: req.params.machineCode as string,
      ...originOf(deps, req, res),
    });
    if (outcome.kind === 'not-found') throw new AdminError('NOT_FOUND', undefined, 'No such account.');
    if (outcome.kind === 'not-bound') throw new AdminError('NOT_FOUND', undefined, 'That machine is not bound to this account.');
    res.status(204).end();
  });
  router.post('/accounts/:name/releases', requires('binding.release'), async (req, res) => {
    const principal = assertAllowed(res, 'binding.release');
    const { machineCodes } = bodyOf(requests.release, req);
    const outcome = await releaseBindings(useCaseDeps(deps, principal), {
      name: req.params.name as string,
      machineCodes,
      ...originOf(deps, req, res),
    });
    if (outcome.kind === 'not-found') throw new AdminError('NOT_FOUND', undefined, 'No such account.');
    res.json(outcome.value);
  });
  return router;
}
