import { AsyncLocalStorage, AsyncResource } from 'node:async_hooks';

/**
 * The request a line is logged for. Set once per HTTP request (by
 * shared/http/request-id.ts) and read by every logger made with
 * createLogger, so a warning deep in storage (a Redis timeout in
 * binding-store.ts) carries the request id without each layer passing it.
 * `accountId` is filled in once a use case has resolved the account.
 */
export interface RequestContext {
  readonly requestId: string;
  accountId?: number;
}

const storage = new AsyncLocalStorage<RequestContext>();

export function runInRequest<T>(context: RequestContext, work: () => T): T {
  return storage.run(context, work);
}

export function currentRequest(): RequestContext | undefined {
  return storage.getStore();
}

/**
 * A callback that runs in the current request's context wherever it is
 * called from. Body readers need it: stream events run in the context the
 * socket was opened in, so a `next` called from `req.on('end')` would lose
 * the request's id for the rest of the request.
 */
export function inCurrentRequest<A extends unknown[]>(callback: (...args: A) => void): (...args: A) => void {
  return storage.getStore() === undefined ? callback : AsyncResource.bind(callback);
}
