import { Router } from 'express';
import { stringify } from 'csv-stringify/sync';
import { requires } from '../auth/principal';
import { AdminError, validationFailed } from '../http/admin-errors';
import { queryOf } from '../http/request-input';
import { queries } from '../http/schemas';
import { auditView, datetimeOf } from '../http/views';
import type { AdminServiceDeps } from '../server-deps';

/** The audit trail: filtered, paged, and as CSV with `Accept: text/csv` (csv-stringify quotes commas, quotes and newlines). */
const CSV_COLUMNS = ['id', 'at', 'actor', 'action', 'account', 'before', 'after', 'sourceAddress', 'requestId'] as const;

export function auditRoutes(deps: AdminServiceDeps): Router {
  const router = Router();
  router.get('/audit', requires('read'), async (req, res) => {
    const query = queryOf(queries.audit, req);
    const since = query.since === undefined ? undefined : datetimeOf(query.since);
    const until = query.until === undefined ? undefined : datetimeOf(query.until);
    const problems = [
      ...(since === null ? [{ field: 'since', message: 'an ISO 8601 instant' }] : []),
      ...(until === null ? [{ field: 'until', message: 'an ISO 8601 instant' }] : []),
    ];
    if (problems.length > 0) throw validationFailed(problems);
    let accountId: number | undefined;
    if (query.account !== undefined) {
      const account = await deps.accounts.findByName(query.account);
      if (!account) throw new AdminError('NOT_FOUND', undefined, 'No such account.');
      accountId = account.certificate.id;
    }
    const page = await deps.auditLog.search({
      ...(accountId === undefined ? {} : { accountId }),
      ...(query.actor === undefined ? {} : { actor: query.actor }),
      ...(query.action === undefined ? {} : { action: query.action }),
      ...(since ? { since } : {}),
      ...(until ? { until } : {}),
      limit: query.limit,
      ...(query.cursor === undefined ? {} : { cursor: query.cursor }),
    });
    const items = page.items.map(auditView);
    if (req.accepts(['application/json', 'text/csv']) === 'text/csv') {
      if (page.nextCursor !== null) res.setHeader('X-Next-Cursor', page.nextCursor);
      const rows = items.map((item) =>
        CSV_COLUMNS.map((column) =>
          column === 'before' || column === 'after' ? (item[column] === null ? '' : JSON.stringify(item[column])) : (item[column] ?? ''),
        ),
      );
      res.type('text/csv; charset=utf-8').send(stringify(rows, { header: true, columns: [...CSV_COLUMNS] }));
      return;
    }
    res.json({ items, nextCursor: page.nextCursor });
  });
  return router;
}
