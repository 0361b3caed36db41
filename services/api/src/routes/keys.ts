import type { Express } from 'express';
import { methodNotAllowed } from '#shared/http/error-handler';
import type { Leases } from '#shared/security/leases';

/**
 * GET /v1/keys: the keys leases verify with, as a JWKS (contract "Signed
 * leases"): the signing key and, during a rotation, the previous one. Public
 * keys only; `Cache-Control: no-store` like every answer, so a rotation is
 * seen at once.
 */
export function mountKeysRoute(app: Express, leases: Leases): void {
  app
    .route('/v1/keys')
    .get((_req, res) => {
      res.json(leases.jwks());
    })
    .all(methodNotAllowed('GET'));
}
