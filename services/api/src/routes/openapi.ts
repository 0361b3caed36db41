import type { Express } from 'express';
import { methodNotAllowed } from '#shared/http/error-handler';
import { nodeOpenApiDocument } from '../openapi-document';

/** `GET /v1/openapi.json` (contract v1.1): the document, serialised once. */
export function mountOpenApiRoute(app: Express): void {
  let text: string | undefined;
  app
    .route('/v1/openapi.json')
    .get((_req, res) => {
      text ??= JSON.stringify(nodeOpenApiDocument());
      res.statusCode = 200;
      res.setHeader('Content-Type', 'application/json; charset=utf-8');
      res.end(text);
    })
    .all(methodNotAllowed('GET, HEAD'));
}
